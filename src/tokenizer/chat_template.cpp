#include "tokenizer/chat_template.h"

#include <array>

#include "base/error.h"
#include "tokenizer/jinja_error.h"
#include "tokenizer/jinja_eval.h"
#include "tokenizer/jinja_parser.h"

namespace odma::tokenizer {
namespace {

using nlohmann::ordered_json;

// The special tokens transformers.js passes to templates
// (SPECIAL_TOKEN_ATTRIBUTES).
constexpr std::array<const char*, 7> kSpecialTokenKeys = {
    "bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"};

std::string prefix(const std::string& origin) {
  return origin.empty() ? "chat template " : origin + ": chat template ";
}

std::tm local_now() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  localtime_r(&t, &tm);
  return tm;
}

}  // namespace

// Collects the render variables into the global scope, refusing the builtin
// names as the oracle does ("Variable already declared").
class ChatTemplate::Globals {
 public:
  Globals(const jinja::Program& program, std::uint32_t max_nesting)
      : program_(program), max_nesting_(max_nesting), scope_(jinja::make_global_scope()) {}

  void set(const std::string& name, const jinja::Value& value) {
    check(name);
    int symbol = jinja::find_symbol(program_, name);
    if (symbol >= 0) scope_->set(symbol, value);
  }
  void set_json(const std::string& name, const ordered_json& value) {
    check(name);
    int symbol = jinja::find_symbol(program_, name);
    if (symbol >= 0) scope_->set(symbol, jinja::from_json(value, max_nesting_));  // unread: skip
  }
  const std::shared_ptr<jinja::Scope>& scope() const { return scope_; }

 private:
  static void check(const std::string& name) {
    if (jinja::is_builtin_global(name)) {
      throw jinja::ValueError("variable '" + name + "' is a builtin and cannot be passed in");
    }
  }

  const jinja::Program& program_;
  std::uint32_t max_nesting_;
  std::shared_ptr<jinja::Scope> scope_;
};

ChatTemplate ChatTemplate::parse(std::string_view source, std::string origin) {
  ChatTemplate t;
  t.origin_ = std::move(origin);
  try {
    t.program_ = std::make_shared<const jinja::Program>(jinja::parse_template(source));
  } catch (const jinja::TemplateError& e) {
    throw Error(prefix(t.origin_) + jinja::describe_location(source, e.pos()) + ": " + e.what());
  }
  return t;
}

std::optional<std::string> ChatTemplate::special_token(const ordered_json& config,
                                                       std::string_view key) {
  if (!config.is_object()) throw Error("tokenizer_config must be a JSON object");
  auto it = config.find(std::string(key));
  if (it == config.end() || it->is_null()) return std::nullopt;
  const ordered_json* text = &*it;
  if (it->is_object()) {
    auto content = it->find("content");
    text = content != it->end() ? &*content : nullptr;
  }
  if (text == nullptr || !text->is_string()) {
    throw Error("tokenizer_config field '" + std::string(key) +
                "' must be a string or an object with a string \"content\"");
  }
  const auto& s = text->get_ref<const std::string&>();
  if (s.empty()) return std::nullopt;
  return s;
}

ChatTemplate ChatTemplate::from_tokenizer_config(std::string_view json_text, std::string origin) {
  std::string where = origin.empty() ? "tokenizer_config" : origin;
  ordered_json config;
  try {
    config = ordered_json::parse(json_text);
  } catch (const nlohmann::json::exception& e) {
    throw Error(where + ": tokenizer_config is not valid JSON (" + e.what() + ")");
  }
  if (!config.is_object()) throw Error(where + ": tokenizer_config must be a JSON object");
  auto it = config.find("chat_template");
  if (it == config.end() || it->is_null())
    throw Error(where + ": tokenizer_config has no chat_template");
  std::string source;
  if (it->is_string()) {
    source = it->get<std::string>();
  } else if (it->is_array()) {
    std::string names;
    bool found = false;
    std::size_t index = 0;
    for (const ordered_json& entry : *it) {
      auto name = entry.is_object() ? entry.find("name") : entry.end();
      auto text = entry.is_object() ? entry.find("template") : entry.end();
      if (name == entry.end() || !name->is_string() || text == entry.end() || !text->is_string()) {
        throw Error(where + ": chat_template entry " + std::to_string(index) +
                    " must be an object with string \"name\" and \"template\"");
      }
      const auto& n = name->get_ref<const std::string&>();
      names += (names.empty() ? "" : ", ") + n;
      if (n == "default" && !found) {
        source = text->get<std::string>();
        found = true;
      }
      ++index;
    }
    if (!found) {
      throw Error(where + ": chat_template has no template named 'default' (names: " +
                  (names.empty() ? "none" : names) + ")");
    }
  } else {
    throw Error(where + ": chat_template must be a string or a list of {name, template}");
  }
  ChatTemplate t = parse(source, std::move(origin));
  for (const char* key : kSpecialTokenKeys) {
    try {
      if (auto token = special_token(config, key)) t.special_tokens_[key] = *token;
    } catch (const Error& e) {
      throw Error(where + ": " + e.what());
    }
  }
  return t;
}

void ChatTemplate::set_special_token(const std::string& key, const std::string& value) {
  if (value.empty()) {
    special_tokens_.erase(key);
  } else {
    special_tokens_[key] = value;
  }
}

const std::string& ChatTemplate::source() const {
  return program_->source;
}

std::string ChatTemplate::render(const std::vector<ChatMessage>& messages,
                                 bool add_generation_prompt,
                                 const ordered_json& extra_context) const {
  if (!extra_context.is_object() && !extra_context.is_null()) {
    throw Error(prefix(origin_) + "render: extra_context must be a JSON object");
  }
  std::size_t size_hint = source().size();
  for (const ChatMessage& m : messages) size_hint += m.role.size() + m.content.size() + 64;
  return run(size_hint, [&](Globals& globals) {
    // Later settings win, as in transformers.js' {messages, ...,
    // ...special_tokens, ...kwargs}.
    if (!extra_context.is_object() || !extra_context.contains("messages")) {
      std::vector<jinja::Value> list;  // built as values directly: no JSON copy of the chat
      list.reserve(messages.size());
      for (const ChatMessage& m : messages) {
        auto d = std::make_shared<jinja::Dict>();
        d->entries.emplace_back("role", jinja::Value::string(m.role));
        d->entries.emplace_back("content", jinja::Value::string(m.content));
        list.push_back(jinja::Value::dict(std::move(d)));
      }
      globals.set("messages", jinja::Value::list(std::move(list)));
    }
    globals.set("add_generation_prompt", jinja::Value::boolean(add_generation_prompt));
    globals.set("tools", jinja::Value::none());
    globals.set("documents", jinja::Value::none());
    for (const auto& [key, value] : special_tokens_.items()) globals.set_json(key, value);
    if (extra_context.is_object()) {
      for (const auto& [key, value] : extra_context.items()) globals.set_json(key, value);
    }
  });
}

std::string ChatTemplate::render_context(const ordered_json& variables) const {
  if (!variables.is_object())
    throw Error(prefix(origin_) + "render: variables must be a JSON object");
  return run(source().size(), [&](Globals& globals) {
    for (const auto& [key, value] : variables.items()) globals.set_json(key, value);
  });
}

std::string ChatTemplate::run(std::size_t size_hint,
                              const std::function<void(Globals&)>& fill) const {
  try {
    Globals globals(*program_, limits_.max_nesting);
    fill(globals);
    jinja::RenderState state;
    state.max_steps = limits_.max_steps;
    state.max_bytes = limits_.max_output_bytes;
    state.max_calls = limits_.max_call_depth;
    state.max_nesting = limits_.max_nesting;
    state.now = now_ ? now_ : local_now;
    return jinja::evaluate(*program_, globals.scope(), state, size_hint);
  } catch (const jinja::TemplateError& e) {
    throw Error(prefix(origin_) + jinja::describe_location(source(), e.pos()) + ": " + e.what());
  } catch (const jinja::ValueError& e) {
    throw Error(prefix(origin_) + "render: " + e.what());
  }
}

}  // namespace odma::tokenizer
