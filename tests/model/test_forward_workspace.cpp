// forward()'s workspace: the caller's and the model's own give the same bits, it grows only when a
// step brings more tokens than it holds, and a model shape change re-lays it out.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "model/random_model.h"
#include "model/transformer.h"

namespace odma::model {
namespace {

ModelConfig tiny_config() {
  ModelConfig c = preset_config("tiny");
  c.num_layers = 2;
  return c;
}

std::vector<std::int32_t> prompt(int n) {
  std::vector<std::int32_t> p(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) p[static_cast<std::size_t>(i)] = (i * 37 + 5) % 1000;
  return p;
}

TEST(ForwardWorkspace, TheCallersWorkspaceGivesTheBitsOfTheModelsOwn) {
  const ModelConfig c = tiny_config();
  const Transformer m(c, random_weights(c, 7));
  const auto p = prompt(9);
  const auto vocab = static_cast<std::size_t>(c.vocab_size);
  auto st = m.make_storage(64);
  // Two items, the second scoring every token: exercises the head's row gather.
  const std::vector<BatchItem> batch = {{p.data(), 5, 0, SeqKv::contiguous({{0, 16}})},
                                        {p.data(), 2, 0, SeqKv::contiguous({{16, 16}}), true}};
  std::vector<float> own3(3 * vocab), callers3(3 * vocab);
  m.forward(batch, *st, own3.data());
  ForwardWorkspace ws;
  m.forward(batch, *st, callers3.data(), ws);
  EXPECT_EQ(own3, callers3);
  EXPECT_EQ(ws.tokens(), 7);
}

TEST(ForwardWorkspace, GrowsOnlyWhenAStepBringsMoreTokens) {
  const ModelConfig c = tiny_config();
  const Transformer m(c, random_weights(c, 8));
  ForwardWorkspace ws = m.make_workspace(8);
  EXPECT_EQ(ws.tokens(), 8);
  const std::size_t bytes = ws.bytes();
  EXPECT_GT(bytes, 8u * 4 * (2 * c.hidden_size + 2 * c.intermediate_size));
  auto st = m.make_storage(64);
  std::vector<float> logits(static_cast<std::size_t>(c.vocab_size));
  const auto p = prompt(20);
  m.forward({{p.data(), 6, 0, SeqKv::contiguous({{0, 32}})}}, *st, logits.data(), ws);
  EXPECT_EQ(ws.tokens(), 8);
  EXPECT_EQ(ws.bytes(), bytes);
  m.forward({{p.data(), 20, 0, SeqKv::contiguous({{0, 32}})}}, *st, logits.data(), ws);
  EXPECT_EQ(ws.tokens(), 20);
  EXPECT_GT(ws.bytes(), bytes);
}

TEST(ForwardWorkspace, AnotherModelShapeLaysItOutAgain) {
  ModelConfig a = tiny_config(), b = tiny_config();
  b.intermediate_size *= 2;
  ForwardWorkspace ws(a, 4);
  const std::size_t bytes = ws.bytes();
  ws.reserve(b, 4);
  EXPECT_EQ(ws.tokens(), 4);
  EXPECT_GT(ws.bytes(), bytes);
  const std::size_t grown = ws.bytes();
  // Back to the first shape: laid out again in the same buffer, the bits of the model's own.
  const Transformer m(a, random_weights(a, 9));
  auto st = m.make_storage(16);
  const auto p = prompt(3);
  std::vector<float> x(static_cast<std::size_t>(a.vocab_size)), y(x.size());
  m.forward({{p.data(), 3, 0, SeqKv::contiguous({{0, 16}})}}, *st, x.data(), ws);
  m.forward({{p.data(), 3, 0, SeqKv::contiguous({{0, 16}})}}, *st, y.data());
  EXPECT_EQ(x, y);
  EXPECT_EQ(ws.bytes(), grown);
}

}  // namespace
}  // namespace odma::model
