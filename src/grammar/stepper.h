// Advancing a matcher position (a set of node stacks) over one byte.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "grammar/grammar_graph.h"

namespace odma::grammar {

// Nesting deeper than this is not offered (a call that would exceed it is dropped).
inline constexpr std::size_t kMaxStackDepth = 128;
// Live alternatives kept per position; beyond it the extra stacks are dropped.
inline constexpr std::size_t kMaxStacks = 1024;

// A matcher position: every stack ([size, bottom .. top] in `flat`) has a top node with byte
// edges; stacks are sorted and distinct, so equal positions have equal `flat`. can_end: the
// output so far is complete.
struct StackSet {
  std::vector<std::int32_t> flat;
  bool can_end = false;

  bool dead() const { return flat.empty() && !can_end; }
  // Calls f(const std::int32_t* nodes, std::size_t size) for each stack, bottom first.
  template <class F>
  void for_each(F&& f) const {
    for (std::size_t i = 0; i < flat.size(); i += static_cast<std::size_t>(flat[i]) + 1) {
      f(flat.data() + i + 1, static_cast<std::size_t>(flat[i]));
    }
  }
  // A canonical byte string of the position (mask cache key).
  std::string key() const;
};

// Scratch space for stepping; one per thread of use.
class Stepper {
 public:
  explicit Stepper(const Grammar& g, std::size_t max_depth = kMaxStackDepth);

  void initial(StackSet& out);
  // out = the position after `byte` (out must not alias in); false if it is dead.
  bool step(const StackSet& in, std::uint8_t byte, StackSet& out);
  // Steps `state` over `bytes` in place; false (state unspecified) if it dies.
  bool step_bytes(StackSet& state, std::string_view bytes);

 private:
  void expand();
  void emit();
  bool mark_seen();
  void collect(StackSet& out);

  const Grammar& g_;
  std::size_t max_depth_;
  std::vector<std::int32_t> work_;   // the stack being expanded, bottom first
  std::vector<std::int32_t> arena_;  // emitted stacks, back to back
  std::vector<std::pair<std::uint32_t, std::uint32_t>> spans_;  // (offset, size) in arena_
  std::vector<std::uint64_t> seen_;  // open-addressing set of expanded stack hashes
  std::vector<std::uint32_t> seen_gen_;
  std::uint32_t gen_ = 0;
  std::size_t expansions_ = 0;
  bool can_end_ = false;
  StackSet tmp_;
};

}  // namespace odma::grammar
