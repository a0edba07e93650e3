#include "server/loadgen.h"

#include <cmath>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "base/error.h"
#include "base/rng.h"

namespace odma::server {
namespace {

using Clock = std::chrono::steady_clock;

double standard_normal(SplitMix64& rng) {
  const double u1 = 1.0 - rng.uniform(), u2 = rng.uniform();  // u1 in (0, 1]
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
}

// Gamma(shape k, scale 1): Marsaglia & Tsang (2000); for k < 1, Gamma(k + 1) · U^(1/k).
double gamma_variate(double k, SplitMix64& rng) {
  if (k < 1.0) return gamma_variate(k + 1.0, rng) * std::pow(1.0 - rng.uniform(), 1.0 / k);
  const double d = k - 1.0 / 3.0, c = 1.0 / std::sqrt(9.0 * d);
  for (;;) {
    double x = 0, v = 0;
    do {
      x = standard_normal(rng);
      v = 1.0 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const double u = 1.0 - rng.uniform();
    if (u < 1.0 - 0.0331 * x * x * x * x || std::log(u) < 0.5 * x * x + d * (1.0 - v + std::log(v)))
      return d * v;
  }
}

// A counting semaphore that also works as "unlimited" (limit 0).
class Slots {
 public:
  explicit Slots(std::size_t limit) : limit_(limit) {}
  void acquire() {
    std::unique_lock<std::mutex> lock(mu_);
    freed_.wait(lock, [&] { return limit_ == 0 || used_ < limit_; });
    ++used_;
  }
  void release() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      --used_;
    }
    freed_.notify_one();
  }

 private:
  std::size_t limit_, used_ = 0;
  std::mutex mu_;
  std::condition_variable freed_;
};

}  // namespace

void schedule_arrivals(std::vector<LoadRequest>& requests, double rate, double burstiness,
                       std::uint64_t seed) {
  if (!(rate > 0)) throw Error("--request-rate must be > 0 (or inf)");
  if (!(burstiness > 0) || !std::isfinite(burstiness)) throw Error("--burstiness must be > 0");
  SplitMix64 rng(seed);
  double t = 0;
  for (std::size_t i = 0; i < requests.size(); ++i) {
    if (i > 0 && std::isfinite(rate)) t += gamma_variate(burstiness, rng) / (rate * burstiness);
    requests[i].arrival_s = std::isfinite(rate) ? t : 0.0;
  }
}

namespace {

// Calls progress(done, failed) after each record, serialised.
class Progress {
 public:
  explicit Progress(const std::function<void(std::size_t, std::size_t)>& fn) : fn_(fn) {}
  void count(const RequestRecord& r) {
    std::lock_guard<std::mutex> lock(mu_);
    ++done_;
    failed_ += r.success ? 0 : 1;
    if (fn_) fn_(done_, failed_);
  }

 private:
  const std::function<void(std::size_t, std::size_t)>& fn_;
  std::mutex mu_;
  std::size_t done_ = 0, failed_ = 0;
};

// Runs job(i) for i in [0, n), each on its own thread from arrival_s(i) after `start` on,
// at most `max_concurrency` (0 = unlimited) at a time; returns when all are done.
template <typename Arrival, typename Job>
void run_scheduled(std::size_t n, Arrival arrival_s, std::size_t max_concurrency,
                   Clock::time_point start, Job job) {
  Slots slots(max_concurrency);
  std::vector<std::thread> workers;
  workers.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    std::this_thread::sleep_until(start + std::chrono::duration_cast<Clock::duration>(
                                              std::chrono::duration<double>(arrival_s(i))));
    slots.acquire();
    workers.emplace_back([&, i] {
      job(i);
      slots.release();
    });
  }
  for (std::thread& w : workers) w.join();
}

}  // namespace

LoadRun run_load(const Target& target, const std::vector<LoadRequest>& requests,
                 std::size_t max_concurrency,
                 const std::function<void(std::size_t, std::size_t)>& progress) {
  LoadRun run;
  run.records.resize(requests.size());
  Progress counter(progress);
  const Clock::time_point start = Clock::now();
  run_scheduled(
      requests.size(), [&](std::size_t i) { return requests[i].arrival_s; }, max_concurrency, start,
      [&](std::size_t i) {
        run.records[i] = send_request(target, requests[i], start);
        counter.count(run.records[i]);
      });
  run.duration_s = std::chrono::duration<double>(Clock::now() - start).count();
  return run;
}

LoadRun run_conversations(const Target& target, const std::vector<Conversation>& conversations,
                          std::size_t max_concurrency,
                          const std::function<void(std::size_t, std::size_t)>& progress) {
  LoadRun run;
  std::vector<std::size_t> first;  // each conversation's first record
  for (const Conversation& c : conversations) {
    first.push_back(run.records.size());
    run.records.resize(run.records.size() + c.turns.size());
  }
  Progress counter(progress);
  const Clock::time_point start = Clock::now();
  run_scheduled(
      conversations.size(), [&](std::size_t i) { return conversations[i].arrival_s; },
      max_concurrency, start,
      [&](std::size_t i) {
        const Conversation& c = conversations[i];
        nlohmann::json messages = nlohmann::json::array();
        if (!target.system_prompt.empty())
          messages.push_back({{"role", "system"}, {"content", target.system_prompt}});
        bool ok = true;
        for (std::size_t k = 0; k < c.turns.size(); ++k) {
          RequestRecord& rec = run.records[first[i] + k];
          if (!ok) {
            rec.error = "not sent: an earlier turn of its conversation failed";
          } else {
            if (k > 0 && c.think_s > 0)
              std::this_thread::sleep_for(std::chrono::duration<double>(c.think_s));
            messages.push_back({{"role", "user"}, {"content", c.turns[k].prompt_text}});
            LoadRequest r = c.turns[k];
            r.messages = messages;
            r.session_id = c.session_id;
            rec = send_request(target, r, start);
            ok = rec.success;
            messages.push_back({{"role", "assistant"}, {"content", rec.text}});
          }
          counter.count(rec);
        }
      });
  run.duration_s = std::chrono::duration<double>(Clock::now() - start).count();
  return run;
}

}  // namespace odma::server
