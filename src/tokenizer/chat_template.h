// Chat templates: the Jinja `chat_template` of a tokenizer_config.json, rendered in C++.
//
// The renderer implements the Jinja subset that real chat templates use (Qwen2.5, Qwen3,
// Llama 2/3/3.1/3.2, DeepSeek V3/R1) with the semantics of @huggingface/jinja, the renderer
// transformers.js uses; its output is tested byte for byte against that package
// (docs/chat_templates.md). Anything outside the subset fails when the template is loaded,
// with "line L:C" and the construct's name; render-time errors (raise_exception, type errors,
// budgets) name the template line too.
//
//   auto tmpl = ChatTemplate::from_tokenizer_config(read_file(path), path.string());
//   std::string prompt = tmpl.render({{"system", "Be brief."}, {"user", "Hi"}}, true);
#pragma once

#include <cstddef>
#include <cstdint>
#include <ctime>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace odma::tokenizer {

namespace jinja {
struct Program;
}

struct ChatMessage {
  std::string role;
  std::string content;  // already flattened to text
};

// Work bounds for one render, so a template cannot hang or exhaust memory
// (e.g. {% for i in range(10**9) %} or a macro that calls itself).
struct ChatTemplateLimits {
  std::size_t max_steps = 20'000'000;       // nodes evaluated + loop iterations + list items
                                            // + bytes of strings built / 16
  std::size_t max_output_bytes = 64 << 20;  // the rendered text, and any single string value
  std::size_t max_call_depth = 64;          // nested macro calls
  std::uint32_t max_nesting = 256;          // lists/dicts inside each other (input and built)
};

// Immutable after loading except for its settings; render() is const and may run on several
// threads at once. Copies share the parsed template.
class ChatTemplate {
 public:
  // Parses `source` once. Throws odma::Error for anything outside the supported subset, e.g.
  // "<origin>: chat template line 3:14: unsupported filter 'wordcount'".
  static ChatTemplate parse(std::string_view source, std::string origin);

  // The "chat_template" of a tokenizer_config.json text: a string, or a list of
  // {"name", "template"} (the one named "default" is used). Also reads the special tokens
  // (bos_token, eos_token, unk_token, sep_token, pad_token, cls_token, mask_token) that
  // transformers.js passes to the template. Throws odma::Error when absent or malformed.
  static ChatTemplate from_tokenizer_config(std::string_view json_text, std::string origin);

  // A special token of a tokenizer_config: a string, or an AddedToken object {"content": ...}.
  // nullopt when the key is absent, null or empty. Throws odma::Error when it is malformed.
  static std::optional<std::string> special_token(const nlohmann::ordered_json& config,
                                                  std::string_view key);

  // Renders the way transformers.js' apply_chat_template does: variables `messages` (each
  // {"role", "content"}), `add_generation_prompt`, `tools` = none, `documents` = none, the
  // special tokens, then `extra_context`'s keys (which win, so "messages" there replaces the
  // list, e.g. to pass tool calls). Pass ordered_json to keep key order in tojson output.
  // Throws odma::Error for runtime errors: raise_exception (its message verbatim), type errors
  // and exceeded limits, each with the template line.
  std::string render(
      const std::vector<ChatMessage>& messages, bool add_generation_prompt,
      const nlohmann::ordered_json& extra_context = nlohmann::ordered_json::object()) const;

  // Renders with exactly these variables (a JSON object) and nothing else.
  std::string render_context(const nlohmann::ordered_json& variables) const;

  // Special tokens passed by render() ({"bos_token": "<s>", ...}); set_special_token adds or
  // replaces one (an empty value removes it).
  const nlohmann::ordered_json& special_tokens() const { return special_tokens_; }
  void set_special_token(const std::string& key, const std::string& value);

  void set_limits(const ChatTemplateLimits& limits) { limits_ = limits; }
  const ChatTemplateLimits& limits() const { return limits_; }
  // The time strftime_now() formats (local time by default); tests pin it.
  void set_clock(std::function<std::tm()> now) { now_ = std::move(now); }

  const std::string& source() const;
  const std::string& origin() const { return origin_; }

 private:
  class Globals;
  ChatTemplate() = default;
  std::string run(std::size_t size_hint, const std::function<void(Globals&)>& fill) const;

  std::shared_ptr<const jinja::Program> program_;
  std::string origin_;
  nlohmann::ordered_json special_tokens_ = nlohmann::ordered_json::object();
  ChatTemplateLimits limits_;
  std::function<std::tm()> now_;
};

}  // namespace odma::tokenizer
