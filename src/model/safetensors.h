// Reading (and writing) the safetensors format: 8-byte little-endian header length N, N bytes of
// JSON {name: {dtype, shape, data_offsets: [begin, end]}}, then the raw tensor bytes.
//
// Files are mmapped read-only; a ".gz" file (how odma ships small test models) is decompressed into
// memory instead. A model directory holds either model.safetensors[.gz] or a sharded set described
// by model.safetensors.index.json ({"weight_map": {tensor: file}}).
//
// Invariants checked at open (odma::Error naming the file and tensor otherwise):
//   8 + N <= file size,   begin <= end <= file size - 8 - N,
//   end - begin == product(shape) * element_size(dtype).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace odma::model {

// kI8 is a serving dtype only (INT8 weights quantized at load, weight_matrix.h), never read from
// a checkpoint.
enum class DType : std::uint8_t { kF32, kBF16, kF16, kI8 };

const char* to_string(DType d);
std::size_t element_size(DType d);

struct TensorView {
  std::string name;
  DType dtype = DType::kF32;
  std::vector<std::int64_t> shape;
  const std::byte* data = nullptr;  // valid while the owning file is open
  std::size_t nbytes = 0;
  std::string file;  // for error messages
  std::int64_t numel() const;
};

std::string shape_to_string(const std::vector<std::int64_t>& shape);

// One open .safetensors file.
class SafetensorsFile {
 public:
  explicit SafetensorsFile(const std::filesystem::path& path);
  ~SafetensorsFile();
  SafetensorsFile(const SafetensorsFile&) = delete;
  SafetensorsFile& operator=(const SafetensorsFile&) = delete;

  const std::map<std::string, TensorView>& tensors() const { return tensors_; }
  // Drops the mapped pages wholly inside `t` from this process (MADV_DONTNEED): they are read
  // again from the file if touched. No-op for decompressed (.gz) files.
  void release(const TensorView& t) const;

 private:
  void parse(const std::string& path);
  void* map_ = nullptr;  // mmap base (plain files)
  std::size_t map_size_ = 0;
  std::string owned_;  // decompressed bytes (.gz files)
  const std::byte* bytes_ = nullptr;
  std::size_t size_ = 0;
  std::map<std::string, TensorView> tensors_;
};

// All tensors of a model directory (single file or sharded).
class SafetensorsSet {
 public:
  explicit SafetensorsSet(const std::filesystem::path& model_dir);
  // Throws odma::Error naming the tensor if it is absent.
  const TensorView& get(const std::string& name) const;
  const TensorView* find(const std::string& name) const;
  // See SafetensorsFile::release: called by the loader once a tensor is copied.
  void release(const TensorView& t) const;
  std::size_t size() const { return index_.size(); }

 private:
  std::vector<std::unique_ptr<SafetensorsFile>> files_;
  std::map<std::string, const TensorView*> index_;
  std::string where_;
};

// Writing: the header is computed from the specs, then each tensor's bytes are produced by `fill`
// (called once per tensor, in order, with a buffer of exactly nbytes) and streamed to disk, so
// multi-GB files never sit in memory.
struct TensorSpec {
  std::string name;
  DType dtype = DType::kBF16;
  std::vector<std::int64_t> shape;
};
using TensorFill =
    std::function<void(std::size_t tensor_index, std::byte* out, std::size_t nbytes)>;
void write_safetensors(const std::filesystem::path& path, const std::vector<TensorSpec>& specs,
                       const TensorFill& fill);

// F16 (IEEE binary16) → F32, exact. (BF16 conversions: model/cpu/bf16.h.)
float f16_to_f32(std::uint16_t h);

}  // namespace odma::model
