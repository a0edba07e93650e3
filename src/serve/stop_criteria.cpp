#include "serve/stop_criteria.h"

#include <algorithm>

#include "base/error.h"
#include "model/sampling.h"

namespace odma::serve {

std::string_view to_string(FinishReason r) {
  switch (r) {
    case FinishReason::kNone:
      return "running";
    case FinishReason::kEos:
      return "eos";
    case FinishReason::kLength:
      return "length";
    case FinishReason::kStopString:
      return "stop";
    case FinishReason::kForced:
      return "forced";
    case FinishReason::kCancelled:
      return "cancelled";
    case FinishReason::kFailed:
      return "failed";
    case FinishReason::kError:
      return "error";
  }
  return "?";
}

StopCriteria::StopCriteria(const RequestParams& params, std::vector<std::int32_t> eos_ids,
                           const tokenizer::Tokenizer* tokenizer)
    : eos_ids_(std::move(eos_ids)),
      ignore_eos_(params.sampling.ignore_eos),
      max_tokens_(params.sampling.max_tokens),
      forced_(params.forced_output_tokens),
      stop_(params.stop) {
  for (const std::string& s : stop_) {
    if (s.empty()) throw Error("request: stop strings must not be empty");
    longest_stop_ = std::max(longest_stop_, s.size());
  }
  if (!stop_.empty() && tokenizer == nullptr) {
    throw Error("request: stop strings need a tokenizer, and this engine has none");
  }
  if (tokenizer != nullptr)
    decoder_.emplace(*tokenizer, /*skip_special=*/true, /*unknown_as_empty=*/true);
}

bool StopCriteria::matched_stop_string(std::size_t searched_from) {
  // A new match must end in the newly appended text: start looking longest_stop_ − 1 bytes back.
  const std::size_t from = searched_from >= longest_stop_ ? searched_from - (longest_stop_ - 1) : 0;
  std::size_t best = std::string::npos;
  for (const std::string& s : stop_) best = std::min(best, text_.find(s, from));
  if (best == std::string::npos) return false;
  text_.resize(best);
  cut_ = true;
  return true;
}

FinishReason StopCriteria::on_token(std::int32_t token, std::int32_t n_generated) {
  if (model::is_stop(token, eos_ids_, ignore_eos_)) return FinishReason::kEos;
  if (decoder_ && !cut_) {
    const std::size_t before = text_.size();
    decoder_->push(token, text_);
    if (!stop_.empty() && text_.size() > before && matched_stop_string(before)) {
      return FinishReason::kStopString;
    }
  }
  if (forced_ > 0 && n_generated >= forced_) return FinishReason::kForced;
  if (n_generated >= max_tokens_) return FinishReason::kLength;
  return FinishReason::kNone;
}

void StopCriteria::finish() {
  if (decoder_ && !cut_) decoder_->flush(text_);
}

}  // namespace odma::serve
