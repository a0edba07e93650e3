#include "grammar/grammar_graph.h"

#include <algorithm>
#include <unordered_map>

#include "grammar/mask_cache.h"

namespace odma::grammar {

namespace {

// Byte edges sorted by (target, lo), adjacent ranges to one target merged, then sorted by lo.
void normalize_edges(std::vector<ByteEdge>& edges) {
  std::sort(edges.begin(), edges.end(), [](const ByteEdge& a, const ByteEdge& b) {
    return a.target != b.target ? a.target < b.target : a.lo < b.lo;
  });
  std::vector<ByteEdge> merged;
  for (const ByteEdge& e : edges) {
    if (!merged.empty() && merged.back().target == e.target && e.lo <= merged.back().hi + 1) {
      merged.back().hi = std::max(merged.back().hi, e.hi);
    } else {
      merged.push_back(e);
    }
  }
  std::sort(merged.begin(), merged.end(),
            [](const ByteEdge& a, const ByteEdge& b) { return a.lo < b.lo; });
  edges = std::move(merged);
}

void normalize_calls(std::vector<CallEdge>& calls) {
  std::sort(calls.begin(), calls.end(), [](const CallEdge& a, const CallEdge& b) {
    return a.callee != b.callee ? a.callee < b.callee : a.ret < b.ret;
  });
  calls.erase(std::unique(calls.begin(), calls.end(),
                          [](const CallEdge& a, const CallEdge& b) {
                            return a.callee == b.callee && a.ret == b.ret;
                          }),
              calls.end());
}

// Each node takes over the byte edges, calls and finality of every node it reaches by epsilon
// edges, so that no epsilon edge is left.
void remove_epsilons(std::vector<Node>& nodes) {
  std::vector<Node> out(nodes.size());
  std::vector<std::int32_t> seen(nodes.size(), -1);
  std::vector<std::int32_t> todo;
  for (std::size_t n = 0; n < nodes.size(); ++n) {
    Node& dst = out[n];
    todo.assign(1, static_cast<std::int32_t>(n));
    seen[n] = static_cast<std::int32_t>(n);
    while (!todo.empty()) {
      const Node& src = nodes[static_cast<std::size_t>(todo.back())];
      todo.pop_back();
      dst.bytes.insert(dst.bytes.end(), src.bytes.begin(), src.bytes.end());
      dst.calls.insert(dst.calls.end(), src.calls.begin(), src.calls.end());
      dst.final = dst.final || src.final;
      for (std::int32_t e : src.eps) {
        if (seen[static_cast<std::size_t>(e)] != static_cast<std::int32_t>(n)) {
          seen[static_cast<std::size_t>(e)] = static_cast<std::int32_t>(n);
          todo.push_back(e);
        }
      }
    }
    normalize_edges(dst.bytes);
    normalize_calls(dst.calls);
  }
  nodes = std::move(out);
}

// Least fixpoint: a node is productive if its rule can return from it.
std::vector<char> productive_nodes(const std::vector<Node>& nodes) {
  std::vector<char> prod(nodes.size(), 0);
  auto is = [&](std::int32_t id) { return prod[static_cast<std::size_t>(id)] != 0; };
  for (bool changed = true; changed;) {
    changed = false;
    for (std::size_t i = nodes.size(); i-- > 0;) {
      if (prod[i]) continue;
      const Node& n = nodes[i];
      bool p = n.final;
      for (const ByteEdge& e : n.bytes) p = p || is(e.target);
      for (const CallEdge& c : n.calls) p = p || (is(c.callee) && is(c.ret));
      if (p) prod[i] = 1, changed = true;
    }
  }
  return prod;
}

}  // namespace

Grammar::Grammar(std::vector<Node> nodes, std::int32_t start)
    : nodes_(std::move(nodes)), start_(start), cache_(std::make_unique<MaskCache>()) {
  simple_.resize(nodes_.size());
  pure_end_.resize(nodes_.size());
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    const Node& n = nodes_[i];
    simple_[i] = n.calls.empty() && !n.final && !n.bytes.empty();
    pure_end_[i] = n.calls.empty() && n.final && n.bytes.empty();
  }
}

Grammar::~Grammar() = default;

std::string Grammar::signature(std::int32_t node, std::size_t max_bytes,
                               std::size_t max_nodes) const {
  // Breadth-first from `node`: order[i] is the i-th node found, at distance[i] bytes. Nodes further
  // than max_bytes are left out (a walk of max_bytes bytes never reaches them). Graphs with calls
  // in reach (object and array rules) are not signed: they are large and rarely repeat.
  std::vector<std::int32_t> order{node};
  std::vector<std::size_t> distance{0};
  std::unordered_map<std::int32_t, std::int32_t> index{{node, 0}};
  for (std::size_t i = 0; i < order.size(); ++i) {
    const Node& n = this->node(order[i]);
    if (!n.calls.empty() || order.size() > max_nodes) return {};
    if (distance[i] == max_bytes) continue;
    for (const ByteEdge& e : n.bytes) {
      if (index.emplace(e.target, static_cast<std::int32_t>(order.size())).second) {
        order.push_back(e.target);
        distance.push_back(distance[i] + 1);
      }
    }
  }
  std::string sig;
  auto put = [&](std::int32_t v) { sig.append(reinterpret_cast<const char*>(&v), sizeof v); };
  for (std::int32_t id : order) {
    const Node& n = this->node(id);
    put(n.final ? 1 : 0);
    put(static_cast<std::int32_t>(n.bytes.size()));
    for (const ByteEdge& e : n.bytes) {
      auto it = index.find(e.target);
      put(e.lo << 8 | e.hi);
      put(it == index.end() ? -1 : it->second);
    }
  }
  return sig;
}

std::int32_t GraphBuilder::add_node() {
  nodes_.emplace_back();
  return static_cast<std::int32_t>(nodes_.size() - 1);
}

Frag GraphBuilder::empty() {
  Frag f{add_node(), add_node()};
  eps(f.start, f.end);
  return f;
}

Frag GraphBuilder::dead() {
  return Frag{add_node(), add_node()};
}

Frag GraphBuilder::byte_range(std::uint8_t lo, std::uint8_t hi) {
  Frag f{add_node(), add_node()};
  node(f.start).bytes.push_back({lo, hi, f.end});
  return f;
}

Frag GraphBuilder::literal(std::string_view text) {
  Frag f{add_node(), 0};
  std::int32_t at = f.start;
  for (char c : text) {
    std::int32_t next = add_node();
    auto b = static_cast<std::uint8_t>(c);
    node(at).bytes.push_back({b, b, next});
    at = next;
  }
  f.end = at;
  return f;
}

Frag GraphBuilder::literal_set(const std::vector<std::string>& texts) {
  Frag f{add_node(), add_node()};
  for (const std::string& text : texts) {
    std::int32_t at = f.start;
    for (char c : text) {
      auto b = static_cast<std::uint8_t>(c);
      std::int32_t next = -1;
      for (const ByteEdge& e : node(at).bytes) {
        if (e.lo == b) next = e.target;
      }
      if (next < 0) {
        next = add_node();
        node(at).bytes.push_back({b, b, next});
      }
      at = next;
    }
    eps(at, f.end);
  }
  return f;
}

Frag GraphBuilder::seq(const std::vector<Frag>& parts) {
  if (parts.empty()) return empty();
  for (std::size_t i = 1; i < parts.size(); ++i) eps(parts[i - 1].end, parts[i].start);
  return Frag{parts.front().start, parts.back().end};
}

Frag GraphBuilder::alt(const std::vector<Frag>& options) {
  Frag f{add_node(), add_node()};
  for (const Frag& o : options) {
    eps(f.start, o.start);
    eps(o.end, f.end);
  }
  return f;
}

Frag GraphBuilder::optional(Frag f) {
  eps(f.start, f.end);
  return f;
}

Frag GraphBuilder::star(Frag f) {
  Frag s{add_node(), add_node()};
  eps(s.start, f.start);
  eps(f.end, s.start);
  eps(s.start, s.end);
  return s;
}

Frag GraphBuilder::repeat(const std::function<Frag()>& make, int min, int max) {
  if (max >= 0 && min > max) return dead();
  std::vector<Frag> parts;
  for (int i = 0; i < min; ++i) parts.push_back(make());
  if (max < 0) {
    parts.push_back(star(make()));
  } else {
    // Optional copies nest: a?(b?(c?)) keeps the number of alternatives linear.
    Frag tail = empty();
    for (int i = min; i < max; ++i) tail = optional(seq({make(), tail}));
    parts.push_back(tail);
  }
  return seq(parts);
}

Frag GraphBuilder::call(std::int32_t rule) {
  Frag f{add_node(), add_node()};
  node(f.start).calls.push_back({rule, f.end});
  return f;
}

std::int32_t GraphBuilder::declare_rule() {
  return add_node();
}

void GraphBuilder::define_rule(std::int32_t rule, Frag body) {
  eps(rule, body.start);
  node(body.end).final = true;
}

std::int32_t GraphBuilder::rule(Frag body) {
  std::int32_t r = declare_rule();
  define_rule(r, body);
  return r;
}

std::int32_t GraphBuilder::import(const Grammar& g) {
  auto offset = static_cast<std::int32_t>(nodes_.size());
  for (Node n : g.nodes()) {
    for (ByteEdge& e : n.bytes) e.target += offset;
    for (CallEdge& c : n.calls) c.callee += offset, c.ret += offset;
    nodes_.push_back(std::move(n));
  }
  return g.start() + offset;
}

GrammarPtr GraphBuilder::finish(std::int32_t start, const UnsatHandler& on_unsatisfiable) {
  remove_epsilons(nodes_);
  std::vector<char> prod = productive_nodes(nodes_);
  if (!prod[static_cast<std::size_t>(start)]) {
    if (on_unsatisfiable) on_unsatisfiable(prod);
    throw GrammarError("no output matches the grammar", "");
  }
  auto alive = [&](std::int32_t id) { return prod[static_cast<std::size_t>(id)] != 0; };
  // Renumber the nodes reachable from `start` over productive edges only.
  std::vector<std::int32_t> index(nodes_.size(), -1);
  std::vector<std::int32_t> order{start};
  index[static_cast<std::size_t>(start)] = 0;
  auto visit = [&](std::int32_t id) {
    if (index[static_cast<std::size_t>(id)] < 0) {
      index[static_cast<std::size_t>(id)] = static_cast<std::int32_t>(order.size());
      order.push_back(id);
    }
  };
  for (std::size_t i = 0; i < order.size(); ++i) {
    Node& n = nodes_[static_cast<std::size_t>(order[i])];
    std::erase_if(n.bytes, [&](const ByteEdge& e) { return !alive(e.target); });
    std::erase_if(n.calls, [&](const CallEdge& c) { return !alive(c.callee) || !alive(c.ret); });
    for (const ByteEdge& e : n.bytes) visit(e.target);
    for (const CallEdge& c : n.calls) visit(c.callee), visit(c.ret);
  }
  std::vector<Node> out;
  out.reserve(order.size());
  for (std::int32_t id : order) {
    Node n = std::move(nodes_[static_cast<std::size_t>(id)]);
    for (ByteEdge& e : n.bytes) e.target = index[static_cast<std::size_t>(e.target)];
    for (CallEdge& c : n.calls) {
      c.callee = index[static_cast<std::size_t>(c.callee)];
      c.ret = index[static_cast<std::size_t>(c.ret)];
    }
    out.push_back(std::move(n));
  }
  nodes_.clear();
  return std::make_shared<Grammar>(std::move(out), 0);
}

}  // namespace odma::grammar
