#include "tokenizer/added_tokens.h"

#include <algorithm>

namespace odma::tokenizer {
namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

bool is_word_byte(char c) {
  auto b = static_cast<unsigned char>(c);
  return b >= 0x80 || c == '_' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
         (c >= 'A' && c <= 'Z');
}

}  // namespace

AddedTokenMatcher::AddedTokenMatcher(std::vector<AddedToken> tokens) : tokens_(std::move(tokens)) {
  for (std::uint32_t i = 0; i < tokens_.size(); ++i) {
    if (tokens_[i].content.empty()) continue;  // an empty token can never be matched
    candidates_[static_cast<unsigned char>(tokens_[i].content[0])].push_back(i);
  }
  for (auto& list : candidates_) {
    std::stable_sort(list.begin(), list.end(), [&](std::uint32_t a, std::uint32_t b) {
      return tokens_[a].content.size() > tokens_[b].content.size();
    });
  }
}

void AddedTokenMatcher::split(std::string_view text, std::vector<Segment>& out) const {
  std::size_t plain_start = 0;  // start of the plain text not yet emitted
  std::size_t i = 0;
  while (i < text.size()) {
    const auto& list = candidates_[static_cast<unsigned char>(text[i])];
    const AddedToken* hit = nullptr;
    for (std::uint32_t index : list) {
      const AddedToken& t = tokens_[index];
      if (text.compare(i, t.content.size(), t.content) != 0) continue;
      if (t.single_word) {
        std::size_t end = i + t.content.size();
        if ((i > 0 && is_word_byte(text[i - 1])) ||
            (end < text.size() && is_word_byte(text[end]))) {
          continue;
        }
      }
      hit = &t;
      break;
    }
    if (hit == nullptr) {
      ++i;
      continue;
    }
    std::size_t begin = i;
    std::size_t end = i + hit->content.size();
    if (hit->lstrip) {
      while (begin > plain_start && is_space(text[begin - 1])) --begin;
    }
    if (hit->rstrip) {
      while (end < text.size() && is_space(text[end])) ++end;
    }
    if (begin > plain_start)
      out.push_back({text.substr(plain_start, begin - plain_start), -1, plain_start});
    out.push_back({text.substr(begin, end - begin), hit->id, begin});
    plain_start = end;
    i = end;
  }
  if (plain_start < text.size()) out.push_back({text.substr(plain_start), -1, plain_start});
}

}  // namespace odma::tokenizer
