// `odma loadgen`: flags, the request list and the printing; the client is src/server/loadgen*.
#include <cmath>
#include <cstdio>
#include <limits>

#include "base/args.h"
#include "base/error.h"
#include "base/file_io.h"
#include "cli/command.h"
#include "server/loadgen.h"
#include "workload/trace.h"
#include "workload/workload.h"

namespace odma::cli {
namespace {

constexpr const char* kHelp =
    R"(usage: odma loadgen --base-url URL (--dataset NAME | --trace FILE) [options]

Measures an OpenAI-compatible server the way vLLM's benchmark_serving does: streamed requests
(stream_options.include_usage) sent on a schedule, TTFT / TPOT / ITL / E2EL from the stream, a
progress line on stderr, vLLM's summary block and a JSON with vLLM's field names, plus the prefix
cache hit rate the server reported (usage.prompt_tokens_details.cached_tokens).

  --base-url URL           the server, e.g. http://127.0.0.1:8000
  --endpoint PATH          /v1/completions (default) | /v1/chat/completions
  --model NAME             the "model" field (default: left out; odma serves its one model)
  --dataset NAME           prompts and reference output lengths of a shipped dataset's test split
                           (alpaca, alpaca-vicuna, nq) or trace (azure-conv, azure-code, arxiv)
  --trace FILE             a JSONL trace (docs/data.md); its arrival_s are kept unless
                           --request-rate is given
  --num-prompts N          requests to send (default 1000; a trace: its first N)
  --request-rate R         requests/s, or inf to send all at once (default inf)
  --burstiness B           gamma shape of the gaps: 1 = Poisson (default), < 1 burstier
  --max-concurrency C      requests in flight at most (default: no limit)
  --max-tokens N           cap on each request's max_tokens (default: its reference length)
  --output-len N           every request's max_tokens = N instead (with --ignore-eos: exactly N
                           tokens each, as vLLM's --random-output-len)
  --max-model-len N        skip requests whose prompt + max_tokens exceed N (default: keep all)
  --ignore-eos             generate exactly max_tokens (as vLLM's --ignore-eos)
  --system-prompt-tokens N a fixed system prompt of about N tokens in front of every request
                           (chat: a system message; completions: prompt text), as vLLM's
                           --random-prefix-len: traffic whose prefix the server can cache
  --multi-turn             chat conversations: each turn sends the earlier messages, the
                           server's answers and a new user message (the dataset's next prompt),
                           after the previous answer; X-Session-Id names the conversation.
                           --num-prompts counts turns, --request-rate starts conversations and
                           --max-concurrency bounds the conversations in flight
  --turns N                user turns per conversation (default 4)
  --think-time S           seconds between an answer and the conversation's next turn (default
                           0); with it other requests reach the replicas between two turns
  --goodput SLOS           e.g. "ttft:500 tpot:50 e2el:5000" (ms): requests meeting all count
  --api-key KEY            sent as a bearer token (also $ODMA_API_KEY)
  --timeout S              per request (default 600)
  --seed S                 dataset sampling and arrival times (default 1)
  --json PATH              write the results (vLLM's field names)
)";

std::vector<server::LoadRequest> build_requests(const Args& args, const server::Target& target,
                                                bool& keep_trace_times) {
  const auto n = static_cast<std::size_t>(args.get_int("num-prompts", 1000));
  if (n < 1) throw Error("--num-prompts must be >= 1");
  const auto seed = static_cast<std::uint64_t>(args.get_int("seed", 1));
  workload::Trace trace;
  keep_trace_times = false;
  if (auto path = args.get("trace")) {
    if (args.has("dataset")) throw Error("give --dataset or --trace, not both");
    trace = workload::read_trace(*path);
    if (trace.requests.size() > n) trace.requests.resize(n);
    keep_trace_times = !args.has("request-rate");
  } else if (auto name = args.get("dataset")) {
    trace = workload::make_mixture({{*name, 1.0}}, n, workload::Split::kTest, seed);
  } else {
    throw Error("give --dataset NAME or --trace FILE");
  }
  const long long cap = args.get_int("max-tokens", 0);
  const long long fixed = args.get_int("output-len", 0);
  if (cap < 0 || fixed < 0) throw Error("--max-tokens and --output-len must be >= 1");
  const long long max_len = args.get_int("max-model-len", 0);
  std::vector<std::int32_t> filler;  // ids cycled into prompts for traces without text
  std::vector<server::LoadRequest> out;
  for (const workload::TraceRequest& t : trace.requests) {
    server::LoadRequest r;
    r.prompt_text = t.prompt;
    r.prompt_tokens = t.prompt_tokens;
    r.max_tokens = std::max(1, t.output_tokens);
    if (fixed > 0) r.max_tokens = static_cast<std::int32_t>(fixed);
    if (cap > 0) r.max_tokens = static_cast<std::int32_t>(std::min<long long>(r.max_tokens, cap));
    r.arrival_s = t.arrival_s;
    if (max_len > 0 && r.prompt_tokens + r.max_tokens > max_len) continue;
    if (r.prompt_text.empty()) {
      if (target.endpoint != "/v1/completions")
        throw Error(
            "--trace without prompt text needs --endpoint /v1/completions (token-id prompts)");
      if (filler.empty())
        filler = server::tokenize_remote(target, "The quick brown fox jumps over the lazy dog. ");
      for (std::int64_t i = 0; i < std::max<std::int64_t>(1, t.prompt_tokens); ++i)
        r.prompt_ids.push_back(filler[static_cast<std::size_t>(i) % filler.size()]);
    }
    out.push_back(std::move(r));
  }
  if (out.empty()) throw Error("loadgen: no request left to send (see --max-model-len)");
  return out;
}

// About `tokens` tokens of fixed text (counted by the server's tokenizer).
std::string system_prompt_of(const server::Target& target, long long tokens) {
  const std::string paragraph =
      "You are a helpful assistant of a public library. Answer questions about books, opening "
      "hours, loans and events politely and briefly. If you do not know an answer, say so and "
      "suggest asking the staff at the front desk. ";
  const auto per = static_cast<long long>(server::tokenize_remote(target, paragraph).size());
  std::string text;
  for (long long i = 0; i < (tokens + per - 1) / per; ++i) text += paragraph;
  return text;
}

// Groups consecutive requests into conversations of `turns` user messages each.
std::vector<server::Conversation> conversations_of(std::vector<server::LoadRequest> requests,
                                                   long long turns, double rate, double burstiness,
                                                   std::uint64_t seed) {
  std::vector<server::Conversation> out;
  for (std::size_t i = 0; i < requests.size(); i += static_cast<std::size_t>(turns)) {
    server::Conversation c;
    c.session_id = "conv-" + std::to_string(out.size());
    for (std::size_t k = i; k < std::min(requests.size(), i + static_cast<std::size_t>(turns)); ++k)
      c.turns.push_back(std::move(requests[k]));
    out.push_back(std::move(c));
  }
  std::vector<server::LoadRequest> starts(out.size());
  server::schedule_arrivals(starts, rate, burstiness, seed);
  for (std::size_t i = 0; i < out.size(); ++i) out[i].arrival_s = starts[i].arrival_s;
  return out;
}

int run_loadgen(const std::vector<std::string>& argv) {
  Args args(argv, {"help", "ignore-eos", "multi-turn"});
  if (args.has("help")) {
    std::fputs(kHelp, stdout);
    return 0;
  }
  args.reject_unknown({"help",
                       "ignore-eos",
                       "base-url",
                       "endpoint",
                       "model",
                       "dataset",
                       "trace",
                       "num-prompts",
                       "request-rate",
                       "burstiness",
                       "max-concurrency",
                       "max-tokens",
                       "output-len",
                       "max-model-len",
                       "goodput",
                       "api-key",
                       "timeout",
                       "seed",
                       "json",
                       "multi-turn",
                       "turns",
                       "system-prompt-tokens",
                       "think-time"});
  const auto url = args.get("base-url");
  if (!url) throw Error("--base-url URL is required (e.g. http://127.0.0.1:8000)");
  server::Target target = server::parse_base_url(*url);
  const bool multi_turn = args.has("multi-turn");
  target.endpoint =
      args.get_or("endpoint", multi_turn ? "/v1/chat/completions" : "/v1/completions");
  if (multi_turn && target.endpoint != "/v1/chat/completions")
    throw Error("--multi-turn sends chat conversations: --endpoint must be /v1/chat/completions");
  const long long turns = args.get_int("turns", 4);
  if (turns < 1) throw Error("--turns must be >= 1");
  if (args.has("turns") && !multi_turn) throw Error("--turns needs --multi-turn");
  const double think_s = args.get_double("think-time", 0.0);
  if (!(think_s >= 0)) throw Error("--think-time must be >= 0");
  if (args.has("think-time") && !multi_turn) throw Error("--think-time needs --multi-turn");
  if (target.endpoint != "/v1/completions" && target.endpoint != "/v1/chat/completions")
    throw Error("--endpoint must be /v1/completions or /v1/chat/completions");
  target.model = args.get_or("model", "");
  target.api_key = args.get_or("api-key", "");
  if (target.api_key.empty()) {
    if (const char* env = std::getenv("ODMA_API_KEY")) target.api_key = env;
  }
  target.ignore_eos = args.has("ignore-eos");
  target.timeout_s = args.get_double("timeout", 600);
  const std::string rate_text = args.get_or("request-rate", "inf");
  const double rate = rate_text == "inf" ? std::numeric_limits<double>::infinity()
                                         : args.get_double("request-rate", 0);
  const double burstiness = args.get_double("burstiness", 1.0);
  const long long concurrency = args.get_int("max-concurrency", 0);
  if (concurrency < 0) throw Error("--max-concurrency must be >= 1");
  const server::Slo slo = server::parse_goodput(args.get_or("goodput", ""));

  const long long system_tokens = args.get_int("system-prompt-tokens", 0);
  if (system_tokens < 0) throw Error("--system-prompt-tokens must be >= 0");
  if (system_tokens > 0) {
    target.system_prompt = system_prompt_of(target, system_tokens);
    std::fprintf(stderr, "loadgen: system prompt of %zu tokens in front of every request\n",
                 server::tokenize_remote(target, target.system_prompt).size());
  }

  bool keep_trace_times = false;
  std::vector<server::LoadRequest> requests = build_requests(args, target, keep_trace_times);
  const auto seed = static_cast<std::uint64_t>(args.get_int("seed", 1));
  const std::size_t total = requests.size();
  auto progress = [total](std::size_t d, std::size_t f) {
    if (d % 10 == 0 || d == total) {
      const int width = 30, filled = static_cast<int>(width * d / total);
      std::fprintf(stderr, "\r[%s%s] %zu/%zu done, %zu failed", std::string(filled, '#').c_str(),
                   std::string(width - filled, '.').c_str(), d, total, f);
      if (d == total) std::fputc('\n', stderr);
    }
  };
  server::LoadRun run;
  if (multi_turn) {
    for (const server::LoadRequest& r : requests) {
      if (r.prompt_text.empty())
        throw Error("--multi-turn needs prompts with text (a dataset, or a trace with prompts)");
    }
    std::vector<server::Conversation> conversations =
        conversations_of(std::move(requests), turns, rate, burstiness, seed);
    for (server::Conversation& c : conversations) c.think_s = think_s;
    std::fprintf(stderr,
                 "loadgen: %zu conversations of up to %lld turns (%zu requests) to %s:%d%s, rate "
                 "%s conversations/s, concurrency %s\n",
                 conversations.size(), turns, total, target.host.c_str(), target.port,
                 target.endpoint.c_str(), rate_text.c_str(),
                 concurrency > 0 ? std::to_string(concurrency).c_str() : "unlimited");
    run = server::run_conversations(target, conversations, static_cast<std::size_t>(concurrency),
                                    progress);
  } else {
    if (!keep_trace_times) server::schedule_arrivals(requests, rate, burstiness, seed);
    std::fprintf(stderr,
                 "loadgen: %zu requests to %s:%d%s, rate %s, burstiness %g, concurrency %s\n",
                 requests.size(), target.host.c_str(), target.port, target.endpoint.c_str(),
                 keep_trace_times ? "trace" : rate_text.c_str(), burstiness,
                 concurrency > 0 ? std::to_string(concurrency).c_str() : "unlimited");
    run = server::run_load(target, requests, static_cast<std::size_t>(concurrency), progress);
  }
  const server::LoadSummary summary = server::summarize_load(run.records, run.duration_s, slo);
  std::fputs(server::format_summary(summary).c_str(), stdout);
  if (auto path = args.get("json")) {
    nlohmann::json j = server::to_json(summary);
    j["num_prompts"] = total;
    j["request_rate"] = keep_trace_times ? nlohmann::json("trace") : nlohmann::json(rate_text);
    j["burstiness"] = burstiness;
    j["max_concurrency"] = concurrency > 0 ? nlohmann::json(concurrency) : nlohmann::json(nullptr);
    j["endpoint"] = target.endpoint;
    j["multi_turn"] = multi_turn ? nlohmann::json(turns) : nlohmann::json(nullptr);
    j["system_prompt_tokens"] = system_tokens;
    write_file(*path, j.dump(2) + "\n");
    std::fprintf(stderr, "loadgen: wrote %s\n", path->c_str());
  }
  return summary.failed == 0 ? 0 : 1;
}

ODMA_COMMAND("loadgen", "send a benchmark load to an OpenAI-compatible server (vLLM's metrics)",
             run_loadgen);

}  // namespace
}  // namespace odma::cli
