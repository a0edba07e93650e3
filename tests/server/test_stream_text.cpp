// Stop-string hold-back: examples first, then the invariants on thousands of seeded random cases.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "base/error.h"
#include "server/stream_text.h"
#include "server/utf8.h"

namespace odma::server {
namespace {

using Strings = std::vector<std::string>;

TEST(StreamText, WithoutStopStringsEverythingIsSentAtOnce) {
  StreamTextEmitter e({});
  EXPECT_EQ(e.next("Hel"), "Hel");
  EXPECT_EQ(e.next("Hello"), "lo");
  EXPECT_EQ(e.finish("Hello"), "");
}

TEST(StreamText, APrefixOfAStopStringIsHeld) {
  StreamTextEmitter e({"<end>"});
  EXPECT_EQ(e.next("Hello <"), "Hello ");
  EXPECT_EQ(e.next("Hello <en"), "");
  EXPECT_EQ(e.sent(), 6u);
}

TEST(StreamText, AHeldPrefixThatStopsMatchingIsSent) {
  StreamTextEmitter e({"<end>"});
  EXPECT_EQ(e.next("a <e"), "a ");
  EXPECT_EQ(e.next("a <ex"), "<ex");
}

TEST(StreamText, TheStopStringAndWhatFollowsAreNeverSent) {
  StreamTextEmitter e({"<end>"});
  EXPECT_EQ(e.next("Hello <en"), "Hello ");
  EXPECT_EQ(e.next("Hello <end> more"), "");
  EXPECT_TRUE(e.stopped());
  EXPECT_EQ(e.next("Hello <end> more and more"), "");
  EXPECT_EQ(e.finish("Hello <end> more and more"), "");
}

TEST(StreamText, TextBeforeAStopStringInOneStepIsSent) {
  StreamTextEmitter e({"STOP"});
  EXPECT_EQ(e.next("abcSTOPdef"), "abc");
  EXPECT_TRUE(e.stopped());
}

TEST(StreamText, TextTheEngineCutIsFinishedWithoutTheHeldPrefix) {
  // The engine found "<end>" and cut its text to "Hello ": the held "<en" is never sent.
  StreamTextEmitter e({"<end>"});
  EXPECT_EQ(e.next("Hello <en"), "Hello ");
  EXPECT_EQ(e.finish("Hello "), "");
}

TEST(StreamText, FinishFlushesAHeldPrefixThatNeverCompleted) {
  StreamTextEmitter e({"<end>"});
  EXPECT_EQ(e.next("a <"), "a ");
  EXPECT_EQ(e.finish("a <"), "<");
}

TEST(StreamText, TheFirstStopStringToCompleteWinsAsInTheEngine) {
  StreamTextEmitter e({"xab", "a"});
  EXPECT_EQ(e.next("zx"), "z");   // "x" may begin "xab"
  EXPECT_EQ(e.next("zxa"), "x");  // "a" completes first; "xab" would start earlier, but later
  EXPECT_TRUE(e.stopped());
}

TEST(StreamText, TheLeftmostOfStopStringsCompletedTogetherWins) {
  StreamTextEmitter e({"cd", "bcde"});
  EXPECT_EQ(e.next("abcdef"), "a");
}

TEST(StreamText, TheLongestHeldPrefixOverAllStopStringsIsHeld) {
  StreamTextEmitter e({"xy", "abcd"});
  EXPECT_EQ(e.next("zzabc"), "zz");  // "abc" could become "abcd"; "c" alone would not be enough
}

TEST(StreamText, AStopStringCanEndInsideALaterDelta) {
  StreamTextEmitter e({"ab"});
  EXPECT_EQ(e.next("xa"), "x");
  EXPECT_EQ(e.next("xab"), "");
  EXPECT_TRUE(e.stopped());
}

TEST(StreamText, AnUnfinishedCharacterIsHeld) {
  StreamTextEmitter e({});
  EXPECT_EQ(e.next("a\xE2\x82"), "a");
  EXPECT_EQ(e.next("a\xE2\x82\xAC"), "\xE2\x82\xAC");
}

TEST(StreamText, AMultiByteStopPrefixIsHeldWhole) {
  StreamTextEmitter e({"\xE2\x82\xAC\xE2\x82\xAC"});  // "€€"
  EXPECT_EQ(e.next("x\xE2\x82\xAC"), "x");
  EXPECT_EQ(e.next("x\xE2\x82\xAC"
                   "y"),
            "\xE2\x82\xAC"
            "y");
}

TEST(StreamText, ATextShorterThanWhatWasSentIsAnError) {
  StreamTextEmitter e({});
  EXPECT_EQ(e.next("abc"), "abc");
  EXPECT_THROW((void)e.next("ab"), Error);
}

TEST(StreamText, NextAfterFinishIsAnError) {
  StreamTextEmitter e({});
  EXPECT_EQ(e.finish("a"), "a");
  EXPECT_THROW((void)e.next("a"), Error);
}

TEST(StreamText, FinishingTwiceIsAnError) {
  StreamTextEmitter e({});
  EXPECT_EQ(e.finish("a"), "a");
  EXPECT_THROW((void)e.finish("a"), Error);
}

TEST(StreamText, AnEmptyStopStringIsAnError) {
  EXPECT_THROW(StreamTextEmitter({"a", ""}), Error);
}

// --- Properties ---------------------------------------------------------------------------

// Characters of 1 to 4 bytes over a small alphabet, so stop strings occur often.
const Strings kAlphabet = {"a", "b", "<", "\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80"};

std::string random_text(std::mt19937& rng, std::size_t max_chars, std::vector<std::size_t>* ends) {
  std::string s;
  const std::size_t n = rng() % (max_chars + 1);
  for (std::size_t i = 0; i < n; ++i) {
    s += kAlphabet[rng() % kAlphabet.size()];
    if (ends != nullptr) ends->push_back(s.size());
  }
  return s;
}

// t up to the leftmost occurrence of any stop string in it.
std::string cut(const std::string& t, const Strings& stops) {
  std::size_t at = std::string::npos;
  for (const std::string& s : stops) at = std::min(at, t.find(s));
  return at == std::string::npos ? t : t.substr(0, at);
}

bool contains_stop(const std::string& s, const Strings& stops) {
  return std::any_of(stops.begin(), stops.end(),
                     [&](const std::string& x) { return s.find(x) != std::string::npos; });
}

// What may be sent of t, by brute force: all of it but the longest suffix that is a proper prefix
// of a stop string (t contains no stop string here, and ends on a character boundary).
std::size_t safe_length(const std::string& t, const Strings& stops) {
  for (std::size_t start = 0; start < t.size(); ++start) {
    const std::string suffix = t.substr(start);
    for (const std::string& s : stops) {
      if (suffix.size() < s.size() && s.compare(0, suffix.size(), suffix) == 0) return start;
    }
  }
  return t.size();
}

struct Case {
  Strings stops;
  std::string text;                // the text the model would produce without stop strings
  std::vector<std::size_t> steps;  // the lengths the text grows through (the last is text.size())
};

Case random_case(std::mt19937& rng, bool whole_characters) {
  Case c;
  const std::size_t n_stops = rng() % 4;  // 0..3
  for (std::size_t i = 0; i < n_stops; ++i) {
    std::string s;
    while (s.empty()) s = random_text(rng, 3, nullptr);
    c.stops.push_back(s);
  }
  std::vector<std::size_t> ends;
  c.text = random_text(rng, 24, &ends);
  if (whole_characters) {  // the engine's text grows by 1..3 whole characters per token
    for (std::size_t i = 0; i < ends.size();) {
      i = std::min(ends.size(), i + 1 + rng() % 3);
      c.steps.push_back(ends[i - 1]);
    }
  } else {  // any byte boundary, to check that no delta splits a character
    for (std::size_t len = 0; len < c.text.size();) {
      len = std::min(c.text.size(), len + 1 + rng() % 3);
      c.steps.push_back(len);
    }
  }
  if (c.steps.empty()) c.steps.push_back(0);
  return c;
}

// The non-streamed text, as StopCriteria makes it: after each step it looks for stop strings and
// cuts before the leftmost one, so the first stop string to complete wins (not the leftmost in
// the whole text: with stops "xab" and "a", the text "xab" ends as "x", since "a" completes first).
std::string engine_text(const Case& c) {
  for (std::size_t len : c.steps) {
    const std::string t = c.text.substr(0, len);
    if (const std::string cut_t = cut(t, c.stops); cut_t.size() < t.size()) return cut_t;
  }
  return c.text;
}

// Streams `c`; `engine_cuts` feeds the text as StopCriteria has it (cut at a match, then final).
void check_case(const Case& c, bool engine_cuts, int trial) {
  SCOPED_TRACE(::testing::Message() << "trial " << trial);
  const std::string expected = engine_text(c);
  StreamTextEmitter e(c.stops);
  std::string sent;
  std::string last;
  const auto add = [&](const std::string& delta) {
    ASSERT_FALSE(contains_stop(delta, c.stops)) << delta;
    ASSERT_TRUE(is_valid_utf8(delta)) << delta;
    sent += delta;
    ASSERT_EQ(expected.compare(0, sent.size(), sent), 0) << "sent more than the final text";
  };
  for (std::size_t len : c.steps) {
    last = c.text.substr(0, len);
    const bool matched = cut(last, c.stops).size() < last.size();
    if (engine_cuts && matched) {
      last = cut(last, c.stops);  // the engine stops here
      break;
    }
    add(e.next(last));
    if (e.stopped()) break;
    if (incomplete_utf8_tail(last) == 0) {
      // Nothing is held that could not still become a stop string.
      ASSERT_EQ(e.sent(), safe_length(last, c.stops)) << last;
    }
  }
  add(e.finish(last));
  EXPECT_EQ(sent, expected);
}

TEST(StreamTextProperty, DeltasConcatenateToTheCutTextWhenTheEmitterFindsTheStop) {
  std::mt19937 rng(20240601);
  for (int trial = 0; trial < 4000; ++trial) check_case(random_case(rng, true), false, trial);
}

TEST(StreamTextProperty, DeltasConcatenateToTheCutTextWhenTheEngineCutsIt) {
  std::mt19937 rng(11);
  for (int trial = 0; trial < 4000; ++trial) check_case(random_case(rng, true), true, trial);
}

TEST(StreamTextProperty, NoDeltaSplitsACharacterWhenTextGrowsByBytes) {
  std::mt19937 rng(5);
  for (int trial = 0; trial < 4000; ++trial) check_case(random_case(rng, false), false, trial);
}

}  // namespace
}  // namespace odma::server
