// linear(): our decode GEMV (T ≤ kGemvMaxTokens) and the OpenBLAS path both match a double
// reference, honour beta, and a token's row does not depend on the rows batched with it.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "model/cpu/linear.h"

namespace odma::model::cpu {
namespace {

std::vector<float> random_vector(std::size_t n, std::mt19937& rng) {
  std::normal_distribution<float> d(0.0f, 1.0f);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

TEST(Linear, MatchesDoubleReferenceForEveryTokenCountAndShape) {
  ThreadPool pool(2);
  std::mt19937 rng(3);
  // in: multiples of 32 (two chains), of 16 only (tail block), and neither (BLAS fallback).
  for (int in : {64, 48, 1408, 20}) {
    for (int t = 1; t <= kGemvMaxTokens + 3; ++t) {
      for (float beta : {0.0f, 1.0f}) {
        const int out = 37;  // not a multiple of any task size
        const auto x = random_vector(static_cast<std::size_t>(t) * in, rng);
        const auto w = random_vector(static_cast<std::size_t>(out) * in, rng);
        auto y = random_vector(static_cast<std::size_t>(t) * out, rng);
        const auto y0 = y;
        linear(x.data(), t, w.data(), out, in, y.data(), beta, pool);
        for (int i = 0; i < t; ++i) {
          for (int o = 0; o < out; ++o) {
            double want = beta * double{y0[static_cast<std::size_t>(i * out + o)]};
            for (int k = 0; k < in; ++k)
              want += double{x[static_cast<std::size_t>(i * in + k)]} *
                      w[static_cast<std::size_t>(o * in + k)];
            ASSERT_NEAR(y[static_cast<std::size_t>(i * out + o)], want, 1e-3 * (1 + in / 64))
                << "in " << in << " t " << t << " beta " << beta << " row " << i << " out " << o;
          }
        }
      }
    }
  }
}

TEST(Linear, TokenRowIsBitwiseIndependentOfItsBatchInTheGemvPath) {
  ThreadPool pool(2);
  std::mt19937 rng(5);
  const int in = 512, out = 300;
  const auto w = random_vector(static_cast<std::size_t>(out) * in, rng);
  const auto x = random_vector(static_cast<std::size_t>(kGemvMaxTokens) * in, rng);
  std::vector<float> batched(static_cast<std::size_t>(kGemvMaxTokens) * out);
  linear(x.data(), kGemvMaxTokens, w.data(), out, in, batched.data(), 0.0f, pool);
  for (int t = 0; t < kGemvMaxTokens; ++t) {
    std::vector<float> alone(static_cast<std::size_t>(out));
    linear(x.data() + static_cast<std::size_t>(t) * in, 1, w.data(), out, in, alone.data(), 0.0f,
           pool);
    for (int o = 0; o < out; ++o)
      ASSERT_EQ(alone[static_cast<std::size_t>(o)], batched[static_cast<std::size_t>(t * out + o)])
          << "token " << t << " out " << o;
  }
}

TEST(Linear, NothingToDoLeavesOutputUntouched) {
  ThreadPool pool(2);
  std::vector<float> y{1.0f, 2.0f};
  linear(nullptr, 0, nullptr, 2, 16, y.data(), 0.0f, pool);
  EXPECT_EQ(y, (std::vector<float>{1.0f, 2.0f}));
}

}  // namespace
}  // namespace odma::model::cpu
