// Per-grammar token mask caches, shared (under a mutex) by every matcher of the grammar.
//
// Two levels: a NodeMask per (vocabulary, top node) says which tokens the node's own rule accepts
// whatever lies below it on the stack, and which depend on it (xgrammar's context-independent /
// dependent split); a whole mask per (vocabulary, position) makes a repeated position (inside a
// free string, between properties) a lookup and a copy. Both are LRU-bounded. Node masks are also
// shared process-wide by the structure of the graph within a token's reach (shared_node_mask):
// every JSON grammar has the same string loop, and the positions of a length-bounded string far
// from both bounds look alike.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/lru_map.h"

namespace odma::grammar {

struct NodeMask {
  std::vector<std::uint64_t> accepted;  // token bits accepted within the node's rule
  std::vector<std::int32_t> uncertain;  // trie positions (Trie::sorted) that must be checked
                                        // against the whole stack
};

class MaskCache {
 public:
  // ~19 KB per entry on a 152K vocabulary: at most ~10 MB per grammar.
  static constexpr std::size_t kNodeCapacity = 256;
  static constexpr std::size_t kStateCapacity = 256;

  std::shared_ptr<const NodeMask> node_mask(std::uint64_t vocab, std::int32_t node);
  void put_node_mask(std::uint64_t vocab, std::int32_t node, std::shared_ptr<const NodeMask> m);
  std::shared_ptr<const std::vector<std::uint64_t>> state_mask(const std::string& key);
  void put_state_mask(const std::string& key, std::shared_ptr<const std::vector<std::uint64_t>> m);

 private:
  std::mutex mu_;
  LruMap<std::shared_ptr<const NodeMask>> nodes_{kNodeCapacity};
  LruMap<std::shared_ptr<const std::vector<std::uint64_t>>> states_{kStateCapacity};
};

// Process-wide node masks keyed by the vocabulary and a node's structural signature
// (Grammar::signature within the vocabulary's longest token): equal signatures have equal node
// masks.
inline constexpr std::size_t kSharedNodeCapacity = 512;  // ~10 MB on a 152K vocabulary
std::shared_ptr<const NodeMask> shared_node_mask(std::uint64_t vocab, const std::string& signature);
void put_shared_node_mask(std::uint64_t vocab, const std::string& signature,
                          std::shared_ptr<const NodeMask> m);

}  // namespace odma::grammar
