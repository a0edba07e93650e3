// Renders a batch of templates with odma, for tools/chat_templates/fuzz_chat_templates.mjs to compare
// with @huggingface/jinja: reads [{"template": ..., "context": {...}}, ...] from the file named
// by argv[1] and prints [{"output": ...} or {"error": ...}, ...] as JSON on stdout. strftime_now
// sees 2025-03-09 14:05, as in the golden renders. Not part of the test binary (see
// docs/chat_templates.md for how to build it).
#include <iostream>

#include "base/error.h"
#include "base/file_io.h"
#include "tokenizer/chat_template.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: chat_template_dump CASES.json\n";
    return 2;
  }
  auto cases = nlohmann::ordered_json::parse(odma::read_file(argv[1]));
  nlohmann::ordered_json results = nlohmann::ordered_json::array();
  for (const auto& c : cases) {
    nlohmann::ordered_json r = nlohmann::ordered_json::object();
    try {
      auto t = odma::tokenizer::ChatTemplate::parse(c.at("template").get<std::string>(), "");
      t.set_clock([] {
        std::tm tm{};
        tm.tm_year = 125;
        tm.tm_mon = 2;
        tm.tm_mday = 9;
        tm.tm_hour = 14;
        tm.tm_min = 5;
        return tm;
      });
      r["output"] = t.render_context(c.value("context", nlohmann::ordered_json::object()));
    } catch (const odma::Error& e) {
      r["error"] = e.what();
    }
    results.push_back(std::move(r));
  }
  std::cout << results.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace)
            << "\n";
  return 0;
}
