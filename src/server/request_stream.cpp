#include "server/request_stream.h"

namespace odma::server {

void RequestStream::update(const serve::RequestOutput& output, bool done) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (state_.done) return;  // a failed or finished stream does not change again
    ++state_.version;
    if (output.text.size() > (marks_.empty() ? 0 : marks_.back()))
      marks_.push_back(output.text.size());
    state_.text = output.text;
    state_.prompt_tokens = output.prompt_tokens;
    state_.completion_tokens = static_cast<std::int32_t>(output.output_ids.size());
    state_.cached_tokens = output.cached_tokens;
    state_.finish = output.finish;
    state_.done = done;
  }
  changed_.notify_all();
}

void RequestStream::publish(const serve::RequestOutput& output) {
  update(output, false);
}

void RequestStream::finish(const serve::RequestOutput& output) {
  update(output, true);
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

StreamSnapshot RequestStream::wait_for(std::uint64_t after, std::chrono::milliseconds timeout,
                                       std::size_t marks_seen) {
  std::unique_lock<std::mutex> lock(mu_);
  changed_.wait_for(lock, timeout, [&] { return state_.version > after; });
  StreamSnapshot s = state_;
  if (marks_seen < marks_.size())
    s.new_marks.assign(marks_.begin() + static_cast<std::ptrdiff_t>(marks_seen), marks_.end());
  s.marks_total = marks_.size();
  return s;
}

StreamSnapshot RequestStream::snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  StreamSnapshot s = state_;
  s.marks_total = marks_.size();
  return s;
}

}  // namespace odma::server
