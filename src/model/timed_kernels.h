// A Kernels decorator that times every call by kind, for the benchmarks: how much of a step is
// attention (what KV placement can change) and how much is projections (what it cannot); the
// pointwise operations (embedding, norms, RoPE, bias, SwiGLU) share one counter. Two clock reads
// per call (a few dozen per layer and step): invisible next to the kernels.
#pragma once

#include <atomic>
#include <memory>

#include "model/kernels.h"

namespace odma::model {

struct KernelTimes {
  double project_s = 0, attention_s = 0, store_kv_s = 0, copy_kv_s = 0;
  double pointwise_s = 0;  // embed, rms_norm, rope_angles, rope, add_bias, swiglu
};

class TimedKernels final : public Kernels {
 public:
  explicit TimedKernels(std::shared_ptr<const Kernels> inner);

  std::string name() const override { return inner_->name(); }
  void embed(const WeightRef& table, int cols, const std::int32_t* ids, int t,
             float* out) const override;
  void rms_norm(const float* x, int t, int dim, const float* w, float eps, float* y,
                const std::int32_t* rows) const override;
  void rope_angles(const std::int32_t* positions, int t, std::span<const double> inv_freq,
                   float* cos, float* sin) const override;
  void rope(float* x, int t, int heads, int head_dim, const float* cos,
            const float* sin) const override;
  void add_bias(float* y, int t, int n, const float* b) const override;
  void swiglu(float* gate, const float* up, int t, int n) const override;
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
  mutable std::atomic<long long> project_ns_{0}, attention_ns_{0}, store_ns_{0}, copy_ns_{0},
      pointwise_ns_{0};
};

}  // namespace odma::model
