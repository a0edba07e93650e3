#include "model/weights.h"

#include <cstring>

#include "base/error.h"

namespace odma::model {
namespace {

HugePageFloats to_f32(const TensorView& t) {
  HugePageFloats out(static_cast<std::size_t>(t.numel()));
  switch (t.dtype) {
    case DType::kF32:
      std::memcpy(out.data(), t.data, t.nbytes);
      break;
    case DType::kBF16:
    case DType::kF16: {
      const bool bf16 = t.dtype == DType::kBF16;
      for (std::size_t i = 0; i < out.size(); ++i) {
        std::uint16_t v;
        std::memcpy(&v, t.data + 2 * i, 2);
        out[i] = bf16 ? bf16_to_f32(v) : f16_to_f32(v);
      }
      break;
    }
  }
  return out;
}

class Loader {
 public:
  explicit Loader(const SafetensorsSet& set) : set_(set) {}
  HugePageFloats load(const std::string& name, std::vector<std::int64_t> shape) const {
    const TensorView& t = set_.get(name);
    if (t.shape != shape) {
      throw Error(t.file + ": tensor " + name + " has shape " + shape_to_string(t.shape) +
                  " but config.json implies " + shape_to_string(shape));
    }
    return to_f32(t);
  }

 private:
  const SafetensorsSet& set_;
};

std::string layer_prefix(int i) {
  return "model.layers." + std::to_string(i) + ".";
}

}  // namespace

std::vector<std::pair<const float*, std::size_t>> ModelWeights::spans() const {
  std::vector<std::pair<const float*, std::size_t>> out;
  for (const auto* v : {&embed, &final_norm, &lm_head})
    if (!v->empty()) out.emplace_back(v->data(), v->size());
  for (const auto& l : layers) {
    for (const auto* v : {&l.attn_norm, &l.wq, &l.wk, &l.wv, &l.bq, &l.bk, &l.bv, &l.wo,
                          &l.mlp_norm, &l.w_gate, &l.w_up, &l.w_down}) {
      if (!v->empty()) out.emplace_back(v->data(), v->size());
    }
  }
  return out;
}

std::size_t ModelWeights::bytes() const {
  std::size_t n = 0;
  for (const auto& [data, floats] : spans()) n += floats;
  return n * sizeof(float);
}

std::vector<TensorSpec> expected_tensors(const ModelConfig& c, DType dtype) {
  const std::int64_t h = c.hidden_size, q = c.q_dim(), kv = c.kv_dim(), m = c.intermediate_size;
  std::vector<TensorSpec> specs;
  auto add = [&](std::string name, std::vector<std::int64_t> shape) {
    specs.push_back(TensorSpec{std::move(name), dtype, std::move(shape)});
  };
  add("model.embed_tokens.weight", {c.vocab_size, h});
  for (int i = 0; i < c.num_layers; ++i) {
    const std::string p = layer_prefix(i);
    add(p + "input_layernorm.weight", {h});
    add(p + "self_attn.q_proj.weight", {q, h});
    add(p + "self_attn.k_proj.weight", {kv, h});
    add(p + "self_attn.v_proj.weight", {kv, h});
    if (c.attention_bias) {
      add(p + "self_attn.q_proj.bias", {q});
      add(p + "self_attn.k_proj.bias", {kv});
      add(p + "self_attn.v_proj.bias", {kv});
    }
    add(p + "self_attn.o_proj.weight", {h, q});
    add(p + "post_attention_layernorm.weight", {h});
    add(p + "mlp.gate_proj.weight", {m, h});
    add(p + "mlp.up_proj.weight", {m, h});
    add(p + "mlp.down_proj.weight", {h, m});
  }
  add("model.norm.weight", {h});
  if (!c.tie_word_embeddings) add("lm_head.weight", {c.vocab_size, h});
  return specs;
}

ModelWeights load_weights(const ModelConfig& c, const SafetensorsSet& set) {
  Loader ld(set);
  const std::int64_t h = c.hidden_size, q = c.q_dim(), kv = c.kv_dim(), m = c.intermediate_size;
  ModelWeights w;
  w.embed = ld.load("model.embed_tokens.weight", {c.vocab_size, h});
  w.layers.resize(static_cast<std::size_t>(c.num_layers));
  for (int i = 0; i < c.num_layers; ++i) {
    const std::string p = layer_prefix(i);
    LayerWeights& l = w.layers[static_cast<std::size_t>(i)];
    l.attn_norm = ld.load(p + "input_layernorm.weight", {h});
    l.wq = ld.load(p + "self_attn.q_proj.weight", {q, h});
    l.wk = ld.load(p + "self_attn.k_proj.weight", {kv, h});
    l.wv = ld.load(p + "self_attn.v_proj.weight", {kv, h});
    if (c.attention_bias) {
      l.bq = ld.load(p + "self_attn.q_proj.bias", {q});
      l.bk = ld.load(p + "self_attn.k_proj.bias", {kv});
      l.bv = ld.load(p + "self_attn.v_proj.bias", {kv});
    }
    l.wo = ld.load(p + "self_attn.o_proj.weight", {h, q});
    l.mlp_norm = ld.load(p + "post_attention_layernorm.weight", {h});
    l.w_gate = ld.load(p + "mlp.gate_proj.weight", {m, h});
    l.w_up = ld.load(p + "mlp.up_proj.weight", {m, h});
    l.w_down = ld.load(p + "mlp.down_proj.weight", {h, m});
  }
  w.final_norm = ld.load("model.norm.weight", {h});
  if (!c.tie_word_embeddings) {
    // Some tied checkpoints still list lm_head; untied ones must have it.
    w.lm_head = ld.load("lm_head.weight", {c.vocab_size, h});
  }
  return w;
}

}  // namespace odma::model
