// `odma generate`: one prompt through the serving engine, text streamed as it is sampled.
#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>

#include "base/args.h"
#include "base/error.h"
#include "base/process_memory.h"
#include "base/table.h"
#include "cli/command.h"
#include "cli/policy_list.h"
#include "kv/policy.h"
#include "model/transformer.h"
#include "model/weights.h"
#include "predict/predictor.h"
#include "serve/engine.h"
#include "tokenizer/stream_decoder.h"
#include "tokenizer/tokenizer.h"

namespace odma::cli {
namespace {

constexpr const char* kHelp = R"(usage: odma generate --model DIR --prompt TEXT [options]

Generates a continuation of TEXT with the model in DIR (config.json, model.safetensors,
tokenizer.json) through the serving engine, streaming the text, then prints per-request stats.

  --model DIR         Hugging Face model directory (Llama or Qwen2 family)
  --prompt TEXT       the prompt (encoded with the model's tokenizer, BOS added if it says so)
  --policy P          KV policy: {policies} (default odma)
  --max-tokens N      generation cap (default 128)
  --temperature T     0 = greedy (default 0)
  --top-k K           0 = all tokens (default 0)
  --top-p P           nucleus mass in (0, 1] (default 1)
  --seed S            sampling seed (default 0)
  --ignore-eos        keep generating past EOS until --max-tokens
  --stop TEXT         stop when the output contains TEXT (cut before it)
  --capacity N        KV arena in token slots (default: the model's max length, at most 8192)
  --kv-memory SIZE    KV arena in bytes instead, e.g. 4GiB (slots = SIZE / bytes per slot)
  --dtype D           weights: auto (the checkpoint's; F16 → bf16), bf16, f32 (default auto)
  --quantization Q    none (default) or int8: weights quantized to INT8 at load (per row)
  --kv-dtype D        K/V cache: auto (f32 for f32 weights, else bf16), bf16, f32, int8
  --predictor SPEC    output-length predictor: {predictor}; a server-side run
                      takes model:PATH, bundled or none (default bundled@0.5: the shipped model at
                      its median, growth covers the rest; none reserves for --max-tokens)
)";

int run_generate(const std::vector<std::string>& argv) {
  Args args(argv, {"help", "ignore-eos"});
  if (args.has("help")) {
    std::fputs(expand_help(kHelp).c_str(), stdout);
    return 0;
  }
  args.reject_unknown({"help", "model", "prompt", "policy", "max-tokens", "temperature", "top-k",
                       "top-p", "seed", "ignore-eos", "stop", "capacity", "kv-memory", "predictor",
                       "dtype", "quantization", "kv-dtype"});
  const auto dir = args.get("model");
  if (!dir) throw Error("--model DIR is required");
  const auto text = args.get("prompt");
  if (!text) throw Error("--prompt TEXT is required");

  serve::RequestParams params;
  params.sampling.max_tokens = static_cast<int>(args.get_int("max-tokens", 128));
  params.sampling.temperature = static_cast<float>(args.get_double("temperature", 0.0));
  params.sampling.top_k = static_cast<int>(args.get_int("top-k", 0));
  params.sampling.top_p = static_cast<float>(args.get_double("top-p", 1.0));
  params.sampling.seed = static_cast<std::uint64_t>(args.get_int("seed", 0));
  params.sampling.ignore_eos = args.has("ignore-eos");
  if (auto s = args.get("stop")) params.stop.push_back(*s);
  params.sampling.validate();

  if (args.has("capacity") && args.has("kv-memory"))
    throw Error("--capacity and --kv-memory both size the KV arena: give one");
  const model::LoadOptions load{
      model::parse_weight_flags(args.get_or("dtype", "auto"), args.get_or("quantization", "none"))};
  const std::optional<model::DType> kv_dtype =
      model::parse_kv_dtype_flag(args.get_or("kv-dtype", "auto"));
  const auto load_start = std::chrono::steady_clock::now();
  std::shared_ptr<const model::Transformer> model = model::Transformer::load(*dir, load);
  const double load_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - load_start).count();
  tokenizer::Tokenizer tokenizer = tokenizer::Tokenizer::load(*dir);
  std::vector<std::int32_t> prompt = tokenizer.encode(*text, /*add_special_tokens=*/true);

  serve::EngineConfig config;
  config.policy = args.get_or("policy", "odma");
  const int positions = model->config().max_position_embeddings;
  config.kv.max_model_len = positions;
  config.kv_dtype = kv_dtype.value_or(model->default_kv_dtype());
  config.kv.capacity_tokens = args.get_int("capacity", std::min(positions, 8192));
  if (auto v = args.get("kv-memory")) {
    const std::int64_t per_slot = model->kv_bytes_per_slot(config.kv_dtype);
    config.kv.capacity_tokens = parse_bytes(*v, "--kv-memory") / per_slot;
    if (config.kv.capacity_tokens < 1)
      throw Error("--kv-memory holds no KV slot of this model (" + std::to_string(per_slot) +
                  " bytes each)");
  }
  config.predictor = predict::make_serving_predictor(
      predict::PredictorSpec::parse(args.get_or("predictor", "bundled@0.5")));
  params.prompt_text = *text;
  serve::Engine engine(model, config, tokenizer);
  const serve::RequestId id = engine.submit(prompt, params);

  // Stream: print each step's completed text (the engine's text is cut at a stop string).
  std::size_t printed = 0;
  while (!engine.idle()) {
    (void)engine.step();
    const std::string& out = engine.output(id).text;
    if (out.size() > printed) {
      std::fwrite(out.data() + printed, 1, out.size() - printed, stdout);
      std::fflush(stdout);
      printed = out.size();
    }
  }
  const serve::RequestOutput& o = engine.output(id);
  if (o.text.size() > printed)
    std::fwrite(o.text.data() + printed, 1, o.text.size() - printed, stdout);
  std::printf("\n\n");
  if (o.finish == serve::FinishReason::kFailed) throw Error("generate: " + o.error);

  const kv::KvCounters kc = engine.policy().counters();
  const double gen_s = o.latency_s() - o.first_token_s;
  Table t({"stat", "value"});
  const ProcessMemory mem = process_memory();
  t.add_row({"policy", config.policy});
  t.add_row({"weights", std::string(model::to_string(model->weights().dtype())) + ", " +
                            fmt(static_cast<double>(model->weights().bytes()) / 1e9, 3) +
                            " GB, loaded in " + fmt(load_s, 1) + " s"});
  t.add_row({"K/V dtype", model::to_string(*config.kv_dtype)});
  t.add_row({"kernels", model->kernels().name()});
  t.add_row({"prompt tokens", std::to_string(o.prompt_tokens)});
  t.add_row({"output tokens", std::to_string(o.output_ids.size())});
  t.add_row({"finish", std::string(serve::to_string(o.finish))});
  t.add_row({"predicted output tokens",
             o.predicted_output_tokens >= 0 ? std::to_string(o.predicted_output_tokens) : "none"});
  t.add_row({"TTFT (ms)", fmt(o.first_token_s * 1e3, 2)});
  t.add_row({"TPOT (ms)", fmt(o.tpot_s() * 1e3, 2)});
  t.add_row({"decode tokens/s",
             gen_s > 0 ? fmt(static_cast<double>(o.output_ids.size() - 1) / gen_s, 1) : "-"});
  t.add_row({"KV reserved at finish (slots)", std::to_string(o.kv_held_slots)});
  t.add_row({"KV used at finish (tokens)",
             std::to_string(o.prompt_tokens + static_cast<std::int64_t>(o.output_ids.size()))});
  t.add_row(
      {"KV arena (slots / MiB)", std::to_string(config.kv.capacity_tokens) + " / " +
                                     fmt(static_cast<double>(engine.kv_bytes()) / 1048576.0, 1)});
  t.add_row({"resident memory now / peak (GB)",
             fmt(static_cast<double>(mem.resident_bytes) / 1e9, 2) + " / " +
                 fmt(static_cast<double>(mem.peak_resident_bytes) / 1e9, 2)});
  t.add_row({"migrations", std::to_string(kc.migrations)});
  t.add_row({"preemptions", std::to_string(kc.preemptions)});
  std::fputs(t.to_markdown().c_str(), stderr);
  return 0;
}

ODMA_COMMAND("generate", "generate text for one prompt through the serving engine", run_generate);

}  // namespace
}  // namespace odma::cli
