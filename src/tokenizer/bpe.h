// Byte-pair-encoding model: turns one pre-tokenized word into token ids by applying merges.
//
// Glossary
//   symbol  a run of the word that is currently one token (starts as one byte or one character)
//   merge   rule "left right -> merged"; its rank is its position in the merges list (0 = first)
//
// Algorithm (Hugging Face tokenizers' word.rs, reproduced so ids match exactly): put every adjacent
// pair that has a merge into a min-heap ordered by (rank, position); pop, skip stale entries (the
// left symbol was consumed, or the pair no longer yields the popped merged id), merge, push the
// two new neighbour pairs. O(n log n) in the word length n.
//
// Initial symbols
//   byte-level mode   one per byte: the id of the GPT-2 stand-in character (see
//   tokenizer_byte_level.h) character mode    one per UTF-8 character: its vocab id; else, with
//   byte fallback, the ids of
//                     "<0xNN>" for each of its bytes; else the unk id (consecutive unks fused when
//                     fuse_unk); else the character is dropped (Hugging Face does the same).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tokenizer/vocab.h"

namespace odma::tokenizer {

struct BpeOptions {
  bool byte_level = false;     // initial symbols are bytes in the GPT-2 alphabet
  bool byte_fallback = false;  // unknown characters become <0xNN> byte tokens
  bool fuse_unk = false;       // consecutive unknown characters give one unk token
  bool ignore_merges = false;  // a word that is itself a vocab entry is emitted whole
  std::optional<std::int32_t> unk_id;
};

class BpeModel {
 public:
  // `merges` are (left id, right id, merged id) in rank order. Pairs that repeat keep their first
  // (lowest) rank, as Hugging Face does.
  BpeModel(const Vocab& vocab, const std::vector<std::array<std::int32_t, 3>>& merges,
           BpeOptions options);

  // Appends the ids of `word` (raw bytes in byte-level mode, normalized UTF-8 otherwise) to `out`.
  void encode_word(std::string_view word, std::vector<std::int32_t>& out) const;

  std::size_t merge_count() const { return merge_count_; }

 private:
  struct MergeSlot {          // open-addressing table entry keyed by (left, right)
    std::uint64_t key = 0;    // (left << 32 | right) + 1; 0 marks an empty slot
    std::int32_t rank = 0;    // position in the merges list
    std::int32_t merged = 0;  // id of the merged token
  };

  const MergeSlot* find_merge(std::int32_t left, std::int32_t right) const;
  void initial_symbols(std::string_view word, std::vector<std::int32_t>& ids) const;

  const Vocab* vocab_;
  BpeOptions options_;
  std::vector<MergeSlot> merges_;  // size is a power of two, at most half full
  std::size_t merge_count_ = 0;
  std::int32_t byte_ids_[256];      // byte-level: id of each byte's stand-in, or -1
  std::int32_t fallback_ids_[256];  // character mode: id of "<0xNN>", or -1
};

}  // namespace odma::tokenizer
