// The predictor's model file, .odmp (src/predict/model_file.h). Each input is parsed twice: as
// given, and with its last four bytes replaced by the right CRC-32, so that mutations reach the
// header and payload instead of all failing the checksum.
//
// Properties: bad bytes → odma::Error naming the file; an accepted model predicts a
// distribution over its bins (probabilities sum to 1, quantiles inside its edges) and
// serialize(parse(serialize(m))) == serialize(m).
#include <zlib.h>

#include <cmath>
#include <cstring>

#include "fuzz/fuzz_util.h"
#include "predict/model_file.h"

namespace {

void check_model(const odma::predict::PredictorModel& m) {
  using odma::fuzz::check;
  namespace pr = odma::predict;
  for (const char* text : {"", "Write a poem about the sea.", "1 2 3"}) {
    const pr::Distribution d = m.model.predict(pr::PromptInfo{text, 7, 256});
    double total = 0;
    for (float p : d.prob()) {
      check(std::isfinite(p) && p >= 0, "probability not finite or negative");
      total += p;
    }
    check(std::fabs(total - 1.0) < 1e-3, "probabilities do not sum to 1");
    for (double q : {0.0, 0.5, 0.95, 1.0}) {
      const std::int32_t v = d.quantile(q);
      check(v >= d.edges().front() && v <= d.edges().back(), "quantile outside the edges");
    }
  }
  const std::string once = pr::serialize_model(m);
  const std::string twice = pr::serialize_model(pr::parse_model(once, "again.odmp"));
  check(once == twice, "serialize(parse(serialize(m))) != serialize(m)");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace pr = odma::predict;
  std::string bytes(odma::fuzz::as_text(data, size));
  pr::PredictorModel m;
  if (odma::fuzz::parses("model.odmp", [&] { m = pr::parse_model(bytes, "model.odmp"); }))
    check_model(m);
  if (bytes.size() >= 4) {
    const uLong crc = crc32(0L, reinterpret_cast<const Bytef*>(bytes.data()),
                            static_cast<uInt>(bytes.size() - 4));
    for (int i = 0; i < 4; ++i) bytes[bytes.size() - 4 + i] = static_cast<char>(crc >> (8 * i));
    if (odma::fuzz::parses("model.odmp", [&] { m = pr::parse_model(bytes, "model.odmp"); }))
      check_model(m);
  }
  return 0;
}
