// Prefix blocks: the trace JSONL round trip, the Mooncake loader, block scaling, prompt synthesis
// and the infinite-cache bound (DESIGN.md's 37.4% on the shipped conversation trace).
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <set>

#include "base/args.h"
#include "base/error.h"
#include "workload/prefix_blocks.h"
#include "workload/trace.h"
#include "workload/workload.h"
#include "workload/workload_spec.h"

namespace odma::workload {
namespace {

template <typename Fn>
std::string error_of(Fn&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TraceRequest request(std::string id, std::int32_t prompt, std::vector<std::uint64_t> blocks) {
  TraceRequest r;
  r.id = std::move(id);
  r.prompt_tokens = prompt;
  r.output_tokens = 3;
  r.prefix_blocks = std::move(blocks);
  return r;
}

TEST(PrefixBlocks, TraceJsonlRoundTripsBlocks) {
  Trace t;
  t.name = "blocks";
  t.block_tokens = 4;
  t.requests.push_back(request("a", 10, {7, 8, 9}));
  t.requests.push_back(request("b", 5, {}));  // no block info: stays without
  t.requests.push_back(request("c", 4, {18446744073709551615ULL}));
  t.requests[2].arrival_s = 1.5;
  const auto path = std::filesystem::temp_directory_path() /
                    ("odma_blocks_roundtrip_" + std::to_string(::getpid()) + ".jsonl");
  write_trace(t, path);
  const Trace back = read_trace(path);
  std::filesystem::remove(path);
  EXPECT_EQ(back.block_tokens, 4);
  ASSERT_EQ(back.requests.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(back.requests[i].id, t.requests[i].id);
    EXPECT_EQ(back.requests[i].prompt_tokens, t.requests[i].prompt_tokens);
    EXPECT_EQ(back.requests[i].prefix_blocks, t.requests[i].prefix_blocks);
  }
}

TEST(PrefixBlocks, OlderTracesWithoutBlocksStillLoad) {
  const Trace t =
      parse_trace("{\"id\": \"a\", \"prompt_tokens\": 3, \"output_tokens\": 4, \"arrival_s\": 0}\n",
                  "old.jsonl");
  ASSERT_EQ(t.requests.size(), 1u);
  EXPECT_EQ(t.block_tokens, 0);
  EXPECT_TRUE(t.requests[0].prefix_blocks.empty());
  EXPECT_EQ(format_trace(t).find("prefix_blocks"), std::string::npos);
}

TEST(PrefixBlocks, TraceJsonlRejectsInconsistentBlocks) {
  const std::string ok =
      "{\"id\": \"a\", \"prompt_tokens\": 9, \"output_tokens\": 1, \"block_tokens\": 4, "
      "\"prefix_blocks\": [1, 2, 3]}\n";
  EXPECT_NO_THROW((void)parse_trace(ok, "t.jsonl"));
  // 9 tokens in blocks of 4 need 3 blocks, not 2.
  const std::string count = error_of([&] {
    (void)parse_trace(ok + "{\"id\": \"b\", \"prompt_tokens\": 9, \"output_tokens\": 1, "
                           "\"block_tokens\": 4, \"prefix_blocks\": [1, 2]}\n",
                      "t.jsonl");
  });
  EXPECT_NE(count.find("t.jsonl:2"), std::string::npos) << count;
  EXPECT_NE(count.find("needs 3"), std::string::npos) << count;
  const std::string sizes = error_of([&] {
    (void)parse_trace(ok + "{\"id\": \"b\", \"prompt_tokens\": 9, \"output_tokens\": 1, "
                           "\"block_tokens\": 8, \"prefix_blocks\": [1, 2]}\n",
                      "t.jsonl");
  });
  EXPECT_NE(sizes.find("t.jsonl:2"), std::string::npos) << sizes;
  EXPECT_NE(sizes.find("one block size per trace"), std::string::npos) << sizes;
  const std::string missing = error_of([] {
    (void)parse_trace(
        "{\"id\": \"a\", \"prompt_tokens\": 1, \"output_tokens\": 1, "
        "\"prefix_blocks\": [1]}\n",
        "t.jsonl");
  });
  EXPECT_NE(missing.find("t.jsonl:1: missing field 'block_tokens'"), std::string::npos) << missing;
  const std::string negative = error_of([] {
    (void)parse_trace(
        "{\"id\": \"a\", \"prompt_tokens\": 1, \"output_tokens\": 1, "
        "\"block_tokens\": 4, \"prefix_blocks\": [-1]}\n",
        "t.jsonl");
  });
  EXPECT_NE(negative.find("t.jsonl:1"), std::string::npos) << negative;
  EXPECT_NE(negative.find("non-negative"), std::string::npos) << negative;

  Trace bad;
  bad.name = "bad";
  bad.block_tokens = 4;
  bad.requests.push_back(request("a", 9, {1, 2}));
  EXPECT_THROW(validate_trace(bad), Error);
  bad.block_tokens = 0;
  bad.requests[0].prefix_blocks = {1};
  EXPECT_THROW(validate_trace(bad), Error);
}

TEST(PrefixBlocks, MooncakeLinesBecomeRequests) {
  const Trace t = parse_mooncake_trace(
      "{\"timestamp\": 250, \"input_length\": 513, \"output_length\": 7, \"hash_ids\": [4, 5]}\n"
      "{\"timestamp\": 1500, \"input_length\": 512, \"output_length\": 1, \"hash_ids\": [4]}\n",
      "m.jsonl");
  EXPECT_EQ(t.block_tokens, kMooncakeBlockTokens);
  ASSERT_EQ(t.requests.size(), 2u);
  EXPECT_EQ(t.requests[0].id, "mooncake-conv-0");
  EXPECT_EQ(t.requests[0].prompt_tokens, 513);
  EXPECT_EQ(t.requests[0].output_tokens, 7);
  EXPECT_EQ(t.requests[0].prefix_blocks, (std::vector<std::uint64_t>{4, 5}));
  EXPECT_DOUBLE_EQ(t.requests[0].arrival_s, 0.0);
  EXPECT_DOUBLE_EQ(t.requests[1].arrival_s, 1.25);  // ms, relative to the first row
  EXPECT_NO_THROW(validate_trace(t));
}

TEST(PrefixBlocks, MooncakeBadLinesNameTheLine) {
  const std::string good =
      "{\"timestamp\": 0, \"input_length\": 600, \"output_length\": 2, \"hash_ids\": [0, 1]}\n";
  const auto error = [&](const std::string& line) {
    return error_of([&] { (void)parse_mooncake_trace(good + line, "m.jsonl"); });
  };
  const std::string malformed = error("{\"timestamp\": 1, \"input_length\": \n");
  EXPECT_NE(malformed.find("m.jsonl:2"), std::string::npos) << malformed;
  // 1100 tokens are three 512-token blocks, not two.
  const std::string count = error(
      "{\"timestamp\": 1, \"input_length\": 1100, \"output_length\": 2, \"hash_ids\": [0, 1]}\n");
  EXPECT_NE(count.find("m.jsonl:2"), std::string::npos) << count;
  EXPECT_NE(count.find("hash_ids has 2 blocks"), std::string::npos) << count;
  const std::string zero =
      error("{\"timestamp\": 1, \"input_length\": 0, \"output_length\": 2, \"hash_ids\": []}\n");
  EXPECT_NE(zero.find("m.jsonl:2"), std::string::npos) << zero;
  EXPECT_NE(zero.find("input_length"), std::string::npos) << zero;
  const std::string missing =
      error("{\"timestamp\": 1, \"input_length\": 10, \"output_length\": 2}\n");
  EXPECT_NE(missing.find("m.jsonl:2: missing field 'hash_ids'"), std::string::npos) << missing;
}

TEST(PrefixBlocks, ScalingKeepsBlockCountsAndIds) {
  const Trace full = mooncake_trace();
  for (const std::int32_t b : {1, 7, 16, 64, 100, 511, 512}) {
    const Trace scaled = scale_blocks(full, b);
    EXPECT_EQ(scaled.block_tokens, b);
    ASSERT_EQ(scaled.requests.size(), full.requests.size());
    for (std::size_t i = 0; i < full.requests.size(); ++i) {
      const TraceRequest& r = scaled.requests[i];
      ASSERT_EQ(r.prefix_blocks, full.requests[i].prefix_blocks) << b << " " << r.id;
      ASSERT_EQ(block_count(r.prompt_tokens, b), static_cast<std::int64_t>(r.prefix_blocks.size()))
          << b << " " << r.id << " " << r.prompt_tokens;
      ASSERT_GE(r.output_tokens, 1);
      ASSERT_EQ(r.arrival_s, full.requests[i].arrival_s);
    }
    EXPECT_NO_THROW(validate_trace(scaled));
  }
  const Trace same = scale_blocks(full, 512);
  for (std::size_t i = 0; i < full.requests.size(); ++i) {
    ASSERT_EQ(same.requests[i].prompt_tokens, full.requests[i].prompt_tokens);
    ASSERT_EQ(same.requests[i].output_tokens, full.requests[i].output_tokens);
  }
}

TEST(PrefixBlocks, ScalingRoundsThenClampsIntoTheBlocks) {
  Trace t;
  t.name = "s";
  t.block_tokens = 512;
  t.requests.push_back(request("a", 513, {1, 2}));   // 513·16/512 = 16.03 → 16, one block short
  t.requests.push_back(request("b", 1000, {1, 3}));  // 31.25 → 31
  t.requests.push_back(request("c", 40, {}));        // 1.25 → 1, no blocks to keep
  t.requests[0].output_tokens = 16;                  // 0.5 → 1 (halves round up)
  t.requests[1].output_tokens = 48;                  // 1.5 → 2
  t.requests[2].output_tokens = 1;                   // 0.03 → 0 → at least 1
  const Trace s = scale_blocks(t, 16);
  EXPECT_EQ(s.requests[0].prompt_tokens, 17);
  EXPECT_EQ(s.requests[1].prompt_tokens, 31);
  EXPECT_EQ(s.requests[2].prompt_tokens, 1);
  EXPECT_EQ(s.requests[0].output_tokens, 1);
  EXPECT_EQ(s.requests[1].output_tokens, 2);
  EXPECT_EQ(s.requests[2].output_tokens, 1);
  EXPECT_THROW((void)scale_blocks(t, 0), Error);
  EXPECT_THROW((void)scale_blocks(t, 513), Error);
  t.block_tokens = 0;
  EXPECT_THROW((void)scale_blocks(t, 16), Error);
}

TEST(PrefixBlocks, SynthesisIsDeterministicAndFollowsBlockIds) {
  const std::int32_t lo = 3, hi = 1000, b = 16;
  const auto a = synthesize_prompt({1, 2, 3}, 40, b, lo, hi);
  EXPECT_EQ(a, synthesize_prompt({1, 2, 3}, 40, b, lo, hi));
  ASSERT_EQ(a.size(), 40u);
  for (std::int32_t id : a) {
    EXPECT_GE(id, lo);
    EXPECT_LT(id, hi);
  }
  // Shared leading blocks give the same tokens; the third block differs.
  const auto c = synthesize_prompt({1, 2, 9}, 48, b, lo, hi);
  EXPECT_TRUE(std::equal(a.begin(), a.begin() + 32, c.begin()));
  EXPECT_NE(std::vector<std::int32_t>(a.begin() + 32, a.end()),
            std::vector<std::int32_t>(c.begin() + 32, c.begin() + 40));
  // A partial last block is the start of that block's full ids, wherever it appears.
  const auto full3 = synthesize_prompt({3}, 16, b, lo, hi);
  EXPECT_TRUE(std::equal(a.begin() + 32, a.end(), full3.begin()));
  // A block id means the same tokens at any position in a prompt.
  const auto moved = synthesize_prompt({7, 1}, 32, b, lo, hi);
  EXPECT_TRUE(std::equal(a.begin(), a.begin() + 16, moved.begin() + 16));
  // Different ids give different blocks.
  std::set<std::vector<std::int32_t>> blocks;
  for (std::uint64_t id = 0; id < 1000; ++id) blocks.insert(synthesize_prompt({id}, b, b, lo, hi));
  EXPECT_EQ(blocks.size(), 1000u);
  EXPECT_THROW((void)synthesize_prompt({1, 2}, 40, b, lo, hi), Error);  // 40 tokens = 3 blocks
  EXPECT_THROW((void)synthesize_prompt({1}, 16, b, 5, 5), Error);
}

TEST(PrefixBlocks, BoundCountsOnlyUnbrokenChains) {
  Trace t;
  t.name = "bound";
  t.block_tokens = 4;
  t.requests.push_back(request("r0", 10, {1, 2, 3}));  // all new; block 3 is 2 tokens
  t.requests.push_back(request("r1", 9, {1, 2, 7}));   // 1, 2 hit (8 tokens); 7 new
  t.requests.push_back(request("r2", 6, {1, 3}));      // 1 hits (4); 3 hits at its 2 real tokens
  t.requests.push_back(request("r3", 8, {5, 2}));      // 5 new, so 2 does not count
  t.requests.push_back(request("r4", 4, {}));          // no blocks: prompt tokens, no reuse
  t.requests.push_back(request("r5", 12, {6, 6, 1}));  // 6 repeats within one request: no hit
  const PrefixReuse reuse = infinite_cache_bound(t);
  EXPECT_EQ(reuse.prompt_tokens, 10 + 9 + 6 + 8 + 4 + 12);
  EXPECT_EQ(reuse.reusable_tokens, 8 + 4 + 2);
  EXPECT_DOUBLE_EQ(reuse.fraction(), 14.0 / 49.0);
  EXPECT_DOUBLE_EQ(infinite_cache_bound(Trace{}).fraction(), 0.0);
}

TEST(PrefixBlocks, ShippedConversationTraceMatchesDesign) {
  const Trace t = mooncake_trace();
  EXPECT_EQ(t.requests.size(), 12031u);
  EXPECT_NO_THROW(validate_trace(t));
  // DESIGN.md: 37.4% of prompt tokens reusable with an infinite cache.
  EXPECT_NEAR(infinite_cache_bound(t).fraction(), 0.374, 0.0005);
}

TEST(PrefixBlocks, WorkloadFlagsSelectAndScaleTheTrace) {
  const auto spec_of = [](const std::vector<std::string>& argv) {
    return workload_spec_from_args(Args(argv));
  };
  const Trace t = build_workload(
      spec_of({"--dataset", "mooncake-conv", "--block-tokens", "16", "--limit", "50"}));
  EXPECT_EQ(t.requests.size(), 50u);
  EXPECT_EQ(t.block_tokens, 16);
  for (const TraceRequest& r : t.requests)
    EXPECT_EQ(block_count(r.prompt_tokens, 16), static_cast<std::int64_t>(r.prefix_blocks.size()));
  EXPECT_EQ(build_workload(spec_of({"--dataset", "mooncake-conv", "--limit", "1"})).block_tokens,
            512);
  EXPECT_THROW((void)build_workload(spec_of({"--dataset", "nq", "--block-tokens", "16"})), Error);
  // A mixture carries the block size of its block source.
  const Trace mix = build_workload(spec_of({"--mix", "mooncake-conv,nq", "--count", "20"}));
  EXPECT_EQ(mix.block_tokens, 512);
  EXPECT_NO_THROW(validate_trace(mix));
}

}  // namespace
}  // namespace odma::workload
