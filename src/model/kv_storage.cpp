#include "model/kv_storage.h"

#include <cstring>

#include "base/error.h"

namespace odma::model {

SeqKv SeqKv::contiguous(std::vector<kv::Extent> extents) {
  SeqKv s;
  s.extents = std::move(extents);
  return s;
}

SeqKv SeqKv::paged(std::vector<std::int64_t> block_table, int block_tokens) {
  if (block_tokens <= 0) throw Error("SeqKv::paged: block_tokens must be > 0");
  SeqKv s;
  s.block_table = std::move(block_table);
  s.block_tokens = block_tokens;
  return s;
}

std::int64_t SeqKv::capacity() const {
  if (is_paged()) return static_cast<std::int64_t>(block_table.size()) * block_tokens;
  std::int64_t n = 0;
  for (const auto& e : extents) n += e.length;
  return n;
}

std::int64_t SeqKv::slot(std::int64_t pos) const {
  if (is_paged())
    return block_table[static_cast<std::size_t>(pos / block_tokens)] + pos % block_tokens;
  for (const auto& e : extents) {
    if (pos < e.length) return e.offset + pos;
    pos -= e.length;
  }
  return -1;  // past capacity(): callers check capacity first
}

KvStorage::KvStorage(int num_layers, int num_kv_heads, int head_dim, std::int64_t capacity)
    : num_layers_(num_layers),
      num_kv_heads_(num_kv_heads),
      head_dim_(head_dim),
      capacity_(capacity) {
  if (num_layers <= 0 || num_kv_heads <= 0 || head_dim <= 0 || capacity <= 0) {
    throw Error("KvStorage: layers, kv heads, head_dim and capacity must be > 0");
  }
  plane_stride_ =
      (static_cast<std::size_t>(capacity) * static_cast<std::size_t>(head_dim) + 15) / 16 * 16;
  bytes_ = plane_stride_ * static_cast<std::size_t>(num_layers) * 2 *
           static_cast<std::size_t>(num_kv_heads) * sizeof(float);
  try {
    buffer_ = std::make_unique<MappedBuffer>(bytes_);
  } catch (const Error&) {
    throw Error("KvStorage: cannot map " + std::to_string(bytes_) + " bytes for " +
                std::to_string(capacity) + " slots");
  }
  base_ = static_cast<float*>(buffer_->data());
}

KvStorage::~KvStorage() = default;

void KvStorage::apply(const std::vector<kv::CopyOp>& ops) {
  for (const auto& op : ops) {
    if (op.length < 0 || op.src_offset < 0 || op.dst_offset < 0 ||
        op.src_offset + op.length > capacity_ || op.dst_offset + op.length > capacity_) {
      throw Error("KvStorage::apply: copy [" + std::to_string(op.src_offset) + " -> " +
                  std::to_string(op.dst_offset) + ", " + std::to_string(op.length) +
                  " slots) leaves the arena of " + std::to_string(capacity_) + " slots");
    }
  }
  const std::size_t hd = static_cast<std::size_t>(head_dim_);
  for (const auto& op : ops) {
    if (op.length == 0 || op.src_offset == op.dst_offset) continue;
    for (int l = 0; l < num_layers_; ++l) {
      for (int kv = 0; kv < 2; ++kv) {
        for (int h = 0; h < num_kv_heads_; ++h) {
          float* p = plane(l, kv, h);
          std::memmove(p + static_cast<std::size_t>(op.dst_offset) * hd,
                       p + static_cast<std::size_t>(op.src_offset) * hd,
                       static_cast<std::size_t>(op.length) * hd * sizeof(float));
        }
      }
    }
  }
}

}  // namespace odma::model
