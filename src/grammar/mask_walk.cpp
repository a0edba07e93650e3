#include "grammar/mask_walk.h"

#include <algorithm>

namespace odma::grammar {

namespace {

// Depth-first over the trie. Rooted: `start` is one stack of a single node, and a return from
// that node's rule (can_end) means "the rest depends on the stack below": tokens that end there
// are accepted, longer ones become uncertain. Not rooted: can_end means the whole output ends.
class TrieWalk {
 public:
  TrieWalk(const Grammar& g, const Vocabulary& v, bool rooted, std::vector<std::uint64_t>& bits,
           std::vector<std::int32_t>* uncertain)
      : trie_(v.trie()),
        stepper_(g, rooted ? kRootedDepth : kMaxStackDepth),
        rooted_(rooted),
        bits_(bits),
        uncertain_(uncertain) {}

  void run(const StackSet& start) {
    states_.assign(1, start);
    states_.resize(trie_.max_length + 1);
    walk(0, 0, false);
  }

 private:
  void accept(std::int32_t lo, std::int32_t hi) {
    for (std::int32_t p = lo; p < hi; ++p) {
      auto id = static_cast<std::uint32_t>(trie_.sorted[static_cast<std::size_t>(p)]);
      bits_[id >> 6] |= 1ULL << (id & 63);
    }
  }
  void defer(std::int32_t lo, std::int32_t hi) {
    for (std::int32_t p = lo; p < hi; ++p) uncertain_->push_back(p);
  }

  // popped: the root rule returned at a shorter prefix, so tokens that die below are uncertain.
  void walk(std::int32_t at, std::size_t depth, bool popped) {
    const StackSet& here = states_[depth];
    StackSet& next = states_[depth + 1];
    const Vocabulary::Trie::Node& node = trie_.nodes[static_cast<std::size_t>(at)];
    for (std::int32_t c = at + 1; c < node.end;) {
      const Vocabulary::Trie::Node& child = trie_.nodes[static_cast<std::size_t>(c)];
      stepper_.step(here, child.byte, next);
      if (next.dead()) {
        if (popped) defer(child.tok_lo, child.tok_hi);
      } else {
        accept(child.tok_lo, child.tok_mid);
        bool p = rooted_ && (popped || next.can_end);
        if (next.flat.empty()) {
          if (p) defer(child.tok_mid, child.tok_hi);
        } else if (child.end > c + 1) {
          walk(c, depth + 1, p);
        }
      }
      c = child.end;
    }
  }

  const Vocabulary::Trie& trie_;
  Stepper stepper_;
  bool rooted_;
  std::vector<std::uint64_t>& bits_;
  std::vector<std::int32_t>* uncertain_;
  std::vector<StackSet> states_;  // states_[d]: the position after the current prefix's d bytes
};

}  // namespace

NodeMask compute_node_mask(const Grammar& g, const Vocabulary& v, std::int32_t top) {
  NodeMask m;
  m.accepted.assign((static_cast<std::size_t>(v.size()) + 63) / 64, 0);
  StackSet start;
  start.flat = {1, top};
  TrieWalk(g, v, true, m.accepted, &m.uncertain).run(start);
  return m;
}

void add_checked_tokens(const Grammar& g, const Vocabulary& v, const StackSet& start,
                        const std::vector<std::int32_t>& positions, TokenMask& mask) {
  // Positions are in byte order, so consecutive tokens share prefixes: keep the position after
  // each prefix byte and restart from the longest prefix shared with the previous token.
  const Vocabulary::Trie& trie = v.trie();
  Stepper stepper(g);
  std::vector<StackSet> states(1, start);
  states.resize(trie.max_length + 1);
  std::string_view prev;
  std::size_t valid = 0;  // states[0..valid] hold the positions after prev's first bytes
  for (std::int32_t p : positions) {
    std::int32_t id = trie.sorted[static_cast<std::size_t>(p)];
    if (mask.allowed(id)) continue;
    std::string_view bytes = v.bytes(id);
    std::size_t d = 0;
    std::size_t limit = std::min({valid, prev.size(), bytes.size()});
    while (d < limit && prev[d] == bytes[d]) ++d;
    bool alive = !states[d].dead();
    for (; alive && d < bytes.size(); ++d) {
      alive = !states[d].flat.empty() &&
              stepper.step(states[d], static_cast<std::uint8_t>(bytes[d]), states[d + 1]);
      if (!alive) states[d + 1] = StackSet{};
    }
    valid = std::min(d, bytes.size());
    prev = bytes;
    if (alive) mask.allow(id);
  }
}

void add_walked_tokens(const Grammar& g, const Vocabulary& v, const StackSet& start,
                       TokenMask& mask) {
  TrieWalk(g, v, false, mask.words(), nullptr).run(start);
}

}  // namespace odma::grammar
