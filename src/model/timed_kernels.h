// A Kernels decorator that times every call by kind, for the benchmarks: how much of a step is
// attention (what KV placement can change) and how much is projections (what it cannot). Two
// clock reads per call (a few dozen per layer and step): invisible next to the kernels.
#pragma once

#include <atomic>
#include <memory>

#include "model/kernels.h"

namespace odma::model {

struct KernelTimes {
  double project_s = 0, attention_s = 0, store_kv_s = 0, copy_kv_s = 0;
};

class TimedKernels final : public Kernels {
 public:
  explicit TimedKernels(std::shared_ptr<const Kernels> inner);

  std::string name() const override { return inner_->name(); }
  void project(const float* x, int t, int in,
               std::span<const Projection> projections) const override;
  void attention(const KvStorage& storage, int layer, int num_heads,
                 std::span<const AttentionItem> items) const override;
  void store_kv(KvStorage& storage, int layer, const float* k, const float* v,
                std::span<const std::int64_t> slots) const override;
  void copy_kv(KvStorage& storage, std::span<const kv::CopyOp> ops) const override;

  KernelTimes times() const;  // since construction or the last reset()
  void reset() const;

 private:
  std::shared_ptr<const Kernels> inner_;
  // Nanoseconds; mutable because the seam's calls are const (the counters are not model state).
  mutable std::atomic<long long> project_ns_{0}, attention_ns_{0}, store_ns_{0}, copy_ns_{0};
};

}  // namespace odma::model
