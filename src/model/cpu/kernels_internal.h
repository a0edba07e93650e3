// Entry points of the per-ISA translation units, for the dispatchers only (not a public API).
//
// Rule for every *_avx2.cpp / *_avx512*.cpp / *_amx.cpp file (each compiled with its own -m flags):
// include only <immintrin.h>, <cstddef>, <cstdint> and headers of plain declarations such as this
// one; keep helpers in an anonymous namespace; call no standard-library template. An inline or
// template function emitted by such a file is a weak (COMDAT) symbol compiled with AVX-512 or AMX
// instructions, and the linker may keep that copy for baseline code too, which then faults on a
// CPU without them. scripts/check_isa_objects.sh checks that these objects define no weak symbol.
#pragma once

#include <cstddef>
#include <cstdint>

#include "model/cpu/kv_run.h"

namespace odma::model::cpu::detail {

// --- bf16 conversion (bf16.cpp dispatches) ---
void f32_to_bf16_avx2(const float* src, std::uint16_t* dst, std::size_t n);
void bf16_to_f32_avx2(const std::uint16_t* src, float* dst, std::size_t n);
void f32_to_bf16_avx512(const float* src, std::uint16_t* dst, std::size_t n);
void bf16_to_f32_avx512(const std::uint16_t* src, float* dst, std::size_t n);

// --- decode GEMV (gemv_bf16.cpp dispatches) ---
// x: prepared activations (layout per kernel, see gemv_bf16.h), `xs` elements between rows.
struct GemvArgs {
  const void* x;
  std::size_t xs;
  int t;
  const std::uint16_t* w;  // [out][in]
  int in;
  int out;
  float* y;  // [t][out]
  float beta;
  int row_begin, row_end;
};
void gemv_bf16_avx2(const GemvArgs& a);
void gemv_bf16_avx512(const GemvArgs& a);
void gemv_bf16_avx512bf16(const GemvArgs& a);

// --- INT8 GEMV (gemv_int8.cpp dispatches; arithmetic in gemv_int8.h) ---
struct Int8GemvArgs {
  const std::uint8_t* x;  // t prepared activation rows (layout per kernel), xs bytes apart
  std::size_t xs;
  const float* x_scales;  // [t]
  int t;                  // 1..8
  const std::int8_t* q;   // [out][in]
  const float* scales;    // [out]
  const std::int32_t* row_sums;
  int in;
  int out;
  float* y;  // token i's row at y + i × out
  float beta;
  int row_begin, row_end;
};
void gemv_int8_avx2(const Int8GemvArgs& a);
void gemv_int8_avx512vnni(const Int8GemvArgs& a);

// --- prefill GEMM (gemm_bf16.cpp dispatches) ---
struct GemmArgs {
  const std::uint16_t* a;  // activations, BF16 [m_pad][k_pad] row-major (zero padding)
  int m, m_pad;
  int k_pad;
  const std::uint16_t* b;  // packed weights (layout per kernel, see gemm_bf16.h)
  int n;                   // valid output columns
  float* y;                // [m][ldy]
  int ldy;
  float beta;
  int panel_begin, panel_end;  // packed column panels to compute
};
void gemm_bf16_avx512bf16(const GemmArgs& a);
void gemm_bf16_amx(const GemmArgs& a);
void gemm_bf16_amx_emulated(const GemmArgs& a);
bool amx_compiled();  // false when the build left the AMX kernel out (ODMA_AMX=OFF)

// --- decode attention (attention_bf16.cpp dispatches) ---
struct AttnArgs {
  const std::uint16_t* k;  // K plane: slot s at k + s × hd
  const std::uint16_t* v;  // V plane
  int hd;
  int group;
  const KvRun* runs;
  int n_runs;
  int ctx;         // Σ runs[i].n
  const float* q;  // [group][hd]
  float* out;      // [group][hd]
  float* scores;   // scratch: [group][ctx]
  float* work;     // scratch: 3 × group × hd floats (prepared q, V accumulators)
};
void attend_bf16_avx2(const AttnArgs& a);
void attend_bf16_avx512(const AttnArgs& a);
void attend_bf16_avx512bf16(const AttnArgs& a);

// --- decode attention over INT8 K/V (attention_i8.cpp dispatches; arithmetic in attention_i8.h)
// ---
struct AttnI8Args {
  const std::int8_t* k;  // K plane: slot s at k + s × hd
  const std::int8_t* v;  // V plane
  int hd;                // ≤ 256 and % 16 == 0 (AVX2) or % 32 == 0 (AVX-512) for the SIMD kernels
  int group;             // 1..8
  const KvRun* runs;
  int n_runs;
  int ctx;                    // Σ runs[i].n
  const std::int8_t* q8;      // [group][hd] quantized queries
  const std::int32_t* q_sum;  // [group]: Σ_d q8[g][d] (the VNNI kernel's offset correction)
  const float* q_scale;       // [group]: q's scale ÷ √hd
  const float* k_scale;       // [ctx]: each position's K scale, in position order
  const float* v_scale;       // [ctx]
  float* scores;              // scratch [group][ctx]
  std::int16_t* wq;           // scratch [group][wq_stride]: quantized weights (attention_i8.h)
  int wq_stride;              // ctx rounded up to the 64-position chunk
  float* w_scale;             // scratch [group][chunks]
  float* out;                 // [group][hd]
};
void attend_i8_avx2(const AttnI8Args& a);
void attend_i8_avx512vnni(const AttnI8Args& a);

}  // namespace odma::model::cpu::detail
