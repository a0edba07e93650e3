#include "server/generation.h"

#include <chrono>
#include <cstdint>
#include <memory>

#include "server/connections.h"
#include "server/json_text.h"
#include "server/openai_logprobs.h"
#include "server/openai_response.h"
#include "server/openai_stream.h"
#include "server/prepare_request.h"
#include "server/request_id.h"
#include "server/sse.h"
#include "server/stream_text.h"
#include "server/tool_call_id.h"
#include "server/tool_calls.h"

namespace odma::server {
namespace {

constexpr auto kPoll =
    std::chrono::milliseconds(100);  // how often a waiting handler checks its client

FinishReason finish_reason(serve::FinishReason r) {
  return r == serve::FinishReason::kLength ? FinishReason::kLength : FinishReason::kStop;
}

// A whole chat choice whose output may hold tool calls: they become message.tool_calls, the text
// around them the content, and an ending by EOS or stop string "tool_calls".
void read_tool_calls(ToolCallFormat format, ChoiceText& t) {
  ParsedToolCalls parsed = parse_tool_calls(format, t.text);
  if (parsed.calls.empty()) return;
  t.text = std::move(parsed.content);
  t.tool_calls = nlohmann::json::array();
  for (const ToolCall& call : parsed.calls)
    t.tool_calls.push_back(tool_call_json(next_tool_call_id(), call.name, call.arguments));
  if (t.finish == FinishReason::kStop) t.finish = FinishReason::kToolCalls;
}

ResponseHeader header_for(const ServedModel& m, GenerationRequest::Kind kind) {
  return {kind == GenerationRequest::Kind::kChat ? chat_completion_id() : completion_id(),
          unix_time_now(), m.name};
}

// The whole response once the request ends; cancels it if the client leaves first.
void respond_whole(const ServedModel& m, const GenerationRequest& g, const PreparedRequest& p,
                   const std::shared_ptr<RequestStream>& stream, const httplib::Request& req,
                   httplib::Response& res) {
  const int fd = find_connection_socket(req);
  StreamSnapshot s;
  // Nothing but the state while waiting: the marks and log-probabilities are taken once, at the
  // end.
  const std::vector<ChoiceCursor> none(static_cast<std::size_t>(g.n),
                                       ChoiceCursor{SIZE_MAX, SIZE_MAX});
  for (;;) {
    s = stream->wait_for(s.version, kPoll, none);
    if (s.done) break;
    if (peer_closed(fd)) {
      m.loop->cancel(stream);
      return;
    }
  }
  if (s.error) return send_error(res, *s.error);
  if (g.logprobs || g.prompt_logprobs)  // done: everything
    s = stream->wait_for(0, std::chrono::milliseconds(0));
  // max_tokens 0 with echo: the one token the engine made is nobody's.
  const Usage usage{s.prompt_tokens, p.discard_output ? 0 : s.completion_tokens(), s.cached_tokens};
  std::vector<ChoiceText> choices;
  for (ChoiceSnapshot& c : s.choices) {
    if (p.discard_output) {
      c.text.clear();
      c.new_logprobs.clear();
      c.finish = serve::FinishReason::kLength;
    }
    ChoiceText t{p.echo_text + c.text, finish_reason(c.finish), nullptr};
    if (g.logprobs) {
      std::size_t offset = 0;
      if (g.kind == GenerationRequest::Kind::kChat) {
        t.logprobs = chat_logprobs(m.tokenizer, c.new_logprobs);
      } else if (g.echo) {
        t.logprobs = echo_logprobs(m.tokenizer, p.echo_ids, s.prompt_logprobs, c.new_logprobs);
      } else {
        t.logprobs = completion_logprobs(m.tokenizer, c.new_logprobs, offset);
      }
    }
    if (p.tool_calls) read_tool_calls(*p.tool_calls, t);
    choices.push_back(std::move(t));
  }
  const ResponseHeader h = header_for(m, g.kind);
  nlohmann::json body = g.kind == GenerationRequest::Kind::kChat
                            ? chat_completion(h, choices, usage)
                            : text_completion(h, choices, usage);
  if (g.prompt_logprobs) {  // vLLM: per choice for completions, beside the choices for chat
    const nlohmann::json scores = vllm_prompt_logprobs(m.tokenizer, p.echo_ids, s.prompt_logprobs);
    if (g.kind == GenerationRequest::Kind::kChat) {
      body["prompt_logprobs"] = scores;
    } else {
      for (nlohmann::json& c : body["choices"]) c["prompt_logprobs"] = scores;
    }
  }
  res.status = 200;
  res.set_content(to_json_text(body), "application/json");
}

// A streamed echo: the prompt that opens each choice's text (and its ids, to score it).
struct EchoPart {
  std::string text;
  std::vector<std::int32_t> ids;
  bool discard_output = false;  // max_tokens 0: only the prompt, then "length"
};

// One streamed response: its chunks, each choice's hold-back and finish, and where it is.
struct Streamer {
  const ServedModel& model;
  std::shared_ptr<RequestStream> stream;
  StreamChunks chunks;
  std::vector<StreamTextEmitter> emitters;  // per choice
  int fd;
  bool include_usage = false;
  GenerationRequest::Kind kind = GenerationRequest::Kind::kChat;
  bool logprobs = false;
  StreamSnapshot last;
  std::vector<ChoiceCursor> seen;                         // per choice
  std::vector<bool> finish_sent;                          // per choice
  std::vector<std::vector<model::LogprobEntry>> pending;  // per choice: not sent yet
  std::vector<std::size_t> text_offset;                   // per choice (completions)
  bool opened = false;
  std::vector<ToolCallStreamParser> tool_parsers;  // per choice, when tool calls are parsed
  std::optional<EchoPart> echo;                    // completions with echo
  std::vector<bool> echo_sent;                     // per choice

  // Choice i's first chunk under echo: the prompt, scored when log-probabilities are asked (the
  // completion's text offsets then continue after it, as in the whole response).
  std::string echo_event(std::size_t i) {
    nlohmann::json scores = nullptr;
    if (logprobs) {
      scores = echo_logprobs(model.tokenizer, echo->ids, last.prompt_logprobs, {});
      const nlohmann::json& tokens = scores["tokens"];
      if (!tokens.empty())
        text_offset[i] = scores["text_offset"].back().get<std::size_t>() +
                         tokens.back().get_ref<const std::string&>().size();
    }
    return sse::data_event(chunks.text_chunk(echo->text, i, std::move(scores)));
  }

  // The chunks for choice i's next safe text: content as it is, or, with tool calls parsed, the
  // content and call pieces the parser lets through (log-probabilities ride on content chunks).
  std::string text_events(std::size_t i, std::string_view text) {
    if (tool_parsers.empty())
      return text.empty() ? "" : sse::data_event(chunks.text_chunk(text, i, take_logprobs(i)));
    return parser_events(i, tool_parsers[i].feed(text));
  }
  std::string parser_events(std::size_t i, const std::vector<ToolCallStreamEvent>& parsed) {
    std::string events;
    for (const ToolCallStreamEvent& e : parsed) {
      if (const auto* content = std::get_if<ContentDelta>(&e)) {
        if (!content->text.empty())
          events += sse::data_event(chunks.text_chunk(content->text, i, take_logprobs(i)));
      } else {
        const auto& call = std::get<ToolCallChunk>(e);
        events += sse::data_event(
            chunks.tool_call_chunk(i, call.index, call.id, call.name, call.arguments));
      }
    }
    return events;
  }
  // Choice i ended with `rest` unsent: its last chunks and the finish chunk.
  std::string finish_events(std::size_t i, const std::string& rest, serve::FinishReason why) {
    FinishReason reason = finish_reason(why);
    if (tool_parsers.empty())
      return sse::data_event(chunks.finish_chunk(rest, reason, i, take_logprobs(i)));
    std::string events = text_events(i, rest) + parser_events(i, tool_parsers[i].finish());
    if (tool_parsers[i].calls_sent() > 0 && reason == FinishReason::kStop)
      reason = FinishReason::kToolCalls;
    return events + sse::data_event(chunks.finish_chunk("", reason, i, take_logprobs(i)));
  }

  // The pending log-probabilities of choice i as a chunk's "logprobs" (null when not asked).
  nlohmann::json take_logprobs(std::size_t i) {
    if (!logprobs) return nullptr;
    nlohmann::json j = kind == GenerationRequest::Kind::kChat
                           ? chat_logprobs(model.tokenizer, pending[i])
                           : completion_logprobs(model.tokenizer, pending[i], text_offset[i]);
    pending[i].clear();
    return j;
  }

  bool write(httplib::DataSink& sink, const std::string& bytes) {
    return sink.write(bytes.data(), bytes.size());
  }

  // One turn of the content provider: wait for news, send what is safe. False ends the connection.
  bool pump(httplib::DataSink& sink) {
    const std::size_t n = emitters.size();
    if (!opened) {
      opened = true;
      seen.assign(n, ChoiceCursor{});
      finish_sent.assign(n, false);
      pending.assign(n, {});
      text_offset.assign(n, 0);
      echo_sent.assign(n, false);
      std::string roles;
      for (std::size_t i = 0; chunks.has_role_chunk() && i < n; ++i)
        roles += sse::data_event(chunks.role_chunk(i));
      if (!roles.empty() && !write(sink, roles)) return cancel();
    }
    last = stream->wait_for(last.version, kPoll, seen);
    if (last.error) {
      if (!write(sink, stream_error_events(*last.error))) return false;
      sink.done();
      return true;
    }
    // One chunk per token's text, even if several arrived since the last wake-up; a choice that
    // ended sends its finish chunk at once, the others go on (OpenAI interleaves choices).
    std::string events;
    for (std::size_t i = 0; i < n; ++i) {
      const ChoiceSnapshot& c = last.choices[i];
      if (echo && !echo_sent[i]) {
        // The prompt's scores are known once the prefill is (at the first token); until then the
        // choice's text waits behind it (its cursor stays).
        if (logprobs && last.prompt_logprobs.empty() && !last.done) continue;
        events += echo_event(i);
        echo_sent[i] = true;
      }
      seen[i] = {c.marks_total, c.logprobs_total};
      if (echo && echo->discard_output) {  // the one token the engine made is nobody's
        if (c.done && !finish_sent[i])
          events += sse::data_event(chunks.finish_chunk("", FinishReason::kLength, i));
        finish_sent[i] = finish_sent[i] || c.done;
        continue;
      }
      pending[i].insert(pending[i].end(), c.new_logprobs.begin(), c.new_logprobs.end());
      if (finish_sent[i]) continue;
      if (c.done) {
        events += finish_events(i, emitters[i].finish(c.text), c.finish);
        finish_sent[i] = true;
        continue;
      }
      // A chunk carries the log-probabilities of every token since the last chunk.
      for (const std::size_t mark : c.new_marks)
        events += text_events(i, emitters[i].next(std::string_view(c.text).substr(0, mark)));
    }
    if (!last.done) {
      if (peer_closed(fd)) return cancel();
      if (!events.empty() && !write(sink, events)) return cancel();
      return true;
    }
    if (include_usage) {
      const std::int32_t made = echo && echo->discard_output ? 0 : last.completion_tokens();
      events += sse::data_event(chunks.usage_chunk({last.prompt_tokens, made, last.cached_tokens}));
    }
    events += sse::kDoneEvent;
    if (!write(sink, events)) return false;
    sink.done();
    return true;
  }

  bool cancel() {
    model.loop->cancel(stream);
    return false;
  }
};

}  // namespace

void send_error(httplib::Response& res, const ApiError& error) {
  res.status = error.status;
  if (error.status == 429) res.set_header("Retry-After", "1");
  res.set_content(to_json_text(to_json(error)), "application/json");
}

void handle_generation(const ServedModel& m, GenerationRequest::Kind kind,
                       const httplib::Request& req, httplib::Response& res) {
  auto parsed = parse_generation_request(std::string_view(req.body), kind);
  if (auto* e = std::get_if<ApiError>(&parsed)) return send_error(res, *e);
  const GenerationRequest& g = std::get<GenerationRequest>(parsed);
  if (!g.model.empty() && g.model != m.name) return send_error(res, model_not_found(g.model));
  auto prepared = prepare_request(m, g);
  if (auto* e = std::get_if<ApiError>(&prepared)) return send_error(res, *e);
  PreparedRequest& p = std::get<PreparedRequest>(prepared);
  auto submitted = m.loop->submit(std::move(p.prompt), std::move(p.params), g.n);
  if (auto* e = std::get_if<ApiError>(&submitted)) return send_error(res, *e);
  std::shared_ptr<RequestStream> stream = std::get<std::shared_ptr<RequestStream>>(submitted);
  if (!g.stream) return respond_whole(m, g, p, stream, req, res);

  auto streamer = std::make_shared<Streamer>(Streamer{
      m,
      stream,
      StreamChunks(kind, header_for(m, kind), g.include_usage),
      std::vector<StreamTextEmitter>(static_cast<std::size_t>(g.n), StreamTextEmitter(g.stop)),
      find_connection_socket(req),
      g.include_usage,
      kind,
      g.logprobs.has_value(),
      {},
      {},
      {},
      {},
      {},
      false,
      {},
      std::nullopt,
      {}});
  if (g.echo) streamer->echo = EchoPart{p.echo_text, p.echo_ids, p.discard_output};
  if (p.tool_calls)
    for (std::int32_t i = 0; i < g.n; ++i) streamer->tool_parsers.emplace_back(*p.tool_calls);
  res.status = 200;
  res.set_header("Cache-Control", "no-cache");
  res.set_header("X-Accel-Buffering", "no");  // nginx: pass the events through unbuffered
  res.set_chunked_content_provider(
      std::string(sse::kContentType),
      [streamer](std::size_t /*offset*/, httplib::DataSink& sink) { return streamer->pump(sink); },
      [streamer](bool success) {
        if (!success) streamer->model.loop->cancel(streamer->stream);  // the write side failed
      });
}

}  // namespace odma::server
