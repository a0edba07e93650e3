// Waste of the optimal buckets on the shipped Alpaca output lengths (Qwen2 tokens), against the
// S3 protocol's 10 equal-width buckets over [0, 2048] (DESIGN.md "Evaluation protocol").
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include "base/file_io.h"
#include "kv/adaptive_buckets.h"

namespace odma::kv {
namespace {

// output_tokens column of data/lengths/alpaca.tsv(.gz), clamped to [1, 2048].
std::vector<std::int32_t> alpaca_output_lengths() {
  std::istringstream in(read_file(data_file("lengths/alpaca.tsv")));
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "index\tinstruction_tokens\tinput_tokens\toutput_tokens");
  std::vector<std::int32_t> out;
  while (std::getline(in, line)) {
    const auto tab = line.rfind('\t');
    if (tab == std::string::npos) continue;
    out.push_back(std::clamp(std::stoi(line.substr(tab + 1)), 1, 2048));
  }
  return out;
}

// Mean reserved-but-unused slots when each length gets the smallest edge ≥ it.
double mean_waste(const std::vector<std::int32_t>& lengths,
                  const std::vector<std::int32_t>& edges) {
  double sum = 0;
  for (std::int32_t l : lengths) sum += *std::lower_bound(edges.begin(), edges.end(), l) - l;
  return sum / static_cast<double>(lengths.size());
}

std::vector<std::int32_t> fitted_edges(const std::vector<std::int32_t>& lengths, std::int32_t k,
                                       std::int32_t granule, double* histogram_waste) {
  AdaptiveBucketsConfig c;
  c.buckets = k;
  c.granule = granule;
  c.recalibrate_every = 1 << 30;
  c.half_life = 1e300;  // every record counts the same
  AdaptiveBuckets b(c);
  for (std::int32_t l : lengths) (void)b.observe(l);
  b.recalibrate();
  *histogram_waste = b.expected_waste();
  return b.edges();
}

TEST(BucketsWaste, OptimalBucketsBeatS3EqualWidthOnAlpaca) {
  const auto lengths = alpaca_output_lengths();
  ASSERT_EQ(lengths.size(), 52002u);
  // S3: 10 equal-width buckets of 204.8 tokens; a request reserves its bucket's upper edge.
  std::vector<std::int32_t> s3;
  for (int i = 1; i <= 10; ++i) s3.push_back(static_cast<std::int32_t>(std::ceil(204.8 * i)));
  const double w_s3 = mean_waste(lengths, s3);

  double h16 = 0, h10 = 0;
  const auto opt16 = fitted_edges(lengths, 16, 16, &h16);
  const auto opt10 = fitted_edges(lengths, 10, 16, &h10);
  const double w16 = mean_waste(lengths, opt16);
  const double w10 = mean_waste(lengths, opt10);
  // The histogram's waste figure is exact per length (no decay here), so it must agree.
  EXPECT_NEAR(h16, w16, 1e-6 * w16);
  EXPECT_NEAR(h10, w10, 1e-6 * w10);
  // Other 16-bucket partitions on the same grid can only do worse (waste bound (1)).
  const double w_geo =
      mean_waste(lengths, AdaptiveBuckets::geometric_edges(AdaptiveBucketsConfig{}));
  std::vector<std::int32_t> width16;
  for (int i = 1; i <= 16; ++i) width16.push_back(128 * i);
  const double w_width16 = mean_waste(lengths, width16);

  EXPECT_LT(w16, w_s3);
  EXPECT_LT(w10, w_s3);  // also with the same number of buckets
  EXPECT_LE(w16, w10);
  EXPECT_LE(w16, w_geo);
  EXPECT_LE(w16, w_width16);
  double mean = 0;
  for (std::int32_t l : lengths) mean += l;
  mean /= static_cast<double>(lengths.size());
  std::printf(
      "Alpaca outputs (n=%zu, mean %.1f tokens): mean waste per request — S3 10 equal-width "
      "%.1f, equal-width 16 %.1f, geometric 16 %.1f, optimal 10 %.1f, optimal 16 %.1f\n",
      lengths.size(), mean, w_s3, w_width16, w_geo, w10, w16);
}

}  // namespace
}  // namespace odma::kv
