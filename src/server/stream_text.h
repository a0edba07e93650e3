// Stop-string hold-back for streamed responses: which part of the text generated so far is safe
// to send now.
//
// The engine's StopCriteria (serve/stop_criteria.h) checks the text after every token and cuts it
// before the leftmost stop string found, so the first stop string to complete wins. While
// streaming, the end of the text may be the start of a stop string that the next tokens complete
// ("Hello <" with stop "<end>"): sending it would leak part of the stop string. For text t (the
// whole output so far) and stop strings S:
//
//   hold(t) = the longest suffix of t that is a proper prefix of some s in S   (< max|s| bytes),
//             extended to the start of an unfinished UTF-8 character at the end of t, if any
//   cut(t)  = t up to the leftmost occurrence of any s in S (t itself if there is none)
//
// next(t) returns what of t is safe and unsent: up to cut(t) if t holds a stop string (nothing is
// sent after that), else up to |t| − |hold(t)|. finish(t) returns the rest of cut(t).
//
// Pass the engine's text, which is already cut: it then never holds a stop string and the
// emitter's own search is a safety net. Given raw text the emitter cuts it the engine's way as
// long as it sees every token's text (coarser steps could let an earlier-starting stop string win).
//
// Invariants (the property tests check them on random texts):
//   concat(next(t1), ..., next(tn−1), finish(tn)) == the engine's final text
//   no delta contains a stop string or any byte of the matched one. Proof that what was sent is
//     never taken back: a stop string that first occurs in t' = t + more, at p, is not in t, so it
//     ends past |t| and t[p..] is a proper prefix of it, held back at t: sent ≤ p.
//   every delta is whole UTF-8 characters (when the text is well-formed)
// A text may shrink to the engine's cut; it must still begin with everything sent (which the
// proof guarantees), else odma::Error.
// Cost per call: O(|t| − sent) for the search plus O(|S| · max|s|²) for the hold.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace odma::server {

class StreamTextEmitter {
 public:
  // Empty stop strings are an odma::Error (they would match everywhere).
  explicit StreamTextEmitter(std::vector<std::string> stop);

  // `text`: the whole output so far. Returns the next delta that is safe to send (maybe "").
  // odma::Error if `text` is shorter than what was sent, or after finish().
  [[nodiscard]] std::string next(std::string_view text);
  // The request ended with `text`: returns the rest, minus any stop string and what follows it.
  [[nodiscard]] std::string finish(std::string_view text);

  // Bytes sent so far (the length of the concatenated deltas).
  [[nodiscard]] std::size_t sent() const { return sent_; }
  // A stop string was found in the text: nothing more will be sent.
  [[nodiscard]] bool stopped() const { return stopped_; }

 private:
  // The leftmost occurrence of a stop string in `text` at or after `from`, or npos.
  [[nodiscard]] std::size_t find_stop(std::string_view text, std::size_t from) const;
  // hold(text) above, counted within text[sent_..].
  [[nodiscard]] std::size_t held(std::string_view text) const;
  [[nodiscard]] std::string take(std::string_view text, std::size_t end);

  std::vector<std::string> stop_;
  std::size_t sent_ = 0;
  bool stopped_ = false;
  bool finished_ = false;
};

}  // namespace odma::server
