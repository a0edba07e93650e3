#include "model/kv_storage.h"

#include "base/error.h"
#include "model/cpu/mapped_buffer.h"
#include "model/weights.h"  // parse_dtype_flag

namespace odma::model {

std::optional<DType> parse_kv_dtype_flag(const std::string& value) {
  if (value == "int8" || value == "i8") return DType::kI8;
  if (value == "auto" || value == "bf16" || value == "bfloat16" || value == "f32" ||
      value == "float32" || value == "float")
    return parse_dtype_flag(value, "--kv-dtype");
  throw Error("--kv-dtype: unknown dtype \"" + value + "\" (auto, bf16, f32, int8)");
}

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
  if (dtype != DType::kF32 && dtype != DType::kBF16 && dtype != DType::kI8) {
    throw Error(std::string("KvStorage: K/V are held as F32, BF16 or INT8, not ") +
                to_string(dtype));
  }
  const std::size_t planes =
      static_cast<std::size_t>(num_layers) * 2 * static_cast<std::size_t>(num_kv_heads);
  plane_stride_bytes_ = (static_cast<std::size_t>(capacity) * static_cast<std::size_t>(head_dim) *
                             element_size(dtype) +
                         63) /
                        64 * 64;
  bytes_ = plane_stride_bytes_ * planes;
  if (dtype == DType::kI8) {
    scales_offset_ = bytes_;
    scale_stride_ = (static_cast<std::size_t>(capacity) + 15) / 16 * 16;
    bytes_ += scale_stride_ * sizeof(float) * planes;
  }
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
  const std::size_t row = static_cast<std::size_t>(head_dim) * element_size(dtype) +
                          (dtype == DType::kI8 ? sizeof(float) : 0);
  return static_cast<std::size_t>(num_layers) * 2 * static_cast<std::size_t>(num_kv_heads) * row;
}

}  // namespace odma::model
