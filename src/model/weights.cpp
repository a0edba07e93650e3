#include "model/weights.h"

#include <cstdint>
#include <cstring>

#include "base/error.h"
#include "model/cpu/bf16.h"
#include "model/int8_weights.h"

namespace odma::model {
namespace {

// Element i of a checkpoint tensor, widened to F32 (exact for F32, BF16 and F16).
float element(const TensorView& t, std::size_t i) {
  if (t.dtype == DType::kF32) {
    float f;
    std::memcpy(&f, t.data + 4 * i, 4);
    return f;
  }
  std::uint16_t v;
  std::memcpy(&v, t.data + 2 * i, 2);
  return t.dtype == DType::kBF16 ? cpu::to_f32(v) : f16_to_f32(v);
}

void convert_into(const TensorView& t, DType to, std::byte* out) {
  const std::size_t n = static_cast<std::size_t>(t.numel());
  // The bulk converters want naturally aligned input; a tensor may start at any byte of the file.
  const bool aligned = reinterpret_cast<std::uintptr_t>(t.data) % element_size(t.dtype) == 0;
  if (t.dtype == to) {
    std::memcpy(out, t.data, t.nbytes);
  } else if (aligned && t.dtype == DType::kBF16 && to == DType::kF32) {
    cpu::convert_bf16_to_f32(reinterpret_cast<const std::uint16_t*>(t.data),
                             reinterpret_cast<float*>(out), n);
  } else if (aligned && t.dtype == DType::kF32 && to == DType::kBF16) {
    cpu::convert_f32_to_bf16(reinterpret_cast<const float*>(t.data),
                             reinterpret_cast<std::uint16_t*>(out), n);
  } else if (to == DType::kF32) {
    auto* f = reinterpret_cast<float*>(out);
    for (std::size_t i = 0; i < n; ++i) f[i] = element(t, i);
  } else {
    auto* b = reinterpret_cast<std::uint16_t*>(out);
    for (std::size_t i = 0; i < n; ++i) b[i] = cpu::to_bf16(element(t, i));
  }
}

class Loader {
 public:
  Loader(const SafetensorsSet& set, DType dtype) : set_(set), dtype_(dtype) {}

  WeightMatrix matrix(const std::string& name, std::int64_t rows, std::int64_t cols) const {
    const TensorView& t = checked(name, {rows, cols});
    WeightMatrix m(dtype_, rows, cols);
    if (dtype_ == DType::kI8) {
      quantize_rows(t, m);
    } else {
      convert_into(t, dtype_, m.mutable_data());
    }
    set_.release(t);
    return m;
  }

  HugePageFloats vector(const std::string& name, std::int64_t n) const {
    const TensorView& t = checked(name, {n});
    HugePageFloats out(static_cast<std::size_t>(n));
    convert_into(t, DType::kF32, reinterpret_cast<std::byte*>(out.data()));
    set_.release(t);
    return out;
  }

 private:
  // Row by row through one F32 row, so loading needs no F32 copy of the tensor.
  static void quantize_rows(const TensorView& t, WeightMatrix& m) {
    const std::size_t cols = static_cast<std::size_t>(m.cols());
    std::vector<float> row(cols);
    for (std::int64_t r = 0; r < m.rows(); ++r) {
      const std::size_t first = static_cast<std::size_t>(r) * cols;
      for (std::size_t c = 0; c < cols; ++c) row[c] = element(t, first + c);
      quantize_row_int8(m, r, row.data());
    }
  }

  const TensorView& checked(const std::string& name, const std::vector<std::int64_t>& shape) const {
    const TensorView& t = set_.get(name);
    if (t.shape != shape) {
      throw Error(t.file + ": tensor " + name + " has shape " + shape_to_string(t.shape) +
                  " but config.json implies " + shape_to_string(shape));
    }
    return t;
  }

  const SafetensorsSet& set_;
  DType dtype_;
};

std::string layer_prefix(int i) {
  return "model.layers." + std::to_string(i) + ".";
}

}  // namespace

std::vector<std::pair<const std::byte*, std::size_t>> ModelWeights::spans() const {
  std::vector<std::pair<const std::byte*, std::size_t>> out;
  auto add = [&](const HugePageFloats& v) {
    if (!v.empty())
      out.emplace_back(reinterpret_cast<const std::byte*>(v.data()), v.size() * sizeof(float));
  };
  auto add_matrix = [&](const WeightMatrix& m) {
    if (!m.empty()) out.emplace_back(m.data(), m.bytes());
  };
  add_matrix(embed);
  add(final_norm);
  add_matrix(lm_head);
  for (const auto& l : layers) {
    add(l.attn_norm);
    for (const auto* m : {&l.wq, &l.wk, &l.wv}) add_matrix(*m);
    for (const auto* v : {&l.bq, &l.bk, &l.bv}) add(*v);
    add_matrix(l.wo);
    add(l.mlp_norm);
    for (const auto* m : {&l.w_gate, &l.w_up, &l.w_down}) add_matrix(*m);
  }
  return out;
}

std::size_t ModelWeights::bytes() const {
  std::size_t n = 0;
  for (const auto& [data, bytes] : spans()) n += bytes;
  return n;
}

std::size_t ModelWeights::parameters() const {
  std::size_t n = 0;
  auto matrix = [](const WeightMatrix& m) {
    return static_cast<std::size_t>(m.rows()) * static_cast<std::size_t>(m.cols());
  };
  n += matrix(embed) + matrix(lm_head) + final_norm.size();
  for (const auto& l : layers) {
    n += l.attn_norm.size() + l.mlp_norm.size() + l.bq.size() + l.bk.size() + l.bv.size();
    for (const auto* m : {&l.wq, &l.wk, &l.wv, &l.wo, &l.w_gate, &l.w_up, &l.w_down})
      n += matrix(*m);
  }
  return n;
}

DType ModelWeights::dtype() const {
  return layers.empty() ? embed.dtype() : layers.front().wq.dtype();
}

DType resolve_weight_dtype(const LoadOptions& options, DType checkpoint) {
  if (options.dtype) return *options.dtype;
  return checkpoint == DType::kF32 ? DType::kF32 : DType::kBF16;
}

std::optional<DType> parse_dtype_flag(const std::string& value, const std::string& flag) {
  if (value == "auto") return std::nullopt;
  if (value == "bf16" || value == "bfloat16") return DType::kBF16;
  if (value == "f32" || value == "float32" || value == "float") return DType::kF32;
  throw Error(flag + ": unknown dtype \"" + value + "\" (auto, bf16, f32)");
}

std::optional<DType> parse_weight_flags(const std::string& dtype, const std::string& quantization) {
  const std::optional<DType> d = parse_dtype_flag(dtype, "--dtype");
  if (quantization == "none") return d;
  if (quantization != "int8")
    throw Error("--quantization: unknown method \"" + quantization + "\" (none, int8)");
  if (d) throw Error("--quantization int8 holds the weights in INT8: leave --dtype at auto");
  return DType::kI8;
}

DType checkpoint_dtype(const SafetensorsSet& tensors) {
  return tensors.get("model.embed_tokens.weight").dtype;
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

ModelWeights load_weights(const ModelConfig& c, const SafetensorsSet& set, DType dtype) {
  Loader ld(set, dtype);
  const std::int64_t h = c.hidden_size, q = c.q_dim(), kv = c.kv_dim(), m = c.intermediate_size;
  ModelWeights w;
  w.embed = ld.matrix("model.embed_tokens.weight", c.vocab_size, h);
  w.layers.resize(static_cast<std::size_t>(c.num_layers));
  for (int i = 0; i < c.num_layers; ++i) {
    const std::string p = layer_prefix(i);
    LayerWeights& l = w.layers[static_cast<std::size_t>(i)];
    l.attn_norm = ld.vector(p + "input_layernorm.weight", h);
    l.wq = ld.matrix(p + "self_attn.q_proj.weight", q, h);
    l.wk = ld.matrix(p + "self_attn.k_proj.weight", kv, h);
    l.wv = ld.matrix(p + "self_attn.v_proj.weight", kv, h);
    if (c.attention_bias) {
      l.bq = ld.vector(p + "self_attn.q_proj.bias", q);
      l.bk = ld.vector(p + "self_attn.k_proj.bias", kv);
      l.bv = ld.vector(p + "self_attn.v_proj.bias", kv);
    }
    l.wo = ld.matrix(p + "self_attn.o_proj.weight", h, q);
    l.mlp_norm = ld.vector(p + "post_attention_layernorm.weight", h);
    l.w_gate = ld.matrix(p + "mlp.gate_proj.weight", m, h);
    l.w_up = ld.matrix(p + "mlp.up_proj.weight", m, h);
    l.w_down = ld.matrix(p + "mlp.down_proj.weight", h, m);
  }
  w.final_norm = ld.vector("model.norm.weight", h);
  if (!c.tie_word_embeddings) {
    // Some tied checkpoints still list lm_head; untied ones must have it.
    w.lm_head = ld.matrix("lm_head.weight", c.vocab_size, h);
  }
  return w;
}

}  // namespace odma::model
