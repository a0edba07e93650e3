// `odma model`: model-directory utilities (random-weight models of real shapes for
// tests/benchmarks).
#include <cstdio>

#include "base/args.h"
#include "base/error.h"
#include "cli/command.h"
#include "model/random_model.h"
#include "model/weights.h"

namespace odma::cli {
namespace {

constexpr const char* kHelp =
    R"(usage: odma model make-random --preset P --out DIR [--weights] [--seed S]

Writes a random-weight Qwen2ForCausalLM in the Hugging Face layout: config.json, model.safetensors
(BF16) and the matching tokenizer.json / tokenizer_config.json.

  --preset P     one of the shipped shapes, data/model_shapes/<P>.json (the simulator's too):
                 tiny             hidden 64, 2 layers, 4/2 heads, vocab 1024 (qwen2-tiny's tokenizer)
                 small            hidden 512, 8 layers, 8/2 heads, MLP 1408, vocab 1024: ~23.1 M
                                  params, sized for CPU decode benchmarks of hundreds of requests
                 qwen2-0.5b-shape Qwen2-0.5B (hidden 896, 24 layers, 14/2 heads, MLP 4864, vocab
                                  151936, tied): 494 M params, 0.99 GB BF16 — leaves the caches
                 r1-7b-shape      DeepSeek-R1-Distill-Qwen-7B's shape (full Qwen2 tokenizer). Only
                                  config.json + tokenizer unless --weights (15.2 GB of BF16!)
  --out DIR      output directory (created)
  --weights      write weights above 2 GB too (r1-7b-shape); smaller presets always get them
  --seed S       weight seed (default 1); same preset + seed → identical files
)";

int run_model(const std::vector<std::string>& argv) {
  Args args(argv, {"help", "weights"});
  if (args.has("help") || args.positionals().empty()) {
    std::fputs(kHelp, stdout);
    return args.has("help") ? 0 : 2;
  }
  args.reject_unknown({"help", "weights", "preset", "out", "seed"});
  if (args.positionals()[0] != "make-random" || args.positionals().size() != 1) {
    throw Error("unknown subcommand '" + args.positionals()[0] +
                "' (only make-random; see --help)");
  }
  const auto preset = args.get("preset");
  if (!preset) throw Error("--preset is required (see --help)");
  const auto out = args.get("out");
  if (!out || out->empty()) throw Error("--out is required");
  const long long seed = args.get_int("seed", 1);
  if (seed < 0) throw Error("--seed must be >= 0");
  const model::ModelConfig config = model::preset_config(*preset);
  std::uint64_t params = 0;
  for (const auto& spec : model::expected_tensors(config, model::DType::kBF16)) {
    std::uint64_t n = 1;
    for (auto d : spec.shape) n *= static_cast<std::uint64_t>(d);
    params += n;
  }
  const bool huge = params * 2 > (2ULL << 30);  // BF16 bytes above 2 GiB: only on request
  const bool weights = !huge || args.has("weights");
  if (weights && huge) {
    std::fprintf(stderr, "writing %.2f GB of BF16 weights...\n",
                 static_cast<double>(params) * 2 / 1e9);
  }
  auto r = model::write_random_model(*out, config, static_cast<std::uint64_t>(seed), weights);
  std::printf("%s: %s preset, %.1f M params, config.json + tokenizer.json", out->c_str(),
              preset->c_str(), static_cast<double>(params) / 1e6);
  if (weights) {
    std::printf(" + model.safetensors (%.1f MB BF16, served as such; %.1f MB with --dtype f32)\n",
                static_cast<double>(r.weight_bytes) / 1e6, static_cast<double>(params) * 4 / 1e6);
  } else {
    std::printf("; weights not written (%.2f GB BF16; pass --weights)\n",
                static_cast<double>(params) * 2 / 1e9);
  }
  return 0;
}

}  // namespace

ODMA_COMMAND("model", "model utilities: make-random --preset NAME --out DIR", run_model);

}  // namespace odma::cli
