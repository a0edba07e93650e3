#include "model/cpu/attention_bf16.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "base/error.h"
#include "model/cpu/aligned_buffer.h"
#include "model/cpu/bf16.h"
#include "model/cpu/kernels_internal.h"

namespace odma::model::cpu {
namespace {

constexpr int kMaxSimdGroup = 8;

// kScalar. Scores: 8 partial sums per dot (p[i mod 8]) folded ((p0+p1)+(p2+p3))+((p4+p5)+(p6+p7)),
// times the scale. Softmax: max, then e = exp(s − max) and their sum in position order, then
// e × (1 / sum). V: out[d] = Σ_p w[p] · V[p][d] in position order (multiply, then add).
void attend_scalar(const detail::AttnArgs& a) {
  const int hd = a.hd;
  const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
  float* s = a.scores;
  int p = 0;
  for (int r = 0; r < a.n_runs; ++r) {
    const std::uint16_t* k = a.k + static_cast<std::size_t>(a.runs[r].slot) * hd;
    for (int i = 0; i < a.runs[r].n; ++i, ++p) {
      const std::uint16_t* row = k + static_cast<std::size_t>(i) * hd;
      for (int g = 0; g < a.group; ++g) {
        const float* q = a.q + static_cast<std::size_t>(g) * hd;
        float part[8] = {};
        for (int d = 0; d < hd; ++d) part[d % 8] += q[d] * to_f32(row[d]);
        const float dot = ((part[0] + part[1]) + (part[2] + part[3])) +
                          ((part[4] + part[5]) + (part[6] + part[7]));
        s[static_cast<std::size_t>(g) * a.ctx + p] = dot * scale;
      }
    }
  }
  for (int g = 0; g < a.group; ++g) {
    float* sg = s + static_cast<std::size_t>(g) * a.ctx;
    float m = sg[0];
    for (int i = 1; i < a.ctx; ++i) m = std::max(m, sg[i]);
    float sum = 0.0f;
    for (int i = 0; i < a.ctx; ++i) {
      sg[i] = std::exp(sg[i] - m);
      sum += sg[i];
    }
    const float inv = 1.0f / sum;
    for (int i = 0; i < a.ctx; ++i) sg[i] *= inv;
  }
  std::fill(a.out, a.out + static_cast<std::size_t>(a.group) * hd, 0.0f);
  p = 0;
  for (int r = 0; r < a.n_runs; ++r) {
    const std::uint16_t* v = a.v + static_cast<std::size_t>(a.runs[r].slot) * hd;
    for (int i = 0; i < a.runs[r].n; ++i, ++p) {
      const std::uint16_t* row = v + static_cast<std::size_t>(i) * hd;
      for (int g = 0; g < a.group; ++g) {
        const float w = s[static_cast<std::size_t>(g) * a.ctx + p];
        float* o = a.out + static_cast<std::size_t>(g) * hd;
        for (int d = 0; d < hd; ++d) o[d] += w * to_f32(row[d]);
      }
    }
  }
}

struct Scratch {
  AlignedBuffer<float> scores,
      work;  // 64-byte aligned: the kernels load q and V sums 64 B at a time
};

Scratch& scratch() {
  thread_local Scratch s;
  return s;
}

void attend_one(const std::uint16_t* k, const std::uint16_t* v, int hd, int group,
                const KvRun* runs, int n_runs, int ctx, const float* q, float* out,
                AttnKernel kernel) {
  Scratch& sc = scratch();
  const std::size_t need_s = static_cast<std::size_t>(group) * static_cast<std::size_t>(ctx);
  const std::size_t need_w = 3 * static_cast<std::size_t>(group) * static_cast<std::size_t>(hd);
  float* scores = sc.scores.reserve(need_s);
  float* work = sc.work.reserve(need_w);
  const detail::AttnArgs a{k, v, hd, group, runs, n_runs, ctx, q, out, scores, work};
  switch (kernel) {
    case AttnKernel::kAvx2:
      return detail::attend_bf16_avx2(a);
    case AttnKernel::kAvx512:
      return detail::attend_bf16_avx512(a);
    case AttnKernel::kAvx512Bf16:
      return detail::attend_bf16_avx512bf16(a);
    case AttnKernel::kScalar:
      return attend_scalar(a);
  }
}

}  // namespace

AttnKernel default_attn_kernel(Isa isa) {
  switch (isa) {
    case Isa::kScalar:
      return AttnKernel::kScalar;
    case Isa::kAvx2:
      return AttnKernel::kAvx2;
    case Isa::kAvx512:
      return AttnKernel::kAvx512;
    case Isa::kAvx512Bf16:
    case Isa::kAmx:
      return AttnKernel::kAvx512Bf16;
  }
  return AttnKernel::kScalar;
}

Isa required_isa(AttnKernel kernel) {
  switch (kernel) {
    case AttnKernel::kScalar:
      return Isa::kScalar;
    case AttnKernel::kAvx2:
      return Isa::kAvx2;
    case AttnKernel::kAvx512:
      return Isa::kAvx512;
    case AttnKernel::kAvx512Bf16:
      return Isa::kAvx512Bf16;
  }
  return Isa::kScalar;
}

const char* attn_kernel_name(AttnKernel kernel) {
  switch (kernel) {
    case AttnKernel::kScalar:
      return "scalar";
    case AttnKernel::kAvx2:
      return "avx2";
    case AttnKernel::kAvx512:
      return "avx512";
    case AttnKernel::kAvx512Bf16:
      return "avx512bf16";
  }
  return "?";
}

void attend_bf16(const std::uint16_t* k_plane, const std::uint16_t* v_plane, int head_dim,
                 int group, const KvRun* runs, int n_runs, const float* q, float* out,
                 AttnKernel kernel) {
  if (!isa_supported(required_isa(kernel))) {
    throw Error(std::string("attend_bf16: kernel ") + attn_kernel_name(kernel) +
                " needs an ISA this CPU lacks");
  }
  if (head_dim < 1 || group < 1 || n_runs < 1) {
    throw Error("attend_bf16: head_dim, group and n_runs must be ≥ 1");
  }
  int ctx = 0;
  for (int r = 0; r < n_runs; ++r) {
    if (runs[r].n < 1 || runs[r].slot < 0) throw Error("attend_bf16: a run is empty or negative");
    ctx += runs[r].n;
  }
  const int width = kernel == AttnKernel::kAvx2 ? 16 : 32;
  if (kernel != AttnKernel::kScalar && (head_dim % width != 0 || head_dim > 256))
    kernel = AttnKernel::kScalar;
  const int slice = kernel == AttnKernel::kScalar ? group : kMaxSimdGroup;
  for (int g0 = 0; g0 < group; g0 += slice) {
    const std::size_t off = static_cast<std::size_t>(g0) * static_cast<std::size_t>(head_dim);
    attend_one(k_plane, v_plane, head_dim, std::min(slice, group - g0), runs, n_runs, ctx, q + off,
               out + off, kernel);
  }
}

void attend_bf16_prefill(const std::uint16_t* k_plane, const std::uint16_t* v_plane, int head_dim,
                         int group, const KvRun* runs, int n_runs, int start_pos, int n_tokens,
                         const float* q, std::size_t q_stride, float* out, std::size_t out_stride,
                         AttnKernel kernel) {
  std::vector<KvRun> prefix;
  for (int i = 0; i < n_tokens; ++i) {
    int need = start_pos + i + 1;
    prefix.clear();
    for (int r = 0; r < n_runs && need > 0; ++r) {
      const int n = std::min(need, runs[r].n);
      prefix.push_back({runs[r].slot, n});
      need -= n;
    }
    if (need > 0)
      throw Error("attend_bf16_prefill: the runs hold fewer positions than a query sees");
    attend_bf16(k_plane, v_plane, head_dim, group, prefix.data(), static_cast<int>(prefix.size()),
                q + static_cast<std::size_t>(i) * q_stride,
                out + static_cast<std::size_t>(i) * out_stride, kernel);
  }
}

}  // namespace odma::model::cpu
