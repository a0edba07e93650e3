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
  if (dtype != DType::kF32 && dtype != DType::kBF16 && dtype != DType::kI8) {
    throw Error(std::string("WeightMatrix: weights are held as F32, BF16 or I8, not ") +
                to_string(dtype));
  }
  if (rows <= 0 || cols <= 0) throw Error("WeightMatrix: rows and cols must be > 0");
  bytes_ = values_bytes();
  if (dtype == DType::kI8) bytes_ += static_cast<std::size_t>(rows) * (sizeof(float) + 4);
  data_ = cpu::allocate_huge_page_aligned(bytes_);
  if (dtype == DType::kI8) {  // the padding after the values, so that equal matrices compare equal
    const std::size_t n = static_cast<std::size_t>(rows) * static_cast<std::size_t>(cols);
    std::memset(static_cast<std::byte*>(data_) + n, 0, values_bytes() - n);
  }
}

std::size_t WeightMatrix::values_bytes() const {
  const std::size_t n = static_cast<std::size_t>(rows_) * static_cast<std::size_t>(cols_);
  return dtype_ == DType::kI8 ? (n + 63) / 64 * 64 : n * element_size(dtype_);
}

WeightRef WeightMatrix::ref() const {
  if (dtype_ != DType::kI8 || data_ == nullptr) return {dtype_, data_};
  return {dtype_, data_, scales_of(), row_sums_of()};
}

// data_ points to non-const memory even in const members: these serve both the views and writers.
float* WeightMatrix::scales_of() const {
  ODMA_ASSERT(dtype_ == DType::kI8);
  return reinterpret_cast<float*>(static_cast<std::byte*>(data_) + values_bytes());
}

std::int32_t* WeightMatrix::row_sums_of() const {
  return reinterpret_cast<std::int32_t*>(scales_of() + rows_);
}

std::int8_t* WeightMatrix::mutable_i8() {
  ODMA_ASSERT(dtype_ == DType::kI8);
  return static_cast<std::int8_t*>(data_);
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
  } else if (dtype_ == DType::kI8) {
    const WeightRef w = ref();
    for (std::size_t c = 0; c < n; ++c)
      out[c] = w.scales[r] * static_cast<float>(w.i8()[first + c]);
  } else {
    cpu::convert_bf16_to_f32(static_cast<const std::uint16_t*>(data_) + first, out, n);
  }
}

float WeightMatrix::at(std::int64_t r, std::int64_t c) const {
  const std::size_t i = static_cast<std::size_t>(r * cols_ + c);
  if (dtype_ == DType::kI8) return ref().scales[r] * static_cast<float>(ref().i8()[i]);
  return dtype_ == DType::kF32 ? static_cast<const float*>(data_)[i]
                               : cpu::to_f32(static_cast<const std::uint16_t*>(data_)[i]);
}

bool operator==(const WeightMatrix& a, const WeightMatrix& b) {
  if (a.dtype_ != b.dtype_ || a.rows_ != b.rows_ || a.cols_ != b.cols_) return false;
  return a.bytes_ == 0 || std::memcmp(a.data_, b.data_, a.bytes_) == 0;
}

}  // namespace odma::model
