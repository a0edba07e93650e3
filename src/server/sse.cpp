#include "server/sse.h"

#include "server/json_text.h"

namespace odma::server::sse {
namespace {

constexpr std::string_view kBom = "\xEF\xBB\xBF";

// Calls `f` on each line of `text` (split at "\r\n", "\n" or "\r"); "" gives one empty line.
template <typename F>
void for_each_line(std::string_view text, F f) {
  while (true) {
    const std::size_t end = text.find_first_of("\r\n");
    f(text.substr(0, end));
    if (end == std::string_view::npos) return;
    const std::size_t next =
        (text[end] == '\r' && end + 1 < text.size() && text[end + 1] == '\n') ? end + 2 : end + 1;
    text.remove_prefix(next);
  }
}

}  // namespace

std::string data_event(const nlohmann::json& payload) {
  return "data: " + to_json_text(payload) + "\n\n";  // compact JSON has no raw line breaks
}

std::string data_event(std::string_view payload) {
  std::string out;
  for_each_line(payload, [&](std::string_view line) {
    out += "data: ";
    out += line;
    out += '\n';
  });
  return out + "\n";
}

std::string comment(std::string_view text) {
  std::string out;
  for_each_line(text, [&](std::string_view line) {
    out += ": ";
    out += line;
    out += '\n';
  });
  return out + "\n";
}

std::vector<std::string> Parser::feed(std::string_view bytes) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < bytes.size() && !done_;) {
    const char c = bytes[i];
    if (after_cr_) {
      after_cr_ = false;
      if (c == '\n') {  // the second half of a "\r\n" split across feeds
        ++i;
        continue;
      }
    }
    if (c == '\r' || c == '\n') {
      after_cr_ = c == '\r';
      end_line(out);
      ++i;
      continue;
    }
    const std::size_t end = bytes.find_first_of("\r\n", i);
    const std::size_t n = (end == std::string_view::npos ? bytes.size() : end) - i;
    line_.append(bytes.substr(i, n));
    i += n;
  }
  return out;
}

void Parser::end_line(std::vector<std::string>& out) {
  std::string_view line = line_;
  if (first_line_ && line.substr(0, kBom.size()) == kBom) line.remove_prefix(kBom.size());
  first_line_ = false;

  if (line.empty()) {  // dispatch
    if (has_data_) {
      data_.pop_back();  // the "\n" after the last value
      if (data_ == kDonePayload) {
        done_ = true;
      } else {
        out.push_back(std::move(data_));
      }
    }
    data_.clear();
    has_data_ = false;
  } else if (line.front() != ':') {
    const std::size_t colon = line.find(':');
    const std::string_view field = line.substr(0, colon);
    std::string_view value =
        colon == std::string_view::npos ? std::string_view() : line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    if (field == "data") {
      data_.append(value);
      data_ += '\n';
      has_data_ = true;
    }
  }
  line_.clear();
}

}  // namespace odma::server::sse
