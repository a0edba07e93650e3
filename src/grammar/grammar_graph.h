// The compiled form of a Grammar: a recursive transition network over bytes.
//
// Each node has byte edges (a byte range to a target node), call edges (enter the rule starting at
// `callee`, continue at `ret` when it returns) and a `final` flag (the current rule may return
// here). A matcher position is a stack of nodes: the top is the position inside the innermost
// rule, the nodes below are where each enclosing rule continues. Builders assemble fragments with
// epsilon edges (GraphBuilder); finish() removes them, prunes every edge that cannot lead to a
// complete string and renumbers the reachable nodes, so a finished graph has no epsilon edges and
// no dead ends.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "grammar/grammar.h"

namespace odma::grammar {

struct ByteEdge {
  std::uint8_t lo = 0;
  std::uint8_t hi = 0;
  std::int32_t target = 0;
};

struct CallEdge {
  std::int32_t callee = 0;
  std::int32_t ret = 0;
};

struct Node {
  std::vector<ByteEdge> bytes;  // sorted by lo after finish()
  std::vector<CallEdge> calls;
  std::vector<std::int32_t> eps;  // builder only
  bool final = false;
};

class MaskCache;  // mask_cache.h

class Grammar {
 public:
  Grammar(std::vector<Node> nodes, std::int32_t start);
  ~Grammar();
  Grammar(const Grammar&) = delete;
  Grammar& operator=(const Grammar&) = delete;

  const std::vector<Node>& nodes() const { return nodes_; }
  const Node& node(std::int32_t id) const { return nodes_[static_cast<std::size_t>(id)]; }
  std::int32_t start() const { return start_; }  // the start rule's first node
  // Only byte edges, not final: a byte into such a node needs no stack work (Stepper fast path).
  bool simple(std::int32_t id) const { return simple_[static_cast<std::size_t>(id)] != 0; }
  // A node that only returns: calls that return here are tail calls.
  bool pure_end(std::int32_t id) const { return pure_end_[static_cast<std::size_t>(id)] != 0; }
  MaskCache& cache() const { return *cache_; }
  // The part of the graph within max_bytes bytes of `node`, serialized with nodes renumbered in
  // breadth-first order: walks of at most max_bytes bytes from nodes with equal signatures see the
  // same thing, whatever lies further. Empty when a call is in reach or more than max_nodes nodes
  // are.
  std::string signature(std::int32_t node, std::size_t max_bytes, std::size_t max_nodes) const;

 private:
  std::vector<Node> nodes_;
  std::vector<std::uint8_t> simple_;
  std::vector<std::uint8_t> pure_end_;
  std::int32_t start_;
  std::unique_ptr<MaskCache> cache_;  // token masks, shared by every matcher of this grammar
};

// A piece of graph under construction: paths run from `start` to `end` (end has no edges yet).
struct Frag {
  std::int32_t start = 0;
  std::int32_t end = 0;
};

class GraphBuilder {
 public:
  std::int32_t add_node();
  Frag empty();
  Frag dead();  // matches nothing
  Frag byte_range(std::uint8_t lo, std::uint8_t hi);
  Frag literal(std::string_view text);
  // Any one of `texts`, built as a byte trie so that shared prefixes stay deterministic.
  Frag literal_set(const std::vector<std::string>& texts);
  Frag seq(const std::vector<Frag>& parts);
  Frag alt(const std::vector<Frag>& options);
  Frag optional(Frag f);
  Frag star(Frag f);
  // make() min..max times (max -1: unbounded); make() is called once per copy.
  Frag repeat(const std::function<Frag()>& make, int min, int max);
  Frag call(std::int32_t rule);
  void link(std::int32_t from, std::int32_t to) { node(from).eps.push_back(to); }  // epsilon edge

  // Rules: declare first (so recursive references can call it), then define its body.
  std::int32_t declare_rule();
  void define_rule(std::int32_t rule, Frag body);
  std::int32_t rule(Frag body);
  // Copies a finished grammar's nodes in; returns its start rule.
  std::int32_t import(const Grammar& g);

  // Removes epsilon edges, prunes dead edges, renumbers. If `start` derives no string,
  // on_unsatisfiable(productive) is called (it should throw; productive[n]: n can reach a return)
  // and a GrammarError is thrown if it returns.
  using UnsatHandler = std::function<void(const std::vector<char>& productive)>;
  GrammarPtr finish(std::int32_t start, const UnsatHandler& on_unsatisfiable = {});

  Node& node(std::int32_t id) { return nodes_[static_cast<std::size_t>(id)]; }
  std::size_t size() const { return nodes_.size(); }

 private:
  void eps(std::int32_t from, std::int32_t to) { link(from, to); }
  std::vector<Node> nodes_;
};

}  // namespace odma::grammar
