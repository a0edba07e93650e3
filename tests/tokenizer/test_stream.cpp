// StreamDecoder: pushing ids one at a time yields exactly decode(ids), and no chunk ever ends in
// the middle of a UTF-8 character.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "test_scale.h"
#include "tokenizer/stream_decoder.h"
#include "tokenizer/tokenizer_test_util.h"
#include "tokenizer/utf8.h"

namespace odma::tokenizer {
namespace {

using odma::testing::qwen_tokenizer;
using odma::testing::stories_tokenizer;
using Ids = std::vector<std::int32_t>;

// Streams `ids`; checks every chunk is whole UTF-8 and the total equals decode(ids).
void expect_stream_matches_decode(const Tokenizer& tok, const Ids& ids, bool skip_special) {
  StreamDecoder stream(tok, skip_special);
  std::string total;
  for (std::int32_t id : ids) {
    std::string chunk = stream.push(id);
    ASSERT_EQ(utf8_invalid_offset(chunk), chunk.size()) << "chunk ends inside a character";
    total += chunk;
  }
  total += stream.flush();
  EXPECT_EQ(total, tok.decode(ids, skip_special));
}

TEST(TokenizerStream, GoldenIdsStreamToTheirDecodedText) {
  const Tokenizer& tok = qwen_tokenizer();
  auto lines = odma::testing::data_lines("tokenizer/golden.jsonl");
  const auto n =
      static_cast<std::size_t>(odma::testing::scaled(static_cast<std::int64_t>(lines.size()), 100));
  for (std::size_t i = 0; i < std::min(n, lines.size()); ++i) {
    auto j = nlohmann::json::parse(lines[i]);
    const auto ids = j.at("ids").get<Ids>();
    expect_stream_matches_decode(tok, ids, false);
    expect_stream_matches_decode(tok, ids, true);
  }
}

TEST(TokenizerStream, HoldsASplitEmojiUntilComplete) {
  const Tokenizer& tok = qwen_tokenizer();
  const std::string thumbs = " \xF0\x9F\x91\x8D";  // " 👍": " \xF0\x9F\x91" + "\x8D" in Qwen2
  const Ids ids = tok.encode(thumbs);
  ASSERT_GE(ids.size(), 2u);
  StreamDecoder stream(tok);
  std::string out;
  for (std::size_t i = 0; i + 1 < ids.size(); ++i) out += stream.push(ids[i]);
  EXPECT_EQ(out, " ");  // the space is out, the emoji's first three bytes are held
  EXPECT_GT(stream.pending_bytes(), 0u);
  out += stream.push(ids.back());
  EXPECT_EQ(out, thumbs);
  EXPECT_EQ(stream.pending_bytes(), 0u);
}

TEST(TokenizerStream, UnfinishedCharacterFlushesAsReplacement) {
  const Tokenizer& tok = qwen_tokenizer();
  const Ids ids = tok.encode(" \xF0\x9F\x91\x8D");
  StreamDecoder stream(tok);
  EXPECT_EQ(stream.push(ids[0]), " ");
  EXPECT_EQ(stream.flush(), kReplacementChar);
  EXPECT_EQ(stream.flush(), "");  // nothing left
}

TEST(TokenizerStream, ByteFallbackTokensAssembleOneCharacter) {
  const Tokenizer& tok = stories_tokenizer();
  const Ids ids = tok.encode("a 你");  // ... "▁" <0xE4> <0xBD> <0xA0>
  ASSERT_GE(ids.size(), 3u);
  StreamDecoder stream(tok);
  std::vector<std::string> chunks;
  for (std::int32_t id : ids) chunks.push_back(stream.push(id));
  EXPECT_EQ(chunks[chunks.size() - 3], "");
  EXPECT_EQ(chunks[chunks.size() - 2], "");
  EXPECT_EQ(chunks.back(), "你");
  expect_stream_matches_decode(tok, ids, false);
}

TEST(TokenizerStream, LeadingSpaceStrippedOncePerStream) {
  const Tokenizer& tok = stories_tokenizer();
  const Ids ids = tok.encode("Once upon");  // "▁Once" "▁upon": decoder strips the first space
  StreamDecoder stream(tok);
  std::string first;
  for (std::int32_t id : ids) first += stream.push(id);
  first += stream.flush();
  EXPECT_EQ(first, "Once upon");
  std::string second;  // after flush a new stream starts: stripped again
  for (std::int32_t id : ids) second += stream.push(id);
  EXPECT_EQ(second + stream.flush(), "Once upon");
  // With BOS first and skip_special, the space after the skipped BOS is still stripped.
  expect_stream_matches_decode(tok, tok.encode("Once upon", true), true);
  EXPECT_EQ(tok.decode(tok.encode("Once upon", true), true), "Once upon");
}

TEST(TokenizerStream, SkipsSpecialTokensAndRejectsUnknownIds) {
  const Tokenizer& tok = qwen_tokenizer();
  StreamDecoder stream(tok, /*skip_special=*/true);
  EXPECT_EQ(stream.push(151644), "");  // <|im_start|>
  EXPECT_EQ(stream.push(9707), "Hello");
  EXPECT_THROW((void)stream.push(tok.vocab_size()), odma::Error);
  StreamDecoder keep(tok);
  EXPECT_EQ(keep.push(151644), "<|im_start|>");
}

}  // namespace
}  // namespace odma::tokenizer
