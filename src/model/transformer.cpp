#include "model/transformer.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "base/error.h"
#include "model/safetensors.h"

namespace odma::model {
namespace {

// Bytes rounded up to whole cache lines: every array of the workspace starts on one.
std::size_t lines(std::size_t bytes) {
  return (bytes + 63) / 64 * 64;
}

}  // namespace

void ForwardWorkspace::reserve(const ModelConfig& c, int tokens) {
  const Shape shape{c.hidden_size, c.q_dim(), c.kv_dim(), c.intermediate_size, c.head_dim};
  if (shape == shape_ && tokens <= tokens_) return;
  const auto n = static_cast<std::size_t>(std::max(tokens, 1));
  // Lays every [n][width] array out from `base`, each on a cache line of its own (base nullptr:
  // only measures); returns the bytes they take.
  const auto lay_out = [&](std::byte* base) {
    std::size_t used = 0;
    const auto take = [&]<class T>(T*& array, int width) {
      if (base != nullptr) array = reinterpret_cast<T*>(base + used);
      used += lines(n * static_cast<std::size_t>(width) * sizeof(T));
    };
    take(x_, shape.hidden);
    take(h_, shape.hidden);
    take(q_, shape.q_dim);
    take(attn_, shape.q_dim);
    take(k_, shape.kv_dim);
    take(v_, shape.kv_dim);
    take(gate_, shape.intermediate);
    take(up_, shape.intermediate);
    take(cos_, shape.head_dim / 2);
    take(sin_, shape.head_dim / 2);
    take(ids_, 1);
    take(positions_, 1);
    take(head_rows_, 1);
    take(slots_, 1);
    return used;
  };
  lay_out(buffer_.reserve(lay_out(nullptr)));
  items_.resize(n);
  shape_ = shape;
  tokens_ = static_cast<int>(n);
}

Transformer::Transformer(ModelConfig config, ModelWeights weights,
                         std::shared_ptr<const Kernels> kernels)
    : config_(std::move(config)),
      weights_(std::move(weights)),
      kernels_(kernels != nullptr ? std::move(kernels) : default_kernels()) {
  const int half = config_.head_dim / 2;
  inv_freq_.resize(static_cast<std::size_t>(half));
  for (int j = 0; j < half; ++j) {
    inv_freq_[static_cast<std::size_t>(j)] =
        std::pow(config_.rope_theta, -2.0 * j / config_.head_dim);
  }
}

std::unique_ptr<Transformer> Transformer::load(const std::filesystem::path& dir,
                                               const LoadOptions& options,
                                               std::shared_ptr<const Kernels> kernels) {
  ModelConfig c = load_model_config(dir);
  SafetensorsSet tensors(dir);
  const DType dtype = resolve_weight_dtype(options, checkpoint_dtype(tensors));
  ModelWeights w = load_weights(c, tensors, dtype);
  return std::make_unique<Transformer>(std::move(c), std::move(w), std::move(kernels));
}

DType Transformer::default_kv_dtype() const {
  return weights_.dtype() == DType::kF32 ? DType::kF32 : DType::kBF16;
}

std::int64_t Transformer::kv_bytes_per_slot(std::optional<DType> kv_dtype) const {
  return static_cast<std::int64_t>(KvStorage::slot_bytes(config_.num_layers, config_.num_kv_heads,
                                                         config_.head_dim,
                                                         kv_dtype.value_or(default_kv_dtype())));
}

std::unique_ptr<KvStorage> Transformer::make_storage(std::int64_t capacity,
                                                     std::optional<DType> kv_dtype) const {
  return std::make_unique<KvStorage>(config_.num_layers, config_.num_kv_heads, config_.head_dim,
                                     capacity, kv_dtype.value_or(default_kv_dtype()));
}

void Transformer::forward(const std::vector<BatchItem>& batch, KvStorage& st, float* logits) const {
  const std::lock_guard<std::mutex> lock(workspace_mutex_);
  forward(batch, st, logits, workspace_);
}

void Transformer::forward(const std::vector<BatchItem>& batch, KvStorage& st, float* logits,
                          ForwardWorkspace& ws) const {
  const ModelConfig& c = config_;
  if (st.num_layers() != c.num_layers || st.num_kv_heads() != c.num_kv_heads ||
      st.head_dim() != c.head_dim) {
    throw Error("forward: KV arena shape does not match the model");
  }
  const auto where = [](std::size_t b) { return "forward: batch item " + std::to_string(b); };
  int T = 0;
  for (std::size_t b = 0; b < batch.size(); ++b) {
    const BatchItem& it = batch[b];
    if (it.n_tokens <= 0 || it.tokens == nullptr || it.start_pos < 0)
      throw Error(where(b) + ": no tokens");
    if (it.start_pos + it.n_tokens > it.kv.capacity()) {
      throw Error(where(b) + ": positions up to " + std::to_string(it.start_pos + it.n_tokens) +
                  " exceed its KV capacity " + std::to_string(it.kv.capacity()));
    }
    T += it.n_tokens;
  }
  if (T == 0) return;
  ws.reserve(c, T);

  // The step's index arrays, checked as they are filled: token ids, positions, KV slots and the
  // rows the head reads (the last of each item, or all of an all_logits item's).
  const int H = c.hidden_size, Q = c.q_dim(), KV = c.kv_dim(), M = c.intermediate_size;
  int row = 0, head_rows = 0;
  for (std::size_t b = 0; b < batch.size(); ++b) {
    const BatchItem& it = batch[b];
    ws.items_[b] = AttentionItem{ws.q_ + static_cast<std::size_t>(row) * Q,
                                 ws.attn_ + static_cast<std::size_t>(row) * Q, it.n_tokens,
                                 it.start_pos, &it.kv};
    for (int i = 0; i < it.n_tokens; ++i, ++row) {
      const std::int64_t slot = it.kv.slot(it.start_pos + i);
      if (slot < 0 || slot >= st.capacity()) throw Error(where(b) + ": slot outside the arena");
      if (it.tokens[i] < 0 || it.tokens[i] >= c.vocab_size) {
        throw Error(where(b) + ": token id " + std::to_string(it.tokens[i]) + " outside vocab");
      }
      ws.ids_[row] = it.tokens[i];
      ws.positions_[row] = it.start_pos + i;
      ws.slots_[row] = slot;
      if (it.all_logits || i + 1 == it.n_tokens) ws.head_rows_[head_rows++] = row;
    }
  }

  const Kernels& k = *kernels_;
  const float eps = static_cast<float>(c.rms_norm_eps);
  const std::span<const std::int64_t> slots(ws.slots_, static_cast<std::size_t>(T));
  const std::span<const AttentionItem> items(ws.items_.data(), batch.size());
  k.embed(weights_.embed.ref(), H, ws.ids_, T, ws.x_);
  k.rope_angles(ws.positions_, T, inv_freq_, ws.cos_, ws.sin_);
  for (int l = 0; l < c.num_layers; ++l) {
    const LayerWeights& w = weights_.layers[static_cast<std::size_t>(l)];
    k.rms_norm(ws.x_, T, H, w.attn_norm.data(), eps, ws.h_, nullptr);
    const Projection qkv[] = {
        {w.wq.ref(), Q, ws.q_, 0.0f}, {w.wk.ref(), KV, ws.k_, 0.0f}, {w.wv.ref(), KV, ws.v_, 0.0f}};
    k.project(ws.h_, T, H, qkv);
    if (!w.bq.empty()) k.add_bias(ws.q_, T, Q, w.bq.data());
    if (!w.bk.empty()) k.add_bias(ws.k_, T, KV, w.bk.data());
    if (!w.bv.empty()) k.add_bias(ws.v_, T, KV, w.bv.data());
    k.rope(ws.q_, T, c.num_heads, c.head_dim, ws.cos_, ws.sin_);
    k.rope(ws.k_, T, c.num_kv_heads, c.head_dim, ws.cos_, ws.sin_);
    k.store_kv(st, l, ws.k_, ws.v_, slots);
    k.attention(st, l, c.num_heads, items);
    const Projection o_proj{w.wo.ref(), H, ws.x_, 1.0f};  // residual add via beta = 1
    k.project(ws.attn_, T, Q, {&o_proj, 1});
    k.rms_norm(ws.x_, T, H, w.mlp_norm.data(), eps, ws.h_, nullptr);
    const Projection gate_up[] = {{w.w_gate.ref(), M, ws.gate_, 0.0f},
                                  {w.w_up.ref(), M, ws.up_, 0.0f}};
    k.project(ws.h_, T, H, gate_up);
    k.swiglu(ws.gate_, ws.up_, T, M);
    const Projection down{w.w_down.ref(), H, ws.x_, 1.0f};
    k.project(ws.gate_, T, M, {&down, 1});
  }

  // Final norm of the rows the head reads, gathered into h, then the head.
  k.rms_norm(ws.x_, head_rows, H, weights_.final_norm.data(), eps, ws.h_, ws.head_rows_);
  const Projection head{weights_.head().ref(), c.vocab_size, logits, 0.0f};
  k.project(ws.h_, head_rows, H, {&head, 1});
}

std::size_t logit_rows(const std::vector<BatchItem>& batch) {
  std::size_t rows = 0;
  for (const BatchItem& it : batch)
    rows += it.all_logits ? static_cast<std::size_t>(it.n_tokens) : 1;
  return rows;
}

}  // namespace odma::model
