// The error objects of the API: OpenAI's envelope, status, type and code for each kind.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "server/openai_error.h"

namespace odma::server {
namespace {

using nlohmann::json;

json envelope(const char* message, const char* type, json param, json code) {
  return {{"error", {{"message", message}, {"type", type}, {"param", param}, {"code", code}}}};
}

TEST(OpenAiError, BadRequestNamesTheParam) {
  const ApiError e = bad_request("`temperature` must be in [0, 2], got 3.", "temperature");
  EXPECT_EQ(e.status, 400);
  EXPECT_EQ(to_json(e), envelope("`temperature` must be in [0, 2], got 3.", "invalid_request_error",
                                 "temperature", nullptr));
}

TEST(OpenAiError, EmptyParamAndCodeAreNull) {
  EXPECT_EQ(to_json(bad_request("bad")),
            envelope("bad", "invalid_request_error", nullptr, nullptr));
}

TEST(OpenAiError, ContextLengthExceededStatesEveryNumber) {
  const ApiError e = context_length_exceeded(/*prompt_tokens=*/100, /*max_tokens=*/4000,
                                             /*max_model_len=*/4096);
  EXPECT_EQ(e.status, 400);
  EXPECT_EQ(to_json(e),
            envelope("This model's maximum context length is 4096 tokens. However, you requested "
                     "4100 tokens (100 in the messages, 4000 in the completion). Please reduce "
                     "the length of the messages or completion.",
                     "invalid_request_error", "messages", "context_length_exceeded"));
}

TEST(OpenAiError, ContextLengthExceededOfACompletionNamesThePrompt) {
  EXPECT_EQ(context_length_exceeded(10, 20, 16, "prompt").param, "prompt");
}

TEST(OpenAiError, UnauthorizedIs401InvalidApiKey) {
  const ApiError e = unauthorized();
  EXPECT_EQ(e.status, 401);
  EXPECT_EQ(to_json(e), envelope("Incorrect API key provided.", "invalid_request_error", nullptr,
                                 "invalid_api_key"));
}

TEST(OpenAiError, ModelNotFoundIs404NamingTheModel) {
  const ApiError e = model_not_found("gpt-4");
  EXPECT_EQ(e.status, 404);
  EXPECT_EQ(to_json(e), envelope("The model `gpt-4` does not exist.", "invalid_request_error",
                                 "model", "model_not_found"));
}

TEST(OpenAiError, UnknownRouteIs404InvalidUrl) {
  const ApiError e = invalid_url("POST", "/v1/embeddings");
  EXPECT_EQ(e.status, 404);
  EXPECT_EQ(to_json(e), envelope("Invalid URL (POST /v1/embeddings)", "invalid_request_error",
                                 nullptr, nullptr));
}

TEST(OpenAiError, PayloadTooLargeIs413WithBothSizes) {
  const ApiError e = payload_too_large(2000000, 1048576);
  EXPECT_EQ(e.status, 413);
  EXPECT_EQ(to_json(e), envelope("The request body is 2000000 bytes; the limit is 1048576 bytes.",
                                 "invalid_request_error", nullptr, nullptr));
}

TEST(OpenAiError, TooManyRequestsIs429RateLimitExceeded) {
  const ApiError e = too_many_requests("The server is at its limit of 256 waiting requests.");
  EXPECT_EQ(e.status, 429);
  EXPECT_EQ(to_json(e), envelope("The server is at its limit of 256 waiting requests.", "requests",
                                 nullptr, "rate_limit_exceeded"));
}

TEST(OpenAiError, InternalErrorIs500ServerError) {
  const ApiError e = internal_error("engine failed");
  EXPECT_EQ(e.status, 500);
  EXPECT_EQ(to_json(e), envelope("engine failed", "server_error", nullptr, nullptr));
}

TEST(OpenAiError, UnavailableIs503ServiceUnavailable) {
  const ApiError e = unavailable("The server is shutting down.");
  EXPECT_EQ(e.status, 503);
  EXPECT_EQ(to_json(e), envelope("The server is shutting down.", "server_error", nullptr,
                                 "service_unavailable"));
}

}  // namespace
}  // namespace odma::server
