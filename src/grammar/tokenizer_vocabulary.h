// A grammar Vocabulary from a loaded tokenizer.
#pragma once

#include <cstdint>
#include <vector>

#include "grammar/grammar.h"
#include "tokenizer/tokenizer.h"

namespace odma::grammar {

// Each token's output bytes from the tokenizer's decode plan; unknown ids and added tokens marked
// special get no bytes (never allowed). Added tokens that are not special (Qwen2.5's <tool_call>)
// keep their text, so a grammar with that literal can pick them. vocab_size: the size of the
// model's logits (may exceed the tokenizer's, padding ids get no bytes); -1: the tokenizer's.
VocabularyPtr vocabulary_from_tokenizer(const tokenizer::Tokenizer& tok,
                                        std::vector<std::int32_t> eos_ids,
                                        std::int32_t vocab_size = -1);

}  // namespace odma::grammar
