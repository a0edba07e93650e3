#include "tokenizer/tokenizer_json.h"

#include <nlohmann/json.hpp>

#include "base/error.h"

namespace odma::tokenizer {
namespace {

using nlohmann::json;

// Reads fields of one JSON object, naming file and JSON path in every error.
class Reader {
 public:
  explicit Reader(const std::string& source) : source_(source) {}

  [[noreturn]] void fail(const std::string& where, const std::string& what) const {
    throw Error(source_ + ": " + (where.empty() ? "" : where + ": ") + what);
  }

  const json& object(const json& j, const std::string& where) const {
    if (!j.is_object()) fail(where, "expected a JSON object");
    return j;
  }
  const json& required(const json& obj, const std::string& key, const std::string& where) const {
    auto it = obj.find(key);
    if (it == obj.end()) fail(where, "missing \"" + key + "\"");
    return *it;
  }
  std::string string(const json& obj, const std::string& key, const std::string& where,
                     std::optional<std::string> fallback = std::nullopt) const {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) {
      if (fallback) return *fallback;
      fail(where, "missing \"" + key + "\"");
    }
    if (!it->is_string()) fail(where, "\"" + key + "\" must be a string");
    return it->get<std::string>();
  }
  bool boolean(const json& obj, const std::string& key, const std::string& where,
               bool fallback) const {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return fallback;
    if (!it->is_boolean()) fail(where, "\"" + key + "\" must be true or false");
    return it->get<bool>();
  }
  int integer(const json& obj, const std::string& key, const std::string& where,
              int fallback) const {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return fallback;
    if (!it->is_number_integer()) fail(where, "\"" + key + "\" must be an integer");
    return it->get<int>();
  }
  std::int32_t token_id(const json& j, const std::string& where) const {
    if (!j.is_number_integer() || j.get<std::int64_t>() < 0 || j.get<std::int64_t>() > INT32_MAX) {
      fail(where, "token id must be a non-negative 32-bit integer");
    }
    return j.get<std::int32_t>();
  }
  // {"String": "..."} or {"Regex": "..."} -> (text, is_regex)
  std::pair<std::string, bool> pattern(const json& obj, const std::string& where) const {
    const json& p = object(required(obj, "pattern", where), where + ".pattern");
    if (p.contains("String")) return {string(p, "String", where + ".pattern"), false};
    if (p.contains("Regex")) return {string(p, "Regex", where + ".pattern"), true};
    fail(where + ".pattern", "expected {\"String\": ...} or {\"Regex\": ...}");
  }

 private:
  const std::string& source_;
};

std::string type_of(const Reader& r, const json& obj, const std::string& where) {
  return r.string(r.object(obj, where), "type", where);
}

void parse_model(const Reader& r, const json& root, TokenizerSpec& spec) {
  auto it = root.find("model");
  if (it == root.end() || it->is_null()) r.fail("", "missing \"model\"");
  const json& model = r.object(*it, "model");
  std::string type =
      r.string(model, "type", "model", std::string(model.contains("merges") ? "BPE" : ""));
  if (type != "BPE") {
    r.fail("model", "model type \"" + type + "\" is not supported (only BPE)");
  }
  auto vocab_it = model.find("vocab");
  if (vocab_it == model.end() || !vocab_it->is_object()) {
    r.fail("model", "missing \"vocab\" (an object of token -> id)");
  }
  spec.vocab.reserve(vocab_it->size());
  for (auto v = vocab_it->begin(); v != vocab_it->end(); ++v) {
    spec.vocab.emplace_back(v.key(), r.token_id(v.value(), "model.vocab[\"" + v.key() + "\"]"));
  }
  auto merges_it = model.find("merges");
  if (merges_it == model.end() || !merges_it->is_array()) {
    r.fail("model", "missing \"merges\" (an array)");
  }
  spec.merges.reserve(merges_it->size());
  for (std::size_t i = 0; i < merges_it->size(); ++i) {
    const json& m = (*merges_it)[i];
    const std::string where = "model.merges[" + std::to_string(i) + "]";
    if (m.is_string()) {  // "left right": exactly one space, as Hugging Face requires
      const std::string& s = m.get_ref<const std::string&>();
      std::size_t space = s.find(' ');
      if (space == std::string::npos || s.find(' ', space + 1) != std::string::npos || space == 0 ||
          space + 1 == s.size()) {
        r.fail(where, "bad merges entry \"" + s + "\" (expected \"left right\")");
      }
      spec.merges.emplace_back(s.substr(0, space), s.substr(space + 1));
    } else if (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string() &&
               !m[0].get_ref<const std::string&>().empty() &&
               !m[1].get_ref<const std::string&>().empty()) {
      spec.merges.emplace_back(m[0].get<std::string>(), m[1].get<std::string>());
    } else {
      r.fail(where, "bad merges entry " + m.dump() + " (expected \"left right\" or [left, right])");
    }
  }
  if (auto u = model.find("unk_token"); u != model.end() && !u->is_null()) {
    spec.unk_token = r.string(model, "unk_token", "model");
  }
  spec.byte_fallback = r.boolean(model, "byte_fallback", "model", false);
  spec.fuse_unk = r.boolean(model, "fuse_unk", "model", false);
  spec.ignore_merges = r.boolean(model, "ignore_merges", "model", false);
  if (!r.string(model, "continuing_subword_prefix", "model", "").empty() ||
      !r.string(model, "end_of_word_suffix", "model", "").empty()) {
    r.fail("model", "continuing_subword_prefix / end_of_word_suffix are not supported");
  }
  if (auto d = model.find("dropout"); d != model.end() && !d->is_null()) {
    if (!d->is_number() || d->get<double>() != 0.0) r.fail("model", "BPE dropout is not supported");
  }
}

void parse_added_tokens(const Reader& r, const json& root, TokenizerSpec& spec) {
  auto it = root.find("added_tokens");
  if (it == root.end() || it->is_null()) return;
  if (!it->is_array()) r.fail("added_tokens", "expected an array");
  for (std::size_t i = 0; i < it->size(); ++i) {
    const std::string where = "added_tokens[" + std::to_string(i) + "]";
    const json& t = r.object((*it)[i], where);
    AddedToken a;
    a.id = r.token_id(r.required(t, "id", where), where + ".id");
    a.content = r.string(t, "content", where);
    if (a.content.empty()) r.fail(where, "empty \"content\"");
    a.special = r.boolean(t, "special", where, false);
    a.lstrip = r.boolean(t, "lstrip", where, false);
    a.rstrip = r.boolean(t, "rstrip", where, false);
    a.single_word = r.boolean(t, "single_word", where, false);
    a.normalized = r.boolean(t, "normalized", where, false);
    spec.added_tokens.push_back(std::move(a));
  }
}

void parse_normalizer(const Reader& r, const json& n, const std::string& where,
                      std::vector<NormalizerStep>& out) {
  if (n.is_null()) return;
  const std::string type = type_of(r, n, where);
  using K = NormalizerStep::Kind;
  if (type == "Sequence") {
    const json& list = r.required(n, "normalizers", where);
    if (!list.is_array()) r.fail(where, "\"normalizers\" must be an array");
    for (std::size_t i = 0; i < list.size(); ++i) {
      parse_normalizer(r, list[i], where + ".normalizers[" + std::to_string(i) + "]", out);
    }
  } else if (type == "NFC") {
    out.push_back({K::kNfc, "", ""});
  } else if (type == "NFD") {
    out.push_back({K::kNfd, "", ""});
  } else if (type == "NFKC") {
    out.push_back({K::kNfkc, "", ""});
  } else if (type == "NFKD") {
    out.push_back({K::kNfkd, "", ""});
  } else if (type == "Lowercase") {
    out.push_back({K::kLowercase, "", ""});
  } else if (type == "Prepend") {
    out.push_back({K::kPrepend, r.string(n, "prepend", where), ""});
  } else if (type == "Replace") {
    auto [pattern, is_regex] = r.pattern(n, where);
    if (is_regex) r.fail(where, "Replace with a regex pattern is not supported");
    out.push_back({K::kReplace, pattern, r.string(n, "content", where)});
  } else {
    r.fail(where, "normalizer type \"" + type + "\" is not supported");
  }
}

SplitBehavior split_behavior(const Reader& r, const std::string& name, const std::string& where) {
  if (name == "Isolated") return SplitBehavior::kIsolated;
  if (name == "Removed") return SplitBehavior::kRemoved;
  if (name == "MergedWithPrevious") return SplitBehavior::kMergedWithPrevious;
  if (name == "MergedWithNext") return SplitBehavior::kMergedWithNext;
  if (name == "Contiguous") return SplitBehavior::kContiguous;
  r.fail(where, "unknown split behavior \"" + name + "\"");
}

PrependScheme prepend_scheme(const Reader& r, const json& p, const std::string& where) {
  if (p.contains("prepend_scheme")) {
    std::string s = r.string(p, "prepend_scheme", where);
    if (s == "always") return PrependScheme::kAlways;
    if (s == "first") return PrependScheme::kFirst;
    if (s == "never") return PrependScheme::kNever;
    r.fail(where, "unknown prepend_scheme \"" + s + "\"");
  }
  return r.boolean(p, "add_prefix_space", where, true) ? PrependScheme::kAlways
                                                       : PrependScheme::kNever;
}

void parse_pre_tokenizer(const Reader& r, const json& p, const std::string& where,
                         std::vector<PreTokenizerStep>& out) {
  if (p.is_null()) return;
  const std::string type = type_of(r, p, where);
  PreTokenizerStep step;
  if (type == "Sequence") {
    const json& list = r.required(p, "pretokenizers", where);
    if (!list.is_array()) r.fail(where, "\"pretokenizers\" must be an array");
    for (std::size_t i = 0; i < list.size(); ++i) {
      parse_pre_tokenizer(r, list[i], where + ".pretokenizers[" + std::to_string(i) + "]", out);
    }
    return;
  } else if (type == "Split") {
    step.kind = PreTokenizerStep::Kind::kSplit;
    auto [pattern, is_regex] = r.pattern(p, where);
    step.pattern = pattern;
    step.literal = !is_regex;
    step.behavior = split_behavior(r, r.string(p, "behavior", where), where);
    if (r.boolean(p, "invert", where, false))
      r.fail(where, "Split with invert=true is not supported");
  } else if (type == "ByteLevel") {
    step.kind = PreTokenizerStep::Kind::kByteLevel;
    step.add_prefix_space = r.boolean(p, "add_prefix_space", where, true);
    step.use_regex = r.boolean(p, "use_regex", where, true);
  } else if (type == "Metaspace") {
    step.kind = PreTokenizerStep::Kind::kMetaspace;
    step.replacement = r.string(p, "replacement", where, std::string("\xE2\x96\x81"));
    if (step.replacement.empty()) r.fail(where, "empty \"replacement\"");
    step.prepend = prepend_scheme(r, p, where);
    step.split = r.boolean(p, "split", where, true);
  } else {
    r.fail(where, "pre_tokenizer type \"" + type + "\" is not supported");
  }
  out.push_back(std::move(step));
}

void parse_decoder(const Reader& r, const json& d, const std::string& where,
                   std::vector<DecoderStep>& out) {
  if (d.is_null()) return;
  const std::string type = type_of(r, d, where);
  using K = DecoderStep::Kind;
  DecoderStep step{K::kFuse, "", "", 0, 0, true};
  if (type == "Sequence") {
    const json& list = r.required(d, "decoders", where);
    if (!list.is_array()) r.fail(where, "\"decoders\" must be an array");
    for (std::size_t i = 0; i < list.size(); ++i) {
      parse_decoder(r, list[i], where + ".decoders[" + std::to_string(i) + "]", out);
    }
    return;
  } else if (type == "ByteLevel") {
    step.kind = K::kByteLevel;
  } else if (type == "Replace") {
    step.kind = K::kReplace;
    auto [pattern, is_regex] = r.pattern(d, where);
    if (is_regex) r.fail(where, "Replace with a regex pattern is not supported");
    step.pattern = pattern;
    step.content = r.string(d, "content", where);
  } else if (type == "ByteFallback") {
    step.kind = K::kByteFallback;
  } else if (type == "Fuse") {
    step.kind = K::kFuse;
  } else if (type == "Strip") {
    step.kind = K::kStrip;
    step.content = r.string(d, "content", where);
    step.start = r.integer(d, "start", where, 0);
    step.stop = r.integer(d, "stop", where, 0);
    if (step.start < 0 || step.stop < 0) r.fail(where, "Strip start/stop must be >= 0");
  } else if (type == "Metaspace") {
    step.kind = K::kMetaspace;
    step.pattern = r.string(d, "replacement", where, std::string("\xE2\x96\x81"));
    step.prepend = prepend_scheme(r, d, where) != PrependScheme::kNever;
  } else {
    r.fail(where, "decoder type \"" + type + "\" is not supported");
  }
  out.push_back(std::move(step));
}

// Appends the ids a post-processor puts around a single sequence.
void parse_post_processor(const Reader& r, const json& p, const std::string& where,
                          TokenizerSpec& spec) {
  if (p.is_null()) return;
  spec.has_post_processor = true;
  const std::string type = type_of(r, p, where);
  if (type == "Sequence") {
    const json& list = r.required(p, "processors", where);
    if (!list.is_array()) r.fail(where, "\"processors\" must be an array");
    for (std::size_t i = 0; i < list.size(); ++i) {
      parse_post_processor(r, list[i], where + ".processors[" + std::to_string(i) + "]", spec);
    }
  } else if (type == "ByteLevel") {
    // offsets only; adds no tokens
  } else if (type == "TemplateProcessing") {
    const json& single = r.required(p, "single", where);
    if (!single.is_array()) r.fail(where, "\"single\" must be an array");
    const json& specials =
        r.object(r.required(p, "special_tokens", where), where + ".special_tokens");
    bool after_sequence = false;
    for (std::size_t i = 0; i < single.size(); ++i) {
      const std::string w = where + ".single[" + std::to_string(i) + "]";
      const json& piece = r.object(single[i], w);
      if (piece.contains("Sequence")) {
        after_sequence = true;
      } else if (piece.contains("SpecialToken")) {
        std::string name = r.string(r.object(piece["SpecialToken"], w), "id", w + ".SpecialToken");
        auto s = specials.find(name);
        if (s == specials.end()) r.fail(w, "special token \"" + name + "\" not in special_tokens");
        const json& ids = r.required(r.object(*s, w), "ids", where + ".special_tokens." + name);
        if (!ids.is_array()) r.fail(where + ".special_tokens." + name, "\"ids\" must be an array");
        for (const json& id : ids) {
          (after_sequence ? spec.suffix_ids : spec.prefix_ids).push_back(r.token_id(id, w));
        }
      } else {
        r.fail(w, "expected {\"Sequence\": ...} or {\"SpecialToken\": ...}");
      }
    }
  } else if (type == "RobertaProcessing" || type == "BertProcessing") {
    auto pair_id = [&](const char* key) {
      const json& v = r.required(p, key, where);
      if (!v.is_array() || v.size() != 2)
        r.fail(where, std::string("\"") + key + "\" must be [token, id]");
      return r.token_id(v[1], where + "." + key);
    };
    spec.prefix_ids.push_back(pair_id("cls"));
    spec.suffix_ids.push_back(pair_id("sep"));
  } else {
    r.fail(where, "post_processor type \"" + type + "\" is not supported");
  }
}

// Token strings in tokenizer_config.json are plain strings or {"content": "..."} objects.
std::optional<std::string> config_token(const Reader& r, const json& config,
                                        const std::string& key) {
  auto it = config.find(key);
  if (it == config.end() || it->is_null()) return std::nullopt;
  if (it->is_string()) return it->get<std::string>();
  if (it->is_object()) return r.string(*it, "content", key);
  r.fail(key, "expected a string, an object with \"content\", or null");
}

json parse_json(std::string_view text, const std::string& source) {
  try {
    return json::parse(text.begin(), text.end());
  } catch (const json::exception& e) {  // parse_error, or out_of_range for a number like 1e999
    throw Error(source + ": truncated or invalid JSON (" + e.what() + ")");
  }
}

}  // namespace

TokenizerSpec parse_tokenizer_json(std::string_view text, const std::string& source) {
  const json root = parse_json(text, source);
  TokenizerSpec spec;
  spec.source = source;
  Reader r(spec.source);
  r.object(root, "");
  try {
    parse_model(r, root, spec);
    parse_added_tokens(r, root, spec);
    auto section = [&](const char* key) -> const json& {
      static const json null_value;
      auto it = root.find(key);
      return it == root.end() ? null_value : *it;
    };
    parse_normalizer(r, section("normalizer"), "normalizer", spec.normalizer);
    parse_pre_tokenizer(r, section("pre_tokenizer"), "pre_tokenizer", spec.pre_tokenizer);
    parse_decoder(r, section("decoder"), "decoder", spec.decoder);
    parse_post_processor(r, section("post_processor"), "post_processor", spec);
  } catch (const json::exception& e) {  // a field of an unexpected JSON type
    throw Error(source + ": unexpected JSON structure (" + e.what() + ")");
  }
  return spec;
}

void parse_tokenizer_config(std::string_view text, const std::string& source, TokenizerSpec& spec) {
  const json config = parse_json(text, source);
  spec.config_source = source;
  Reader r(spec.config_source);
  r.object(config, "");
  try {
    spec.bos_token = config_token(r, config, "bos_token");
    spec.eos_token = config_token(r, config, "eos_token");
    spec.pad_token = config_token(r, config, "pad_token");
    spec.add_bos_token = r.boolean(config, "add_bos_token", "", false);
    spec.add_eos_token = r.boolean(config, "add_eos_token", "", false);
  } catch (const json::exception& e) {
    throw Error(source + ": unexpected JSON structure (" + e.what() + ")");
  }
}

}  // namespace odma::tokenizer
