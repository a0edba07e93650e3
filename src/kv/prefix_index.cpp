#include "kv/prefix_index.h"

#include <algorithm>
#include <limits>
#include <sstream>
#include <unordered_set>

#include "base/debug.h"

namespace odma::kv {

PrefixIndex::PrefixIndex(std::int64_t trim_unit)
    : root_(std::make_unique<Node>()), trim_unit_(trim_unit) {}

// Iterative teardown: a long chain of nodes would otherwise recurse once per node.
PrefixIndex::~PrefixIndex() {
  std::vector<std::unique_ptr<Node>> pending;
  pending.push_back(std::move(root_));
  while (!pending.empty()) {
    std::unique_ptr<Node> node = std::move(pending.back());
    pending.pop_back();
    for (auto& [token, child] : node->children) pending.push_back(std::move(child));
  }
}

PrefixIndex::Walk PrefixIndex::walk(std::span<const TokenId> tokens) const {
  Walk w{root_.get(), 0, 0};
  const auto size = static_cast<std::int64_t>(tokens.size());
  while (w.matched < size) {
    auto it = w.node->children.find(tokens[static_cast<std::size_t>(w.matched)]);
    if (it == w.node->children.end()) break;
    Node* child = it->second.get();
    const std::int64_t limit = std::min(child->length(), size - w.matched);
    std::int64_t k = 1;  // the first token matched by the lookup
    while (k < limit && child->label[static_cast<std::size_t>(k)] ==
                            tokens[static_cast<std::size_t>(w.matched + k)])
      ++k;
    w.node = child;
    w.in_node = k;
    w.matched += k;
    if (k < child->length()) break;
  }
  return w;
}

PrefixMatch PrefixIndex::match(std::span<const TokenId> tokens, std::int64_t max_tokens) const {
  const auto cap =
      std::clamp<std::int64_t>(max_tokens, 0, static_cast<std::int64_t>(tokens.size()));
  const Walk w = walk(tokens.first(static_cast<std::size_t>(cap)));
  std::vector<const Node*> path;
  for (const Node* n = w.node; n != root_.get(); n = n->parent) path.push_back(n);
  PrefixMatch result;
  result.length = w.matched;
  for (auto it = path.rbegin(); it != path.rend(); ++it) {
    const Node* n = *it;
    const std::int64_t length = n == w.node ? w.in_node : n->length();
    if (!result.runs.empty() && result.runs.back().offset + result.runs.back().length == n->offset)
      result.runs.back().length += length;
    else
      result.runs.push_back(SlotRun{n->offset, length});
  }
  return result;
}

std::optional<LeaseId> PrefixIndex::acquire(std::span<const TokenId> tokens, std::int64_t length) {
  if (length < 0 || length > static_cast<std::int64_t>(tokens.size())) return std::nullopt;
  const Walk w = walk(tokens.first(static_cast<std::size_t>(length)));
  if (w.matched < length) return std::nullopt;
  const LeaseId id = next_lease_++;
  leases_.emplace(id, Lease{w.node, length});
  w.node->leases_here.push_back(id);
  add_lease_count(w.node, +1);
  touch(w.node);
  return id;
}

Status PrefixIndex::release(LeaseId lease) {
  auto it = leases_.find(lease);
  if (it == leases_.end()) return Status::kInvalidArgument;
  Node* end = it->second.end;
  auto& here = end->leases_here;
  auto pos = std::find(here.begin(), here.end(), lease);
  ODMA_ASSERT(pos != here.end());
  *pos = here.back();
  here.pop_back();
  leases_.erase(it);
  add_lease_count(end, -1);
  return Status::kOk;
}

PrefixInsert PrefixIndex::insert(std::span<const TokenId> tokens, Extent backing,
                                 std::int64_t first_pos) {
  const auto size = static_cast<std::int64_t>(tokens.size());
  const PrefixInsert invalid{Status::kInvalidArgument, 0, false};
  if (first_pos < 0 || first_pos > size || backing.offset < 0 || backing.length < size - first_pos)
    return invalid;
  if (backing.length > 0) {
    auto next = backings_.lower_bound(backing.offset);
    if (next != backings_.end() && next->first < backing.end()) return invalid;
    if (next != backings_.begin() && std::prev(next)->second.extent.end() > backing.offset)
      return invalid;
  }
  const Walk w = walk(tokens);
  if (w.matched < first_pos) return invalid;
  if (w.matched == size) {
    touch(w.node);
    return PrefixInsert{Status::kOk, 0, false};
  }

  Node* at = w.node;
  if (w.in_node < at->length()) at = split(at, w.in_node);
  auto leaf = std::make_unique<Node>();
  leaf->id = next_node_id_++;
  leaf->parent = at;
  leaf->label.assign(tokens.begin() + w.matched, tokens.end());
  leaf->offset = backing.offset + (w.matched - first_pos);
  leaf->depth = w.matched;
  auto [slot, inserted] = backings_.emplace(backing.offset, Backing{backing, 1, 0, leaf.get()});
  ODMA_ASSERT(inserted);
  leaf->backing = &slot->second;
  Node* added = leaf.get();
  at->children.emplace(added->label[0], std::move(leaf));
  ++nodes_;
  cached_tokens_ += added->length();
  backing_slots_ += backing.length;
  reclaimable_slots_ += backing.length;  // no lease can end in a new node yet
  refresh_evictable(at);                 // no longer a leaf
  touch(added);
  refresh_evictable(added);
  return PrefixInsert{Status::kOk, added->length(), true};
}

PrefixIndex::Node* PrefixIndex::split(Node* node, std::int64_t k) {
  ODMA_ASSERT(0 < k && k < node->length());
  auto upper = std::make_unique<Node>();
  upper->id = next_node_id_++;
  upper->parent = node->parent;
  upper->label.assign(node->label.begin(), node->label.begin() + k);
  upper->offset = node->offset;
  upper->depth = node->depth;
  upper->backing = node->backing;
  upper->subtree_leases = node->subtree_leases;  // every lease below passes through it
  upper->last_access = node->last_access;

  node->label.erase(node->label.begin(), node->label.begin() + k);
  node->offset += k;
  node->depth += k;
  // Leases that end within the first k tokens now end in the upper half.
  auto& here = node->leases_here;
  auto keep = std::partition(here.begin(), here.end(),
                             [&](LeaseId id) { return leases_.at(id).length > node->depth; });
  for (auto it = keep; it != here.end(); ++it) {
    leases_.at(*it).end = upper.get();
    upper->leases_here.push_back(*it);
  }
  node->subtree_leases -= static_cast<std::int64_t>(here.end() - keep);
  here.erase(keep, here.end());

  // The backing gains a node but keeps its pin state (the upper half is pinned iff the node was),
  // so reclaimable_slots_ stays; so does its bottom, since the lower half is the same object.
  ++node->backing->nodes;
  if (upper->subtree_leases > 0 && node->subtree_leases > 0) ++node->backing->pinned_nodes;
  ++nodes_;

  Node* parent = node->parent;
  auto slot = parent->children.find(upper->label[0]);
  ODMA_ASSERT(slot != parent->children.end() && slot->second.get() == node);
  Node* result = upper.get();
  upper->children.emplace(node->label[0], std::move(slot->second));
  node->parent = result;
  slot->second = std::move(upper);
  refresh_evictable(node);
  return result;
}

void PrefixIndex::touch(Node* node) {
  const std::uint64_t now = ++clock_;
  for (Node* n = node; n != nullptr; n = n->parent) {
    if (n->in_evictable) {
      // Re-keyed in its own map node: no allocation. (Never empty: the check tells GCC's
      // -Wnull-dereference so.)
      auto entry = evictable_.extract(EvictKey{n->last_access, n->id});
      if (entry.empty()) __builtin_unreachable();
      entry.key() = EvictKey{now, n->id};
      evictable_.insert(std::move(entry));
    }
    n->last_access = now;
  }
}

bool PrefixIndex::evictable(const Node* node) const {
  return node->backing != nullptr && node->children.empty() && node->subtree_leases == 0 &&
         node->backing->pinned_nodes == 0;
}

void PrefixIndex::refresh_evictable(Node* node) {
  const bool want = evictable(node);
  if (want == node->in_evictable) return;
  if (want)
    evictable_.emplace(EvictKey{node->last_access, node->id}, node);
  else
    evictable_.erase(EvictKey{node->last_access, node->id});
  node->in_evictable = want;
}

void PrefixIndex::add_lease_count(Node* node, std::int64_t delta) {
  for (Node* n = node; n != nullptr; n = n->parent) {
    const bool was_pinned = n->subtree_leases > 0;
    n->subtree_leases += delta;
    ODMA_ASSERT(n->subtree_leases >= 0);
    if (was_pinned != (n->subtree_leases > 0)) set_pinned(n, !was_pinned);
  }
}

void PrefixIndex::set_pinned(Node* node, bool pinned) {
  Backing* b = node->backing;
  if (b != nullptr) {
    b->pinned_nodes += pinned ? 1 : -1;
    if (b->pinned_nodes == (pinned ? 1 : 0)) {
      // The backing itself crossed between pinned and unpinned.
      reclaimable_slots_ += pinned ? -b->extent.length : b->extent.length;
      refresh_evictable(b->bottom);
    }
  }
  refresh_evictable(node);
}

void PrefixIndex::remove_leaf(Node* node, std::vector<Extent>* freed, std::int64_t* freed_slots) {
  ODMA_ASSERT(node->in_evictable);
  evictable_.erase(EvictKey{node->last_access, node->id});
  Backing* b = node->backing;
  Node* parent = node->parent;
  --b->nodes;
  --nodes_;
  cached_tokens_ -= node->length();
  if (b->nodes == 0) {
    freed->push_back(b->extent);
    *freed_slots += b->extent.length;
    backing_slots_ -= b->extent.length;
    reclaimable_slots_ -= b->extent.length;
    backings_.erase(b->extent.offset);
  } else {
    ODMA_ASSERT(parent->backing == b);  // the chain's next node up becomes its bottom
    b->bottom = parent;
    if (trim_unit_ > 0) {
      // The chain's slots rise towards its bottom: past the new bottom's end nothing is read.
      const std::int64_t keep =
          (parent->offset + parent->length() - b->extent.offset + trim_unit_ - 1) / trim_unit_ *
          trim_unit_;
      if (keep < b->extent.length) {
        const Extent tail{b->extent.offset + keep, b->extent.length - keep};
        trimmed_.push_back({b->extent.offset, tail});
        b->extent.length = keep;
        *freed_slots += tail.length;
        backing_slots_ -= tail.length;
        reclaimable_slots_ -= tail.length;
      }
    }
  }
  parent->children.erase(node->label[0]);  // destroys node
  refresh_evictable(parent);
}

std::vector<Extent> PrefixIndex::evict(std::int64_t need_slots) {
  std::vector<Extent> freed;
  std::int64_t freed_slots = 0;
  while (freed_slots < need_slots && !evictable_.empty())
    remove_leaf(evictable_.begin()->second, &freed, &freed_slots);
  return freed;
}

std::optional<std::uint64_t> PrefixIndex::loose_backing_age(std::int64_t offset) const {
  auto it = backings_.find(offset);
  if (it == backings_.end() || it->second.pinned_nodes > 0) return std::nullopt;
  const Backing& b = it->second;
  const Node* n = b.bottom;
  if (!n->children.empty()) return std::nullopt;
  const Node* top = n;
  for (n = n->parent; n != nullptr && n->backing == &b; n = n->parent) {
    if (n->children.size() != 1) return std::nullopt;  // a branch into another backing
    top = n;
  }
  return top->last_access;
}

Extent PrefixIndex::evict_backing(std::int64_t offset) {
  Backing& b = backings_.at(offset);
  std::vector<Extent> freed;
  std::int64_t freed_slots = 0;
  while (freed.empty()) remove_leaf(b.bottom, &freed, &freed_slots);  // b dies with its last node
  return freed.front();
}

Status PrefixIndex::move_backing(std::int64_t from, std::int64_t to) {
  auto handle = backings_.extract(from);  // the element (and every Backing* to it) stays put
  if (handle.empty()) return Status::kInvalidArgument;
  Backing& b = handle.mapped();
  const std::int64_t delta = to - from;
  for (Node* n = b.bottom; n != nullptr && n->backing == &b; n = n->parent) n->offset += delta;
  b.extent.offset = to;
  handle.key() = to;
  backings_.insert(std::move(handle));
  return Status::kOk;
}

std::vector<Extent> PrefixIndex::reset() {
  return evict(std::numeric_limits<std::int64_t>::max());
}

std::vector<Extent> PrefixIndex::backings() const {
  std::vector<Extent> out;
  out.reserve(backings_.size());
  for (const auto& [offset, b] : backings_) out.push_back(b.extent);
  return out;
}

PrefixStats PrefixIndex::stats() const {
  return PrefixStats{
      nodes_,         cached_tokens_,     static_cast<std::int64_t>(backings_.size()),
      backing_slots_, reclaimable_slots_, static_cast<std::int64_t>(leases_.size())};
}

std::string PrefixIndex::validate() const {
  std::ostringstream err;
  const Node* root = root_.get();
  if (!root->label.empty() || root->parent != nullptr || root->backing != nullptr ||
      root->depth != 0)
    return "root is not an empty, parentless, backless node";

  // Pre-order, iteratively (chains can be long); children are checked against their parent here.
  std::vector<const Node*> order{root};
  for (std::size_t i = 0; i < order.size(); ++i) {
    const Node* n = order[i];
    for (const auto& [token, child_ptr] : n->children) {
      const Node* c = child_ptr.get();
      err << "node " << c->id << ": ";
      if (c->label.empty() || c->label[0] != token) return err.str() + "label/key mismatch";
      if (c->parent != n) return err.str() + "wrong parent";
      if (c->depth != n->depth + n->length()) return err.str() + "wrong depth";
      if (c->last_access > n->last_access) return err.str() + "newer than its parent";
      if (c->backing == nullptr) return err.str() + "no backing";
      auto b = backings_.find(c->backing->extent.offset);
      if (b == backings_.end() || &b->second != c->backing) return err.str() + "unknown backing";
      if (c->offset < c->backing->extent.offset ||
          c->offset + c->length() > c->backing->extent.end())
        return err.str() + "slots outside its backing";
      err.str("");
      order.push_back(c);
    }
  }
  if (static_cast<std::int64_t>(order.size()) - 1 != nodes_) return "node count mismatch";

  std::unordered_set<LeaseId> seen;
  std::unordered_map<const Node*, std::int64_t> subtree;
  struct Count {
    std::int64_t nodes = 0, pinned_nodes = 0, tops = 0;  // tops: nodes whose parent is elsewhere
    const Node* bottom = nullptr;
  };
  std::unordered_map<const Backing*, Count> counted;
  std::vector<std::pair<std::int64_t, std::int64_t>> slots;
  std::int64_t tokens = 0, in_evictable = 0;
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    const Node* n = *it;
    err << "node " << n->id << ": ";
    std::int64_t sum = static_cast<std::int64_t>(n->leases_here.size());
    std::int64_t children_in_backing = 0;
    for (const auto& [token, c] : n->children) {
      sum += subtree[c.get()];
      if (n->backing != nullptr && c->backing == n->backing) ++children_in_backing;
    }
    if (sum != n->subtree_leases) return err.str() + "subtree lease count mismatch";
    subtree[n] = sum;
    for (LeaseId id : n->leases_here) {
      auto l = leases_.find(id);
      if (l == leases_.end() || !seen.insert(id).second || l->second.end != n)
        return err.str() + "lease " + std::to_string(id) + " not live, repeated or elsewhere";
      const std::int64_t len = l->second.length;
      if (n == root ? len != 0 : (len <= n->depth || len > n->depth + n->length()))
        return err.str() + "lease " + std::to_string(id) + " does not end here";
    }
    if (n->in_evictable != evictable(n)) return err.str() + "evictable flag wrong";
    if (n->in_evictable) {
      ++in_evictable;
      auto e = evictable_.find(EvictKey{n->last_access, n->id});
      if (e == evictable_.end() || e->second != n) return err.str() + "missing in eviction order";
    }
    if (n != root) {
      if (children_in_backing > 1) return err.str() + "its backing's nodes are not a chain";
      Count& c = counted[n->backing];
      ++c.nodes;
      if (n->subtree_leases > 0) ++c.pinned_nodes;
      if (n->parent->backing != n->backing) ++c.tops;
      if (children_in_backing == 0) {
        if (c.bottom != nullptr) return err.str() + "its backing's nodes are not a chain";
        c.bottom = n;
      }
      tokens += n->length();
      slots.emplace_back(n->offset, n->offset + n->length());
    }
    err.str("");
  }
  if (seen.size() != leases_.size()) return "a live lease ends in no node";
  if (in_evictable != static_cast<std::int64_t>(evictable_.size()))
    return "eviction order holds stale nodes";
  if (tokens != cached_tokens_) return "cached token count mismatch";

  std::sort(slots.begin(), slots.end());
  for (std::size_t i = 1; i < slots.size(); ++i)
    if (slots[i].first < slots[i - 1].second)
      return "two nodes share slot " + std::to_string(slots[i].first);

  std::int64_t backing_slots = 0, reclaimable = 0;
  const Extent* prev = nullptr;
  for (const auto& [offset, b] : backings_) {
    err << "backing at " << offset << ": ";
    if (offset != b.extent.offset || b.extent.length <= 0) return err.str() + "bad extent";
    if (prev != nullptr && prev->end() > offset) return err.str() + "overlaps the previous one";
    const Count& c = counted[&b];
    if (c.nodes == 0 || c.nodes != b.nodes) return err.str() + "node count mismatch";
    if (c.pinned_nodes != b.pinned_nodes) return err.str() + "pinned node count mismatch";
    if (c.bottom != b.bottom) return err.str() + "wrong bottom";
    if (c.tops != 1) return err.str() + "its nodes are not one chain";
    backing_slots += b.extent.length;
    if (b.pinned_nodes == 0) reclaimable += b.extent.length;
    prev = &b.extent;
    err.str("");
  }
  if (backing_slots != backing_slots_) return "backing slot count mismatch";
  if (reclaimable != reclaimable_slots_) return "reclaimable slot count mismatch";
  return "";
}

}  // namespace odma::kv
