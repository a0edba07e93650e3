// Server-sent events (the WHATWG HTML standard, §9.2 "Server-sent events"), as OpenAI and vLLM
// stream responses: one `data:` event per chunk object, then `data: [DONE]`.
//
// Writing
//   data_event(json)  "data: <compact json>\n\n"       (json_text.h: ill-formed UTF-8 → U+FFFD)
//   data_event(text)  one "data: <line>\n" per line of text, then "\n"
//   kDoneEvent        "data: [DONE]\n\n"
//   comment("ping")   ": ping\n\n"  — a heartbeat that keeps proxies from timing out an idle
//                     stream. vLLM's benchmark client skips lines starting with ':' (since it met
//                     TGI's pings); clients that json.loads every non-empty line do not.
//
// Reading (Parser: the load generator's side)
//   Feed the body in chunks of any size, split anywhere. Lines end in "\r\n", "\n" or "\r" (a
//   "\r" at the end of one chunk and "\n" at the start of the next are one line end). Per line:
//     ""            ends the event: its data (the `data` values joined by "\n") is returned,
//                   unless the event had no data field
//     ":..."        a comment: skipped
//     "data:v"      appends v (one leading space removed) to the event's data
//     "data"        (no colon) appends ""
//     other fields  (event, id, retry, anything) are skipped
//   A leading byte-order mark is dropped. The event whose data is "[DONE]" ends the stream: it is
//   not returned, done() turns true and later bytes are ignored.
// vLLM's benchmark client (benchmarks/backend_request_func.py) reads the same streams line by
// line: it strips each line, skips empty lines and ':' comments, drops the "data: " prefix and
// parses the rest; on what a server sends (one data line per event) both readings agree. The
// parser follows the standard where they could differ (multi-line data, "data:" without a space).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace odma::server::sse {

inline constexpr std::string_view kContentType = "text/event-stream";
inline constexpr std::string_view kDoneEvent = "data: [DONE]\n\n";
inline constexpr std::string_view kDonePayload = "[DONE]";

[[nodiscard]] std::string data_event(const nlohmann::json& payload);
[[nodiscard]] std::string data_event(std::string_view payload);
[[nodiscard]] std::string comment(std::string_view text);

class Parser {
 public:
  // Consumes `bytes`; returns the data of each event they complete, in order.
  [[nodiscard]] std::vector<std::string> feed(std::string_view bytes);
  // The [DONE] event was read.
  [[nodiscard]] bool done() const { return done_; }
  // Bytes of an unfinished line or event are held: at the end of the body, a truncated stream.
  [[nodiscard]] bool mid_event() const { return !line_.empty() || has_data_; }

 private:
  void end_line(std::vector<std::string>& out);

  std::string line_;        // the line being read, without its line end
  std::string data_;        // the data of the event being read, "\n" after each value
  bool has_data_ = false;   // the event being read has a data field
  bool after_cr_ = false;   // the last byte was '\r': a '\n' next is part of that line end
  bool first_line_ = true;  // a byte-order mark is only dropped from the first line
  bool done_ = false;
};

}  // namespace odma::server::sse
