#include "sim/model_shape.h"

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "base/error.h"
#include "base/file_io.h"

namespace odma::sim {

namespace {

std::int64_t dtype_bytes_of(const std::string& dtype, const std::string& source) {
  if (dtype.empty() || dtype == "bfloat16" || dtype == "float16" || dtype == "bf16" ||
      dtype == "fp16")
    return 2;
  if (dtype == "float32" || dtype == "fp32") return 4;
  if (dtype == "float8" || dtype == "fp8" || dtype == "int8") return 1;
  throw Error(source + ": unknown torch_dtype \"" + dtype + "\" (bfloat16, float16, float32, fp8)");
}

}  // namespace

std::int64_t ModelShape::body_params() const {
  std::int64_t per_layer = hidden * q_dim() + 2 * hidden * kv_dim() + q_dim() * hidden +
                           3 * hidden * intermediate + 2 * hidden;
  if (qkv_bias) per_layer += q_dim() + 2 * kv_dim();
  return layers * per_layer + hidden;
}

ModelShape shape_of(const model::ModelConfig& c, std::string name, std::int64_t dtype_bytes) {
  ModelShape s;
  s.name = std::move(name);
  s.hidden = c.hidden_size;
  s.layers = c.num_layers;
  s.heads = c.num_heads;
  s.kv_heads = c.num_kv_heads;
  s.head_dim = c.head_dim;
  s.intermediate = c.intermediate_size;
  s.vocab = c.vocab_size;
  s.dtype_bytes = dtype_bytes;
  s.tied_embeddings = c.tie_word_embeddings;
  s.qkv_bias = c.attention_bias;
  s.max_position_embeddings = c.max_position_embeddings;
  return s;
}

ModelShape parse_model_shape(const std::string& json_text, const std::string& source) {
  const model::ModelConfig c = model::parse_model_config(json_text, source);
  std::string name;
  try {
    const nlohmann::json j = nlohmann::json::parse(json_text);  // valid: parsed just above
    name = j.value("name", j.value("_name_or_path", std::string("model")));
  } catch (const nlohmann::json::exception&) {
    name = "model";  // "name" of another type: not ours to reject
  }
  return shape_of(c, name, dtype_bytes_of(c.torch_dtype, source));
}

ModelShape load_model_shape(const std::string& name_or_path) {
  std::filesystem::path path;
  if (name_or_path.find('/') != std::string::npos || name_or_path.ends_with(".json")) {
    path = name_or_path;
    if (std::filesystem::is_directory(path)) path /= "config.json";
  } else {
    const std::vector<std::string> names = model_shape_names();
    if (std::find(names.begin(), names.end(), name_or_path) == names.end()) {
      std::string known;
      for (const std::string& n : names) known += (known.empty() ? "" : ", ") + n;
      throw Error("unknown model shape '" + name_or_path + "' (shipped: " + known +
                  "; or give a Hugging Face config.json path)");
    }
    path = data_file("model_shapes/" + name_or_path + ".json");
  }
  return parse_model_shape(read_file(path), path.string());
}

std::vector<std::string> model_shape_names() {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(data_dir() / "model_shapes", ec)) {
    std::string f = e.path().filename().string();
    if (f.ends_with(".json")) names.push_back(f.substr(0, f.size() - 5));
  }
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace odma::sim
