#include "sim/model_shape.h"

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "base/error.h"
#include "base/file_io.h"

namespace odma::sim {

namespace {

using nlohmann::json;

std::int64_t int_field(const json& j, const char* field, const std::string& source,
                       std::int64_t fallback = -1) {
  auto it = j.find(field);
  if (it == j.end() || it->is_null()) {
    if (fallback >= 0) return fallback;
    throw Error(source + ": missing field \"" + field + "\"");
  }
  if (!it->is_number_integer())
    throw Error(source + ": field \"" + field + "\" must be an integer");
  std::int64_t v = it->get<std::int64_t>();
  if (v <= 0)
    throw Error(source + ": field \"" + field + "\" must be > 0 (got " + std::to_string(v) + ")");
  return v;
}

std::int64_t dtype_bytes_of(const std::string& dtype, const std::string& source) {
  if (dtype == "bfloat16" || dtype == "float16" || dtype == "bf16" || dtype == "fp16") return 2;
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

ModelShape parse_model_shape(const std::string& json_text, const std::string& source) {
  json j;
  try {
    j = json::parse(json_text);
  } catch (const json::exception& e) {
    throw Error(source + ": not valid JSON: " + e.what());
  }
  if (!j.is_object()) throw Error(source + ": a model shape must be a JSON object");
  ModelShape s;
  s.name = j.value("name", std::string());
  if (s.name.empty()) s.name = j.value("_name_or_path", std::string("model"));
  s.hidden = int_field(j, "hidden_size", source);
  s.layers = int_field(j, "num_hidden_layers", source);
  s.heads = int_field(j, "num_attention_heads", source);
  s.kv_heads = int_field(j, "num_key_value_heads", source, s.heads);
  if (s.hidden % s.heads != 0 && j.find("head_dim") == j.end()) {
    throw Error(source +
                ": hidden_size is not a multiple of num_attention_heads and no head_dim given");
  }
  s.head_dim = int_field(j, "head_dim", source, s.hidden / s.heads);
  s.intermediate = int_field(j, "intermediate_size", source);
  s.vocab = int_field(j, "vocab_size", source);
  s.max_position_embeddings = int_field(j, "max_position_embeddings", source, 0);
  if (s.heads % s.kv_heads != 0) {
    throw Error(source + ": num_attention_heads (" + std::to_string(s.heads) +
                ") must be a multiple of num_key_value_heads (" + std::to_string(s.kv_heads) + ")");
  }
  std::string dtype = j.value("torch_dtype", std::string("bfloat16"));
  s.dtype_bytes = dtype_bytes_of(dtype, source);
  s.tied_embeddings = j.value("tie_word_embeddings", false);
  s.qkv_bias = j.value("attention_bias", j.value("model_type", std::string()) == "qwen2");
  return s;
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
