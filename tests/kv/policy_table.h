// Iteration-table tests for KV policies (TensorRT-LLM style): each row is one call and what must
// hold after it — the status and the request's extents ({} = not live) — so a table reads as a
// specification of the policy. validate() runs after every row.
#pragma once

#include <gtest/gtest.h>

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

enum class Op { kAdmit, kGrow, kFinish, kRelease };

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
    }
    EXPECT_EQ(to_string(got), to_string(r.expect));
    const Allocation* a = policy.allocation(r.id);
    EXPECT_EQ(a == nullptr ? std::vector<Extent>{} : a->extents, r.extents);
    EXPECT_EQ(copies, r.copies);
    EXPECT_EQ(policy.validate(), "");
  }
}

}  // namespace odma::kv::testing
