#include "kv/policy_base.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <span>

#include "base/debug.h"

#include "kv/validator.h"

namespace odma::kv {

PolicyBase::PolicyBase(const PolicyConfig& config, std::int64_t unit)
    : config_(config),
      arena_(config.capacity_tokens / unit * unit, config.granule),
      cache_(unit),
      caching_(config.prefix_caching) {}

Status PolicyBase::check_admission(const RequestSpec& spec) const {
  const LengthPrediction& p = spec.prediction;
  if (spec.prompt_tokens <= 0 || spec.max_output_tokens <= 0 ||
      spec.generated_before_preemption < 0 ||
      spec.generated_before_preemption >= spec.max_output_tokens || p.output_tokens < 0 ||
      !(p.uncertainty >= 0.0) || p.true_output_tokens < -1) {
    return Status::kInvalidArgument;
  }
  if (live_.count(spec.id) != 0) return Status::kDuplicateRequest;
  if (static_cast<std::int64_t>(spec.prompt_tokens) + spec.max_output_tokens >
      config_.max_model_len) {
    return Status::kExceedsModelLimit;
  }
  if (max_slots(spec) > arena_.capacity()) return Status::kNeverFits;
  return Status::kOk;
}

Status PolicyBase::check_growth(RequestId id, std::int64_t& total_tokens, Live** live) {
  auto it = live_.find(id);
  if (it == live_.end()) return Status::kUnknownRequest;
  total_tokens -= it->second.alloc.shared_tokens;
  if (total_tokens < it->second.alloc.used) return Status::kInvalidArgument;
  if (total_tokens > it->second.spec.total_tokens_cap() || total_tokens > config_.max_model_len) {
    return Status::kExceedsModelLimit;
  }
  *live = &it->second;
  return Status::kOk;
}

std::int64_t PolicyBase::reservation_for(const RequestSpec& spec, std::int64_t output) const {
  const std::int64_t wanted =
      arena_.round_up(spec.prompt_tokens + std::max<std::int64_t>(output, 0));
  return std::min(wanted, arena_.round_up(spec.total_tokens_cap()));
}

std::int64_t PolicyBase::max_slots(const RequestSpec& spec) const {
  return arena_.round_up(spec.total_tokens_cap());
}

PolicyBase::Live& PolicyBase::insert_live(const RequestSpec& spec, Allocation alloc,
                                          Arena::Handle head, PrefixHit hit) {
  const std::int64_t shared = hit.match.length;
  if (caching_ && spec.tokens != nullptr && spec.generated_before_preemption == 0) {
    counters_.prefix_queries += spec.prompt_tokens;
    counters_.prefix_hits += shared;
  }
  alloc.shared.clear();
  for (const SlotRun& r : hit.match.runs) alloc.shared.push_back({r.offset, r.length});
  alloc.shared_tokens = shared;
  reserved_ += alloc.reserved;
  used_ += alloc.used;
  ++counters_.admitted;
  const std::int64_t reserved = alloc.reserved;
  Live& live = live_[spec.id];
  live.spec = own_spec(spec, shared);
  live.alloc = std::move(alloc);
  live.admitted_reserved = reserved;
  live.head = head;
  live.lease = hit.lease;
  return live;
}

RequestSpec PolicyBase::own_spec(const RequestSpec& spec, std::int64_t shared_tokens) {
  RequestSpec own = spec;
  own.prompt_tokens = static_cast<std::int32_t>(spec.prompt_tokens - shared_tokens);
  return own;
}

PolicyBase::PrefixHit PolicyBase::lookup_prefix(const RequestSpec& spec) {
  PrefixHit hit;
  if (!caching_ || spec.tokens == nullptr || spec.prompt_tokens < 2) return hit;
  const std::vector<std::int32_t>& tokens = *spec.tokens;
  const auto prompt = std::min<std::int64_t>(spec.prompt_tokens, tokens.size());
  const std::span<const TokenId> ids(tokens.data(), static_cast<std::size_t>(prompt));
  PrefixMatch m = cache_.match(ids, spec.prompt_tokens - 1);
  if (const std::int64_t b = prefix_block(); b > 0) {
    // Whole blocks from the start, each inside one run at a block-aligned slot.
    std::int64_t valid = 0, pos = 0;
    for (const SlotRun& r : m.runs) {
      while (valid >= pos && valid + b <= pos + r.length && (r.offset + valid - pos) % b == 0)
        valid += b;
      pos += r.length;
      if (valid < pos) break;  // a block straddles runs or sits off alignment: stop there
    }
    PrefixMatch cut;
    cut.length = valid;
    for (std::int64_t left = valid; const SlotRun& r : m.runs) {
      if (left == 0) break;
      cut.runs.push_back({r.offset, std::min(left, r.length)});
      left -= cut.runs.back().length;
    }
    m = std::move(cut);
  }
  if (m.length > 0) {
    hit.lease = cache_.acquire(ids, m.length);
    ODMA_ASSERT(hit.lease.has_value());  // match() just found it cached
  }
  hit.match = std::move(m);
  return hit;
}

std::int64_t PolicyBase::cached_prefix(std::span<const std::int32_t> prompt) const {
  if (!caching_ || prompt.size() < 2) return 0;
  return cache_.match(prompt, static_cast<std::int64_t>(prompt.size()) - 1).length;
}

void PolicyBase::refresh_hit(const RequestSpec& spec, PrefixHit& hit) const {
  if (hit.match.length == 0) return;
  const std::vector<std::int32_t>& tokens = *spec.tokens;
  hit.match = cache_.match(
      std::span<const TokenId>(tokens.data(), static_cast<std::size_t>(hit.match.length)),
      hit.match.length);
}

void PolicyBase::drop_hit(PrefixHit& hit) {
  if (hit.lease) ODMA_CHECK_STATUS(cache_.release(*hit.lease));
  hit = {};
}

PolicyBase::Released PolicyBase::release_evicted(const std::vector<Extent>& freed) {
  Released r;
  // Tails first: a backing trimmed and then freed in one call is freed at its trimmed length.
  for (const PrefixIndex::Trim& t : cache_.take_trimmed()) {
    arena_.shrink(t.backing_offset, t.tail.end() - t.backing_offset,
                  t.tail.offset - t.backing_offset);
    ++r.ranges;
    r.slots += t.tail.length;
  }
  for (const Extent& e : freed) {
    arena_.release(e.offset, e.length);
    ++r.ranges;
    r.slots += e.length;
  }
  return r;
}

bool PolicyBase::evicted_for_room(const std::vector<Extent>& freed) {
  const Released r = release_evicted(freed);
  counters_.cache_evictions += r.ranges;
  return r.ranges > 0;
}

bool PolicyBase::evict_cached(std::int64_t need) {
  if (!caching_) return false;
  return evicted_for_room(cache_.evict(need));
}

bool PolicyBase::evict_for_range(std::int64_t need) {
  if (!caching_ || cache_.stats().backings == 0) return false;
  // The arena in address order: free ranges (cost nothing) and cached ranges that can go whole.
  struct Piece {
    Extent extent;
    bool usable = false;
    bool cached = false;
    std::uint64_t age = 0;
  };
  std::vector<Piece> pieces;
  const std::map<std::int64_t, Arena::Owned> owned = arena_.owned();
  const std::map<std::int64_t, std::int64_t> free = arena_.free_ranges();
  auto o = owned.begin();
  auto f = free.begin();
  while (o != owned.end() || f != free.end()) {
    if (f != free.end() && (o == owned.end() || f->first < o->first)) {
      pieces.push_back({{f->first, f->second}, true, false, 0});
      ++f;
    } else {
      Piece p{{o->first, o->second.length}, false, false, 0};
      if (o->second.owner == kCacheOwner) {
        if (auto age = cache_.loose_backing_age(o->first)) p = {p.extent, true, true, *age};
      }
      pieces.push_back(p);
      ++o;
    }
  }
  // Every window of adjacent usable pieces holding `need`, shortest from each start.
  std::optional<std::pair<std::size_t, std::size_t>> best;
  std::uint64_t best_age = 0;
  std::int64_t best_evicted = 0;
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    std::int64_t total = 0, evicted = 0;
    std::uint64_t age = 0;
    for (std::size_t j = i; j < pieces.size() && pieces[j].usable && total < need; ++j) {
      total += pieces[j].extent.length;
      if (pieces[j].cached) {
        evicted += pieces[j].extent.length;
        age = std::max(age, pieces[j].age);
      }
      if (total >= need && evicted > 0 &&
          (!best || age < best_age || (age == best_age && evicted < best_evicted))) {
        best = std::make_pair(i, j);
        best_age = age;
        best_evicted = evicted;
      }
    }
  }
  if (!best) return false;
  std::vector<Extent> freed;
  for (std::size_t k = best->first; k <= best->second; ++k) {
    if (pieces[k].cached) freed.push_back(cache_.evict_backing(pieces[k].extent.offset));
  }
  return evicted_for_room(freed);
}

std::int64_t PolicyBase::reset_prefix_cache() {
  return release_evicted(cache_.reset()).slots;  // a reset is no eviction to make room
}

void PolicyBase::cache_extents(const Live& live) {
  const Allocation& a = live.alloc;
  const std::vector<std::int32_t>& tokens = *live.spec.tokens;
  const std::int64_t stored =
      std::min<std::int64_t>(a.shared_tokens + a.used, static_cast<std::int64_t>(tokens.size()));
  std::int64_t pos = a.shared_tokens;  // logical position of the extent's first slot
  bool chain_cached = true;            // tokens [0, pos) are cached
  for (std::size_t i = 0; i < a.extents.size(); ++i) {
    const Extent e = a.extents[i];
    if (i == 0) {
      arena_.release(live.head);
    } else {
      arena_.release(e.offset, e.length);
    }
    const std::int64_t keep = std::clamp<std::int64_t>(stored - pos, 0, e.length);
    if (chain_cached && keep > 0) {
      const std::int64_t unit = cache_unit();
      const Extent backing{e.offset, std::min(e.length, (keep + unit - 1) / unit * unit)};
      [[maybe_unused]] const bool taken =
          arena_.allocate_at(backing.offset, backing.length, kCacheOwner);
      ODMA_ASSERT(taken);  // released just above
      const PrefixInsert r = cache_.insert(
          std::span<const TokenId>(tokens.data(), static_cast<std::size_t>(pos + keep)), backing,
          pos);
      if (r.status != Status::kOk || !r.backing_kept)
        arena_.release(backing.offset, backing.length);
      chain_cached = r.status == Status::kOk && keep == e.length;
    }
    pos += e.length;
  }
}

void PolicyBase::drop_live(RequestId id) {
  drop_live(live_.find(id));
}

void PolicyBase::drop_live(std::unordered_map<RequestId, Live>::iterator it, bool cache_it) {
  on_drop(it->second);
  if (cache_it && caching_ && it->second.spec.tokens != nullptr) {
    cache_extents(it->second);
  } else {
    release_extents(it->second.alloc, it->second.head);
  }
  if (it->second.lease) ODMA_CHECK_STATUS(cache_.release(*it->second.lease));
  reserved_ -= it->second.alloc.reserved;
  used_ -= it->second.alloc.used;
  live_.erase(it);
}

void PolicyBase::release_extents(const Allocation& alloc, Arena::Handle head) {
  arena_.release(head);
  for (std::size_t i = 1; i < alloc.extents.size(); ++i) {
    arena_.release(alloc.extents[i].offset, alloc.extents[i].length);
  }
}

GrowResult PolicyBase::preempt_self(RequestId id) {
  ++counters_.overflows;
  ++counters_.preemptions;
  drop_live(id);
  return {Status::kPreempted, {}};
}

GrowResult PolicyBase::no_room() {
  ++counters_.no_room;
  return {Status::kNoRoom, {}};
}

Status PolicyBase::preempt(RequestId id) {
  auto it = live_.find(id);
  if (it == live_.end()) return Status::kUnknownRequest;
  ++counters_.preemptions;
  drop_live(it);
  return Status::kOk;
}

void PolicyBase::set_used(Live& live, std::int64_t total_tokens) {
  used_ += total_tokens - live.alloc.used;
  live.alloc.used = total_tokens;
}

Status PolicyBase::finish(RequestId id, std::int32_t output_tokens) {
  auto it = live_.find(id);
  if (it == live_.end()) return Status::kUnknownRequest;
  if (output_tokens < 0 || output_tokens > it->second.spec.max_output_tokens) {
    return Status::kInvalidArgument;
  }
  on_finish(it->second, output_tokens);
  drop_live(it, /*cache_it=*/true);
  return Status::kOk;
}

Status PolicyBase::release(RequestId id) {
  auto it = live_.find(id);
  if (it == live_.end()) return Status::kUnknownRequest;
  drop_live(it);
  return Status::kOk;
}

const Allocation* PolicyBase::allocation(RequestId id) const {
  auto it = live_.find(id);
  return it == live_.end() ? nullptr : &it->second.alloc;
}

KvGauges PolicyBase::gauges() const {
  KvGauges g;
  g.cached = cache_.stats().backing_slots;
  g.cached_reclaimable = cache_.reclaimable_slots();
  g.capacity = arena_.capacity();
  g.reserved = reserved_;
  g.used = used_;
  g.free = arena_.free_slots();
  g.largest_free = arena_.largest_free();
  g.safety_pool = safety_pool();
  g.live_requests = static_cast<std::int64_t>(live_.size());
  return g;
}

std::int64_t stored_in_extent(const Allocation& alloc, std::size_t index) {
  std::int64_t start = 0;
  for (std::size_t i = 0; i < index; ++i) start += alloc.extents[i].length;
  return std::clamp<std::int64_t>(alloc.used - start, 0, alloc.extents[index].length);
}

void PolicyBase::shift_shared(Allocation& alloc, const Extent& moved, std::int64_t to) {
  if (alloc.shared.empty()) return;
  const std::int64_t delta = to - moved.offset;
  std::vector<Extent> runs;
  auto add = [&runs](Extent e) {  // merges with the previous run when they touch
    if (e.length <= 0) return;
    if (!runs.empty() && runs.back().end() == e.offset) {
      runs.back().length += e.length;
    } else {
      runs.push_back(e);
    }
  };
  for (const Extent& r : alloc.shared) {
    const std::int64_t a = std::max(r.offset, moved.offset), b = std::min(r.end(), moved.end());
    if (a >= b) {
      add(r);
      continue;
    }
    add({r.offset, a - r.offset});  // before the moved range
    add({a + delta, b - a});        // inside it: follows it
    add({b, r.end() - b});          // after it
  }
  alloc.shared = std::move(runs);
}

bool PolicyBase::compact(std::int64_t max_moves, const Arena::SlideGoal& goal,
                         std::vector<CopyOp>& copies) {
  auto plan = arena_.plan_slide(max_moves, goal);
  if (!plan) return false;
  for (const SlideMove& move : *plan) {
    if (move.owner == kCacheOwner) {
      // A cached range slides like any extent: its K/V is copied, the index and every reader's
      // shared runs follow it.
      arena_.apply(move);
      ODMA_CHECK_STATUS(cache_.move_backing(move.from, move.to));
      for (auto& [id, live] : live_)
        shift_shared(live.alloc, Extent{move.from, move.length}, move.to);
      copies.push_back({move.from, move.to, move.length});
      counters_.copied_tokens += move.length;
      ++counters_.compaction_moves;
      continue;
    }
    const Arena::Handle moved = arena_.apply(move);
    Live& live = live_.find(move.owner)->second;
    Allocation& alloc = live.alloc;
    for (std::size_t i = 0; i < alloc.extents.size(); ++i) {
      if (alloc.extents[i].offset != move.from) continue;
      alloc.extents[i].offset = move.to;
      if (i == 0) live.head = moved;
      const std::int64_t stored = stored_in_extent(alloc, i);
      if (stored > 0) copies.push_back({move.from, move.to, stored});
      counters_.copied_tokens += stored;
      break;
    }
    ++counters_.compaction_moves;
  }
  return true;
}

std::string PolicyBase::validate() const {
  LiveView view;
  view.reserve(live_.size());
  for (const auto& [id, live] : live_) view.emplace_back(id, &live.alloc);
  const KvGauges g = gauges();
  const std::vector<Extent> backings = cache_.backings();
  if (std::string e = validate_layout(arena_, view, backings, kCacheOwner); !e.empty()) return e;
  if (std::string e = validate_shared(view, backings); !e.empty()) return e;
  if (std::string e = cache_.validate(); !e.empty()) return "prefix cache: " + e;
  for (const auto& [id, live] : live_) {
    if (live.lease.has_value() != (live.alloc.shared_tokens > 0))
      return "request " + std::to_string(id) + ": a lease iff shared tokens";
  }
  if (cache_.stats().leases !=
      static_cast<std::int64_t>(std::count_if(
          live_.begin(), live_.end(), [](const auto& kv) { return kv.second.lease.has_value(); })))
    return "prefix cache leases != live requests that share";
  if (std::string e = validate_accounting(view, g); !e.empty()) return e;
  if (std::string e = validate_counters(counters_, g); !e.empty()) return e;
  for (const auto& [id, live] : live_) {
    if (live.alloc.used < live.spec.prompt_tokens ||
        live.alloc.used > live.spec.total_tokens_cap()) {
      return "request " + std::to_string(id) + ": used outside [prompt, cap]";
    }
  }
  return validate_policy();
}

}  // namespace odma::kv
