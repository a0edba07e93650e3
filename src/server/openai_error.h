// The error object of the OpenAI API, and one constructor per kind of failure odma reports.
//
//   HTTP body:  {"error": {"message": str, "type": str, "param": str|null, "code": str|null}}
//
// Shape, `type` and `code` follow OpenAI's API (platform.openai.com/docs/guides/error-codes), not
// vLLM: vLLM (entrypoints/openai/engine/serving.py, create_error_response) sends the same envelope
// but with Python exception names as types ("BadRequestError", "NotFoundError") and the HTTP status
// as an integer `code`; OpenAI's SDKs pick their exception class from the HTTP status alone, so the
// OpenAI spelling costs clients nothing and keeps `code` a machine-readable string.
//
//   constructor              status type                   code
//   bad_request              400    invalid_request_error  null
//   context_length_exceeded  400    invalid_request_error  context_length_exceeded
//   unauthorized             401    invalid_request_error  invalid_api_key (what OpenAI sends)
//   model_not_found          404    invalid_request_error  model_not_found
//   invalid_url              404    invalid_request_error  null: "Invalid URL (GET /x)"
//   payload_too_large        413    invalid_request_error  null
//   too_many_requests        429    requests               rate_limit_exceeded (OpenAI's RPM limit)
//   internal_error           500    server_error           null
//   unavailable              503    server_error           service_unavailable (odma's choice:
//                                                          OpenAI documents no code for 503)
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace odma::server {

struct ApiError {
  int status = 400;     // HTTP status of the response
  std::string message;  // for people: names the field and what is wrong with it
  std::string type;     // OpenAI's error type (table above)
  std::string param;    // the offending request field, e.g. "messages[0].content"; "" = null
  std::string code;     // OpenAI's machine-readable code; "" = null
};

// {"error": {"message", "type", "param", "code"}}, with param/code null when empty.
[[nodiscard]] nlohmann::json to_json(const ApiError& e);

[[nodiscard]] ApiError bad_request(std::string message, std::string param = "");
// 400 "<what> is not supported by odma." naming `param`: a feature odma refuses rather than
// ignores.
[[nodiscard]] ApiError not_supported(const std::string& what, const std::string& param);

// OpenAI's wording (which vLLM used until v0.6): "This model's maximum context length is N tokens.
// However, you requested M tokens (P in the messages, C in the completion). Please reduce the
// length of the messages or completion." M = P + C. `param` is "messages" for chat, "prompt" for
// completions.
[[nodiscard]] ApiError context_length_exceeded(std::int64_t prompt_tokens, std::int64_t max_tokens,
                                               std::int64_t max_model_len,
                                               std::string param = "messages");

// "Incorrect API key provided." (the key is not echoed back, unlike OpenAI).
[[nodiscard]] ApiError unauthorized();
// "The model `x` does not exist." (vLLM's wording; OpenAI adds "or you do not have access to it").
[[nodiscard]] ApiError model_not_found(std::string_view model);
// "Invalid URL (POST /v1/foo)", OpenAI's message for an unknown route.
[[nodiscard]] ApiError invalid_url(std::string_view method, std::string_view path);
[[nodiscard]] ApiError payload_too_large(std::size_t body_bytes, std::size_t limit_bytes);
[[nodiscard]] ApiError too_many_requests(std::string message);
[[nodiscard]] ApiError internal_error(std::string message);
[[nodiscard]] ApiError unavailable(std::string message);

}  // namespace odma::server
