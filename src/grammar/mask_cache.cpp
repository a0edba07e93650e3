#include "grammar/mask_cache.h"

namespace odma::grammar {

namespace {

std::string node_key(std::uint64_t vocab, std::int32_t node) {
  return std::to_string(vocab) + ':' + std::to_string(node);
}

}  // namespace

std::shared_ptr<const NodeMask> MaskCache::node_mask(std::uint64_t vocab, std::int32_t node) {
  std::lock_guard lock(mu_);
  const auto* m = nodes_.get(node_key(vocab, node));
  return m ? *m : nullptr;
}

void MaskCache::put_node_mask(std::uint64_t vocab, std::int32_t node,
                              std::shared_ptr<const NodeMask> m) {
  std::lock_guard lock(mu_);
  nodes_.put(node_key(vocab, node), std::move(m));
}

std::shared_ptr<const std::vector<std::uint64_t>> MaskCache::state_mask(const std::string& key) {
  std::lock_guard lock(mu_);
  const auto* m = states_.get(key);
  return m ? *m : nullptr;
}

void MaskCache::put_state_mask(const std::string& key,
                               std::shared_ptr<const std::vector<std::uint64_t>> m) {
  std::lock_guard lock(mu_);
  states_.put(key, std::move(m));
}

namespace {

struct SharedNodeMasks {
  std::mutex mu;
  LruMap<std::shared_ptr<const NodeMask>> masks{kSharedNodeCapacity};
};

SharedNodeMasks& shared() {
  static SharedNodeMasks s;
  return s;
}

// Signatures can be long (a length-bounded string's next 128 characters): keyed by two
// independent 64-bit hashes instead (a collision needs both to collide).
std::string shared_key(std::uint64_t vocab, const std::string& signature) {
  std::uint64_t a = 0xCBF29CE484222325ULL, b = 0x84222325CBF29CE4ULL ^ signature.size();
  for (char c : signature) {
    a = (a ^ static_cast<std::uint8_t>(c)) * 0x100000001B3ULL;
    b = (b + static_cast<std::uint8_t>(c)) * 0x9E3779B97F4A7C15ULL;
    b ^= b >> 29;
  }
  return std::to_string(vocab) + ':' + std::to_string(a) + ':' + std::to_string(b);
}

}  // namespace

std::shared_ptr<const NodeMask> shared_node_mask(std::uint64_t vocab,
                                                 const std::string& signature) {
  SharedNodeMasks& s = shared();
  std::lock_guard lock(s.mu);
  const auto* m = s.masks.get(shared_key(vocab, signature));
  return m ? *m : nullptr;
}

void put_shared_node_mask(std::uint64_t vocab, const std::string& signature,
                          std::shared_ptr<const NodeMask> m) {
  SharedNodeMasks& s = shared();
  std::lock_guard lock(s.mu);
  s.masks.put(shared_key(vocab, signature), std::move(m));
}

}  // namespace odma::grammar
