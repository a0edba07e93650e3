// Chat templates (src/tokenizer/chat_template.h): a tokenizer_config.json whose "chat_template"
// is parsed and rendered, or, when the input does not start with '{', a raw Jinja template.
//
// Properties: a template outside the subset, or a failing render, is an odma::Error naming the
// origin; rendering stays inside the work limits (so well under libFuzzer's 1 s timeout); the
// render is deterministic (a second render of the same messages gives the same text).
#include <ctime>

#include "fuzz/fuzz_util.h"
#include "tokenizer/chat_template.h"

namespace {

const std::vector<std::vector<odma::tokenizer::ChatMessage>>& conversations() {
  static const std::vector<std::vector<odma::tokenizer::ChatMessage>> c = {
      {{"user", "Hi"}},
      {{"system", "Be brief."}, {"user", "What is 2+2?"}, {"assistant", "4"}, {"user", "Why?"}},
      {{"user", ""}, {"assistant", " <|im_end|> {{ x }} "}},
  };
  return c;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using odma::fuzz::check;
  namespace tk = odma::tokenizer;
  const std::string_view input = odma::fuzz::as_text(data, size);
  const bool config = !input.empty() && input.front() == '{';
  const std::string origin = config ? "tokenizer_config.json" : "template.jinja";
  std::optional<tk::ChatTemplate> tmpl;
  if (!odma::fuzz::parses(origin, [&] {
        tmpl = config ? tk::ChatTemplate::from_tokenizer_config(input, origin)
                      : tk::ChatTemplate::parse(input, origin);
      }))
    return 0;
  // Small budgets: the defaults (20 M steps) allow renders longer than the fuzz timeout.
  tk::ChatTemplateLimits limits;
  limits.max_steps = 200'000;
  limits.max_output_bytes = 1 << 20;
  limits.max_call_depth = 16;
  tmpl->set_limits(limits);
  tmpl->set_clock([] {
    std::tm t{};
    t.tm_year = 126;
    t.tm_mday = 1;
    return t;
  });
  for (const auto& messages : conversations()) {
    for (bool add_generation_prompt : {false, true}) {
      std::string first;
      if (!odma::fuzz::parses(origin,
                              [&] { first = tmpl->render(messages, add_generation_prompt); }))
        continue;
      check(first.size() <= limits.max_output_bytes, "render exceeded max_output_bytes");
      check(tmpl->render(messages, add_generation_prompt) == first, "render is not deterministic");
    }
  }
  return 0;
}
