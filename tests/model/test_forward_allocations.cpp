// A steady forward() step allocates nothing at all: the global operator new is replaced in this
// test binary by a counting one, armed only inside the measured calls (on every thread, the pool's
// included). forward(), the pointwise kernels, the projections (fixed task tables, the pool's
// TaskFn) and attention (per-thread scratch that only grows) must not call it once warm.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>
#include <vector>

#include "model/random_model.h"
#include "model/transformer.h"

namespace {

std::atomic<bool> g_counting{false};
std::atomic<long> g_allocations{0};

}  // namespace

// GCC takes these free() calls for freeing operator new's memory (they are the same pair).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void* operator new(std::size_t n) {
  if (g_counting.load(std::memory_order_relaxed)) g_allocations.fetch_add(1);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
#pragma GCC diagnostic pop

namespace odma::model {
namespace {

// Allocations made by fn() on any thread.
template <class Fn>
long allocations_in(const Fn& fn) {
  g_allocations = 0;
  g_counting = true;
  fn();
  g_counting = false;
  return g_allocations.load();
}

TEST(ForwardAllocations, ASteadyStepAllocatesNothing) {
  for (const char* preset : {"tiny", "small"}) {
    const ModelConfig c = preset_config(preset);
    const Transformer m(c, random_weights(c, 3));
    ForwardWorkspace ws = m.make_workspace(64);
    auto st = m.make_storage(256);
    std::vector<std::int32_t> p(40);
    for (std::size_t i = 0; i < p.size(); ++i) p[i] = static_cast<std::int32_t>(i * 11 % 900);
    std::vector<float> logits(2 * static_cast<std::size_t>(c.vocab_size));
    const std::vector<BatchItem> prefill = {{p.data(), 40, 0, SeqKv::contiguous({{0, 128}})}};
    const std::vector<BatchItem> decode = {{p.data(), 1, 40, SeqKv::contiguous({{0, 128}})},
                                           {p.data(), 1, 0, SeqKv::contiguous({{128, 128}})}};
    // Warm-up: each kind of step grows the kernels' per-thread scratch (on whichever pool thread
    // takes the task) once.
    for (int i = 0; i < 3; ++i) {
      m.forward(prefill, *st, logits.data(), ws);
      m.forward(decode, *st, logits.data(), ws);
    }
    EXPECT_EQ(allocations_in([&] { m.forward(prefill, *st, logits.data(), ws); }), 0) << preset;
    EXPECT_EQ(allocations_in([&] { m.forward(decode, *st, logits.data(), ws); }), 0) << preset;
    // The model's own workspace: allocated at the first step, then reused.
    m.forward(prefill, *st, logits.data());
    EXPECT_EQ(allocations_in([&] { m.forward(decode, *st, logits.data()); }), 0) << preset;
  }
}

}  // namespace
}  // namespace odma::model
