// Chat-template rendering time per shipped template, on one core.
//   build*/bench/odma_bench_chat_template [--benchmark_filter=Render]
// Render/<template>: one render of a 10-message chat (system prompt, four user/assistant turns,
// a final user turn; ~300 bytes per message) with add_generation_prompt; the time column is
// the cost per prompt. RenderLong/<template>: the same with 100 messages of ~2 KB (~200 KB).
// Parse/<template>: loading the template from its tokenizer_config.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "base/file_io.h"
#include "tokenizer/chat_template.h"

namespace {

using odma::tokenizer::ChatMessage;
using odma::tokenizer::ChatTemplate;

const std::vector<std::string> kTemplates = {
    "deepseek_r1", "deepseek_r1_distill", "deepseek_v3", "llama2_chat", "llama3",
    "llama3_1",    "llama3_1_instruct",   "llama3_2",    "qwen2_5",     "qwen3"};

// A system prompt, `turns` user/assistant pairs and a final user turn; `repeat` scales the text.
std::vector<ChatMessage> chat(int turns, int repeat) {
  std::string text;
  const std::string sentence =
      "The quick brown fox jumps over the lazy dog while the committee debates whether the "
      "prompt, its tokens and the KV cache fit into the budget we set for this request; "
      "meanwhile the scheduler keeps an eye on latency targets and memory pressure. ";
  for (int i = 0; i < repeat; ++i) text += sentence;
  std::vector<ChatMessage> m = {{"system", "You are a helpful assistant. " + text}};
  for (int turn = 0; turn < turns; ++turn) {
    m.push_back({"user", "Question " + std::to_string(turn) + ": " + text});
    m.push_back({"assistant", "Answer " + std::to_string(turn) + ": " + text});
  }
  m.push_back({"user", "Last question: " + text});
  return m;
}

std::string config_text(const std::string& name) {
  return odma::read_file(odma::data_file("chat_templates/" + name + ".json"));
}

void render(benchmark::State& state, const std::string& name, int turns, int repeat) {
  ChatTemplate t = ChatTemplate::from_tokenizer_config(config_text(name), name);
  t.set_clock([] { return std::tm{}; });
  const std::vector<ChatMessage> messages = chat(turns, repeat);
  std::size_t bytes = 0;
  for (auto _ : state) {
    std::string out = t.render(messages, true);
    bytes = out.size();
    benchmark::DoNotOptimize(out);
  }
  state.counters["out_bytes"] = static_cast<double>(bytes);
}

void parse(benchmark::State& state, const std::string& name) {
  const std::string text = config_text(name);
  for (auto _ : state) {
    ChatTemplate t = ChatTemplate::from_tokenizer_config(text, name);
    benchmark::DoNotOptimize(t);
  }
}

const int kRegistered = [] {
  for (const std::string& name : kTemplates) {
    benchmark::RegisterBenchmark(("Render/" + name).c_str(), render, name, 4, 1)
        ->Unit(benchmark::kMicrosecond);
  }
  for (const std::string& name : kTemplates) {
    benchmark::RegisterBenchmark(("RenderLong/" + name).c_str(), render, name, 49, 7)
        ->Unit(benchmark::kMicrosecond);
  }
  for (const std::string& name : kTemplates) {
    benchmark::RegisterBenchmark(("Parse/" + name).c_str(), parse, name)
        ->Unit(benchmark::kMicrosecond);
  }
  return 0;
}();

}  // namespace
