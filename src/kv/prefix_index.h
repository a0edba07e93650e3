// PrefixIndex: which token prefixes already have K/V in the arena, and where (DESIGN.md, "Prefix
// sharing"). A pure data structure: it owns no arena slots, runs no threads and knows no time but
// its own operation counter.
//
// Vocabulary:
//   node       An edge of a radix tree over token ids. Its label (≥ 1 token) lives at the slots
//              [offset, offset + length): one token per slot, so any prefix of a cached sequence
//              is a chain of contiguous runs, and a split divides a slot range while nothing moves.
//   backing    The granule-aligned arena extent a finished request handed over at insert. Nodes
//              point into it; it returns to the caller (from evict/reset) once none does. The nodes
//              of one backing always form one vertical chain (a node and the lower halves split
//              off it), whose lowest node is the backing's `bottom`.
//   lease      A pin on a cached prefix [0, length) held by a running request that reads it. No
//              node on a leased path is evicted; a lease ending mid-edge pins that whole node.
//   pinned     A node with a lease in its subtree; a backing with a pinned node.
//
// API (each call documented at its declaration):
//   match(tokens, max_tokens) const     longest cached prefix of tokens[0, max_tokens) as slot
//                                       runs. Const: a what-if probe does not refresh LRU order.
//   acquire(tokens, length) / release   a lease on the cached prefix tokens[0, length); acquire
//                                       refreshes the path's LRU time (the prefix is about to be
//                                       read), release does not.
//   insert(tokens, backing, first_pos)  caches tokens; tokens[first_pos..] sit at backing.offset +
//                                       (i − first_pos). Refreshes the path's LRU time.
//   evict(need_slots) / reset()         frees unpinned backings, leaves first, least recent first.
//   reclaimable_slots()                 what evict(∞) would free now, O(1).
//
// Eviction: a node is evictable iff it is a leaf, has no lease in its subtree and its backing is
// not pinned. (A leaf whose backing is pinned higher up its chain would free nothing, so it stays
// cached: evict(∞) and reset() free exactly the unpinned backings and keep every node of the pinned
// ones.) Victims go in (last_access, id) order; a node's last_access is that of the latest insert
// or acquire whose path crossed it, so a parent is never older than its children.
//
// Invariants (checked by validate()):
//   * children are keyed by their label's first token; depth(child) = depth(parent) + |parent|
//   * subtree_leases(n) = |leases ending in n| + Σ subtree_leases(children);  a lease of length L
//     ends in the node n with depth(n) < L ≤ depth(n) + |n| (L = 0: the root)
//   * node slots ⊆ its backing's extent; no two nodes share a slot; no two backings overlap
//   * backing.nodes = |its nodes|, backing.pinned_nodes = |its nodes with subtree_leases > 0|;
//     its nodes form one chain (one has its parent elsewhere, each has ≤ 1 child in it), and
//     backing.bottom is the chain's lowest
//   * reclaimable_slots = Σ length of backings with pinned_nodes = 0
//   * evictable set = { evictable nodes }, keyed by their current (last_access, id)
//   * last_access(parent) ≥ last_access(child)
//
// Cost: match/acquire/insert O(tokens walked + nodes on the path); release O(nodes on the path +
// leases ending in its node); evict O(log n) per victim; validate O(n log n), tests only.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "kv/types.h"

namespace odma::kv {

using TokenId = std::int32_t;
using LeaseId = std::uint64_t;

// Tokens [p, p + length) of a matched prefix live at slots [offset, offset + length).
struct SlotRun {
  std::int64_t offset = 0;
  std::int64_t length = 0;
  friend bool operator==(const SlotRun&, const SlotRun&) = default;
};

struct PrefixMatch {
  std::int64_t length = 0;    // matched tokens = Σ runs' lengths
  std::vector<SlotRun> runs;  // in logical order; runs adjacent in the arena are merged
};

struct PrefixInsert {
  Status status = Status::kOk;  // kOk, or kInvalidArgument (state unchanged)
  std::int64_t new_tokens = 0;  // tokens cached by this call (0 when all were cached)
  bool backing_kept = false;    // false: no node points into the backing; the caller frees it
};

// Point-in-time counts; each formula next to the field.
struct PrefixStats {
  std::int64_t nodes = 0;              // tree nodes, the root excluded
  std::int64_t cached_tokens = 0;      // Σ node label lengths
  std::int64_t backings = 0;           // extents held
  std::int64_t backing_slots = 0;      // Σ their lengths (≥ cached_tokens)
  std::int64_t reclaimable_slots = 0;  // Σ lengths of unpinned backings = what evict(∞) frees
  std::int64_t leases = 0;             // live leases
};

class PrefixIndex {
 public:
  // `trim_unit` > 0: evicting the bottom node of a backing that keeps other nodes also gives back
  // the backing's tail past them, rounded up to a multiple of trim_unit (take_trimmed()); 0: a
  // backing returns only whole, when its last node goes.
  explicit PrefixIndex(std::int64_t trim_unit = 0);
  ~PrefixIndex();
  PrefixIndex(const PrefixIndex&) = delete;
  PrefixIndex& operator=(const PrefixIndex&) = delete;

  // Longest cached prefix of tokens[0, min(max_tokens, |tokens|)). Callers pass prompt_len − 1 so
  // the last prompt token is always computed. May end mid-edge.
  [[nodiscard]] PrefixMatch match(std::span<const TokenId> tokens, std::int64_t max_tokens) const;

  // Pins tokens[0, length), which must be cached (length ≤ match(tokens, length).length);
  // nullopt otherwise (state unchanged). length = 0 gives a lease that pins nothing.
  [[nodiscard]] std::optional<LeaseId> acquire(std::span<const TokenId> tokens,
                                               std::int64_t length);
  // kOk, or kInvalidArgument for a lease that is not live.
  [[nodiscard]] Status release(LeaseId lease);

  // Caches tokens. tokens[0, first_pos) must be cached already (the request's leased prefix);
  // tokens[first_pos, |tokens|) live at backing.offset + (i − first_pos). Only the part beyond the
  // longest cached prefix becomes a node, pointing into the backing. kInvalidArgument (state
  // unchanged) when first_pos ∉ [0, |tokens|], backing.length < |tokens| − first_pos, the backing
  // overlaps one already held, or tokens[0, first_pos) is not cached.
  [[nodiscard]] PrefixInsert insert(std::span<const TokenId> tokens, Extent backing,
                                    std::int64_t first_pos);

  // Evicts evictable nodes, least recent first, until the backings freed total ≥ need_slots or
  // none is left. Returns the freed backings, in the order they were freed.
  [[nodiscard]] std::vector<Extent> evict(std::int64_t need_slots);
  // evict(∞): frees every unpinned backing.
  [[nodiscard]] std::vector<Extent> reset();
  // When evicting the backing at `offset` wholesale frees it and touches no other backing (it is
  // unpinned, and no node of it has a child in another backing): how recently it was used (its
  // top node's last access). nullopt otherwise. O(nodes in it).
  [[nodiscard]] std::optional<std::uint64_t> loose_backing_age(std::int64_t offset) const;
  // Evicts that backing (precondition: loose_backing_age(offset) has a value), its nodes leaves
  // first; returns its extent (any trims on the way go to take_trimmed(), freed before it).
  [[nodiscard]] Extent evict_backing(std::int64_t offset);

  // The backing at `from` now lives at `to` (compaction slid it; its K/V was copied): every node
  // in it follows. kInvalidArgument (nothing changed) if no backing starts at `from`. The caller
  // keeps backings from overlapping.
  [[nodiscard]] Status move_backing(std::int64_t from, std::int64_t to);
  // Tails cut off backings still held (trim_unit > 0) since the last call: {backing offset, the
  // freed tail [offset, end)}. The backing now ends where its tail began.
  struct Trim {
    std::int64_t backing_offset = 0;
    Extent tail;
  };
  [[nodiscard]] std::vector<Trim> take_trimmed() { return std::exchange(trimmed_, {}); }

  std::int64_t reclaimable_slots() const { return reclaimable_slots_; }
  PrefixStats stats() const;
  std::vector<Extent> backings() const;  // the extents held, by offset (O(n): validation)

  // "" when every invariant in the header comment holds, else the first violation.
  std::string validate() const;

 private:
  struct Backing;
  struct Node {
    std::uint64_t id = 0;
    Node* parent = nullptr;
    std::vector<TokenId> label;  // empty only at the root
    std::int64_t offset = 0;     // slot of label[0]
    std::int64_t depth = 0;      // tokens on the path above this node
    Backing* backing = nullptr;  // null only at the root
    std::unordered_map<TokenId, std::unique_ptr<Node>> children;  // by first label token
    std::vector<LeaseId> leases_here;                             // leases that end in this node
    std::int64_t subtree_leases = 0;  // leases ending in this node or below
    std::uint64_t last_access = 0;
    bool in_evictable = false;
    std::int64_t length() const { return static_cast<std::int64_t>(label.size()); }
  };
  struct Backing {
    Extent extent;
    std::int64_t nodes = 0;         // nodes pointing into it
    std::int64_t pinned_nodes = 0;  // of those, the ones with subtree_leases > 0
    Node* bottom = nullptr;         // lowest node of its chain: the only one that can be a leaf
  };
  struct Lease {
    Node* end = nullptr;
    std::int64_t length = 0;
  };
  // Where a walk along tokens stopped: `matched` tokens in total, `in_node` of them inside `node`
  // (in_node = node->length() when it stopped at the node's end; the root has 0).
  struct Walk {
    Node* node = nullptr;
    std::int64_t in_node = 0;
    std::int64_t matched = 0;
  };
  using EvictKey = std::pair<std::uint64_t, std::uint64_t>;  // {last_access, id}

  Walk walk(std::span<const TokenId> tokens) const;
  // Splits `node` after its first `k` tokens (0 < k < length); returns the new upper half. The
  // node object stays the lower half, so its children, leases beyond k and LRU entry stay valid.
  Node* split(Node* node, std::int64_t k);
  void touch(Node* node);  // refreshes last_access from `node` up to the root
  bool evictable(const Node* node) const;
  void refresh_evictable(Node* node);  // puts `node` in or out of evictable_ per evictable()
  void add_lease_count(Node* node, std::int64_t delta);  // on node and every ancestor
  void set_pinned(Node* node, bool pinned);              // node's subtree_leases crossed 0
  void remove_leaf(Node* node, std::vector<Extent>* freed, std::int64_t* freed_slots);

  std::unique_ptr<Node> root_;
  std::map<std::int64_t, Backing> backings_;  // by extent offset
  std::unordered_map<LeaseId, Lease> leases_;
  std::map<EvictKey, Node*> evictable_;  // the eviction order
  std::uint64_t clock_ = 0;
  std::uint64_t next_node_id_ = 1;
  LeaseId next_lease_ = 1;
  std::int64_t nodes_ = 0;
  std::int64_t cached_tokens_ = 0;
  std::int64_t backing_slots_ = 0;
  std::int64_t reclaimable_slots_ = 0;
  std::int64_t trim_unit_ = 0;
  std::vector<Trim> trimmed_;
};

}  // namespace odma::kv
