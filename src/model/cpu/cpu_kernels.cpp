#include "model/cpu/cpu_kernels.h"

#include <algorithm>
#include <cstring>

#include "base/error.h"
#include "model/cpu/attention.h"
#include "model/cpu/linear.h"

namespace odma::model::cpu {

std::string CpuKernels::name() const {
#if defined(__AVX512F__)
  const char* isa = "AVX-512";
#else
  const char* isa = "scalar";
#endif
  return std::string("cpu (F32, ") + isa + ", " + std::to_string(pool_.threads()) + " threads)";
}

void CpuKernels::project(const float* x, int t, int in,
                         std::span<const Projection> projections) const {
  linear_fused(x, t, in, projections, pool_);
}

void CpuKernels::attention(const KvStorage& storage, int layer, int num_heads,
                           std::span<const AttentionItem> items) const {
  cpu::attention(storage, layer, num_heads, items, pool_);
}

void CpuKernels::store_kv(KvStorage& st, int layer, const float* k, const float* v,
                          std::span<const std::int64_t> slots) const {
  const std::size_t hd = static_cast<std::size_t>(st.head_dim());
  const std::size_t row = static_cast<std::size_t>(st.num_kv_heads()) * hd;
  for (std::size_t i = 0; i < slots.size(); ++i) {
    const std::size_t dst = static_cast<std::size_t>(slots[i]) * hd;
    for (int g = 0; g < st.num_kv_heads(); ++g) {
      const std::size_t src = i * row + static_cast<std::size_t>(g) * hd;
      std::copy(k + src, k + src + hd, st.plane(layer, 0, g) + dst);
      std::copy(v + src, v + src + hd, st.plane(layer, 1, g) + dst);
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
  const std::size_t hd = static_cast<std::size_t>(st.head_dim());
  for (const auto& op : ops) {
    if (op.length == 0 || op.src_offset == op.dst_offset) continue;
    for (int l = 0; l < st.num_layers(); ++l) {
      for (int kv = 0; kv < 2; ++kv) {
        for (int h = 0; h < st.num_kv_heads(); ++h) {
          float* p = st.plane(l, kv, h);
          std::memmove(p + static_cast<std::size_t>(op.dst_offset) * hd,
                       p + static_cast<std::size_t>(op.src_offset) * hd,
                       static_cast<std::size_t>(op.length) * hd * sizeof(float));
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
