#include "kv/arena.h"

#include <cassert>
#include <iterator>
#include <sstream>

namespace odma::kv {

Arena::Arena(std::int64_t capacity, std::int64_t granule, bool track_owners)
    : capacity_(capacity), granule_(granule), track_owners_(track_owners) {
  assert(capacity > 0 && granule > 0 && capacity % granule == 0);
  insert_free(0, capacity);
  free_slots_ = capacity;
}

std::int64_t Arena::largest_free() const {
  return free_by_size_.empty() ? 0 : free_by_size_.rbegin()->first;
}

void Arena::insert_free(std::int64_t offset, std::int64_t length) {
  free_by_offset_.emplace(offset, length);
  free_by_size_.emplace(length, offset);
}

void Arena::erase_free(std::map<std::int64_t, std::int64_t>::iterator it) {
  free_by_size_.erase({it->second, it->first});
  free_by_offset_.erase(it);
}

void Arena::reshape_free(std::map<std::int64_t, std::int64_t>::iterator it, std::int64_t new_offset,
                         std::int64_t new_length) {
  // Node handles are re-keyed in place: steady state allocates no memory. (The handles are never
  // empty here; saying so silences GCC's -Wnull-dereference.)
  auto size_node = free_by_size_.extract({it->second, it->first});
  if (size_node.empty()) __builtin_unreachable();
  size_node.value() = {new_length, new_offset};
  free_by_size_.insert(std::move(size_node));
  if (it->first == new_offset) {
    it->second = new_length;
    return;
  }
  auto hint = std::next(it);
  auto offset_node = free_by_offset_.extract(it);
  if (offset_node.empty()) __builtin_unreachable();
  offset_node.key() = new_offset;
  offset_node.mapped() = new_length;
  free_by_offset_.insert(hint, std::move(offset_node));
}

void Arena::carve(std::map<std::int64_t, std::int64_t>::iterator it, std::int64_t offset,
                  std::int64_t length) {
  const std::int64_t range_offset = it->first;
  const std::int64_t range_end = it->first + it->second;
  assert(range_offset <= offset && offset + length <= range_end);
  const std::int64_t before = offset - range_offset;
  const std::int64_t after = range_end - (offset + length);
  if (before == 0 && after == 0) {
    erase_free(it);
  } else if (before == 0) {
    reshape_free(it, offset + length, after);
  } else {
    reshape_free(it, range_offset, before);
    if (after > 0) insert_free(offset + length, after);
  }
  free_slots_ -= length;
}

std::optional<std::int64_t> Arena::allocate(std::int64_t length, RequestId owner) {
  assert(length > 0 && length % granule_ == 0);
  auto best = free_by_size_.lower_bound({length, -1});
  if (best == free_by_size_.end()) return std::nullopt;
  const std::int64_t offset = best->second;
  carve(free_by_offset_.find(offset), offset, length);
  if (track_owners_) owned_.emplace(offset, Owned{length, owner});
  return offset;
}

bool Arena::allocate_at(std::int64_t offset, std::int64_t length, RequestId owner) {
  auto it = free_by_offset_.upper_bound(offset);
  if (it == free_by_offset_.begin()) return false;
  --it;
  if (offset + length > it->first + it->second) return false;
  carve(it, offset, length);
  if (track_owners_) owned_.emplace(offset, Owned{length, owner});
  return true;
}

std::int64_t Arena::free_after(std::int64_t end) const {
  auto it = free_by_offset_.find(end);
  return it == free_by_offset_.end() ? 0 : it->second;
}

bool Arena::grow_in_place(std::int64_t offset, std::int64_t length, std::int64_t extra) {
  auto it = free_by_offset_.find(offset + length);
  if (it == free_by_offset_.end() || it->second < extra) return false;
  carve(it, offset + length, extra);
  if (track_owners_) owned_.find(offset)->second.length += extra;
  return true;
}

void Arena::release(std::int64_t offset, std::int64_t length) {
  if (track_owners_) owned_.erase(offset);
  free_slots_ += length;
  auto next = free_by_offset_.lower_bound(offset);
  const bool merge_next = next != free_by_offset_.end() && next->first == offset + length;
  auto prev = next == free_by_offset_.begin() ? free_by_offset_.end() : std::prev(next);
  const bool merge_prev = prev != free_by_offset_.end() && prev->first + prev->second == offset;
  if (merge_prev && merge_next) {
    const std::int64_t merged = prev->second + length + next->second;
    erase_free(next);
    reshape_free(prev, prev->first, merged);
  } else if (merge_prev) {
    reshape_free(prev, prev->first, prev->second + length);
  } else if (merge_next) {
    reshape_free(next, offset, length + next->second);
  } else {
    insert_free(offset, length);
  }
}

std::optional<std::vector<SlideMove>> Arena::plan_slide(std::int64_t max_moves,
                                                        const SlideGoal& done) const {
  assert(track_owners_);
  if (free_by_offset_.empty() || max_moves <= 0) return std::nullopt;
  auto next_free = free_by_offset_.begin();
  Extent hole{next_free->first, next_free->second};
  ++next_free;
  auto next_owned = owned_.lower_bound(hole.end());
  std::vector<SlideMove> moves;
  while (static_cast<std::int64_t>(moves.size()) < max_moves && next_owned != owned_.end()) {
    assert(next_owned->first == hole.end());
    const SlideMove move{next_owned->second.owner, next_owned->first, hole.offset,
                         next_owned->second.length};
    ++next_owned;
    hole.offset += move.length;
    if (next_free != free_by_offset_.end() && next_free->first == hole.end()) {
      hole.length += next_free->second;
      ++next_free;
    }
    moves.push_back(move);
    if (done(move, hole)) return moves;
  }
  return std::nullopt;
}

void Arena::apply(const SlideMove& move) {
  release(move.from, move.length);
  [[maybe_unused]] const bool placed = allocate_at(move.to, move.length, move.owner);
  assert(placed);
}

std::string Arena::validate() const {
  std::ostringstream err;
  if (free_by_size_.size() != free_by_offset_.size()) {
    err << "arena: size index has " << free_by_size_.size() << " ranges, offset index "
        << free_by_offset_.size();
    return err.str();
  }
  std::int64_t sum = 0;
  std::int64_t prev_end = -1;
  for (const auto& [offset, length] : free_by_offset_) {
    if (length <= 0 || offset < 0 || offset + length > capacity_ || offset % granule_ != 0 ||
        length % granule_ != 0) {
      err << "arena: bad free range [" << offset << ", " << offset + length << ")";
      return err.str();
    }
    if (offset <= prev_end) {
      err << "arena: free range at " << offset
          << (offset == prev_end ? " not coalesced" : " overlaps") << " with the one ending at "
          << prev_end;
      return err.str();
    }
    if (free_by_size_.count({length, offset}) == 0) {
      err << "arena: free range [" << offset << ", " << offset + length
          << ") missing from size index";
      return err.str();
    }
    prev_end = offset + length;
    sum += length;
  }
  if (sum != free_slots_) {
    err << "arena: free ranges sum to " << sum << " but free_slots is " << free_slots_;
    return err.str();
  }
  if (!track_owners_) return "";
  // Owned and free ranges must tile [0, capacity) exactly.
  auto f = free_by_offset_.begin();
  auto o = owned_.begin();
  std::int64_t at = 0;
  while (f != free_by_offset_.end() || o != owned_.end()) {
    if (f != free_by_offset_.end() && f->first == at) {
      at += f->second;
      ++f;
    } else if (o != owned_.end() && o->first == at && o->second.length > 0) {
      at += o->second.length;
      ++o;
    } else {
      err << "arena: slot " << at << " is neither the start of a free range nor of an owned extent";
      return err.str();
    }
  }
  if (at != capacity_) {
    err << "arena: free and owned ranges cover " << at << " of " << capacity_ << " slots";
    return err.str();
  }
  return "";
}

}  // namespace odma::kv
