// deepseek_v3: the DeepSeek V3 / R1 templates' syntax (vLLM's DeepSeekV3ToolParser):
//   <｜tool▁calls▁begin｜>
//   <｜tool▁call▁begin｜>function<｜tool▁sep｜>NAME\n```json\nARGS\n```<｜tool▁call▁end｜>
//   \n<｜tool▁call▁begin｜>...<｜tool▁call▁end｜>
//   <｜tool▁calls▁end｜>
// all on one line: its only line breaks are the \n shown.
// V3's template writes no <｜tool▁calls▁end｜> after a single call, so the section also ends at
// any text that is not a call, and at the end of the output.
#include <string>
#include <utility>

#include "server/tool_call_scan.h"

namespace odma::server {
namespace {

constexpr std::string_view kCallsBegin = "<｜tool▁calls▁begin｜>";
constexpr std::string_view kCallsEnd = "<｜tool▁calls▁end｜>";
constexpr std::string_view kCallBegin = "<｜tool▁call▁begin｜>";
constexpr std::string_view kCallEnd = "<｜tool▁call▁end｜>";
constexpr std::string_view kSep = "<｜tool▁sep｜>";
constexpr std::string_view kFenceOpen = "```json";
constexpr std::string_view kFenceClose = "```";

std::string_view trim(std::string_view s) {
  const std::size_t begin = skip_json_space(s, 0);
  std::size_t end = s.size();
  while (end > begin && is_json_space(s[end - 1])) --end;
  return s.substr(begin, end - begin);
}

// TYPE<｜tool▁sep｜>NAME\n```json\nARGS\n``` → the call, when ARGS is a JSON object.
std::optional<ToolCall> parse_call(std::string_view body) {
  const std::size_t sep = body.find(kSep);
  if (sep == std::string_view::npos) return std::nullopt;
  std::string_view rest = body.substr(sep + kSep.size());
  const std::size_t newline = rest.find('\n');
  if (newline == std::string_view::npos) return std::nullopt;
  const std::string_view name = trim(rest.substr(0, newline));
  std::string_view fenced = trim(rest.substr(newline + 1));
  if (name.empty() || !fenced.starts_with(kFenceOpen) || !fenced.ends_with(kFenceClose) ||
      fenced.size() < kFenceOpen.size() + kFenceClose.size()) {
    return std::nullopt;
  }
  fenced = fenced.substr(kFenceOpen.size(), fenced.size() - kFenceOpen.size() - kFenceClose.size());
  auto arguments =
      arguments_text(nlohmann::ordered_json::parse(fenced, nullptr, /*allow_exceptions=*/false));
  if (!arguments) return std::nullopt;
  return ToolCall{std::string(name), std::move(*arguments)};
}

// A section's own text (its begin marker, the whitespace between calls) is held until the next
// call: dropped if that call is valid, passed on as text with it if not; the end marker is text
// only when no call of the section was valid. An output without a valid call thus stays as it is.
class DeepSeekV3Scanner final : public ToolCallScanner {
 public:
  void feed(std::string_view delta, std::vector<ScanPiece>& out) override {
    pending_ += delta;
    while (step(out)) {
    }
  }

  void finish(std::vector<ScanPiece>& out) override {
    if (state_ == State::kCall) held_ += kCallBegin;
    held_ += pending_;
    pending_.clear();
    flush_held(out);
  }

 private:
  enum class State { kText, kSection, kCall };

  // One move forward over pending_; false when it must wait for more text.
  bool step(std::vector<ScanPiece>& out) {
    switch (state_) {
      case State::kText: {
        const std::size_t begin = pending_.find(kCallsBegin);
        if (begin == std::string::npos) {
          text(pending_.size() - marker_prefix_at_end(pending_, kCallsBegin), out);
          return false;
        }
        text(begin, out);
        pending_.erase(0, kCallsBegin.size());
        held_ = kCallsBegin;
        section_has_call_ = false;
        state_ = State::kSection;
        return true;
      }
      case State::kSection: {
        const std::size_t at = skip_json_space(pending_, 0);
        const std::string_view rest = std::string_view(pending_).substr(at);
        if (rest.starts_with(kCallBegin)) {
          held_ += pending_.substr(0, at);
          pending_.erase(0, at + kCallBegin.size());
          state_ = State::kCall;
          searched_ = 0;
          return true;
        }
        if (rest.starts_with(kCallsEnd)) {
          if (!section_has_call_) held_ += pending_.substr(0, at + kCallsEnd.size());
          pending_.erase(0, at + kCallsEnd.size());
          flush_held(out);
          state_ = State::kText;
          return true;
        }
        if (rest.empty() || is_partial_marker(rest, kCallBegin) ||
            is_partial_marker(rest, kCallsEnd)) {
          return false;
        }
        flush_held(out);  // not a call: the section is over
        state_ = State::kText;
        return true;
      }
      case State::kCall: {
        const std::size_t end = find_marker(pending_, kCallEnd, searched_);
        if (end == std::string::npos) return false;
        const std::string_view body = std::string_view(pending_).substr(0, end);
        if (auto call = parse_call(body)) {
          held_.clear();
          section_has_call_ = true;
          out.push_back({"", std::move(call)});
        } else {
          held_ += std::string(kCallBegin) + std::string(body) + std::string(kCallEnd);
          flush_held(out);
        }
        pending_.erase(0, end + kCallEnd.size());
        state_ = State::kSection;
        return true;
      }
    }
    return false;
  }

  void text(std::size_t n, std::vector<ScanPiece>& out) {
    if (n == 0) return;
    out.push_back({pending_.substr(0, n), std::nullopt});
    pending_.erase(0, n);
  }

  void flush_held(std::vector<ScanPiece>& out) {
    if (!held_.empty()) out.push_back({std::exchange(held_, {}), std::nullopt});
  }

  State state_ = State::kText;
  std::string pending_;
  std::string held_;  // section text passed on only if no call in the section is valid
  bool section_has_call_ = false;
  std::size_t searched_ = 0;  // where the search for kCallEnd in pending_ resumes
};

}  // namespace

std::unique_ptr<ToolCallScanner> make_deepseek_v3_scanner() {
  return std::make_unique<DeepSeekV3Scanner>();
}

}  // namespace odma::server
