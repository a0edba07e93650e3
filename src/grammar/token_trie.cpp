#include "grammar/token_trie.h"

#include <algorithm>
#include <atomic>

namespace odma::grammar {

namespace {

std::atomic<std::uint64_t> next_vocabulary_id{1};

struct TrieBuilder {
  const std::vector<std::string>& bytes;
  Vocabulary::Trie& trie;

  const std::string& token(std::int32_t pos) const {
    return bytes[static_cast<std::size_t>(trie.sorted[static_cast<std::size_t>(pos)])];
  }

  // Tokens [lo, hi) share their first `depth` bytes; appends their subtree.
  void build(std::uint8_t byte, std::size_t depth, std::int32_t lo, std::int32_t hi) {
    auto self = static_cast<std::size_t>(trie.nodes.size());
    trie.nodes.push_back({byte, 0, lo, lo, hi});
    std::int32_t mid = lo;
    while (mid < hi && token(mid).size() == depth) ++mid;
    trie.nodes[self].tok_mid = mid;
    for (std::int32_t i = mid; i < hi;) {
      auto b = static_cast<std::uint8_t>(token(i)[depth]);
      std::int32_t j = i + 1;
      while (j < hi && static_cast<std::uint8_t>(token(j)[depth]) == b) ++j;
      build(b, depth + 1, i, j);
      i = j;
    }
    trie.nodes[self].end = static_cast<std::int32_t>(trie.nodes.size());
  }
};

}  // namespace

Vocabulary::Vocabulary(std::vector<std::string> token_bytes, std::vector<std::int32_t> eos_ids)
    : token_bytes_(std::move(token_bytes)),
      eos_ids_(std::move(eos_ids)),
      trie_(std::make_unique<Trie>()) {
  std::sort(eos_ids_.begin(), eos_ids_.end());
  eos_ids_.erase(std::unique(eos_ids_.begin(), eos_ids_.end()), eos_ids_.end());
  for (std::int32_t id : eos_ids_) {
    if (id < 0 || id >= size()) {
      throw GrammarError("EOS id " + std::to_string(id) + " is outside the vocabulary", "");
    }
  }
  trie_->id = next_vocabulary_id.fetch_add(1);
  for (std::int32_t id = 0; id < size(); ++id) {
    if (!bytes(id).empty() && !is_eos(id)) trie_->sorted.push_back(id);
  }
  std::stable_sort(trie_->sorted.begin(), trie_->sorted.end(),
                   [&](std::int32_t a, std::int32_t b) { return bytes(a) < bytes(b); });
  for (std::int32_t id : trie_->sorted) {
    trie_->max_length = std::max(trie_->max_length, bytes(id).size());
  }
  TrieBuilder{token_bytes_, *trie_}.build(0, 0, 0, static_cast<std::int32_t>(trie_->sorted.size()));
}

Vocabulary::~Vocabulary() = default;

bool Vocabulary::is_eos(std::int32_t id) const {
  return std::binary_search(eos_ids_.begin(), eos_ids_.end(), id);
}

}  // namespace odma::grammar
