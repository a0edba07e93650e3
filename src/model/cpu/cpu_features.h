// Run-time CPU feature detection and kernel dispatch level for the CPU kernels.
//
//   Isa        a kernel family, weakest first; each level implies every level before it:
//              kScalar     any x86-64 (the build baseline, x86-64-v2)
//              kAvx2       AVX2 + FMA, OS saves YMM state
//              kAvx512     AVX-512F/BW/VL, OS saves ZMM + opmask state
//              kAvx512Bf16 + AVX512-BF16 (vdpbf16ps)
//              kAmx        + AMX-TILE and AMX-BF16, OS saves tile state and Linux granted this
//                          process XTILEDATA (arch_prctl(ARCH_REQ_XCOMP_PERM)).
//   detected   the best level this CPU and OS allow (computed once, thread-safe).
//   active     what kernels dispatch to: detected, capped by $ODMA_ISA and by the innermost
//              ScopedIsaOverride. A cap never enables what the CPU lacks.
//
// $ODMA_ISA=scalar|avx2|avx512|avx512bf16|amx (read once). A value above the detected level
// prints one warning on stderr and has no effect (the CPU's best is used). An unknown value prints
// one warning and is ignored by active_isa(); check_isa_environment() throws odma::Error for it,
// so a CLI can refuse to start.
//
// Each kernel family maps an Isa to its own kernel (e.g. GEMV under kAmx runs the AVX512-BF16
// kernel): see the family's header.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace odma::model::cpu {

enum class Isa { kScalar = 0, kAvx2 = 1, kAvx512 = 2, kAvx512Bf16 = 3, kAmx = 4 };

struct CpuFeatures {
  // CPUID bits.
  bool avx = false, avx2 = false, fma = false;
  bool avx512f = false, avx512bw = false, avx512vl = false, avx512dq = false;
  bool avx512bf16 = false, avx512vnni = false;
  bool amx_tile = false, amx_bf16 = false, amx_int8 = false;
  // XCR0 (xgetbv): which register state the OS saves on context switches.
  bool os_ymm = false;   // bits 1, 2 (SSE, AVX)
  bool os_zmm = false;   // bits 5, 6, 7 (opmask, ZMM_Hi256, Hi16_ZMM)
  bool os_tile = false;  // bits 17, 18 (XTILECFG, XTILEDATA)
  // Linux: arch_prctl(ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA) succeeded for this process.
  bool amx_permitted = false;
  std::string amx_note;  // why AMX is unusable when the CPU has it ("" otherwise)
  std::string vendor;    // "GenuineIntel", "AuthenticAMD", ...
};

const CpuFeatures& cpu_features();
Isa detected_isa();
Isa active_isa() noexcept;
bool isa_supported(Isa isa);  // isa <= detected_isa()
// Throws odma::Error "<what>: <isa> is not available on this CPU" unless isa_supported(isa).
void require_isa(Isa isa, const char* what);
std::vector<Isa> supported_isas();  // kScalar .. detected_isa(), weakest first

const char* isa_name(Isa isa);                    // "scalar", "avx2", "avx512", "avx512bf16", "amx"
bool parse_isa(std::string_view name, Isa* isa);  // false for an unknown name

// One line for logs, e.g. "avx512bf16 (AVX-512F, AVX512-BF16; no AMX)"; notes a cap below the
// CPU's best ("; capped by ODMA_ISA, CPU has ...") and why AMX is unusable where the CPU has it.
std::string describe_isa();

// Throws odma::Error if $ODMA_ISA is set to an unknown name.
void check_isa_environment();

// Caps active_isa() at `cap` while alive; the innermost override wins ($ODMA_ISA still applies),
// and destruction restores the previous one.
// Throws odma::Error if `cap` is above detected_isa(): a test that asks for AMX on a machine
// without it must skip, not silently run something else. Not for concurrent use from threads
// that construct overrides at the same time (tests and startup code only).
class ScopedIsaOverride {
 public:
  explicit ScopedIsaOverride(Isa cap);
  ~ScopedIsaOverride();
  ScopedIsaOverride(const ScopedIsaOverride&) = delete;
  ScopedIsaOverride& operator=(const ScopedIsaOverride&) = delete;

 private:
  int previous_;
};

}  // namespace odma::model::cpu
