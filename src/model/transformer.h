// The decoder forward pass for a batch of sequences (Llama / Qwen2 family).
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
// through each operation at once — embedding, norms, RoPE, projections, attention, SwiGLU, the
// head — every one through the kernel seam (model/kernels.h), as do the KV copies the engine asks
// for; forward() itself only checks the batch, fills the step's index arrays (ids, positions, KV
// slots, logit rows) and sequences kernel calls on a ForwardWorkspace.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <vector>

#include "model/config.h"
#include "model/cpu/aligned_buffer.h"
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

// Every activation of a step (residual stream, normed rows, q/k/v, attention output, gate/up, RoPE
// angles) and its index arrays (token ids, positions, KV slots, the rows the head reads), in one
// 64-byte-aligned buffer with room for `tokens()` token rows of one model shape. Sized once (the
// engine: for its step-token budget) and grown only when a step brings more tokens, so a steady
// forward() allocates nothing. Per token row: 4 × (2 hidden + 2 q_dim + 2 kv_dim +
// 2 intermediate + head_dim) + 20 bytes (qwen2-0.5b-shape: 53 KiB; R1-7B: 209 KiB), plus one
// AttentionItem per row (a batch has at most one item per token).
class ForwardWorkspace {
 public:
  ForwardWorkspace() = default;
  ForwardWorkspace(const ModelConfig& config, int tokens) { reserve(config, tokens); }

  // Room for `tokens` rows of `config`'s shape; reallocates only to grow (or for another shape).
  void reserve(const ModelConfig& config, int tokens);
  int tokens() const { return tokens_; }
  std::size_t bytes() const { return buffer_.capacity(); }

 private:
  friend class Transformer;
  struct Shape {
    int hidden = 0, q_dim = 0, kv_dim = 0, intermediate = 0, head_dim = 0;
    bool operator==(const Shape&) const = default;
  };

  Shape shape_;
  int tokens_ = 0;
  cpu::AlignedBuffer<std::byte> buffer_;
  // Views into buffer_, each [tokens_][width]:
  float *x_ = nullptr, *h_ = nullptr;                   // hidden: residual stream, normed rows
  float *q_ = nullptr, *attn_ = nullptr;                // q_dim: queries, attention output
  float *k_ = nullptr, *v_ = nullptr;                   // kv_dim
  float *gate_ = nullptr, *up_ = nullptr;               // intermediate (gate then SwiGLU's output)
  float *cos_ = nullptr, *sin_ = nullptr;               // head_dim / 2: the rows' RoPE angles
  std::int32_t *ids_ = nullptr, *positions_ = nullptr;  // per token row
  std::int32_t* head_rows_ = nullptr;                   // the rows the logits come from
  std::int64_t* slots_ = nullptr;                       // per token row: its KV slot
  std::vector<AttentionItem> items_;                    // one per batch item (≤ tokens_)
};

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
  // positions beyond an item's KV, or a mismatched arena. Activations live in `workspace` (grown
  // if the batch has more tokens than it holds): the engine keeps its own.
  void forward(const std::vector<BatchItem>& batch, KvStorage& storage, float* logits,
               ForwardWorkspace& workspace) const;
  // The same on the model's own workspace, one caller at a time (a mutex: tests, benchmarks).
  void forward(const std::vector<BatchItem>& batch, KvStorage& storage, float* logits) const;
  // A workspace for steps of up to `tokens` token rows of this model.
  ForwardWorkspace make_workspace(int tokens) const { return ForwardWorkspace(config_, tokens); }

  // Executes a KV policy's copies (migrations, compaction) in `storage`; see Kernels::copy_kv.
  void copy_kv(KvStorage& storage, std::span<const kv::CopyOp> ops) const {
    kernels_->copy_kv(storage, ops);
  }

 private:
  ModelConfig config_;
  ModelWeights weights_;
  std::shared_ptr<const Kernels> kernels_;
  std::vector<double> inv_freq_;  // RoPE: theta^(−2j / head_dim), j < head_dim / 2
  mutable std::mutex workspace_mutex_;
  mutable ForwardWorkspace workspace_;  // of the three-argument forward()
};

}  // namespace odma::model
