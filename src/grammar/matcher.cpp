#include "grammar/matcher.h"

#include <bit>

#include "grammar/grammar_graph.h"
#include "grammar/mask_cache.h"
#include "grammar/mask_walk.h"
#include "grammar/stepper.h"
#include "grammar/token_trie.h"

namespace odma::grammar {

namespace {

// Node masks are shared (across grammars, and across positions of a length-bounded string) by
// the signature of the graph within one token's reach; 4096 nodes covers a bounded string's next
// 128 characters, beyond that the signature costs more than it saves.
constexpr std::size_t kMaxSignatureNodes = 4096;

}  // namespace

std::int32_t TokenMask::count() const {
  std::int32_t n = 0;
  for (std::uint64_t w : words_) n += std::popcount(w);
  return n;
}

struct Matcher::State {
  State(GrammarPtr g, VocabularyPtr v)
      : grammar(std::move(g)), vocabulary(std::move(v)), stepper(*grammar) {}

  GrammarPtr grammar;
  VocabularyPtr vocabulary;
  Stepper stepper;
  StackSet position;
  StackSet scratch;
  bool finished = false;

  std::shared_ptr<const NodeMask> node_mask(std::int32_t top) {
    MaskCache& cache = grammar->cache();
    std::uint64_t vocab = vocabulary->trie().id;
    auto m = cache.node_mask(vocab, top);
    if (m) return m;
    std::string signature =
        grammar->signature(top, vocabulary->trie().max_length, kMaxSignatureNodes);
    if (!signature.empty()) m = shared_node_mask(vocab, signature);
    if (!m) {
      m = std::make_shared<NodeMask>(compute_node_mask(*grammar, *vocabulary, top));
      if (!signature.empty()) put_shared_node_mask(vocab, signature, m);
    }
    cache.put_node_mask(vocab, top, m);
    return m;
  }

  // The mask of `position` without the cache: each stack's top node mask, then its uncertain
  // tokens checked against the whole stack. Stacks too deep for node masks take a full walk.
  void compute_mask(TokenMask& mask) {
    std::vector<std::shared_ptr<const NodeMask>> tops;
    StackSet single;
    position.for_each([&](const std::int32_t* nodes, std::size_t size) {
      if (size > kMaxStackDepth - kRootedDepth) {
        single.flat.assign(1, static_cast<std::int32_t>(size));
        single.flat.insert(single.flat.end(), nodes, nodes + size);
        add_walked_tokens(*grammar, *vocabulary, single, mask);
        tops.push_back(nullptr);
        return;
      }
      tops.push_back(node_mask(nodes[size - 1]));
      std::vector<std::uint64_t>& words = mask.words();
      const std::vector<std::uint64_t>& accepted = tops.back()->accepted;
      for (std::size_t i = 0; i < words.size(); ++i) words[i] |= accepted[i];
    });
    std::size_t k = 0;
    position.for_each([&](const std::int32_t* nodes, std::size_t size) {
      const NodeMask* m = tops[k++].get();
      if (m == nullptr || m->uncertain.empty()) return;
      single.flat.assign(1, static_cast<std::int32_t>(size));
      single.flat.insert(single.flat.end(), nodes, nodes + size);
      add_checked_tokens(*grammar, *vocabulary, single, m->uncertain, mask);
    });
    if (position.can_end) {
      for (std::int32_t id : vocabulary->eos_ids()) mask.allow(id);
    }
  }
};

Matcher::Matcher(GrammarPtr grammar, VocabularyPtr vocabulary)
    : state_(std::make_unique<State>(std::move(grammar), std::move(vocabulary))) {
  state_->stepper.initial(state_->position);
}

Matcher::~Matcher() = default;
Matcher::Matcher(Matcher&&) noexcept = default;
Matcher& Matcher::operator=(Matcher&&) noexcept = default;

void Matcher::fill_mask(TokenMask& mask) {
  State& s = *state_;
  mask.resize(s.vocabulary->size());
  if (s.finished) return;
  std::string key = s.position.key();
  key.append(reinterpret_cast<const char*>(&s.vocabulary->trie().id), sizeof(std::uint64_t));
  MaskCache& cache = s.grammar->cache();
  if (auto hit = cache.state_mask(key)) {
    mask.words() = *hit;
    return;
  }
  s.compute_mask(mask);
  cache.put_state_mask(key, std::make_shared<const std::vector<std::uint64_t>>(mask.words()));
}

bool Matcher::accept(std::int32_t token) {
  State& s = *state_;
  if (s.finished || token < 0 || token >= s.vocabulary->size()) return false;
  if (s.vocabulary->is_eos(token)) {
    if (!s.position.can_end) return false;
    s.finished = true;
    return true;
  }
  std::string_view bytes = s.vocabulary->bytes(token);
  return !bytes.empty() && accept_bytes(bytes);
}

bool Matcher::accept_bytes(std::string_view bytes) {
  State& s = *state_;
  if (s.finished) return bytes.empty();
  s.scratch = s.position;
  if (!s.stepper.step_bytes(s.scratch, bytes)) return false;
  std::swap(s.position, s.scratch);
  return true;
}

bool Matcher::can_end() const {
  return state_->position.can_end;
}
bool Matcher::must_end() const {
  return can_end() && state_->position.flat.empty();
}
bool Matcher::finished() const {
  return state_->finished;
}

}  // namespace odma::grammar
