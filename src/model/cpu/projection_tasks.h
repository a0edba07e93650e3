// Task i of a fused projection call → (projection, first unit): each projection's `out` rows are
// grouped into units of `unit` rows (1, or a GEMM panel's columns), `units_per_task` units per
// task, projection after projection. A fixed table (a fused call has 1–3 projections; callers
// split longer lists into slices of kMax), so building one allocates nothing.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <span>

#include "model/kernels.h"

namespace odma::model::cpu {

class ProjectionTasks {
 public:
  static constexpr std::size_t kMax = 8;

  // Precondition: projections.size() ≤ kMax, units_per_task ≥ 1, unit ≥ 1.
  ProjectionTasks(std::span<const Projection> projections, int units_per_task, int unit = 1)
      : n_(projections.size()) {
    for (std::size_t p = 0; p < n_; ++p) {
      const int units = (projections[p].out + unit - 1) / unit;
      first_[p + 1] = first_[p] + (units + units_per_task - 1) / units_per_task;
    }
  }
  int tasks() const { return first_[n_]; }
  int first_task(std::size_t p) const { return first_[p]; }
  std::size_t projection_of(int task) const {
    std::size_t p = 0;
    while (task >= first_[p + 1]) ++p;
    return p;
  }

 private:
  std::array<int, kMax + 1> first_{};
  std::size_t n_;
};

// A fused call over more than kMax projections: runs `fused` on consecutive slices of at most
// kMax and returns true; false (nothing run) when the projections fit one table.
template <class Fused>
bool fused_in_slices(std::span<const Projection> projections, Fused&& fused) {
  if (projections.size() <= ProjectionTasks::kMax) return false;
  for (std::size_t i = 0; i < projections.size(); i += ProjectionTasks::kMax)
    fused(projections.subspan(i, std::min(ProjectionTasks::kMax, projections.size() - i)));
  return true;
}

}  // namespace odma::model::cpu
