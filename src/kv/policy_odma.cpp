#include "kv/policy_odma.h"

#include <algorithm>
#include <cmath>

#include "base/debug.h"

namespace odma::kv {

namespace {

AdaptiveBucketsConfig buckets_config(const PolicyConfig& c) {
  AdaptiveBucketsConfig b;
  b.max_length = c.max_model_len;  // no output can be longer
  b.buckets = c.odma.buckets;
  b.granule = c.granule;
  b.recalibrate_every = c.odma.recalibrate_every;
  b.half_life = c.odma.histogram_half_life;
  return b;
}

std::int32_t clamp_to_int32(std::int64_t v) {
  return static_cast<std::int32_t>(std::clamp<std::int64_t>(v, 1, INT32_MAX));
}

}  // namespace

OdmaPolicy::OdmaPolicy(const PolicyConfig& config)
    : ContiguousPolicy(config), options_(config.odma), buckets_(buckets_config(config)) {
  const auto capacity = static_cast<double>(arena_.capacity());
  pool_min_ = arena_.round_up(
      static_cast<std::int64_t>(std::ceil(options_.safety_fraction_min * capacity)));
  pool_max_ = static_cast<std::int64_t>(std::floor(options_.safety_fraction_max * capacity)) /
              arena_.granule() * arena_.granule();
  pool_max_ = std::min(arena_.capacity(), std::max(pool_max_, pool_min_));
  pool_min_ = std::min(pool_min_, pool_max_);
  pool_ = pool_min_;
}

KvCounters OdmaPolicy::counters() const {
  KvCounters c = counters_;
  c.recalibrations = buckets_.recalibrations();
  return c;
}

// Buckets size the whole extent (prompt + output), so the reservation is rounded once: bucketing
// the output and then adding the prompt would round twice (measured on Alpaca with exact
// lengths and K = 16: 82% reservation efficiency for output buckets, 89% for total buckets).
std::int64_t OdmaPolicy::bucketed(const RequestSpec& spec, std::int64_t total_tokens) const {
  // An edge need not be a granule multiple (the top one is max_model_len): round it up.
  return std::min<std::int64_t>(arena_.round_up(buckets_.reserve_for(clamp_to_int32(total_tokens))),
                                max_slots(spec));
}

std::optional<std::int32_t> OdmaPolicy::conditioned_end(const RequestSpec& spec,
                                                        std::int32_t generated) const {
  const LengthPrediction& p = spec.prediction;
  if (options_.growth != GrowthRule::kConditioned || !p.distribution || !(p.coverage > 0))
    return std::nullopt;
  return p.distribution->quantile_after(generated, p.coverage);
}

std::int64_t OdmaPolicy::reservation(const RequestSpec& spec) const {
  if (spec.prediction.uncertainty >= options_.uncertainty_threshold) return max_slots(spec);
  std::int64_t slots =
      bucketed(spec, static_cast<std::int64_t>(spec.prompt_tokens) + spec.prediction.output_tokens);
  if (spec.generated_before_preemption > 0) {
    // The true length is known to exceed what was generated: size past it.
    slots = std::max(slots, bucketed(spec, static_cast<std::int64_t>(spec.prompt_tokens) +
                                               spec.generated_before_preemption + 1));
    if (auto end = conditioned_end(spec, spec.generated_before_preemption))
      slots = std::max(slots, bucketed(spec, static_cast<std::int64_t>(spec.prompt_tokens) + *end));
  }
  return slots;
}

bool OdmaPolicy::admission_allowed(std::int64_t need) const {
  return live_.empty() || arena_.free_slots() - need >= pool_;
}

std::optional<std::int64_t> OdmaPolicy::place_after_compaction(std::int64_t need, RequestId id,
                                                               std::vector<CopyOp>& copies) {
  auto goal = [need](const SlideMove&, const Extent& hole) { return hole.length >= need; };
  if (!compact(options_.compaction_max_moves, goal, copies)) return std::nullopt;
  return arena_.allocate(need, id);
}

bool OdmaPolicy::try_grow_in_place(Live& live, std::int64_t target, std::int64_t minimum) {
  Allocation& a = live.alloc;
  Extent& last = a.extents.back();
  const bool single = a.extents.size() == 1;
  const std::int64_t available =
      single ? arena_.free_after(live.head) : arena_.free_after(last.end());
  if (available < minimum - a.reserved) return false;
  const std::int64_t extra = std::min(target - a.reserved, available);
  [[maybe_unused]] const bool grown = single
                                          ? arena_.grow_in_place(live.head, extra)
                                          : arena_.grow_in_place(last.offset, last.length, extra);
  ODMA_ASSERT(grown);  // `available` was measured just above
  last.length += extra;
  a.reserved += extra;
  return true;
}

bool OdmaPolicy::try_migrate(Live& live, std::int64_t target, std::int64_t minimum,
                             GrowResult& result) {
  Allocation& a = live.alloc;
  Arena::Handle head{};
  std::optional<std::int64_t> offset = arena_.allocate(target, live.spec.id, &head);
  std::int64_t size = target;
  if (!offset && minimum < target) {
    offset = arena_.allocate(minimum, live.spec.id, &head);
    size = minimum;
  }
  if (!offset) return false;
  std::int64_t logical = 0;
  for (std::size_t i = 0; i < a.extents.size(); ++i) {
    const std::int64_t stored = stored_in_extent(a, i);
    if (stored > 0) result.copies.push_back({a.extents[i].offset, *offset + logical, stored});
    counters_.copied_tokens += stored;
    logical += a.extents[i].length;
  }
  release_extents(a, live.head);
  live.head = head;
  a.extents.assign(1, Extent{*offset, size});
  a.reserved = size;
  return true;
}

bool OdmaPolicy::try_chain(Live& live, std::int64_t target, std::int64_t minimum) {
  Allocation& a = live.alloc;
  if (static_cast<std::int64_t>(a.extents.size()) >= options_.max_extents) return false;
  const std::int64_t min_extent = arena_.round_up(options_.min_extent_tokens);
  for (const Extent& e : a.extents) {
    if (e.length < min_extent) return false;
  }
  const std::int64_t room = arena_.round_up(live.spec.total_tokens_cap()) - a.reserved;
  for (std::int64_t size : {target - a.reserved, minimum - a.reserved}) {
    size = std::max(size, min_extent);
    if (size > room) continue;
    if (auto offset = arena_.allocate(size, live.spec.id)) {
      a.extents.push_back({*offset, size});
      a.reserved += size;
      return true;
    }
  }
  return false;
}

GrowResult OdmaPolicy::overflow(Live& live, std::int64_t total_tokens) {
  const RequestSpec& spec = live.spec;
  const std::int64_t before = live.alloc.reserved;
  const std::int64_t minimum = arena_.round_up(total_tokens);
  // Growing in place copies nothing and can be repeated: one size class at a time. A move or a
  // further extent is sized (GrowthRule::kConditioned) for where the request is likely to end:
  // it did not stop after its last sampled token, whose K/V is being written, so it produces
  // more than total − prompt tokens. That size is rounded to the granule, not to a bucket: the
  // buckets were fitted to the marginal of completed lengths, not to this request's conditional
  // one, and rounding up to their (wide, at long lengths) edges would add their waste to the
  // quantile's own margin (measured on the documented drift: +3 points of reservation efficiency
  // at equal migrations, docs/predictor.md).
  const std::int64_t step = std::max(minimum, bucketed(spec, total_tokens));
  std::int64_t target = step;
  if (auto end =
          conditioned_end(spec, static_cast<std::int32_t>(total_tokens - spec.prompt_tokens)))
    target = std::max(
        minimum, std::min(arena_.round_up(static_cast<std::int64_t>(spec.prompt_tokens) + *end),
                          max_slots(spec)));

  GrowResult result;
  std::int64_t transient = 0;  // slots held twice while copying (migration source)
  // Cached ranges nobody reads are evicted (least recent first) before compaction is tried.
  bool placed = false;
  do {
    if (try_grow_in_place(live, step, minimum)) {
      result.status = Status::kGrewInPlace;
    } else if (try_migrate(live, target, minimum, result)) {
      result.status = Status::kMigrated;
      transient = before;
    } else if (try_chain(live, target, minimum)) {
      result.status = Status::kChained;
    } else {
      continue;
    }
    placed = true;
  } while (!placed && (evict_for_range(minimum) || evict_cached(1)));  // room in one piece
  if (!placed) {
    // Compact until the last extent can grow in place or a free range holds the minimum.
    const std::int64_t last_offset = live.alloc.extents.back().offset;
    const RequestId id = spec.id;
    auto goal = [&](const SlideMove& move, const Extent& hole) {
      const bool own_last = move.owner == id && move.from == last_offset;
      return (own_last && hole.length >= minimum - before) || hole.length >= minimum;
    };
    // Alone in the arena, sliding every own extent is always allowed: it cannot be refused.
    const std::int64_t max_moves =
        live_.size() == 1
            ? std::max<std::int64_t>(options_.compaction_max_moves,
                                     static_cast<std::int64_t>(live.alloc.extents.size()))
            : options_.compaction_max_moves;
    if (!compact(max_moves, goal, result.copies)) {
      if (live_.size() == 1) ++counters_.failed_requests;
      return no_room();  // the last resort, a preemption, is the planner's choice
    }
    if (try_grow_in_place(live, step, minimum)) {
      result.status = Status::kGrewInPlace;
    } else {
      [[maybe_unused]] const bool moved = try_migrate(live, target, minimum, result);
      ODMA_ASSERT(moved);  // the compaction goal guaranteed a free range of `minimum`
      result.status = Status::kMigrated;
      transient = before;
    }
  }
  ++counters_.overflows;
  switch (result.status) {
    case Status::kGrewInPlace:
      ++counters_.grow_in_place;
      break;
    case Status::kMigrated:
      ++counters_.migrations;
      break;
    default:
      ++counters_.chains;
      break;
  }
  add_reserved(live.alloc.reserved - before);
  overflow_held_ += live.alloc.reserved - before;
  set_used(live, total_tokens);
  sample_demand(transient);
  return result;
}

void OdmaPolicy::sample_demand(std::int64_t transient) {
  const auto d = static_cast<double>(overflow_held_ + transient);
  demand_ = d > demand_ ? d : demand_ + (d - demand_) / 64.0;
  const std::int64_t wanted = arena_.round_up(static_cast<std::int64_t>(std::ceil(demand_)));
  pool_ = std::clamp(wanted, pool_min_, pool_max_);
}

void OdmaPolicy::on_finish(const Live& live, std::int32_t output_tokens) {
  buckets_.observe(
      clamp_to_int32(static_cast<std::int64_t>(live.spec.prompt_tokens) + output_tokens));
}

void OdmaPolicy::on_drop(const Live& live) {
  overflow_held_ -= live.alloc.reserved - live.admitted_reserved;
  sample_demand(0);
}

std::string OdmaPolicy::validate_policy() const {
  std::int64_t held = 0;
  const std::int64_t min_extent = arena_.round_up(options_.min_extent_tokens);
  for (const auto& [id, live] : live_) {
    const Allocation& a = live.alloc;
    held += a.reserved - live.admitted_reserved;
    if (static_cast<std::int64_t>(a.extents.size()) > options_.max_extents) {
      return "odma request " + std::to_string(id) + " holds " + std::to_string(a.extents.size()) +
             " extents, max_extents is " + std::to_string(options_.max_extents);
    }
    if (a.extents.size() > 1) {
      for (const Extent& e : a.extents) {
        if (e.length < min_extent) {
          return "odma request " + std::to_string(id) + ": chained extent shorter than " +
                 std::to_string(min_extent);
        }
      }
    }
  }
  if (held != overflow_held_) {
    return "odma: overflow_held " + std::to_string(overflow_held_) + " but Σ draws " +
           std::to_string(held);
  }
  if (pool_ < pool_min_ || pool_ > pool_max_ || pool_ % arena_.granule() != 0) {
    return "odma: safety pool " + std::to_string(pool_) + " outside [" + std::to_string(pool_min_) +
           ", " + std::to_string(pool_max_) + "]";
  }
  return "";
}

std::int64_t drift_detections(const Policy& policy) {
  const auto* odma = dynamic_cast<const OdmaPolicy*>(&policy);
  return odma != nullptr ? odma->buckets().drift_recalibrations() : 0;
}

}  // namespace odma::kv
