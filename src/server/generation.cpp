#include "server/generation.h"

#include <chrono>
#include <memory>

#include "server/connections.h"
#include "server/json_text.h"
#include "server/openai_response.h"
#include "server/openai_stream.h"
#include "server/prepare_request.h"
#include "server/request_id.h"
#include "server/sse.h"
#include "server/stream_text.h"

namespace odma::server {
namespace {

constexpr auto kPoll =
    std::chrono::milliseconds(100);  // how often a waiting handler checks its client

FinishReason finish_reason(serve::FinishReason r) {
  return r == serve::FinishReason::kLength ? FinishReason::kLength : FinishReason::kStop;
}

ResponseHeader header_for(const ServedModel& m, GenerationRequest::Kind kind) {
  return {kind == GenerationRequest::Kind::kChat ? chat_completion_id() : completion_id(),
          unix_time_now(), m.name};
}

// The whole response once the request ends; cancels it if the client leaves first.
void respond_whole(const ServedModel& m, const GenerationRequest& g,
                   const std::shared_ptr<RequestStream>& stream, const httplib::Request& req,
                   httplib::Response& res) {
  const int fd = find_connection_socket(req);
  StreamSnapshot s;
  for (;;) {
    s = stream->wait_for(s.version, kPoll);
    if (s.done) break;
    if (peer_closed(fd)) {
      m.loop->cancel(stream);
      return;
    }
  }
  if (s.error) return send_error(res, *s.error);
  const Usage usage{s.prompt_tokens, s.completion_tokens, s.cached_tokens};
  const ResponseHeader h = header_for(m, g.kind);
  const nlohmann::json body = g.kind == GenerationRequest::Kind::kChat
                                  ? chat_completion(h, s.text, finish_reason(s.finish), usage)
                                  : text_completion(h, s.text, finish_reason(s.finish), usage);
  res.status = 200;
  res.set_content(to_json_text(body), "application/json");
}

// One streamed response: its chunks, the hold-back, and where it is.
struct Streamer {
  const ServedModel& model;
  std::shared_ptr<RequestStream> stream;
  StreamChunks chunks;
  StreamTextEmitter emitter;
  int fd;
  StreamSnapshot last;
  bool opened = false;

  bool write(httplib::DataSink& sink, const std::string& bytes) {
    return sink.write(bytes.data(), bytes.size());
  }

  // One turn of the content provider: wait for news, send what is safe. False ends the connection.
  bool pump(httplib::DataSink& sink) {
    if (!opened) {
      opened = true;
      if (chunks.has_role_chunk() && !write(sink, sse::data_event(chunks.role_chunk())))
        return cancel();
    }
    last = stream->wait_for(last.version, kPoll, last.marks_total);
    if (!last.done) {
      if (peer_closed(fd)) return cancel();
      // One chunk per token's text, even if several arrived since the last wake-up.
      std::string events;
      for (const std::size_t mark : last.new_marks) {
        const std::string delta = emitter.next(std::string_view(last.text).substr(0, mark));
        if (!delta.empty()) events += sse::data_event(chunks.text_chunk(delta));
      }
      if (!events.empty() && !write(sink, events)) return cancel();
      return true;
    }
    std::string tail;
    if (last.error) {
      tail = stream_error_events(*last.error);
    } else {
      tail = sse::data_event(
          chunks.finish_chunk(emitter.finish(last.text), finish_reason(last.finish)));
      if (include_usage)
        tail += sse::data_event(
            chunks.usage_chunk({last.prompt_tokens, last.completion_tokens, last.cached_tokens}));
      tail += sse::kDoneEvent;
    }
    if (!write(sink, tail)) return false;
    sink.done();
    return true;
  }

  bool cancel() {
    model.loop->cancel(stream);
    return false;
  }

  bool include_usage = false;
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
  auto submitted = m.loop->submit(std::move(p.prompt), std::move(p.params));
  if (auto* e = std::get_if<ApiError>(&submitted)) return send_error(res, *e);
  std::shared_ptr<RequestStream> stream = std::get<std::shared_ptr<RequestStream>>(submitted);
  if (!g.stream) return respond_whole(m, g, stream, req, res);

  auto streamer =
      std::make_shared<Streamer>(Streamer{m,
                                          stream,
                                          StreamChunks(kind, header_for(m, kind), g.include_usage),
                                          StreamTextEmitter(g.stop),
                                          find_connection_socket(req),
                                          {},
                                          false,
                                          g.include_usage});
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
