// Decode attention over BF16 K/V, AVX-512F (compiled with -mavx512f -mavx512bw -mavx512vl): scores
// by BF16→F32 widening + FMA with q in F32; V widened and accumulated in F32. The kernel is
// attention_bf16_avx512.inc; rules for this file: kernels_internal.h.
#include <immintrin.h>

// GCC 12's AVX-512 intrinsics start from _mm512_undefined_*(), which -W(maybe-)uninitialized
// flags (a false positive) once they are inlined here.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include <cstddef>
#include <cstdint>

#include "model/cpu/kernels_internal.h"

namespace odma::model::cpu::detail {
namespace {

#include "model/cpu/kv_cursor.inc"
#include "model/cpu/simd_avx512.inc"
#include "model/cpu/softmax_avx512.inc"
// (after the helpers it uses)
#include "model/cpu/attention_bf16_avx512.inc"

}  // namespace

void attend_bf16_avx512(const AttnArgs& a) {
  attend_any<false>(a);
}

}  // namespace odma::model::cpu::detail
