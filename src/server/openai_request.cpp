#include "server/openai_request.h"

#include <limits>
#include <utility>

#include "model/logprobs.h"
#include "server/json_fields.h"
#include "server/structured_output.h"
#include "server/tool_call_validate.h"

namespace odma::server {
namespace {

using Kind = GenerationRequest::Kind;

constexpr std::int64_t kInt32Max = std::numeric_limits<std::int32_t>::max();
constexpr std::int64_t kInt64Min = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t kInt64Max = std::numeric_limits<std::int64_t>::max();
// OpenAI's (and vLLM's) max_tokens default for /v1/completions.
constexpr std::int32_t kCompletionDefaultMaxTokens = 16;

// "s" | ["s"] | [ids] | [[ids]]; a batch of prompts is refused (one request, one sequence).
void read_prompt(JsonFields& f, GenerationRequest& r) {
  const nlohmann::json* p = f.find("prompt");
  const auto fail_empty = [&] { f.fail(bad_request("`prompt` must not be empty.", "prompt")); };
  if (p == nullptr) {
    f.fail(bad_request("`prompt` is required.", "prompt"));
    return;
  }
  if (p->is_string()) {
    r.prompt_text = f.string("prompt");
    if (r.prompt_text && r.prompt_text->empty()) fail_empty();
    return;
  }
  if (!p->is_array()) {
    f.fail_type("prompt", "a string, an array of token ids, or an array holding one of those", *p);
    return;
  }
  if (p->empty()) {
    fail_empty();
    return;
  }
  const nlohmann::json& first = (*p)[0];
  if (first.is_string() || first.is_array()) {
    if (p->size() > 1) {
      f.fail(bad_request("`prompt` holds " + std::to_string(p->size()) +
                             " prompts; batched prompts are not supported: send one prompt per "
                             "request.",
                         "prompt"));
      return;
    }
    if (first.is_string()) {
      r.prompt_text = f.string_value(&first, "prompt[0]");
      if (r.prompt_text && r.prompt_text->empty()) fail_empty();
    } else {
      r.prompt_ids = read_token_ids(first, "prompt[0]", f);
      if (f.ok() && r.prompt_ids->empty()) fail_empty();
    }
    return;
  }
  r.prompt_ids = read_token_ids(*p, "prompt", f);
}

void read_max_tokens(JsonFields& f, GenerationRequest& r) {
  // 0 only to score a prompt (echo), as OpenAI and vLLM allow.
  const std::optional<std::int64_t> max_tokens = f.integer("max_tokens", r.echo ? 0 : 1, kInt32Max);
  if (r.kind == Kind::kCompletion) {
    r.max_tokens = static_cast<std::int32_t>(max_tokens.value_or(kCompletionDefaultMaxTokens));
    return;
  }
  const std::optional<std::int64_t> max_completion =
      f.integer("max_completion_tokens", 1, kInt32Max);
  if (max_tokens && max_completion && *max_tokens != *max_completion) {
    f.fail(bad_request("`max_tokens` (" + std::to_string(*max_tokens) +
                           ") and `max_completion_tokens` (" + std::to_string(*max_completion) +
                           ") disagree; give one of them.",
                       "max_completion_tokens"));
    return;
  }
  if (const auto v = max_completion ? max_completion : max_tokens) {
    r.max_tokens = static_cast<std::int32_t>(*v);
  }
}

void read_sampling(JsonFields& f, GenerationRequest& r) {
  r.temperature = static_cast<float>(f.number("temperature", {0.0, 2.0}).value_or(1.0));
  r.top_p = static_cast<float>(f.number("top_p", {0.0, 1.0, /*lo_open=*/true}).value_or(1.0));
  // vLLM: "top_k must be 0 (disable), or at least 1"; -1 also disables (its older convention).
  const std::int64_t top_k = f.integer("top_k", -1, kInt32Max).value_or(0);
  r.top_k = top_k < 0 ? 0 : static_cast<std::int32_t>(top_k);
  r.presence_penalty = static_cast<float>(f.number("presence_penalty", {-2.0, 2.0}).value_or(0.0));
  r.frequency_penalty =
      static_cast<float>(f.number("frequency_penalty", {-2.0, 2.0}).value_or(0.0));
  r.ignore_eos = f.boolean("ignore_eos").value_or(false);

  // Any JSON integer fits: int64 (vLLM's range) or, above it, uint64; negatives keep their bits.
  if (const nlohmann::json* seed = f.ok() ? f.find("seed") : nullptr) {
    if (!seed->is_number_integer()) {
      f.fail_type("seed", "an integer", *seed);
    } else if (seed->is_number_unsigned()) {
      r.seed = seed->get<std::uint64_t>();
    } else {
      r.seed = static_cast<std::uint64_t>(seed->get<std::int64_t>());
    }
  }
}

void read_stop(JsonFields& f, GenerationRequest& r) {
  const nlohmann::json* stop = f.ok() ? f.find("stop") : nullptr;
  if (stop == nullptr) return;
  const auto add = [&](const nlohmann::json& v, const std::string& param) {
    const std::optional<std::string> s = f.string_value(&v, param);
    if (!s) return;
    if (s->empty()) {
      f.fail(bad_request(backticked(param) + " must not be an empty string.", param));
      return;
    }
    r.stop.push_back(*s);
  };
  if (stop->is_string()) {
    add(*stop, "stop");
  } else if (stop->is_array()) {
    for (std::size_t i = 0; i < stop->size() && f.ok(); ++i) {
      add((*stop)[i], "stop[" + std::to_string(i) + "]");
    }
  } else {
    f.fail_type("stop", "a string or an array of strings", *stop);
  }
}

void read_stream(JsonFields& f, GenerationRequest& r) {
  r.stream = f.boolean("stream").value_or(false);
  const nlohmann::json* options = f.ok() ? f.find("stream_options") : nullptr;
  if (options == nullptr) return;
  if (!options->is_object()) {
    f.fail_type("stream_options", "an object", *options);
    return;
  }
  // vLLM's check is `if data.get("stream_options") and not data.get("stream")`: {} passes.
  if (!options->empty() && !r.stream) {
    f.fail(
        bad_request("`stream_options` can only be given when `stream` is true.", "stream_options"));
    return;
  }
  JsonFields of(*options, "stream_options.");
  r.include_usage = of.boolean("include_usage").value_or(false);
  if (!of.ok()) f.fail(of.error());
}

// A field that must be 1 (best_of): odma samples no candidates to pick the best from.
void require_one(JsonFields& f, std::string_view name) {
  const std::optional<std::int64_t> v = f.integer(name, kInt64Min, kInt64Max);
  if (v && *v != 1) {
    f.fail(bad_request(backticked(name) + " must be 1, got " + std::to_string(*v) +
                           ": odma does not sample candidates to pick the best of.",
                       std::string(name)));
  }
}

// Chat: `logprobs: true` asks for the sampled tokens' log-probabilities and `top_logprobs` (0-20)
// for that many alternatives; top_logprobs without logprobs is a 400 (OpenAI's and vLLM's rule).
// Completions: `logprobs: N` (0-20) asks for both at once; null or absent = none.
void read_logprobs(JsonFields& f, GenerationRequest& r) {
  const nlohmann::json* logprobs = f.ok() ? f.find("logprobs") : nullptr;
  const auto top = f.integer("top_logprobs", 0, model::kMaxTopLogprobs);
  if (r.kind == Kind::kChat) {
    if (logprobs != nullptr && !logprobs->is_boolean()) {
      f.fail_type("logprobs", "a boolean", *logprobs);
      return;
    }
    const bool asked = logprobs != nullptr && logprobs->get<bool>();
    if (top && *top > 0 && !asked) {
      f.fail(bad_request("`top_logprobs` needs `logprobs` set to true.", "top_logprobs"));
      return;
    }
    if (asked) r.logprobs = static_cast<std::int32_t>(top.value_or(0));
    return;
  }
  if (logprobs != nullptr && logprobs->is_boolean()) {
    if (logprobs->get<bool>()) f.fail_type("logprobs", "an integer", *logprobs);
    return;  // false: none (client libraries send it)
  }
  if (const auto n = f.integer("logprobs", 0, model::kMaxTopLogprobs))
    r.logprobs = static_cast<std::int32_t>(*n);
}

void reject_logit_bias(JsonFields& f) {
  if (const nlohmann::json* bias = f.ok() ? f.find("logit_bias") : nullptr) {
    if (!bias->is_object()) {
      f.fail_type("logit_bias", "an object", *bias);
    } else if (!bias->empty()) {
      f.fail(not_supported("`logit_bias`", "logit_bias"));
    }
  }
}

// tools, tool_choice and parallel_tool_calls (chat), checked as server/tool_call_validate.h says.
void read_tools(JsonFields& f, GenerationRequest& r, const nlohmann::ordered_json* ordered_body) {
  if (const nlohmann::json* tools = f.ok() ? f.find("tools") : nullptr) {
    if (const std::optional<std::string> why = validate_tools(*tools))
      return f.fail(bad_request(*why, "tools"));
    r.tools = *tools;
    r.tools_in_order = ordered_body != nullptr ? ordered_body->at("tools")
                                               : nlohmann::ordered_json::parse(tools->dump());
  }
  r.parallel_tool_calls = f.boolean("parallel_tool_calls").value_or(true);
  if (!f.ok()) return;
  const nlohmann::json* choice = f.find("tool_choice");
  auto read = read_tool_choice(choice != nullptr ? *choice : nlohmann::json(), r.tools);
  if (auto* why = std::get_if<std::string>(&read)) return f.fail(bad_request(*why, "tool_choice"));
  r.tool_choice = std::get<ToolChoice>(read);
}

void reject_completion_extras(JsonFields& f) {
  require_one(f, "best_of");
  if (!f.string("suffix").value_or("").empty()) f.fail(not_supported("`suffix`", "suffix"));
}

}  // namespace

std::variant<GenerationRequest, ApiError> parse_generation_request(
    const nlohmann::json& body, GenerationRequest::Kind kind,
    const nlohmann::ordered_json* ordered_body) {
  if (!body.is_object()) {
    return bad_request("The request body must be a JSON object, got " +
                       std::string(json_type(body)) + ".");
  }
  GenerationRequest r;
  r.kind = kind;
  JsonFields f(body);
  if (kind == Kind::kChat) {
    auto messages = parse_chat_messages(f.find("messages"));
    if (auto* e = std::get_if<ApiError>(&messages)) return std::move(*e);
    r.messages = std::move(std::get<std::vector<ChatMessage>>(messages));
  } else {
    read_prompt(f, r);
  }
  r.model = f.string("model").value_or("");
  if (kind == Kind::kCompletion) r.echo = f.boolean("echo").value_or(false);
  read_max_tokens(f, r);
  read_sampling(f, r);
  read_stop(f, r);
  read_stream(f, r);
  r.user = f.string("user").value_or("");
  r.n = static_cast<std::int32_t>(f.integer("n", 1, kMaxChoices).value_or(1));
  read_logprobs(f, r);
  if (const auto k = f.integer("prompt_logprobs", 0, model::kMaxTopLogprobs)) {
    r.prompt_logprobs = static_cast<std::int32_t>(*k);
    if (r.stream)  // vLLM: "prompt_logprobs is not available when stream is enabled"
      f.fail(not_supported("`prompt_logprobs` with `stream`", "prompt_logprobs"));
  }
  reject_logit_bias(f);
  r.grammar = read_structured_output(f, ordered_body);
  if (r.grammar && r.ignore_eos) {
    f.fail(
        bad_request("`ignore_eos` cannot be combined with a structured output, which ends on "
                    "EOS.",
                    "ignore_eos"));
  }
  if (kind == Kind::kChat) {
    read_tools(f, r, ordered_body);
  } else {
    reject_completion_extras(f);
  }
  if (!f.ok()) return f.error();
  return r;
}

std::variant<GenerationRequest, ApiError> parse_generation_request(std::string_view body,
                                                                   GenerationRequest::Kind kind) {
  auto parsed = parse_json_object(body);
  if (auto* e = std::get_if<ApiError>(&parsed)) return std::move(*e);
  const nlohmann::json& j = std::get<nlohmann::json>(parsed);
  // Key order matters only to schemas and tools: the body is parsed again for them alone.
  bool ordered = false;
  for (const char* key : {"response_format", "structured_outputs", "guided_json", "tools"})
    ordered = ordered || (j.contains(key) && !j[key].is_null());
  if (!ordered) return parse_generation_request(j, kind);
  const nlohmann::ordered_json in_order = nlohmann::ordered_json::parse(body);  // valid: above
  return parse_generation_request(j, kind, &in_order);
}

}  // namespace odma::server
