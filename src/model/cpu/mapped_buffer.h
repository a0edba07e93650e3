// A large, zero-filled, 2 MiB-aligned anonymous mapping that asks the kernel for transparent huge
// pages. The KV arena and the bandwidth probe that it is compared against both live in one, so
// "fraction of sequential read bandwidth" compares like with like.
//
// Why huge pages: a decode step walks every live request's K/V; with 4 KiB pages that is a TLB
// miss every 16 rows of a 64-dim head (measured: contiguous attention 9.1 → 11.3 GB/s on one core
// of the CI machine). The advice is best effort: where THP is off the buffer works the same,
// only slower. Pages are committed by the OS on first write, or all at construction with
// `populate`: the KV arena does that, because a first write into a huge page may stall on the
// kernel's compaction (THP defrag = madvise), and the first step touches a page in every
// (layer, K/V, head) plane — measured 350–520 ms added to the first request's TTFT on the
// 0.5B shape, in about half the runs. vLLM likewise allocates its whole KV cache up front.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <new>
#include <vector>

namespace odma::model::cpu {

class MappedBuffer {
 public:
  // Throws odma::Error if the mapping fails.
  explicit MappedBuffer(std::size_t bytes, bool populate = false);
  ~MappedBuffer();
  MappedBuffer(const MappedBuffer&) = delete;
  MappedBuffer& operator=(const MappedBuffer&) = delete;

  void* data() const { return data_; }
  std::size_t size() const { return size_; }

 private:
  void* mapping_ = nullptr;  // what mmap returned (alignment slack included)
  std::size_t mapping_bytes_ = 0;
  void* data_ = nullptr;  // 2 MiB-aligned start
  std::size_t size_ = 0;
};

// Huge-page advice for large allocations (≥ 2 MiB): 2 MiB-aligned, whole huge pages. Smaller ones
// come from operator new. Used for model weights, which every decode step streams in full.
void* allocate_huge_page_aligned(std::size_t bytes);  // throws std::bad_alloc
void free_huge_page_aligned(void* p, std::size_t bytes) noexcept;

template <class T>
struct HugePageAllocator {
  using value_type = T;
  HugePageAllocator() = default;
  template <class U>
  HugePageAllocator(const HugePageAllocator<U>&) noexcept {}
  T* allocate(std::size_t n) { return static_cast<T*>(allocate_huge_page_aligned(n * sizeof(T))); }
  void deallocate(T* p, std::size_t n) noexcept { free_huge_page_aligned(p, n * sizeof(T)); }
  template <class U>
  bool operator==(const HugePageAllocator<U>&) const noexcept {
    return true;
  }
};

using HugePageFloats = std::vector<float, HugePageAllocator<float>>;

}  // namespace odma::model::cpu
