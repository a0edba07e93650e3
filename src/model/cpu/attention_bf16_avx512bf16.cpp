// Decode attention over BF16 K/V, AVX512-BF16 (compiled with -mavx512f -mavx512bw -mavx512vl
// -mavx512bf16): scores by vdpbf16ps with q rounded to BF16 once per call; V widened and
// accumulated in F32. The kernel is attention_bf16_avx512.inc; rules for this file:
// kernels_internal.h.
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

void attend_bf16_avx512bf16(const AttnArgs& a) {
  attend_any<true>(a);
}

}  // namespace odma::model::cpu::detail
