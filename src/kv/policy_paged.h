// paged (vLLM style): fixed blocks of `block_tokens` slots; the block table is the extent list,
// one extent per block, in logical order. Admission allocates the prompt's blocks, keeping a
// watermark of ⌊paged_watermark · total_blocks⌋ blocks free for running requests (vLLM's
// watermark; waived when nothing is live, so that any request that fits can start). Growth
// appends blocks (kChained); if there are not enough free blocks the answer is kNoRoom and the
// planner preempts the newest running request (vLLM's rule) and retries.
// Blocks are taken one by one by best fit, so the table is generally not contiguous.
//
// Invariant: extents.size() == ⌈used / block_tokens⌉, every extent is one aligned block.
#pragma once

#include "kv/policy_base.h"

namespace odma::kv {

class PagedPolicy final : public PolicyBase {
 public:
  explicit PagedPolicy(const PolicyConfig& config);
  std::string name() const override { return "paged"; }
  bool contiguous() const override { return false; }
  [[nodiscard]] AdmitResult admit(const RequestSpec& spec) override;
  [[nodiscard]] GrowResult grow(RequestId id, std::int64_t total_tokens) override;

 protected:
  std::int64_t max_slots(const RequestSpec& spec) const override {
    return blocks_for(spec.total_tokens_cap()) * block_;
  }
  std::string validate_policy() const override;
  std::int64_t prefix_block() const override { return block_; }
  std::int64_t cache_unit() const override { return block_; }

 private:
  std::int64_t blocks_for(std::int64_t tokens) const { return (tokens + block_ - 1) / block_; }
  std::int64_t free_blocks() const { return arena_.free_slots() / block_; }
  // Appends `count` blocks to `alloc`. Precondition: free_blocks() >= count.
  // `head` receives the handle of the first block when `alloc` had none.
  void append_blocks(Allocation& alloc, RequestId owner, std::int64_t count, Arena::Handle* head);

  std::int64_t block_;
  std::int64_t watermark_blocks_;
};

}  // namespace odma::kv
