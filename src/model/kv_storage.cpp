#include "model/kv_storage.h"

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

KvStorage::KvStorage(int num_layers, int num_kv_heads, int head_dim, std::int64_t capacity,
                     DType dtype)
    : num_layers_(num_layers),
      num_kv_heads_(num_kv_heads),
      head_dim_(head_dim),
      capacity_(capacity),
      dtype_(dtype) {
  if (num_layers <= 0 || num_kv_heads <= 0 || head_dim <= 0 || capacity <= 0) {
    throw Error("KvStorage: layers, kv heads, head_dim and capacity must be > 0");
  }
  if (dtype != DType::kF32 && dtype != DType::kBF16) {
    throw Error(std::string("KvStorage: K/V are held as F32 or BF16, not ") + to_string(dtype));
  }
  plane_stride_bytes_ = (static_cast<std::size_t>(capacity) * static_cast<std::size_t>(head_dim) *
                             element_size(dtype) +
                         63) /
                        64 * 64;
  bytes_ = plane_stride_bytes_ * static_cast<std::size_t>(num_layers) * 2 *
           static_cast<std::size_t>(num_kv_heads);
  try {
    buffer_ = std::make_unique<cpu::MappedBuffer>(bytes_, /*populate=*/true);
  } catch (const Error&) {
    throw Error("KvStorage: cannot map " + std::to_string(bytes_) + " bytes for " +
                std::to_string(capacity) + " slots");
  }
  base_ = static_cast<std::byte*>(buffer_->data());
}

KvStorage::~KvStorage() = default;

std::size_t KvStorage::slot_bytes(int num_layers, int num_kv_heads, int head_dim, DType dtype) {
  return static_cast<std::size_t>(num_layers) * 2 * static_cast<std::size_t>(num_kv_heads) *
         static_cast<std::size_t>(head_dim) * element_size(dtype);
}

}  // namespace odma::model
