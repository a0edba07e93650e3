// make_policy / policy_names: configuration checks (odma::Error naming the field) and construction.
#include <cmath>
#include <string>

#include "base/error.h"
#include "kv/policy.h"
#include "kv/policy_odma.h"
#include "kv/policy_oracle.h"
#include "kv/policy_paged.h"
#include "kv/policy_s3.h"
#include "kv/policy_static.h"

namespace odma::kv {

namespace {

[[noreturn]] void bad(const std::string& field, const std::string& problem) {
  throw Error("kv policy config: " + field + " " + problem);
}

void check_common(const PolicyConfig& c) {
  if (c.capacity_tokens <= 0)
    bad("capacity_tokens", "must be > 0, got " + std::to_string(c.capacity_tokens));
  if (c.granule <= 0) bad("granule", "must be > 0, got " + std::to_string(c.granule));
  if (c.max_model_len <= 0)
    bad("max_model_len", "must be > 0, got " + std::to_string(c.max_model_len));
  if (c.capacity_tokens < c.granule) {
    bad("capacity_tokens", "(" + std::to_string(c.capacity_tokens) +
                               ") is smaller than one granule (" + std::to_string(c.granule) + ")");
  }
}

void check_paged(const PolicyConfig& c) {
  if (c.block_tokens <= 0 || c.block_tokens % c.granule != 0) {
    bad("block_tokens", "(" + std::to_string(c.block_tokens) +
                            ") must be a positive multiple of granule (" +
                            std::to_string(c.granule) + ")");
  }
  if (c.capacity_tokens < c.block_tokens) {
    bad("capacity_tokens", "(" + std::to_string(c.capacity_tokens) +
                               ") is smaller than one block (" + std::to_string(c.block_tokens) +
                               ")");
  }
  if (!(c.paged_watermark >= 0.0 && c.paged_watermark < 1.0)) {
    bad("paged_watermark", "must be in [0, 1), got " + std::to_string(c.paged_watermark));
  }
}

void check_static(const PolicyConfig& c) {
  const std::int64_t one =
      (static_cast<std::int64_t>(c.max_model_len) + c.granule - 1) / c.granule * c.granule;
  if (c.capacity_tokens / c.granule * c.granule < one) {
    bad("capacity_tokens", "(" + std::to_string(c.capacity_tokens) +
                               ") is smaller than one max_model_len request (" +
                               std::to_string(one) + " slots) for the static policy");
  }
}

void check_s3(const PolicyConfig& c) {
  if (c.s3_buckets <= 0) bad("s3_buckets", "must be > 0, got " + std::to_string(c.s3_buckets));
  if (c.s3_max_output < c.s3_buckets) {
    bad("s3_buckets", "(" + std::to_string(c.s3_buckets) + ") is more than the " +
                          std::to_string(c.s3_max_output) + " slots of s3_max_output");
  }
}

void check_odma(const PolicyConfig& c) {
  const OdmaOptions& o = c.odma;
  const std::int64_t bins =
      (static_cast<std::int64_t>(c.max_model_len) + c.granule - 1) / c.granule;
  if (o.buckets <= 0 || o.buckets > bins) {
    bad("odma.buckets", "(" + std::to_string(o.buckets) + ") must be in [1, " +
                            std::to_string(bins) + "]: max_model_len / granule slots");
  }
  if (o.recalibrate_every <= 0) bad("odma.recalibrate_every", "must be > 0");
  if (!(o.histogram_half_life > 0.0)) bad("odma.histogram_half_life", "must be > 0");
  if (!(o.safety_fraction_min >= 0.0 && o.safety_fraction_min < 1.0)) {
    bad("odma.safety_fraction_min",
        "must be in [0, 1), got " + std::to_string(o.safety_fraction_min));
  }
  if (!(o.safety_fraction_max >= o.safety_fraction_min && o.safety_fraction_max < 1.0)) {
    bad("odma.safety_fraction_max",
        "must be in [safety_fraction_min, 1), got " + std::to_string(o.safety_fraction_max));
  }
  if (!(o.uncertainty_threshold >= 0.0)) bad("odma.uncertainty_threshold", "must be >= 0");
  if (o.max_extents < 1)
    bad("odma.max_extents", "must be >= 1, got " + std::to_string(o.max_extents));
  if (o.min_extent_tokens < 1) bad("odma.min_extent_tokens", "must be >= 1");
  if (o.compaction_max_moves < 0) bad("odma.compaction_max_moves", "must be >= 0");
}

}  // namespace

const std::vector<PolicyInfo>& policy_infos() {
  static const std::vector<PolicyInfo> infos = {
      {"static", "reserve prompt + max tokens per request (FasterTransformer / TensorRT-LLM)"},
      {"paged", "fixed blocks through a block table (vLLM); not contiguous"},
      {"s3", "reserve the predicted equal-width bucket; preempt on overflow (S3)"},
      {"odma",
       "reserve the predicted adaptive bucket; grow in place, migrate or chain on overflow"},
      {"oracle", "reserve exactly the true length (the upper bound; replays only)"},
  };
  return infos;
}

std::vector<std::string> policy_names() {
  std::vector<std::string> names;
  for (const PolicyInfo& p : policy_infos()) names.emplace_back(p.name);
  return names;
}

std::string policy_names_text() {
  std::string text;
  for (const PolicyInfo& p : policy_infos())
    text += (text.empty() ? "" : ", ") + std::string(p.name);
  return text;
}

std::unique_ptr<Policy> make_policy(const std::string& name, const PolicyConfig& config) {
  if (name == "static") {
    check_common(config);
    check_static(config);
    return std::make_unique<StaticPolicy>(config);
  }
  if (name == "paged") {
    check_common(config);
    check_paged(config);
    return std::make_unique<PagedPolicy>(config);
  }
  if (name == "s3") {
    check_common(config);
    PolicyConfig c = config;
    if (c.s3_max_output == 0) c.s3_max_output = c.max_model_len;
    check_s3(c);
    return std::make_unique<S3Policy>(c);
  }
  if (name == "odma") {
    check_common(config);
    check_odma(config);
    return std::make_unique<OdmaPolicy>(config);
  }
  if (name == "oracle") {
    check_common(config);
    return std::make_unique<OraclePolicy>(config);
  }
  throw Error("unknown kv policy '" + name + "' (expected " + policy_names_text() + ")");
}

}  // namespace odma::kv
