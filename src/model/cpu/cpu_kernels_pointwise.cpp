// CpuKernels' pointwise operations (model/kernels.h has the math): the step's rows, split over the
// pool when a step is prefill-sized, each row through pointwise.h's dispatched kernels.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "base/error.h"
#include "model/cpu/bf16.h"
#include "model/cpu/cpu_kernels.h"
#include "model/cpu/pointwise.h"

namespace odma::model::cpu {
namespace {

// Below this much work (in simple float operations) a step stays on the calling thread: a
// fork-join costs a few µs, more than a decode step's norms, RoPE or SwiGLU take.
constexpr std::size_t kMinWorkPerTask = 16384;

// fn(r0, r1) over the row ranges of [0, t), on the pool when t rows of `work_per_row` are worth it.
template <class Fn>
void for_rows(ThreadPool& pool, int t, std::size_t work_per_row, const Fn& fn) {
  const std::size_t work = static_cast<std::size_t>(t) * work_per_row;
  const std::size_t tasks =
      std::min({static_cast<std::size_t>(t), static_cast<std::size_t>(4 * pool.threads()),
                work / kMinWorkPerTask});
  if (tasks <= 1) return fn(0, t);
  struct Split {
    const Fn* fn;
    std::size_t t, tasks;
  } const split{&fn, static_cast<std::size_t>(t), tasks};
  // The split through one pointer (the pool takes a TaskFn reference: no allocation per call).
  pool.parallel_for(static_cast<int>(tasks), [&split](int i) {
    const auto k = static_cast<std::size_t>(i);
    (*split.fn)(static_cast<int>(split.t * k / split.tasks),
                static_cast<int>(split.t * (k + 1) / split.tasks));
  });
}

std::size_t at(int row, int n) {
  return static_cast<std::size_t>(row) * static_cast<std::size_t>(n);
}

}  // namespace

void CpuKernels::embed(const WeightRef& table, int cols, const std::int32_t* ids, int t,
                       float* out) const {
  if (table.dtype != DType::kF32 && table.dtype != DType::kBF16 && table.dtype != DType::kI8) {
    throw Error(std::string("embed: no kernel for ") + to_string(table.dtype) + " tables");
  }
  const auto n = static_cast<std::size_t>(cols);
  for_rows(pool_, t, n, [&](int r0, int r1) {
    for (int i = r0; i < r1; ++i) {
      const std::size_t first = at(ids[i], cols);
      float* row = out + at(i, cols);
      if (table.dtype == DType::kF32) {
        std::memcpy(row, table.f32() + first, n * sizeof(float));
      } else if (table.dtype == DType::kBF16) {
        convert_bf16_to_f32(table.bf16() + first, row, n);
      } else {
        const float scale = table.scales[ids[i]];
        const std::int8_t* q = table.i8() + first;
        for (std::size_t c = 0; c < n; ++c) row[c] = scale * static_cast<float>(q[c]);
      }
    }
  });
}

void CpuKernels::rms_norm(const float* x, int t, int dim, const float* w, float eps, float* y,
                          const std::int32_t* rows) const {
  const Isa isa = active_isa();
  for_rows(pool_, t, static_cast<std::size_t>(dim) * 3, [&](int r0, int r1) {
    for (int i = r0; i < r1; ++i) {
      const int src = rows != nullptr ? rows[i] : i;
      rms_norm_row(x + at(src, dim), dim, w, eps, y + at(i, dim), isa);
    }
  });
}

void CpuKernels::rope_angles(const std::int32_t* positions, int t, std::span<const double> inv_freq,
                             float* cos, float* sin) const {
  const int half = static_cast<int>(inv_freq.size());
  // A cos and a sin in F64 cost some 40 simple operations.
  for_rows(pool_, t, inv_freq.size() * 40, [&](int r0, int r1) {
    for (int i = r0; i < r1; ++i) {
      for (int j = 0; j < half; ++j) {
        const double angle = positions[i] * inv_freq[static_cast<std::size_t>(j)];
        cos[at(i, half) + static_cast<std::size_t>(j)] = static_cast<float>(std::cos(angle));
        sin[at(i, half) + static_cast<std::size_t>(j)] = static_cast<float>(std::sin(angle));
      }
    }
  });
}

void CpuKernels::rope(float* x, int t, int heads, int head_dim, const float* cos,
                      const float* sin) const {
  const Isa isa = active_isa();
  const int row = heads * head_dim, half = head_dim / 2;
  for_rows(pool_, t, static_cast<std::size_t>(row) * 3, [&](int r0, int r1) {
    for (int i = r0; i < r1; ++i)
      rope_row(x + at(i, row), heads, head_dim, cos + at(i, half), sin + at(i, half), isa);
  });
}

void CpuKernels::add_bias(float* y, int t, int n, const float* b) const {
  for_rows(pool_, t, static_cast<std::size_t>(n), [&](int r0, int r1) {
    for (int i = r0; i < r1; ++i) {
      float* row = y + at(i, n);
      for (int j = 0; j < n; ++j) row[j] += b[j];
    }
  });
}

void CpuKernels::swiglu(float* gate, const float* up, int t, int n) const {
  const Isa isa = active_isa();
  // The exp polynomial and a division: some 30 simple operations per value.
  for_rows(pool_, t, static_cast<std::size_t>(n) * 30, [&](int r0, int r1) {
    swiglu_row(gate + at(r0, n), up + at(r0, n), at(r1 - r0, n), isa);
  });
}

}  // namespace odma::model::cpu
