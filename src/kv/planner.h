// Iteration-level continuous batching over a KV policy, with no model and no clock: each call to
// plan_step() decides which requests run this step (decode first, then chunked prefill), asks the
// policy for admission and growth, and returns the copies and work to execute. The engine
// (serve), the simulator (sim) and `odma replay` all drive this same planner, so policy decisions
// are identical everywhere.
//
// Token accounting: a request with prompt P that has produced g output tokens stores P + g − 1
// tokens of KV (the newest token is fed at the next decode). Prefill over positions [a, b) needs
// b slots and, on its last chunk, samples output token 1. Decoding token g + 1 writes position
// P + g − 1 and so needs P + g slots. After a preemption the request is re-queued at the front and
// recomputes its P + g − 1 context tokens by prefill (vLLM's recompute), then decodes on.
//
// Preemption (vLLM's scheduler rule, the same for every policy so that comparisons differ only in
// memory management): when the policy answers a growth with kNoRoom, the planner preempts the
// newest running request (vllm/v1/core/sched/scheduler.py: `self.running.pop()`), drops any work
// it was given this step, puts it at the front of the waiting queue and retries the growth; when
// the newest is the grower itself, the grower is preempted and the retries end. Victims popped one
// after another are prepended in turn, so they resume oldest first. A policy may still release a
// request itself on overflow (kPreempted: S3 re-admits it with the next bucket); that request
// goes to the front of the queue the same way. Copies already planned for a victim this step stay
// in the list: their destinations were free when planned and every later copy or write lands
// after them, so they are harmless.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <span>
#include <unordered_map>
#include <vector>

#include "kv/policy.h"

namespace odma::kv {

struct PlannerConfig {
  std::int32_t max_batch = 256;             // running (admitted) requests at most
  std::int32_t prefill_chunk_tokens = 512;  // prompt tokens one request prefills per step at most
  std::int32_t step_token_budget = 2048;    // tokens computed per step (decodes + prefill chunks)
};

enum class WorkKind : std::uint8_t { kPrefill, kDecode };

struct WorkItem {
  RequestId id = 0;
  WorkKind kind = WorkKind::kDecode;
  std::int32_t start_pos = 0;  // position of the first token computed this step
  std::int32_t n_tokens = 0;   // tokens computed this step (1 for a decode)
  bool emits_token = false;    // the step samples a new output token for this request
};

struct StepPlan {
  std::vector<CopyOp> copies;        // execute before computing the step, in order
  std::vector<WorkItem> items;       // decodes first, then prefill chunks
  std::vector<RequestId> admitted;   // admitted this step
  std::vector<RequestId> preempted;  // released for recompute this step (back in the queue)
  std::vector<RequestId> failed;     // rejected with an error status; never served
};

// A request that left the planner this step.
struct Completion {
  RequestId id = 0;
  std::int32_t output_tokens = 0;
  std::int64_t final_tokens = 0;  // prompt + output − shared (cached) tokens: its own tokens,
                                  //   DESIGN.md's reservation-efficiency numerator
  std::int64_t held_slots = 0;    // slots the request held at completion
  std::int32_t predicted_output_tokens = 0;  // its prediction (what the policy sized it for)
};

// Called once per request, just before its first admission attempt, to fill in its prediction:
// predictions are made as late as possible, with everything a learning predictor has seen so far.
using AdmissionPredictor = std::function<LengthPrediction(const RequestSpec& spec)>;

class StepPlanner {
 public:
  StepPlanner(Policy& policy, const PlannerConfig& config);

  // Requests submitted with `predict_at_admission` get their prediction from `predictor` at their
  // first admission attempt (nullptr: none set; such requests keep the prediction they came with).
  void set_admission_predictor(AdmissionPredictor predictor) { predictor_ = std::move(predictor); }

  // Queues a request at the back (FCFS). Throws odma::Error on a duplicate id.
  // `predict_at_admission`: ask the admission predictor for its prediction (see above).
  void submit(const RequestSpec& spec, bool predict_at_admission = false);

  // Plans one step: admission, growth (which may migrate or preempt) and the work list.
  [[nodiscard]] StepPlan plan_step();

  // After executing the last plan: `finished` lists emitting requests that stopped (EOS, stop
  // string, true length reached). A request that reached its max_output_tokens stops as well.
  // Returns the requests that completed, already finished in the policy.
  std::vector<Completion> commit_step(std::span<const RequestId> finished);

  // Drops a request wherever it is (client disconnect); frees its KV. False if unknown.
  bool cancel(RequestId id);

  std::int32_t generated(RequestId id) const;  // output tokens so far (-1 if unknown)
  std::size_t waiting() const { return waiting_.size(); }
  std::size_t running() const { return running_.size(); }
  bool done() const { return waiting_.empty() && running_.empty(); }
  std::int64_t preemptions() const { return preemptions_; }
  std::int64_t failed() const { return failed_; }
  const Policy& policy() const { return policy_; }

 private:
  struct Request {
    RequestSpec spec;
    std::int32_t generated = 0;     // output tokens produced so far
    std::int32_t computed = 0;      // context positions whose KV is written
    std::int64_t used = 0;          // slots the policy was last told this request stores
    bool needs_prediction = false;  // the admission predictor has not been asked yet
    bool running = false;           // admitted and not preempted since
  };
  std::int32_t context_target(const Request& r) const;  // KV positions needed before decoding
  void admit_waiting(StepPlan& plan);
  bool ensure_slots(Request& r, std::int64_t total, StepPlan& plan);  // false → preempted/failed
  void requeue_preempted(RequestId id, StepPlan& plan);
  // vLLM's rule after kNoRoom: preempts the newest running request; returns its id.
  RequestId preempt_newest(StepPlan& plan);
  void fail(RequestId id, StepPlan& plan);
  Completion finish(RequestId id);

  Policy& policy_;
  PlannerConfig config_;
  AdmissionPredictor predictor_;
  std::unordered_map<RequestId, Request> requests_;
  std::deque<RequestId> waiting_;
  std::vector<RequestId> running_;    // admission order
  std::vector<WorkItem> last_items_;  // the work of the last plan, applied by commit_step
  std::int32_t budget_ = 0;           // tokens the step being planned may still compute
  std::int64_t preemptions_ = 0;
  std::int64_t failed_ = 0;
};

}  // namespace odma::kv
