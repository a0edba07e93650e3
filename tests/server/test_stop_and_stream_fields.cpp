// `stop`, `stream` and `stream_options`.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "server/openai_request.h"
#include "server/request_test_util.h"

namespace odma::server {
namespace {

using testing::chat_body;
using testing::error_of;
using testing::expect_bad_request;
using testing::json;
using testing::value_of;
constexpr auto kChat = GenerationRequest::Kind::kChat;

GenerationRequest chat(const json& extra) {
  return value_of(parse_generation_request(chat_body(extra), kChat));
}
ApiError chat_error(const json& extra) {
  return error_of(parse_generation_request(chat_body(extra), kChat));
}

TEST(StopField, AStringIsOneStopString) {
  EXPECT_EQ(chat({{"stop", "END"}}).stop, std::vector<std::string>{"END"});
}

TEST(StopField, AListKeepsItsOrder) {
  EXPECT_EQ(chat({{"stop", {"b", "a"}}}).stop, (std::vector<std::string>{"b", "a"}));
}

TEST(StopField, AnEmptyListMeansNone) {
  EXPECT_TRUE(chat({{"stop", json::array()}}).stop.empty());
}

TEST(StopField, MoreThanFourAreAcceptedAsVllmDoes) {
  EXPECT_EQ(chat({{"stop", {"1", "2", "3", "4", "5", "6"}}}).stop.size(), 6u);
}

TEST(StopField, AnEmptyStringIs400) {
  expect_bad_request(chat_error({{"stop", ""}}), "stop", "`stop` must not be an empty string.");
}

TEST(StopField, AnEmptyStringInTheListIs400) {
  expect_bad_request(chat_error({{"stop", {"a", ""}}}), "stop[1]",
                     "`stop[1]` must not be an empty string.");
}

TEST(StopField, ANonStringInTheListIs400) {
  expect_bad_request(chat_error({{"stop", {1}}}), "stop[0]",
                     "`stop[0]` must be a string, got number.");
}

TEST(StopField, ANumberIs400) {
  expect_bad_request(chat_error({{"stop", 5}}), "stop",
                     "`stop` must be a string or an array of strings, got number.");
}

TEST(StopField, IllFormedUtf8Is400) {
  expect_bad_request(chat_error({{"stop", std::string("\xC3")}}), "stop",
                     "`stop` is not valid UTF-8.");
}

TEST(StreamField, TrueIsRead) {
  EXPECT_TRUE(chat({{"stream", true}}).stream);
}

TEST(StreamField, NonBooleanIs400) {
  expect_bad_request(chat_error({{"stream", "true"}}), "stream",
                     "`stream` must be a boolean, got string.");
}

TEST(StreamOptions, IncludeUsageIsRead) {
  EXPECT_TRUE(
      chat({{"stream", true}, {"stream_options", {{"include_usage", true}}}}).include_usage);
}

TEST(StreamOptions, IncludeUsageFalseIsRead) {
  EXPECT_FALSE(
      chat({{"stream", true}, {"stream_options", {{"include_usage", false}}}}).include_usage);
}

TEST(StreamOptions, NullIsAccepted) {
  EXPECT_FALSE(chat({{"stream_options", nullptr}}).include_usage);
}

TEST(StreamOptions, AnEmptyObjectWithoutStreamIsAcceptedAsVllmDoes) {
  EXPECT_FALSE(chat({{"stream_options", json::object()}}).include_usage);
}

TEST(StreamOptions, OptionsWithoutStreamAre400) {
  expect_bad_request(chat_error({{"stream_options", {{"include_usage", true}}}}), "stream_options",
                     "`stream_options` can only be given when `stream` is true.");
}

TEST(StreamOptions, OptionsWithStreamFalseAre400) {
  EXPECT_EQ(chat_error({{"stream", false}, {"stream_options", {{"include_usage", true}}}}).param,
            "stream_options");
}

TEST(StreamOptions, NonObjectIs400) {
  expect_bad_request(chat_error({{"stream", true}, {"stream_options", true}}), "stream_options",
                     "`stream_options` must be an object, got boolean.");
}

TEST(StreamOptions, NonBooleanIncludeUsageIs400) {
  expect_bad_request(chat_error({{"stream", true}, {"stream_options", {{"include_usage", "yes"}}}}),
                     "stream_options.include_usage",
                     "`stream_options.include_usage` must be a boolean, got string.");
}

TEST(StreamOptions, UnknownOptionsAreIgnored) {
  EXPECT_FALSE(chat({{"stream", true}, {"stream_options", {{"continuous_usage_stats", true}}}})
                   .include_usage);
}

}  // namespace
}  // namespace odma::server
