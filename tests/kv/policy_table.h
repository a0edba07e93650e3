// Iteration-table tests for KV policies (TensorRT-LLM style): each row is one call and what must
// hold after it — the status and the request's extents ({} = not live) — so a table reads as a
// specification of the policy. validate() runs after every row.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "kv/policy.h"

namespace odma::kv {

// Readable gtest output for the table's values.
inline void PrintTo(const Extent& e, std::ostream* os) {
  *os << "[" << e.offset << ", +" << e.length << ")";
}
inline void PrintTo(const CopyOp& c, std::ostream* os) {
  *os << "copy " << c.length << " @" << c.src_offset << "→@" << c.dst_offset;
}

}  // namespace odma::kv

namespace odma::kv::testing {

enum class Op { kAdmit, kGrow, kFinish, kRelease, kPreempt };

struct Row {
  Op op = Op::kAdmit;
  RequestId id = 0;
  std::int64_t tokens = 0;     // admit: prompt; grow: total tokens; finish: output tokens
  std::int32_t predicted = 0;  // admit: predicted output tokens
  Status expect = Status::kOk;
  std::vector<Extent> extents;        // the request's extents after the call ({} = not live)
  std::vector<CopyOp> copies = {};    // CopyOps the call must return
  std::int32_t max_output = 200;      // admit: generation cap
  double uncertainty = 0.0;           // admit
  std::int32_t truth = -1;            // admit: true output length (oracle)
  std::int32_t generated_before = 0;  // admit: output produced before a preemption
  std::shared_ptr<const LengthDistribution> distribution = nullptr;  // admit: predicted lengths
  double coverage = 0.0;                                             // admit: its quantile
};

inline RequestSpec spec_of(const Row& r) {
  RequestSpec s;
  s.id = r.id;
  s.prompt_tokens = static_cast<std::int32_t>(r.tokens);
  s.max_output_tokens = r.max_output;
  s.prediction.output_tokens = r.predicted;
  s.prediction.uncertainty = r.uncertainty;
  s.prediction.true_output_tokens = r.truth;
  s.generated_before_preemption = r.generated_before;
  s.prediction.distribution = r.distribution;
  s.prediction.coverage = r.coverage;
  return s;
}

inline void run_table(Policy& policy, const std::vector<Row>& rows) {
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const Row& r = rows[i];
    SCOPED_TRACE("row " + std::to_string(i + 1) + " (request " + std::to_string(r.id) + ")");
    Status got = Status::kOk;
    std::vector<CopyOp> copies;
    switch (r.op) {
      case Op::kAdmit: {
        AdmitResult a = policy.admit(spec_of(r));
        got = a.status;
        copies = a.copies;
        break;
      }
      case Op::kGrow: {
        GrowResult g = policy.grow(r.id, r.tokens);
        got = g.status;
        copies = g.copies;
        break;
      }
      case Op::kFinish:
        got = policy.finish(r.id, static_cast<std::int32_t>(r.tokens));
        break;
      case Op::kRelease:
        got = policy.release(r.id);
        break;
      case Op::kPreempt:
        got = policy.preempt(r.id);
        break;
    }
    EXPECT_EQ(to_string(got), to_string(r.expect));
    const Allocation* a = policy.allocation(r.id);
    EXPECT_EQ(a == nullptr ? std::vector<Extent>{} : a->extents, r.extents);
    EXPECT_EQ(copies, r.copies);
    EXPECT_EQ(policy.validate(), "");
  }
}

// A fingerprint of everything observable about `policy` for the requests `ids` (deferrals
// excluded: kDeferred is allowed to count itself). Equal before and after a call ⇔ the call left
// the state unchanged, as the transactional contract demands of errors and deferrals.
template <typename Ids>
std::uint64_t state_digest(const Policy& policy, const Ids& ids) {
  std::uint64_t h = 1469598103934665603ULL;
  auto mix = [&h](std::int64_t v) { h = (h ^ static_cast<std::uint64_t>(v)) * 1099511628211ULL; };
  const KvCounters c = policy.counters();
  for (std::int64_t v :
       {c.admitted, c.overflows, c.grow_in_place, c.migrations, c.chains, c.preemptions,
        c.compaction_moves, c.copied_tokens, c.recalibrations, c.failed_requests}) {
    mix(v);
  }
  const KvGauges g = policy.gauges();
  for (std::int64_t v :
       {g.capacity, g.reserved, g.used, g.free, g.largest_free, g.safety_pool, g.live_requests}) {
    mix(v);
  }
  for (RequestId id : ids) {
    mix(static_cast<std::int64_t>(id));
    const Allocation* a = policy.allocation(id);
    if (a == nullptr) {
      mix(-1);
      continue;
    }
    mix(a->reserved);
    mix(a->used);
    for (const Extent& e : a->extents) {
      mix(e.offset);
      mix(e.length);
    }
  }
  for (std::int32_t edge : policy.bucket_edges()) mix(edge);
  return h;
}

}  // namespace odma::kv::testing
