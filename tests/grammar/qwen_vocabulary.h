// The Qwen2 tokenizer's grammar vocabulary, built once per test binary.
#pragma once

#include "grammar/tokenizer_vocabulary.h"
#include "tokenizer/tokenizer_test_util.h"

namespace odma::testing {

inline grammar::VocabularyPtr qwen_vocabulary() {
  static const grammar::VocabularyPtr v = [] {
    const tokenizer::Tokenizer& t = qwen_tokenizer();
    std::vector<std::int32_t> eos;
    for (const char* name : {"<|endoftext|>", "<|im_end|>"}) eos.push_back(*t.token_id(name));
    return grammar::vocabulary_from_tokenizer(t, eos, 151936);
  }();
  return v;
}

}  // namespace odma::testing
