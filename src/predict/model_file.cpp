#include "predict/model_file.h"

#include <zlib.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>

#include "base/error.h"
#include "base/file_io.h"

namespace odma::predict {
namespace {

static_assert(std::endian::native == std::endian::little, "model files are little-endian");
constexpr char kMagic[4] = {'O', 'D', 'M', 'P'};
constexpr std::uint8_t kRowInt8 = 0;   // u8 tag, f32 step, bins × i8: w = q · step
constexpr std::uint8_t kRowF32 = 1;    // u8 tag, bins × f32 (rows int8 cannot reproduce exactly)
constexpr float kMaxAbsWeight = 1e6f;  // far beyond any trained weight (|w| < 100)

template <typename T>
void put(std::string& out, T v) {
  char buf[sizeof(T)];
  std::memcpy(buf, &v, sizeof(T));
  out.append(buf, sizeof(T));
}

class Reader {
 public:
  Reader(const std::string& bytes, const std::string& source) : bytes_(bytes), source_(source) {}
  template <typename T>
  T get(const char* what) {
    need(sizeof(T), what);
    T v;
    std::memcpy(&v, bytes_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }
  std::string_view take(std::size_t n, const char* what) {
    need(n, what);
    std::string_view s(bytes_.data() + pos_, n);
    pos_ += n;
    return s;
  }
  std::size_t pos() const { return pos_; }
  std::size_t left() const { return bytes_.size() - pos_; }

 private:
  void need(std::size_t n, const char* what) const {
    if (n > left())
      throw Error(source_ + ": truncated model file (" + what + " needs " + std::to_string(n) +
                  " bytes, " + std::to_string(left()) + " left)");
  }
  const std::string& bytes_;
  const std::string& source_;
  std::size_t pos_ = 0;
};

std::uint32_t crc32_of(std::string_view bytes) {
  return static_cast<std::uint32_t>(
      crc32(0L, reinterpret_cast<const Bytef*>(bytes.data()), static_cast<uInt>(bytes.size())));
}

std::string hex64(std::uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

// The int8 step of a row: max|w| / 127 (0 for an all-zero row).
float row_step(const float* w, std::int32_t bins) {
  float top = 0.0f;
  for (std::int32_t b = 0; b < bins; ++b) top = std::max(top, std::fabs(w[b]));
  return top / 127.0f;
}

}  // namespace

std::uint64_t hash_indices(const std::vector<std::int64_t>& indices) {
  std::uint64_t h = fnv1a64("");
  for (std::int64_t i : indices) {
    char buf[8];
    std::memcpy(buf, &i, 8);
    h = fnv1a64(std::string_view(buf, 8), h);
  }
  return h;
}

std::string index_space_of(const std::string& dataset) {
  return dataset.rfind("alpaca", 0) == 0 ? "alpaca" : dataset;
}

void quantize_weights(LengthModel& model) {
  const std::int32_t nb = model.bins();
  const std::uint32_t rows = model.config().features.rows();
  for (std::uint32_t r = 0; r < rows; ++r) {
    float* w = model.row(r);
    const float step = row_step(w, nb);
    if (step == 0.0f) continue;
    for (std::int32_t b = 0; b < nb; ++b)
      w[b] = static_cast<float>(std::lround(w[b] / step)) * step;
  }
}

std::string serialize_model(const PredictorModel& m) {
  const LengthModel& model = m.model;
  const std::int32_t nb = model.bins();
  const TrainingProvenance& p = m.provenance;

  // Payload: index bitmap, then non-zero rows.
  std::string payload;
  std::int64_t nbits = p.indices.empty() ? 0 : p.indices.back() + 1;
  std::string bitmap(static_cast<std::size_t>((nbits + 7) / 8), '\0');
  for (std::int64_t i : p.indices) {
    if (i < 0 || i >= nbits) throw Error("model: training indices must be sorted and non-negative");
    bitmap[static_cast<std::size_t>(i / 8)] |= static_cast<char>(1 << (i % 8));
  }
  payload += bitmap;
  std::uint32_t stored_rows = 0;
  std::string rows_bytes;
  for (std::uint32_t r = 0; r < model.config().features.rows(); ++r) {
    const float* w = model.row(r);
    const float step = row_step(w, nb);
    if (step == 0.0f) continue;
    ++stored_rows;
    put<std::uint32_t>(rows_bytes, r);
    std::string q(static_cast<std::size_t>(nb), '\0');
    bool exact = true;
    for (std::int32_t b = 0; b < nb; ++b) {
      long v = std::lround(w[b] / step);
      q[static_cast<std::size_t>(b)] = static_cast<char>(static_cast<std::int8_t>(v));
      exact = exact && static_cast<float>(v) * step == w[b];
    }
    if (exact) {
      put<std::uint8_t>(rows_bytes, kRowInt8);
      put<float>(rows_bytes, step);
      rows_bytes += q;
    } else {
      put<std::uint8_t>(rows_bytes, kRowF32);
      for (std::int32_t b = 0; b < nb; ++b) put<float>(rows_bytes, w[b]);
    }
  }
  payload += rows_bytes;

  nlohmann::json h;
  h["feature_version"] = kFeatureVersion;
  h["hash_bits"] = model.config().features.hash_bits;
  h["edges"] = model.config().edges;
  h["coverage"] = m.coverage;
  h["weight_rows"] = stored_rows;
  h["index_bitmap_bits"] = nbits;
  h["training"] = {{"dataset", p.dataset},
                   {"index_space", p.index_space},
                   {"splits", p.splits},
                   {"records", p.indices.size()},
                   {"index_hash", hex64(p.index_hash)},
                   {"command", p.command},
                   {"seed", p.seed},
                   {"epochs", p.epochs}};
  std::string header = h.dump();

  std::string out(kMagic, 4);
  put<std::uint32_t>(out, kModelFileVersion);
  put<std::uint32_t>(out, static_cast<std::uint32_t>(header.size()));
  out += header;
  put<std::uint64_t>(out, payload.size());
  out += payload;
  put<std::uint32_t>(out, crc32_of(out));
  return out;
}

PredictorModel parse_model(const std::string& bytes, const std::string& source) {
  Reader rd(bytes, source);
  std::string_view magic = rd.take(4, "magic");
  if (magic != std::string_view(kMagic, 4))
    throw Error(source + ": not an odma predictor model (bad magic)");
  auto version = rd.get<std::uint32_t>("version");
  if (version != kModelFileVersion)
    throw Error(source + ": unsupported model file version " + std::to_string(version) +
                " (this odma reads version " + std::to_string(kModelFileVersion) + ")");
  auto header_len = rd.get<std::uint32_t>("header length");
  std::string_view header = rd.take(header_len, "header");
  auto payload_len = rd.get<std::uint64_t>("payload length");
  if (payload_len > rd.left()) throw Error(source + ": truncated model file (payload)");
  std::string_view payload = rd.take(static_cast<std::size_t>(payload_len), "payload");
  const std::size_t crc_at = rd.pos();
  auto crc = rd.get<std::uint32_t>("checksum");
  if (rd.left() != 0) throw Error(source + ": trailing bytes after the model file's checksum");
  if (crc != crc32_of(std::string_view(bytes.data(), crc_at)))
    throw Error(source + ": checksum mismatch (the model file is corrupt)");

  PredictorModel m;
  ModelConfig config;
  std::uint32_t stored_rows = 0;
  std::int64_t nbits = 0;
  std::string index_hash;
  try {
    auto h = nlohmann::json::parse(header);
    if (h.at("feature_version").get<std::uint32_t>() != kFeatureVersion)
      throw Error(source + ": model was trained with feature version " +
                  std::to_string(h.at("feature_version").get<std::uint32_t>()) +
                  ", this odma extracts version " + std::to_string(kFeatureVersion));
    config.features.hash_bits = h.at("hash_bits").get<std::uint32_t>();
    config.edges = h.at("edges").get<std::vector<std::int32_t>>();
    m.coverage = h.at("coverage").get<double>();
    stored_rows = h.at("weight_rows").get<std::uint32_t>();
    nbits = h.at("index_bitmap_bits").get<std::int64_t>();
    const auto& t = h.at("training");
    m.provenance.dataset = t.at("dataset").get<std::string>();
    m.provenance.index_space = t.at("index_space").get<std::string>();
    m.provenance.splits = t.at("splits").get<std::vector<std::string>>();
    m.provenance.command = t.at("command").get<std::string>();
    m.provenance.seed = t.at("seed").get<std::uint64_t>();
    m.provenance.epochs = t.at("epochs").get<std::int32_t>();
    index_hash = t.at("index_hash").get<std::string>();
  } catch (const nlohmann::json::exception& e) {
    throw Error(source + ": malformed model header (" + e.what() + ")");
  }
  if (!(m.coverage > 0 && m.coverage <= 1)) throw Error(source + ": coverage must be in (0, 1]");
  if (nbits < 0 || nbits > (std::int64_t{1} << 40)) throw Error(source + ": bad index bitmap size");
  try {
    m.model = LengthModel(config);
  } catch (const Error& e) {
    throw Error(source + ": " + e.what());
  }

  const std::string payload_copy(payload);
  Reader pr(payload_copy, source);
  std::string_view bitmap = pr.take(static_cast<std::size_t>((nbits + 7) / 8), "index bitmap");
  for (std::int64_t i = 0; i < nbits; ++i)
    if ((static_cast<unsigned char>(bitmap[static_cast<std::size_t>(i / 8)]) >> (i % 8)) & 1)
      m.provenance.indices.push_back(i);
  m.provenance.index_hash = hash_indices(m.provenance.indices);
  if (hex64(m.provenance.index_hash) != index_hash)
    throw Error(source + ": training index hash does not match its index list");

  const std::int32_t nb = m.model.bins();
  const std::uint32_t rows = config.features.rows();
  for (std::uint32_t k = 0; k < stored_rows; ++k) {
    auto r = pr.get<std::uint32_t>("weight row");
    if (r >= rows) throw Error(source + ": weight row " + std::to_string(r) + " out of range");
    float* w = m.model.row(r);
    auto tag = pr.get<std::uint8_t>("row encoding");
    if (tag == kRowInt8) {
      auto step = pr.get<float>("row step");
      std::string_view q = pr.take(static_cast<std::size_t>(nb), "row weights");
      for (std::int32_t b = 0; b < nb; ++b)
        w[b] = static_cast<float>(static_cast<std::int8_t>(q[static_cast<std::size_t>(b)])) * step;
    } else if (tag == kRowF32) {
      for (std::int32_t b = 0; b < nb; ++b) w[b] = pr.get<float>("row weights");
    } else {
      throw Error(source + ": unknown row encoding " + std::to_string(tag));
    }
    // A NaN, infinite or huge weight (the CRC only proves the bytes are as written) would turn
    // every prediction's softmax into NaN.
    for (std::int32_t b = 0; b < nb; ++b) {
      if (!(std::fabs(w[b]) <= kMaxAbsWeight))
        throw Error(source + ": weight row " + std::to_string(r) + " bin " + std::to_string(b) +
                    " is " + std::to_string(w[b]) + " (must be finite, |w| <= 1e6)");
    }
  }
  if (pr.left() != 0)
    throw Error(source + ": payload has " + std::to_string(pr.left()) + " unread bytes");
  return m;
}

void save_model(const PredictorModel& m, const std::filesystem::path& path) {
  write_file(path, serialize_model(m));
}

PredictorModel load_model(const std::filesystem::path& path) {
  return parse_model(read_file(path), path.string());
}

}  // namespace odma::predict
