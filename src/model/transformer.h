// The decoder forward pass on CPU for a batch of sequences (Llama / Qwen2 family).
//
// Per layer:  x += o_proj(attention(rope(q), rope(k), v))  with q,k,v = proj(rmsnorm(x)) (+ bias)
//             x += down(silu(gate(h)) * up(h))             with h = rmsnorm(x)
// then logits = head(rmsnorm(x)) for the last token of every batch item. Activations, norms and
// the residual stream are F32 whatever the weights' and K/V's dtype (weights.h, kv_storage.h).
//
// Batching: a BatchItem is one request's step — a prefill chunk (n_tokens > 1) or a decode token
// (n_tokens == 1) at positions [start_pos, start_pos + n_tokens). Its K/V for positions
// [0, start_pos) must already be in `storage` where `kv` says; the pass writes positions
// [start_pos, start_pos + n_tokens) to slot kv.slot(p) of every plane. All tokens of the batch go
// through each projection at once, and attention covers the whole batch: both through the kernel
// seam (model/kernels.h), as do the KV copies the engine asks for.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "model/config.h"
#include "model/kernels.h"
#include "model/kv_storage.h"
#include "model/weights.h"

namespace odma::model {

struct BatchItem {
  const std::int32_t* tokens = nullptr;  // n_tokens ids
  int n_tokens = 0;
  int start_pos = 0;  // position of tokens[0]
  SeqKv kv;           // where this sequence's K/V live
  // Logits for every token of the item (scoring a prompt), not only for its last one.
  bool all_logits = false;
};

// Rows of logits forward() writes for `batch`: one per item, n_tokens for an all_logits item.
std::size_t logit_rows(const std::vector<BatchItem>& batch);

class Transformer {
 public:
  // `kernels` nullptr = default_kernels() (this machine's CPU set).
  Transformer(ModelConfig config, ModelWeights weights,
              std::shared_ptr<const Kernels> kernels = nullptr);
  // config.json (+ generation_config.json) and safetensors of a model directory; weights held in
  // options.dtype (default: the checkpoint's, weights.h).
  static std::unique_ptr<Transformer> load(const std::filesystem::path& dir,
                                           const LoadOptions& options = {},
                                           std::shared_ptr<const Kernels> kernels = nullptr);

  const ModelConfig& config() const { return config_; }
  const ModelWeights& weights() const { return weights_; }
  const Kernels& kernels() const { return *kernels_; }

  // The K/V dtype an arena gets unless told: F32 for F32 weights, else BF16 (`--kv-dtype`).
  DType default_kv_dtype() const;
  // Bytes of one KV slot (all layers, K and V) in `kv_dtype` (default: default_kv_dtype()).
  std::int64_t kv_bytes_per_slot(std::optional<DType> kv_dtype = std::nullopt) const;
  // An arena shaped for this model.
  std::unique_ptr<KvStorage> make_storage(std::int64_t capacity_slots,
                                          std::optional<DType> kv_dtype = std::nullopt) const;

  // Runs one step for every item; writes logit_rows(batch) × vocab_size logits, item by item: the
  // last token's row, or every token's for an all_logits item. Throws odma::Error on bad ids,
  // positions beyond an item's KV, or a mismatched arena.
  void forward(const std::vector<BatchItem>& batch, KvStorage& storage, float* logits) const;

  // Executes a KV policy's copies (migrations, compaction) in `storage`; see Kernels::copy_kv.
  void copy_kv(KvStorage& storage, std::span<const kv::CopyOp> ops) const {
    kernels_->copy_kv(storage, ops);
  }

 private:
  ModelConfig config_;
  ModelWeights weights_;
  std::shared_ptr<const Kernels> kernels_;
};

}  // namespace odma::model
