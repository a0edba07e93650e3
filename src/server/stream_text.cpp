#include "server/stream_text.h"

#include <algorithm>
#include <utility>

#include "base/error.h"
#include "server/utf8.h"

namespace odma::server {

StreamTextEmitter::StreamTextEmitter(std::vector<std::string> stop) : stop_(std::move(stop)) {
  for (const std::string& s : stop_) {
    if (s.empty()) throw Error("stream: stop strings must not be empty");
  }
}

std::size_t StreamTextEmitter::find_stop(std::string_view text, std::size_t from) const {
  std::size_t best = std::string_view::npos;
  for (const std::string& s : stop_) best = std::min(best, text.find(s, from));
  return best;
}

std::size_t StreamTextEmitter::held(std::string_view text) const {
  const std::string_view unsent = text.substr(sent_);
  std::size_t hold = 0;
  for (const std::string& s : stop_) {
    // Longest k < |s| with unsent ending in s[0, k); longer k first, so the first hit is the max.
    for (std::size_t k = std::min(s.size() - 1, unsent.size()); k > hold; --k) {
      if (unsent.substr(unsent.size() - k) == std::string_view(s).substr(0, k)) {
        hold = k;
        break;
      }
    }
  }
  // Never split a character: the engine only appends whole ones, but a cut must not rely on it.
  return std::max(hold, std::min(incomplete_utf8_tail(unsent), unsent.size()));
}

std::string StreamTextEmitter::take(std::string_view text, std::size_t end) {
  std::string delta(text.substr(sent_, end - sent_));
  sent_ = end;
  return delta;
}

std::string StreamTextEmitter::next(std::string_view text) {
  if (finished_) throw Error("stream: next() after finish()");
  if (stopped_) return "";
  if (text.size() < sent_) {
    throw Error("stream: the text (" + std::to_string(text.size()) +
                " bytes) is shorter than what was already sent (" + std::to_string(sent_) + ")");
  }
  // A new occurrence cannot start before sent_: the bytes from its start were held back.
  if (const std::size_t at = find_stop(text, sent_); at != std::string_view::npos) {
    stopped_ = true;
    return take(text, at);
  }
  return take(text, text.size() - held(text));
}

std::string StreamTextEmitter::finish(std::string_view text) {
  if (finished_) throw Error("stream: finish() called twice");
  std::string rest = next(text);
  finished_ = true;
  if (stopped_) return rest;
  rest += take(text, text.size());  // nothing can complete a held prefix any more
  return rest;
}

}  // namespace odma::server
