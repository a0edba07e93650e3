// CpuKernels' pointwise operations over a step's rows: the embedding equals WeightMatrix's own row
// widening in every dtype, the final norm's gather picks the rows asked for, RoPE angles are the
// F64 definition, and a step split over the pool (prefill-sized) gives the bits of one thread.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "cpu_test_util.h"
#include "model/cpu/cpu_kernels.h"
#include "model/cpu/pointwise.h"
#include "model/weight_matrix.h"

namespace odma::model::cpu {
namespace {

using test::random_floats;

WeightMatrix random_table(DType dtype, int rows, int cols, std::mt19937& rng) {
  WeightMatrix m(dtype, rows, cols);
  const std::vector<float> v = random_floats(static_cast<std::size_t>(rows) * cols, rng);
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (dtype == DType::kF32) reinterpret_cast<float*>(m.mutable_data())[i] = v[i];
    if (dtype == DType::kBF16)
      reinterpret_cast<std::uint16_t*>(m.mutable_data())[i] = to_bf16(v[i]);
    if (dtype == DType::kI8)
      m.mutable_i8()[i] = static_cast<std::int8_t>(static_cast<int>(i % 255) - 127);
  }
  if (dtype == DType::kI8) {
    for (int r = 0; r < rows; ++r) {
      m.mutable_scales()[r] = 0.01f + 0.001f * static_cast<float>(r);
      m.mutable_row_sums()[r] = 0;  // unused by the lookup
    }
  }
  return m;
}

TEST(PointwiseKernels, EmbedWidensF32Bf16AndI8RowsLikeTheMatrix) {
  ThreadPool pool(1);
  const CpuKernels k(pool);
  std::mt19937 rng(1);
  const int rows = 50, cols = 37;
  const std::vector<std::int32_t> ids = {3, 0, 49, 3, 17};
  for (const DType dtype : {DType::kF32, DType::kBF16, DType::kI8}) {
    const WeightMatrix m = random_table(dtype, rows, cols, rng);
    std::vector<float> out(ids.size() * cols), want(cols);
    k.embed(m.ref(), cols, ids.data(), static_cast<int>(ids.size()), out.data());
    for (std::size_t i = 0; i < ids.size(); ++i) {
      m.row_to_f32(ids[i], want.data());
      for (int c = 0; c < cols; ++c) ASSERT_EQ(out[i * cols + c], want[c]) << to_string(dtype);
    }
  }
}

TEST(PointwiseKernels, RmsNormGathersTheRowsAskedFor) {
  ThreadPool pool(1);
  const CpuKernels k(pool);
  std::mt19937 rng(2);
  const int t = 6, dim = 40;
  const std::vector<float> x = random_floats(t * dim, rng), w = random_floats(dim, rng);
  const std::vector<std::int32_t> rows = {5, 2, 2};
  std::vector<float> y(rows.size() * dim), want(dim);
  k.rms_norm(x.data(), static_cast<int>(rows.size()), dim, w.data(), 1e-5f, y.data(), rows.data());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    rms_norm_row(x.data() + rows[i] * dim, dim, w.data(), 1e-5f, want.data());
    for (int j = 0; j < dim; ++j) ASSERT_EQ(y[i * dim + j], want[j]) << i << " " << j;
  }
}

TEST(PointwiseKernels, RopeAnglesAreTheF64CosAndSinOfPositionTimesFrequency) {
  ThreadPool pool(1);
  const CpuKernels k(pool);
  const std::vector<std::int32_t> positions = {0, 1, 7, 4095, 131071};
  const int hd = 64, half = hd / 2;
  std::vector<double> inv_freq(half);
  for (int j = 0; j < half; ++j) inv_freq[j] = std::pow(1e6, -2.0 * j / hd);
  const auto t = static_cast<int>(positions.size());
  std::vector<float> cos(t * half), sin(t * half);
  k.rope_angles(positions.data(), t, inv_freq, cos.data(), sin.data());
  for (int i = 0; i < t; ++i) {
    for (int j = 0; j < half; ++j) {
      const double angle = positions[i] * inv_freq[j];
      ASSERT_EQ(cos[i * half + j], static_cast<float>(std::cos(angle))) << i << " " << j;
      ASSERT_EQ(sin[i * half + j], static_cast<float>(std::sin(angle))) << i << " " << j;
    }
  }
}

TEST(PointwiseKernels, AddBiasAddsTheVectorToEveryRow) {
  ThreadPool pool(1);
  const CpuKernels k(pool);
  std::vector<float> y = {1, 2, 3, 4, 5, 6};
  const float b[3] = {0.5f, -1.0f, 10.0f};
  k.add_bias(y.data(), 2, 3, b);
  EXPECT_EQ(y, (std::vector<float>{1.5f, 1, 13, 4.5f, 4, 16}));
}

// A prefill-sized step runs on several threads; every row's bits must not depend on it.
TEST(PointwiseKernels, AStepSplitOverThePoolGivesTheBitsOfOneThread) {
  ThreadPool one(1), three(3);
  const CpuKernels serial(one), parallel(three);
  std::mt19937 rng(3);
  const int t = 300, heads = 4, hd = 64, dim = heads * hd, m = 1000, half = hd / 2;
  const std::vector<float> x = random_floats(t * dim, rng), w = random_floats(dim, rng);
  const std::vector<float> up = random_floats(t * m, rng), g = random_floats(t * m, rng, 3.0f);
  std::vector<std::int32_t> positions(t);
  for (int i = 0; i < t; ++i) positions[i] = 3 * i;
  std::vector<double> inv_freq(half);
  for (int j = 0; j < half; ++j) inv_freq[j] = std::pow(1e4, -2.0 * j / hd);

  struct Out {
    std::vector<float> norm, cos, sin, rope, bias, swiglu;
  };
  const auto run = [&](const CpuKernels& k) {
    Out o;
    o.norm.resize(t * dim);
    o.cos.resize(t * half);
    o.sin.resize(t * half);
    o.rope = o.bias = x;
    o.swiglu = g;
    k.rms_norm(x.data(), t, dim, w.data(), 1e-6f, o.norm.data(), nullptr);
    k.rope_angles(positions.data(), t, inv_freq, o.cos.data(), o.sin.data());
    k.rope(o.rope.data(), t, heads, hd, o.cos.data(), o.sin.data());
    k.add_bias(o.bias.data(), t, dim, w.data());
    k.swiglu(o.swiglu.data(), up.data(), t, m);
    return o;
  };
  const Out a = run(serial), b = run(parallel);
  EXPECT_EQ(a.norm, b.norm);
  EXPECT_EQ(a.cos, b.cos);
  EXPECT_EQ(a.sin, b.sin);
  EXPECT_EQ(a.rope, b.rope);
  EXPECT_EQ(a.bias, b.bias);
  EXPECT_EQ(a.swiglu, b.swiglu);
}

}  // namespace
}  // namespace odma::model::cpu
