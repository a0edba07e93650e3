// Run-time ISA detection: the detected level agrees with the CPUID/XCR0 bits it is built from,
// overrides cap and restore, $ODMA_ISA caps a real process (checked in a child process, since the
// variable is read once), and unknown or unavailable requests are reported.
#include "model/cpu/cpu_features.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <unistd.h>

#include "base/error.h"

namespace odma::model::cpu {
namespace {

TEST(CpuFeatures, DetectedLevelMatchesTheFeatureBits) {
  const CpuFeatures& f = cpu_features();
  const Isa isa = detected_isa();
  if (isa >= Isa::kAvx2) {
    EXPECT_TRUE(f.avx2 && f.fma && f.os_ymm);
  }
  if (isa >= Isa::kAvx512) {
    EXPECT_TRUE(f.avx512f && f.avx512bw && f.avx512vl && f.os_zmm);
  }
  if (isa >= Isa::kAvx512Bf16) {
    EXPECT_TRUE(f.avx512bf16);
  }
  if (isa == Isa::kAmx) {
    EXPECT_TRUE(f.amx_tile && f.amx_bf16 && f.os_tile && f.amx_permitted);
  }
  if (f.avx512bf16 && f.avx512f && f.avx512bw && f.avx512vl && f.os_zmm) {
    EXPECT_GE(static_cast<int>(isa), static_cast<int>(Isa::kAvx512Bf16));
  }
  EXPECT_EQ(supported_isas().size(), static_cast<std::size_t>(isa) + 1);
  std::printf("[ cpu ] vendor %s, detected %s, active: %s\n", f.vendor.c_str(), isa_name(isa),
              describe_isa().c_str());
}

TEST(CpuFeatures, NamesRoundTrip) {
  for (Isa isa : {Isa::kScalar, Isa::kAvx2, Isa::kAvx512, Isa::kAvx512Bf16, Isa::kAmx}) {
    Isa parsed = Isa::kScalar;
    ASSERT_TRUE(parse_isa(isa_name(isa), &parsed));
    EXPECT_EQ(parsed, isa);
  }
  Isa unused = Isa::kScalar;
  EXPECT_FALSE(parse_isa("avx512_bf16", &unused));
  EXPECT_FALSE(parse_isa("", &unused));
}

bool env_capped() {
  const char* e = std::getenv("ODMA_ISA");
  return e != nullptr && *e != '\0';
}

TEST(CpuFeatures, ScopedOverrideCapsNestsAndRestores) {
  if (env_capped()) GTEST_SKIP() << "ODMA_ISA caps this process; the child-process test covers it";
  const Isa before = active_isa();
  {
    ScopedIsaOverride outer(Isa::kScalar);
    EXPECT_EQ(active_isa(), Isa::kScalar);
    EXPECT_EQ(describe_isa().rfind("scalar (", 0), 0u) << describe_isa();
    if (isa_supported(Isa::kAvx2)) {
      ScopedIsaOverride inner(Isa::kAvx2);
      EXPECT_EQ(active_isa(), Isa::kAvx2);
    }
    EXPECT_EQ(active_isa(), Isa::kScalar);
  }
  EXPECT_EQ(active_isa(), before);
}

TEST(CpuFeatures, OverrideAboveTheCpuIsAnError) {
  if (detected_isa() == Isa::kAmx) GTEST_SKIP() << "this CPU has every level";
  EXPECT_THROW(ScopedIsaOverride{Isa::kAmx}, Error);  // braces: clang reads (Isa::kAmx) as a declaration
}

TEST(CpuFeatures, DescriptionNamesTheActiveLevel) {
  const std::string d = describe_isa();
  EXPECT_EQ(d.rfind(std::string(isa_name(active_isa())) + " (", 0), 0u) << d;
  if (active_isa() == Isa::kAvx512Bf16 && detected_isa() == Isa::kAvx512Bf16 &&
      !cpu_features().amx_tile) {
    EXPECT_EQ(d, "avx512bf16 (AVX-512F, AVX512-BF16; no AMX)");
  }
}

// Prints the active level: the child-process probe below reads this line.
TEST(CpuFeatures, PrintActive) {
  std::printf("ODMA-ACTIVE-ISA %s\n", describe_isa().c_str());
}

std::string run_child(const std::string& env) {
  char self[4096] = {};
  const ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);  // popen runs sh
  if (len <= 0) return "readlink failed";
  const std::string cmd =
      env + " '" + std::string(self) + "' --gtest_filter=CpuFeatures.PrintActive 2>&1";
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return out;
  std::array<char, 512> buf{};
  while (fgets(buf.data(), buf.size(), p) != nullptr) out += buf.data();
  pclose(p);
  return out;
}

TEST(CpuFeatures, EnvironmentCapsAChildProcess) {
  const std::string scalar = run_child("ODMA_ISA=scalar");
  EXPECT_NE(scalar.find("ODMA-ACTIVE-ISA scalar ("), std::string::npos) << scalar;
  EXPECT_NE(scalar.find("capped by ODMA_ISA"), std::string::npos) << scalar;
  const std::string bogus = run_child("ODMA_ISA=avx9000");
  EXPECT_NE(bogus.find("not one of"), std::string::npos) << bogus;
  EXPECT_NE(bogus.find(std::string("ODMA-ACTIVE-ISA ") + isa_name(detected_isa()) + " ("),
            std::string::npos)
      << bogus;
  if (detected_isa() != Isa::kAmx) {
    const std::string more = run_child("ODMA_ISA=amx");
    EXPECT_NE(more.find("asks for more than this CPU offers"), std::string::npos) << more;
    EXPECT_NE(more.find(std::string("ODMA-ACTIVE-ISA ") + isa_name(detected_isa()) + " ("),
              std::string::npos)
        << more;
  }
}

}  // namespace
}  // namespace odma::model::cpu
