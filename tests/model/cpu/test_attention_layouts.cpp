// Attention kernels: contiguous and paged agree bit for bit and match a plain double-precision
// reference, for chained extents, random block placement, GQA and causal prefill.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "base/error.h"
#include "model/cpu/attention.h"
#include "model/cpu/cpu_kernels.h"
#include "test_scale.h"

namespace odma::model::cpu {
namespace {

constexpr int kLayers = 2, kKvHeads = 2;
// Varied by the first test to reach every kernel path: head_dim 32 (generic), 64 and 128 (AVX-512);
// GQA groups 1..9 (register-resident V for small groups, chunked V and generic scores for large).
int kHeadDim = 32;
int kHeads = 6;  // group of 3

void fill_random(KvStorage& st, std::mt19937& rng) {
  std::normal_distribution<float> n(0.0f, 1.0f);
  for (int l = 0; l < kLayers; ++l)
    for (int kv = 0; kv < 2; ++kv)
      for (int h = 0; h < kKvHeads; ++h) {
        float* p = st.plane(l, kv, h);
        for (std::int64_t i = 0; i < st.capacity() * kHeadDim; ++i) p[i] = n(rng);
      }
}

// out for one query token at position t (sees [0, t]), all heads, in double.
std::vector<double> reference(const KvStorage& st, int layer, const SeqKv& kv, int t,
                              const float* q) {
  std::vector<double> out(kHeads * kHeadDim, 0.0);
  const int group = kHeads / kKvHeads;
  for (int h = 0; h < kHeads; ++h) {
    const float* kp = st.plane(layer, 0, h / group);
    const float* vp = st.plane(layer, 1, h / group);
    std::vector<double> s(static_cast<std::size_t>(t + 1));
    for (int p = 0; p <= t; ++p) {
      double d = 0;
      for (int i = 0; i < kHeadDim; ++i)
        d += double{q[h * kHeadDim + i]} * kp[kv.slot(p) * kHeadDim + i];
      s[p] = d / std::sqrt(static_cast<double>(kHeadDim));
    }
    const double m = *std::max_element(s.begin(), s.end());
    double sum = 0;
    for (auto& x : s) sum += (x = std::exp(x - m));
    for (int p = 0; p <= t; ++p)
      for (int i = 0; i < kHeadDim; ++i)
        out[h * kHeadDim + i] += s[p] / sum * vp[kv.slot(p) * kHeadDim + i];
  }
  return out;
}

// A random block table over [base, capacity) for `len` positions with `bt`-slot blocks.
SeqKv random_blocks(std::int64_t base, std::int64_t capacity, int len, int bt, std::mt19937& rng) {
  std::vector<std::int64_t> free(static_cast<std::size_t>((capacity - base) / bt));
  std::iota(free.begin(), free.end(), 0);
  std::shuffle(free.begin(), free.end(), rng);
  std::vector<std::int64_t> table;
  for (int p = 0; p < len; p += bt) table.push_back(base + free[table.size()] * bt);
  return SeqKv::paged(table, bt);
}

TEST(AttentionLayouts, ContiguousEqualsPagedBitwiseAndMatchesReference) {
  for (int hd : {32, 64, 128})
    for (int group : {1, 3, 4, 7, 9}) {
      kHeadDim = hd;
      kHeads = group * kKvHeads;
      std::mt19937 rng(7);
      KvStorage st(kLayers, kKvHeads, kHeadDim, 4096);
      fill_random(st, rng);
      ThreadPool pool(2);
      std::normal_distribution<float> n(0.0f, 1.0f);
      const int rounds = static_cast<int>(odma::testing::scaled(12, 3));
      for (int r = 0; r < rounds; ++r) {
        const int ctx = 1 + static_cast<int>(rng() % 300);
        // Contiguous: the context split over up to three chained extents at random offsets.
        const int cut1 = static_cast<int>(rng() % (ctx + 1)),
                  cut2 = cut1 + static_cast<int>(rng() % (ctx - cut1 + 1));
        std::vector<kv::Extent> ext;
        std::int64_t at = static_cast<std::int64_t>(rng() % 500);
        for (auto len : {cut1, cut2 - cut1, ctx - cut2 + 7}) {
          if (len == 0) continue;
          ext.push_back({at, len});
          at += len + static_cast<std::int64_t>(rng() % 100);
        }
        const SeqKv contiguous = SeqKv::contiguous(ext);
        const int bt = std::vector<int>{1, 16, 5}[r % 3];
        const SeqKv paged =
            random_blocks(1024, st.capacity(), ctx + 7, bt, rng);  // extents stay below 1024
        // Same K/V content at both placements, then one decode token at position ctx - 1.
        for (int l = 0; l < kLayers; ++l)
          for (int kv = 0; kv < 2; ++kv)
            for (int h = 0; h < kKvHeads; ++h)
              for (int p = 0; p < ctx; ++p)
                std::copy_n(st.plane(l, kv, h) + contiguous.slot(p) * kHeadDim, kHeadDim,
                            st.plane(l, kv, h) + paged.slot(p) * kHeadDim);
        std::vector<float> q(kHeads * kHeadDim), out_c(q.size()), out_p(q.size());
        for (auto& x : q) x = n(rng);
        const int layer = r % kLayers;
        attention(st, layer, kHeads,
                  std::vector<AttentionItem>{{q.data(), out_c.data(), 1, ctx - 1, &contiguous}},
                  pool);
        attention(st, layer, kHeads,
                  std::vector<AttentionItem>{{q.data(), out_p.data(), 1, ctx - 1, &paged}}, pool);
        ASSERT_EQ(out_c, out_p) << "ctx " << ctx << " block " << bt << " head_dim " << hd
                                << " group " << group;
        auto want = reference(st, layer, contiguous, ctx - 1, q.data());
        for (std::size_t i = 0; i < want.size(); ++i) ASSERT_NEAR(out_c[i], want[i], 1e-4) << i;
      }
    }
  kHeadDim = 32;
  kHeads = 6;
}

TEST(AttentionLayouts, CausalPrefillBatchMatchesPerTokenReference) {
  std::mt19937 rng(11);
  KvStorage st(kLayers, kKvHeads, kHeadDim, 1024);
  fill_random(st, rng);
  ThreadPool pool(3);
  std::normal_distribution<float> n(0.0f, 1.0f);
  // Two sequences: a 9-token chunk starting at position 20, and a 1-token decode at position 50.
  const SeqKv a = SeqKv::contiguous({{100, 64}});
  const SeqKv b = random_blocks(0, st.capacity(), 64, 16, rng);
  std::vector<float> qa(9 * kHeads * kHeadDim), qb(kHeads * kHeadDim);
  for (auto& x : qa) x = n(rng);
  for (auto& x : qb) x = n(rng);
  std::vector<float> oa(qa.size()), ob(qb.size());
  attention(st, 1, kHeads,
            std::vector<AttentionItem>{{qa.data(), oa.data(), 9, 20, &a},
                                       {qb.data(), ob.data(), 1, 50, &b}},
            pool);
  for (int i = 0; i < 9; ++i) {
    auto want = reference(st, 1, a, 20 + i, qa.data() + i * kHeads * kHeadDim);
    for (int j = 0; j < kHeads * kHeadDim; ++j)
      ASSERT_NEAR(oa[i * kHeads * kHeadDim + j], want[j], 1e-4);
  }
  auto want = reference(st, 1, b, 50, qb.data());
  for (int j = 0; j < kHeads * kHeadDim; ++j) ASSERT_NEAR(ob[j], want[j], 1e-4);
}

TEST(AttentionLayouts, PositionsBeyondCapacityAreRejected) {
  KvStorage st(kLayers, kKvHeads, kHeadDim, 64);
  ThreadPool pool(1);
  const SeqKv kv = SeqKv::contiguous({{0, 16}});
  std::vector<float> q(kHeads * kHeadDim), out(q.size());
  EXPECT_THROW(attention(st, 0, kHeads,
                         std::vector<AttentionItem>{{q.data(), out.data(), 1, 16, &kv}}, pool),
               Error);
}

TEST(CpuKernels, CopyKvMovesEveryPlaneWithMemmoveSemantics) {
  ThreadPool pool(1);
  const CpuKernels kernels(pool);
  KvStorage st(2, 2, 16, 256);
  for (int l = 0; l < 2; ++l)
    for (int kv = 0; kv < 2; ++kv)
      for (int h = 0; h < 2; ++h)
        for (int s = 0; s < 256 * 16; ++s)
          st.plane(l, kv, h)[s] = static_cast<float>(s + 10000 * (l * 4 + kv * 2 + h));
  // Overlapping forward move of slots [10, 50) to [30, 70), then a disjoint one.
  kernels.copy_kv(st, std::vector<kv::CopyOp>{{10, 30, 40}, {200, 100, 8}});
  for (int l = 0; l < 2; ++l)
    for (int kv = 0; kv < 2; ++kv)
      for (int h = 0; h < 2; ++h) {
        const float* p = st.plane(l, kv, h);
        const float base = static_cast<float>(10000 * (l * 4 + kv * 2 + h));
        EXPECT_EQ(p[30 * 16], base + 10 * 16);
        EXPECT_EQ(p[69 * 16 + 15], base + 49 * 16 + 15);
        EXPECT_EQ(p[100 * 16 + 3], base + 200 * 16 + 3);
        EXPECT_EQ(p[9 * 16], base + 9 * 16);  // untouched
      }
  // A bad op anywhere in the list is refused before anything moves.
  const float before = st.plane(0, 0, 0)[0];
  EXPECT_THROW(kernels.copy_kv(st, std::vector<kv::CopyOp>{{0, 16, 4}, {250, 0, 10}}), Error);
  EXPECT_THROW(kernels.copy_kv(st, std::vector<kv::CopyOp>{{0, -1, 1}}), Error);
  EXPECT_EQ(st.plane(0, 0, 0)[16 * 16], 16.0f * 16);  // the valid first op did not run
  EXPECT_EQ(st.plane(0, 0, 0)[0], before);
}

TEST(CpuKernels, StoreKvWritesEachTokensHeadsToItsSlotInEveryPlane) {
  ThreadPool pool(1);
  const CpuKernels kernels(pool);
  KvStorage st(2, 2, 16, 64);
  const int row = 2 * 16;  // kv_heads × head_dim
  std::vector<float> k(3 * row), v(3 * row);
  for (int i = 0; i < 3 * row; ++i) {
    k[i] = static_cast<float>(i);
    v[i] = static_cast<float>(-i);
  }
  const std::vector<std::int64_t> slots = {5, 40, 6};
  kernels.store_kv(st, 1, k.data(), v.data(), slots);
  for (int t = 0; t < 3; ++t)
    for (int h = 0; h < 2; ++h)
      for (int d = 0; d < 16; ++d) {
        const std::size_t at = static_cast<std::size_t>(slots[t]) * 16 + d;
        EXPECT_EQ(st.plane(1, 0, h)[at], k[t * row + h * 16 + d]);
        EXPECT_EQ(st.plane(1, 1, h)[at], v[t * row + h * 16 + d]);
        EXPECT_EQ(st.plane(0, 0, h)[at], 0.0f);  // other layers untouched
      }
}

TEST(SeqKv, SlotMapsPositionsThroughExtentsAndBlocks) {
  const SeqKv c = SeqKv::contiguous({{100, 16}, {32, 16}});
  EXPECT_EQ(c.capacity(), 32);
  EXPECT_EQ(c.slot(0), 100);
  EXPECT_EQ(c.slot(15), 115);
  EXPECT_EQ(c.slot(16), 32);
  EXPECT_EQ(c.slot(31), 47);
  const SeqKv p = SeqKv::paged({64, 0, 320}, 16);
  EXPECT_EQ(p.capacity(), 48);
  EXPECT_EQ(p.slot(17), 1);
  EXPECT_EQ(p.slot(47), 335);
  EXPECT_THROW(SeqKv::paged({0}, 0), Error);
}

}  // namespace
}  // namespace odma::model::cpu
