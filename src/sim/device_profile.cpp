#include "sim/device_profile.h"

#include <algorithm>
#include <cmath>
#include <ctime>
#include <nlohmann/json.hpp>

#include "base/error.h"
#include "base/file_io.h"

namespace odma::sim {

namespace {

using nlohmann::json;

double number_field(const json& j, const char* field, const std::string& source) {
  auto it = j.find(field);
  if (it == j.end()) throw Error(source + ": missing field \"" + field + "\"");
  if (!it->is_number()) throw Error(source + ": field \"" + field + "\" must be a number");
  double v = it->get<double>();
  if (!std::isfinite(v)) throw Error(source + ": field \"" + field + "\" must be finite");
  return v;
}

std::string string_field(const json& j, const char* field, const std::string& fallback) {
  auto it = j.find(field);
  return it != j.end() && it->is_string() ? it->get<std::string>() : fallback;
}

bool looks_like_path(const std::string& s) {
  return s.find('/') != std::string::npos || (s.size() > 5 && s.ends_with(".json"));
}

}  // namespace

double DeviceProfile::alpha(double chunk_bytes) const {
  if (alpha_curve.empty()) return 1.0;
  if (chunk_bytes <= alpha_curve.front().chunk_bytes) return alpha_curve.front().alpha;
  if (chunk_bytes >= alpha_curve.back().chunk_bytes) return alpha_curve.back().alpha;
  auto hi = std::upper_bound(alpha_curve.begin(), alpha_curve.end(), chunk_bytes,
                             [](double c, const AlphaPoint& p) { return c < p.chunk_bytes; });
  auto lo = hi - 1;
  double t = (std::log2(chunk_bytes) - std::log2(lo->chunk_bytes)) /
             (std::log2(hi->chunk_bytes) - std::log2(lo->chunk_bytes));
  return lo->alpha + t * (hi->alpha - lo->alpha);
}

void validate_device_profile(const DeviceProfile& p, const std::string& source) {
  auto positive = [&](double v, const char* field) {
    if (!(v > 0))
      throw Error(source + ": \"" + field + "\" must be > 0 (got " + std::to_string(v) + ")");
  };
  positive(p.memory_bytes, "memory_bytes");
  positive(p.bandwidth_bytes_per_s, "bandwidth_bytes_per_s");
  positive(p.flops_per_s, "flops_per_s");
  if (!(p.step_overhead_s >= 0)) throw Error(source + ": \"step_overhead_s\" must be >= 0");
  if (!(p.reserved_memory_fraction >= 0 && p.reserved_memory_fraction < 1)) {
    throw Error(source + ": \"reserved_memory_fraction\" must be in [0, 1)");
  }
  if (p.alpha_curve.empty()) throw Error(source + ": \"alpha_curve\" needs at least one point");
  for (std::size_t i = 0; i < p.alpha_curve.size(); ++i) {
    const AlphaPoint& pt = p.alpha_curve[i];
    std::string where = source + ": alpha_curve[" + std::to_string(i) + "]";
    if (!(pt.chunk_bytes > 0)) throw Error(where + ".chunk_bytes must be > 0");
    if (!(pt.alpha > 0 && pt.alpha <= 1)) {
      throw Error(where + ".alpha must be in (0, 1] (got " + std::to_string(pt.alpha) + ")");
    }
    if (i == 0) continue;
    const AlphaPoint& prev = p.alpha_curve[i - 1];
    if (!(pt.chunk_bytes > prev.chunk_bytes)) {
      throw Error(where +
                  ": points must have strictly increasing chunk_bytes (non-monotone curve)");
    }
    if (pt.alpha < prev.alpha) {
      throw Error(where + ": alpha must not decrease as chunk_bytes grows (non-monotone curve)");
    }
  }
}

DeviceProfile parse_device_profile(const std::string& json_text, const std::string& source) {
  json j;
  try {
    j = json::parse(json_text);
  } catch (const json::exception& e) {
    throw Error(source + ": not valid JSON: " + e.what());
  }
  if (!j.is_object()) throw Error(source + ": a device profile must be a JSON object");
  DeviceProfile p;
  p.name = string_field(j, "name", "");
  if (p.name.empty()) throw Error(source + ": missing field \"name\"");
  p.description = string_field(j, "description", "");
  p.memory_bytes = number_field(j, "memory_bytes", source);
  p.bandwidth_bytes_per_s = number_field(j, "bandwidth_bytes_per_s", source);
  p.flops_per_s = number_field(j, "flops_per_s", source);
  p.step_overhead_s = number_field(j, "step_overhead_s", source);
  p.reserved_memory_fraction = number_field(j, "reserved_memory_fraction", source);
  auto curve = j.find("alpha_curve");
  if (curve == j.end()) throw Error(source + ": missing field \"alpha_curve\"");
  if (!curve->is_array()) throw Error(source + ": \"alpha_curve\" must be an array of points");
  for (std::size_t i = 0; i < curve->size(); ++i) {
    const json& pt = (*curve)[i];
    std::string where = source + ": alpha_curve[" + std::to_string(i) + "]";
    if (!pt.is_object()) throw Error(where + " must be {\"chunk_bytes\": N, \"alpha\": N}");
    p.alpha_curve.push_back(
        {number_field(pt, "chunk_bytes", where), number_field(pt, "alpha", where)});
  }
  auto sources = j.find("sources");
  if (sources == j.end() || !sources->is_object()) {
    throw Error(source + ": missing object \"sources\" (the provenance of every figure)");
  }
  for (const auto& [k, v] : sources->items()) {
    if (!v.is_string()) throw Error(source + ": sources." + k + " must be a string");
    p.sources[k] = v.get<std::string>();
  }
  validate_device_profile(p, source);
  return p;
}

DeviceProfile load_device_profile(const std::string& name_or_path) {
  if (!looks_like_path(name_or_path)) {
    const std::vector<std::string> names = device_profile_names();
    if (std::find(names.begin(), names.end(), name_or_path) == names.end()) {
      std::string known;
      for (const std::string& n : names) known += (known.empty() ? "" : ", ") + n;
      throw Error("unknown device '" + name_or_path + "' (shipped: " + known +
                  "; or give a path to a profile .json)");
    }
  }
  std::filesystem::path path = looks_like_path(name_or_path)
                                   ? std::filesystem::path(name_or_path)
                                   : data_file("devices/" + name_or_path + ".json");
  return parse_device_profile(read_file(path), path.string());
}

std::vector<std::string> device_profile_names() {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(data_dir() / "devices", ec)) {
    std::string f = e.path().filename().string();
    if (f.ends_with(".json")) names.push_back(f.substr(0, f.size() - 5));
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string device_profile_json(const DeviceProfile& p) {
  json j;
  j["name"] = p.name;
  j["description"] = p.description;
  j["memory_bytes"] = p.memory_bytes;
  j["bandwidth_bytes_per_s"] = p.bandwidth_bytes_per_s;
  j["flops_per_s"] = p.flops_per_s;
  j["step_overhead_s"] = p.step_overhead_s;
  j["reserved_memory_fraction"] = p.reserved_memory_fraction;
  j["alpha_curve"] = json::array();
  for (const AlphaPoint& pt : p.alpha_curve) {
    j["alpha_curve"].push_back({{"chunk_bytes", pt.chunk_bytes}, {"alpha", pt.alpha}});
  }
  j["sources"] = p.sources;
  return j.dump(2) + "\n";
}

std::string profile_timestamp() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", &tm);
  return buf;
}

}  // namespace odma::sim
