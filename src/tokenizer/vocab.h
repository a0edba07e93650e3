// Token string <-> id table shared by the BPE model, added tokens and decoding.
// Invariant: for every stored pair, find(token(id)) == id; ids need not be dense (holes decode to
// "").
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace odma::tokenizer {

// Hash that accepts std::string_view, so lookups never build a std::string.
struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

class Vocab {
 public:
  // Returns false (and changes nothing) if `token` or `id` is already present.
  [[nodiscard]] bool add(std::string token, std::int32_t id);

  std::optional<std::int32_t> find(std::string_view token) const {
    auto it = ids_.find(token);
    if (it == ids_.end()) return std::nullopt;
    return it->second;
  }
  // The token string of `id`; empty for ids that are out of range or unused.
  std::string_view token(std::int32_t id) const {
    if (id < 0 || static_cast<std::size_t>(id) >= tokens_.size()) return {};
    return tokens_[static_cast<std::size_t>(id)];
  }
  bool contains(std::int32_t id) const {
    return id >= 0 && static_cast<std::size_t>(id) < used_.size() &&
           used_[static_cast<std::size_t>(id)];
  }
  // One more than the largest id stored.
  std::int32_t id_limit() const { return static_cast<std::int32_t>(tokens_.size()); }
  std::size_t entries() const { return ids_.size(); }

 private:
  std::unordered_map<std::string, std::int32_t, StringHash, std::equal_to<>> ids_;
  std::vector<std::string> tokens_;  // indexed by id
  std::vector<bool> used_;           // indexed by id
};

}  // namespace odma::tokenizer
