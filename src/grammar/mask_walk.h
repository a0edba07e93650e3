// Token masks by walking the vocabulary trie: every trie edge steps a copy of the position, and a
// subtree is skipped as soon as the position dies.
#pragma once

#include <cstdint>
#include <vector>

#include "grammar/mask_cache.h"
#include "grammar/matcher.h"
#include "grammar/stepper.h"
#include "grammar/token_trie.h"

namespace odma::grammar {

// Rooted walks allow this much nesting inside one token, so that a node mask stays valid for any
// stack at most kMaxStackDepth - kRootedDepth deep (deeper stacks take a full walk).
inline constexpr std::size_t kRootedDepth = 64;

// The tokens that node `top` (a node with byte edges) accepts as the top of a stack: accepted
// whatever is below it, or uncertain because the token runs past the end of top's rule.
NodeMask compute_node_mask(const Grammar& g, const Vocabulary& v, std::int32_t top);

// Adds to `mask` every token of `positions` (ascending trie positions) that `start` accepts.
void add_checked_tokens(const Grammar& g, const Vocabulary& v, const StackSet& start,
                        const std::vector<std::int32_t>& positions, TokenMask& mask);

// Adds to `mask` every token that `start` accepts (a full trie walk).
void add_walked_tokens(const Grammar& g, const Vocabulary& v, const StackSet& start,
                       TokenMask& mask);

}  // namespace odma::grammar
