#include "model/cpu/attention_i8.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "base/error.h"
#include "model/cpu/aligned_buffer.h"
#include "model/cpu/kernels_internal.h"
#include "model/cpu/kv_i8.h"

namespace odma::model::cpu {
namespace {

constexpr int kMaxSimdGroup = 8;

#include "model/cpu/exp_scalar.inc"

// The canonical softmax order (softmax_avx512.inc).
void softmax_canonical(float* x, int n) {
  float m = x[0];
  for (int i = 1; i < n; ++i) m = std::max(m, x[i]);
  const int n16 = n / 16 * 16;
  float lanes[16] = {};
  for (int i = 0; i < n16; ++i) {
    x[i] = exp_nonpositive(x[i] - m);
    lanes[i % 16] += x[i];
  }
  float sum = 0.0f;
  for (float l : lanes) sum += l;
  for (int i = n16; i < n; ++i) {
    x[i] = exp_nonpositive(x[i] - m);
    sum += x[i];
  }
  const float inv = 1.0f / sum;
  for (int i = 0; i < n; ++i) x[i] *= inv;
}

void attend_scalar(const detail::AttnI8Args& a) {
  const std::size_t hd = static_cast<std::size_t>(a.hd);
  const std::size_t ctx = static_cast<std::size_t>(a.ctx);
  std::size_t p = 0;
  for (int r = 0; r < a.n_runs; ++r) {
    for (int i = 0; i < a.runs[r].n; ++i, ++p) {
      const std::int8_t* row = a.k + static_cast<std::size_t>(a.runs[r].slot + i) * hd;
      for (int g = 0; g < a.group; ++g) {
        const std::int8_t* q = a.q8 + static_cast<std::size_t>(g) * hd;
        std::int32_t dot = 0;
        for (std::size_t d = 0; d < hd; ++d) dot += static_cast<std::int32_t>(q[d]) * row[d];
        a.scores[static_cast<std::size_t>(g) * ctx + p] =
            static_cast<float>(dot) * (a.q_scale[g] * a.k_scale[p]);
      }
    }
  }
  for (int g = 0; g < a.group; ++g) {
    float* s = a.scores + static_cast<std::size_t>(g) * ctx;
    softmax_canonical(s, a.ctx);
    for (std::size_t i = 0; i < ctx; ++i) s[i] *= a.v_scale[i];
  }
  std::fill(a.out, a.out + static_cast<std::size_t>(a.group) * hd, 0.0f);
  thread_local std::vector<const std::int8_t*> rows;  // each position's V row (kept: no
  thread_local std::vector<std::int32_t> acc;         // allocation once grown)
  rows.clear();
  acc.assign(hd, 0);
  for (int r = 0; r < a.n_runs; ++r)
    for (int i = 0; i < a.runs[r].n; ++i)
      rows.push_back(a.v + static_cast<std::size_t>(a.runs[r].slot + i) * hd);
  for (int g = 0; g < a.group; ++g) {
    const float* w = a.scores + static_cast<std::size_t>(g) * ctx;
    float* o = a.out + static_cast<std::size_t>(g) * hd;
    for (std::size_t p0 = 0; p0 < ctx; p0 += 64) {
      const std::size_t n = std::min<std::size_t>(64, ctx - p0);
      float m = 0.0f;
      for (std::size_t i = 0; i < n; ++i) m = std::max(m, w[p0 + i]);
      if (m == 0.0f) continue;  // adds fma(0, 0, out) = out
      const float inv = 32767.0f / m, sigma = m / 32767.0f;
      std::fill(acc.begin(), acc.end(), 0);
      for (std::size_t i = 0; i < n; ++i) {
        const auto wq =
            static_cast<std::int32_t>(std::clamp(std::nearbyint(w[p0 + i] * inv), 0.0f, 32767.0f));
        for (std::size_t d = 0; d < hd; ++d) acc[d] += wq * rows[p0 + i][d];
      }
      for (std::size_t d = 0; d < hd; ++d) o[d] = std::fma(static_cast<float>(acc[d]), sigma, o[d]);
    }
  }
}

struct Scratch {
  AlignedBuffer<float> scores, k_scale, v_scale, q_scale, w_scale;
  AlignedBuffer<std::int8_t> q8;
  AlignedBuffer<std::int16_t> wq;
  AlignedBuffer<std::int32_t> q_sum;
};

Scratch& scratch() {
  thread_local Scratch s;
  return s;
}

}  // namespace

void attend_i8(const std::int8_t* k_plane, const float* k_scales, const std::int8_t* v_plane,
               const float* v_scales, int head_dim, int group, const KvRun* runs, int n_runs,
               const float* q, float* out, Int8Kernel kernel) {
  if (!int8_kernel_supported(kernel)) {
    throw Error(std::string("attend_i8: kernel ") + int8_kernel_name(kernel) +
                " needs an ISA this CPU lacks");
  }
  if (head_dim < 1 || group < 1 || n_runs < 1)
    throw Error("attend_i8: head_dim, group and n_runs must be ≥ 1");
  int ctx = 0;
  for (int r = 0; r < n_runs; ++r) {
    if (runs[r].n < 1 || runs[r].slot < 0) throw Error("attend_i8: a run is empty or negative");
    ctx += runs[r].n;
  }
  if (kernel == Int8Kernel::kAvx512Vnni && head_dim % 32 != 0) kernel = Int8Kernel::kAvx2;
  if (kernel != Int8Kernel::kScalar && (head_dim % 16 != 0 || head_dim > 256))
    kernel = Int8Kernel::kScalar;
  Scratch& sc = scratch();
  const std::size_t hd = static_cast<std::size_t>(head_dim);
  float* ks = sc.k_scale.reserve(static_cast<std::size_t>(ctx));
  float* vs = sc.v_scale.reserve(static_cast<std::size_t>(ctx));
  for (int r = 0, p = 0; r < n_runs; p += runs[r].n, ++r) {
    std::copy_n(k_scales + runs[r].slot, runs[r].n, ks + p);
    std::copy_n(v_scales + runs[r].slot, runs[r].n, vs + p);
  }
  const int slice = kernel == Int8Kernel::kScalar ? group : kMaxSimdGroup;
  const std::size_t heads = static_cast<std::size_t>(std::min(slice, group));
  std::int8_t* q8 = sc.q8.reserve(heads * hd);
  std::int32_t* q_sum = sc.q_sum.reserve(heads);
  float* q_scale = sc.q_scale.reserve(heads);
  float* scores = sc.scores.reserve(heads * static_cast<std::size_t>(ctx));
  const int wq_stride = (ctx + 63) / 64 * 64;
  std::int16_t* wq = sc.wq.reserve(heads * static_cast<std::size_t>(wq_stride));
  float* w_scale = sc.w_scale.reserve(heads * static_cast<std::size_t>(wq_stride / 64));
  const float inv_sqrt = 1.0f / std::sqrt(static_cast<float>(head_dim));
  for (int g0 = 0; g0 < group; g0 += slice) {
    const int n = std::min(slice, group - g0);
    const std::size_t off = static_cast<std::size_t>(g0) * hd;
    for (int g = 0; g < n; ++g) {
      std::int8_t* qg = q8 + static_cast<std::size_t>(g) * hd;
      q_scale[g] =
          quantize_kv_row(q + off + static_cast<std::size_t>(g) * hd, head_dim, qg) * inv_sqrt;
      q_sum[g] = 0;
      for (std::size_t d = 0; d < hd; ++d) q_sum[g] += qg[d];
    }
    const detail::AttnI8Args a{k_plane, v_plane, head_dim,  n,       runs,     n_runs,
                               ctx,     q8,      q_sum,     q_scale, ks,       vs,
                               scores,  wq,      wq_stride, w_scale, out + off};
    switch (kernel) {
      case Int8Kernel::kScalar:
        attend_scalar(a);
        break;
      case Int8Kernel::kAvx2:
        detail::attend_i8_avx2(a);
        break;
      case Int8Kernel::kAvx512Vnni:
        detail::attend_i8_avx512vnni(a);
        break;
    }
  }
}

}  // namespace odma::model::cpu
