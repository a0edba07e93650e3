// Decimal integers within bounds, digit by digit: a digit is offered only if some completion of
// the number lies in range. No leading zeros, no "-0".
#pragma once

#include <cstdint>
#include <optional>

#include "grammar/grammar_graph.h"

namespace odma::grammar {

// Integers n with lo <= n <= hi (nullopt: unbounded on that side); dead() if lo > hi.
Frag integer_range(GraphBuilder& b, std::optional<std::int64_t> lo, std::optional<std::int64_t> hi);

}  // namespace odma::grammar
