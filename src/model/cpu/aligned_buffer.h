// A growable, uninitialised, 64-byte-aligned array for kernel scratch and prepared operands: the
// SIMD kernels load 64 bytes at a time, and a load that straddles two cache lines costs two.
// (std::vector only guarantees alignof(T).) Used by the dispatchers, never by ISA files.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <memory>
#include <new>

namespace odma::model::cpu {

template <class T>
class AlignedBuffer {
 public:
  // Makes room for n elements; keeps the old ones only if no reallocation happens.
  T* reserve(std::size_t n) {
    if (n > capacity_) {
      const std::size_t bytes = (n * sizeof(T) + 63) / 64 * 64;
      void* p = std::aligned_alloc(64, bytes);
      if (p == nullptr) throw std::bad_alloc();
      data_.reset(static_cast<T*>(p));
      capacity_ = n;
    }
    return data_.get();
  }
  T* data() { return data_.get(); }
  const T* data() const { return data_.get(); }
  std::size_t capacity() const { return capacity_; }

 private:
  struct Free {
    void operator()(T* p) const { std::free(p); }
  };
  std::unique_ptr<T, Free> data_;
  std::size_t capacity_ = 0;
};

}  // namespace odma::model::cpu
