#include "tokenizer/stream_decoder.h"

#include <string_view>

#include "base/error.h"
#include "tokenizer/decoder.h"

namespace odma::tokenizer {

StreamDecoder::StreamDecoder(Tokenizer tokenizer, bool skip_special, bool unknown_as_empty)
    : tokenizer_(std::move(tokenizer)),
      plan_(&tokenizer_.decode_plan()),
      unknown_as_empty_(unknown_as_empty),
      skip_special_(skip_special) {}

std::string StreamDecoder::push(std::int32_t id) {
  std::string out;
  push(id, out);
  return out;
}

void StreamDecoder::push(std::int32_t id, std::string& out) {
  const auto index = static_cast<std::size_t>(id);
  if (id < 0 || index >= plan_->known.size() || !plan_->known[index]) {
    if (unknown_as_empty_ && id >= 0) return;
    throw Error("decode: token id " + std::to_string(id) + " is not in the vocabulary (size " +
                std::to_string(plan_->known.size()) + ")");
  }
  if (skip_special_ && plan_->special[index]) return;
  std::string_view bytes = plan_->bytes[index];
  if (!started_) {  // strip leading characters of the whole output (Strip after Fuse, Metaspace)
    const std::string& ch = plan_->strip_char;
    while (stripped_ < plan_->strip_leading && !bytes.empty() && bytes.substr(0, ch.size()) == ch) {
      bytes.remove_prefix(ch.size());
      ++stripped_;
    }
    started_ = !bytes.empty();
  }
  utf8_.push(bytes, out);
}

std::string StreamDecoder::flush() {
  std::string out;
  flush(out);
  return out;
}

void StreamDecoder::flush(std::string& out) {
  utf8_.finish(out);
  stripped_ = 0;
  started_ = false;
}

}  // namespace odma::tokenizer
