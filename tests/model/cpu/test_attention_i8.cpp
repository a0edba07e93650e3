// INT8 K/V: the row quantizer's stated properties; decode attention where every kernel equals the
// scalar reference bit for bit (integer dots, one order for every float sum), contiguous == any
// split into runs bit for bit, and the reference within a bound derived from q's quantization of
// exact attention over the dequantized K/V; the arena's scale planes through store and copy.
#include "model/cpu/attention_i8.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "base/error.h"
#include "cpu_test_util.h"
#include "model/cpu/cpu_kernels.h"
#include "model/cpu/kv_i8.h"
#include "model/kv_storage.h"

namespace odma::model::cpu {
namespace {

using test::random_runs;

constexpr Int8Kernel kAll[] = {Int8Kernel::kScalar, Int8Kernel::kAvx2, Int8Kernel::kAvx512Vnni};

std::vector<Int8Kernel> available() {
  std::vector<Int8Kernel> out;
  for (Int8Kernel k : kAll)
    if (int8_kernel_supported(k)) out.push_back(k);
  return out;
}

TEST(KvI8, QuantizeRowKeepsItsStatedBounds) {
  std::mt19937 rng(1);
  for (int n : {1, 7, 64, 128}) {
    const auto x = test::random_floats(static_cast<std::size_t>(n), rng, 3.0f);
    std::vector<std::int8_t> q(static_cast<std::size_t>(n));
    const float scale = quantize_kv_row(x.data(), n, q.data());
    float amax = 0;
    for (float v : x) amax = std::max(amax, std::abs(v));
    EXPECT_EQ(scale, amax / 127.0f);
    bool hit = false;
    for (int d = 0; d < n; ++d) {
      EXPECT_GE(q[d], -127);
      EXPECT_LE(std::abs(q[d] * scale - x[d]), scale * 0.5f * (1 + 1e-5f)) << n << " " << d;
      hit |= std::abs(q[d]) == 127;
    }
    EXPECT_TRUE(hit) << "the largest value maps to ±127";
  }
  std::vector<float> zero(16, 0.0f);
  std::vector<std::int8_t> q(16, 5);
  EXPECT_EQ(quantize_kv_row(zero.data(), 16, q.data()), 0.0f);
  EXPECT_TRUE(std::all_of(q.begin(), q.end(), [](std::int8_t v) { return v == 0; }));
}

// Planes of `cap` slots of quantized random rows (and the F32 rows they came from).
struct Planes {
  int hd, cap;
  std::vector<std::int8_t> k, v;
  std::vector<float> ks, vs;
};

Planes make_planes(int hd, int cap, std::mt19937& rng) {
  Planes p{hd, cap, {}, {}, {}, {}};
  const std::size_t n = static_cast<std::size_t>(cap) * hd;
  p.k.resize(n);
  p.v.resize(n);
  p.ks.resize(static_cast<std::size_t>(cap));
  p.vs.resize(static_cast<std::size_t>(cap));
  const auto kf = test::random_floats(n, rng, 2.0f), vf = test::random_floats(n, rng);
  store_kv_i8(p.k.data(), p.ks.data(), hd, 0, kf.data(), cap, static_cast<std::size_t>(hd));
  store_kv_i8(p.v.data(), p.vs.data(), hd, 0, vf.data(), cap, static_cast<std::size_t>(hd));
  return p;
}

std::vector<float> run(const Planes& p, int group, const std::vector<KvRun>& runs,
                       const std::vector<float>& q, Int8Kernel kernel) {
  std::vector<float> out(static_cast<std::size_t>(group) * p.hd, -1.0f);
  attend_i8(p.k.data(), p.ks.data(), p.v.data(), p.vs.data(), p.hd, group, runs.data(),
            static_cast<int>(runs.size()), q.data(), out.data(), kernel);
  return out;
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

TEST(AttentionI8, EveryKernelEqualsTheScalarReferenceBitForBit) {
  std::mt19937 rng(2);
  for (int hd : {16, 32, 64, 80, 128, 256, 24}) {  // 24: the SIMD kernels fall back to scalar
    const int cap = 700;
    const Planes p = make_planes(hd, cap, rng);
    for (int group : {1, 2, 3, 7, 8, 12}) {
      for (int ctx : {1, 5, 16, 17, 63, 64, 65, 300}) {
        const auto q = test::random_floats(static_cast<std::size_t>(group) * hd, rng);
        const auto runs = random_runs(ctx, cap, ctx % 2 == 0 ? 9 : 0, rng);
        const auto ref = run(p, group, runs, q, Int8Kernel::kScalar);
        for (Int8Kernel k : available())
          EXPECT_TRUE(same_bits(run(p, group, runs, q, k), ref))
              << int8_kernel_name(k) << " hd " << hd << " group " << group << " ctx " << ctx;
      }
    }
  }
}

TEST(AttentionI8, ContiguousEqualsEverySplitIntoRunsBitForBit) {
  std::mt19937 rng(3);
  const int hd = 64, cap = 2048, group = 7;
  for (Int8Kernel k : available()) {
    for (int ctx : {3, 100, 513}) {
      // One logical sequence: first as one run, then copied into random runs of 1..16 slots.
      Planes a = make_planes(hd, cap, rng);
      Planes b = a;
      const auto one = random_runs(ctx, cap, 0, rng);
      const auto split = random_runs(ctx, cap, 16, rng);
      std::vector<std::int64_t> from, to;
      for (const KvRun& r : one)
        for (int i = 0; i < r.n; ++i) from.push_back(r.slot + i);
      for (const KvRun& r : split)
        for (int i = 0; i < r.n; ++i) to.push_back(r.slot + i);
      for (std::size_t i = 0; i < from.size(); ++i) {
        const auto f = static_cast<std::size_t>(from[i]), t = static_cast<std::size_t>(to[i]);
        std::copy_n(a.k.begin() + f * hd, hd, b.k.begin() + t * hd);
        std::copy_n(a.v.begin() + f * hd, hd, b.v.begin() + t * hd);
        b.ks[t] = a.ks[f];
        b.vs[t] = a.vs[f];
      }
      const auto q = test::random_floats(static_cast<std::size_t>(group) * hd, rng);
      EXPECT_TRUE(same_bits(run(a, group, one, q, k), run(b, group, split, q, k)))
          << int8_kernel_name(k) << " ctx " << ctx;
    }
  }
}

// The reference against exact attention (F64) of the unquantized q over the dequantized K/V. q's
// quantization moves each score by at most ε_p = (sq / 2) · Σ_d |K̂[p][d]| / √hd; weights then move
// by a factor within e^{±2 max ε}, so |out − exact| ≤ max|V̂| · (e^{2 max ε} − 1); the 16-bit
// weights add at most half a step each, σ_c / 2 = max_{p∈c} w'_p / 65534 times |V8| ≤ 127 per
// position of chunk c; plus F32 rounding (stated as 1e-4 · max|V̂|).
TEST(AttentionI8, ReferenceIsWithinTheBoundOfQuantizingQ) {
  std::mt19937 rng(4);
  for (int hd : {32, 128}) {
    const int cap = 400;
    const Planes p = make_planes(hd, cap, rng);
    for (int ctx : {1, 40, 400}) {
      const int group = 4;
      const auto q = test::random_floats(static_cast<std::size_t>(group) * hd, rng, 0.5f);
      const std::vector<KvRun> runs{{0, ctx}};
      const auto got = run(p, group, runs, q, Int8Kernel::kScalar);
      double vmax = 0;
      for (int s = 0; s < ctx; ++s)
        for (int d = 0; d < hd; ++d)
          vmax = std::max(vmax, std::abs(static_cast<double>(p.v[s * hd + d]) * p.vs[s]));
      for (int g = 0; g < group; ++g) {
        const float* qg = q.data() + g * hd;
        double amax = 0;
        for (int d = 0; d < hd; ++d) amax = std::max(amax, std::abs(double{qg[d]}));
        const double sq = amax / 127;
        std::vector<double> s(static_cast<std::size_t>(ctx));
        double eps = 0, mx = -1e300;
        for (int t = 0; t < ctx; ++t) {
          double dot = 0, l1 = 0;
          for (int d = 0; d < hd; ++d) {
            const double kd = static_cast<double>(p.k[t * hd + d]) * p.ks[t];
            dot += qg[d] * kd;
            l1 += std::abs(kd);
          }
          s[t] = dot / std::sqrt(double(hd));
          eps = std::max(eps, sq / 2 * l1 / std::sqrt(double(hd)));
          mx = std::max(mx, s[t]);
        }
        double sum = 0;
        for (double& x : s) sum += x = std::exp(x - mx);
        double weights =
            0;  // Σ over 64-position chunks of n_c · max_{p∈c} w'_p (w' ≤ exact · e^{2ε})
        for (int c0 = 0; c0 < ctx; c0 += 64) {
          double m = 0;
          for (int t = c0; t < std::min(ctx, c0 + 64); ++t) m = std::max(m, s[t] / sum * p.vs[t]);
          weights += std::min(64, ctx - c0) * m * std::exp(2 * eps);
        }
        const double bound =
            vmax * (std::exp(2 * eps) - 1) + weights / 65534 * 127 * (1 + 1e-6) + 1e-4 * vmax;
        for (int d = 0; d < hd; ++d) {
          double exact = 0;
          for (int t = 0; t < ctx; ++t) exact += s[t] / sum * p.v[t * hd + d] * p.vs[t];
          EXPECT_LE(std::abs(got[g * hd + d] - exact), bound) << hd << " " << ctx << " " << g;
        }
      }
    }
  }
}

TEST(AttentionI8, RejectsEmptyRunsAndMissingIsa) {
  std::mt19937 rng(5);
  const Planes p = make_planes(16, 8, rng);
  std::vector<float> q(16), out(16);
  const KvRun empty{0, 0};
  EXPECT_THROW(attend_i8(p.k.data(), p.ks.data(), p.v.data(), p.vs.data(), 16, 1, &empty, 1,
                         q.data(), out.data(), Int8Kernel::kScalar),
               Error);
  for (Int8Kernel k : kAll) {
    if (int8_kernel_supported(k)) continue;
    const KvRun one{0, 1};
    EXPECT_THROW(attend_i8(p.k.data(), p.ks.data(), p.v.data(), p.vs.data(), 16, 1, &one, 1,
                           q.data(), out.data(), k),
                 Error);
  }
}

// The arena: INT8 planes plus one F32 scale per slot, written by store_kv, moved by copy_kv.
TEST(KvStorageI8, StoreAndCopyMoveEachRowWithItsScale) {
  const int layers = 2, kvh = 2, hd = 32;
  const std::int64_t cap = 100;
  KvStorage st(layers, kvh, hd, cap, DType::kI8);
  EXPECT_EQ(KvStorage::slot_bytes(layers, kvh, hd, DType::kI8),
            static_cast<std::size_t>(layers * 2 * kvh * (hd + 4)));
  EXPECT_GE(st.bytes(),
            static_cast<std::size_t>(cap) * KvStorage::slot_bytes(layers, kvh, hd, DType::kI8));
  CpuKernels kernels(ThreadPool::shared());
  std::mt19937 rng(6);
  const int t = 10;
  const auto k = test::random_floats(static_cast<std::size_t>(t) * kvh * hd, rng);
  const auto v = test::random_floats(k.size(), rng, 4.0f);
  std::vector<std::int64_t> slots(t);
  for (int i = 0; i < t; ++i) slots[i] = 20 + i;
  kernels.store_kv(st, 1, k.data(), v.data(), slots);
  for (int i = 0; i < t; ++i)
    for (int g = 0; g < kvh; ++g) {
      std::vector<std::int8_t> q(hd);
      const float s = quantize_kv_row(v.data() + (i * kvh + g) * hd, hd, q.data());
      EXPECT_EQ(st.scales(1, 1, g)[20 + i], s);
      EXPECT_EQ(std::memcmp(st.plane_i8(1, 1, g) + (20 + i) * hd, q.data(), hd), 0);
    }
  // An overlapping move right by 5: rows and scales arrive together (memmove semantics).
  std::vector<float> before(st.scales(1, 0, 1) + 20, st.scales(1, 0, 1) + 30);
  std::vector<std::int8_t> rows(st.plane_i8(1, 0, 1) + 20 * hd, st.plane_i8(1, 0, 1) + 30 * hd);
  const kv::CopyOp op{20, 25, 10};
  kernels.copy_kv(st, {&op, 1});
  EXPECT_TRUE(std::equal(before.begin(), before.end(), st.scales(1, 0, 1) + 25));
  EXPECT_EQ(std::memcmp(st.plane_i8(1, 0, 1) + 25 * hd, rows.data(), rows.size()), 0);
  const kv::CopyOp bad{95, 0, 10};
  EXPECT_THROW(kernels.copy_kv(st, {&bad, 1}), Error);
}

TEST(KvStorageI8, KvDtypeFlag) {
  EXPECT_EQ(parse_kv_dtype_flag("int8"), DType::kI8);
  EXPECT_EQ(parse_kv_dtype_flag("bf16"), DType::kBF16);
  EXPECT_EQ(parse_kv_dtype_flag("auto"), std::nullopt);
  EXPECT_THROW(parse_kv_dtype_flag("fp8"), Error);
}

}  // namespace
}  // namespace odma::model::cpu
