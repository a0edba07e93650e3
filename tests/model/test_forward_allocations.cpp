// A steady forward() step allocates nothing outside the projection and attention kernels: the
// global operator new is replaced in this test binary by a counting one, armed only inside the
// measured calls (on every thread, the pool's included) and paused inside project, attention,
// store_kv and copy_kv, whose own per-call bookkeeping (task tables, std::function captures) is
// not the forward pass's. forward() itself and the pointwise kernels must not call it.
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

// Pauses the count while the inner kernel set runs the matrix and KV kernels.
class PausedForMatrixKernels final : public Kernels {
 public:
  explicit PausedForMatrixKernels(std::shared_ptr<const Kernels> inner)
      : inner_(std::move(inner)) {}
  std::string name() const override { return inner_->name(); }
  void embed(const WeightRef& table, int cols, const std::int32_t* ids, int t,
             float* out) const override {
    inner_->embed(table, cols, ids, t, out);
  }
  void rms_norm(const float* x, int t, int dim, const float* w, float eps, float* y,
                const std::int32_t* rows) const override {
    inner_->rms_norm(x, t, dim, w, eps, y, rows);
  }
  void rope_angles(const std::int32_t* positions, int t, std::span<const double> inv_freq,
                   float* cos, float* sin) const override {
    inner_->rope_angles(positions, t, inv_freq, cos, sin);
  }
  void rope(float* x, int t, int heads, int head_dim, const float* cos,
            const float* sin) const override {
    inner_->rope(x, t, heads, head_dim, cos, sin);
  }
  void add_bias(float* y, int t, int n, const float* b) const override {
    inner_->add_bias(y, t, n, b);
  }
  void swiglu(float* gate, const float* up, int t, int n) const override {
    inner_->swiglu(gate, up, t, n);
  }
  void project(const float* x, int t, int in,
               std::span<const Projection> projections) const override {
    const Pause p;
    inner_->project(x, t, in, projections);
  }
  void attention(const KvStorage& storage, int layer, int num_heads,
                 std::span<const AttentionItem> items) const override {
    const Pause p;
    inner_->attention(storage, layer, num_heads, items);
  }
  void store_kv(KvStorage& storage, int layer, const float* k, const float* v,
                std::span<const std::int64_t> slots) const override {
    const Pause p;
    inner_->store_kv(storage, layer, k, v, slots);
  }
  void copy_kv(KvStorage& storage, std::span<const kv::CopyOp> ops) const override {
    const Pause p;
    inner_->copy_kv(storage, ops);
  }

 private:
  struct Pause {
    bool was = g_counting.exchange(false);
    ~Pause() { g_counting = was; }
  };
  std::shared_ptr<const Kernels> inner_;
};

// Allocations made by fn() on any thread.
template <class Fn>
long allocations_in(const Fn& fn) {
  g_allocations = 0;
  g_counting = true;
  fn();
  g_counting = false;
  return g_allocations.load();
}

TEST(ForwardAllocations, ASteadyStepAllocatesNothingOutsideTheMatrixKernels) {
  for (const char* preset : {"tiny", "small"}) {
    const ModelConfig c = preset_config(preset);
    const auto kernels = std::make_shared<PausedForMatrixKernels>(default_kernels());
    const Transformer m(c, random_weights(c, 3), kernels);
    ForwardWorkspace ws = m.make_workspace(64);
    auto st = m.make_storage(256);
    std::vector<std::int32_t> p(40);
    for (std::size_t i = 0; i < p.size(); ++i) p[i] = static_cast<std::int32_t>(i * 11 % 900);
    std::vector<float> logits(2 * static_cast<std::size_t>(c.vocab_size));
    const std::vector<BatchItem> prefill = {{p.data(), 40, 0, SeqKv::contiguous({{0, 128}})}};
    const std::vector<BatchItem> decode = {{p.data(), 1, 40, SeqKv::contiguous({{0, 128}})},
                                           {p.data(), 1, 0, SeqKv::contiguous({{128, 128}})}};
    EXPECT_EQ(allocations_in([&] { m.forward(prefill, *st, logits.data(), ws); }), 0) << preset;
    EXPECT_EQ(allocations_in([&] { m.forward(decode, *st, logits.data(), ws); }), 0) << preset;
    // The model's own workspace: allocated at the first step, then reused.
    m.forward(prefill, *st, logits.data());
    EXPECT_EQ(allocations_in([&] { m.forward(decode, *st, logits.data()); }), 0) << preset;
  }
}

}  // namespace
}  // namespace odma::model
