// Shared helpers for the chat-template tests: fixtures from data/chat_templates and a pinned
// clock (the same instant tests/node/render_golden.mjs gives the oracle).
#pragma once

#include <ctime>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/file_io.h"
#include "tokenizer/chat_template.h"

namespace odma::testing {

// The templates shipped in data/chat_templates (one <name>.json each).
inline const std::vector<std::string>& chat_template_names() {
  static const std::vector<std::string> names = {
      "deepseek_r1", "deepseek_r1_distill", "deepseek_v3", "llama2_chat", "llama3",
      "llama3_1",    "llama3_1_instruct",   "llama3_2",    "qwen2_5",     "qwen3"};
  return names;
}

inline nlohmann::ordered_json chat_fixture(const std::string& relative) {
  return nlohmann::ordered_json::parse(
      odma::read_file(odma::data_file("chat_templates/" + relative)));
}

// 2025-03-09 14:05, as strftime_now sees it in the golden renders.
inline std::tm pinned_now() {
  std::tm t{};
  t.tm_year = 2025 - 1900;
  t.tm_mon = 2;
  t.tm_mday = 9;
  t.tm_hour = 14;
  t.tm_min = 5;
  return t;
}

inline tokenizer::ChatTemplate shipped_chat_template(const std::string& name) {
  std::string path = "chat_templates/" + name + ".json";
  auto t =
      tokenizer::ChatTemplate::from_tokenizer_config(odma::read_file(odma::data_file(path)), path);
  t.set_clock(pinned_now);
  return t;
}

// A template parsed from source with the pinned clock.
inline tokenizer::ChatTemplate chat_template(const std::string& source) {
  auto t = tokenizer::ChatTemplate::parse(source, "test");
  t.set_clock(pinned_now);
  return t;
}

// The odma::Error message `f` throws, or "" when it does not throw.
template <class F>
std::string chat_error_of(F&& f) {
  try {
    f();
  } catch (const odma::Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace odma::testing
