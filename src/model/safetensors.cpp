#include "model/safetensors.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>

#include "base/error.h"
#include "base/file_io.h"

namespace odma::model {
namespace {

using nlohmann::json;

bool parse_dtype(const std::string& s, DType& out) {
  if (s == "F32")
    out = DType::kF32;
  else if (s == "BF16")
    out = DType::kBF16;
  else if (s == "F16")
    out = DType::kF16;
  else
    return false;
  return true;
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

const char* to_string(DType d) {
  switch (d) {
    case DType::kF32:
      return "F32";
    case DType::kBF16:
      return "BF16";
    case DType::kF16:
      return "F16";
    case DType::kI8:
      return "I8";
  }
  return "?";
}

std::size_t element_size(DType d) {
  return d == DType::kF32 ? 4 : d == DType::kI8 ? 1 : 2;
}

std::int64_t TensorView::numel() const {
  std::int64_t n = 1;
  for (auto s : shape) n *= s;
  return n;
}

std::string shape_to_string(const std::vector<std::int64_t>& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

SafetensorsFile::SafetensorsFile(const std::filesystem::path& path) {
  const std::string p = path.string();
  if (ends_with(p, ".gz")) {
    owned_ = read_file(path);
    bytes_ = reinterpret_cast<const std::byte*>(owned_.data());
    size_ = owned_.size();
  } else {
    int fd = ::open(p.c_str(), O_RDONLY);
    if (fd < 0) throw Error("cannot open " + p);
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
      ::close(fd);
      throw Error("cannot stat " + p);
    }
    size_ = static_cast<std::size_t>(st.st_size);
    if (size_ > 0) {
      map_ = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
      if (map_ == MAP_FAILED) {
        map_ = nullptr;
        ::close(fd);
        throw Error("cannot mmap " + p);
      }
      map_size_ = size_;
      bytes_ = static_cast<const std::byte*>(map_);
    }
    ::close(fd);
  }
  try {
    parse(p);
  } catch (...) {
    if (map_ != nullptr) ::munmap(map_, map_size_);
    throw;
  }
}

SafetensorsFile::~SafetensorsFile() {
  if (map_ != nullptr) ::munmap(map_, map_size_);
}

void SafetensorsFile::release(const TensorView& t) const {
  if (map_ == nullptr || t.nbytes == 0) return;
  const auto base = reinterpret_cast<std::uintptr_t>(map_);
  const auto begin = reinterpret_cast<std::uintptr_t>(t.data);
  if (begin < base || begin + t.nbytes > base + map_size_) return;  // not from this mapping
  const std::uintptr_t page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
  const std::uintptr_t first = (begin + page - 1) / page * page;  // whole pages inside t only:
  const std::uintptr_t last = (begin + t.nbytes) / page * page;   // neighbours stay resident
  if (last > first) (void)::madvise(reinterpret_cast<void*>(first), last - first, MADV_DONTNEED);
}

void SafetensorsFile::parse(const std::string& path) {
  if (size_ < 8)
    throw Error(path + ": truncated safetensors file (" + std::to_string(size_) +
                " bytes, no header)");
  std::uint64_t header_len = 0;
  std::memcpy(&header_len, bytes_, 8);  // little-endian on every platform we build for
  if (header_len > size_ - 8) {
    throw Error(path + ": header length " + std::to_string(header_len) +
                " runs past end of file (" + std::to_string(size_) + " bytes)");
  }
  json header;
  try {
    header = json::parse(reinterpret_cast<const char*>(bytes_) + 8,
                         reinterpret_cast<const char*>(bytes_) + 8 + header_len);
  } catch (const json::exception& e) {
    throw Error(path + ": invalid safetensors header JSON (" + e.what() + ")");
  }
  if (!header.is_object()) throw Error(path + ": safetensors header is not a JSON object");
  const std::byte* data = bytes_ + 8 + header_len;
  const std::uint64_t data_size = size_ - 8 - header_len;
  for (const auto& [name, entry] : header.items()) {
    if (name == "__metadata__") continue;
    const std::string where = path + ": tensor " + name;
    if (!entry.is_object() || !entry.contains("dtype") || !entry.contains("shape") ||
        !entry.contains("data_offsets")) {
      throw Error(where + ": entry needs dtype, shape and data_offsets");
    }
    TensorView t;
    t.name = name;
    t.file = path;
    if (!entry["dtype"].is_string() || !parse_dtype(entry["dtype"].get<std::string>(), t.dtype)) {
      throw Error(where + ": unsupported dtype " + entry["dtype"].dump() +
                  " (need F32, BF16 or F16)");
    }
    std::int64_t numel = 1;
    if (!entry["shape"].is_array()) throw Error(where + ": shape must be a list");
    for (const auto& d : entry["shape"]) {
      if (!d.is_number_integer() || d.get<long long>() < 0 || d.get<long long>() > (1LL << 40)) {
        throw Error(where + ": bad shape " + entry["shape"].dump());
      }
      t.shape.push_back(d.get<std::int64_t>());
      numel *= t.shape.back();
      if (numel > (1LL << 40)) throw Error(where + ": shape too large " + entry["shape"].dump());
    }
    const auto& off = entry["data_offsets"];
    if (!off.is_array() || off.size() != 2 || !off[0].is_number_unsigned() ||
        !off[1].is_number_unsigned()) {
      throw Error(where + ": data_offsets must be [begin, end]");
    }
    std::uint64_t begin = off[0].get<std::uint64_t>(), end = off[1].get<std::uint64_t>();
    if (begin > end) throw Error(where + ": data_offsets begin > end");
    if (end > data_size) {
      throw Error(where + ": tensor data [" + std::to_string(begin) + ", " + std::to_string(end) +
                  ") runs past end of file (data section is " + std::to_string(data_size) +
                  " bytes; file truncated?)");
    }
    t.nbytes = static_cast<std::size_t>(end - begin);
    if (t.nbytes != static_cast<std::size_t>(numel) * element_size(t.dtype)) {
      throw Error(where + ": " + std::to_string(t.nbytes) + " bytes do not match shape " +
                  shape_to_string(t.shape) + " of " + to_string(t.dtype));
    }
    t.data = data + begin;
    tensors_.emplace(name, std::move(t));
  }
}

SafetensorsSet::SafetensorsSet(const std::filesystem::path& dir) : where_(dir.string()) {
  auto single = dir / "model.safetensors";
  auto single_gz = dir / "model.safetensors.gz";
  auto index = dir / "model.safetensors.index.json";
  std::vector<std::filesystem::path> paths;
  if (std::filesystem::exists(single)) {
    paths.push_back(single);
  } else if (std::filesystem::exists(single_gz)) {
    paths.push_back(single_gz);
  } else if (std::filesystem::exists(index)) {
    json j;
    try {
      j = json::parse(read_file(index));
    } catch (const json::exception& e) {
      throw Error(index.string() + ": invalid JSON (" + e.what() + ")");
    }
    if (!j.is_object() || !j.contains("weight_map") || !j["weight_map"].is_object()) {
      throw Error(index.string() + ": field \"weight_map\" is missing");
    }
    std::map<std::string, bool> seen;
    for (const auto& [tensor, file] : j["weight_map"].items()) {
      if (!file.is_string())
        throw Error(index.string() + ": weight_map[" + tensor + "] is not a file name");
      auto f = file.get<std::string>();
      if (f.find('/') != std::string::npos)
        throw Error(index.string() + ": shard name " + f + " has a '/'");
      if (!seen[f]) {
        seen[f] = true;
        if (!std::filesystem::exists(dir / f))
          throw Error(index.string() + ": shard " + f + " is missing");
        paths.push_back(dir / f);
      }
    }
  } else {
    throw Error("model directory " + dir.string() +
                ": no model.safetensors (nor model.safetensors.index.json)");
  }
  for (const auto& p : paths) {
    files_.push_back(std::make_unique<SafetensorsFile>(p));
    for (const auto& [name, t] : files_.back()->tensors()) {
      if (!index_.emplace(name, &t).second) {
        throw Error(p.string() + ": tensor " + name + " appears in more than one shard");
      }
    }
  }
}

const TensorView* SafetensorsSet::find(const std::string& name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : it->second;
}

void SafetensorsSet::release(const TensorView& t) const {
  for (const auto& f : files_) f->release(t);
}

const TensorView& SafetensorsSet::get(const std::string& name) const {
  const TensorView* t = find(name);
  if (t == nullptr) throw Error(where_ + ": tensor " + name + " is missing");
  return *t;
}

void write_safetensors(const std::filesystem::path& path, const std::vector<TensorSpec>& specs,
                       const TensorFill& fill) {
  json header = json::object();
  std::uint64_t offset = 0;
  std::vector<std::size_t> sizes;
  for (const auto& s : specs) {
    std::uint64_t n = element_size(s.dtype);
    for (auto d : s.shape) n *= static_cast<std::uint64_t>(d);
    header[s.name] = {
        {"dtype", to_string(s.dtype)}, {"shape", s.shape}, {"data_offsets", {offset, offset + n}}};
    offset += n;
    sizes.push_back(static_cast<std::size_t>(n));
  }
  header["__metadata__"] = {{"format", "pt"}};
  std::string h = header.dump();
  while ((8 + h.size()) % 8 != 0) h.push_back(' ');  // keep the data section 8-byte aligned
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw Error("cannot write " + path.string());
  std::uint64_t len = h.size();
  out.write(reinterpret_cast<const char*>(&len), 8);
  out.write(h.data(), static_cast<std::streamsize>(h.size()));
  std::vector<std::byte> buf;
  for (std::size_t i = 0; i < specs.size(); ++i) {
    buf.assign(sizes[i], std::byte{0});
    fill(i, buf.data(), buf.size());
    out.write(reinterpret_cast<const char*>(buf.data()), static_cast<std::streamsize>(buf.size()));
    if (!out) throw Error("write error on " + path.string());
  }
}

float f16_to_f32(std::uint16_t h) {
  std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000) << 16;
  std::uint32_t exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
  float mag;
  if (exp == 0) {
    mag = std::ldexp(static_cast<float>(mant), -24);
  } else if (exp == 31) {
    mag = mant ? std::nanf("") : INFINITY;
  } else {
    mag = std::ldexp(static_cast<float>(mant | 0x400), static_cast<int>(exp) - 25);
  }
  std::uint32_t u;
  std::memcpy(&u, &mag, 4);
  u |= sign;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

}  // namespace odma::model
