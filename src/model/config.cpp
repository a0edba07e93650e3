#include "model/config.h"

#include <cstdint>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "base/file_io.h"

namespace odma::model {
namespace {

using nlohmann::json;

[[noreturn]] void fail(const std::string& source, const std::string& field,
                       const std::string& what) {
  throw Error(source + ": field \"" + field + "\" " + what);
}

int get_positive_int(const json& j, const std::string& source, const std::string& field) {
  auto it = j.find(field);
  if (it == j.end()) fail(source, field, "is missing");
  if (!it->is_number_integer()) fail(source, field, "must be an integer");
  long long v = it->get<long long>();
  if (v <= 0 || v > (1LL << 30))
    fail(source, field, "must be a positive integer, got " + it->dump());
  return static_cast<int>(v);
}

double get_number(const json& j, const std::string& source, const std::string& field,
                  double fallback) {
  auto it = j.find(field);
  if (it == j.end() || it->is_null()) return fallback;
  if (!it->is_number()) fail(source, field, "must be a number");
  return it->get<double>();
}

// A missing or null field is `fallback`; any other non-string is an error naming the field
// (json::value would throw a type_error that names nothing).
std::string get_string(const json& j, const std::string& source, const std::string& field,
                       const std::string& fallback) {
  auto it = j.find(field);
  if (it == j.end() || it->is_null()) return fallback;
  if (!it->is_string()) fail(source, field, "must be a string, got " + it->dump());
  return it->get<std::string>();
}

bool get_bool(const json& j, const std::string& source, const std::string& field, bool fallback) {
  auto it = j.find(field);
  if (it == j.end() || it->is_null()) return fallback;
  if (!it->is_boolean()) fail(source, field, "must be true or false");
  return it->get<bool>();
}

// "eos_token_id" may be an int or a list of ints.
std::vector<std::int32_t> get_ids(const json& j, const std::string& source,
                                  const std::string& field) {
  std::vector<std::int32_t> ids;
  auto it = j.find(field);
  if (it == j.end() || it->is_null()) return ids;
  auto one = [&](const json& v) {
    // Token ids are int32 (found by fuzz_model_config: 3468620001 became a negative id).
    if (!v.is_number_integer() || v.get<long long>() < 0 || v.get<long long>() > INT32_MAX)
      fail(source, field, "must hold token ids in [0, 2^31)");
    ids.push_back(static_cast<std::int32_t>(v.get<long long>()));
  };
  if (it->is_array()) {
    for (const auto& v : *it) one(v);
  } else {
    one(*it);
  }
  return ids;
}

json parse_json(const std::string& text, const std::string& source) {
  try {
    json j = json::parse(text);
    if (!j.is_object()) throw Error(source + ": not a JSON object");
    return j;
  } catch (const json::exception& e) {
    throw Error(source + ": invalid JSON (" + e.what() + ")");
  }
}

}  // namespace

ModelConfig parse_model_config(const std::string& json_text, const std::string& source) {
  json j = parse_json(json_text, source);
  ModelConfig c;
  if (auto it = j.find("architectures");
      it != j.end() && it->is_array() && !it->empty() && (*it)[0].is_string()) {
    c.architecture = (*it)[0].get<std::string>();
  }
  c.model_type = get_string(j, source, "model_type", "");
  if (c.model_type != "llama" && c.model_type != "qwen2") {
    fail(source, "model_type", "must be \"llama\" or \"qwen2\", got \"" + c.model_type + "\"");
  }
  if (get_string(j, source, "hidden_act", "silu") != "silu") {
    fail(source, "hidden_act", "must be \"silu\"");
  }
  if (auto it = j.find("rope_scaling"); it != j.end() && !it->is_null()) {
    fail(source, "rope_scaling", "is not supported (only plain RoPE)");
  }
  c.hidden_size = get_positive_int(j, source, "hidden_size");
  c.num_layers = get_positive_int(j, source, "num_hidden_layers");
  c.num_heads = get_positive_int(j, source, "num_attention_heads");
  c.num_kv_heads = j.contains("num_key_value_heads")
                       ? get_positive_int(j, source, "num_key_value_heads")
                       : c.num_heads;
  c.intermediate_size = get_positive_int(j, source, "intermediate_size");
  c.vocab_size = get_positive_int(j, source, "vocab_size");
  c.max_position_embeddings = j.contains("max_position_embeddings")
                                  ? get_positive_int(j, source, "max_position_embeddings")
                                  : 4096;
  if (j.contains("head_dim") && !j["head_dim"].is_null()) {
    c.head_dim = get_positive_int(j, source, "head_dim");
  } else {
    if (c.hidden_size % c.num_heads != 0) {
      fail(source, "hidden_size",
           "(" + std::to_string(c.hidden_size) + ") is not divisible by num_attention_heads (" +
               std::to_string(c.num_heads) + ")");
    }
    c.head_dim = c.hidden_size / c.num_heads;
  }
  if (c.num_heads % c.num_kv_heads != 0) {
    fail(source, "num_attention_heads",
         "(" + std::to_string(c.num_heads) + ") is not a multiple of num_key_value_heads (" +
             std::to_string(c.num_kv_heads) + ")");
  }
  if (c.head_dim % 2 != 0) fail(source, "head_dim", "must be even for RoPE");
  c.rms_norm_eps = get_number(j, source, "rms_norm_eps", 1e-6);
  if (!(c.rms_norm_eps > 0)) fail(source, "rms_norm_eps", "must be > 0");
  c.rope_theta = get_number(j, source, "rope_theta", 10000.0);
  if (!(c.rope_theta > 1)) fail(source, "rope_theta", "must be > 1");
  c.attention_bias = c.model_type == "qwen2" || get_bool(j, source, "attention_bias", false);
  if (get_bool(j, source, "mlp_bias", false)) fail(source, "mlp_bias", "is not supported");
  c.tie_word_embeddings = get_bool(j, source, "tie_word_embeddings", false);
  c.torch_dtype = get_string(j, source, "torch_dtype", "");
  auto bos = get_ids(j, source, "bos_token_id");
  if (!bos.empty()) c.bos_token_id = bos[0];
  c.eos_token_ids = get_ids(j, source, "eos_token_id");
  return c;
}

void apply_generation_config(ModelConfig& config, const std::string& json_text,
                             const std::string& source) {
  // Both fields are read before either is applied: a bad one leaves the config unchanged
  // (found by fuzz_model_config: a valid eos_token_id was applied, then bos_token_id: -1 threw).
  json j = parse_json(json_text, source);
  auto eos = get_ids(j, source, "eos_token_id");
  auto bos = get_ids(j, source, "bos_token_id");
  if (!eos.empty()) config.eos_token_ids = eos;
  if (!bos.empty()) config.bos_token_id = bos[0];
}

ModelConfig load_model_config(const std::filesystem::path& dir) {
  auto path = dir / "config.json";
  if (!std::filesystem::exists(path))
    throw Error("model directory " + dir.string() + ": no config.json");
  ModelConfig c = parse_model_config(read_file(path), path.string());
  auto gen = dir / "generation_config.json";
  if (std::filesystem::exists(gen)) apply_generation_config(c, read_file(gen), gen.string());
  return c;
}

std::string to_config_json(const ModelConfig& c) {
  json j;
  j["architectures"] = json::array({c.architecture});
  j["model_type"] = c.model_type;
  j["hidden_act"] = "silu";
  j["hidden_size"] = c.hidden_size;
  j["num_hidden_layers"] = c.num_layers;
  j["num_attention_heads"] = c.num_heads;
  j["num_key_value_heads"] = c.num_kv_heads;
  if (c.head_dim * c.num_heads != c.hidden_size) j["head_dim"] = c.head_dim;
  j["intermediate_size"] = c.intermediate_size;
  j["vocab_size"] = c.vocab_size;
  j["max_position_embeddings"] = c.max_position_embeddings;
  j["rms_norm_eps"] = c.rms_norm_eps;
  j["rope_theta"] = c.rope_theta;
  j["rope_scaling"] = nullptr;
  j["tie_word_embeddings"] = c.tie_word_embeddings;
  j["torch_dtype"] = c.torch_dtype;
  if (c.bos_token_id >= 0) j["bos_token_id"] = c.bos_token_id;
  if (c.eos_token_ids.size() == 1) j["eos_token_id"] = c.eos_token_ids[0];
  if (c.eos_token_ids.size() > 1) j["eos_token_id"] = c.eos_token_ids;
  if (c.model_type == "llama") j["attention_bias"] = c.attention_bias;
  return j.dump(2) + "\n";
}

}  // namespace odma::model
