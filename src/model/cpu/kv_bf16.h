// BF16 KV planes: the F32 engine arena's layout (kv_storage.h) with 2-byte elements.
//
//   plane   capacity slots × head_dim BF16 for one (layer, K|V, kv-head); slot s at
//           plane + s × head_dim; planes start 64-byte aligned (stride rounded up to 32 elements).
//   store   F32 K/V rows (after RoPE) → BF16 slots, round-to-nearest-even (bf16.h).
//   copy    a migration: memmove of a run of slots inside every plane, in list order.
//
// Bytes = capacity × layers × 2 × kv_heads × head_dim × 2: half the F32 arena (the
// DeepSeek-R1-Distill-Qwen-7B shape costs 57,344 B per slot). Backed by a MappedBuffer
// (transparent huge pages, zero-filled, committed on first write).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "model/cpu/mapped_buffer.h"

namespace odma::model::cpu {

// One migration step, as kv::CopyOp: [src_offset, src_offset + length) → [dst_offset, ...).
struct SlotCopy {
  std::int64_t src_offset = 0;
  std::int64_t dst_offset = 0;
  std::int64_t length = 0;
};

// rows [n][head_dim] F32, row i at rows + i × row_stride → slots [slot, slot + n) of one plane.
void store_kv_bf16(std::uint16_t* plane, int head_dim, std::int64_t slot, const float* rows, int n,
                   std::size_t row_stride);

// memmove of `length` slots from src to dst inside one plane (ranges may overlap).
void copy_kv_bf16(std::uint16_t* plane, int head_dim, std::int64_t src, std::int64_t dst,
                  std::int64_t length);

class KvPlanesBf16 {
 public:
  KvPlanesBf16(int num_layers, int num_kv_heads, int head_dim, std::int64_t capacity);
  ~KvPlanesBf16();
  KvPlanesBf16(const KvPlanesBf16&) = delete;
  KvPlanesBf16& operator=(const KvPlanesBf16&) = delete;

  // kv: 0 = K, 1 = V.
  std::uint16_t* plane(int layer, int kv, int head) {
    return base_ +
           plane_stride_ * static_cast<std::size_t>((layer * 2 + kv) * num_kv_heads_ + head);
  }
  const std::uint16_t* plane(int layer, int kv, int head) const {
    return const_cast<KvPlanesBf16*>(this)->plane(layer, kv, head);
  }

  // K and V rows of one token range for one layer: k/v are [n][num_kv_heads × head_dim] F32
  // (the projection output layout), rows `stride` floats apart. Throws odma::Error outside
  // [0, capacity).
  void store(int layer, std::int64_t slot, int n, const float* k, const float* v,
             std::size_t stride);

  // Executes copies (memmove semantics, in list order) in every plane. Throws odma::Error, before
  // moving anything, if an op leaves [0, capacity).
  void apply(const std::vector<SlotCopy>& ops);

  int num_layers() const { return num_layers_; }
  int num_kv_heads() const { return num_kv_heads_; }
  int head_dim() const { return head_dim_; }
  std::int64_t capacity() const { return capacity_; }
  std::size_t bytes() const { return bytes_; }

 private:
  int num_layers_, num_kv_heads_, head_dim_;
  std::int64_t capacity_;
  std::size_t plane_stride_;  // elements between planes
  std::size_t bytes_;
  std::unique_ptr<MappedBuffer> buffer_;
  std::uint16_t* base_ = nullptr;
};

}  // namespace odma::model::cpu
