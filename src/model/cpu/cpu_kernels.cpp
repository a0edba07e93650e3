#include "model/cpu/cpu_kernels.h"

#include <algorithm>
#include <cstring>

#include "base/error.h"
#include "model/cpu/attention.h"
#include "model/cpu/attention_bf16.h"
#include "model/cpu/bf16.h"
#include "model/cpu/gemm_bf16.h"
#include "model/cpu/gemv_bf16.h"
#include "model/cpu/gemv_int8.h"
#include "model/cpu/kv_i8.h"
#include "model/cpu/linear.h"
#include "model/cpu/linear_bf16.h"
#include "model/cpu/linear_int8.h"

namespace odma::model::cpu {

std::string CpuKernels::name() const {
#if defined(__AVX512F__)
  const char* f32 = "AVX-512";
#else
  const char* f32 = "scalar";
#endif
  return std::string("cpu (F32: ") + f32 + " + OpenBLAS; BF16: gemv " +
         gemv_kernel_name(default_gemv_kernel()) + ", gemm " +
         gemm_kernel_name(default_gemm_kernel()) + ", attention " +
         attn_kernel_name(default_attn_kernel()) + "; INT8: gemv " +
         int8_kernel_name(default_int8_kernel()) + ", INT8 KV attention " +
         int8_kernel_name(default_int8_kernel()) + "; " + std::to_string(pool_.threads()) +
         " threads)";
}

void CpuKernels::project(const float* x, int t, int in,
                         std::span<const Projection> projections) const {
  // A model's matrices share one dtype; a mixed call (tests) runs each projection on its own.
  const DType dtype = projections.empty() ? DType::kF32 : projections.front().w.dtype;
  const auto same = [dtype](const Projection& p) { return p.w.dtype == dtype; };
  if (!std::all_of(projections.begin(), projections.end(), same)) {
    for (const Projection& p : projections) project(x, t, in, {&p, 1});
  } else if (dtype == DType::kBF16) {
    linear_bf16_fused(x, t, in, projections, pool_);
  } else if (dtype == DType::kI8) {
    linear_int8_fused(x, t, in, projections, pool_);
  } else {
    linear_fused(x, t, in, projections, pool_);
  }
}

void CpuKernels::attention(const KvStorage& storage, int layer, int num_heads,
                           std::span<const AttentionItem> items) const {
  cpu::attention(storage, layer, num_heads, items, pool_);
}

void CpuKernels::store_kv(KvStorage& st, int layer, const float* k, const float* v,
                          std::span<const std::int64_t> slots) const {
  const std::size_t hd = static_cast<std::size_t>(st.head_dim());
  const std::size_t row = static_cast<std::size_t>(st.num_kv_heads()) * hd;
  const DType dtype = st.dtype();
  for (std::size_t i = 0; i < slots.size(); ++i) {
    const std::size_t dst = static_cast<std::size_t>(slots[i]) * hd;
    for (int g = 0; g < st.num_kv_heads(); ++g) {
      const std::size_t src = i * row + static_cast<std::size_t>(g) * hd;
      if (dtype == DType::kI8) {
        store_kv_i8(st.plane_i8(layer, 0, g), st.scales(layer, 0, g), st.head_dim(), slots[i],
                    k + src, 1, row);
        store_kv_i8(st.plane_i8(layer, 1, g), st.scales(layer, 1, g), st.head_dim(), slots[i],
                    v + src, 1, row);
      } else if (dtype == DType::kBF16) {
        convert_f32_to_bf16(k + src, st.plane_bf16(layer, 0, g) + dst, hd);
        convert_f32_to_bf16(v + src, st.plane_bf16(layer, 1, g) + dst, hd);
      } else {
        std::copy(k + src, k + src + hd, st.plane(layer, 0, g) + dst);
        std::copy(v + src, v + src + hd, st.plane(layer, 1, g) + dst);
      }
    }
  }
}

void CpuKernels::copy_kv(KvStorage& st, std::span<const kv::CopyOp> ops) const {
  const std::int64_t capacity = st.capacity();
  for (const auto& op : ops) {
    if (op.length < 0 || op.src_offset < 0 || op.dst_offset < 0 ||
        op.src_offset + op.length > capacity || op.dst_offset + op.length > capacity) {
      throw Error("copy_kv: copy [" + std::to_string(op.src_offset) + " -> " +
                  std::to_string(op.dst_offset) + ", " + std::to_string(op.length) +
                  " slots) leaves the arena of " + std::to_string(capacity) + " slots");
    }
  }
  const std::size_t row_bytes = static_cast<std::size_t>(st.head_dim()) * st.element_bytes();
  for (const auto& op : ops) {
    if (op.length == 0 || op.src_offset == op.dst_offset) continue;
    for (int l = 0; l < st.num_layers(); ++l) {
      for (int kv = 0; kv < 2; ++kv) {
        for (int h = 0; h < st.num_kv_heads(); ++h) {
          std::byte* p = st.plane_bytes(l, kv, h);
          std::memmove(p + static_cast<std::size_t>(op.dst_offset) * row_bytes,
                       p + static_cast<std::size_t>(op.src_offset) * row_bytes,
                       static_cast<std::size_t>(op.length) * row_bytes);
          if (st.dtype() == DType::kI8) {  // each row's scale moves with it
            float* s = st.scales(l, kv, h);
            std::memmove(s + op.dst_offset, s + op.src_offset,
                         static_cast<std::size_t>(op.length) * sizeof(float));
          }
        }
      }
    }
  }
}

}  // namespace odma::model::cpu

namespace odma::model {

std::shared_ptr<const Kernels> default_kernels() {
  static const std::shared_ptr<const Kernels> cpu =
      std::make_shared<cpu::CpuKernels>(cpu::ThreadPool::shared());
  return cpu;
}

}  // namespace odma::model
