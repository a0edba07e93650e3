// The engine's KV arena: the tensor storage behind kv::Extent offsets.
//
//   plane   capacity slots × head_dim values for one (layer, K|V, kv-head); 64-byte aligned.
//   slot    index into every plane at once: slot s of plane P lives at plane(P) + s * head_dim.
//   SeqKv   where one sequence's logical positions live: a chain of extents (contiguous layout;
//           position p is the p-th slot of the extents taken in order) or a block table (paged
//           layout; position p is at block_table[p / block_tokens] + p % block_tokens).
//
// Values are F32, BF16 or INT8 (dtype()): bytes = capacity × layers × 2 × kv_heads × (head_dim ×
// 4, 2, or 1 + 4) (the DeepSeek-R1-Distill-Qwen-7B shape costs 114,688 B per slot in F32, 57,344 B
// in BF16, 28,672 + 896 B in INT8). BF16 planes hold K (after RoPE) and V rounded to nearest even
// (cpu/bf16.h). INT8 planes hold each (slot, plane) row quantized symmetrically with its own F32
// scale (row = q × scale, |q| ≤ 127; cpu/kv_i8.h); the scales of a plane sit in a scale plane of
// `capacity` floats indexed by slot, so a run of slots is two sequential reads and a migration two
// memmoves. The kernels read every dtype directly. The storage is a huge-page MappedBuffer,
// populated at construction (no page faults in the first steps).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/debug.h"
#include "kv/types.h"
#include "model/safetensors.h"  // DType

namespace odma::model {

namespace cpu {
class MappedBuffer;  // the memory behind the arena (a backend detail: the header stays generic)
}

// `--kv-dtype`: auto (nullopt: the model's default), bf16, f32 or int8; odma::Error otherwise.
std::optional<DType> parse_kv_dtype_flag(const std::string& value);

struct SeqKv {
  std::vector<kv::Extent> extents;        // contiguous layout (block_tokens == 0)
  std::vector<std::int64_t> block_table;  // paged layout: first slot of each block
  int block_tokens = 0;                   // > 0 selects the paged layout

  static SeqKv contiguous(std::vector<kv::Extent> extents);
  static SeqKv paged(std::vector<std::int64_t> block_table, int block_tokens);
  bool is_paged() const { return block_tokens > 0; }
  std::int64_t capacity() const;              // positions this layout can hold
  std::int64_t slot(std::int64_t pos) const;  // precondition: 0 <= pos < capacity()
};

class KvStorage {
 public:
  // dtype: kF32, kBF16 or kI8 (odma::Error otherwise).
  KvStorage(int num_layers, int num_kv_heads, int head_dim, std::int64_t capacity,
            DType dtype = DType::kF32);
  ~KvStorage();
  KvStorage(const KvStorage&) = delete;
  KvStorage& operator=(const KvStorage&) = delete;

  // The start of plane (layer, K|V, head); kv: 0 = K, 1 = V.
  std::byte* plane_bytes(int layer, int kv, int head) {
    return base_ +
           plane_stride_bytes_ * static_cast<std::size_t>((layer * 2 + kv) * num_kv_heads_ + head);
  }
  const std::byte* plane_bytes(int layer, int kv, int head) const {
    return const_cast<KvStorage*>(this)->plane_bytes(layer, kv, head);
  }
  // Typed views; precondition: dtype() is kF32 (plane) or kBF16 (plane_bf16).
  float* plane(int layer, int kv, int head) {
    ODMA_ASSERT(dtype_ == DType::kF32);
    return reinterpret_cast<float*>(plane_bytes(layer, kv, head));
  }
  const float* plane(int layer, int kv, int head) const {
    return const_cast<KvStorage*>(this)->plane(layer, kv, head);
  }
  std::uint16_t* plane_bf16(int layer, int kv, int head) {
    ODMA_ASSERT(dtype_ == DType::kBF16);
    return reinterpret_cast<std::uint16_t*>(plane_bytes(layer, kv, head));
  }
  const std::uint16_t* plane_bf16(int layer, int kv, int head) const {
    return const_cast<KvStorage*>(this)->plane_bf16(layer, kv, head);
  }
  std::int8_t* plane_i8(int layer, int kv, int head) {
    ODMA_ASSERT(dtype_ == DType::kI8);
    return reinterpret_cast<std::int8_t*>(plane_bytes(layer, kv, head));
  }
  const std::int8_t* plane_i8(int layer, int kv, int head) const {
    return const_cast<KvStorage*>(this)->plane_i8(layer, kv, head);
  }
  // INT8 only: the per-slot scales of plane (layer, K|V, head); slot s's row is q × scales[s].
  float* scales(int layer, int kv, int head) {
    ODMA_ASSERT(dtype_ == DType::kI8);
    return reinterpret_cast<float*>(base_ + scales_offset_) +
           scale_stride_ * static_cast<std::size_t>((layer * 2 + kv) * num_kv_heads_ + head);
  }
  const float* scales(int layer, int kv, int head) const {
    return const_cast<KvStorage*>(this)->scales(layer, kv, head);
  }

  int num_layers() const { return num_layers_; }
  int num_kv_heads() const { return num_kv_heads_; }
  int head_dim() const { return head_dim_; }
  std::int64_t capacity() const { return capacity_; }
  DType dtype() const { return dtype_; }
  std::size_t element_bytes() const { return element_size(dtype_); }
  std::size_t bytes() const { return bytes_; }
  // Bytes one slot takes over all planes (layers × 2 × kv_heads × (head_dim × element, + 4 for
  // INT8's scale)).
  static std::size_t slot_bytes(int num_layers, int num_kv_heads, int head_dim, DType dtype);

 private:
  int num_layers_, num_kv_heads_, head_dim_;
  std::int64_t capacity_;
  DType dtype_;
  std::size_t plane_stride_bytes_;  // capacity × head_dim values, rounded up to 64 bytes
  std::size_t scales_offset_ = 0;   // INT8: where the scale planes start, after the value planes
  std::size_t scale_stride_ = 0;    // INT8: floats between scale planes (capacity, rounded to 16)
  std::size_t bytes_;
  std::unique_ptr<cpu::MappedBuffer> buffer_;
  std::byte* base_ = nullptr;
};

}  // namespace odma::model
