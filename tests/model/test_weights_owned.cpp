// Weights are the process's own memory once loaded: the model file may be truncated, overwritten
// or deleted under a running model (docs/reliability.md) without a fault or a changed logit.
// And every checkpoint dtype loads into the dtype asked for, value by value.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "base/error.h"
#include "model/cpu/bf16.h"
#include "model/random_model.h"
#include "model/transformer.h"
#include "model_test_util.h"

namespace odma::model {
namespace {

namespace fs = std::filesystem;

fs::path fresh_dir(const std::string& tag) {
  const fs::path p =
      fs::temp_directory_path() / ("odma_weights_" + tag + "_" + std::to_string(::getpid()));
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

std::vector<float> logits_of(const Transformer& m) {
  auto st = m.make_storage(64);
  const std::vector<std::int32_t> prompt = {5, 17, 300, 2, 999};
  std::vector<float> logits(static_cast<std::size_t>(m.config().vocab_size));
  m.forward({BatchItem{prompt.data(), 5, 0, SeqKv::contiguous({{0, 64}})}}, *st, logits.data());
  return logits;
}

TEST(WeightsOwned, TruncatingThenOverwritingTheFileAfterLoadChangesNothing) {
  const fs::path dir = fresh_dir("owned");
  write_random_model(dir, preset_config("tiny"), 3, true);  // a plain (mmapped) file
  const auto m = Transformer::load(dir);
  const std::vector<float> before = logits_of(*m);
  const fs::path file = dir / "model.safetensors";
  fs::resize_file(file, 16);  // what a half-finished copy over the file looks like
  EXPECT_EQ(logits_of(*m), before);
  std::ofstream(file, std::ios::binary | std::ios::trunc) << std::string(1 << 16, '\x7f');
  EXPECT_EQ(logits_of(*m), before);
  fs::remove_all(dir);
  EXPECT_EQ(logits_of(*m), before);
}

// A tiny checkpoint with every tensor stored as `dtype`; element k of every tensor holds the bits
// bits(k) (2 or 4 bytes).
template <class Bits>
fs::path write_checkpoint(const std::string& tag, DType dtype, Bits bits) {
  const fs::path dir = fresh_dir(tag);
  const ModelConfig c = preset_config("tiny");
  write_random_model(dir, c, 4, false);  // config + tokenizer
  write_safetensors(dir / "model.safetensors", expected_tensors(c, dtype),
                    [&](std::size_t, std::byte* out, std::size_t nbytes) {
                      const std::size_t size = element_size(dtype);
                      for (std::size_t k = 0; k < nbytes / size; ++k) {
                        const auto v = bits(k);
                        std::memcpy(out + size * k, &v, size);
                      }
                    });
  return dir;
}

float ramp(std::size_t k) {
  return 0.001f * static_cast<float>(k % 977) - 0.4f;
}

TEST(WeightsDtype, AnF32CheckpointLoadsAsF32OrRoundedToBf16) {
  const fs::path dir = write_checkpoint("f32", DType::kF32, [](std::size_t k) { return ramp(k); });
  const auto f32 = Transformer::load(dir);
  const auto bf16 = Transformer::load(dir, {DType::kBF16});
  EXPECT_EQ(f32->weights().dtype(), DType::kF32);
  EXPECT_EQ(bf16->weights().dtype(), DType::kBF16);
  EXPECT_EQ(bf16->default_kv_dtype(), DType::kBF16);
  const WeightMatrix& a = f32->weights().layers[1].w_up;
  const WeightMatrix& b = bf16->weights().layers[1].w_up;
  for (std::int64_t r = 0; r < a.rows(); r += 7)
    for (std::int64_t c = 0; c < a.cols(); ++c)
      ASSERT_EQ(b.at(r, c), cpu::to_f32(cpu::to_bf16(a.at(r, c)))) << r << "," << c;
  // Norms stay F32 whatever the matrices are.
  EXPECT_EQ(bf16->weights().final_norm, f32->weights().final_norm);
  fs::remove_all(dir);
}

TEST(WeightsDtype, ABf16CheckpointLoadsExactlyInEitherDtype) {
  const fs::path dir =
      write_checkpoint("bf16", DType::kBF16, [](std::size_t k) { return cpu::to_bf16(ramp(k)); });
  const auto auto_dtype = Transformer::load(dir);
  const auto f32 = Transformer::load(dir, {DType::kF32});
  EXPECT_EQ(auto_dtype->weights().dtype(), DType::kBF16);
  EXPECT_EQ(f32->weights().dtype(), DType::kF32);
  const WeightMatrix& a = auto_dtype->weights().embed;
  const WeightMatrix& b = f32->weights().embed;
  for (std::int64_t r = 0; r < a.rows(); r += 3)
    for (std::int64_t c = 0; c < a.cols(); ++c) ASSERT_EQ(a.at(r, c), b.at(r, c));
  fs::remove_all(dir);
}

TEST(WeightsDtype, AnF16CheckpointIsHeldAsBf16RoundedOnceOrAsExactF32) {
  // F16 values in [1, 2) with every mantissa pattern of the low 9 bits, both signs.
  const auto f16 = [](std::size_t k) {
    return static_cast<std::uint16_t>(0x3C00u | (k % 512) | ((k / 512) % 2) << 15);
  };
  const fs::path dir = write_checkpoint("f16", DType::kF16, f16);
  const auto held = Transformer::load(dir);
  const auto wide = Transformer::load(dir, {DType::kF32});
  EXPECT_EQ(held->weights().dtype(), DType::kBF16);
  const WeightMatrix& a = held->weights().layers[0].w_gate;
  const WeightMatrix& b = wide->weights().layers[0].w_gate;
  for (std::int64_t i = 0; i < a.rows() * a.cols(); ++i) {
    const std::int64_t r = i / a.cols(), c = i % a.cols();
    ASSERT_EQ(b.at(r, c), f16_to_f32(f16(static_cast<std::size_t>(i)))) << i;
    ASSERT_EQ(a.at(r, c), cpu::to_f32(cpu::to_bf16(b.at(r, c)))) << i;
  }
  fs::remove_all(dir);
}

TEST(WeightsDtype, DtypeFlagsTakeVllmSpellingsAndNameTheFlagOtherwise) {
  EXPECT_FALSE(parse_dtype_flag("auto", "--dtype").has_value());
  EXPECT_EQ(parse_dtype_flag("bfloat16", "--dtype"), DType::kBF16);
  EXPECT_EQ(parse_dtype_flag("float32", "--dtype"), DType::kF32);
  EXPECT_EQ(parse_dtype_flag("f32", "--kv-dtype"), DType::kF32);
  try {
    (void)parse_dtype_flag("fp8", "--kv-dtype");
    FAIL() << "fp8 accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("--kv-dtype"), std::string::npos);
  }
  // F16 checkpoints: no F16 kernels, so auto holds them as BF16 (same 2 bytes per value).
  EXPECT_EQ(resolve_weight_dtype({}, DType::kF16), DType::kBF16);
  EXPECT_EQ(resolve_weight_dtype({}, DType::kF32), DType::kF32);
  EXPECT_EQ(resolve_weight_dtype({DType::kF32}, DType::kBF16), DType::kF32);
}

}  // namespace
}  // namespace odma::model
