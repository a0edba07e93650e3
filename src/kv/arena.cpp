#include "kv/arena.h"

#include <iterator>
#include <sstream>

#include "base/debug.h"

namespace odma::kv {

Arena::Arena(std::int64_t capacity, std::int64_t granule) : capacity_(capacity), granule_(granule) {
  ODMA_ASSERT(capacity > 0 && granule > 0 && capacity % granule == 0);
  ranges_.emplace(0, Range{capacity, 0, true});
  index_free(0, capacity);
  free_slots_ = capacity;
}

std::int64_t Arena::largest_free() const {
  return free_by_size_.empty() ? 0 : free_by_size_.rbegin()->first;
}

// Node handles are recycled: steady state allocates no memory. (The handles are never empty
// here; the checks tell GCC's -Wnull-dereference so.)
Arena::Ranges::iterator Arena::insert_range(Ranges::iterator hint, std::int64_t offset,
                                            Range range) {
  if (spare_ranges_.empty()) return ranges_.emplace_hint(hint, offset, range);
  Ranges::node_type node = std::move(spare_ranges_.back());
  spare_ranges_.pop_back();
  if (node.empty()) __builtin_unreachable();
  node.key() = offset;
  node.mapped() = range;
  return ranges_.insert(hint, std::move(node));
}

void Arena::erase_range(Ranges::iterator it) {
  spare_ranges_.push_back(ranges_.extract(it));
}

void Arena::index_free(std::int64_t offset, std::int64_t length) {
  if (spare_sizes_.empty()) {
    free_by_size_.emplace(length, offset);
    return;
  }
  BySize::node_type node = std::move(spare_sizes_.back());
  spare_sizes_.pop_back();
  if (node.empty()) __builtin_unreachable();
  node.value() = {length, offset};
  free_by_size_.insert(std::move(node));
}

void Arena::unindex_free(std::int64_t offset, std::int64_t length) {
  spare_sizes_.push_back(free_by_size_.extract({length, offset}));
}

void Arena::carve(Ranges::iterator it, std::int64_t offset, std::int64_t length, RequestId owner) {
  const std::int64_t range_offset = it->first;
  const std::int64_t range_length = it->second.length;
  ODMA_ASSERT(it->second.free && range_offset <= offset &&
              offset + length <= range_offset + range_length);
  const std::int64_t before = offset - range_offset;
  const std::int64_t after = range_offset + range_length - (offset + length);
  unindex_free(range_offset, range_length);
  auto hint = std::next(it);
  if (before == 0) {
    it->second = Range{length, owner, false};
  } else {
    it->second.length = before;
    index_free(range_offset, before);
    insert_range(hint, offset, Range{length, owner, false});
  }
  if (after > 0) {
    insert_range(hint, offset + length, Range{after, 0, true});
    index_free(offset + length, after);
  }
  free_slots_ -= length;
}

std::optional<std::int64_t> Arena::allocate(std::int64_t length, RequestId owner, Handle* handle) {
  ODMA_ASSERT(length > 0 && length % granule_ == 0);
  auto best = free_by_size_.lower_bound({length, -1});
  if (best == free_by_size_.end()) return std::nullopt;
  const std::int64_t offset = best->second;
  auto it = ranges_.find(offset);
  carve(it, offset, length, owner);  // the range `it` becomes the extent (placed at its start)
  if (handle != nullptr) *handle = it;
  return offset;
}

bool Arena::allocate_at(std::int64_t offset, std::int64_t length, RequestId owner) {
  auto it = ranges_.upper_bound(offset);
  if (it == ranges_.begin()) return false;
  --it;
  if (!it->second.free || offset + length > it->first + it->second.length) return false;
  carve(it, offset, length, owner);
  return true;
}

std::int64_t Arena::free_after(std::int64_t end) const {
  auto it = ranges_.find(end);
  return it == ranges_.end() || !it->second.free ? 0 : it->second.length;
}

std::int64_t Arena::free_after(Handle h) const {
  auto next = std::next(h);
  return next == ranges_.end() || !next->second.free ? 0 : next->second.length;
}

bool Arena::grow_in_place(std::int64_t offset, std::int64_t length, std::int64_t extra) {
  auto it = ranges_.find(offset);
  ODMA_ASSERT(it != ranges_.end() && !it->second.free && it->second.length == length);
  (void)length;
  return grow_in_place(it, extra);
}

bool Arena::grow_in_place(Handle it, std::int64_t extra) {
  const std::int64_t offset = it->first;
  const std::int64_t length = it->second.length;
  auto next = std::next(it);
  if (next == ranges_.end() || !next->second.free || next->second.length < extra) return false;
  carve(next, offset + length, extra, it->second.owner);
  // carve made [end, end + extra) a separate owned range: fold it into this extent.
  erase_range(std::next(it));
  it->second.length += extra;
  return true;
}

void Arena::shrink(std::int64_t offset, std::int64_t length, std::int64_t keep) {
  ODMA_ASSERT(keep > 0 && keep < length && keep % granule_ == 0);
  const RequestId owner = ranges_.find(offset)->second.owner;
  release(offset, length);
  [[maybe_unused]] const bool placed = allocate_at(offset, keep, owner);
  ODMA_ASSERT(placed);  // freed just above
}

void Arena::release(std::int64_t offset, std::int64_t length) {
  auto it = ranges_.find(offset);
  ODMA_ASSERT(it != ranges_.end() && !it->second.free && it->second.length == length);
  (void)length;
  release(it);
}

void Arena::release(Handle it) {
  const std::int64_t offset = it->first;
  const std::int64_t length = it->second.length;
  free_slots_ += length;
  auto next = std::next(it);
  const bool merge_next = next != ranges_.end() && next->second.free;
  const bool merge_prev = it != ranges_.begin() && std::prev(it)->second.free;
  std::int64_t start = offset;
  std::int64_t merged = length;
  if (merge_next) {
    unindex_free(next->first, next->second.length);
    merged += next->second.length;
    erase_range(next);
  }
  if (merge_prev) {
    auto prev = std::prev(it);
    unindex_free(prev->first, prev->second.length);
    start = prev->first;
    merged += prev->second.length;
    erase_range(it);
    prev->second.length = merged;
  } else {
    it->second = Range{merged, 0, true};
  }
  index_free(start, merged);
  if (start < low_free_) low_free_ = start;
}

std::optional<std::vector<SlideMove>> Arena::plan_slide(std::int64_t max_moves,
                                                        const SlideGoal& done) const {
  if (free_by_size_.empty() || max_moves <= 0) return std::nullopt;
  // The lowest free range: at or after the cursor (every slot below it is owned).
  auto it = ranges_.lower_bound(low_free_);
  while (!it->second.free) ++it;
  low_free_ = it->first;
  Extent hole{it->first, it->second.length};
  ++it;
  std::vector<SlideMove> moves;
  while (static_cast<std::int64_t>(moves.size()) < max_moves && it != ranges_.end()) {
    ODMA_ASSERT(!it->second.free && it->first == hole.end());
    const SlideMove move{it->second.owner, it->first, hole.offset, it->second.length};
    ++it;
    hole.offset += move.length;
    if (it != ranges_.end() && it->second.free) {
      hole.length += it->second.length;
      ++it;
    }
    moves.push_back(move);
    if (done(move, hole)) return moves;
  }
  return std::nullopt;
}

Arena::Handle Arena::apply(const SlideMove& move) {
  release(move.from, move.length);
  [[maybe_unused]] const bool placed = allocate_at(move.to, move.length, move.owner);
  ODMA_ASSERT(placed);
  return ranges_.find(move.to);
}

std::map<std::int64_t, std::int64_t> Arena::free_ranges() const {
  std::map<std::int64_t, std::int64_t> out;
  for (const auto& [offset, r] : ranges_) {
    if (r.free) out.emplace(offset, r.length);
  }
  return out;
}

std::map<std::int64_t, Arena::Owned> Arena::owned() const {
  std::map<std::int64_t, Owned> out;
  for (const auto& [offset, r] : ranges_) {
    if (!r.free) out.emplace(offset, Owned{r.length, r.owner});
  }
  return out;
}

std::string Arena::validate() const {
  std::ostringstream err;
  std::int64_t at = 0;
  std::int64_t free_sum = 0;
  std::size_t free_count = 0;
  bool previous_free = false;
  for (const auto& [offset, r] : ranges_) {
    if (offset != at) {
      err << "arena: range at " << offset << " but the previous one ends at " << at;
      return err.str();
    }
    if (r.length <= 0 || offset % granule_ != 0 || r.length % granule_ != 0) {
      err << "arena: bad range [" << offset << ", " << offset + r.length << ")";
      return err.str();
    }
    if (r.free) {
      if (previous_free) {
        err << "arena: free range at " << offset << " not coalesced with the one before";
        return err.str();
      }
      if (free_by_size_.count({r.length, offset}) == 0) {
        err << "arena: free range [" << offset << ", " << offset + r.length
            << ") missing from size index";
        return err.str();
      }
      if (offset < low_free_) {
        err << "arena: free range at " << offset << " below the cursor " << low_free_;
        return err.str();
      }
      free_sum += r.length;
      ++free_count;
    }
    previous_free = r.free;
    at = offset + r.length;
  }
  if (at != capacity_) {
    err << "arena: ranges cover " << at << " of " << capacity_ << " slots";
    return err.str();
  }
  if (free_count != free_by_size_.size()) {
    err << "arena: size index has " << free_by_size_.size() << " ranges, the map " << free_count;
    return err.str();
  }
  if (free_sum != free_slots_) {
    err << "arena: free ranges sum to " << free_sum << " but free_slots is " << free_slots_;
    return err.str();
  }
  return "";
}

}  // namespace odma::kv
