#include "grammar/stepper.h"

#include <algorithm>
#include <cstring>

namespace odma::grammar {

namespace {

// Closure work per byte is bounded so that left recursion or nullable loops cannot spin.
constexpr std::size_t kMaxExpansions = 1 << 11;
constexpr std::size_t kSeenSlots = 1 << 12;

std::uint64_t hash_stack(const std::vector<std::int32_t>& s) {
  std::uint64_t h = 0x9E3779B97F4A7C15ULL ^ s.size();
  for (std::int32_t v : s) {
    h ^= static_cast<std::uint32_t>(v);
    h *= 0xFF51AFD7ED558CCDULL;
    h ^= h >> 32;
  }
  return h | 1;  // 0 marks a free slot
}

}  // namespace

std::string StackSet::key() const {
  std::string k(flat.size() * sizeof(std::int32_t) + 1, '\0');
  if (!flat.empty()) std::memcpy(k.data(), flat.data(), flat.size() * sizeof(std::int32_t));
  k.back() = can_end ? '\1' : '\0';
  return k;
}

Stepper::Stepper(const Grammar& g, std::size_t max_depth)
    : g_(g), max_depth_(max_depth), seen_(kSeenSlots), seen_gen_(kSeenSlots) {}

bool Stepper::mark_seen() {
  // A stack already expanded during this step has nothing new to give; this also ends loops
  // through nullable rules. Hash-only identity: a 64-bit collision would drop one alternative.
  std::uint64_t h = hash_stack(work_);
  for (std::size_t i = h & (kSeenSlots - 1);; i = (i + 1) & (kSeenSlots - 1)) {
    if (seen_gen_[i] != gen_) {
      seen_gen_[i] = gen_;
      seen_[i] = h;
      return true;
    }
    if (seen_[i] == h) return false;
  }
}

void Stepper::emit() {
  spans_.emplace_back(static_cast<std::uint32_t>(arena_.size()),
                      static_cast<std::uint32_t>(work_.size()));
  arena_.insert(arena_.end(), work_.begin(), work_.end());
}

void Stepper::expand() {
  if (++expansions_ > kMaxExpansions || !mark_seen()) return;
  const std::int32_t top = work_.back();
  const Node& n = g_.node(top);
  if (!n.bytes.empty()) emit();
  if (n.final) {
    if (work_.size() == 1) {
      can_end_ = true;
    } else {
      work_.pop_back();
      expand();
      work_.push_back(top);
    }
  }
  for (const CallEdge& c : n.calls) {
    if (g_.pure_end(c.ret)) {  // tail call: nothing to come back to
      work_.back() = c.callee;
      expand();
    } else if (work_.size() < max_depth_) {
      work_.back() = c.ret;
      work_.push_back(c.callee);
      expand();
      work_.pop_back();
    }
    work_.back() = top;
  }
}

void Stepper::collect(StackSet& out) {
  out.flat.clear();
  out.can_end = can_end_;
  auto less = [&](const std::pair<std::uint32_t, std::uint32_t>& a,
                  const std::pair<std::uint32_t, std::uint32_t>& b) {
    const std::int32_t* pa = arena_.data() + a.first;
    const std::int32_t* pb = arena_.data() + b.first;
    if (a.second != b.second) return a.second < b.second;
    return std::lexicographical_compare(pa, pa + a.second, pb, pb + b.second);
  };
  auto equal = [&](const std::pair<std::uint32_t, std::uint32_t>& a,
                   const std::pair<std::uint32_t, std::uint32_t>& b) {
    return a.second == b.second &&
           std::equal(arena_.data() + a.first, arena_.data() + a.first + a.second,
                      arena_.data() + b.first);
  };
  if (spans_.size() > 1) {
    std::sort(spans_.begin(), spans_.end(), less);
    spans_.erase(std::unique(spans_.begin(), spans_.end(), equal), spans_.end());
    if (spans_.size() > kMaxStacks) spans_.resize(kMaxStacks);
  }
  for (const auto& [offset, size] : spans_) {
    out.flat.push_back(static_cast<std::int32_t>(size));
    out.flat.insert(out.flat.end(), arena_.begin() + offset, arena_.begin() + offset + size);
  }
}

void Stepper::initial(StackSet& out) {
  arena_.clear();
  spans_.clear();
  ++gen_;
  expansions_ = 0;
  can_end_ = false;
  work_.assign(1, g_.start());
  expand();
  collect(out);
}

bool Stepper::step(const StackSet& in, std::uint8_t byte, StackSet& out) {
  // Fast path: one stack whose top moves, by a single edge, to a node needing no stack work.
  if (!in.flat.empty() && static_cast<std::size_t>(in.flat[0]) + 1 == in.flat.size()) {
    const Node& n = g_.node(in.flat.back());
    std::int32_t target = -1;
    int matches = 0;
    for (const ByteEdge& e : n.bytes) {
      if (e.lo > byte) break;
      if (byte <= e.hi) target = e.target, ++matches;
    }
    if (matches == 0) {
      out.flat.clear();
      out.can_end = false;
      return false;
    }
    if (matches == 1 && g_.simple(target)) {
      out.flat = in.flat;
      out.flat.back() = target;
      out.can_end = false;
      return true;
    }
  }
  arena_.clear();
  spans_.clear();
  ++gen_;
  expansions_ = 0;
  can_end_ = false;
  in.for_each([&](const std::int32_t* nodes, std::size_t size) {
    for (const ByteEdge& e : g_.node(nodes[size - 1]).bytes) {
      if (e.lo > byte) break;
      if (byte > e.hi) continue;
      work_.assign(nodes, nodes + size);
      work_.back() = e.target;
      expand();
    }
  });
  collect(out);
  return !out.dead();
}

bool Stepper::step_bytes(StackSet& state, std::string_view bytes) {
  for (char c : bytes) {
    if (!step(state, static_cast<std::uint8_t>(c), tmp_)) return false;
    std::swap(state, tmp_);
  }
  return true;
}

}  // namespace odma::grammar
