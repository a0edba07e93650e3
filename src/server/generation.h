// POST /v1/chat/completions and POST /v1/completions: from a parsed request to the response,
// streamed (SSE) or whole.
//
//   1. the prompt: chat messages through the model's chat template, then the tokenizer (no extra
//      special tokens: the template has them); completions: the text (BOS added as the tokenizer
//      says) or the token ids as given
//   2. the budget: prompt + max_tokens must fit max_model_len (else 400 context_length_exceeded,
//      naming both numbers); without max_tokens a request may run to the end of the context
//   3. EngineLoop::submit: 429 / 503 / 400 refusals come back as OpenAI errors
//   4. the wait: every 100 ms the handler checks its client's socket; a client gone while its
//      request waits or streams has it cancelled (its KV is freed within one engine step)
//   5. the answer: stream chunks with the stop-string hold-back (stream_text.h), so streamed text
//      equals the non-streamed text; usage in every whole response and, with include_usage, in a
//      final chunk
#pragma once

#include <httplib.h>

#include "server/openai_request.h"
#include "server/served_model.h"

namespace odma::server {

// Answers `req` (already authorised) into `res`. `kind` selects the endpoint.
void handle_generation(const ServedModel& model, GenerationRequest::Kind kind,
                       const httplib::Request& req, httplib::Response& res);

// Writes an OpenAI error body (and Retry-After for 429).
void send_error(httplib::Response& res, const ApiError& error);

}  // namespace odma::server
