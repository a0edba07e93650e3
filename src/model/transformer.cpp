#include "model/transformer.h"

#include <cmath>

#include "base/error.h"
#include "model/safetensors.h"

namespace odma::model {
namespace {

void add_bias(float* y, int t, const HugePageFloats& b) {
  if (b.empty()) return;
  const std::size_t n = b.size();
  for (int i = 0; i < t; ++i) {
    float* row = y + static_cast<std::size_t>(i) * n;
    for (std::size_t j = 0; j < n; ++j) row[j] += b[j];
  }
}

void rmsnorm(const float* x, const HugePageFloats& w, int dim, float eps, float* y) {
  double ss = 0.0;
  for (int i = 0; i < dim; ++i) ss += static_cast<double>(x[i]) * x[i];
  const float inv = static_cast<float>(1.0 / std::sqrt(ss / dim + static_cast<double>(eps)));
  for (int i = 0; i < dim; ++i) y[i] = x[i] * inv * w[static_cast<std::size_t>(i)];
}

// Rotate-half RoPE on `heads` heads of one token: pairs (i, i + d/2).
void rope(float* v, int heads, int hd, const float* cos, const float* sin) {
  const int half = hd / 2;
  for (int h = 0; h < heads; ++h) {
    float* x = v + static_cast<std::size_t>(h) * hd;
    for (int i = 0; i < half; ++i) {
      const float a = x[i], b = x[i + half];
      x[i] = a * cos[i] - b * sin[i];
      x[i + half] = b * cos[i] + a * sin[i];
    }
  }
}

}  // namespace

Transformer::Transformer(ModelConfig config, ModelWeights weights,
                         std::shared_ptr<const Kernels> kernels)
    : config_(std::move(config)),
      weights_(std::move(weights)),
      kernels_(kernels != nullptr ? std::move(kernels) : default_kernels()) {}

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
  const ModelConfig& c = config_;
  if (st.num_layers() != c.num_layers || st.num_kv_heads() != c.num_kv_heads ||
      st.head_dim() != c.head_dim) {
    throw Error("forward: KV arena shape does not match the model");
  }
  const int H = c.hidden_size, Q = c.q_dim(), KV = c.kv_dim(), M = c.intermediate_size;
  const int hd = c.head_dim, half = hd / 2;
  const float eps = static_cast<float>(c.rms_norm_eps);
  int T = 0;
  for (std::size_t b = 0; b < batch.size(); ++b) {
    const BatchItem& it = batch[b];
    const std::string where = "forward: batch item " + std::to_string(b);
    if (it.n_tokens <= 0 || it.tokens == nullptr || it.start_pos < 0)
      throw Error(where + ": no tokens");
    if (it.start_pos + it.n_tokens > it.kv.capacity()) {
      throw Error(where + ": positions up to " + std::to_string(it.start_pos + it.n_tokens) +
                  " exceed its KV capacity " + std::to_string(it.kv.capacity()));
    }
    for (int i = 0; i < it.n_tokens; ++i) {
      const std::int64_t slot = it.kv.slot(it.start_pos + i);
      if (slot < 0 || slot >= st.capacity()) throw Error(where + ": slot outside the arena");
      if (it.tokens[i] < 0 || it.tokens[i] >= c.vocab_size) {
        throw Error(where + ": token id " + std::to_string(it.tokens[i]) + " outside vocab");
      }
    }
    T += it.n_tokens;
  }
  if (T == 0) return;
  const std::size_t t = static_cast<std::size_t>(T);
  std::vector<float> x(t * H), h(t * H), q(t * Q), k(t * KV), v(t * KV), attn(t * Q);
  std::vector<float> gate(t * M), up(t * M), cos(t * half), sin(t * half);
  std::vector<std::int64_t> slots(t);

  // Embeddings, RoPE tables and destination slots, token by token.
  std::vector<double> inv_freq(static_cast<std::size_t>(half));
  for (int i = 0; i < half; ++i) inv_freq[i] = std::pow(c.rope_theta, -2.0 * i / hd);
  std::size_t r = 0;
  for (const BatchItem& it : batch) {
    for (int i = 0; i < it.n_tokens; ++i, ++r) {
      weights_.embed.row_to_f32(it.tokens[i], x.data() + r * H);
      const int pos = it.start_pos + i;
      for (int j = 0; j < half; ++j) {
        const double angle = pos * inv_freq[j];
        cos[r * half + j] = static_cast<float>(std::cos(angle));
        sin[r * half + j] = static_cast<float>(std::sin(angle));
      }
      slots[r] = it.kv.slot(pos);
    }
  }
  std::vector<AttentionItem> items(batch.size());
  for (std::size_t b = 0, row = 0; b < batch.size(); ++b) {
    items[b] = AttentionItem{q.data() + row * Q, attn.data() + row * Q, batch[b].n_tokens,
                             batch[b].start_pos, &batch[b].kv};
    row += static_cast<std::size_t>(batch[b].n_tokens);
  }

  for (int l = 0; l < c.num_layers; ++l) {
    const LayerWeights& w = weights_.layers[static_cast<std::size_t>(l)];
    for (std::size_t i = 0; i < t; ++i) rmsnorm(&x[i * H], w.attn_norm, H, eps, &h[i * H]);
    const Projection qkv[] = {{w.wq.ref(), Q, q.data(), 0.0f},
                              {w.wk.ref(), KV, k.data(), 0.0f},
                              {w.wv.ref(), KV, v.data(), 0.0f}};
    kernels_->project(h.data(), T, H, qkv);
    add_bias(q.data(), T, w.bq);
    add_bias(k.data(), T, w.bk);
    add_bias(v.data(), T, w.bv);
    for (std::size_t i = 0; i < t; ++i) {
      rope(&q[i * Q], c.num_heads, hd, &cos[i * half], &sin[i * half]);
      rope(&k[i * KV], c.num_kv_heads, hd, &cos[i * half], &sin[i * half]);
    }
    kernels_->store_kv(st, l, k.data(), v.data(), slots);
    kernels_->attention(st, l, c.num_heads, items);
    const Projection o_proj{w.wo.ref(), H, x.data(), 1.0f};  // residual add via beta = 1
    kernels_->project(attn.data(), T, Q, {&o_proj, 1});
    for (std::size_t i = 0; i < t; ++i) rmsnorm(&x[i * H], w.mlp_norm, H, eps, &h[i * H]);
    const Projection gate_up[] = {{w.w_gate.ref(), M, gate.data(), 0.0f},
                                  {w.w_up.ref(), M, up.data(), 0.0f}};
    kernels_->project(h.data(), T, H, gate_up);
    for (std::size_t i = 0; i < gate.size(); ++i) {
      const float g = gate[i];
      gate[i] = g / (1.0f + std::exp(-g)) * up[i];
    }
    const Projection down{w.w_down.ref(), H, x.data(), 1.0f};
    kernels_->project(gate.data(), T, M, {&down, 1});
  }

  // Final norm and head for the last token of each item (every token of an all_logits item).
  const std::size_t rows = logit_rows(batch);
  std::vector<float> last(rows * H);
  for (std::size_t b = 0, row = 0, out = 0; b < batch.size(); ++b) {
    const auto n = static_cast<std::size_t>(batch[b].n_tokens);
    for (std::size_t tok = batch[b].all_logits ? 0 : n - 1; tok < n; ++tok)
      rmsnorm(&x[(row + tok) * H], weights_.final_norm, H, eps, &last[out++ * H]);
    row += n;
  }
  const Projection head{weights_.head().ref(), c.vocab_size, logits, 0.0f};
  kernels_->project(last.data(), static_cast<int>(rows), H, {&head, 1});
}

std::size_t logit_rows(const std::vector<BatchItem>& batch) {
  std::size_t rows = 0;
  for (const BatchItem& it : batch)
    rows += it.all_logits ? static_cast<std::size_t>(it.n_tokens) : 1;
  return rows;
}

}  // namespace odma::model
