// Prefill GEMM on AMX-BF16 tiles (compiled with -mamx-tile -mamx-bf16 on top of AVX512-BF16).
// The driver and its tile layout are gemm_bf16_amx.inc; here the TILE_* macros are the Intel
// intrinsics (_tile_loadconfig, _tile_zero, _tile_loadd, _tile_dpbf16ps, _tile_stored,
// _tile_release). Selected only when detected_isa() is kAmx, i.e. the CPU has AMX-TILE and
// AMX-BF16, XCR0 enables tile state and Linux granted XTILEDATA (cpu_features.cpp). Tile state is
// per thread: every call configures the tiles and releases them on return.
// Not run on the machine it was written on (no AMX there); gemm_bf16_amx_emulated.cpp runs the
// same driver everywhere. Rules for this file: kernels_internal.h.
#include <cstddef>
#include <cstdint>

#include "model/cpu/kernels_internal.h"

#if !defined(ODMA_NO_AMX)
#include <immintrin.h>

namespace odma::model::cpu::detail {
namespace {

// The 64-byte tile configuration (palette 1) that LDTILECFG reads.
struct alignas(64) TileConfig {
  std::uint8_t palette_id;
  std::uint8_t start_row;
  std::uint8_t reserved[14];
  std::uint16_t colsb[16];  // bytes per row of tmm0..15
  std::uint8_t rows[16];    // rows of tmm0..15
};
static_assert(sizeof(TileConfig) == 64);

struct NoTiles {};

#define TILE_ZERO(t) _tile_zero(t)
#define TILE_LOAD(t, base, stride) _tile_loadd(t, base, stride)
#define TILE_DPBF16PS(c, x, y) _tile_dpbf16ps(c, x, y)
#define TILE_STORE(t, base, stride) _tile_stored(t, base, stride)
#include "model/cpu/gemm_bf16_amx.inc"
#undef TILE_ZERO
#undef TILE_LOAD
#undef TILE_DPBF16PS
#undef TILE_STORE

}  // namespace

void gemm_bf16_amx(const GemmArgs& a) {
  TileConfig cfg{};
  cfg.palette_id = 1;
  for (int t = 0; t < 8; ++t) {
    cfg.colsb[t] = 64;
    cfg.rows[t] = 16;
  }
  __asm__ volatile("" : : "r"(&cfg) : "memory");  // every byte of cfg is written before LDTILECFG
  _tile_loadconfig(&cfg);
  NoTiles tiles;
  amx_driver(a, tiles);
  _tile_release();
}

bool amx_compiled() {
  return true;
}

}  // namespace odma::model::cpu::detail

#else  // built with ODMA_AMX=OFF: never selected (amx_compiled() is false)

namespace odma::model::cpu::detail {
void gemm_bf16_amx(const GemmArgs&) {
  __builtin_trap();
}
bool amx_compiled() {
  return false;
}
}  // namespace odma::model::cpu::detail

#endif
