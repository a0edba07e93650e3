#include "model/cpu/gemm_bf16.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>

#include "base/error.h"
#include "model/cpu/aligned_buffer.h"
#include "model/cpu/bf16.h"
#include "model/cpu/gemv_bf16.h"
#include "model/cpu/kernels_internal.h"

namespace odma::model::cpu {
namespace {

constexpr int kAvx512Panel = 64;  // columns per kAvx512Bf16 panel
constexpr int kAmxPanel = 32;     // columns per AMX panel (two B tiles)
constexpr int kKBlock = 32;       // k values per AMX tile row; also the k padding of every kernel
constexpr int kAmxRows = 32;      // token rows per AMX block (two A tiles)
constexpr int kAvx512Rows = 6;    // token rows per kAvx512Bf16 block

std::uint16_t* alloc_u16(std::size_t n) {
  const std::size_t bytes = (n * sizeof(std::uint16_t) + 63) / 64 * 64;
  void* p = std::aligned_alloc(64, bytes == 0 ? 64 : bytes);
  if (p == nullptr) throw std::bad_alloc();
  return static_cast<std::uint16_t*>(p);
}

int round_up(int v, int to) {
  return (v + to - 1) / to * to;
}

bool is_amx(GemmKernel k) {
  return k == GemmKernel::kAmx || k == GemmKernel::kAmxEmulated;
}
bool uses_gemv(GemmKernel k) {
  return k == GemmKernel::kScalar || k == GemmKernel::kGemvTiles;
}

}  // namespace

void PackedGemmWeights::Free::operator()(std::uint16_t* p) const {
  std::free(p);
}
void GemmInput::Free::operator()(std::uint16_t* p) const {
  std::free(p);
}

GemmKernel default_gemm_kernel(Isa isa) {
  switch (isa) {
    case Isa::kScalar:
      return GemmKernel::kScalar;
    case Isa::kAvx2:
    case Isa::kAvx512:
      return GemmKernel::kGemvTiles;
    case Isa::kAvx512Bf16:
      return GemmKernel::kAvx512Bf16;
    case Isa::kAmx:
      return detail::amx_compiled() ? GemmKernel::kAmx : GemmKernel::kAvx512Bf16;
  }
  return GemmKernel::kScalar;
}

Isa required_isa(GemmKernel kernel) {
  switch (kernel) {
    case GemmKernel::kScalar:
    case GemmKernel::kAmxEmulated:
      return Isa::kScalar;
    case GemmKernel::kGemvTiles:
      return Isa::kScalar;  // whatever GEMV kernel the active ISA has
    case GemmKernel::kAvx512Bf16:
      return Isa::kAvx512Bf16;
    case GemmKernel::kAmx:
      return Isa::kAmx;
  }
  return Isa::kScalar;
}

const char* gemm_kernel_name(GemmKernel kernel) {
  switch (kernel) {
    case GemmKernel::kScalar:
      return "scalar";
    case GemmKernel::kGemvTiles:
      return "gemv-tiles";
    case GemmKernel::kAvx512Bf16:
      return "avx512bf16";
    case GemmKernel::kAmx:
      return "amx";
    case GemmKernel::kAmxEmulated:
      return "amx-emulated";
  }
  return "?";
}

namespace {

// Value (n, k) of W [out][in], zero outside.
std::uint16_t weight_at(const std::uint16_t* w, int out, int in, int n, int k) {
  return n < out && k < in ? w[static_cast<std::size_t>(n) * static_cast<std::size_t>(in) +
                               static_cast<std::size_t>(k)]
                           : std::uint16_t{0};
}

// Panel p of the kAvx512Bf16 layout (gemm_bf16.h): k pair j holds 64 dwords, dword c =
// (W[64p + c][2j], W[64p + c][2j + 1]). Row by row: each weight row is read sequentially once.
void pack_panel_avx512bf16(const std::uint16_t* w, int out, int in, int k_pad, int p,
                           std::uint16_t* d) {
  const int pairs = k_pad / 2, full = in / 2;
  for (int c = 0; c < kAvx512Panel; ++c) {
    const int n = p * kAvx512Panel + c;
    std::uint16_t* col = d + 2 * c;  // dword (j, c) at col + 2 · 64 · j
    int j = 0;
    if (n < out) {
      const std::uint16_t* row = w + static_cast<std::size_t>(n) * static_cast<std::size_t>(in);
      for (; j < full; ++j)
        std::memcpy(col + static_cast<std::size_t>(j) * 2 * kAvx512Panel, row + 2 * j, 4);
      if (in % 2 != 0) {
        const std::uint16_t pair[2] = {row[in - 1], 0};
        std::memcpy(col + static_cast<std::size_t>(j) * 2 * kAvx512Panel, pair, 4);
        ++j;
      }
    }
    for (; j < pairs; ++j) std::memset(col + static_cast<std::size_t>(j) * 2 * kAvx512Panel, 0, 4);
  }
}

// Panel p of the AMX layout: [k block][tile 0|1][k pair 0..15][column 0..15][2].
void pack_panel_amx(const std::uint16_t* w, int out, int in, int k_pad, int p, std::uint16_t* d) {
  const int blocks = k_pad / kKBlock;
  for (int b = 0; b < blocks; ++b)
    for (int tile = 0; tile < 2; ++tile)
      for (int j = 0; j < 16; ++j)
        for (int c = 0; c < 16; ++c)
          for (int e = 0; e < 2; ++e)
            *d++ = weight_at(w, out, in, p * kAmxPanel + 16 * tile + c, b * kKBlock + 2 * j + e);
}

std::size_t panel_elements(GemmKernel kernel, int k_pad) {
  return static_cast<std::size_t>(k_pad) *
         static_cast<std::size_t>(kernel == GemmKernel::kAvx512Bf16 ? kAvx512Panel : kAmxPanel);
}

void pack_panel(const std::uint16_t* w, int out, int in, int k_pad, GemmKernel kernel, int p,
                std::uint16_t* d) {
  if (kernel == GemmKernel::kAvx512Bf16) {
    pack_panel_avx512bf16(w, out, in, k_pad, p, d);
  } else {
    pack_panel_amx(w, out, in, k_pad, p, d);
  }
}

}  // namespace

PackedGemmWeights PackedGemmWeights::pack(const std::uint16_t* w, int out, int in,
                                          GemmKernel kernel) {
  if (out < 1 || in < 1) throw Error("PackedGemmWeights: out and in must be ≥ 1");
  PackedGemmWeights p;
  p.out_ = out;
  p.in_ = in;
  p.kernel_ = kernel;
  p.k_pad_ = round_up(in, kKBlock);
  if (uses_gemv(kernel)) {
    p.w_ = w;
    p.panel_cols_ = 1;
    return p;
  }
  p.panel_cols_ = kernel == GemmKernel::kAvx512Bf16 ? kAvx512Panel : kAmxPanel;
  const std::size_t per_panel = panel_elements(kernel, p.k_pad_);
  const std::size_t n = static_cast<std::size_t>(p.panels()) * per_panel;
  p.data_.reset(alloc_u16(n));
  p.bytes_ = n * sizeof(std::uint16_t);
  for (int pa = 0; pa < p.panels(); ++pa)
    pack_panel(w, out, in, p.k_pad_, kernel, pa,
               p.data_.get() + static_cast<std::size_t>(pa) * per_panel);
  return p;
}

void GemmInput::prepare(const float* x, int m, int in, GemmKernel kernel) {
  reset(x, m, in, kernel);
  convert_rows(0, m);
}

void GemmInput::reset(const float* x, int m, int in, GemmKernel kernel) {
  if (m < 1 || in < 1) throw Error("GemmInput: m and in must be ≥ 1");
  x_ = x;
  m_ = m;
  in_ = in;
  kernel_ = kernel;
  if (uses_gemv(kernel)) {
    const std::size_t tiles = static_cast<std::size_t>((m + kGemvMaxTokens - 1) / kGemvMaxTokens);
    if (tiles_.size() < tiles) tiles_.resize(tiles);
    return;
  }
  k_pad_ = round_up(in, kKBlock);
  m_pad_ = round_up(m, is_amx(kernel) ? kAmxRows : kAvx512Rows);
  const std::size_t need = static_cast<std::size_t>(m_pad_) * static_cast<std::size_t>(k_pad_);
  if (capacity_ < need) {
    a_.reset(alloc_u16(need));
    capacity_ = need;
  }
}

void GemmInput::convert_rows(int row_begin, int row_end) {
  if (row_begin < 0 || row_begin > row_end || row_begin % kRowBlock != 0 ||
      (row_end % kRowBlock != 0 && row_end < m_)) {
    throw Error("GemmInput::convert_rows: [" + std::to_string(row_begin) + ", " +
                std::to_string(row_end) + ") is not a range of whole 32-row blocks");
  }
  if (uses_gemv(kernel_)) {
    const GemvKernel gk =
        kernel_ == GemmKernel::kScalar ? GemvKernel::kScalar : default_gemv_kernel();
    for (int m0 = row_begin; m0 < std::min(row_end, m_); m0 += kGemvMaxTokens) {
      tiles_[static_cast<std::size_t>(m0 / kGemvMaxTokens)].prepare(
          x_ + static_cast<std::size_t>(m0) * static_cast<std::size_t>(in_),
          std::min(kGemvMaxTokens, m_ - m0), in_, gk);
    }
    return;
  }
  // Padding rows [m, m_pad) belong to the range that reaches m.
  const int r1 = row_end >= m_ ? m_pad_ : row_end;
  std::uint16_t* a = a_.get();
  for (int r = row_begin; r < r1; ++r) {
    std::uint16_t* row = a + static_cast<std::size_t>(r) * static_cast<std::size_t>(k_pad_);
    int k = 0;
    if (r < m_) {
      convert_f32_to_bf16(x_ + static_cast<std::size_t>(r) * static_cast<std::size_t>(in_), row,
                          static_cast<std::size_t>(in_));
      k = in_;
    }
    std::memset(row + k, 0, static_cast<std::size_t>(k_pad_ - k) * sizeof(std::uint16_t));
  }
}

void gemm_bf16(const GemmInput& x, const PackedGemmWeights& w, float* y, float beta, int col_begin,
               int col_end) {
  if (x.kernel_ != w.kernel_ || x.in_ != w.in_) {
    throw Error(std::string("gemm_bf16: input prepared for ") + gemm_kernel_name(x.kernel_) +
                " with in " + std::to_string(x.in_) + ", weights packed for " +
                gemm_kernel_name(w.kernel_) + " with in " + std::to_string(w.in_));
  }
  if (!isa_supported(required_isa(w.kernel_)) ||
      (w.kernel_ == GemmKernel::kAmx && !detail::amx_compiled())) {
    throw Error(std::string("gemm_bf16: kernel ") + gemm_kernel_name(w.kernel_) +
                " is not available on this CPU or in this build");
  }
  const int pc = w.panel_cols_;
  if (col_begin < 0 || col_begin > col_end || col_end > w.out_ || col_begin % pc != 0 ||
      (col_end % pc != 0 && col_end != w.out_)) {
    throw Error("gemm_bf16: columns [" + std::to_string(col_begin) + ", " +
                std::to_string(col_end) + ") are not whole panels of " + std::to_string(pc) +
                " within [0, " + std::to_string(w.out_) + ")");
  }
  if (col_begin == col_end) return;
  if (uses_gemv(w.kernel_)) {
    for (int m0 = 0; m0 < x.m_; m0 += kGemvMaxTokens) {
      gemv_bf16(x.tiles_[static_cast<std::size_t>(m0 / kGemvMaxTokens)], w.w_, w.out_,
                y + static_cast<std::size_t>(m0) * static_cast<std::size_t>(w.out_), beta,
                col_begin, col_end);
    }
    return;
  }
  const detail::GemmArgs a{x.a_.get(),
                           x.m_,
                           x.m_pad_,
                           x.k_pad_,
                           w.data(),
                           w.out_,
                           y,
                           w.out_,
                           beta,
                           col_begin / pc,
                           (col_end + pc - 1) / pc};
  switch (w.kernel_) {
    case GemmKernel::kAvx512Bf16:
      return detail::gemm_bf16_avx512bf16(a);
    case GemmKernel::kAmx:
      return detail::gemm_bf16_amx(a);
    case GemmKernel::kAmxEmulated:
      return detail::gemm_bf16_amx_emulated(a);
    default:
      return;
  }
}

int gemm_panel_cols(GemmKernel kernel) {
  if (uses_gemv(kernel)) return 1;
  return kernel == GemmKernel::kAvx512Bf16 ? kAvx512Panel : kAmxPanel;
}

void gemm_bf16_rowmajor(const GemmInput& x, const std::uint16_t* w, int out, int in, float* y,
                        float beta, int col_begin, int col_end) {
  if (x.in_ != in) {
    throw Error("gemm_bf16_rowmajor: input prepared with in " + std::to_string(x.in_) +
                ", weights have in " + std::to_string(in));
  }
  const GemmKernel kernel = x.kernel_;
  if (uses_gemv(kernel)) {
    gemm_bf16(x, PackedGemmWeights::pack(w, out, in, kernel), y, beta, col_begin, col_end);
    return;
  }
  if (!isa_supported(required_isa(kernel)) ||
      (kernel == GemmKernel::kAmx && !detail::amx_compiled())) {
    throw Error(std::string("gemm_bf16_rowmajor: kernel ") + gemm_kernel_name(kernel) +
                " is not available on this CPU or in this build");
  }
  const int pc = gemm_panel_cols(kernel);
  if (col_begin < 0 || col_begin > col_end || col_end > out || col_begin % pc != 0 ||
      (col_end % pc != 0 && col_end != out)) {
    throw Error("gemm_bf16_rowmajor: columns [" + std::to_string(col_begin) + ", " +
                std::to_string(col_end) + ") are not whole panels of " + std::to_string(pc) +
                " within [0, " + std::to_string(out) + ")");
  }
  thread_local AlignedBuffer<std::uint16_t> scratch;
  std::uint16_t* panel = scratch.reserve(panel_elements(kernel, x.k_pad_));
  for (int c0 = col_begin; c0 < col_end; c0 += pc) {
    pack_panel(w, out, in, x.k_pad_, kernel, c0 / pc, panel);
    // One panel at a time, addressed from its first column: the kernel sees a 1-panel matrix.
    const detail::GemmArgs a{x.a_.get(), x.m_, x.m_pad_, x.k_pad_, panel, out - c0,
                             y + c0,     out,  beta,     0,        1};
    switch (kernel) {
      case GemmKernel::kAvx512Bf16:
        detail::gemm_bf16_avx512bf16(a);
        break;
      case GemmKernel::kAmx:
        detail::gemm_bf16_amx(a);
        break;
      default:
        detail::gemm_bf16_amx_emulated(a);
        break;
    }
  }
}

}  // namespace odma::model::cpu
