// Arena: the free-space manager of the KV cache (token slots, no tensors).
//
// Free space is a set of maximal free ranges, indexed twice:
//   free_by_offset_  offset → length      (neighbour lookup for coalescing and grow-in-place)
//   free_by_size_    {length, offset}     (best fit: smallest range that holds the request)
// Every operation is O(log r), r = number of free ranges; node handles are reused so that steady
// state allocates no memory. Optionally (`track_owners`) the arena also keeps the allocated extents
// by offset with their owner, which compaction needs to know what to slide.
//
// Invariants (checked by validate()):
//   * every range is granule-aligned, non-empty and inside [0, capacity)
//   * free ranges are coalesced: no two free ranges are adjacent or overlap
//   * free_by_size_ == { {len, off} : (off, len) ∈ free_by_offset_ }
//   * free_slots() == Σ free lengths;  with track_owners: owned ∪ free tile [0, capacity) exactly
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
  // Precondition: capacity > 0 and a multiple of granule; granule > 0.
  Arena(std::int64_t capacity, std::int64_t granule, bool track_owners);

  std::int64_t capacity() const { return capacity_; }
  std::int64_t granule() const { return granule_; }
  std::int64_t free_slots() const { return free_slots_; }
  std::int64_t largest_free() const;
  std::int64_t free_range_count() const {
    return static_cast<std::int64_t>(free_by_offset_.size());
  }
  bool tracks_owners() const { return track_owners_; }
  // `slots` rounded up to a multiple of the granule.
  std::int64_t round_up(std::int64_t slots) const {
    return (slots + granule_ - 1) / granule_ * granule_;
  }

  // Best fit. Precondition: length > 0, a multiple of the granule. Returns the offset, or nullopt
  // (state unchanged) when no free range holds `length`.
  std::optional<std::int64_t> allocate(std::int64_t length, RequestId owner);

  // Takes [offset, offset + length), which must lie inside one free range. Returns false otherwise.
  bool allocate_at(std::int64_t offset, std::int64_t length, RequestId owner);

  // Length of the free range that starts exactly at `end` (0 if the slot at `end` is owned).
  std::int64_t free_after(std::int64_t end) const;

  // Extends the extent [offset, offset + length) by `extra` slots over the free range after it.
  // Returns false (state unchanged) if that range is shorter than `extra`.
  bool grow_in_place(std::int64_t offset, std::int64_t length, std::int64_t extra);

  // Returns [offset, offset + length) to free space, coalescing with its neighbours.
  // Precondition: the range is allocated (owned).
  void release(std::int64_t offset, std::int64_t length);

  // Lowest-address-first sliding compaction, planned without changing anything: the lowest free
  // range ("the hole") swallows the extents after it one by one, each sliding down to the hole's
  // start, and merges with every free range it reaches. After each planned move `done(move, hole)`
  // is asked whether the goal is reached. Returns the moves up to and including that one, or
  // nullopt when the goal is not reached within `max_moves` moves. Requires track_owners.
  using SlideGoal = std::function<bool(const SlideMove& last, const Extent& hole)>;
  std::optional<std::vector<SlideMove>> plan_slide(std::int64_t max_moves,
                                                   const SlideGoal& done) const;
  // Executes one planned move (release + allocate_at; the ranges may overlap: memmove semantics).
  void apply(const SlideMove& move);

  const std::map<std::int64_t, std::int64_t>& free_ranges() const { return free_by_offset_; }
  struct Owned {
    std::int64_t length = 0;
    RequestId owner = 0;
  };
  // Allocated extents by offset (empty unless track_owners).
  const std::map<std::int64_t, Owned>& owned() const { return owned_; }

  // "" when every invariant above holds, else the first violation.
  std::string validate() const;

 private:
  void insert_free(std::int64_t offset, std::int64_t length);
  void erase_free(std::map<std::int64_t, std::int64_t>::iterator it);
  // Shrinks the free range `it` to [new_offset, new_offset + new_length), reusing its nodes.
  void reshape_free(std::map<std::int64_t, std::int64_t>::iterator it, std::int64_t new_offset,
                    std::int64_t new_length);
  // Takes [offset, offset + length) out of the free range `it` that contains it.
  void carve(std::map<std::int64_t, std::int64_t>::iterator it, std::int64_t offset,
             std::int64_t length);

  std::int64_t capacity_;
  std::int64_t granule_;
  bool track_owners_;
  std::int64_t free_slots_ = 0;
  std::map<std::int64_t, std::int64_t> free_by_offset_;
  std::set<std::pair<std::int64_t, std::int64_t>> free_by_size_;
  std::map<std::int64_t, Owned> owned_;
};

}  // namespace odma::kv
