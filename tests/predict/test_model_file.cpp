#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>

#include "base/error.h"
#include "base/file_io.h"
#include "predict/model_file.h"
#include "predict/predict_fixture.h"
#include "predict/predictor.h"

namespace odma::predict {
namespace {

const PredictorModel& trained() {
  static const PredictorModel m =
      train_on_dataset(fixture::synthetic_dataset(400), fixture::small_train_options());
  return m;
}

std::string error_of(const std::string& bytes) {
  try {
    (void)parse_model(bytes, "m.odmp");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(ModelFile, RoundTripPredictsIdentically) {
  const std::string bytes = serialize_model(trained());
  PredictorModel back = parse_model(bytes, "mem");
  EXPECT_EQ(serialize_model(back), bytes);
  EXPECT_EQ(back.provenance.indices, trained().provenance.indices);
  EXPECT_EQ(back.provenance.dataset, "synthetic");
  EXPECT_EQ(back.model.config().edges, trained().model.config().edges);
  for (std::int64_t i = 0; i < 60; ++i) {
    workload::Record r = fixture::synthetic_record(i);
    PromptInfo p{r.prompt, r.prompt_tokens, 0};
    EXPECT_EQ(back.model.predict(p).prob(), trained().model.predict(p).prob()) << r.prompt;
  }
}

TEST(ModelFile, SaveLoadThroughFilesAndPredictor) {
  const auto path = std::filesystem::temp_directory_path() / "odma_test_model_file.odmp";
  save_model(trained(), path);
  Predictor p = Predictor::load(path);
  workload::Record r = fixture::synthetic_record(2);
  kv::LengthPrediction lp = p.predict(r.prompt, r.prompt_tokens, 0);
  EXPECT_EQ(lp.output_tokens,
            trained().model.predict(PromptInfo{r.prompt, r.prompt_tokens, 0}).quantile(0.95));
  EXPECT_LE(p.predict(r.prompt, r.prompt_tokens, 50).output_tokens, 50);  // capped
  std::filesystem::remove(path);
  EXPECT_THROW(Predictor::load(path), Error);
}

TEST(ModelFile, EveryBitFlipIsDetected) {
  const std::string bytes = serialize_model(trained());
  // A flip anywhere: magic/version/lengths give their own errors, the rest the checksum.
  for (std::size_t pos = 0; pos < bytes.size();
       pos += std::max<std::size_t>(1, bytes.size() / 97)) {
    std::string bad = bytes;
    bad[pos] = static_cast<char>(bad[pos] ^ 0x10);
    EXPECT_NE(error_of(bad), "") << "flip at " << pos;
  }
  std::string bad = bytes;
  bad[bytes.size() / 2] ^= 1;
  EXPECT_NE(error_of(bad).find("checksum"), std::string::npos) << error_of(bad);
  EXPECT_NE(error_of(bad).find("m.odmp"), std::string::npos);
}

TEST(ModelFile, TruncatedMagicVersionAndTrailingBytes) {
  const std::string bytes = serialize_model(trained());
  for (std::size_t len :
       {std::size_t{0}, std::size_t{3}, std::size_t{10}, bytes.size() / 2, bytes.size() - 1})
    EXPECT_NE(error_of(bytes.substr(0, len)).find("truncated"), std::string::npos) << len;
  std::string magic = bytes;
  magic[0] = 'X';
  EXPECT_NE(error_of(magic).find("bad magic"), std::string::npos);
  std::string version = bytes;
  const std::uint32_t v2 = kModelFileVersion + 1;
  std::memcpy(version.data() + 4, &v2, 4);
  EXPECT_NE(error_of(version).find("version"), std::string::npos) << error_of(version);
  EXPECT_NE(error_of(bytes + "x").find("trailing"), std::string::npos);
}

}  // namespace
}  // namespace odma::predict

namespace odma::predict {
namespace {

TEST(BundledModel, LoadsAndSeparatesIntents) {
  Predictor p = Predictor::bundled();
  EXPECT_EQ(p.model().provenance.dataset, "alpaca");
  EXPECT_EQ(p.model().provenance.splits, std::vector<std::string>{"train"});
  for (std::int64_t i : p.model().provenance.indices)
    ASSERT_EQ(workload::split_of(i), workload::Split::kTrain) << i;
  const auto essay = p.distribution("Write a 500-word essay about climate change.", 11, 0);
  const auto yes_no = p.distribution("Is the sky blue? Answer yes or no.", 10, 0);
  EXPECT_GT(essay.median(), 4 * yes_no.median());
  EXPECT_GE(p.predict("Is the sky blue? Answer yes or no.", 10, 0).output_tokens, yes_no.median());
}

}  // namespace
}  // namespace odma::predict
