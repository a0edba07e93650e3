// The CPU kernel set, all on one ThreadPool:
//   F32 weights   our GEMV (≤ 8 token rows) or single-threaded OpenBLAS sgemm slices (linear.h)
//   BF16 weights  run-time dispatched GEMV / GEMM (linear_bf16.h: vdpbf16ps, AMX, AVX-512F, AVX2)
//   INT8 weights  run-time dispatched W8A8 GEMV, tiled for prefill (linear_int8.h: VNNI, AVX2)
//   K/V           F32, BF16 or INT8 planes, attention through cpu/attention.h (BF16:
//                 attention_bf16.h, INT8: attention_i8.h)
#pragma once

#include <memory>

#include "model/cpu/thread_pool.h"
#include "model/kernels.h"

namespace odma::model::cpu {

class CpuKernels final : public Kernels {
 public:
  explicit CpuKernels(ThreadPool& pool) : pool_(pool) {}

  std::string name() const override;
  // Pointwise operations (cpu_kernels_pointwise.cpp).
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

  ThreadPool& pool() const { return pool_; }

 private:
  ThreadPool& pool_;
};

}  // namespace odma::model::cpu
