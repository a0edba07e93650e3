// Base of the contiguous policies (static, s3, oracle, odma): a request is admitted with one
// extent of `reservation(spec)` slots at the best-fitting free range; growth within the
// reservation only records `used`; growth past it is the policy's `overflow()` decision
// (default: release the request itself for recompute, as S3 does: its next admission takes the next
// bucket).
#pragma once

#include <optional>

#include "kv/policy_base.h"

namespace odma::kv {

class ContiguousPolicy : public PolicyBase {
 public:
  [[nodiscard]] AdmitResult admit(const RequestSpec& spec) override;
  [[nodiscard]] GrowResult grow(RequestId id, std::int64_t total_tokens) override;
  bool contiguous() const override { return true; }

 private:
  struct Placement {
    std::int64_t need = 0;        // slots reserved
    std::int32_t own_prompt = 0;  // prompt tokens the request computes itself
    std::optional<std::int64_t> offset;
    Arena::Handle head{};
  };
  // Finds room for the request less `hit`'s shared tokens: evicting unread cached ranges, then
  // compacting; nullopt (and nothing changed but evictions) when there is none.
  std::optional<Placement> place(const RequestSpec& spec, PrefixHit& hit,
                                 std::vector<CopyOp>& copies);

 protected:
  explicit ContiguousPolicy(const PolicyConfig& config) : PolicyBase(config, config.granule) {}

  // Slots to reserve at admission: granule-rounded, >= round_up(prompt), <= round_up(cap).
  virtual std::int64_t reservation(const RequestSpec& spec) const = 0;
  // Whether admission may take `need` slots now (odma: the safety pool stays free).
  virtual bool admission_allowed(std::int64_t /*need*/) const { return true; }
  // Called when no free range holds `need` at admission; may compact (appending its copies) and
  // return the offset it allocated. Must change nothing when it returns nullopt.
  virtual std::optional<std::int64_t> place_after_compaction(std::int64_t /*need*/,
                                                             RequestId /*id*/,
                                                             std::vector<CopyOp>& /*copies*/) {
    return std::nullopt;
  }
  // Growth past the reservation. `total_tokens` passed check_growth and exceeds alloc.reserved.
  virtual GrowResult overflow(Live& live, std::int64_t /*total_tokens*/) {
    return preempt_self(live.spec.id);
  }
};

}  // namespace odma::kv
