#include "kv/validator.h"

#include <algorithm>
#include <iterator>
#include <sstream>
#include <tuple>

namespace odma::kv {

std::string validate_layout(const Arena& arena, const LiveView& live,
                            const std::vector<Extent>& cached, RequestId cache_owner) {
  std::ostringstream err;
  if (std::string arena_error = arena.validate(); !arena_error.empty()) return arena_error;
  struct Piece {
    std::int64_t offset;
    std::int64_t length;
    RequestId owner;
    bool is_free;
  };
  std::vector<Piece> pieces;
  for (const auto& [id, alloc] : live) {
    for (const Extent& e : alloc->extents) {
      if (e.length <= 0 || e.offset < 0 || e.end() > arena.capacity() ||
          e.offset % arena.granule() != 0 || e.length % arena.granule() != 0) {
        err << "request " << id << ": bad extent [" << e.offset << ", " << e.end() << ")";
        return err.str();
      }
      pieces.push_back({e.offset, e.length, id, false});
    }
  }
  for (const Extent& e : cached) {
    if (e.length <= 0 || e.offset < 0 || e.end() > arena.capacity() ||
        e.offset % arena.granule() != 0 || e.length % arena.granule() != 0) {
      err << "prefix cache: bad extent [" << e.offset << ", " << e.end() << ")";
      return err.str();
    }
    pieces.push_back({e.offset, e.length, cache_owner, false});
  }
  const auto owned_count = pieces.size();
  for (const auto& [offset, length] : arena.free_ranges())
    pieces.push_back({offset, length, 0, true});
  std::sort(pieces.begin(), pieces.end(),
            [](const Piece& a, const Piece& b) { return a.offset < b.offset; });
  std::int64_t at = 0;
  for (const Piece& p : pieces) {
    if (p.offset != at) {
      if (p.offset < at) {
        err << (p.is_free ? "free range" : "extent of request " + std::to_string(p.owner)) << " at "
            << p.offset << " overlaps slots before " << at;
      } else {
        err << "slots [" << at << ", " << p.offset << ") are neither free nor owned (leak)";
      }
      return err.str();
    }
    at += p.length;
  }
  if (at != arena.capacity()) {
    err << "slots [" << at << ", " << arena.capacity() << ") are neither free nor owned (leak)";
    return err.str();
  }
  const auto owned = arena.owned();
  if (owned.size() != owned_count) {
    err << "arena owns " << owned.size() << " extents, live requests hold " << owned_count;
    return err.str();
  }
  for (const Piece& p : pieces) {
    if (p.is_free) continue;
    auto it = owned.find(p.offset);
    if (it == owned.end() || it->second.length != p.length || it->second.owner != p.owner) {
      err << "arena owner index disagrees with request " << p.owner << " at " << p.offset;
      return err.str();
    }
  }
  return "";
}

std::string validate_shared(const LiveView& live, const std::vector<Extent>& cached) {
  std::ostringstream err;
  for (const auto& [id, alloc] : live) {
    std::int64_t sum = 0;
    for (const Extent& r : alloc->shared) {
      sum += r.length;
      // Cached extents (sorted by offset, adjacent ones possibly) must cover the run's slots.
      std::int64_t at = r.offset;
      auto it = std::upper_bound(cached.begin(), cached.end(), at,
                                 [](std::int64_t off, const Extent& e) { return off < e.offset; });
      if (it != cached.begin()) --it;
      while (r.length > 0 && it != cached.end() && it->offset <= at && at < it->end() &&
             at < r.end()) {
        at = std::min(r.end(), it->end());
        ++it;
      }
      if (r.length <= 0 || at != r.end()) {
        err << "request " << id << ": shared run [" << r.offset << ", " << r.end()
            << ") is not inside the prefix cache";
        return err.str();
      }
    }
    if (sum != alloc->shared_tokens) {
      err << "request " << id << ": shared runs sum to " << sum << ", shared_tokens "
          << alloc->shared_tokens;
      return err.str();
    }
  }
  return "";
}

std::string validate_accounting(const LiveView& live, const KvGauges& gauges) {
  std::ostringstream err;
  std::int64_t reserved = 0;
  std::int64_t used = 0;
  for (const auto& [id, alloc] : live) {
    std::int64_t sum = 0;
    for (const Extent& e : alloc->extents) sum += e.length;
    if (sum != alloc->reserved || alloc->extents.empty()) {
      err << "request " << id << ": reserved " << alloc->reserved << " but extents sum to " << sum;
      return err.str();
    }
    if (alloc->used <= 0 || alloc->used > alloc->reserved) {
      err << "request " << id << ": used " << alloc->used << " outside (0, reserved "
          << alloc->reserved << "]";
      return err.str();
    }
    reserved += alloc->reserved;
    used += alloc->used;
  }
  if (reserved != gauges.reserved ||
      gauges.reserved + gauges.cached != gauges.capacity - gauges.free ||
      gauges.cached_reclaimable > gauges.cached) {
    err << "Σ reserved " << reserved << ", gauge reserved " << gauges.reserved << " + cached "
        << gauges.cached << ", capacity − free " << gauges.capacity - gauges.free;
    return err.str();
  }
  if (used != gauges.used) {
    err << "Σ used " << used << " but gauge used " << gauges.used;
    return err.str();
  }
  if (static_cast<std::int64_t>(live.size()) != gauges.live_requests) {
    err << live.size() << " live requests but gauge says " << gauges.live_requests;
    return err.str();
  }
  if (gauges.largest_free > gauges.free || gauges.safety_pool < 0 ||
      gauges.safety_pool > gauges.capacity) {
    err << "gauges out of range: largest_free " << gauges.largest_free << ", free " << gauges.free
        << ", safety_pool " << gauges.safety_pool;
    return err.str();
  }
  return "";
}

std::string validate_counters(const KvCounters& c, const KvGauges& gauges) {
  std::ostringstream err;
  const auto all = {c.admitted,      c.deferrals,      c.overflows,       c.grow_in_place,
                    c.migrations,    c.chains,         c.preemptions,     c.compaction_moves,
                    c.copied_tokens, c.recalibrations, c.failed_requests, c.no_room};
  if (std::any_of(all.begin(), all.end(), [](std::int64_t v) { return v < 0; })) {
    return "a counter is negative";
  }
  // Every overflow was served or released the request itself; the planner's victims are
  // preemptions that were no overflow of theirs.
  const std::int64_t served = c.grow_in_place + c.migrations + c.chains;
  if (c.overflows < served || c.overflows - served > c.preemptions) {
    err << "overflows " << c.overflows << " outside [grow_in_place " << c.grow_in_place
        << " + migrations " << c.migrations << " + chains " << c.chains << ", that + preemptions "
        << c.preemptions << "]";
    return err.str();
  }
  if (c.failed_requests != 0) {
    err << "failed_requests is " << c.failed_requests;
    return err.str();
  }
  if (gauges.live_requests > c.admitted) {
    err << gauges.live_requests << " live requests but only " << c.admitted << " admitted";
    return err.str();
  }
  return "";
}

}  // namespace odma::kv
