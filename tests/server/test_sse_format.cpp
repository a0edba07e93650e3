// Writing SSE events.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "server/sse.h"

namespace odma::server::sse {
namespace {

TEST(SseFormat, JsonEventIsOneCompactDataLine) {
  EXPECT_EQ(data_event(nlohmann::json{{"a", 1}, {"b", "x\ny"}}),
            "data: {\"a\":1,\"b\":\"x\\ny\"}\n\n");
}

TEST(SseFormat, TextEventHasOneDataLinePerLine) {
  EXPECT_EQ(data_event(std::string_view("a\nb\r\nc\rd")), "data: a\ndata: b\ndata: c\ndata: d\n\n");
}

TEST(SseFormat, EmptyTextIsOneEmptyDataLine) {
  EXPECT_EQ(data_event(std::string_view("")), "data: \n\n");
}

TEST(SseFormat, DoneEventIsOpenAis) {
  EXPECT_EQ(kDoneEvent, "data: [DONE]\n\n");
}

TEST(SseFormat, HeartbeatIsACommentLine) {
  EXPECT_EQ(comment("ping"), ": ping\n\n");
}

TEST(SseFormat, MultiLineCommentPrefixesEveryLine) {
  EXPECT_EQ(comment("a\nb"), ": a\n: b\n\n");
}

TEST(SseFormat, ContentTypeIsEventStream) {
  EXPECT_EQ(kContentType, "text/event-stream");
}

}  // namespace
}  // namespace odma::server::sse
