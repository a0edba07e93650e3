#include "model/cpu/cpu_features.h"

#include <cpuid.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#if defined(__linux__)
#include <sys/syscall.h>
#include <unistd.h>
#endif

#include "base/error.h"

namespace odma::model::cpu {
namespace {

// Linux uapi <asm/prctl.h> values (kernel ≥ 5.16); spelled out so older headers build.
constexpr long kArchGetXcompPerm = 0x1022;
constexpr long kArchReqXcompPerm = 0x1023;
constexpr long kXfeatureXtiledata = 18;

struct Regs {
  unsigned a = 0, b = 0, c = 0, d = 0;
};

Regs cpuid(unsigned leaf, unsigned subleaf) {
  Regs r;
  if (__get_cpuid_count(leaf, subleaf, &r.a, &r.b, &r.c, &r.d) == 0) return Regs{};
  return r;
}

bool bit(unsigned v, int b) {
  return ((v >> b) & 1u) != 0;
}

unsigned long long xgetbv0() {
  unsigned lo = 0, hi = 0;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return (static_cast<unsigned long long>(hi) << 32) | lo;
}

void request_amx(CpuFeatures& f) {
#if defined(__linux__) && defined(SYS_arch_prctl)
  if (syscall(SYS_arch_prctl, kArchReqXcompPerm, kXfeatureXtiledata) != 0) {
    f.amx_note = std::string("arch_prctl(ARCH_REQ_XCOMP_PERM) refused: ") + std::strerror(errno);
    return;
  }
  unsigned long long mask = 0;
  if (syscall(SYS_arch_prctl, kArchGetXcompPerm, &mask) != 0 ||
      ((mask >> kXfeatureXtiledata) & 1ull) == 0) {
    f.amx_note = "arch_prctl(ARCH_GET_XCOMP_PERM) does not list XTILEDATA";
    return;
  }
  f.amx_permitted = true;
#else
  f.amx_note = "AMX needs Linux's arch_prctl permission request";
#endif
}

CpuFeatures detect() {
  CpuFeatures f;
  const Regs v = cpuid(0, 0);
  char vendor[13] = {};
  std::memcpy(vendor, &v.b, 4);
  std::memcpy(vendor + 4, &v.d, 4);
  std::memcpy(vendor + 8, &v.c, 4);
  f.vendor = vendor;
  const unsigned max_leaf = v.a;
  const Regs l1 = cpuid(1, 0);
  const bool osxsave = bit(l1.c, 27);
  f.avx = bit(l1.c, 28);
  f.fma = bit(l1.c, 12);
  if (max_leaf >= 7) {
    const Regs l7 = cpuid(7, 0);
    f.avx2 = bit(l7.b, 5);
    f.avx512f = bit(l7.b, 16);
    f.avx512dq = bit(l7.b, 17);
    f.avx512bw = bit(l7.b, 30);
    f.avx512vl = bit(l7.b, 31);
    f.avx512vnni = bit(l7.c, 11);
    f.amx_bf16 = bit(l7.d, 22);
    f.amx_tile = bit(l7.d, 24);
    f.amx_int8 = bit(l7.d, 25);
    if (l7.a >= 1) f.avx512bf16 = bit(cpuid(7, 1).a, 5);
  }
  if (osxsave) {
    const unsigned long long xcr0 = xgetbv0();
    f.os_ymm = (xcr0 & 0x6) == 0x6;
    f.os_zmm = f.os_ymm && (xcr0 & 0xE0) == 0xE0;
    f.os_tile = (xcr0 & 0x60000) == 0x60000;
  }
  if (f.amx_tile && f.amx_bf16) {
    if (!f.os_tile) {
      f.amx_note = "the OS does not enable tile state in XCR0";
    } else {
      request_amx(f);
    }
  }
  return f;
}

Isa detect_isa(const CpuFeatures& f) {
  if (!(f.avx && f.avx2 && f.fma && f.os_ymm)) return Isa::kScalar;
  if (!(f.avx512f && f.avx512bw && f.avx512vl && f.os_zmm)) return Isa::kAvx2;
  if (!f.avx512bf16) return Isa::kAvx512;
  if (!(f.amx_tile && f.amx_bf16 && f.amx_permitted)) return Isa::kAvx512Bf16;
  return Isa::kAmx;
}

constexpr int kNoCap = 100;
std::atomic<int> g_override{kNoCap};  // innermost ScopedIsaOverride

struct EnvCap {
  int cap = kNoCap;
  bool unknown = false;
  std::string value;
};

const EnvCap& env_cap() {
  static const EnvCap cap = [] {
    EnvCap c;
    const char* env = std::getenv("ODMA_ISA");
    if (env == nullptr || *env == '\0') return c;
    c.value = env;
    Isa isa = Isa::kScalar;
    if (!parse_isa(c.value, &isa)) {
      c.unknown = true;
      std::fprintf(stderr,
                   "odma: ODMA_ISA=%s is not one of scalar|avx2|avx512|avx512bf16|amx; ignored\n",
                   env);
      return c;
    }
    if (static_cast<int>(isa) > static_cast<int>(detected_isa())) {
      std::fprintf(stderr, "odma: ODMA_ISA=%s asks for more than this CPU offers; using %s\n", env,
                   isa_name(detected_isa()));
    }
    c.cap = static_cast<int>(isa);
    return c;
  }();
  return cap;
}

}  // namespace

const CpuFeatures& cpu_features() {
  static const CpuFeatures f = detect();
  return f;
}

Isa detected_isa() {
  static const Isa isa = detect_isa(cpu_features());
  return isa;
}

Isa active_isa() noexcept {
  int level = static_cast<int>(detected_isa());
  level = std::min(level, env_cap().cap);
  level = std::min(level, g_override.load(std::memory_order_relaxed));
  return static_cast<Isa>(level);
}

bool isa_supported(Isa isa) {
  return static_cast<int>(isa) <= static_cast<int>(detected_isa());
}

void require_isa(Isa isa, const char* what) {
  if (!isa_supported(isa)) {
    throw Error(std::string(what) + ": " + isa_name(isa) + " is not available on this CPU");
  }
}

std::vector<Isa> supported_isas() {
  std::vector<Isa> out;
  for (int i = 0; i <= static_cast<int>(detected_isa()); ++i) out.push_back(static_cast<Isa>(i));
  return out;
}

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::kScalar:
      return "scalar";
    case Isa::kAvx2:
      return "avx2";
    case Isa::kAvx512:
      return "avx512";
    case Isa::kAvx512Bf16:
      return "avx512bf16";
    case Isa::kAmx:
      return "amx";
  }
  return "?";
}

bool parse_isa(std::string_view name, Isa* isa) {
  for (int i = 0; i <= static_cast<int>(Isa::kAmx); ++i) {
    if (name == isa_name(static_cast<Isa>(i))) {
      *isa = static_cast<Isa>(i);
      return true;
    }
  }
  return false;
}

std::string describe_isa() {
  const CpuFeatures& f = cpu_features();
  const Isa active = active_isa(), best = detected_isa();
  std::string s = isa_name(active);
  std::string used;
  auto add = [&used](const char* x) { used += used.empty() ? x : std::string(", ") + x; };
  switch (active) {
    case Isa::kScalar:
      add("no SIMD kernels");
      break;
    case Isa::kAvx2:
      add("AVX2");
      add("FMA");
      break;
    case Isa::kAvx512:
      add("AVX-512F");
      break;
    case Isa::kAvx512Bf16:
      add("AVX-512F");
      add("AVX512-BF16");
      break;
    case Isa::kAmx:
      add("AVX-512F");
      add("AVX512-BF16");
      add("AMX-BF16");
      break;
  }
  s += " (" + used;
  if (active != best) {
    s += std::string("; capped by ") + (g_override.load() < kNoCap ? "override" : "ODMA_ISA") +
         ", CPU has " + isa_name(best);
  } else if (active != Isa::kAmx) {
    s += f.amx_tile && f.amx_bf16 ? "; AMX unusable: " + f.amx_note : std::string("; no AMX");
  }
  return s + ")";
}

void check_isa_environment() {
  const EnvCap& c = env_cap();
  if (c.unknown) {
    throw Error("ODMA_ISA=" + c.value + ": expected one of scalar|avx2|avx512|avx512bf16|amx");
  }
}

ScopedIsaOverride::ScopedIsaOverride(Isa cap) : previous_(g_override.load()) {
  if (!isa_supported(cap)) {
    throw Error(std::string("ScopedIsaOverride: ") + isa_name(cap) + " is not available here (" +
                isa_name(detected_isa()) + " is the best this CPU offers)");
  }
  g_override.store(static_cast<int>(cap));
}

ScopedIsaOverride::~ScopedIsaOverride() {
  g_override.store(previous_);
}

}  // namespace odma::model::cpu
