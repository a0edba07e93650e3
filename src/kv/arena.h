// Arena: the free-space manager of the KV cache (token slots, no tensors).
//
// One ordered map tiles the arena: offset → {length, owner, free}. Owned extents and maximal free
// ranges alternate in it, so a release finds both neighbours by stepping the iterator and a
// grow-in-place looks at the next node. Free ranges are indexed a second time by {length, offset}
// for best fit. Every operation is O(log n) (n = map nodes); removed nodes are kept for reuse, so
// the steady state allocates no memory. Sliding compaction walks the map from the lowest free
// range, found from a cursor below which every slot is owned.
//
// Invariants (checked by validate()):
//   * the ranges tile [0, capacity): each starts where the previous ends; each is non-empty and
//     granule-aligned
//   * free ranges are coalesced: no two adjacent ranges are both free
//   * free_by_size_ == { {len, off} : (off, len) a free range };  free_slots() == Σ free lengths
//   * no free range starts below low_free_ (the compaction cursor)
//
// Placement: best fit, lowest offset among equal sizes, extent at the start of the range — the
// rest of the range stays right after the new extent, where it can later grow in place.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "kv/types.h"

namespace odma::kv {

// One step of a compaction plan: the extent at `from` slides down to `to` (to < from).
struct SlideMove {
  RequestId owner = 0;
  std::int64_t from = 0;
  std::int64_t to = 0;
  std::int64_t length = 0;
};

class Arena {
 public:
  struct Range {
    std::int64_t length = 0;
    RequestId owner = 0;
    bool free = true;
  };
  using Ranges = std::map<std::int64_t, Range>;
  // A handle to an allocated extent: valid until that extent is released or moved. Passing it
  // back skips the O(log n) lookup by offset (the hot path of release and grow).
  using Handle = Ranges::iterator;
  // Precondition: capacity > 0 and a multiple of granule; granule > 0.
  Arena(std::int64_t capacity, std::int64_t granule);

  std::int64_t capacity() const { return capacity_; }
  std::int64_t granule() const { return granule_; }
  std::int64_t free_slots() const { return free_slots_; }
  std::int64_t largest_free() const;
  std::int64_t free_range_count() const { return static_cast<std::int64_t>(free_by_size_.size()); }
  // `slots` rounded up to a multiple of the granule.
  std::int64_t round_up(std::int64_t slots) const {
    return (slots + granule_ - 1) / granule_ * granule_;
  }

  // Best fit. Precondition: length > 0, a multiple of the granule. Returns the offset, or nullopt
  // (state unchanged) when no free range holds `length`.
  std::optional<std::int64_t> allocate(std::int64_t length, RequestId owner,
                                       Handle* handle = nullptr);

  // Takes [offset, offset + length), which must lie inside one free range. Returns false otherwise.
  bool allocate_at(std::int64_t offset, std::int64_t length, RequestId owner);

  // Length of the free range that starts exactly at `end` (0 if the slot at `end` is owned).
  std::int64_t free_after(std::int64_t end) const;
  // Length of the free range right after the extent `h` (0 if none).
  std::int64_t free_after(Handle h) const;
  // The allocated extent starting at `offset`. Precondition: there is one.
  Handle find(std::int64_t offset) { return ranges_.find(offset); }

  // Extends the extent [offset, offset + length) by `extra` slots over the free range after it.
  // Returns false (state unchanged) if that range is shorter than `extra`.
  bool grow_in_place(std::int64_t offset, std::int64_t length, std::int64_t extra);
  bool grow_in_place(Handle h, std::int64_t extra);

  // Frees the tail [offset + keep, offset + length) of the allocated extent [offset, offset +
  // length); precondition: 0 < keep < length, keep a multiple of the granule.
  void shrink(std::int64_t offset, std::int64_t length, std::int64_t keep);

  // Returns the extent [offset, offset + length) to free space, coalescing with its neighbours.
  // Precondition: it is an allocated extent (as allocated or grown).
  void release(std::int64_t offset, std::int64_t length);
  void release(Handle h);

  // Lowest-address-first sliding compaction, planned without changing anything: the lowest free
  // range ("the hole") swallows the extents after it one by one, each sliding down to the hole's
  // start, and merges with every free range it reaches. After each planned move `done(move, hole)`
  // is asked whether the goal is reached. Returns the moves up to and including that one, or
  // nullopt when the goal is not reached within `max_moves` moves.
  using SlideGoal = std::function<bool(const SlideMove& last, const Extent& hole)>;
  std::optional<std::vector<SlideMove>> plan_slide(std::int64_t max_moves,
                                                   const SlideGoal& done) const;
  // Executes one planned move (release + allocate_at; the ranges may overlap: memmove semantics).
  // Returns the moved extent's new handle.
  Handle apply(const SlideMove& move);

  // Snapshots for validation and tests (O(n)).
  std::map<std::int64_t, std::int64_t> free_ranges() const;  // offset → length
  struct Owned {
    std::int64_t length = 0;
    RequestId owner = 0;
  };
  std::map<std::int64_t, Owned> owned() const;  // allocated extents by offset

  // "" when every invariant above holds, else the first violation.
  std::string validate() const;

 private:
  using BySize = std::set<std::pair<std::int64_t, std::int64_t>>;  // {length, offset}

  Ranges::iterator insert_range(Ranges::iterator hint, std::int64_t offset, Range range);
  void erase_range(Ranges::iterator it);
  void index_free(std::int64_t offset, std::int64_t length);
  void unindex_free(std::int64_t offset, std::int64_t length);
  // Takes [offset, offset + length) out of the free range `it` that contains it, for `owner`.
  void carve(Ranges::iterator it, std::int64_t offset, std::int64_t length, RequestId owner);

  std::int64_t capacity_;
  std::int64_t granule_;
  std::int64_t free_slots_ = 0;
  Ranges ranges_;
  BySize free_by_size_;
  std::vector<Ranges::node_type> spare_ranges_;  // removed nodes, reused by insert_range
  std::vector<BySize::node_type> spare_sizes_;
  mutable std::int64_t low_free_ = 0;  // every slot below it is owned (a compaction cursor)
};

}  // namespace odma::kv
