// Reading SSE streams (the load generator's side): the standard's line and field rules, under
// adversarial chunking.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "server/openai_stream.h"
#include "server/sse.h"

namespace odma::server::sse {
namespace {

using Events = std::vector<std::string>;

Events parse_whole(std::string_view stream) {
  Parser p;
  return p.feed(stream);
}

// Feeds `stream` cut at the given positions (sorted, inside the stream).
Events parse_split(std::string_view stream, const std::vector<std::size_t>& cuts) {
  Parser p;
  Events out;
  std::size_t from = 0;
  for (std::size_t cut : cuts) {
    for (std::string& e : p.feed(stream.substr(from, cut - from))) out.push_back(std::move(e));
    from = cut;
  }
  for (std::string& e : p.feed(stream.substr(from))) out.push_back(std::move(e));
  return out;
}

// A stream with every feature the parser handles (and [DONE] before trailing bytes).
const std::string kAdversarial =
    "\xEF\xBB\xBF: leading comment\r\n"
    "data: {\"a\":1}\r\n\r\n"
    "data: multi\r\ndata: line\r\n\r\n"
    "event: message\nid: 7\nretry: 10\ndata:first\ndata: second\n\n"
    ": ping\n\n"
    "data: cr only\r\rdata\n\n"
    "data:  two spaces\r\n\n"
    "unknown: x\n\n"
    "data: [DONE]\n\n"
    "data: after done\n\n";
const Events kAdversarialEvents = {"{\"a\":1}", "multi\nline", "first\nsecond", "cr only",
                                   "",          " two spaces"};

TEST(SseParser, OneEvent) {
  EXPECT_EQ(parse_whole("data: hello\n\n"), Events{"hello"});
}

TEST(SseParser, TwoEventsInOneChunk) {
  EXPECT_EQ(parse_whole("data: a\n\ndata: b\n\n"), (Events{"a", "b"}));
}

TEST(SseParser, CrLfLineEnds) {
  EXPECT_EQ(parse_whole("data: a\r\n\r\n"), Events{"a"});
}

TEST(SseParser, CrLineEnds) {
  EXPECT_EQ(parse_whole("data: a\r\r"), Events{"a"});
}

TEST(SseParser, CommentLinesAreSkipped) {
  EXPECT_EQ(parse_whole(": ping\n\n:\ndata: a\n: mid-event comment\n\n"), Events{"a"});
}

TEST(SseParser, OtherFieldsAreSkipped) {
  EXPECT_EQ(parse_whole("event: delta\nid: 3\nretry: 100\nfoo: bar\ndata: a\n\n"), Events{"a"});
}

TEST(SseParser, MultiLineDataIsJoinedWithNewlines) {
  EXPECT_EQ(parse_whole("data: a\ndata: b\ndata: c\n\n"), Events{"a\nb\nc"});
}

TEST(SseParser, TheSpaceAfterTheColonIsOptional) {
  EXPECT_EQ(parse_whole("data:a\n\n"), Events{"a"});
}

TEST(SseParser, OnlyOneLeadingSpaceIsRemoved) {
  EXPECT_EQ(parse_whole("data:  a \n\n"), Events{" a "});
}

TEST(SseParser, DataWithoutAColonIsAnEmptyValue) {
  EXPECT_EQ(parse_whole("data\n\n"), Events{""});
}

TEST(SseParser, EventWithoutDataIsNotReturned) {
  EXPECT_EQ(parse_whole("event: x\nid: 1\n\n"), Events{});
}

TEST(SseParser, BlankLinesAloneReturnNothing) {
  EXPECT_EQ(parse_whole("\n\n\r\n\r\r"), Events{});
}

TEST(SseParser, ColonsInTheValueAreKept) {
  EXPECT_EQ(parse_whole("data: {\"a\":\"b:c\"}\n\n"), Events{"{\"a\":\"b:c\"}"});
}

TEST(SseParser, DoneEndsTheStreamAndIsNotReturned) {
  Parser p;
  EXPECT_EQ(p.feed("data: a\n\ndata: [DONE]\n\ndata: b\n\n"), Events{"a"});
  EXPECT_TRUE(p.done());
  EXPECT_EQ(p.feed("data: c\n\n"), Events{});
}

TEST(SseParser, DoneIsOnlyDoneAsTheWholeData) {
  Parser p;
  EXPECT_EQ(p.feed("data: [DONE] \n\n"), Events{"[DONE] "});
  EXPECT_FALSE(p.done());
}

TEST(SseParser, LeadingByteOrderMarkIsDropped) {
  EXPECT_EQ(parse_whole("\xEF\xBB\xBF"
                        "data: a\n\n"),
            Events{"a"});
}

TEST(SseParser, ByteOrderMarkLaterIsPartOfTheFieldName) {
  EXPECT_EQ(parse_whole("data: a\n\n\xEF\xBB\xBF"
                        "data: b\n\n"),
            Events{"a"});
}

TEST(SseParser, UnfinishedEventIsHeldNotReturned) {
  Parser p;
  EXPECT_EQ(p.feed("data: a\n"), Events{});
  EXPECT_TRUE(p.mid_event());
  EXPECT_EQ(p.feed("\n"), Events{"a"});
  EXPECT_FALSE(p.mid_event());
}

TEST(SseParser, UnfinishedLineIsHeld) {
  Parser p;
  EXPECT_EQ(p.feed("data: a"), Events{});
  EXPECT_TRUE(p.mid_event());
}

TEST(SseParser, CrLfSplitAcrossChunksIsOneLineEnd) {
  // Were the "\n" read as a second line end, it would end the event after "a".
  Parser p;
  EXPECT_EQ(p.feed("data: a\r"), Events{});
  EXPECT_EQ(p.feed("\ndata: b\r\n\r\n"), Events{"a\nb"});
}

TEST(SseParser, AdversarialStreamInOneChunk) {
  Parser p;
  EXPECT_EQ(p.feed(kAdversarial), kAdversarialEvents);
  EXPECT_TRUE(p.done());
}

TEST(SseParser, AdversarialStreamSplitAtEveryBytePosition) {
  for (std::size_t i = 0; i <= kAdversarial.size(); ++i) {
    ASSERT_EQ(parse_split(kAdversarial, {i}), kAdversarialEvents) << "split at " << i;
  }
}

TEST(SseParser, AdversarialStreamSplitAtEveryPairOfPositions) {
  for (std::size_t i = 0; i <= kAdversarial.size(); ++i) {
    for (std::size_t j = i; j <= kAdversarial.size(); ++j) {
      ASSERT_EQ(parse_split(kAdversarial, {i, j}), kAdversarialEvents) << i << ", " << j;
    }
  }
}

TEST(SseParser, AdversarialStreamFedOneByteAtATime) {
  std::vector<std::size_t> cuts;
  for (std::size_t i = 1; i < kAdversarial.size(); ++i) cuts.push_back(i);
  EXPECT_EQ(parse_split(kAdversarial, cuts), kAdversarialEvents);
}

TEST(SseParser, RandomChunkingOfAServerStreamGivesBackEveryChunk) {
  // The events `odma serve` writes, read back by the parser, cut at random places.
  const StreamChunks s(GenerationRequest::Kind::kChat, {"chatcmpl-1", 1, "m"}, true);
  std::vector<nlohmann::json> chunks = {s.role_chunk()};
  std::string stream = data_event(chunks.back()) + comment("ping");
  for (const char* piece : {"Hel", "lo", ",\n wor", "ld \xE2\x82\xAC"}) {
    chunks.push_back(s.text_chunk(piece));
    stream += data_event(chunks.back());
  }
  chunks.push_back(s.finish_chunk("", FinishReason::kStop));
  chunks.push_back(s.usage_chunk(Usage{3, 4}));
  stream += data_event(chunks[chunks.size() - 2]) + data_event(chunks.back());
  stream += kDoneEvent;

  std::mt19937 rng(7);
  for (int trial = 0; trial < 500; ++trial) {
    std::vector<std::size_t> cuts;
    for (std::size_t i = 1; i < stream.size(); ++i) {
      if (rng() % 8 == 0) cuts.push_back(i);
    }
    const Events events = parse_split(stream, cuts);
    ASSERT_EQ(events.size(), chunks.size());
    for (std::size_t k = 0; k < chunks.size(); ++k) {
      ASSERT_EQ(nlohmann::json::parse(events[k]), chunks[k]) << "trial " << trial << " event " << k;
    }
  }
}

}  // namespace
}  // namespace odma::server::sse
