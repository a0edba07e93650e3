// `odma serve`: flags → server::ServeOptions; the server itself is src/server (docs/server.md).
#include <cstdio>
#include <cstdlib>

#include "base/args.h"
#include "base/error.h"
#include "cli/command.h"
#include "cli/policy_list.h"
#include "model/weights.h"
#include "predict/online.h"
#include "server/server.h"

namespace odma::cli {
namespace {

constexpr const char* kHelp = R"(usage: odma serve --model DIR [options]

An OpenAI-compatible HTTP server (chat and text completions, streaming, /v1/models, /tokenize,
/detokenize, /health, /ready, Prometheus /metrics) over odma's engine: one engine thread runs
continuous batching with the chosen KV policy; HTTP threads parse, queue and stream.

  --model DIR              Hugging Face model directory (config.json, safetensors, tokenizer.json)
  --served-model-name N    the name clients use in "model" (default: the directory's name)
  --host H                 address to listen on (default 127.0.0.1: this machine only)
  --port P                 port (default 8000; 0 = any free port, printed on stderr)
  --policy P               KV policy: {policies} (default odma)
  --kv-memory SIZE         KV arena, e.g. 512MiB, 4GiB (default 1GiB)
  --dtype D                weights: auto (the checkpoint's; F16 → bf16), bf16, f32 (default auto)
  --quantization Q         none (default) or int8: weights quantized to INT8 at load (per row)
  --kv-dtype D             K/V cache: auto (f32 for f32 weights, else bf16), bf16, f32, int8
                           (one scale per token and head: ~2x the slots of bf16 per GiB)
  --max-model-len N        context limit (default: the model's max_position_embeddings)
  --max-num-seqs N         running requests at most (default 256; vLLM's name)
  --predictor SPEC         output-length predictor: model:PATH | bundled | none, each with an
                           optional @Q or @auto[:RATE] (default bundled@0.5); it learns from
                           every finished request
  --growth RULE            odma: next-bucket (default) | conditioned: a request past its
                           reservation moves once to its predicted quantile given its tokens so far
  --predictor-state FILE   keep what the predictor learnt across restarts: loaded at start when
                           FILE exists (a corrupt file, or one learnt serving another model, is an
                           error), saved atomically at drain and every --predictor-save-interval
  --predictor-save-interval S  seconds between saves while requests complete (default 300)
  --online-rates F,P       the predictor's online SGD steps: prompt feature rows F, the shared bin
                           prior P (default 0.05,0.1; docs/predictor.md "Online rates")
  --drift-boost B[,W] | off  when odma's bucket drift detector fires, the prior's step (and
                           @auto's) is xB, decaying to x1 over W completions (default 4,500)
  --request-log FILE       append one JSONL line per finished request in the trace format (prompt,
                           prompt/output tokens, finish reason, timings): `odma predictor train
                           --trace FILE` fits the predictor to the model you serve
  --request-log-prompts W  text (default) | none: whether the log holds the prompt text
  --enable-prefix-caching / --no-enable-prefix-caching
                           automatic prefix caching (vLLM's flags; default on): finished
                           requests leave their KV cached, later requests with the same leading
                           tokens skip computing it (the static policy never caches)
  --chat-template FILE     a Jinja chat template instead of tokenizer_config.json's
  --tool-call-parser NAME  how the model writes tool calls: hermes (Qwen2.5/Qwen3),
                           llama3_json (Llama 3.1/3.2) or deepseek_v3 (vLLM's names; default:
                           read from the chat template, which names its syntax)
  --api-key KEY            require "Authorization: Bearer KEY" (also $ODMA_API_KEY); /health,
                           /ready and /metrics stay open
  --max-waiting N          accepted requests waiting for KV at most; beyond: 429 (default 1024)
  --max-body SIZE          request body limit; beyond: 413 (default 8MiB)
  --max-connections N      connection threads (default 256); beyond them and the backlog: 503
  --connection-backlog N   connections that may wait for a free thread (default 64)
  --read-timeout S         seconds a client may take to send a request (default 30)
  --write-timeout S        seconds a client may take to read a chunk (default 30)
  --shutdown-timeout S     on SIGTERM/SIGINT, seconds accepted requests may take to finish
                           before they are ended with an error (default 30)

{policy_table})";

int run_serve(const std::vector<std::string>& argv) {
  Args args(argv, {"help", "enable-prefix-caching", "no-enable-prefix-caching"});
  if (args.has("help")) {
    std::fputs(expand_help(kHelp).c_str(), stdout);
    return 0;
  }
  args.reject_unknown({"help",
                       "enable-prefix-caching",
                       "no-enable-prefix-caching",
                       "model",
                       "served-model-name",
                       "host",
                       "port",
                       "policy",
                       "kv-memory",
                       "max-model-len",
                       "max-num-seqs",
                       "predictor",
                       "dtype",
                       "quantization",
                       "kv-dtype",
                       "chat-template",
                       "tool-call-parser",
                       "api-key",
                       "max-waiting",
                       "max-body",
                       "max-connections",
                       "connection-backlog",
                       "read-timeout",
                       "write-timeout",
                       "shutdown-timeout",
                       "predictor-state",
                       "growth",
                       "predictor-save-interval",
                       "online-rates",
                       "drift-boost",
                       "request-log",
                       "request-log-prompts"});
  server::ServeOptions o;
  o.model_dir = args.get_or("model", "");
  o.served_model_name = args.get_or("served-model-name", "");
  o.host = args.get_or("host", o.host);
  o.port = static_cast<int>(args.get_int("port", o.port));
  o.policy = parse_policy_list(args.get_or("policy", o.policy)).at(0);
  if (auto v = args.get("kv-memory")) o.kv_memory_bytes = parse_bytes(*v, "--kv-memory");
  o.dtype =
      model::parse_weight_flags(args.get_or("dtype", "auto"), args.get_or("quantization", "none"));
  o.kv_dtype = model::parse_kv_dtype_flag(args.get_or("kv-dtype", "auto"));
  o.max_model_len = static_cast<std::int32_t>(args.get_int("max-model-len", 0));
  o.max_batch = static_cast<std::int32_t>(args.get_int("max-num-seqs", o.max_batch));
  o.predictor = args.get_or("predictor", o.predictor);
  o.prefix_caching = prefix_caching_flag(args);
  if (auto f = args.get("predictor-state")) o.predictor_state = *f;
  o.growth = kv::parse_growth_rule(args.get_or("growth", "next-bucket"));
  o.predictor_save_interval_s = args.get_double("predictor-save-interval", 300.0);
  if (!(o.predictor_save_interval_s > 0)) throw Error("--predictor-save-interval must be > 0");
  o.predictor_online =
      predict::parse_online_config(args.get("online-rates"), args.get("drift-boost"));
  if (auto f = args.get("request-log")) o.request_log = *f;
  const std::string prompts = args.get_or("request-log-prompts", "text");
  if (prompts != "text" && prompts != "none")
    throw Error("--request-log-prompts must be text or none, got '" + prompts + "'");
  o.request_log_prompts = prompts == "text";
  if (auto f = args.get("chat-template")) o.chat_template_file = *f;
  if (auto p = args.get("tool-call-parser")) o.tool_call_parser = *p;
  o.api_key = args.get_or("api-key", "");
  if (o.api_key.empty()) {
    if (const char* env = std::getenv("ODMA_API_KEY")) o.api_key = env;
  }
  const auto count = [&](const char* name, long long fallback, long long min) {
    const long long v = args.get_int(name, fallback);
    if (v < min) throw Error(std::string("--") + name + " must be >= " + std::to_string(min));
    return v;
  };
  o.max_waiting = static_cast<std::size_t>(count("max-waiting", 1024, 1));
  if (auto v = args.get("max-body"))
    o.max_body_bytes = static_cast<std::size_t>(parse_bytes(*v, "--max-body"));
  o.max_connections = static_cast<std::size_t>(count("max-connections", 256, 1));
  o.backlog = static_cast<std::size_t>(count("connection-backlog", 64, 0));
  o.read_timeout_s = static_cast<int>(count("read-timeout", 30, 1));
  o.write_timeout_s = static_cast<int>(count("write-timeout", 30, 1));
  o.shutdown_timeout_s = args.get_double("shutdown-timeout", 30.0);
  if (!(o.shutdown_timeout_s >= 0)) throw Error("--shutdown-timeout must be >= 0");
  if (o.max_batch < 1) throw Error("--max-num-seqs must be >= 1");

  server::Server server(std::move(o));
  server::handle_termination_signals(server);  // before run() starts any thread
  return server.run();
}

ODMA_COMMAND("serve", "an OpenAI-compatible HTTP server over the engine", run_serve);

}  // namespace
}  // namespace odma::cli
