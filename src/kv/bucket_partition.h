// Optimal partition of histogram bins into K contiguous size classes (buckets).
//
// Problem: bins 0..B−1 carry mass m_b ≥ 0 and upper length u_b (strictly increasing). A partition
// into K segments [i..j] serves every bin of a segment with the segment's edge u_j, so it reserves
//     cost = Σ_segments u_j · Σ_{b=i..j} m_b.
// Expected reserved-but-unused slots = (cost − Σ_l h(l)·l) / Σ h; the subtracted term does not
// depend on the partition, so minimising cost minimises waste exactly.
//
// Method: dynamic programming over k = 1..K with prefix sums S (segment cost O(1)). The cost is
// Monge: for a ≤ b ≤ c ≤ d, w(a,c) + w(b,d) − w(a,d) − w(b,c) = (u_c − u_d)·(S_b − S_a) ≤ 0, so the
// leftmost optimal start of the last segment is monotone in its end, and divide & conquer evaluates
// each layer in O(B log B): O(K·B·log B) in all (2,048 bins × 16 buckets ≈ 0.36 M segment
// evaluations). optimal_partition_quadratic is the plain O(K·B²) DP kept as the reference for
// tests.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace odma::kv {

struct Partition {
  std::vector<std::int32_t> ends;  // last bin of each segment, strictly increasing, back() == B − 1
  double cost = 0;                 // Σ_segments u_end · mass(segment)
};

// Requires 1 ≤ k ≤ B = mass.size() == upper.size(), mass ≥ 0, upper strictly increasing.
// Throws odma::Error otherwise. Returns exactly k segments (never worse than fewer: mass ≥ 0).
Partition optimal_partition(std::span<const double> mass, std::span<const std::int32_t> upper,
                            std::int32_t k);
Partition optimal_partition_quadratic(std::span<const double> mass,
                                      std::span<const std::int32_t> upper, std::int32_t k);

// Cost of a given partition (same formula), for checks and for reference partitions.
double partition_cost(std::span<const double> mass, std::span<const std::int32_t> upper,
                      std::span<const std::int32_t> ends);

}  // namespace odma::kv
