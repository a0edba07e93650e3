// tokenizer.json and tokenizer_config.json (src/tokenizer/tokenizer_json.h): the input is
// tokenizer.json; a line "----" starts tokenizer_config.json.
//
// Properties: bad files → odma::Error naming the file; an accepted tokenizer keeps the checks of
// tokenizer_checks.h on a few probe texts and on ids drawn from its own vocabulary size.
#include "fuzz/tokenizer_checks.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace tk = odma::tokenizer;
  const std::string_view input = odma::fuzz::as_text(data, size);
  const std::size_t cut = input.find("\n----\n");
  const std::string_view json = input.substr(0, cut);
  const std::string_view config = cut == std::string_view::npos ? "" : input.substr(cut + 6);
  std::optional<tk::Tokenizer> tok;
  // The two files are named differently so the check sees which one an error blames; either
  // name is fine (a config error names tokenizer_config.json, which contains "tokenizer").
  if (!odma::fuzz::parses("tokenizer", [&] {
        tok = tk::Tokenizer::from_json(json, "tokenizer.json", config, "tokenizer_config.json");
      }))
    return 0;
  for (std::string_view probe : {"", "Hello world", " a  b\n\nc", "héllo wörld 123",
                                 "日本語 🙂", "<|endoftext|>x", "<s> </s>"}) {
    try {
      (void)odma::fuzz::check_encode(*tok, probe);
    } catch (const odma::Error& e) {
      // A tokenizer may lack what a probe needs (no unk token, no byte fallback): an error,
      // never a crash, and it names the tokenizer.
      odma::fuzz::check(std::string_view(e.what()).find("tokenizer") != std::string_view::npos,
                        "encode error does not name the tokenizer", e.what());
    }
  }
  std::vector<std::int32_t> ids;
  for (std::size_t i = 0; i < size && ids.size() < 64; i += 7)
    ids.push_back(static_cast<std::int32_t>(data[i]) % (tok->vocab_size() + 2));
  odma::fuzz::check_decode(*tok, ids);
  return 0;
}
