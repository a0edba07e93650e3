// Per-thread cache of BPE results: word -> token ids.
//
// Two-way set-associative, like a CPU cache: 2^15 slots of one 64-byte cache line each, holding
// the word (at most kMaxWordBytes) and its ids (at most kMaxIds) inline, so a lookup touches one or
// two adjacent lines. A new word evicts the least recently used of its set's two. Why not
// std::unordered_map: with tens of thousands of distinct words a node-based map costs three cache
// misses per lookup (bucket, node, key) and dominated the encode profile (36% of samples); this
// cache costs one.
//
// Keyed by the tokenizer's serial number (never reused) so a tokenizer never sees another's words;
// each thread keeps tables for up to four tokenizers.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>
#include <utility>
#include <vector>

namespace odma::tokenizer {

class WordCache {
 public:
  static constexpr std::size_t kMaxWordBytes = 22;
  static constexpr std::size_t kMaxIds = 8;
  static constexpr std::size_t kSlots = std::size_t{1} << 15;

  // The cache of this thread for the tokenizer with serial `owner`.
  static WordCache& for_thread(std::uint64_t owner);

  // Appends the cached ids of `word` to `out` and returns true, or returns false on a miss.
  bool lookup(std::string_view word, std::uint64_t hash, std::vector<std::int32_t>& out) {
    Slot* set = &slots_[set_of(hash)];
    for (int way = 0; way < 2; ++way) {
      const Slot& s = set[way];
      if (s.hash != hash || s.key_len != word.size() ||
          std::memcmp(s.key, word.data(), word.size()) != 0) {
        continue;
      }
      out.insert(out.end(), s.ids, s.ids + s.n_ids);
      if (way == 1) std::swap(set[0], set[1]);  // keep the most recently used word in way 0
      return true;
    }
    return false;
  }

  // Stores `ids` for `word` if both fit in a slot; the set's least recently used word leaves.
  void store(std::string_view word, std::uint64_t hash, const std::int32_t* ids, std::size_t n) {
    if (word.size() > kMaxWordBytes || n > kMaxIds) return;
    Slot* set = &slots_[set_of(hash)];
    set[1] = set[0];
    Slot& s = set[0];
    s.hash = hash;
    s.key_len = static_cast<std::uint8_t>(word.size());
    s.n_ids = static_cast<std::uint8_t>(n);
    std::memcpy(s.key, word.data(), word.size());
    std::memcpy(s.ids, ids, n * sizeof(std::int32_t));
  }

  static bool cacheable(std::string_view word) { return word.size() <= kMaxWordBytes; }

 private:
  struct alignas(64) Slot {
    std::uint64_t hash = 0;  // full hash of the word; 0 never matches a real word's lookup
    std::uint8_t key_len = 0;
    std::uint8_t n_ids = 0;
    char key[kMaxWordBytes];
    std::int32_t ids[kMaxIds];
  };
  static_assert(sizeof(Slot) == 64);

  static std::size_t set_of(std::uint64_t hash) { return hash & (kSlots - 2); }  // even index

  WordCache() : slots_(kSlots) {}
  void reset(std::uint64_t owner);

  std::uint64_t owner_ = 0;
  std::vector<Slot> slots_;
};

// 64-bit hash of a word with the top bit set, so never 0 (an empty slot never matches).
inline std::uint64_t word_hash(std::string_view word) {
  std::uint64_t h = 0xcbf29ce484222325ULL ^ word.size();  // FNV-1a over 8-byte chunks, mixed
  std::size_t i = 0;
  for (; i + 8 <= word.size(); i += 8) {
    std::uint64_t chunk;
    std::memcpy(&chunk, word.data() + i, 8);
    h = (h ^ chunk) * 0x100000001b3ULL;
    h ^= h >> 29;
  }
  std::uint64_t tail = 0;
  std::memcpy(&tail, word.data() + i, word.size() - i);
  h = (h ^ tail) * 0x9E3779B97F4A7C15ULL;
  h ^= h >> 32;
  return h | (std::uint64_t{1} << 63);
}

}  // namespace odma::tokenizer
