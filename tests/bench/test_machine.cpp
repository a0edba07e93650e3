// The last-level cache size as sysfs states it, read from a fake sysfs folder.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "bench/machine.h"

namespace odma::bench {
namespace {

namespace fs = std::filesystem;

class FakeCacheDir {
 public:
  FakeCacheDir() {
    static int counter = 0;
    path_ = fs::temp_directory_path() /
            ("odma_bench_cache_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~FakeCacheDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }

  // One cache: index<i>/level and, unless empty, index<i>/size.
  void add(int index, const std::string& level, const std::string& size) const {
    const fs::path dir = path_ / ("index" + std::to_string(index));
    fs::create_directories(dir);
    std::ofstream(dir / "level") << level << "\n";
    if (!size.empty()) std::ofstream(dir / "size") << size << "\n";
  }

 private:
  fs::path path_;
};

TEST(Machine, LastLevelCacheIsTheLargestCacheOfTheHighestLevel) {
  FakeCacheDir d;
  d.add(0, "1", "48K");  // L1d
  d.add(1, "1", "32K");  // L1i
  d.add(2, "2", "1024K");
  d.add(3, "3", "32768K");
  d.add(4, "3", "16384K");  // a smaller slice of the same level
  std::ofstream(d.path() / "uevent") << "not a cache\n";
  EXPECT_EQ(last_level_cache_bytes(d.path()), 32LL << 20);
}

TEST(Machine, LastLevelCacheUnitsAndGaps) {
  FakeCacheDir mega, giga, gaps;
  mega.add(0, "2", "2M");
  EXPECT_EQ(last_level_cache_bytes(mega.path()), 2LL << 20);
  giga.add(0, "4", "1G");
  EXPECT_EQ(last_level_cache_bytes(giga.path()), 1LL << 30);
  gaps.add(0, "2", "512K");
  gaps.add(1, "3", "");       // no size file: skipped
  gaps.add(2, "3", "bogus");  // unreadable size: skipped
  EXPECT_EQ(last_level_cache_bytes(gaps.path()), 512LL << 10);
}

TEST(Machine, LastLevelCacheIsZeroWithoutSysfs) {
  FakeCacheDir empty;
  EXPECT_EQ(last_level_cache_bytes(empty.path()), 0);
  EXPECT_EQ(last_level_cache_bytes(empty.path() / "missing"), 0);
}

}  // namespace
}  // namespace odma::bench
