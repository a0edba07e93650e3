// The byte trie over a vocabulary's tokens, walked depth-first to compute token masks.
#pragma once

#include <cstdint>
#include <vector>

#include "grammar/grammar.h"

namespace odma::grammar {

// Tokens (those with bytes, EOS excluded) sorted by bytes; trie nodes in depth-first order, so a
// node's subtree is the node range (self, end) and its tokens are the sorted range [lo, hi).
struct Vocabulary::Trie {
  struct Node {
    std::uint8_t byte = 0;     // the edge into this node
    std::int32_t end = 0;      // one past the last node of the subtree
    std::int32_t tok_lo = 0;   // tokens [tok_lo, tok_mid) end exactly here ...
    std::int32_t tok_mid = 0;  // ... and [tok_mid, tok_hi) continue below
    std::int32_t tok_hi = 0;
  };

  std::uint64_t id = 0;              // distinct per Vocabulary (cache keys)
  std::vector<std::int32_t> sorted;  // token ids by bytes
  std::vector<Node> nodes;           // nodes[0]: the root (empty prefix)
  std::size_t max_length = 0;        // longest token, in bytes
};

}  // namespace odma::grammar
