// llama3_json: the Llama 3.1 / 3.2 templates' syntax (vLLM's Llama3JsonToolParser): the output,
// after an optional <|python_tag|>, is {"name": N, "parameters": {...}} calls separated by ";".
// Whether a "{" starts a call is known only once its object is complete, so the object is held
// back until then; output that starts with anything else is content from the first byte.
#include <string>
#include <utility>

#include "server/tool_call_scan.h"

namespace odma::server {
namespace {

constexpr std::string_view kPythonTag = "<|python_tag|>";

// Where the JSON value that starts with "{" at `start` ends, found over a buffer that grows
// between calls: brackets are counted outside strings (escapes included), so braces inside
// strings do not end it. Whether the value is well-formed is left to the JSON parser.
class ObjectEnd {
 public:
  explicit ObjectEnd(std::size_t start) : pos_(start) {}

  // One past the closing brace, once `text` holds it.
  std::optional<std::size_t> scan(std::string_view text) {
    for (; pos_ < text.size(); ++pos_) {
      const char c = text[pos_];
      if (in_string_) {
        if (escaped_) {
          escaped_ = false;
        } else if (c == '\\') {
          escaped_ = true;
        } else if (c == '"') {
          in_string_ = false;
        }
      } else if (c == '"') {
        in_string_ = true;
      } else if (c == '{' || c == '[') {
        ++depth_;
      } else if ((c == '}' || c == ']') && --depth_ == 0) {
        return ++pos_;
      }
    }
    return std::nullopt;
  }

 private:
  std::size_t pos_;
  int depth_ = 0;
  bool in_string_ = false;
  bool escaped_ = false;
};

class Llama3JsonScanner final : public ToolCallScanner {
 public:
  void feed(std::string_view delta, std::vector<ScanPiece>& out) override {
    pending_ += delta;
    while (step(out)) {
    }
  }

  void finish(std::vector<ScanPiece>& out) override {
    // An unfinished object, separator or tag is content.
    if (!pending_.empty()) out.push_back({pending_, std::nullopt});
    pending_.clear();
  }

 private:
  enum class State {
    kStart,    // nothing decided: whitespace and a <|python_tag|> may come before the first call
    kBetween,  // after a call: ";" and another call, or the end
    kObject,   // inside an object that may be a call
    kContent,  // everything from here on is content
  };

  // One move forward over pending_; false when it must wait for more text.
  bool step(std::vector<ScanPiece>& out) {
    switch (state_) {
      case State::kStart: {
        std::size_t at = skip_json_space(pending_, 0);
        const std::string_view rest = std::string_view(pending_).substr(at);
        if (rest.starts_with(kPythonTag)) {
          at = skip_json_space(pending_, at + kPythonTag.size());
        } else if (is_partial_marker(rest, kPythonTag)) {
          return false;
        }
        return open_object(at);
      }
      case State::kBetween: {
        std::size_t at = skip_json_space(pending_, 0);
        if (at == pending_.size()) return false;
        if (pending_[at] != ';') return to_content();
        return open_object(skip_json_space(pending_, at + 1));
      }
      case State::kObject: {
        const auto end = object_end_->scan(pending_);
        if (!end) return false;
        auto call = call_from_json_text(
            std::string_view(pending_).substr(object_start_, *end - object_start_),
            {"parameters", "arguments"});
        if (!call) return to_content();
        out.push_back({"", std::move(call)});
        pending_.erase(0, *end);
        state_ = State::kBetween;
        return true;
      }
      case State::kContent:
        if (!pending_.empty()) out.push_back({std::exchange(pending_, {}), std::nullopt});
        return false;
    }
    return false;
  }

  // A call may start at pending_[at]: wait for it, or give up on calls if it is not a "{".
  bool open_object(std::size_t at) {
    if (at == pending_.size()) return false;
    if (pending_[at] != '{') return to_content();
    object_start_ = at;
    object_end_.emplace(at);
    state_ = State::kObject;
    return true;
  }

  bool to_content() {
    state_ = State::kContent;
    return true;
  }

  State state_ = State::kStart;
  std::string pending_;  // text not yet passed on, from the end of the last call
  std::size_t object_start_ = 0;
  std::optional<ObjectEnd> object_end_;
};

}  // namespace

std::unique_ptr<ToolCallScanner> make_llama3_json_scanner() {
  return std::make_unique<Llama3JsonScanner>();
}

}  // namespace odma::server
