#include "grammar/tokenizer_vocabulary.h"

#include "tokenizer/decoder.h"

namespace odma::grammar {

VocabularyPtr vocabulary_from_tokenizer(const tokenizer::Tokenizer& tok,
                                        std::vector<std::int32_t> eos_ids,
                                        std::int32_t vocab_size) {
  // The plan's strip_leading (SentencePiece-style tokenizers drop the first token's leading
  // space) is not applied: the mask then treats that space as output. Byte-level BPE (Qwen, Llama
  // 3) never strips.
  const tokenizer::DecodePlan& plan = tok.decode_plan();
  std::vector<std::string> bytes(
      static_cast<std::size_t>(vocab_size < 0 ? tok.vocab_size() : vocab_size));
  for (std::size_t id = 0; id < bytes.size() && id < plan.bytes.size(); ++id) {
    bool known = id < plan.known.size() && plan.known[id];
    bool special = id < plan.special.size() && plan.special[id];
    if (known && !special) bytes[id] = plan.bytes[id];
  }
  return std::make_shared<const Vocabulary>(std::move(bytes), std::move(eos_ids));
}

}  // namespace odma::grammar
