// Iteration-table checks for the step planner: the work one plan_step() lists, row by row, in the
// planner's order (decodes first, then prefill chunks).
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "kv/planner.h"

namespace odma::kv::testing {

// Expected work of one step, in the order the planner lists it. Not named Row: policy_table.h's
// Row lives in this namespace too, and two types of one name in one binary break the ODR.
struct WorkRow {
  RequestId id;
  WorkKind kind;
  std::int32_t start;
  std::int32_t n;
  bool emits;
};

// `step` only labels the failure messages.
inline void expect_items(const StepPlan& plan, const std::vector<WorkRow>& rows, int step = 0) {
  ASSERT_EQ(plan.items.size(), rows.size()) << "step " << step;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const WorkItem& w = plan.items[i];
    EXPECT_EQ(w.id, rows[i].id) << "step " << step << " item " << i;
    EXPECT_EQ(w.kind, rows[i].kind) << "step " << step << " item " << i;
    EXPECT_EQ(w.start_pos, rows[i].start) << "step " << step << " item " << i;
    EXPECT_EQ(w.n_tokens, rows[i].n) << "step " << step << " item " << i;
    EXPECT_EQ(w.emits_token, rows[i].emits) << "step " << step << " item " << i;
  }
}

}  // namespace odma::kv::testing
