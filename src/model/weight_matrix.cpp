#include "model/weight_matrix.h"

#include <cstring>
#include <string>
#include <utility>

#include "base/debug.h"
#include "base/error.h"
#include "model/cpu/bf16.h"
#include "model/cpu/mapped_buffer.h"

namespace odma::model {

WeightMatrix::WeightMatrix(DType dtype, std::int64_t rows, std::int64_t cols)
    : dtype_(dtype), rows_(rows), cols_(cols) {
  if (dtype != DType::kF32 && dtype != DType::kBF16) {
    throw Error(std::string("WeightMatrix: weights are held as F32 or BF16, not ") +
                to_string(dtype));
  }
  if (rows <= 0 || cols <= 0) throw Error("WeightMatrix: rows and cols must be > 0");
  bytes_ = static_cast<std::size_t>(rows) * static_cast<std::size_t>(cols) * element_size(dtype);
  data_ = cpu::allocate_huge_page_aligned(bytes_);
}

WeightMatrix::~WeightMatrix() {
  if (data_ != nullptr) cpu::free_huge_page_aligned(data_, bytes_);
}

WeightMatrix::WeightMatrix(WeightMatrix&& o) noexcept
    : dtype_(o.dtype_),
      rows_(std::exchange(o.rows_, 0)),
      cols_(std::exchange(o.cols_, 0)),
      bytes_(std::exchange(o.bytes_, 0)),
      data_(std::exchange(o.data_, nullptr)) {}

WeightMatrix& WeightMatrix::operator=(WeightMatrix&& o) noexcept {
  if (this != &o) {
    if (data_ != nullptr) cpu::free_huge_page_aligned(data_, bytes_);
    dtype_ = o.dtype_;
    rows_ = std::exchange(o.rows_, 0);
    cols_ = std::exchange(o.cols_, 0);
    bytes_ = std::exchange(o.bytes_, 0);
    data_ = std::exchange(o.data_, nullptr);
  }
  return *this;
}

const float* WeightMatrix::f32() const {
  ODMA_ASSERT(dtype_ == DType::kF32);
  return static_cast<const float*>(data_);
}

const std::uint16_t* WeightMatrix::bf16() const {
  ODMA_ASSERT(dtype_ == DType::kBF16);
  return static_cast<const std::uint16_t*>(data_);
}

void WeightMatrix::row_to_f32(std::int64_t r, float* out) const {
  const std::size_t n = static_cast<std::size_t>(cols_);
  const std::size_t first = static_cast<std::size_t>(r) * n;
  if (dtype_ == DType::kF32) {
    std::memcpy(out, static_cast<const float*>(data_) + first, n * sizeof(float));
  } else {
    cpu::convert_bf16_to_f32(static_cast<const std::uint16_t*>(data_) + first, out, n);
  }
}

float WeightMatrix::at(std::int64_t r, std::int64_t c) const {
  const std::size_t i = static_cast<std::size_t>(r * cols_ + c);
  return dtype_ == DType::kF32 ? static_cast<const float*>(data_)[i]
                               : cpu::to_f32(static_cast<const std::uint16_t*>(data_)[i]);
}

bool operator==(const WeightMatrix& a, const WeightMatrix& b) {
  if (a.dtype_ != b.dtype_ || a.rows_ != b.rows_ || a.cols_ != b.cols_) return false;
  return a.bytes_ == 0 || std::memcmp(a.data_, b.data_, a.bytes_) == 0;
}

}  // namespace odma::model
