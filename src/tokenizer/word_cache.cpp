#include "tokenizer/word_cache.h"

#include <array>

namespace odma::tokenizer {

void WordCache::reset(std::uint64_t owner) {
  owner_ = owner;
  for (Slot& s : slots_) s.hash = 0;
}

WordCache& WordCache::for_thread(std::uint64_t owner) {
  thread_local std::array<std::unique_ptr<WordCache>, 4> caches;
  thread_local std::size_t next_victim = 0;
  for (auto& c : caches) {
    if (c && c->owner_ == owner) return *c;
  }
  auto& c = caches[next_victim];
  next_victim = (next_victim + 1) % caches.size();
  if (!c) c.reset(new WordCache());
  c->reset(owner);
  return *c;
}

}  // namespace odma::tokenizer
