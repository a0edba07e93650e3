#include "model/cpu/mapped_buffer.h"

#include <sys/mman.h>

#include <cstdint>
#include <string>

#include "base/error.h"

namespace odma::model::cpu {

namespace {
constexpr std::size_t kHugePage = std::size_t{2} << 20;
}

MappedBuffer::MappedBuffer(std::size_t bytes, bool populate) : size_(bytes) {
  if (bytes == 0) throw Error("MappedBuffer: size must be > 0");
  mapping_bytes_ = bytes + kHugePage;  // slack to align the start
  void* p =
      ::mmap(nullptr, mapping_bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw Error("cannot map " + std::to_string(bytes) + " bytes");
  mapping_ = p;
  const auto start = reinterpret_cast<std::uintptr_t>(p);
  data_ = reinterpret_cast<void*>((start + kHugePage - 1) / kHugePage * kHugePage);
  (void)::madvise(data_, bytes, MADV_HUGEPAGE);  // advice only: failure changes nothing
  if (populate) {
    // One write per 4 KiB page (the first in each huge page faults the whole 2 MiB in); the pages
    // are zero already, so zeros keep the contents. After the advice, so the faults take huge
    // pages (MAP_POPULATE would fill 4 KiB ones before madvise could ask).
    auto* bytes_at = static_cast<volatile unsigned char*>(data_);
    for (std::size_t off = 0; off < bytes; off += 4096) bytes_at[off] = 0;
  }
}

MappedBuffer::~MappedBuffer() {
  ::munmap(mapping_, mapping_bytes_);
}

void* allocate_huge_page_aligned(std::size_t bytes) {
  if (bytes < kHugePage) return ::operator new(bytes);
  const std::size_t rounded = (bytes + kHugePage - 1) / kHugePage * kHugePage;
  void* p = std::aligned_alloc(kHugePage, rounded);
  if (p == nullptr) throw std::bad_alloc();
  (void)::madvise(p, rounded, MADV_HUGEPAGE);  // advice only
  return p;
}

void free_huge_page_aligned(void* p, std::size_t bytes) noexcept {
  if (bytes < kHugePage) {
    ::operator delete(p);
  } else {
    std::free(p);
  }
}

}  // namespace odma::model::cpu
