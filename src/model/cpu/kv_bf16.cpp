#include "model/cpu/kv_bf16.h"

#include <cstring>
#include <string>

#include "base/error.h"
#include "model/cpu/bf16.h"

namespace odma::model::cpu {

void store_kv_bf16(std::uint16_t* plane, int head_dim, std::int64_t slot, const float* rows, int n,
                   std::size_t row_stride) {
  const std::size_t hd = static_cast<std::size_t>(head_dim);
  for (int i = 0; i < n; ++i) {
    convert_f32_to_bf16(rows + static_cast<std::size_t>(i) * row_stride,
                        plane + (static_cast<std::size_t>(slot) + static_cast<std::size_t>(i)) * hd,
                        hd);
  }
}

void copy_kv_bf16(std::uint16_t* plane, int head_dim, std::int64_t src, std::int64_t dst,
                  std::int64_t length) {
  if (length <= 0 || src == dst) return;
  const std::size_t hd = static_cast<std::size_t>(head_dim);
  std::memmove(plane + static_cast<std::size_t>(dst) * hd,
               plane + static_cast<std::size_t>(src) * hd,
               static_cast<std::size_t>(length) * hd * sizeof(std::uint16_t));
}

KvPlanesBf16::KvPlanesBf16(int num_layers, int num_kv_heads, int head_dim, std::int64_t capacity)
    : num_layers_(num_layers),
      num_kv_heads_(num_kv_heads),
      head_dim_(head_dim),
      capacity_(capacity) {
  if (num_layers <= 0 || num_kv_heads <= 0 || head_dim <= 0 || capacity <= 0) {
    throw Error("KvPlanesBf16: layers, kv heads, head_dim and capacity must be > 0");
  }
  plane_stride_ =
      (static_cast<std::size_t>(capacity) * static_cast<std::size_t>(head_dim) + 31) / 32 * 32;
  bytes_ = plane_stride_ * static_cast<std::size_t>(num_layers) * 2 *
           static_cast<std::size_t>(num_kv_heads) * sizeof(std::uint16_t);
  try {
    buffer_ = std::make_unique<MappedBuffer>(bytes_, /*populate=*/true);
  } catch (const Error&) {
    throw Error("KvPlanesBf16: cannot map " + std::to_string(bytes_) + " bytes for " +
                std::to_string(capacity) + " slots");
  }
  base_ = static_cast<std::uint16_t*>(buffer_->data());
}

KvPlanesBf16::~KvPlanesBf16() = default;

void KvPlanesBf16::store(int layer, std::int64_t slot, int n, const float* k, const float* v,
                         std::size_t stride) {
  if (layer < 0 || layer >= num_layers_ || n < 0 || slot < 0 || slot + n > capacity_) {
    throw Error("KvPlanesBf16::store: layer " + std::to_string(layer) + " slots [" +
                std::to_string(slot) + ", " + std::to_string(slot + n) + ") outside the arena");
  }
  for (int h = 0; h < num_kv_heads_; ++h) {
    const std::size_t off = static_cast<std::size_t>(h) * static_cast<std::size_t>(head_dim_);
    store_kv_bf16(plane(layer, 0, h), head_dim_, slot, k + off, n, stride);
    store_kv_bf16(plane(layer, 1, h), head_dim_, slot, v + off, n, stride);
  }
}

void KvPlanesBf16::apply(const std::vector<SlotCopy>& ops) {
  for (const auto& op : ops) {
    if (op.length < 0 || op.src_offset < 0 || op.dst_offset < 0 ||
        op.src_offset + op.length > capacity_ || op.dst_offset + op.length > capacity_) {
      throw Error("KvPlanesBf16::apply: copy [" + std::to_string(op.src_offset) + " -> " +
                  std::to_string(op.dst_offset) + ", " + std::to_string(op.length) +
                  " slots) leaves the arena of " + std::to_string(capacity_) + " slots");
    }
  }
  for (const auto& op : ops)
    for (int l = 0; l < num_layers_; ++l)
      for (int kv = 0; kv < 2; ++kv)
        for (int h = 0; h < num_kv_heads_; ++h)
          copy_kv_bf16(plane(l, kv, h), head_dim_, op.src_offset, op.dst_offset, op.length);
}

}  // namespace odma::model::cpu
