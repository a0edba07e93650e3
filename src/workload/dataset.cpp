#include "workload/dataset.h"

#include <map>
#include <memory>
#include <mutex>

#include "base/error.h"
#include "base/file_io.h"
#include "workload/dataset_loaders.h"

namespace odma::workload {

Split split_of(std::int64_t index) {
  const std::int64_t r = ((index % 10) + 10) % 10;  // never negative, even for a negative index
  if (r <= 7) return Split::kTrain;
  return r == 8 ? Split::kVal : Split::kTest;
}

const char* split_name(Split s) {
  switch (s) {
    case Split::kTrain:
      return "train";
    case Split::kVal:
      return "val";
    case Split::kTest:
      return "test";
  }
  return "?";
}

std::optional<Split> parse_split(const std::string& text) {
  if (text == "train") return Split::kTrain;
  if (text == "val") return Split::kVal;
  if (text == "test") return Split::kTest;
  if (text == "all") return std::nullopt;
  throw Error("unknown split '" + text + "' (expected train, val, test or all)");
}

std::vector<Record> Dataset::split(Split s) const {
  std::vector<Record> out;
  for (const Record& r : records) {
    if (r.split == s) out.push_back(r);
  }
  return out;
}

std::vector<std::string> dataset_names() {
  return {"alpaca", "alpaca-vicuna", "nq"};
}

namespace {

// Parsed datasets, kept for the process: Alpaca's 22 MB of JSON is worth parsing once. Keyed by
// data_dir() too, so pointing ODMA_DATA_DIR elsewhere (tests do) never returns stale data.
std::shared_ptr<const Dataset> cached(const std::string& name) {
  static std::mutex mu;
  static std::map<std::string, std::shared_ptr<const Dataset>> cache;
  std::lock_guard<std::mutex> lock(mu);
  const std::string dir = data_dir().string() + "\n";
  if (auto it = cache.find(dir + name); it != cache.end()) return it->second;
  std::shared_ptr<const Dataset> d;
  if (name == "alpaca") {
    d = std::make_shared<const Dataset>(detail::load_alpaca());
  } else if (name == "alpaca-vicuna") {
    // Recursion would self-deadlock on `mu`, so the Alpaca base is loaded (and cached) inline.
    auto base = cache.find(dir + "alpaca");
    if (base == cache.end()) {
      base = cache.emplace(dir + "alpaca", std::make_shared<const Dataset>(detail::load_alpaca()))
                 .first;
    }
    d = std::make_shared<const Dataset>(detail::load_alpaca_vicuna(*base->second));
  } else if (name == "nq") {
    d = std::make_shared<const Dataset>(detail::load_nq());
  } else {
    std::string known;
    for (const auto& n : dataset_names()) known += (known.empty() ? "" : ", ") + n;
    throw Error("unknown dataset '" + name + "' (known: " + known + ")");
  }
  cache.emplace(dir + name, d);
  return d;
}

}  // namespace

Dataset load_dataset(const std::string& name) {
  return *cached(name);
}

}  // namespace odma::workload
