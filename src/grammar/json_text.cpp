#include "grammar/json_text.h"

#include <map>
#include <vector>

#include "grammar/regex_compiler.h"
#include "grammar/utf8_class.h"

namespace odma::grammar {

Frag JsonText::ws() {
  auto blank = [&] { return code_set_frag(b_, make_code_set({{'\t', '\t'}, {' ', ' '}})); };
  return b_.alt({b_.empty(), b_.literal(" "), b_.seq({b_.literal("\n"), b_.repeat(blank, 0, 20)})});
}

Frag JsonText::json_char() {
  auto ascii = [&](std::vector<CodeRange> r) {
    return code_set_frag(b_, make_code_set(std::move(r)));
  };
  auto hex = [&] { return ascii({{'0', '9'}, {'A', 'F'}, {'a', 'f'}}); };
  Frag plain = code_set_frag(b_, complement(make_code_set({{0, 0x1F}, {'"', '"'}, {'\\', '\\'}})));
  Frag simple = ascii({{'"', '"'},
                       {'\\', '\\'},
                       {'/', '/'},
                       {'b', 'b'},
                       {'f', 'f'},
                       {'n', 'n'},
                       {'r', 'r'},
                       {'t', 't'}});
  Frag bmp = b_.alt({b_.seq({ascii({{'0', '9'}, {'A', 'C'}, {'a', 'c'}, {'E', 'F'}, {'e', 'f'}}),
                             hex(), hex(), hex()}),
                     b_.seq({ascii({{'D', 'D'}, {'d', 'd'}}), ascii({{'0', '7'}}), hex(), hex()})});
  Frag pair = b_.seq({ascii({{'D', 'D'}, {'d', 'd'}}), ascii({{'8', '9'}, {'A', 'B'}, {'a', 'b'}}),
                      hex(), hex(), b_.literal("\\u"), ascii({{'D', 'D'}, {'d', 'd'}}),
                      ascii({{'C', 'F'}, {'c', 'f'}}), hex(), hex()});
  Frag escape =
      b_.seq({b_.literal("\\"), b_.alt({simple, b_.seq({b_.literal("u"), b_.alt({bmp, pair})})})});
  return b_.alt({plain, escape});
}

Frag JsonText::number(const std::string& path) {
  return compile_regex(b_, "-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][+-]?[0-9]{1,2})?", RegexOptions{},
                       path);
}

Frag JsonText::free_object(std::int32_t value_rule) {
  auto member = [&] {
    return b_.seq({b_.call(any_string()), ws(), b_.literal(":"), ws(), b_.call(value_rule), ws()});
  };
  Frag more = b_.star(b_.seq({b_.literal(","), ws(), member()}));
  return b_.seq({b_.literal("{"), ws(), b_.optional(b_.seq({member(), more})), b_.literal("}")});
}

Frag JsonText::key_except(const std::vector<std::string>& names) {
  const CodeSet plain = complement(make_code_set({{0, 0x1F}, {'"', '"'}, {'\\', '\\'}}));
  // A trie of the names by code point; names an unescaped key cannot spell are left out.
  struct TrieNode {
    std::map<std::uint32_t, std::size_t> next;
    bool name = false;
  };
  std::vector<TrieNode> trie(1);
  for (const std::string& name : names) {
    std::vector<std::uint32_t> cps;
    if (!decode_utf8(name, cps)) continue;
    bool spellable = true;
    for (std::uint32_t cp : cps) spellable = spellable && !intersect(plain, {{cp, cp}}).empty();
    if (!spellable) continue;
    std::size_t at = 0;
    for (std::uint32_t cp : cps) {
      auto [it, fresh] = trie[at].next.emplace(cp, trie.size());
      if (fresh) trie.emplace_back();
      at = it->second;
    }
    trie[at].name = true;
  }
  // Graph: one node per trie node while the key still spells a name's prefix, then `free`.
  Frag f{b_.add_node(), b_.add_node()};
  std::vector<std::int32_t> node(trie.size());
  for (std::int32_t& n : node) n = b_.add_node();
  std::int32_t free = b_.add_node();
  auto edge = [&](std::int32_t from, Frag via, std::int32_t to) {
    b_.link(from, via.start);
    b_.link(via.end, to);
  };
  edge(f.start, b_.literal("\""), node[0]);
  for (std::size_t t = 0; t < trie.size(); ++t) {
    std::vector<CodeRange> taken;
    for (const auto& [cp, child] : trie[t].next) {
      std::string bytes;
      append_utf8(bytes, cp);
      edge(node[t], b_.literal(bytes), node[child]);
      taken.push_back({cp, cp});
    }
    edge(node[t], code_set_frag(b_, intersect(plain, complement(make_code_set(taken)))), free);
    if (!trie[t].name) edge(node[t], b_.literal("\""), f.end);
  }
  edge(free, code_set_frag(b_, plain), free);
  edge(free, b_.literal("\""), f.end);
  return f;
}

std::int32_t JsonText::any_string() {
  if (any_string_ < 0) {
    any_string_ = b_.rule(b_.seq({b_.literal("\""), b_.star(json_char()), b_.literal("\"")}));
  }
  return any_string_;
}

std::int32_t JsonText::any_value() {
  if (any_value_ >= 0) return any_value_;
  any_value_ = b_.declare_rule();  // before the body: arrays and objects nest values
  auto value = [&] { return b_.call(any_value_); };
  Frag more = b_.star(b_.seq({b_.literal(","), ws(), value(), ws()}));
  Frag array =
      b_.seq({b_.literal("["), ws(), b_.optional(b_.seq({value(), ws(), more})), b_.literal("]")});
  b_.define_rule(any_value_, b_.alt({free_object(any_value_), array, b_.call(any_string()),
                                     number(""), b_.literal_set({"true", "false", "null"})}));
  return any_value_;
}

}  // namespace odma::grammar
