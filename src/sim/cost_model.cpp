#include "sim/cost_model.h"

#include <algorithm>
#include <cmath>

#include "base/error.h"

namespace odma::sim {

CostModel::CostModel(const DeviceProfile& device, const ModelShape& shape)
    : device_(device),
      shape_(shape),
      kv_bytes_per_token_(static_cast<double>(shape.kv_bytes_per_token())),
      linear_flops_per_token_(2.0 * static_cast<double>(shape.body_params())),
      head_flops_per_emit_(2.0 * static_cast<double>(shape.head_params())),
      attention_flops_per_key_(4.0 *
                               static_cast<double>(shape.layers * shape.heads * shape.head_dim)) {
  inv_alpha_.push_back(1.0);  // 0 tokens: unused
}

double CostModel::inverse_alpha(std::int64_t tokens) const {
  if (tokens < 1) return 1.0;
  if (tokens > 1 << 20)
    return 1.0 / device_.alpha(static_cast<double>(tokens * shape_.plane_bytes_per_token()));
  while (static_cast<std::int64_t>(inv_alpha_.size()) <= tokens) {
    auto t = static_cast<std::int64_t>(inv_alpha_.size());
    inv_alpha_.push_back(1.0 /
                         device_.alpha(static_cast<double>(t * shape_.plane_bytes_per_token())));
  }
  return inv_alpha_[static_cast<std::size_t>(tokens)];
}

double CostModel::kv_read_seq_bytes(const std::vector<kv::Extent>* extents,
                                    std::int64_t keys) const {
  double seq_tokens = 0;  // Σ run_tokens ÷ α(run)
  std::int64_t remaining = keys;
  if (extents != nullptr) {
    for (const kv::Extent& e : *extents) {
      if (remaining <= 0) break;
      std::int64_t run = std::min(e.length, remaining);
      seq_tokens += static_cast<double>(run) * inverse_alpha(run);
      remaining -= run;
    }
  }
  if (remaining > 0) seq_tokens += static_cast<double>(remaining) * inverse_alpha(remaining);
  return seq_tokens * kv_bytes_per_token_;
}

void CostModel::add_item(StepWork& work, const kv::WorkItem& item,
                         const kv::Allocation* alloc) const {
  const auto s = static_cast<double>(item.start_pos);
  const auto n = static_cast<double>(item.n_tokens);
  const std::int64_t keys = std::int64_t{item.start_pos} + item.n_tokens;
  work.tokens += item.n_tokens;
  work.emitted += item.emits_token ? 1 : 0;
  work.attended_keys += n * s + n * (n + 1) / 2;
  work.kv_read_seq_bytes += kv_read_seq_bytes(alloc != nullptr ? &alloc->extents : nullptr, keys);
  work.kv_read_bytes += static_cast<double>(keys) * kv_bytes_per_token_;
  work.kv_write_bytes += n * kv_bytes_per_token_;
}

void CostModel::add_copies(StepWork& work, const std::vector<kv::CopyOp>& copies) const {
  for (const kv::CopyOp& c : copies) work.copied_tokens += c.length;
}

StepTime CostModel::step_time(const StepWork& work) const {
  StepTime t;
  const double bw = device_.bandwidth_bytes_per_s;
  const double flops = device_.flops_per_s;
  t.overhead_s = device_.step_overhead_s;
  if (work.tokens > 0) {
    double mem = shape_.weight_read_bytes() / bw;
    double comp = (linear_flops_per_token_ * static_cast<double>(work.tokens) +
                   head_flops_per_emit_ * static_cast<double>(work.emitted)) /
                  flops;
    t.linear_memory_bound = mem >= comp;
    t.linear_s = std::max(mem, comp);
    double amem = (work.kv_read_seq_bytes + work.kv_write_bytes) / bw;
    double acomp = attention_flops_per_key_ * work.attended_keys / flops;
    t.attention_memory_bound = amem >= acomp;
    t.attention_s = std::max(amem, acomp);
  }
  t.copy_s = 2.0 * static_cast<double>(work.copied_tokens) * kv_bytes_per_token_ / bw;
  return t;
}

std::int64_t kv_capacity_tokens(const DeviceProfile& device, const ModelShape& shape) {
  double room = device.usable_memory_bytes() - shape.weight_bytes();
  if (room < static_cast<double>(shape.kv_bytes_per_token())) {
    throw Error("model shape " + shape.name + " (" + std::to_string(shape.weight_bytes() / 1e9) +
                " GB of weights) leaves no room for KV on device " + device.name + " (" +
                std::to_string(device.usable_memory_bytes() / 1e9) + " GB usable)");
  }
  return static_cast<std::int64_t>(
      std::floor(room / static_cast<double>(shape.kv_bytes_per_token())));
}

}  // namespace odma::sim
