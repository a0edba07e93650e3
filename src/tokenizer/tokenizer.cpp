#include "tokenizer/tokenizer.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <unordered_map>

#include "base/error.h"
#include "base/file_io.h"
#include "tokenizer/added_tokens.h"
#include "tokenizer/bpe.h"
#include "tokenizer/decoder.h"
#include "tokenizer/normalizer.h"
#include "tokenizer/pretokenizer.h"
#include "tokenizer/stream_decoder.h"
#include "tokenizer/tokenizer_json.h"
#include "tokenizer/utf8.h"
#include "tokenizer/vocab.h"
#include "tokenizer/word_cache.h"

namespace odma::tokenizer {
namespace fs = std::filesystem;

namespace {

// Largest token id accepted (real vocabularies stay below 1M).
constexpr std::int32_t kMaxTokenId = 1 << 24;

std::atomic<std::uint64_t> next_serial{1};

std::optional<fs::path> existing(fs::path p) {
  if (fs::exists(p)) return p;
  p += ".gz";
  if (fs::exists(p)) return p;
  return std::nullopt;
}

}  // namespace

struct Tokenizer::Impl {
  std::string source;
  Vocab vocab;
  std::vector<AddedToken> added;
  std::unordered_map<std::string, std::int32_t, StringHash, std::equal_to<>> added_ids;
  std::unique_ptr<BpeModel> bpe;  // points into `vocab`: Impl never moves once built
  Normalizer normalizer;
  PreTokenizer pre_tokenizer;
  AddedTokenMatcher matcher;
  DecodePlan plan;
  std::vector<std::int32_t> prefix_ids;
  std::vector<std::int32_t> suffix_ids;
  std::optional<std::int32_t> bos, eos, pad;
  std::int32_t vocab_size = 0;
  std::uint64_t serial = next_serial.fetch_add(1);

  void encode_word(std::string_view word, std::vector<std::int32_t>& out) const {
    if (!WordCache::cacheable(word)) {
      bpe->encode_word(word, out);
      return;
    }
    WordCache& cache = WordCache::for_thread(serial);
    const std::uint64_t hash = word_hash(word);
    if (cache.lookup(word, hash, out)) return;
    const std::size_t before = out.size();
    bpe->encode_word(word, out);
    cache.store(word, hash, out.data() + before, out.size() - before);
  }
};

Tokenizer Tokenizer::load(const fs::path& dir_or_tokenizer_json) {
  std::optional<fs::path> json_path;
  fs::path dir;
  if (fs::is_directory(dir_or_tokenizer_json)) {
    dir = dir_or_tokenizer_json;
    json_path = existing(dir / "tokenizer.json");
    if (!json_path) throw Error(dir.string() + ": no tokenizer.json in this directory");
  } else {
    json_path = existing(dir_or_tokenizer_json);
    if (!json_path) throw Error("tokenizer file not found: " + dir_or_tokenizer_json.string());
    dir = json_path->parent_path();
  }
  TokenizerSpec spec = parse_tokenizer_json(read_file(*json_path), json_path->string());
  if (auto config = existing(dir / "tokenizer_config.json")) {
    parse_tokenizer_config(read_file(*config), config->string(), spec);
  }
  return from_spec(std::move(spec));
}

Tokenizer Tokenizer::from_json(std::string_view tokenizer_json, const std::string& source,
                               std::string_view config_json, const std::string& config_source) {
  TokenizerSpec spec = parse_tokenizer_json(tokenizer_json, source);
  if (!config_json.empty()) parse_tokenizer_config(config_json, config_source, spec);
  return from_spec(std::move(spec));
}

Tokenizer Tokenizer::from_spec(TokenizerSpec spec) {
  auto impl = std::make_shared<Impl>();
  const std::string& src = spec.source;
  impl->source = src;

  if (spec.vocab.empty()) throw Error(src + ": model.vocab is empty");
  // Ids index dense tables (decode plan, vocab); a corrupt huge id must not allocate gigabytes.
  auto check_range = [&](std::int32_t id, const std::string& where) {
    if (id >= kMaxTokenId) {
      throw Error(src + ": " + where + ": token id " + std::to_string(id) +
                  " is too large (limit " + std::to_string(kMaxTokenId) + ")");
    }
  };
  for (const auto& [token, id] : spec.vocab) check_range(id, "model.vocab[\"" + token + "\"]");
  for (const AddedToken& t : spec.added_tokens) check_range(t.id, "added_tokens");
  for (auto& [token, id] : spec.vocab) {
    std::string shown = token;
    if (!impl->vocab.add(std::move(token), id)) {
      throw Error(src + ": model.vocab: token \"" + shown + "\" or id " + std::to_string(id) +
                  " appears twice");
    }
  }
  auto vocab_id = [&](const std::string& token, const std::string& where) {
    auto id = impl->vocab.find(token);
    if (!id) throw Error(src + ": " + where + ": token \"" + token + "\" is not in model.vocab");
    return *id;
  };

  std::vector<std::array<std::int32_t, 3>> merges;
  merges.reserve(spec.merges.size());
  for (std::size_t i = 0; i < spec.merges.size(); ++i) {
    const auto& [left, right] = spec.merges[i];
    const std::string where = "model.merges[" + std::to_string(i) + "]";
    merges.push_back(
        {vocab_id(left, where), vocab_id(right, where), vocab_id(left + right, where)});
  }

  std::int32_t limit = impl->vocab.id_limit();
  for (const AddedToken& t : spec.added_tokens) {
    impl->added_ids.emplace(t.content, t.id);  // the first of duplicate contents wins
    limit = std::max(limit, t.id + 1);
  }
  impl->vocab_size = limit;
  impl->added = spec.added_tokens;

  BpeOptions options;
  try {  // a split pattern PCRE2 refuses is found only here: name the file
    impl->pre_tokenizer = PreTokenizer(spec.pre_tokenizer);
  } catch (const Error& e) {
    throw Error(src + ": pre_tokenizer: " + e.what());
  }
  options.byte_level = impl->pre_tokenizer.byte_level();
  options.byte_fallback = spec.byte_fallback;
  options.fuse_unk = spec.fuse_unk;
  options.ignore_merges = spec.ignore_merges;
  if (spec.unk_token) options.unk_id = vocab_id(*spec.unk_token, "model.unk_token");
  impl->bpe = std::make_unique<BpeModel>(impl->vocab, merges, options);

  impl->normalizer = Normalizer(std::move(spec.normalizer));
  impl->matcher = AddedTokenMatcher(spec.added_tokens);
  impl->plan = build_decode_plan(impl->vocab, spec.added_tokens, spec.decoder, src);

  auto check_ids = [&](const std::vector<std::int32_t>& ids) {
    for (std::int32_t id : ids) {
      if (id >= limit || !impl->plan.known[static_cast<std::size_t>(id)]) {
        throw Error(src + ": post_processor uses token id " + std::to_string(id) +
                    ", which is not in the vocabulary");
      }
    }
  };
  if (spec.has_post_processor) {
    impl->prefix_ids = spec.prefix_ids;
    impl->suffix_ids = spec.suffix_ids;
    check_ids(impl->prefix_ids);
    check_ids(impl->suffix_ids);
  }

  Tokenizer tok(impl);
  auto config_id = [&](const std::optional<std::string>& token, const char* key) {
    std::optional<std::int32_t> id;
    if (!token) return id;
    id = tok.token_id(*token);
    if (!id) {
      throw Error(spec.config_source + ": " + key + " \"" + *token + "\" is not a token of " + src);
    }
    return id;
  };
  impl->bos = config_id(spec.bos_token, "bos_token");
  impl->eos = config_id(spec.eos_token, "eos_token");
  impl->pad = config_id(spec.pad_token, "pad_token");
  if (!spec.has_post_processor) {  // no post_processor: tokenizer_config's flags decide
    if (spec.add_bos_token && impl->bos) impl->prefix_ids.push_back(*impl->bos);
    if (spec.add_eos_token && impl->eos) impl->suffix_ids.push_back(*impl->eos);
  }
  return tok;
}

void Tokenizer::encode_words(std::string_view text, std::vector<std::int32_t>& out) const {
  const Impl& impl = *impl_;
  std::vector<Segment> segments;
  impl.matcher.split(text, segments);
  std::string scratch;
  for (const Segment& seg : segments) {
    if (seg.id >= 0) {
      out.push_back(seg.id);
      continue;
    }
    std::string_view normalized = impl.normalizer.apply(seg.text, scratch);
    impl.pre_tokenizer.split(normalized, seg.offset == 0,
                             [&](std::string_view word) { impl.encode_word(word, out); });
  }
}

void Tokenizer::encode_into(std::string_view text, std::vector<std::int32_t>& out,
                            bool add_special_tokens) const {
  if (std::size_t bad = utf8_invalid_offset(text); bad != text.size()) {
    throw Error("tokenizer input is not valid UTF-8 (byte " + std::to_string(bad) + " of " +
                std::to_string(text.size()) + ")");
  }
  if (add_special_tokens) out.insert(out.end(), impl_->prefix_ids.begin(), impl_->prefix_ids.end());
  encode_words(text, out);
  if (add_special_tokens) out.insert(out.end(), impl_->suffix_ids.begin(), impl_->suffix_ids.end());
}

std::vector<std::int32_t> Tokenizer::encode(std::string_view text, bool add_special_tokens) const {
  std::vector<std::int32_t> ids;
  ids.reserve(text.size() / 3 + 4);
  encode_into(text, ids, add_special_tokens);
  return ids;
}

std::size_t Tokenizer::count_tokens(std::string_view text) const {
  thread_local std::vector<std::int32_t> ids;  // reused: counting allocates nothing when warm
  ids.clear();
  encode_into(text, ids);
  return ids.size();
}

std::string Tokenizer::decode(std::span<const std::int32_t> ids, bool skip_special) const {
  StreamDecoder decoder(*this, skip_special);
  std::string out;
  for (std::int32_t id : ids) decoder.push(id, out);
  decoder.flush(out);
  return out;
}

std::int32_t Tokenizer::vocab_size() const {
  return impl_->vocab_size;
}

std::optional<std::int32_t> Tokenizer::token_id(std::string_view token) const {
  if (auto it = impl_->added_ids.find(token); it != impl_->added_ids.end()) return it->second;
  return impl_->vocab.find(token);
}

std::string_view Tokenizer::token(std::int32_t id) const {
  for (const AddedToken& t : impl_->added) {
    if (t.id == id) return t.content;
  }
  return impl_->vocab.token(id);
}

bool Tokenizer::is_special(std::int32_t id) const {
  return id >= 0 && id < impl_->vocab_size && impl_->plan.special[static_cast<std::size_t>(id)];
}

std::optional<std::int32_t> Tokenizer::bos_id() const {
  return impl_->bos;
}
std::optional<std::int32_t> Tokenizer::eos_id() const {
  return impl_->eos;
}
std::optional<std::int32_t> Tokenizer::pad_id() const {
  return impl_->pad;
}

const DecodePlan& Tokenizer::decode_plan() const {
  return impl_->plan;
}

}  // namespace odma::tokenizer
