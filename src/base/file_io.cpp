#include "base/file_io.h"

#include <zlib.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "base/error.h"

namespace odma {
namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string read_gzip(const std::filesystem::path& path) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (f == nullptr) throw Error("cannot open " + path.string());
  gzbuffer(f, 1 << 20);
  std::string out;
  char buf[1 << 16];
  for (;;) {
    int n = gzread(f, buf, sizeof(buf));
    if (n < 0) {
      int code = 0;
      std::string msg = gzerror(f, &code);
      gzclose(f);
      throw Error(path.string() + ": corrupt gzip data (" + msg + ")");
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  // gzread returns 0 at a truncated stream's end too; gzclose reports it as Z_BUF_ERROR.
  if (gzclose(f) != Z_OK) throw Error(path.string() + ": truncated gzip data");
  return out;
}

}  // namespace

std::string read_file(const std::filesystem::path& path) {
  if (!std::filesystem::exists(path)) throw Error("file not found: " + path.string());
  if (ends_with(path.string(), ".gz")) return read_gzip(path);
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot open " + path.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw Error("read error on " + path.string());
  return ss.str();
}

void write_file(const std::filesystem::path& path, const std::string& bytes) {
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path());
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw Error("cannot write " + path.string());
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) throw Error("write error on " + path.string());
  }
  std::filesystem::rename(tmp, path);
}

std::filesystem::path data_dir() {
  if (const char* env = std::getenv("ODMA_DATA_DIR"); env != nullptr && *env != '\0') return env;
  return ODMA_DEFAULT_DATA_DIR;
}

std::filesystem::path data_file(const std::string& relative) {
  std::filesystem::path p = data_dir() / relative;
  if (std::filesystem::exists(p)) return p;
  std::filesystem::path gz = p;
  gz += ".gz";
  if (std::filesystem::exists(gz)) return gz;
  throw Error("shipped data file missing: " + p.string() +
              " (set ODMA_DATA_DIR to the repository's data/ directory)");
}

}  // namespace odma
