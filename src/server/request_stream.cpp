#include "server/request_stream.h"

#include "base/debug.h"

namespace odma::server {

std::int32_t StreamSnapshot::completion_tokens() const {
  std::int32_t n = 0;
  for (const ChoiceSnapshot& c : choices) n += c.completion_tokens;
  return n;
}

RequestStream::RequestStream(std::size_t choices) : marks_(choices), logprobs_(choices) {
  ODMA_ASSERT(choices >= 1);
  state_.choices.resize(choices);
}

void RequestStream::update(std::size_t choice, const serve::RequestOutput& output, bool done) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    ODMA_ASSERT(choice < state_.choices.size());
    ChoiceSnapshot& c = state_.choices[choice];
    if (state_.done || c.done) return;  // a failed or finished choice does not change again
    ++state_.version;
    std::vector<std::size_t>& marks = marks_[choice];
    if (output.text.size() > (marks.empty() ? 0 : marks.back()))
      marks.push_back(output.text.size());
    c.text = output.text;
    std::vector<model::LogprobEntry>& lp = logprobs_[choice];
    if (output.logprobs.size() > lp.size())
      lp.insert(lp.end(), output.logprobs.begin() + static_cast<std::ptrdiff_t>(lp.size()),
                output.logprobs.end());
    c.completion_tokens = static_cast<std::int32_t>(output.output_ids.size());
    c.finish = output.finish;
    c.done = done;
    // Whole once the prefill is: at the first output token.
    if ((done || !output.output_ids.empty()) && state_.prompt_logprobs.empty())
      state_.prompt_logprobs = output.prompt_logprobs;
    state_.prompt_tokens = output.prompt_tokens;
    state_.cached_tokens = output.cached_tokens;  // the same for every choice of a request
    state_.done = true;
    for (const ChoiceSnapshot& other : state_.choices) state_.done = state_.done && other.done;
  }
  changed_.notify_all();
}

void RequestStream::publish(std::size_t choice, const serve::RequestOutput& output) {
  update(choice, output, false);
}

void RequestStream::finish(std::size_t choice, const serve::RequestOutput& output) {
  update(choice, output, true);
}

void RequestStream::fail(ApiError error) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (state_.done) return;
    ++state_.version;
    state_.done = true;
    state_.error = std::move(error);
  }
  changed_.notify_all();
}

StreamSnapshot RequestStream::copy(const std::vector<ChoiceCursor>& seen) const {
  StreamSnapshot s = state_;
  for (std::size_t i = 0; i < s.choices.size(); ++i) {
    const ChoiceCursor at = i < seen.size() ? seen[i] : ChoiceCursor{};
    const std::vector<std::size_t>& marks = marks_[i];
    if (at.marks < marks.size())
      s.choices[i].new_marks.assign(marks.begin() + static_cast<std::ptrdiff_t>(at.marks),
                                    marks.end());
    s.choices[i].marks_total = marks.size();
    const std::vector<model::LogprobEntry>& lp = logprobs_[i];
    if (at.logprobs < lp.size())
      s.choices[i].new_logprobs.assign(lp.begin() + static_cast<std::ptrdiff_t>(at.logprobs),
                                       lp.end());
    s.choices[i].logprobs_total = lp.size();
  }
  return s;
}

StreamSnapshot RequestStream::wait_for(std::uint64_t after, std::chrono::milliseconds timeout,
                                       const std::vector<ChoiceCursor>& seen) {
  std::unique_lock<std::mutex> lock(mu_);
  changed_.wait_for(lock, timeout, [&] { return state_.version > after; });
  return copy(seen);
}

StreamSnapshot RequestStream::snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  return state_;  // without marks or log-probabilities: a look at where the request is
}

}  // namespace odma::server
