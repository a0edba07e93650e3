// Invariant checks behind Policy::validate() (DESIGN.md "Invariants"). Tests call them after every
// operation; they are O(n log n) in the number of extents and never used on the hot path.
//
//   layout      extents are non-empty, granule-aligned, inside [0, capacity) and never overlap;
//               extents ∪ free ranges tile [0, capacity): every slot is free or owned exactly once;
//               the arena's owned ranges equal the live requests' extents, owner by owner
//   allocation  reserved == Σ extent lengths;  0 < used <= reserved
//   accounting  Σ reserved == capacity − free;  Σ used == gauges.used;  live ==
//   gauges.live_requests counters    overflows == grow_in_place + migrations + chains +
//   preemptions;
//               failed_requests == 0;  every counter >= 0;  live_requests <= admitted
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "kv/arena.h"
#include "kv/policy.h"

namespace odma::kv {

using LiveView = std::vector<std::pair<RequestId, const Allocation*>>;

// `cached`: the prefix cache's extents, owned in the arena by `cache_owner`.
std::string validate_layout(const Arena& arena, const LiveView& live,
                            const std::vector<Extent>& cached = {}, RequestId cache_owner = 0);
// Every live request's shared runs lie inside cached extents and sum to its shared_tokens.
std::string validate_shared(const LiveView& live, const std::vector<Extent>& cached);
std::string validate_accounting(const LiveView& live, const KvGauges& gauges);
std::string validate_counters(const KvCounters& counters, const KvGauges& gauges);

}  // namespace odma::kv
