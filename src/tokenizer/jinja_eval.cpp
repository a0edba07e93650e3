#include "tokenizer/jinja_eval.h"

#include <algorithm>
#include <array>

#include "tokenizer/jinja_error.h"
#include "tokenizer/jinja_operators.h"

namespace odma::tokenizer::jinja {
namespace {

enum class Flow { kNormal, kBreak, kContinue };

Value make_function(FunctionKind kind, const Node* node = nullptr,
                    std::shared_ptr<Scope> scope = nullptr) {
  auto f = std::make_shared<Function>();
  f->kind = kind;
  f->node = node;
  f->scope = std::move(scope);
  return Value::function(std::move(f));
}

class Evaluator {
 public:
  Evaluator(const Program& program, RenderState& state) : program_(program), state_(state) {}

  std::string run(const std::shared_ptr<Scope>& globals, std::size_t size_hint) {
    std::string out;
    out.reserve(std::min(size_hint, state_.max_bytes));
    exec_block(program_.body, globals, out);  // break/continue cannot escape a loop (parser)
    return out;
  }

 private:
  using ScopePtr = std::shared_ptr<Scope>;

  // ---- statements ----------------------------------------------------------------------------
  Flow exec_block(const std::vector<NodePtr>& body, const ScopePtr& scope, std::string& out) {
    for (const NodePtr& stmt : body) {
      Flow flow = exec(*stmt, scope, out);
      if (flow != Flow::kNormal) return flow;
    }
    return Flow::kNormal;
  }

  void emit(std::string& out, const Value& v, const Node& at) {
    if (v.is_none() || v.is_undefined()) return;
    try {
      append_display(out, v);
    } catch (const ValueError& e) {
      throw TemplateError(at.pos, e.what());
    }
    if (out.size() > state_.max_bytes) {
      throw TemplateError(
          at.pos, "render output limit exceeded (" + std::to_string(state_.max_bytes) + " bytes)");
    }
  }

  Flow exec(const Node& n, const ScopePtr& scope, std::string& out) {
    charge(n);
    switch (n.kind) {
      case NodeKind::kText:
        emit(out, n.literal, n);
        return Flow::kNormal;
      case NodeKind::kIf:
        return exec_block(truthy(eval(*n.kids[0], scope)) ? n.body : n.alt, scope, out);
      case NodeKind::kFor:
        return exec_for(n, scope, out);
      case NodeKind::kSet:
        assign(*n.kids[0], eval(*n.kids[1], scope), scope);
        return Flow::kNormal;
      case NodeKind::kSetBlock: {
        std::string captured;
        Flow flow = exec_block(n.body, scope, captured);
        if (flow != Flow::kNormal) return flow;
        assign(*n.kids[0], Value::string(std::move(captured)), scope);
        return Flow::kNormal;
      }
      case NodeKind::kMacro:
        scope->set(n.symbol, make_function(FunctionKind::kMacro, &n));
        return Flow::kNormal;
      case NodeKind::kCallBlock:
        emit(out, call_block(n, scope), n);
        return Flow::kNormal;
      case NodeKind::kFilterBlock: {
        std::string captured;
        Flow flow = exec_block(n.body, scope, captured);
        if (flow != Flow::kNormal) return flow;
        emit(out, filter(n, Value::string(std::move(captured)), scope), n);
        return Flow::kNormal;
      }
      case NodeKind::kBreak:
        return Flow::kBreak;
      case NodeKind::kContinue:
        return Flow::kContinue;
      default:
        emit(out, eval(n, scope), n);
        return Flow::kNormal;
    }
  }

  enum class Binding { kLoop, kSet };

  // Binds a loop variable or set target (a name or a tuple of names) in `scope`. As in the
  // oracle, a loop unpacks only lists (not tuples); `set` unpacks both.
  void bind(const Node& target, const Value& value, Scope& scope, Binding binding) {
    if (target.kind == NodeKind::kName) {
      scope.set(target.symbol, value);
      return;
    }
    const char* where = binding == Binding::kSet ? " in set" : "";
    const auto& names = target.kids;
    if (!value.is_list() || (binding == Binding::kLoop && value.as_list().tuple)) {
      throw TemplateError(target.pos, std::string("Cannot unpack non-iterable type") + where +
                                          ": " + type_name(value));
    }
    const auto& items = value.as_list().items;
    if (items.size() != names.size()) {
      throw TemplateError(target.pos, std::string("Too ") +
                                          (names.size() > items.size() ? "few" : "many") +
                                          " items to unpack" + where);
    }
    for (std::size_t i = 0; i < names.size(); ++i) scope.set(names[i]->symbol, items[i]);
  }

  void assign(const Node& target, Value value, const ScopePtr& scope) {
    if (target.kind != NodeKind::kMember) return bind(target, value, *scope, Binding::kSet);
    Value object = eval(*target.kids[0], scope);
    if (!object.is(Kind::kNamespace)) {
      throw TemplateError(target.pos, "cannot assign attribute on non-namespace object");
    }
    object.as_dict().set(target.name, std::move(value));
  }

  Flow exec_for(const Node& n, const ScopePtr& scope, std::string& out) {
    auto loop_scope = std::make_shared<Scope>(scope);
    Value iterable = eval(*n.kids[1], loop_scope);
    if (!iterable.is_list() && !iterable.is_object()) {
      throw TemplateError(n.kids[1]->pos, std::string("Expected iterable or object type in for "
                                                      "loop: got ") +
                                              type_name(iterable));
    }
    std::vector<Value> items;
    if (iterable.is_object()) {
      for (const auto& entry : iterable.as_dict().entries)
        items.push_back(Value::string(entry.first));
    } else {
      items = iterable.as_list().items;
    }
    const Node& target = *n.kids[0];
    if (target.kind == NodeKind::kTuple) {  // the oracle checks every item before looping
      Scope probe;
      for (const Value& item : items) bind(target, item, probe, Binding::kLoop);
    }
    if (n.kids.size() > 2) {  // for x in xs if cond
      std::vector<Value> kept;
      for (const Value& item : items) {
        charge(n);
        auto test_scope = std::make_shared<Scope>(loop_scope);
        bind(target, item, *test_scope, Binding::kLoop);
        if (truthy(eval(*n.kids[2], test_scope))) kept.push_back(item);
      }
      items = std::move(kept);
    }
    bool iterated = false;
    const double count = static_cast<double>(items.size());
    for (std::size_t i = 0; i < items.size(); ++i) {
      charge(n);
      auto loop = std::make_shared<Dict>();
      const double index = static_cast<double>(i);
      loop->entries = {
          {"index", Value::integer(index + 1)},
          {"index0", Value::integer(index)},
          {"revindex", Value::integer(count - index)},
          {"revindex0", Value::integer(count - index - 1)},
          {"first", Value::boolean(i == 0)},
          {"last", Value::boolean(i + 1 == items.size())},
          {"length", Value::integer(count)},
          {"previtem", i > 0 ? items[i - 1] : Value()},
          {"nextitem", i + 1 < items.size() ? items[i + 1] : Value()},
      };
      loop_scope->set(kSymLoop, Value::dict(std::move(loop)));
      bind(target, items[i], *loop_scope, Binding::kLoop);
      std::size_t mark = out.size();
      Flow flow = exec_block(n.body, loop_scope, out);
      if (flow != Flow::kNormal) {
        out.resize(mark);  // the oracle loses what the iteration printed before break/continue
        if (flow == Flow::kBreak) break;
        continue;
      }
      iterated = true;
    }
    if (!iterated) return exec_block(n.alt, loop_scope, out);
    return Flow::kNormal;
  }

  // ---- calls ---------------------------------------------------------------------------------
  struct Arguments {
    std::vector<Value> positional;
    Dict keywords;
  };

  Arguments evaluate_arguments(const std::vector<NodePtr>& args, const ScopePtr& scope) {
    Arguments out;
    for (const NodePtr& a : args) {
      if (a->kind == NodeKind::kSpread) {
        Value v = eval(*a->kids[0], scope);
        if (!v.is_list()) {
          throw TemplateError(a->pos,
                              std::string("Cannot unpack non-iterable type: ") + type_name(v));
        }
        for (const Value& item : v.as_list().items) out.positional.push_back(item);
      } else if (a->kind != NodeKind::kKwarg && a->kind != NodeKind::kKwSpread) {
        out.positional.push_back(eval(*a, scope));
      }
    }
    auto add = [&](const Node& at, const std::string& key, Value v) {
      if (out.keywords.find(key) != nullptr) {
        throw TemplateError(at.pos, "Got multiple values for keyword argument '" + key + "'");
      }
      out.keywords.entries.emplace_back(key, std::move(v));
    };
    for (const NodePtr& a : args) {
      if (a->kind == NodeKind::kKwarg) {
        add(*a, a->name, eval(*a->kids[0], scope));
      } else if (a->kind == NodeKind::kKwSpread) {
        Value v = eval(*a->kids[0], scope);
        if (!v.is_object()) {
          throw TemplateError(
              a->pos, std::string("Argument after ** must be a mapping, not ") + type_name(v));
        }
        for (const auto& [key, value] : v.as_dict().entries) add(*a, key, value);
      }
    }
    return out;
  }

  static void push_kwargs(std::vector<Value>& args, Dict keywords) {
    args.push_back(Value::dict(std::make_shared<Dict>(std::move(keywords)), Kind::kKwargs));
  }

  Value call(const Node& n, const ScopePtr& scope) {
    Arguments a = evaluate_arguments(n.args, scope);
    if (!a.keywords.entries.empty()) push_kwargs(a.positional, std::move(a.keywords));
    Value fn = eval(*n.kids[0], scope);
    return invoke(fn, a.positional, scope, n);
  }

  Value invoke(const Value& fn, std::vector<Value>& args, const ScopePtr& scope, const Node& at) {
    if (!fn.is(Kind::kFunction)) {
      throw TemplateError(
          at.pos,
          std::string("Cannot call something that is not a function: got ") + type_name(fn));
    }
    const Function& f = fn.as_function();
    try {
      switch (f.kind) {
        case FunctionKind::kMethod:
          return call_method(static_cast<Method>(f.method), f.self, args, state_);
        case FunctionKind::kMacro:
          return call_macro(*f.node, args, std::make_shared<Scope>(scope), at);
        case FunctionKind::kCaller:
          return call_macro(*f.node, args, std::make_shared<Scope>(f.scope), at);
        default:
          return call_global(f.kind, args, state_);
      }
    } catch (const ValueError& e) {
      throw TemplateError(at.pos, e.what());
    }
  }

  // A macro or call-block body, with the oracle's bindMacroArguments rules.
  Value call_macro(const Node& macro, std::vector<Value>& args, const ScopePtr& macro_scope,
                   const Node& at) {
    std::string display_name = macro.kind == NodeKind::kMacro ? "'" + macro.name + "'" : "None";
    if (++state_.calls > state_.max_calls) {
      throw TemplateError(at.pos,
                          "macro calls nested deeper than " + std::to_string(state_.max_calls));
    }
    Dict keywords;
    if (!args.empty() && args.back().is(Kind::kKwargs)) {
      keywords = args.back().as_dict();
      args.pop_back();
    }
    std::vector<const Node*> pending_defaults;
    for (std::size_t i = 0; i < macro.args.size(); ++i) {
      const Node& param = *macro.args[i];
      const std::string& name = param.kind == NodeKind::kKwarg
                                    ? param.name
                                    : program_.symbols[static_cast<std::size_t>(param.symbol)];
      Value value;
      bool given = i < args.size();
      if (given) {
        value = args[i];
      } else if (auto it = std::find_if(keywords.entries.begin(), keywords.entries.end(),
                                        [&](const auto& e) { return e.first == name; });
                 it != keywords.entries.end()) {
        value = it->second;
        keywords.entries.erase(it);
        given = true;
      }
      if (!given && param.kind == NodeKind::kKwarg) pending_defaults.push_back(&param);
      macro_scope->set(param.symbol, std::move(value));
    }
    if ((macro.flags & node_flags::kReadsKwargs) != 0) {
      macro_scope->set(kSymKwargs, Value::dict(std::make_shared<Dict>(std::move(keywords))));
    } else if (!keywords.entries.empty()) {
      throw TemplateError(at.pos, "macro " + display_name + " takes no keyword argument '" +
                                      keywords.entries.front().first + "'");
    }
    if ((macro.flags & node_flags::kReadsVarargs) != 0) {
      std::vector<Value> rest;
      for (std::size_t i = macro.args.size(); i < args.size(); ++i) rest.push_back(args[i]);
      macro_scope->set(kSymVarargs, state_.make_list(std::move(rest)));
    } else if (args.size() > macro.args.size()) {
      throw TemplateError(at.pos, "macro " + display_name + " takes not more than " +
                                      std::to_string(macro.args.size()) + " argument(s)");
    }
    for (const Node* param : pending_defaults) {
      macro_scope->set(param->symbol, eval(*param->kids[0], macro_scope));
    }
    std::string out;
    exec_block(macro.body, macro_scope, out);
    --state_.calls;
    return Value::string(std::move(out));
  }

  Value call_block(const Node& n, const ScopePtr& scope) {
    const Node& call_node = *n.kids[0];
    Value caller = make_function(FunctionKind::kCaller, &n, scope);
    Arguments a = evaluate_arguments(call_node.args, scope);
    push_kwargs(a.positional, std::move(a.keywords));
    Value fn = eval(*call_node.kids[0], scope);
    auto call_scope = std::make_shared<Scope>(scope);
    call_scope->set(kSymCaller, caller);
    return invoke(fn, a.positional, call_scope, call_node);
  }

  Value filter(const Node& n, const Value& operand, const ScopePtr& scope) {
    Arguments a = evaluate_arguments(n.args, scope);
    try {
      return apply_filter(static_cast<Filter>(n.op), (n.flags & node_flags::kHasCall) != 0, operand,
                          a.positional, a.keywords, state_);
    } catch (const ValueError& e) {
      throw TemplateError(n.pos, e.what());
    }
  }

  // ---- expressions ---------------------------------------------------------------------------
  void charge(const Node& n) {
    try {
      state_.charge(1);
    } catch (const ValueError& e) {
      throw TemplateError(n.pos, e.what());
    }
  }

  Value eval(const Node& n, const ScopePtr& scope) {
    charge(n);
    try {
      return eval_node(n, scope);
    } catch (const ValueError& e) {
      throw TemplateError(n.pos, e.what());
    }
  }

  Value eval_node(const Node& n, const ScopePtr& scope) {
    switch (n.kind) {
      case NodeKind::kLiteral:
      case NodeKind::kText:
        return n.literal;
      case NodeKind::kName: {
        const Value* v = scope->lookup(n.symbol);
        return v != nullptr ? *v : Value();
      }
      case NodeKind::kList:
      case NodeKind::kTuple: {
        std::vector<Value> items;
        items.reserve(n.kids.size());
        for (const NodePtr& k : n.kids) items.push_back(eval(*k, scope));
        return state_.make_list(std::move(items), n.kind == NodeKind::kTuple);
      }
      case NodeKind::kDict:
        return dict_literal(n, scope);
      case NodeKind::kMember: {
        Value object = eval(*n.kids[0], scope);
        return member(object, n.literal.is_undefined() ? Value::string(n.name) : n.literal);
      }
      case NodeKind::kIndex: {
        Value object = eval(*n.kids[0], scope);
        return member(object, eval(*n.kids[1], scope));
      }
      case NodeKind::kSlice: {
        Value object = eval(*n.kids[0], scope);
        auto part = [&](int i) {
          return n.kids[static_cast<std::size_t>(i)]
                     ? eval(*n.kids[static_cast<std::size_t>(i)], scope)
                     : Value();
        };
        Value start = part(1), stop = part(2), step = part(3);
        return slice(object, start, stop, step, state_);
      }
      case NodeKind::kCall:
        return call(n, scope);
      case NodeKind::kFilter:
        return filter(n, eval(*n.kids[0], scope), scope);
      case NodeKind::kTest: {
        bool r = apply_test(static_cast<Test>(n.op), eval(*n.kids[0], scope), Value());
        return Value::boolean((n.flags & node_flags::kNegated) != 0 ? !r : r);
      }
      case NodeKind::kNot:
        return Value::boolean(!truthy(eval(*n.kids[0], scope)));
      case NodeKind::kSign:
        return unary_sign(static_cast<char>(n.op), eval(*n.kids[0], scope));
      case NodeKind::kAnd: {
        Value left = eval(*n.kids[0], scope);
        return truthy(left) ? eval(*n.kids[1], scope) : left;
      }
      case NodeKind::kOr: {
        Value left = eval(*n.kids[0], scope);
        return truthy(left) ? left : eval(*n.kids[1], scope);
      }
      case NodeKind::kBinary: {
        if (is_concatenation(n)) return concatenation(n, scope);
        Value left = eval(*n.kids[0], scope);
        Value right = eval(*n.kids[1], scope);
        return binary_op(static_cast<BinaryOp>(n.op), left, right, state_);
      }
      case NodeKind::kTernary:
        return truthy(eval(*n.kids[0], scope)) ? eval(*n.kids[1], scope) : eval(*n.kids[2], scope);
      case NodeKind::kSelect:
        return truthy(eval(*n.kids[1], scope)) ? eval(*n.kids[0], scope) : Value();
      default:
        throw TemplateError(n.pos, "this expression cannot be evaluated here");
    }
  }

  static bool is_concatenation(const Node& n) {
    auto op = static_cast<BinaryOp>(n.op);
    return n.kind == NodeKind::kBinary && (op == BinaryOp::kAdd || op == BinaryOp::kConcat);
  }

  // a + b + c ... (left-nested + and ~): the same as evaluating each node, but once the running
  // value is a string, later operands are appended to one buffer instead of copying the whole
  // prefix at every step. A string plus anything but none/undefined is a concatenation.
  Value concatenation(const Node& n, const ScopePtr& scope) {
    std::vector<const Node*> spine;  // outermost first
    const Node* leftmost = &n;
    for (; is_concatenation(*leftmost); leftmost = leftmost->kids[0].get())
      spine.push_back(leftmost);
    Value acc = eval(*leftmost, scope);
    std::string buffer;
    bool building = false;  // acc's value is in buffer
    for (auto it = spine.rbegin(); it != spine.rend(); ++it) {
      const Node& step = **it;
      if (&step != &n) charge(step);
      Value right = eval(*step.kids[1], scope);
      try {
        if ((building || acc.is_string()) && !right.is_undefined() && !right.is_none()) {
          if (!building) buffer = acc.as_string();
          building = true;
          std::size_t before = buffer.size();
          if (right.is_string()) {
            buffer += right.as_string();
          } else {
            buffer += js_string(right);
          }
          state_.charge_string(buffer.size() - before);
          if (buffer.size() > state_.max_bytes) state_.charge_string(buffer.size());
          continue;
        }
        if (building) acc = Value::string(std::move(buffer));
        building = false;
        acc = binary_op(static_cast<BinaryOp>(step.op), acc, right, state_);
      } catch (const ValueError& e) {
        throw TemplateError(step.pos, e.what());
      }
    }
    return building ? Value::string(std::move(buffer)) : acc;
  }

  Value dict_literal(const Node& n, const ScopePtr& scope) {
    auto d = std::make_shared<Dict>();
    std::uint32_t depth = 0;
    for (std::size_t i = 0; i + 1 < n.kids.size(); i += 2) {
      Value key = eval(*n.kids[i], scope);
      if (!key.is_string()) {
        throw TemplateError(n.kids[i]->pos,
                            std::string("Object keys must be strings: got ") + type_name(key));
      }
      Value value = eval(*n.kids[i + 1], scope);
      if (value.is_list()) depth = std::max(depth, value.as_list().depth);
      if (value.is_object()) depth = std::max(depth, value.as_dict().depth);
      d->set(key.as_string(), std::move(value));
    }
    d->depth = depth + 1;
    state_.check_nesting(d->depth);
    state_.charge(d->entries.size());
    return Value::dict(std::move(d));
  }

  const Program& program_;
  RenderState& state_;
};

constexpr std::array<std::string_view, 10> kBuiltinGlobals = {
    "true", "false",           "none",  "True",         "False",
    "None", "raise_exception", "range", "strftime_now", "namespace"};

}  // namespace

void Scope::set(int symbol, Value value) {
  for (auto& [s, v] : vars) {
    if (s == symbol) {
      v = std::move(value);
      return;
    }
  }
  vars.emplace_back(symbol, std::move(value));
}

const Value* Scope::lookup(int symbol) const {
  for (const Scope* s = this; s != nullptr; s = s->parent.get()) {
    for (const auto& [sym, v] : s->vars) {
      if (sym == symbol) return &v;
    }
  }
  return nullptr;
}

std::shared_ptr<Scope> make_global_scope() {
  auto scope = std::make_shared<Scope>();
  scope->set(kSymTrue, Value::boolean(true));
  scope->set(kSymFalse, Value::boolean(false));
  scope->set(kSymNone, Value::none());
  scope->set(kSymTrueTitle, Value::boolean(true));
  scope->set(kSymFalseTitle, Value::boolean(false));
  scope->set(kSymNoneTitle, Value::none());
  scope->set(kSymRaiseException, make_function(FunctionKind::kRaiseException));
  scope->set(kSymRange, make_function(FunctionKind::kRange));
  scope->set(kSymStrftimeNow, make_function(FunctionKind::kStrftimeNow));
  scope->set(kSymNamespace, make_function(FunctionKind::kNamespace));
  return scope;
}

bool is_builtin_global(std::string_view name) {
  return std::find(kBuiltinGlobals.begin(), kBuiltinGlobals.end(), name) != kBuiltinGlobals.end();
}

int find_symbol(const Program& program, std::string_view name) {
  for (std::size_t i = 0; i < program.symbols.size(); ++i) {
    if (program.symbols[i] == name) return static_cast<int>(i);
  }
  return -1;
}

std::string evaluate(const Program& program, const std::shared_ptr<Scope>& globals,
                     RenderState& state, std::size_t size_hint) {
  struct ClearNamespaces {  // a namespace may hold itself: break such cycles when done
    RenderState& state;
    ~ClearNamespaces() {
      for (auto& ns : state.namespaces) ns->entries.clear();
      state.namespaces.clear();
    }
  } clear{state};
  return Evaluator(program, state).run(globals, size_hint);
}

}  // namespace odma::tokenizer::jinja
