// The safetensors header and tensor table (src/model/safetensors.h): 8-byte length, JSON header,
// tensor bytes. The input is the whole file, served from a memfd so no disk is touched.
//
// Properties: bad bytes → odma::Error naming the file; an accepted file's every tensor has
// nbytes == numel × element size (no overflow) and lies inside the file, whose bytes are all read.
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>

#include "fuzz/fuzz_util.h"
#include "model/safetensors.h"

namespace {

// One memfd for the process; each input replaces its contents.
const std::string& memfd_path() {
  static const std::string path = [] {
    const int fd = memfd_create("fuzz.safetensors", 0);
    if (fd < 0) odma::fuzz::fail("memfd_create");
    return "/proc/self/fd/" + std::to_string(fd);
  }();
  return path;
}

void write_input(const std::uint8_t* data, std::size_t size) {
  const int fd = std::atoi(memfd_path().c_str() + std::strlen("/proc/self/fd/"));
  if (ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != static_cast<ssize_t>(size))
    odma::fuzz::fail("writing the memfd");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using odma::fuzz::check;
  write_input(data, size);
  const std::string& path = memfd_path();
  odma::fuzz::parses(path, [&] {
    odma::model::SafetensorsFile file(path);
    std::size_t total = 0;
    unsigned sum = 0;
    for (const auto& [name, t] : file.tensors()) {
      check(name == t.name, "tensor table key differs from the tensor's name", name);
      unsigned __int128 want = odma::model::element_size(t.dtype);
      for (std::int64_t d : t.shape) {
        check(d >= 0, "negative dimension accepted", name);
        want *= static_cast<unsigned __int128>(d);
      }
      check(want == t.nbytes, "nbytes != product(shape) x element size", name);
      check(t.nbytes <= size, "tensor larger than the file", name);
      total += t.nbytes;
      // Touch every byte: a view past the mapping faults here, under ASan's eye.
      for (std::size_t i = 0; i < t.nbytes; ++i) sum += static_cast<unsigned>(t.data[i]);
    }
    (void)total;
    volatile unsigned sink = sum;
    (void)sink;
  });
  return 0;
}
