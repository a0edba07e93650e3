#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "base/error.h"
#include "sim/device_profile.h"

namespace odma::sim {
namespace {

nlohmann::json valid_profile() {
  return nlohmann::json::parse(R"({
    "name": "t", "memory_bytes": 1e9, "bandwidth_bytes_per_s": 1e11, "flops_per_s": 1e13,
    "step_overhead_s": 0.001, "reserved_memory_fraction": 0.1,
    "alpha_curve": [{"chunk_bytes": 64, "alpha": 0.25}, {"chunk_bytes": 4096, "alpha": 0.5},
                    {"chunk_bytes": 65536, "alpha": 1.0}],
    "sources": {"memory_bytes": "test"}})");
}

std::string error_of(const nlohmann::json& j) {
  try {
    (void)parse_device_profile(j.dump(), "dev.json");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(DeviceProfile, ShippedProfilesLoadAndCiteSources) {
  const std::vector<std::string> names = device_profile_names();
  for (const char* want : {"cpu-local", "h200", "jetson-agx-orin-64gb", "mlu370-x4", "mlu370-x8"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), want), names.end()) << want;
  }
  for (const std::string& name : names) {
    DeviceProfile p = load_device_profile(name);
    EXPECT_EQ(p.name, name);
    for (const char* field : {"memory_bytes", "bandwidth_bytes_per_s", "flops_per_s", "alpha_curve",
                              "step_overhead_s", "reserved_memory_fraction"}) {
      EXPECT_TRUE(p.sources.count(field)) << name << " lacks a source for " << field;
    }
  }
  DeviceProfile x4 = load_device_profile("mlu370-x4");
  EXPECT_DOUBLE_EQ(x4.bandwidth_bytes_per_s, 307.2e9);
  EXPECT_DOUBLE_EQ(x4.flops_per_s, 48e12);
  DeviceProfile h200 = load_device_profile("h200");
  EXPECT_NEAR(h200.alpha(16 * 256), 0.971, 1e-9);  // 16-token pages, DESIGN.md
  EXPECT_NEAR(h200.alpha(256), 0.926, 1e-9);       // 1-token pages
}

TEST(DeviceProfile, AlphaInterpolatesInLogSpaceAndClamps) {
  DeviceProfile p = parse_device_profile(valid_profile().dump(), "t");
  EXPECT_DOUBLE_EQ(p.alpha(64), 0.25);
  EXPECT_DOUBLE_EQ(p.alpha(4096), 0.5);
  EXPECT_DOUBLE_EQ(p.alpha(512), 0.25 + 0.25 * 0.5);  // log2 512 is halfway between 6 and 12
  EXPECT_DOUBLE_EQ(p.alpha(16384), 0.75);             // halfway between 12 and 16
  EXPECT_DOUBLE_EQ(p.alpha(1), 0.25);                 // clamped below
  EXPECT_DOUBLE_EQ(p.alpha(1e12), 1.0);               // clamped above
  EXPECT_DOUBLE_EQ(p.usable_memory_bytes(), 0.9e9);
}

TEST(DeviceProfile, JsonRoundTrips) {
  DeviceProfile p = parse_device_profile(valid_profile().dump(), "t");
  DeviceProfile q = parse_device_profile(device_profile_json(p), "again");
  EXPECT_EQ(q.name, p.name);
  EXPECT_EQ(q.alpha_curve.size(), p.alpha_curve.size());
  EXPECT_DOUBLE_EQ(q.alpha(1000), p.alpha(1000));
  EXPECT_EQ(q.sources, p.sources);
}

TEST(DeviceProfile, RejectsBadFilesNamingTheField) {
  auto has = [](const std::string& msg, const std::string& part) {
    return msg.find(part) != std::string::npos && msg.find("dev.json") != std::string::npos;
  };
  auto j = valid_profile();
  j.erase("bandwidth_bytes_per_s");
  EXPECT_TRUE(has(error_of(j), "missing field \"bandwidth_bytes_per_s\"")) << error_of(j);

  j = valid_profile();
  j["bandwidth_bytes_per_s"] = -5;
  EXPECT_TRUE(has(error_of(j), "bandwidth_bytes_per_s\" must be > 0")) << error_of(j);

  j = valid_profile();
  j["alpha_curve"][1]["alpha"] = 1.5;
  EXPECT_TRUE(has(error_of(j), "alpha_curve[1].alpha must be in (0, 1]")) << error_of(j);
  j["alpha_curve"][1]["alpha"] = 0.0;
  EXPECT_TRUE(has(error_of(j), "alpha_curve[1].alpha must be in (0, 1]")) << error_of(j);

  j = valid_profile();
  j["alpha_curve"][2]["alpha"] = 0.4;  // drops below the previous point
  EXPECT_TRUE(has(error_of(j), "non-monotone")) << error_of(j);

  j = valid_profile();
  j["alpha_curve"][1]["chunk_bytes"] = 32;  // chunk sizes out of order
  EXPECT_TRUE(has(error_of(j), "strictly increasing chunk_bytes")) << error_of(j);

  j = valid_profile();
  j["alpha_curve"] = nlohmann::json::array();
  EXPECT_TRUE(has(error_of(j), "at least one point")) << error_of(j);

  j = valid_profile();
  j["reserved_memory_fraction"] = 1.0;
  EXPECT_TRUE(has(error_of(j), "reserved_memory_fraction")) << error_of(j);

  j = valid_profile();
  j.erase("sources");
  EXPECT_TRUE(has(error_of(j), "sources")) << error_of(j);

  j = valid_profile();
  j["flops_per_s"] = "fast";
  EXPECT_TRUE(has(error_of(j), "\"flops_per_s\" must be a number")) << error_of(j);

  EXPECT_THROW((void)parse_device_profile("{\"name\": ", "dev.json"), Error);
  EXPECT_THROW((void)load_device_profile("no-such-device"), Error);
}

}  // namespace
}  // namespace odma::sim
