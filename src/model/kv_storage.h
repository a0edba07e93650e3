// The engine's KV arena: the tensor storage behind kv::Extent offsets.
//
//   plane   capacity slots × head_dim floats for one (layer, K|V, kv-head); 64-byte aligned.
//   slot    index into every plane at once: slot s of plane P lives at plane(P) + s * head_dim.
//   SeqKv   where one sequence's logical positions live: a chain of extents (contiguous layout;
//           position p is the p-th slot of the extents taken in order) or a block table (paged
//           layout; position p is at block_table[p / block_tokens] + p % block_tokens).
//
// Storage is F32: bytes = capacity × layers × 2 × kv_heads × head_dim × 4 (twice BF16; the
// DeepSeek-R1-Distill-Qwen-7B shape costs 114,688 B per slot, i.e. 1.75 GB per 16k slots). It is
// a MappedBuffer (2 MiB-aligned, transparent huge pages), so pages are committed by the OS only
// when first written.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "kv/types.h"
#include "model/cpu/mapped_buffer.h"

namespace odma::model {

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
  KvStorage(int num_layers, int num_kv_heads, int head_dim, std::int64_t capacity);
  ~KvStorage();
  KvStorage(const KvStorage&) = delete;
  KvStorage& operator=(const KvStorage&) = delete;

  // kv: 0 = K, 1 = V.
  float* plane(int layer, int kv, int head) {
    return base_ +
           plane_stride_ * static_cast<std::size_t>((layer * 2 + kv) * num_kv_heads_ + head);
  }
  const float* plane(int layer, int kv, int head) const {
    return const_cast<KvStorage*>(this)->plane(layer, kv, head);
  }

  int num_layers() const { return num_layers_; }
  int num_kv_heads() const { return num_kv_heads_; }
  int head_dim() const { return head_dim_; }
  std::int64_t capacity() const { return capacity_; }
  std::size_t bytes() const { return bytes_; }

 private:
  int num_layers_, num_kv_heads_, head_dim_;
  std::int64_t capacity_;
  std::size_t plane_stride_;  // floats between planes (capacity × head_dim, rounded up to 16)
  std::size_t bytes_;
  std::unique_ptr<cpu::MappedBuffer> buffer_;
  float* base_ = nullptr;
};

}  // namespace odma::model
