#include "tokenizer/vocab.h"

namespace odma::tokenizer {

bool Vocab::add(std::string token, std::int32_t id) {
  if (id < 0 || contains(id) || ids_.count(token) != 0) return false;
  auto index = static_cast<std::size_t>(id);
  if (index >= tokens_.size()) {
    tokens_.resize(index + 1);
    used_.resize(index + 1, false);
  }
  tokens_[index] = token;
  used_[index] = true;
  ids_.emplace(std::move(token), id);
  return true;
}

}  // namespace odma::tokenizer
