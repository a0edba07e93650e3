// One weight matrix [rows][cols], row-major as the HF checkpoint stores it (y = x · Wᵀ), held in
// the dtype it is served in: F32, BF16 (2 bytes per value, used directly by the BF16 kernels,
// never widened) or I8 (INT8 weights: per output row r, w[r][c] ≈ scale[r] · q[r][c] with q in
// [-127, 127], symmetric; int8_weights.h quantizes). The bytes are one 2 MiB-aligned huge-page
// allocation of rows × cols elements (I8: then, at a 64-byte boundary, the rows' F32 scales and
// their int32 sums Σ_c q[r][c], which the VNNI kernel's unsigned-activation offset needs): a
// decode step streams them all once.
//
// WeightRef is the non-owning view the kernels take (dtype + pointer), so a kernel can be called
// on any buffer (tests, benchmarks) without wrapping it in a matrix.
#pragma once

#include <cstddef>
#include <cstdint>

#include "model/safetensors.h"  // DType

namespace odma::model {

struct WeightRef {
  DType dtype = DType::kF32;  // kF32, kBF16 or kI8
  const void* data = nullptr;
  const float* scales = nullptr;           // kI8: one per row
  const std::int32_t* row_sums = nullptr;  // kI8: Σ of each row's values

  const float* f32() const { return static_cast<const float*>(data); }
  const std::uint16_t* bf16() const { return static_cast<const std::uint16_t*>(data); }
  const std::int8_t* i8() const { return static_cast<const std::int8_t*>(data); }
};

class WeightMatrix {
 public:
  WeightMatrix() = default;
  // Uninitialised storage for rows × cols values (and, for kI8, the rows' scales and sums); dtype
  // kF32, kBF16 or kI8 (odma::Error otherwise).
  WeightMatrix(DType dtype, std::int64_t rows, std::int64_t cols);
  ~WeightMatrix();
  WeightMatrix(WeightMatrix&& o) noexcept;
  WeightMatrix& operator=(WeightMatrix&& o) noexcept;
  WeightMatrix(const WeightMatrix&) = delete;
  WeightMatrix& operator=(const WeightMatrix&) = delete;

  DType dtype() const { return dtype_; }
  std::int64_t rows() const { return rows_; }
  std::int64_t cols() const { return cols_; }
  bool empty() const { return data_ == nullptr; }
  std::size_t bytes() const { return bytes_; }

  WeightRef ref() const;
  const std::byte* data() const { return static_cast<const std::byte*>(data_); }
  std::byte* mutable_data() { return static_cast<std::byte*>(data_); }
  const float* f32() const;           // precondition: dtype() == kF32
  const std::uint16_t* bf16() const;  // precondition: dtype() == kBF16
  // Preconditions: dtype() == kI8. Writers fill all three (int8_weights.h).
  std::int8_t* mutable_i8();
  float* mutable_scales() { return scales_of(); }
  std::int32_t* mutable_row_sums() { return row_sums_of(); }

  // Row r widened to F32 (exact for F32 and BF16; I8: scale · q, rounded once): the embedding
  // lookup.
  void row_to_f32(std::int64_t r, float* out) const;
  // Element (r, c) as F32, for tests and diagnostics.
  float at(std::int64_t r, std::int64_t c) const;

  // Same dtype, shape and bytes.
  friend bool operator==(const WeightMatrix& a, const WeightMatrix& b);

 private:
  std::size_t values_bytes() const;  // of the rows × cols values (I8: padded to 64 bytes)
  float* scales_of() const;          // kI8 only
  std::int32_t* row_sums_of() const;

  DType dtype_ = DType::kF32;
  std::int64_t rows_ = 0, cols_ = 0;
  std::size_t bytes_ = 0;
  void* data_ = nullptr;
};

}  // namespace odma::model
