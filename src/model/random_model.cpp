#include "model/random_model.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "base/error.h"
#include "base/file_io.h"
#include "model/cpu/bf16.h"
#include "model/int8_weights.h"
#include "model/safetensors.h"

namespace odma::model {
namespace {

std::uint64_t splitmix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

std::uint64_t name_hash(const std::string& s) {
  std::uint64_t h = 1469598103934665603ULL;  // FNV-1a
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ULL;
  return h;
}

// Value i of tensor `spec`: see the header for the distributions.
struct Generator {
  std::uint64_t key;
  float center, half_width;
  Generator(const TensorSpec& spec, std::uint64_t seed)
      : key(splitmix(seed ^ name_hash(spec.name))) {
    const bool norm = spec.name.find("norm") != std::string::npos;
    const bool bias = spec.name.find("bias") != std::string::npos;
    const float fan_in = spec.shape.size() == 2 ? static_cast<float>(spec.shape[1]) : 1.0f;
    // Embeddings at 1/√hidden keep the tied head's logits at std ≈ 1, so sampling stays varied.
    const float std_dev = norm ? 0.1f : bias ? 0.1f : 1.0f / std::sqrt(fan_in);
    center = norm ? 1.0f : 0.0f;
    half_width = std_dev * std::sqrt(3.0f);  // uniform(-a, a) has std a/√3
  }
  float operator()(std::uint64_t i) const {
    const double u = static_cast<double>(splitmix(key + i) >> 11) * 0x1.0p-53;  // [0, 1)
    return center + half_width * static_cast<float>(2.0 * u - 1.0);
  }
};

void copy_tokenizer(const std::filesystem::path& dir, int vocab) {
  if (vocab == 1024) {
    write_file(dir / "tokenizer.json", read_file(data_file("models/qwen2-tiny/tokenizer.json")));
    write_file(dir / "tokenizer_config.json",
               read_file(data_file("models/qwen2-tiny/tokenizer_config.json")));
  } else {
    write_file(dir / "tokenizer.json", read_file(data_file("tokenizer/tokenizer.json")));
    write_file(dir / "tokenizer_config.json",
               read_file(data_file("tokenizer/tokenizer_config.json")));
  }
}

}  // namespace

std::vector<std::string> preset_names() {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(data_dir() / "model_shapes", ec)) {
    const std::string f = e.path().filename().string();
    if (f.ends_with(".json")) names.push_back(f.substr(0, f.size() - 5));
  }
  std::sort(names.begin(), names.end());
  return names;
}

ModelConfig preset_config(const std::string& preset) {
  const std::vector<std::string> names = preset_names();
  if (std::find(names.begin(), names.end(), preset) == names.end()) {
    std::string known;
    for (const std::string& n : names) known += (known.empty() ? "" : ", ") + n;
    throw Error("--preset: unknown preset \"" + preset + "\" (" + known + ")");
  }
  const std::filesystem::path path = data_file("model_shapes/" + preset + ".json");
  return parse_model_config(read_file(path), path.string());
}

ModelWeights random_weights(const ModelConfig& c, std::uint64_t seed, DType dtype) {
  // The values a written BF16 file holds, tensor by tensor (same generator, same rounding), so a
  // test on the in-memory model exercises exactly what a written model would.
  const auto specs = expected_tensors(c, DType::kBF16);
  auto bf16_values = [&](const std::string& name, std::int64_t n) {
    for (const auto& s : specs) {
      if (s.name != name) continue;
      Generator gen(s, seed);
      std::vector<std::uint16_t> out(static_cast<std::size_t>(n));
      for (std::size_t i = 0; i < out.size(); ++i) out[i] = cpu::to_bf16(gen(i));
      return out;
    }
    throw Error("random_weights: no tensor " + name);
  };
  auto vector = [&](const std::string& name, std::int64_t n) {
    const auto b = bf16_values(name, n);
    HugePageFloats out(b.size());
    for (std::size_t i = 0; i < b.size(); ++i) out[i] = cpu::to_f32(b[i]);
    return out;
  };
  auto matrix = [&](const std::string& name, std::int64_t rows, std::int64_t cols) {
    const auto b = bf16_values(name, rows * cols);
    if (dtype == DType::kI8) {  // quantized from the BF16 values, as loading the file would
      WeightMatrix m(DType::kI8, rows, cols);
      std::vector<float> row(static_cast<std::size_t>(cols));
      for (std::int64_t r = 0; r < rows; ++r) {
        for (std::size_t k = 0; k < row.size(); ++k)
          row[k] = cpu::to_f32(b[static_cast<std::size_t>(r) * row.size() + k]);
        quantize_row_int8(m, r, row.data());
      }
      return m;
    }
    WeightMatrix m(dtype, rows, cols);
    if (dtype == DType::kBF16) {
      std::memcpy(m.mutable_data(), b.data(), b.size() * 2);
    } else {
      auto* f = reinterpret_cast<float*>(m.mutable_data());
      for (std::size_t i = 0; i < b.size(); ++i) f[i] = cpu::to_f32(b[i]);
    }
    return m;
  };
  const std::int64_t h = c.hidden_size, q = c.q_dim(), kv = c.kv_dim(), mi = c.intermediate_size;
  ModelWeights w;
  w.embed = matrix("model.embed_tokens.weight", c.vocab_size, h);
  for (int i = 0; i < c.num_layers; ++i) {
    const std::string p = "model.layers." + std::to_string(i) + ".";
    LayerWeights l;
    l.attn_norm = vector(p + "input_layernorm.weight", h);
    l.wq = matrix(p + "self_attn.q_proj.weight", q, h);
    l.wk = matrix(p + "self_attn.k_proj.weight", kv, h);
    l.wv = matrix(p + "self_attn.v_proj.weight", kv, h);
    if (c.attention_bias) {
      l.bq = vector(p + "self_attn.q_proj.bias", q);
      l.bk = vector(p + "self_attn.k_proj.bias", kv);
      l.bv = vector(p + "self_attn.v_proj.bias", kv);
    }
    l.wo = matrix(p + "self_attn.o_proj.weight", h, q);
    l.mlp_norm = vector(p + "post_attention_layernorm.weight", h);
    l.w_gate = matrix(p + "mlp.gate_proj.weight", mi, h);
    l.w_up = matrix(p + "mlp.up_proj.weight", mi, h);
    l.w_down = matrix(p + "mlp.down_proj.weight", h, mi);
    w.layers.push_back(std::move(l));
  }
  w.final_norm = vector("model.norm.weight", h);
  if (!c.tie_word_embeddings) w.lm_head = matrix("lm_head.weight", c.vocab_size, h);
  return w;
}

MakeRandomResult write_random_model(const std::filesystem::path& dir, const ModelConfig& c,
                                    std::uint64_t seed, bool write_weights) {
  MakeRandomResult r;
  std::filesystem::create_directories(dir);
  write_file(dir / "config.json", to_config_json(c));
  copy_tokenizer(dir, c.vocab_size);
  r.tokenizer_written = true;
  if (write_weights) {
    auto specs = expected_tensors(c, DType::kBF16);
    write_safetensors(dir / "model.safetensors", specs,
                      [&](std::size_t t, std::byte* out, std::size_t nbytes) {
                        Generator gen(specs[t], seed);
                        for (std::size_t i = 0; i < nbytes / 2; ++i) {
                          const std::uint16_t b = cpu::to_bf16(gen(i));
                          std::memcpy(out + 2 * i, &b, 2);
                        }
                      });
    r.weight_bytes = std::filesystem::file_size(dir / "model.safetensors");
  }
  return r;
}

}  // namespace odma::model
