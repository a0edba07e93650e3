// safetensors reading (single, gzipped, sharded) and bad model directories: every failure is an
// odma::Error that names the file, tensor or field.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <functional>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "model/cpu/bf16.h"
#include "model/random_model.h"
#include "model/transformer.h"
#include "model_test_util.h"

namespace odma::model {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    static int counter = 0;
    path_ = fs::temp_directory_path() /
            ("odma_model_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

std::string slurp(const fs::path& p) {
  return read_file(p);
}
void dump(const fs::path& p, const std::string& bytes) {
  std::ofstream(p, std::ios::binary | std::ios::trunc)
      .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// A complete tiny model directory (config + BF16 weights).
fs::path make_tiny(const TempDir& d) {
  write_random_model(d.path(), preset_config("tiny"), 1, true);
  return d.path();
}

void expect_error_naming(const std::function<void()>& fn, const std::vector<std::string>& needles) {
  try {
    fn();
    FAIL() << "no error (expected one naming " << needles[0] << ")";
  } catch (const Error& e) {
    for (const auto& n : needles)
      EXPECT_NE(std::string(e.what()).find(n), std::string::npos) << e.what();
  }
}

TEST(Safetensors, ShippedFilesOpenWithExpectedTensors) {
  SafetensorsSet s(testing::model_dir("qwen2-tiny"));  // model.safetensors.gz
  EXPECT_EQ(s.size(), 2u * 12 + 2);
  const TensorView& t = s.get("model.layers.1.self_attn.k_proj.bias");
  EXPECT_EQ(t.dtype, DType::kBF16);
  EXPECT_EQ(t.shape, (std::vector<std::int64_t>{32}));
  EXPECT_EQ(s.find("lm_head.weight"), nullptr);
}

TEST(Safetensors, WrittenModelLoadsAndMatchesInMemoryWeights) {
  TempDir d;
  auto dir = make_tiny(d);
  auto m = Transformer::load(dir);  // auto: the file's BF16
  const ModelConfig c = preset_config("tiny");
  auto w = random_weights(c, 1, DType::kBF16);
  EXPECT_EQ(m->weights().dtype(), DType::kBF16);
  EXPECT_EQ(m->weights().embed, w.embed);
  EXPECT_EQ(m->weights().layers[1].w_down, w.layers[1].w_down);
  EXPECT_EQ(m->weights().layers[0].bq, w.layers[0].bq);
  EXPECT_TRUE(fs::exists(dir / "tokenizer.json"));
}

TEST(Safetensors, ShardedIndexLoadsTheSameTensors) {
  TempDir d;
  const ModelConfig c = preset_config("tiny");
  write_file(d.path() / "config.json", to_config_json(c));
  auto specs = expected_tensors(c, DType::kF32);
  auto w = random_weights(c, 3);
  // Shard 1: embeddings; shard 2: everything else (values from the in-memory model via the index).
  std::vector<TensorSpec> a(specs.begin(), specs.begin() + 1), b(specs.begin() + 1, specs.end());
  write_safetensors(
      d.path() / "model-00001-of-00002.safetensors", a,
      [&](std::size_t, std::byte* out, std::size_t n) { std::memcpy(out, w.embed.data(), n); });
  nlohmann::json index;
  index["weight_map"]["model.embed_tokens.weight"] = "model-00001-of-00002.safetensors";
  for (const auto& s : b) index["weight_map"][s.name] = "model-00002-of-00002.safetensors";
  // Shard 2 holds zeros: enough to check the plumbing (shapes, lookup across files).
  write_safetensors(d.path() / "model-00002-of-00002.safetensors", b,
                    [](std::size_t, std::byte* out, std::size_t n) { std::memset(out, 0, n); });
  write_file(d.path() / "model.safetensors.index.json", index.dump());
  SafetensorsSet set(d.path());
  EXPECT_EQ(set.size(), specs.size());
  auto loaded = load_weights(c, set, DType::kF32);
  EXPECT_EQ(loaded.embed, w.embed);
  // A shard named in the index but absent is an error naming it.
  index["weight_map"]["model.norm.weight"] = "model-00003-of-00002.safetensors";
  write_file(d.path() / "model.safetensors.index.json", index.dump());
  expect_error_naming([&] { SafetensorsSet s(d.path()); }, {"model-00003-of-00002.safetensors"});
}

TEST(BadModelDir, MissingConfigOrWeights) {
  TempDir d;
  auto dir = make_tiny(d);
  fs::remove(dir / "model.safetensors");
  expect_error_naming([&] { Transformer::load(dir); }, {"model.safetensors"});
  fs::remove(dir / "config.json");
  expect_error_naming([&] { Transformer::load(dir); }, {"config.json"});
}

TEST(BadModelDir, TruncatedFiles) {
  TempDir d;
  auto dir = make_tiny(d);
  const auto file = dir / "model.safetensors";
  const std::string bytes = slurp(file);
  // Tensor data past EOF: cut the last 100 bytes.
  dump(file, bytes.substr(0, bytes.size() - 100));
  expect_error_naming([&] { Transformer::load(dir); }, {"model.norm.weight", "past end of file"});
  // Header length past EOF: keep the 8-byte length and a little of the header.
  dump(file, bytes.substr(0, 40));
  expect_error_naming([&] { Transformer::load(dir); }, {"header length", "model.safetensors"});
  dump(file, bytes.substr(0, 5));
  expect_error_naming([&] { Transformer::load(dir); }, {"truncated"});
}

// Rewrites one tensor's header entry; sizes in the header stay consistent unless `keep_size`.
void rewrite_header(const fs::path& file, const std::function<void(nlohmann::json&)>& edit) {
  std::string bytes = slurp(file);
  std::uint64_t n = 0;
  std::memcpy(&n, bytes.data(), 8);
  auto header = nlohmann::json::parse(bytes.substr(8, n));
  edit(header);
  std::string h = header.dump();
  std::uint64_t len = h.size();
  std::string out(reinterpret_cast<const char*>(&len), 8);
  dump(file, out + h + bytes.substr(8 + n));
}

TEST(BadModelDir, WrongDtypeIsNamed) {
  TempDir d;
  auto dir = make_tiny(d);
  rewrite_header(dir / "model.safetensors", [](nlohmann::json& h) {
    h["model.layers.0.mlp.up_proj.weight"]["dtype"] = "I64";
  });
  expect_error_naming([&] { Transformer::load(dir); },
                      {"model.layers.0.mlp.up_proj.weight", "dtype"});
}

TEST(BadModelDir, BytesNotMatchingShapeAreNamed) {
  TempDir d;
  auto dir = make_tiny(d);
  rewrite_header(dir / "model.safetensors", [](nlohmann::json& h) {
    h["model.norm.weight"]["shape"] = {65};  // 130 bytes claimed, 128 stored
  });
  expect_error_naming([&] { Transformer::load(dir); }, {"model.norm.weight", "do not match"});
}

TEST(BadModelDir, TensorShapeDisagreeingWithConfigIsNamed) {
  TempDir d;
  auto dir = make_tiny(d);
  ModelConfig c = preset_config("tiny");
  c.intermediate_size = 192;  // the file has 176
  write_file(dir / "config.json", to_config_json(c));
  expect_error_naming([&] { Transformer::load(dir); },
                      {"model.layers.0.mlp.gate_proj.weight", "[176, 64]", "[192, 64]"});
}

TEST(BadModelDir, MissingTensorIsNamed) {
  TempDir d;
  auto dir = make_tiny(d);
  ModelConfig c = preset_config("tiny");
  c.tie_word_embeddings = false;  // now lm_head.weight is required
  write_file(dir / "config.json", to_config_json(c));
  expect_error_naming([&] { Transformer::load(dir); }, {"lm_head.weight", "missing"});
}

TEST(BadModelDir, InconsistentConfigIsNamed) {
  TempDir d;
  auto dir = make_tiny(d);
  auto j = nlohmann::json::parse(slurp(dir / "config.json"));
  j["num_attention_heads"] = 5;  // 64 % 5 != 0
  write_file(dir / "config.json", j.dump());
  expect_error_naming([&] { Transformer::load(dir); }, {"hidden_size", "num_attention_heads"});
}

TEST(Bf16, RoundTripAndRounding) {
  EXPECT_EQ(cpu::to_f32(cpu::to_bf16(1.5f)), 1.5f);
  EXPECT_EQ(cpu::to_f32(cpu::to_bf16(-3.0e5f)), -299008.0f);  // nearest BF16
  EXPECT_EQ(cpu::to_bf16(1.0f + 1.0f / 256), 0x3f80);         // tie → even
  EXPECT_EQ(f16_to_f32(0x3c00), 1.0f);
  EXPECT_EQ(f16_to_f32(0xc000), -2.0f);
}

}  // namespace
}  // namespace odma::model
