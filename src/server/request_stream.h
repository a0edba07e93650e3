// One request's channel from the engine thread to the HTTP thread that serves it (llama.cpp's
// server-queue "results" side): the engine thread publishes the request's output after every step
// it took part in; the HTTP thread waits for news with a timeout, so that it can check whether its
// client is still there between waits.
//
//   engine thread   publish(i, output) choice i's text/tokens so far (text already cut at a stop
//                                      string)
//                   finish(i, output)  choice i's final output; `done` once every choice ended
//                   fail(error)       the request ends with an error (policy failure, drain)
//   HTTP thread     wait_for(after, timeout) → a Snapshot once `version` > after, or at timeout
//
// Everything is copied under one mutex: a snapshot is a consistent view of one moment.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "model/logprobs.h"
#include "serve/request.h"
#include "server/openai_error.h"

namespace odma::server {

// One choice (sample) of a request: OpenAI's `n` gives a request several.
struct ChoiceSnapshot {
  std::string text;  // the output text so far (cut before a matched stop string)
  // Lengths of `text` at each publish that grew it, after the first `marks_seen` the caller
  // already had: a streamer sends one chunk per mark (per token, as vLLM) even when it woke up
  // late. `marks_total` = marks_seen + new_marks.size().
  std::vector<std::size_t> new_marks;
  std::size_t marks_total = 0;
  std::int32_t completion_tokens = 0;
  bool done = false;
  serve::FinishReason finish = serve::FinishReason::kNone;
  // Log-probabilities (when asked) of the tokens past the caller's cursor; logprobs_total =
  // cursor + new_logprobs.size().
  std::vector<model::LogprobEntry> new_logprobs;
  std::size_t logprobs_total = 0;
};

// How far a reader of a choice got: marks and log-probability entries already taken.
struct ChoiceCursor {
  std::size_t marks = 0;
  std::size_t logprobs = 0;
};

struct StreamSnapshot {
  std::uint64_t version = 0;            // bumps with every publish / finish / fail
  std::vector<ChoiceSnapshot> choices;  // by index
  std::int32_t prompt_tokens = 0;
  std::int32_t cached_tokens = 0;  // prompt tokens read from the prefix cache
  bool done = false;               // every choice ended, or the request failed
  // The prompt's log-probabilities (RequestParams::prompt_logprobs), once the first token came.
  std::vector<std::optional<model::LogprobEntry>> prompt_logprobs;
  std::optional<ApiError> error;                         // set when the request failed
  [[nodiscard]] std::int32_t completion_tokens() const;  // over every choice
};

class RequestStream {
 public:
  explicit RequestStream(std::size_t choices = 1);

  // Engine thread. `choice` indexes the request's samples.
  void publish(std::size_t choice, const serve::RequestOutput& output);
  void finish(std::size_t choice, const serve::RequestOutput& output);
  // The whole request ends with an error (one failed choice fails the response).
  void fail(ApiError error);

  // HTTP thread: the first snapshot newer than `after`, or the current one after `timeout`; each
  // choice's new marks and log-probabilities are those past seen[choice] (none seen where the
  // vector is shorter).
  [[nodiscard]] StreamSnapshot wait_for(std::uint64_t after, std::chrono::milliseconds timeout,
                                        const std::vector<ChoiceCursor>& seen = {});
  [[nodiscard]] StreamSnapshot snapshot() const;  // no marks or log-probabilities

 private:
  void update(std::size_t choice, const serve::RequestOutput& output, bool done);
  StreamSnapshot copy(const std::vector<ChoiceCursor>& seen) const;

  mutable std::mutex mu_;
  std::condition_variable changed_;
  StreamSnapshot state_;                         // new_marks unused here: marks_ holds them all
  std::vector<std::vector<std::size_t>> marks_;  // per choice
  std::vector<std::vector<model::LogprobEntry>> logprobs_;  // per choice
};

}  // namespace odma::server
