#include "tokenizer/bpe.h"

#include <algorithm>
#include <cstdio>
#include <functional>

#include "tokenizer/byte_level.h"

namespace odma::tokenizer {
namespace {

std::uint64_t pair_key(std::int32_t left, std::int32_t right) {
  return ((static_cast<std::uint64_t>(static_cast<std::uint32_t>(left)) << 32) |
          static_cast<std::uint32_t>(right)) +
         1;
}

std::size_t slot_of(std::uint64_t key, std::size_t mask) {
  key ^= key >> 33;  // murmur3 finalizer: spreads adjacent ids over the table
  key *= 0xff51afd7ed558ccdULL;
  key ^= key >> 33;
  return static_cast<std::size_t>(key) & mask;
}

// Length of the UTF-8 character starting with `lead` (1 for bytes that cannot start one).
std::size_t utf8_length(unsigned char lead) {
  if (lead < 0xC0) return 1;
  if (lead < 0xE0) return 2;
  if (lead < 0xF0) return 3;
  return lead < 0xF8 ? 4 : 1;
}

// One entry of the merge heap; a min-heap on (rank, pos) through operator> in std::push_heap.
struct Candidate {
  std::int32_t rank;
  std::int32_t pos;     // index of the left symbol
  std::int32_t merged;  // merged id at push time (staleness check)
  bool operator>(const Candidate& o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
};

struct Symbol {
  std::int32_t id;
  std::int32_t prev;  // -1 at the start
  std::int32_t next;  // -1 at the end
  bool alive;
};

// Per-thread scratch so encode_word allocates nothing in the steady state.
struct Scratch {
  std::vector<std::int32_t> ids;
  std::vector<Symbol> symbols;
  std::vector<Candidate> heap;
};

}  // namespace

BpeModel::BpeModel(const Vocab& vocab, const std::vector<std::array<std::int32_t, 3>>& merges,
                   BpeOptions options)
    : vocab_(&vocab), options_(options) {
  std::size_t capacity = 16;
  while (capacity < merges.size() * 2) capacity *= 2;
  merges_.assign(capacity, MergeSlot{});
  const std::size_t mask = capacity - 1;
  for (std::size_t rank = 0; rank < merges.size(); ++rank) {
    const auto& m = merges[rank];
    std::uint64_t key = pair_key(m[0], m[1]);
    std::size_t i = slot_of(key, mask);
    while (merges_[i].key != 0 && merges_[i].key != key) i = (i + 1) & mask;
    if (merges_[i].key == key) continue;  // duplicate pair: the first rank wins
    merges_[i] = MergeSlot{key, static_cast<std::int32_t>(rank), m[2]};
    ++merge_count_;
  }
  for (int b = 0; b < 256; ++b) {
    auto byte = static_cast<unsigned char>(b);
    byte_ids_[b] = vocab.find(byte_level_char(byte)).value_or(-1);
    char name[8];
    std::snprintf(name, sizeof(name), "<0x%02X>", b);
    fallback_ids_[b] = vocab.find(name).value_or(-1);
  }
}

const BpeModel::MergeSlot* BpeModel::find_merge(std::int32_t left, std::int32_t right) const {
  const std::uint64_t key = pair_key(left, right);
  const std::size_t mask = merges_.size() - 1;
  for (std::size_t i = slot_of(key, mask);; i = (i + 1) & mask) {
    if (merges_[i].key == key) return &merges_[i];
    if (merges_[i].key == 0) return nullptr;
  }
}

void BpeModel::initial_symbols(std::string_view word, std::vector<std::int32_t>& ids) const {
  const auto unk = options_.unk_id;
  if (options_.byte_level) {
    for (char c : word) {
      std::int32_t id = byte_ids_[static_cast<unsigned char>(c)];
      if (id >= 0) {
        ids.push_back(id);
      } else if (unk) {
        ids.push_back(*unk);
      }
    }
    return;
  }
  bool last_was_unk = false;
  for (std::size_t i = 0; i < word.size();) {
    std::size_t len = std::min(utf8_length(static_cast<unsigned char>(word[i])), word.size() - i);
    std::string_view ch = word.substr(i, len);
    i += len;
    if (auto id = vocab_->find(ch)) {
      ids.push_back(*id);
      last_was_unk = false;
      continue;
    }
    if (options_.byte_fallback && std::all_of(ch.begin(), ch.end(), [&](char c) {
          return fallback_ids_[static_cast<unsigned char>(c)] >= 0;
        })) {
      for (char c : ch) ids.push_back(fallback_ids_[static_cast<unsigned char>(c)]);
      last_was_unk = false;
      continue;
    }
    if (!unk) continue;  // no unk token: the character is dropped
    if (!(options_.fuse_unk && last_was_unk)) ids.push_back(*unk);
    last_was_unk = true;
  }
}

void BpeModel::encode_word(std::string_view word, std::vector<std::int32_t>& out) const {
  if (word.empty()) return;
  if (options_.ignore_merges) {
    if (!options_.byte_level) {
      if (auto id = vocab_->find(word)) {
        out.push_back(*id);
        return;
      }
    } else {
      std::string spelled;
      for (char c : word) spelled += byte_level_char(static_cast<unsigned char>(c));
      if (auto id = vocab_->find(spelled)) {
        out.push_back(*id);
        return;
      }
    }
  }

  thread_local Scratch scratch;
  auto& ids = scratch.ids;
  ids.clear();
  initial_symbols(word, ids);
  const auto n = static_cast<std::int32_t>(ids.size());
  if (n <= 1) {
    out.insert(out.end(), ids.begin(), ids.end());
    return;
  }

  auto& sym = scratch.symbols;
  sym.resize(static_cast<std::size_t>(n));
  for (std::int32_t i = 0; i < n; ++i) {
    sym[static_cast<std::size_t>(i)] =
        Symbol{ids[static_cast<std::size_t>(i)], i - 1, i + 1 < n ? i + 1 : -1, true};
  }
  auto& heap = scratch.heap;
  heap.clear();
  auto push_pair = [&](std::int32_t pos) {
    const Symbol& left = sym[static_cast<std::size_t>(pos)];
    if (left.next < 0) return;
    if (const MergeSlot* m = find_merge(left.id, sym[static_cast<std::size_t>(left.next)].id)) {
      heap.push_back(Candidate{m->rank, pos, m->merged});
      std::push_heap(heap.begin(), heap.end(), std::greater<>{});
    }
  };
  for (std::int32_t i = 0; i + 1 < n; ++i) push_pair(i);

  while (!heap.empty()) {
    std::pop_heap(heap.begin(), heap.end(), std::greater<>{});
    const Candidate top = heap.back();
    heap.pop_back();
    Symbol& left = sym[static_cast<std::size_t>(top.pos)];
    if (!left.alive || left.next < 0) continue;
    Symbol& right = sym[static_cast<std::size_t>(left.next)];
    const MergeSlot* m = find_merge(left.id, right.id);
    if (m == nullptr || m->merged != top.merged) continue;  // stale: the pair changed since
    left.id = top.merged;
    right.alive = false;
    left.next = right.next;
    if (right.next >= 0) sym[static_cast<std::size_t>(right.next)].prev = top.pos;
    if (left.prev >= 0) push_pair(left.prev);
    push_pair(top.pos);
  }
  for (std::int32_t i = 0; i >= 0; i = sym[static_cast<std::size_t>(i)].next) {
    out.push_back(sym[static_cast<std::size_t>(i)].id);
  }
}

}  // namespace odma::tokenizer
