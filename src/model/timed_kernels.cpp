#include "model/timed_kernels.h"

#include <chrono>
#include <utility>

namespace odma::model {
namespace {

using Clock = std::chrono::steady_clock;

// Adds the lifetime of this object to `counter`.
class Timer {
 public:
  explicit Timer(std::atomic<long long>& counter) : counter_(counter), start_(Clock::now()) {}
  ~Timer() {
    counter_ += std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start_).count();
  }
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;

 private:
  std::atomic<long long>& counter_;
  Clock::time_point start_;
};

double seconds(const std::atomic<long long>& ns) {
  return static_cast<double>(ns.load()) * 1e-9;
}

}  // namespace

TimedKernels::TimedKernels(std::shared_ptr<const Kernels> inner)
    : inner_(inner != nullptr ? std::move(inner) : default_kernels()) {}

void TimedKernels::embed(const WeightRef& table, int cols, const std::int32_t* ids, int t,
                         float* out) const {
  const Timer timer(pointwise_ns_);
  inner_->embed(table, cols, ids, t, out);
}

void TimedKernels::rms_norm(const float* x, int t, int dim, const float* w, float eps, float* y,
                            const std::int32_t* rows) const {
  const Timer timer(pointwise_ns_);
  inner_->rms_norm(x, t, dim, w, eps, y, rows);
}

void TimedKernels::rope_angles(const std::int32_t* positions, int t,
                               std::span<const double> inv_freq, float* cos, float* sin) const {
  const Timer timer(pointwise_ns_);
  inner_->rope_angles(positions, t, inv_freq, cos, sin);
}

void TimedKernels::rope(float* x, int t, int heads, int head_dim, const float* cos,
                        const float* sin) const {
  const Timer timer(pointwise_ns_);
  inner_->rope(x, t, heads, head_dim, cos, sin);
}

void TimedKernels::add_bias(float* y, int t, int n, const float* b) const {
  const Timer timer(pointwise_ns_);
  inner_->add_bias(y, t, n, b);
}

void TimedKernels::swiglu(float* gate, const float* up, int t, int n) const {
  const Timer timer(pointwise_ns_);
  inner_->swiglu(gate, up, t, n);
}

void TimedKernels::project(const float* x, int t, int in,
                           std::span<const Projection> projections) const {
  const Timer timer(project_ns_);
  inner_->project(x, t, in, projections);
}

void TimedKernels::attention(const KvStorage& storage, int layer, int num_heads,
                             std::span<const AttentionItem> items) const {
  const Timer timer(attention_ns_);
  inner_->attention(storage, layer, num_heads, items);
}

void TimedKernels::store_kv(KvStorage& storage, int layer, const float* k, const float* v,
                            std::span<const std::int64_t> slots) const {
  const Timer timer(store_ns_);
  inner_->store_kv(storage, layer, k, v, slots);
}

void TimedKernels::copy_kv(KvStorage& storage, std::span<const kv::CopyOp> ops) const {
  const Timer timer(copy_ns_);
  inner_->copy_kv(storage, ops);
}

KernelTimes TimedKernels::times() const {
  return {seconds(project_ns_), seconds(attention_ns_), seconds(store_ns_), seconds(copy_ns_),
          seconds(pointwise_ns_)};
}

void TimedKernels::reset() const {
  project_ns_ = 0;
  attention_ns_ = 0;
  store_ns_ = 0;
  copy_ns_ = 0;
  pointwise_ns_ = 0;
}

}  // namespace odma::model
