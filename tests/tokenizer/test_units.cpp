// The tokenizer's parts on their own: byte-level alphabet, UTF-8 assembly, merge order, added-token
// matching, split behaviours, normalizers, and Qwen/stories specifics (ids, special tokens).
#include <gtest/gtest.h>

#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "test_scale.h"
#include "tokenizer/added_tokens.h"
#include "tokenizer/byte_level.h"
#include "tokenizer/normalizer.h"
#include "tokenizer/pretokenizer.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/tokenizer_test_util.h"
#include "tokenizer/utf8.h"

namespace odma::tokenizer {
namespace {

using odma::testing::qwen_tokenizer;
using odma::testing::stories_tokenizer;
using Ids = std::vector<std::int32_t>;

TEST(TokenizerByteLevel, AlphabetIsABijectionOverAllBytes) {
  std::set<std::string> chars;
  for (int b = 0; b < 256; ++b) {
    auto byte = static_cast<unsigned char>(b);
    std::string_view ch = byte_level_char(byte);
    chars.emplace(ch);
    auto back = byte_level_decode(ch);
    ASSERT_TRUE(back.has_value()) << b;
    EXPECT_EQ(*back, std::string(1, static_cast<char>(byte)));
  }
  EXPECT_EQ(chars.size(), 256u);
  EXPECT_EQ(byte_level_char(' '), "\xC4\xA0");   // "Ġ" = U+0120
  EXPECT_EQ(byte_level_char('\n'), "\xC4\x8A");  // "Ċ" = U+010A
  EXPECT_EQ(byte_level_char('a'), "a");
  EXPECT_EQ(byte_level_decode("\xC4\xA0the"), " the");
  EXPECT_FALSE(byte_level_decode("\xE4\xBD\xA0").has_value());  // "你" is not in the alphabet
}

std::string lossy(std::string_view bytes) {
  Utf8Assembler a;
  std::string out;
  a.push(bytes, out);
  a.finish(out);
  return out;
}

TEST(TokenizerUtf8, AssemblerHoldsPartialCharacters) {
  Utf8Assembler a;
  std::string out;
  a.push("a\xF0\x9F", out);  // "a" + half of 👍 (F0 9F 91 8D)
  EXPECT_EQ(out, "a");
  EXPECT_EQ(a.pending().size(), 2u);
  a.push("\x91", out);
  EXPECT_EQ(out, "a");
  a.push("\x8D!", out);
  EXPECT_EQ(out, "a\xF0\x9F\x91\x8D!");
  EXPECT_TRUE(a.pending().empty());
}

TEST(TokenizerUtf8, InvalidBytesBecomeOneReplacementPerMaximalSubpart) {
  // Expected strings are what Python's bytes.decode("utf-8", "replace") gives (same policy as
  // Rust's from_utf8_lossy).
  const std::string R(kReplacementChar);
  EXPECT_EQ(lossy("\xE2\x82"
                  "a"),
            R + "a");
  EXPECT_EQ(lossy("\xF0\x9F\x98\xFF"), R + R);
  EXPECT_EQ(lossy("\xED\xA0\x80"), R + R + R);  // surrogate: ED's range excludes A0
  EXPECT_EQ(lossy("\xC0\xAF"), R + R);          // overlong
  EXPECT_EQ(lossy("\x80x"), R + "x");
  EXPECT_EQ(lossy("\xE4\xBD"), R);                      // cut short at the end of the stream
  EXPECT_EQ(lossy("\xF4\x90\x80\x80"), R + R + R + R);  // above U+10FFFF
}

TEST(TokenizerUtf8, InvalidOffset) {
  EXPECT_EQ(utf8_invalid_offset("plain"), 5u);
  EXPECT_EQ(utf8_invalid_offset("h\xC3\xA9llo"), 6u);
  EXPECT_EQ(utf8_invalid_offset("ab\xC3"), 2u);
  EXPECT_EQ(utf8_invalid_offset("ab\xE0\x80\x80"), 2u);
  EXPECT_EQ(utf8_invalid_offset("\xF0\x9F\x91\x8D"), 4u);
}

// A tokenizer over {a, b, c} whose merges are given in `merges` order.
Tokenizer abc_tokenizer(const std::vector<std::string>& merges, bool ignore_merges = false) {
  nlohmann::json j = {
      {"model",
       {{"type", "BPE"},
        {"vocab",
         {{"a", 0}, {"b", 1}, {"c", 2}, {"ab", 3}, {"bc", 4}, {"abc", 5}, {"bcbc", 6}, {"cb", 7}}},
        {"merges", merges},
        {"ignore_merges", ignore_merges}}}};
  return Tokenizer::from_json(j.dump(), "abc.json");
}

TEST(TokenizerBpe, LowestRankMergesFirst) {
  EXPECT_EQ(abc_tokenizer({"b c", "a b", "a bc"}).encode("abc"), (Ids{5}));     // b+c, then a+bc
  EXPECT_EQ(abc_tokenizer({"a b", "b c", "a bc"}).encode("abc"), (Ids{3, 2}));  // a+b wins; no ab+c
  EXPECT_EQ(abc_tokenizer({"a b", "b c"}).encode("bcbc"), (Ids{4, 4}));
  // Overlapping pairs: whichever merge ranks first takes the shared symbol.
  EXPECT_EQ(abc_tokenizer({"c b", "b c"}).encode("cbc"), (Ids{7, 2}));
  EXPECT_EQ(abc_tokenizer({"b c", "c b"}).encode("cbc"), (Ids{2, 4}));
}

TEST(TokenizerBpe, IgnoreMergesTakesWholeWords) {
  EXPECT_EQ(abc_tokenizer({"b c"}, false).encode("bcbc"), (Ids{4, 4}));
  EXPECT_EQ(abc_tokenizer({"b c"}, true).encode("bcbc"), (Ids{6}));
}

TEST(TokenizerAddedTokens, LeftmostLongestWithStripFlags) {
  std::vector<AddedToken> tokens(3);
  tokens[0] = {10, "<a>", true, false, false, false, false};
  tokens[1] = {11, "<a><b>", true, false, false, false, false};
  tokens[2] = {12, "[x]", false, /*lstrip=*/true, /*rstrip=*/true, false, false};
  AddedTokenMatcher m(tokens);
  std::vector<Segment> seg;
  m.split("q<a><b>r<a>  [x]  s", seg);
  ASSERT_EQ(seg.size(), 6u);
  EXPECT_EQ(seg[0].text, "q");
  EXPECT_EQ(seg[1].id, 11);  // the longer token wins at the same position
  EXPECT_EQ(seg[2].text, "r");
  EXPECT_EQ(seg[3].id, 10);
  EXPECT_EQ(seg[4].id, 12);
  EXPECT_EQ(seg[4].text, "  [x]  ");  // swallowed the spaces on both sides
  EXPECT_EQ(seg[5].text, "s");
  EXPECT_EQ(seg[5].offset, 18u);
}

std::vector<std::string> pieces(const PreTokenizer& pre, std::string_view text, bool first = true) {
  std::vector<std::string> out;
  pre.split(text, first, [&](std::string_view p) { out.emplace_back(p); });
  return out;
}

TEST(TokenizerPreTokenizer, SplitBehavioursMatchHuggingFaceDocs) {
  using V = std::vector<std::string>;
  auto split = [](SplitBehavior b) {
    PreTokenizerStep s;
    s.kind = PreTokenizerStep::Kind::kSplit;
    s.pattern = "-";
    s.literal = true;
    s.behavior = b;
    return PreTokenizer({s});
  };
  const char* text = "the-final--countdown";
  EXPECT_EQ(pieces(split(SplitBehavior::kRemoved), text), (V{"the", "final", "countdown"}));
  EXPECT_EQ(pieces(split(SplitBehavior::kIsolated), text),
            (V{"the", "-", "final", "-", "-", "countdown"}));
  EXPECT_EQ(pieces(split(SplitBehavior::kMergedWithPrevious), text),
            (V{"the-", "final-", "-", "countdown"}));
  EXPECT_EQ(pieces(split(SplitBehavior::kMergedWithNext), text),
            (V{"the", "-final", "-", "-countdown"}));
  EXPECT_EQ(pieces(split(SplitBehavior::kContiguous), text),
            (V{"the", "-", "final", "--", "countdown"}));
}

TEST(TokenizerPreTokenizer, MetaspaceAndByteLevelPrefixSpace) {
  using V = std::vector<std::string>;
  PreTokenizerStep meta;
  meta.kind = PreTokenizerStep::Kind::kMetaspace;
  meta.prepend = PrependScheme::kFirst;
  PreTokenizer m({meta});
  EXPECT_EQ(pieces(m, "Hey friend"), (V{"\xE2\x96\x81Hey",
                                        "\xE2\x96\x81"
                                        "friend"}));
  EXPECT_EQ(pieces(m, "Hey", /*first=*/false), (V{"Hey"}));
  PreTokenizerStep bl;
  bl.kind = PreTokenizerStep::Kind::kByteLevel;
  bl.add_prefix_space = true;
  bl.use_regex = true;
  PreTokenizer b({bl});
  EXPECT_TRUE(b.byte_level());
  EXPECT_EQ(pieces(b, "Hello world's 42!!"), (V{" Hello", " world", "'s", " 42", "!!"}));
}

TEST(TokenizerPreTokenizer, WhitespaceFollowsEcmaScript) {
  // U+FEFF counts as whitespace (as in the transformers.js reference); U+0085 does not.
  Regex space(with_ecmascript_whitespace("\\s+"), false);
  auto matches = [&](std::string_view text) {
    std::vector<std::string> out;
    space.for_each_match(
        text, [&](std::size_t b, std::size_t e) { out.emplace_back(text.substr(b, e - b)); });
    return out;
  };
  EXPECT_EQ(matches("a\xEF\xBB\xBF"
                    "b")
                .size(),
            1u);
  EXPECT_TRUE(matches("a\xC2\x85"
                      "b")
                  .empty());
  EXPECT_EQ(with_ecmascript_whitespace("[^\\s\\p{L}]\\S").find("\\s"), std::string::npos);
  // FEFF splits words in Qwen: " a\uFEFFb" is "a", "\uFEFF", "b"-ish rather than one word.
  const auto& tok = qwen_tokenizer();
  EXPECT_EQ(tok.decode(tok.encode("x\xEF\xBB\xBFy")), "x\xEF\xBB\xBFy");
}

TEST(TokenizerNormalizer, NfcAndSentencepieceSteps) {
  EXPECT_EQ(unicode_normalize("e\xCC\x81", NormalizerStep::Kind::kNfc), "\xC3\xA9");
  EXPECT_EQ(unicode_normalize("\xC3\xA9", NormalizerStep::Kind::kNfd), "e\xCC\x81");
  Normalizer sp({{NormalizerStep::Kind::kPrepend, "\xE2\x96\x81", ""},
                 {NormalizerStep::Kind::kReplace, " ", "\xE2\x96\x81"}});
  std::string scratch;
  EXPECT_EQ(sp.apply("a b", scratch),
            "\xE2\x96\x81"
            "a\xE2\x96\x81"
            "b");
  EXPECT_EQ(sp.apply("", scratch), "");  // Prepend leaves empty text alone
  Normalizer nfc({{NormalizerStep::Kind::kNfc, "", ""}});
  std::string_view ascii = "plain ascii";
  EXPECT_EQ(nfc.apply(ascii, scratch).data(), ascii.data());  // unchanged text is not copied
}

TEST(TokenizerQwen, VocabularyAndSpecialTokens) {
  const auto& tok = qwen_tokenizer();
  EXPECT_EQ(tok.vocab_size(), 151669);
  EXPECT_EQ(tok.token_id("<|im_end|>"), 151645);
  EXPECT_EQ(tok.eos_id(), 151645);  // tokenizer_config: eos <|im_end|>
  EXPECT_EQ(tok.pad_id(), 151643);
  EXPECT_FALSE(tok.bos_id().has_value());
  EXPECT_EQ(tok.token_id("<think>"), 151667);
  EXPECT_TRUE(tok.is_special(151643));
  EXPECT_FALSE(tok.is_special(151667));  // <think> is an added token but not special
  EXPECT_EQ(tok.token(9707), "Hello");
  EXPECT_EQ(tok.token(151644), "<|im_start|>");
  const std::string chat = "<|im_start|>user\nHi<|im_end|>\n<think>x</think>";
  const auto ids = tok.encode(chat);
  EXPECT_EQ(tok.encode(chat, /*add_special_tokens=*/true), ids);  // Qwen adds nothing
  EXPECT_EQ(tok.decode(ids), chat);
  EXPECT_EQ(tok.decode(ids, /*skip_special=*/true), "user\nHi\n<think>x</think>");
  EXPECT_EQ(tok.count_tokens(chat), ids.size());
}

TEST(TokenizerQwen, LongInputsRoundTrip) {
  const auto& tok = qwen_tokenizer();
  // A long whitespace run backtracks through \s+(?!\S) one character at a time.
  const auto n = static_cast<std::size_t>(odma::testing::scaled(200000, 20000));
  std::string spaces(n, ' ');
  spaces += "x";
  EXPECT_EQ(tok.decode(tok.encode(spaces)), spaces);
  std::string word(n / 4, 'a');  // one BPE word of tens of thousands of symbols
  EXPECT_EQ(tok.decode(tok.encode(word)), word);
}

TEST(TokenizerQwen, ThreadsAgreeWithOneThread) {
  const auto& tok = qwen_tokenizer();
  std::vector<std::string> texts;
  for (int i = 0; i < 200; ++i) {
    texts.push_back("Text " + std::to_string(i) + ": naïve café, 日本語 " +
                    std::string(i % 7, ' ') + "<|endoftext|> done." + std::to_string(i * 7919));
  }
  std::vector<Ids> want;
  for (const auto& t : texts) want.push_back(tok.encode(t));
  std::vector<int> bad(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 5; ++round) {
        for (std::size_t i = 0; i < texts.size(); ++i) bad[t] += tok.encode(texts[i]) != want[i];
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(bad, std::vector<int>(4, 0));
}

TEST(TokenizerStories, ByteFallbackAndSpecialTokens) {
  const auto& tok = stories_tokenizer();
  EXPECT_EQ(tok.vocab_size(), 512);
  EXPECT_EQ(tok.bos_id(), 1);
  EXPECT_EQ(tok.eos_id(), 2);
  // "你" (E4 BD A0) is not a piece: after the "▁" word marker come three byte tokens <0xNN>,
  // whose ids are byte + 3.
  const auto ids = tok.encode("你");
  ASSERT_EQ(ids.size(), 4u);
  EXPECT_EQ(tok.token(ids[0]), "\xE2\x96\x81");
  EXPECT_EQ((Ids{ids[1], ids[2], ids[3]}), (Ids{0xE4 + 3, 0xBD + 3, 0xA0 + 3}));
  EXPECT_EQ(tok.token(ids[1]), "<0xE4>");
  EXPECT_EQ(tok.decode(ids), "你");
  // Each stretch between added tokens is normalized on its own: "Hi " -> "▁Hi▁" and " there" ->
  // "▁▁there"; only the very first space of the output is stripped, and not after a kept <s>.
  const auto with_bos = tok.encode("Hi <s> there", true);
  EXPECT_EQ(with_bos.front(), 1);
  EXPECT_EQ(tok.decode(with_bos), "<s> Hi <s>  there");
  EXPECT_EQ(tok.decode(with_bos, /*skip_special=*/true), "Hi   there");
}

}  // namespace
}  // namespace odma::tokenizer

namespace odma::tokenizer {
namespace {

TEST(TokenizerLoad, FilePathFindsConfigBesideIt) {
  auto tok = Tokenizer::load(odma::data_dir() / "models" / "stories260K-hf" / "tokenizer.json");
  EXPECT_EQ(tok.bos_id(), 1);  // from tokenizer_config.json in the same directory
  // data/tokenizer ships tokenizer.json.gz: naming the plain file finds the compressed one.
  EXPECT_NO_THROW((void)Tokenizer::load(odma::data_dir() / "tokenizer" / "tokenizer.json"));
}

TEST(TokenizerLoad, QwenTinyVocabularyRoundTrips) {
  // qwen2-tiny keeps the first 1,022 Qwen2 ids and their merges plus two special tokens.
  auto tiny = Tokenizer::load(odma::data_dir() / "models" / "qwen2-tiny");
  EXPECT_EQ(tiny.vocab_size(), 1024);
  const std::string text = "<|im_start|>The cat sat on the mat, and then it ran off!\n\n  Done.";
  const auto ids = tiny.encode(text);
  for (std::int32_t id : ids) EXPECT_LT(id, 1024);
  EXPECT_EQ(ids.front(), 1022);
  EXPECT_EQ(tiny.decode(ids), text);
  // Where every full-vocabulary token is also in the small one, both give the same ids.
  const auto full = odma::testing::qwen_tokenizer().encode(" the the");
  EXPECT_EQ(tiny.encode(" the the"), full);
}

}  // namespace
}  // namespace odma::tokenizer
