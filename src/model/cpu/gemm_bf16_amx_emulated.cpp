// The AMX GEMM driver (gemm_bf16_amx.inc) over a scalar emulation of the eight tile registers, so
// the packing, tile walk and output indexing of the AMX kernel are tested on every CPU.
// TDPBF16PS as the Intel SDM defines it: for each row m, k pair k, column n:
//   c[m][n] += f32(a[m][2k]) · f32(b[k][2n]);  c[m][n] += f32(a[m][2k+1]) · f32(b[k][2n+1])
// with every product exact (BF16 × BF16 fits F32), each sum rounded to F32 (round to nearest
// even), BF16 subnormal inputs read as zero. Hardware may round the pair sum differently; the
// AMX test on AMX hardware compares to this within a bound, not bitwise. Compiled at the baseline.
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "model/cpu/kernels_internal.h"

namespace odma::model::cpu::detail {
namespace {

struct EmulatedTiles {
  alignas(64) unsigned char t[8][16][64];

  void zero(int i) { std::memset(t[i], 0, sizeof t[i]); }
  void load(int i, const void* base, long stride) {
    for (int r = 0; r < 16; ++r)
      std::memcpy(t[i][r], static_cast<const unsigned char*>(base) + r * stride, 64);
  }
  void store(int i, void* base, long stride) const {
    for (int r = 0; r < 16; ++r)
      std::memcpy(static_cast<unsigned char*>(base) + r * stride, t[i][r], 64);
  }
  static float bf16(const unsigned char* p) {
    std::uint16_t h;
    std::memcpy(&h, p, 2);
    if ((h & 0x7F80u) == 0) h &= 0x8000u;  // DAZ
    const std::uint32_t u = static_cast<std::uint32_t>(h) << 16;
    float f;
    std::memcpy(&f, &u, 4);
    return f;
  }
  void dpbf16ps(int c, int a, int b) {
    for (int m = 0; m < 16; ++m) {
      float row[16];
      std::memcpy(row, t[c][m], 64);
      for (int k = 0; k < 16; ++k)
        for (int n = 0; n < 16; ++n) {
          row[n] = row[n] + bf16(&t[a][m][4 * k]) * bf16(&t[b][k][4 * n]);
          row[n] = row[n] + bf16(&t[a][m][4 * k + 2]) * bf16(&t[b][k][4 * n + 2]);
        }
      std::memcpy(t[c][m], row, 64);
    }
  }
};

#define TILE_ZERO(i) tiles.zero(i)
#define TILE_LOAD(i, base, stride) tiles.load(i, base, stride)
#define TILE_DPBF16PS(c, x, y) tiles.dpbf16ps(c, x, y)
#define TILE_STORE(i, base, stride) tiles.store(i, base, stride)
#include "model/cpu/gemm_bf16_amx.inc"
#undef TILE_ZERO
#undef TILE_LOAD
#undef TILE_DPBF16PS
#undef TILE_STORE

}  // namespace

void gemm_bf16_amx_emulated(const GemmArgs& a) {
  EmulatedTiles tiles;
  amx_driver(a, tiles);
}

}  // namespace odma::model::cpu::detail
