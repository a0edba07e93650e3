// hermes: <tool_call>\n{"name": N, "arguments": {...}}\n</tool_call> blocks anywhere in the text
// (the Qwen2.5 / Qwen3 templates' syntax; vLLM's Hermes2ProToolParser).
#include <string>

#include "server/tool_call_scan.h"

namespace odma::server {
namespace {

constexpr std::string_view kBegin = "<tool_call>";
constexpr std::string_view kEnd = "</tool_call>";

class HermesScanner final : public ToolCallScanner {
 public:
  void feed(std::string_view delta, std::vector<ScanPiece>& out) override {
    pending_ += delta;
    for (;;) {
      if (!in_block_) {
        const std::size_t begin = pending_.find(kBegin);
        if (begin == std::string::npos) {
          const std::size_t keep = marker_prefix_at_end(pending_, kBegin);
          text(pending_.size() - keep, out);
          return;
        }
        text(begin, out);
        pending_.erase(0, kBegin.size());
        in_block_ = true;
        searched_ = 0;
      }
      const std::size_t end = find_marker(pending_, kEnd, searched_);
      if (end == std::string::npos) return;
      block(std::string_view(pending_).substr(0, end), kEnd, out);
      pending_.erase(0, end + kEnd.size());
      in_block_ = false;
    }
  }

  void finish(std::vector<ScanPiece>& out) override {
    // An unclosed block still counts when its JSON is whole (vLLM: <tool_call>(.*) to the end).
    if (in_block_) {
      block(pending_, "", out);
    } else if (!pending_.empty()) {
      out.push_back({pending_, std::nullopt});
    }
    pending_.clear();
  }

 private:
  // Moves pending_[0, n) out as text.
  void text(std::size_t n, std::vector<ScanPiece>& out) {
    if (n == 0) return;
    out.push_back({pending_.substr(0, n), std::nullopt});
    pending_.erase(0, n);
  }

  // A block's body → a call, or back to the text it was.
  static void block(std::string_view body, std::string_view end, std::vector<ScanPiece>& out) {
    if (auto call = call_from_json_text(body, {"arguments"})) {
      out.push_back({"", std::move(call)});
    } else {
      out.push_back({std::string(kBegin) + std::string(body) + std::string(end), std::nullopt});
    }
  }

  std::string pending_;  // text not yet passed on: a partial marker, or an open block's body
  bool in_block_ = false;
  std::size_t searched_ = 0;  // where the search for kEnd in pending_ resumes
};

}  // namespace

std::unique_ptr<ToolCallScanner> make_hermes_scanner() {
  return std::make_unique<HermesScanner>();
}

}  // namespace odma::server
