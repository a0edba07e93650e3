// When a request stops, checked after every sampled token (first match wins, in this order):
//   EOS       the token is one of the model's EOS ids (config / generation_config), unless
//   ignore_eos stop      the detokenized output now contains a stop string; the text is cut before
//   it forced    forced_output_tokens reached (trace replay) length    max_tokens reached
// The output text is decoded incrementally (StreamDecoder, special tokens skipped), so a stop
// string is found as soon as its last character is complete, even across token boundaries.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "serve/request.h"
#include "tokenizer/stream_decoder.h"
#include "tokenizer/tokenizer.h"

namespace odma::serve {

class StopCriteria {
 public:
  // `tokenizer` may be null (no text, and then `params.stop` must be empty: odma::Error).
  StopCriteria(const RequestParams& params, std::vector<std::int32_t> eos_ids,
               const tokenizer::Tokenizer* tokenizer);

  // Records `token`, the request's `n_generated`-th output token; returns why it ends, or kNone.
  [[nodiscard]] FinishReason on_token(std::int32_t token, std::int32_t n_generated);

  // The output text so far (complete characters only until finish() flushes the rest).
  const std::string& text() const { return text_; }
  // Ends the stream: any held partial character is flushed (unless a stop string cut the text).
  void finish();

 private:
  bool matched_stop_string(std::size_t searched_from);

  std::vector<std::int32_t> eos_ids_;
  bool ignore_eos_;
  std::int32_t max_tokens_;
  std::int32_t forced_;
  std::vector<std::string> stop_;
  std::size_t longest_stop_ = 0;
  std::optional<tokenizer::StreamDecoder> decoder_;
  std::string text_;
  bool cut_ = false;  // a stop string cut the text: nothing more is appended
};

}  // namespace odma::serve
