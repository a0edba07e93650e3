#include "server/openai_error.h"

#include <utility>

namespace odma::server {
namespace {

constexpr std::string_view kInvalidRequest = "invalid_request_error";

ApiError make(int status, std::string message, std::string_view type, std::string param = "",
              std::string_view code = "") {
  return ApiError{status, std::move(message), std::string(type), std::move(param),
                  std::string(code)};
}

nlohmann::json string_or_null(const std::string& s) {
  return s.empty() ? nlohmann::json(nullptr) : nlohmann::json(s);
}

}  // namespace

nlohmann::json to_json(const ApiError& e) {
  return {{"error",
           {{"message", e.message},
            {"type", e.type},
            {"param", string_or_null(e.param)},
            {"code", string_or_null(e.code)}}}};
}

ApiError bad_request(std::string message, std::string param) {
  return make(400, std::move(message), kInvalidRequest, std::move(param));
}

ApiError not_supported(const std::string& what, const std::string& param) {
  return bad_request(what + " is not supported by odma.", param);
}

ApiError context_length_exceeded(std::int64_t prompt_tokens, std::int64_t max_tokens,
                                 std::int64_t max_model_len, std::string param) {
  std::string message = "This model's maximum context length is " + std::to_string(max_model_len) +
                        " tokens. However, you requested " +
                        std::to_string(prompt_tokens + max_tokens) + " tokens (" +
                        std::to_string(prompt_tokens) + " in the messages, " +
                        std::to_string(max_tokens) +
                        " in the completion). Please reduce the length of the messages or "
                        "completion.";
  return make(400, std::move(message), kInvalidRequest, std::move(param),
              "context_length_exceeded");
}

ApiError unauthorized() {
  return make(401, "Incorrect API key provided.", kInvalidRequest, "", "invalid_api_key");
}

ApiError model_not_found(std::string_view model) {
  return make(404, "The model `" + std::string(model) + "` does not exist.", kInvalidRequest,
              "model", "model_not_found");
}

ApiError invalid_url(std::string_view method, std::string_view path) {
  return make(404, "Invalid URL (" + std::string(method) + " " + std::string(path) + ")",
              kInvalidRequest);
}

ApiError payload_too_large(std::size_t body_bytes, std::size_t limit_bytes) {
  return make(413,
              "The request body is " + std::to_string(body_bytes) + " bytes; the limit is " +
                  std::to_string(limit_bytes) + " bytes.",
              kInvalidRequest);
}

ApiError too_many_requests(std::string message) {
  return make(429, std::move(message), "requests", "", "rate_limit_exceeded");
}

ApiError internal_error(std::string message) {
  return make(500, std::move(message), "server_error");
}

ApiError unavailable(std::string message) {
  return make(503, std::move(message), "server_error", "", "service_unavailable");
}

}  // namespace odma::server
