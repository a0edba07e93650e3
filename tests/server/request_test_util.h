// Helpers for the request-parser tests: a minimal valid body plus the fields under test, and
// checks that a parse gave a value or exactly the expected error.
#pragma once

#include <ostream>
#include <string>
#include <variant>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "server/openai_error.h"
#include "server/openai_messages.h"

namespace odma::server {

// gtest prints messages as {role, "content"} instead of their bytes.
inline void PrintTo(const ChatMessage& m, std::ostream* os) {
  *os << "{" << m.role << ", \"" << m.content << "\"}";
}

}  // namespace odma::server

namespace odma::server::testing {

using nlohmann::json;

// {"messages": [{"role": "user", "content": "hi"}]} with `extra`'s fields added or replaced.
inline json chat_body(const json& extra = json::object()) {
  json body = {{"messages", json::array({{{"role", "user"}, {"content", "hi"}}})}};
  body.update(extra);
  return body;
}

// {"prompt": "hi"} with `extra`'s fields added or replaced.
inline json completion_body(const json& extra = json::object()) {
  json body = {{"prompt", "hi"}};
  body.update(extra);
  return body;
}

// The value of a parse that must succeed (the test fails with the error's message otherwise).
template <typename T>
T value_of(std::variant<T, ApiError> result) {
  if (const auto* e = std::get_if<ApiError>(&result)) {
    ADD_FAILURE() << "unexpected error: " << e->message;
    return T{};
  }
  return std::get<T>(std::move(result));
}

// The error of a parse that must fail.
template <typename T>
ApiError error_of(const std::variant<T, ApiError>& result) {
  if (!std::holds_alternative<ApiError>(result)) {
    ADD_FAILURE() << "expected an error, the request was accepted";
    return ApiError{};
  }
  return std::get<ApiError>(result);
}

// Status, type, param and message, all at once.
inline void expect_bad_request(const ApiError& e, const std::string& param,
                               const std::string& message) {
  EXPECT_EQ(e.status, 400);
  EXPECT_EQ(e.type, "invalid_request_error");
  EXPECT_EQ(e.param, param);
  EXPECT_EQ(e.message, message);
}

}  // namespace odma::server::testing
