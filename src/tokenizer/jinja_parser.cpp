#include "tokenizer/jinja_parser.h"

#include <cstdlib>
#include <set>
#include <unordered_map>
#include <utility>

#include "tokenizer/jinja_builtins.h"
#include "tokenizer/jinja_error.h"
#include "tokenizer/jinja_lexer.h"

namespace odma::tokenizer::jinja {
namespace {

constexpr int kMaxNesting = 200;  // parser recursion (parentheses, nested blocks, not not ...)

const std::set<std::string_view> kGlobalFunctions = {"namespace", "range", "raise_exception",
                                                     "strftime_now", "caller"};
// Jinja statements outside the subset: named so the error says "unsupported", not "unknown".
const std::set<std::string_view> kUnsupportedStatements = {
    "include", "import",     "from",  "extends",   "block",      "raw",  "with",
    "do",      "autoescape", "trans", "pluralize", "generation", "print"};
const std::set<std::string_view> kClosingTags = {"endif",    "elif",    "else",      "endfor",
                                                 "endmacro", "endcall", "endfilter", "endset"};

NodePtr make(NodeKind kind, std::uint32_t pos) {
  return std::make_unique<Node>(kind, pos);
}

std::string describe(const Token& t) {
  switch (t.type) {
    case Tok::kText:
      return "text";
    case Tok::kString:
      return "string '" + t.value + "'";
    case Tok::kComment:
      return "comment";
    default:
      return "'" + t.value + "'";
  }
}

class Parser {
 public:
  Parser(std::vector<Token> tokens, Program& program) : t_(std::move(tokens)), program_(program) {
    for (const char* name :
         {"true", "false", "none", "True", "False", "None", "raise_exception", "range",
          "strftime_now", "namespace", "loop", "caller", "kwargs", "varargs"}) {
      intern(name);
    }
  }

  void run() {
    while (cur_ < t_.size()) {
      if (NodePtr n = parse_any()) program_.body.push_back(std::move(n));
    }
    check_calls();
  }

 private:
  // ---- token helpers -------------------------------------------------------------------------
  bool at_end() const { return cur_ >= t_.size(); }
  const Token* peek(std::size_t k = 0) const {
    return cur_ + k < t_.size() ? &t_[cur_ + k] : nullptr;
  }
  bool is(Tok type) const { return peek() != nullptr && peek()->type == type; }
  bool is_name(std::string_view name, std::size_t k = 0) const {
    const Token* tok = peek(k);
    return tok != nullptr && tok->type == Tok::kName && tok->value == name;
  }
  bool is_statement(std::initializer_list<std::string_view> names) const {
    if (!is(Tok::kOpenStmt) || peek(1) == nullptr || peek(1)->type != Tok::kName) return false;
    for (std::string_view n : names) {
      if (peek(1)->value == n) return true;
    }
    return false;
  }
  std::uint32_t here() const {
    if (!at_end()) return t_[cur_].pos;
    return static_cast<std::uint32_t>(program_.source.size());
  }
  [[noreturn]] void fail(std::uint32_t pos, const std::string& message) const {
    throw TemplateError(pos, message);
  }
  [[noreturn]] void unexpected(const char* wanted) const {
    if (at_end()) fail(here(), std::string("unexpected end of template, expected ") + wanted);
    fail(here(), "unexpected " + describe(t_[cur_]) + ", expected " + wanted);
  }
  const Token& expect(Tok type, const char* wanted) {
    if (!is(type)) unexpected(wanted);
    return t_[cur_++];
  }
  void expect_name(std::string_view name) {
    if (!is_name(name)) unexpected(("'" + std::string(name) + "'").c_str());
    ++cur_;
  }
  // Consumes {% name %}.
  void expect_end_tag(std::string_view name) {
    expect(Tok::kOpenStmt, "'{%'");
    expect_name(name);
    expect(Tok::kCloseStmt, "'%}'");
  }

  struct DepthGuard {
    Parser& p;
    explicit DepthGuard(Parser& parser) : p(parser) {
      if (++p.depth_ > kMaxNesting) p.fail(p.here(), "template nested too deeply");
    }
    ~DepthGuard() { --p.depth_; }
    DepthGuard(const DepthGuard&) = delete;
    DepthGuard& operator=(const DepthGuard&) = delete;
  };

  int intern(const std::string& name) {
    auto [it, added] = symbols_.try_emplace(name, static_cast<int>(program_.symbols.size()));
    if (added) program_.symbols.push_back(name);
    return it->second;
  }

  // Parses statements until one of `closers` opens; `opener` names the block for the error.
  std::vector<NodePtr> parse_body(std::initializer_list<std::string_view> closers,
                                  const char* opener, std::uint32_t opener_pos) {
    std::vector<NodePtr> body;
    while (!is_statement(closers)) {
      if (at_end()) {
        fail(opener_pos,
             std::string("unclosed {% ") + opener + " %}: expected {% end" + opener + " %}");
      }
      if (NodePtr n = parse_any()) body.push_back(std::move(n));
    }
    return body;
  }

  // ---- statements ----------------------------------------------------------------------------
  NodePtr parse_any() {
    const Token& tok = t_[cur_];
    switch (tok.type) {
      case Tok::kComment:
        ++cur_;
        return nullptr;
      case Tok::kText: {
        NodePtr n = make(NodeKind::kText, tok.pos);
        n->literal = Value::string(tok.value);
        ++cur_;
        return n;
      }
      case Tok::kOpenStmt:
        return parse_statement();
      case Tok::kOpenExpr: {
        ++cur_;
        NodePtr e = parse_expression();
        expect(Tok::kCloseExpr, "'}}'");
        return e;
      }
      default:
        fail(tok.pos, "unexpected " + describe(tok));
    }
  }

  NodePtr parse_statement() {
    DepthGuard guard(*this);
    std::uint32_t start = t_[cur_].pos;
    ++cur_;  // {%
    if (!is(Tok::kName)) unexpected("a statement name");
    std::string name = t_[cur_++].value;
    NodePtr result;
    if (name == "set") {
      result = parse_set(start);
    } else if (name == "if") {
      result = parse_if(start);
      expect_end_tag("endif");
    } else if (name == "for") {
      result = parse_for(start);
      expect_end_tag("endfor");
    } else if (name == "macro") {
      result = parse_macro(start);
      expect_end_tag("endmacro");
    } else if (name == "call") {
      result = parse_call_block(start);
    } else if (name == "filter") {
      result = parse_filter_block(start);
    } else if (name == "break" || name == "continue") {
      if (loop_depth_ == 0) fail(start, "{% " + name + " %} outside a for loop");
      expect(Tok::kCloseStmt, "'%}'");
      result = make(name == "break" ? NodeKind::kBreak : NodeKind::kContinue, start);
    } else if (kUnsupportedStatements.count(name) != 0) {
      fail(start, "unsupported statement '" + name + "'");
    } else if (kClosingTags.count(name) != 0) {
      fail(start, "unexpected {% " + name + " %} (no open block it could close)");
    } else {
      fail(start, "unknown statement '" + name + "'");
    }
    return result;
  }

  void check_target(const Node& target, bool allow_member) {
    if (target.kind == NodeKind::kName) {
      assigned_.insert(program_.symbols[static_cast<std::size_t>(target.symbol)]);
      return;
    }
    if (target.kind == NodeKind::kTuple) {
      for (const NodePtr& item : target.kids) {
        if (item->kind != NodeKind::kName) fail(item->pos, "can only unpack into plain names");
        check_target(*item, false);
      }
      return;
    }
    if (allow_member && target.kind == NodeKind::kMember && target.literal.is_undefined()) return;
    fail(target.pos, "cannot assign to this expression");
  }

  NodePtr parse_set(std::uint32_t start) {
    NodePtr target = parse_expression_sequence(false);
    check_target(*target, true);
    if (is(Tok::kEquals)) {
      ++cur_;
      NodePtr n = make(NodeKind::kSet, start);
      n->kids.push_back(std::move(target));
      n->kids.push_back(parse_expression_sequence(false));
      expect(Tok::kCloseStmt, "'%}'");
      return n;
    }
    expect(Tok::kCloseStmt, "'=' or '%}'");
    NodePtr n = make(NodeKind::kSetBlock, start);
    n->kids.push_back(std::move(target));
    n->body = parse_body({"endset"}, "set", start);
    expect_end_tag("endset");
    return n;
  }

  NodePtr parse_if(std::uint32_t start) {
    NodePtr n = make(NodeKind::kIf, start);
    n->kids.push_back(parse_expression());
    expect(Tok::kCloseStmt, "'%}'");
    n->body = parse_body({"elif", "else", "endif"}, "if", start);
    if (is_statement({"elif"})) {
      std::uint32_t elif_pos = here();
      cur_ += 2;
      n->alt.push_back(parse_if(elif_pos));
    } else if (is_statement({"else"})) {
      cur_ += 2;
      expect(Tok::kCloseStmt, "'%}'");
      n->alt = parse_body({"endif"}, "if", start);
    }
    return n;
  }

  NodePtr parse_for(std::uint32_t start) {
    NodePtr target = parse_expression_sequence(true);
    if (target->kind != NodeKind::kName && target->kind != NodeKind::kTuple) {
      fail(target->pos, "expected a name or names for the loop variable");
    }
    check_target(*target, false);
    expect_name("in");
    NodePtr iterable = parse_expression();
    expect(Tok::kCloseStmt, "'%}'");
    NodePtr n = make(NodeKind::kFor, start);
    n->kids.push_back(std::move(target));
    if (iterable->kind == NodeKind::kSelect) {  // for x in xs if cond
      n->kids.push_back(std::move(iterable->kids[0]));
      n->kids.push_back(std::move(iterable->kids[1]));
    } else {
      n->kids.push_back(std::move(iterable));
    }
    ++loop_depth_;
    n->body = parse_body({"endfor", "else"}, "for", start);
    --loop_depth_;
    if (is_statement({"else"})) {
      cur_ += 2;
      expect(Tok::kCloseStmt, "'%}'");
      n->alt = parse_body({"endfor"}, "for", start);
    }
    return n;
  }

  // Sets kReadsKwargs / kReadsVarargs when the body reads them (they are then collected).
  static void scan_special_reads(const Node& node, std::uint8_t& flags) {
    if (node.kind == NodeKind::kName) {
      if (node.symbol == kSymKwargs) flags |= node_flags::kReadsKwargs;
      if (node.symbol == kSymVarargs) flags |= node_flags::kReadsVarargs;
    }
    for (const auto* list : {&node.kids, &node.args, &node.body, &node.alt}) {
      for (const NodePtr& child : *list) {
        if (child) scan_special_reads(*child, flags);
      }
    }
  }

  void finish_callable(Node& n) {
    std::uint8_t flags = 0;
    for (const NodePtr& stmt : n.body) scan_special_reads(*stmt, flags);
    for (const NodePtr& param : n.args) {
      const std::string& pname = param->kind == NodeKind::kName
                                     ? program_.symbols[static_cast<std::size_t>(param->symbol)]
                                     : param->name;
      if (pname == "kwargs") flags &= static_cast<std::uint8_t>(~node_flags::kReadsKwargs);
      if (pname == "varargs") flags &= static_cast<std::uint8_t>(~node_flags::kReadsVarargs);
      assigned_.insert(pname);
    }
    n.flags |= flags;
  }

  NodePtr parse_macro(std::uint32_t start) {
    if (!is(Tok::kName)) unexpected("a macro name");
    NodePtr n = make(NodeKind::kMacro, start);
    n->name = t_[cur_++].value;
    n->symbol = intern(n->name);
    macros_.insert(n->name);
    n->args = parse_args(true);
    expect(Tok::kCloseStmt, "'%}'");
    int saved_loops = std::exchange(loop_depth_, 0);
    n->body = parse_body({"endmacro"}, "macro", start);
    loop_depth_ = saved_loops;
    finish_callable(*n);
    return n;
  }

  NodePtr parse_call_block(std::uint32_t start) {
    NodePtr n = make(NodeKind::kCallBlock, start);
    if (is(Tok::kLParen)) n->args = parse_args(true);
    if (!is(Tok::kName)) unexpected("the name of the macro to call");
    NodePtr callee = parse_primary();
    NodePtr call = make(NodeKind::kCall, callee->pos);
    call_names_.emplace_back(program_.symbols[static_cast<std::size_t>(callee->symbol)],
                             callee->pos);
    call->kids.push_back(std::move(callee));
    call->args = parse_args(false);
    n->kids.push_back(std::move(call));
    expect(Tok::kCloseStmt, "'%}'");
    int saved_loops = std::exchange(loop_depth_, 0);
    n->body = parse_body({"endcall"}, "call", start);
    loop_depth_ = saved_loops;
    expect_end_tag("endcall");
    finish_callable(*n);
    return n;
  }

  NodePtr parse_filter_block(std::uint32_t start) {
    if (!is(Tok::kName)) unexpected("a filter name");
    NodePtr n = make(NodeKind::kFilterBlock, start);
    std::uint32_t name_pos = here();
    n->name = t_[cur_++].value;
    if (is(Tok::kLParen)) {
      n->flags |= node_flags::kHasCall;
      n->args = parse_args(false);
    }
    n->op = static_cast<std::uint8_t>(resolve_filter(n->name, *n, name_pos));
    expect(Tok::kCloseStmt, "'%}'");
    n->body = parse_body({"endfilter"}, "filter", start);
    expect_end_tag("endfilter");
    return n;
  }

  // ---- expressions ---------------------------------------------------------------------------
  NodePtr parse_expression_sequence(bool primary) {
    std::uint32_t start = here();
    NodePtr first = primary ? parse_primary() : parse_expression();
    if (!is(Tok::kComma)) return first;
    NodePtr tuple = make(NodeKind::kTuple, start);
    tuple->kids.push_back(std::move(first));
    while (is(Tok::kComma)) {
      ++cur_;
      tuple->kids.push_back(primary ? parse_primary() : parse_expression());
    }
    return tuple;
  }

  NodePtr parse_expression() {
    DepthGuard guard(*this);
    NodePtr a = parse_or();
    if (!is_name("if")) return a;
    std::uint32_t pos = here();
    ++cur_;
    NodePtr test = parse_or();
    if (is_name("else")) {
      ++cur_;
      NodePtr n = make(NodeKind::kTernary, pos);
      n->kids.push_back(std::move(test));
      n->kids.push_back(std::move(a));
      n->kids.push_back(parse_expression());
      return n;
    }
    NodePtr n = make(NodeKind::kSelect, pos);
    n->kids.push_back(std::move(a));
    n->kids.push_back(std::move(test));
    return n;
  }

  NodePtr binary(NodeKind kind, std::uint32_t pos, NodePtr left, NodePtr right,
                 BinaryOp op = BinaryOp::kEq) {
    NodePtr n = make(kind, pos);
    n->op = static_cast<std::uint8_t>(op);
    n->kids.push_back(std::move(left));
    n->kids.push_back(std::move(right));
    return n;
  }

  NodePtr parse_or() {
    NodePtr left = parse_and();
    while (is_name("or")) {
      std::uint32_t pos = t_[cur_++].pos;
      left = binary(NodeKind::kOr, pos, std::move(left), parse_and());
    }
    return left;
  }

  NodePtr parse_and() {
    NodePtr left = parse_not();
    while (is_name("and")) {
      std::uint32_t pos = t_[cur_++].pos;
      left = binary(NodeKind::kAnd, pos, std::move(left), parse_not());
    }
    return left;
  }

  NodePtr parse_not() {
    NodePtr result;
    while (is_name("not")) {  // as the oracle: `not a not b` keeps only the last
      DepthGuard guard(*this);
      NodePtr n = make(NodeKind::kNot, t_[cur_++].pos);
      n->kids.push_back(parse_not());
      result = std::move(n);
    }
    return result ? std::move(result) : parse_comparison();
  }

  NodePtr parse_comparison() {
    NodePtr left = parse_additive();
    while (true) {
      BinaryOp op;
      std::uint32_t pos = here();
      if (is_name("not") && is_name("in", 1)) {
        op = BinaryOp::kNotIn;
        cur_ += 2;
      } else if (is_name("in")) {
        op = BinaryOp::kIn;
        ++cur_;
      } else if (is(Tok::kComparison)) {
        const std::string& v = t_[cur_++].value;
        op = v == "=="   ? BinaryOp::kEq
             : v == "!=" ? BinaryOp::kNe
             : v == "<"  ? BinaryOp::kLt
             : v == ">"  ? BinaryOp::kGt
             : v == "<=" ? BinaryOp::kLe
                         : BinaryOp::kGe;
      } else {
        return left;
      }
      left = binary(NodeKind::kBinary, pos, std::move(left), parse_additive(), op);
    }
  }

  NodePtr parse_additive() {
    NodePtr left = parse_multiplicative();
    while (is(Tok::kAdditive)) {
      const Token& tok = t_[cur_++];
      BinaryOp op = tok.value == "+"   ? BinaryOp::kAdd
                    : tok.value == "-" ? BinaryOp::kSub
                                       : BinaryOp::kConcat;
      left = binary(NodeKind::kBinary, tok.pos, std::move(left), parse_multiplicative(), op);
    }
    return left;
  }

  NodePtr parse_multiplicative() {
    NodePtr left = parse_power();
    while (is(Tok::kMultiplicative)) {
      const Token& tok = t_[cur_++];
      BinaryOp op = tok.value == "*"    ? BinaryOp::kMul
                    : tok.value == "/"  ? BinaryOp::kDiv
                    : tok.value == "//" ? BinaryOp::kFloorDiv
                                        : BinaryOp::kMod;
      left = binary(NodeKind::kBinary, tok.pos, std::move(left), parse_power(), op);
    }
    return left;
  }

  NodePtr parse_power() {
    NodePtr left = parse_test();
    while (is(Tok::kPower)) {
      std::uint32_t pos = t_[cur_++].pos;
      left = binary(NodeKind::kBinary, pos, std::move(left), parse_test(), BinaryOp::kPow);
    }
    return left;
  }

  NodePtr parse_test() {
    NodePtr operand = parse_filter();
    while (is_name("is")) {
      ++cur_;
      NodePtr n = make(NodeKind::kTest, here());
      if (is_name("not")) {
        ++cur_;
        n->flags |= node_flags::kNegated;
      }
      if (!is(Tok::kName)) unexpected("a test name");
      n->pos = here();
      n->name = t_[cur_++].value;
      std::optional<Test> test = find_test(n->name);
      if (!test) fail(n->pos, "unsupported test '" + n->name + "'");
      if (test_needs_argument(*test)) {
        fail(n->pos,
             "test '" + n->name + "' needs an argument, which only selectattr/rejectattr can pass");
      }
      n->op = static_cast<std::uint8_t>(*test);
      n->kids.push_back(std::move(operand));
      operand = std::move(n);
    }
    return operand;
  }

  // Validates a filter and its arguments; returns it.
  Filter resolve_filter(const std::string& name, const Node& n, std::uint32_t pos) {
    bool called = (n.flags & node_flags::kHasCall) != 0;
    std::optional<Filter> f = find_filter(name, called);
    if (!f) {
      if (find_filter(name, !called)) {
        fail(pos, called ? "filter '" + name + "' takes no arguments"
                         : "filter '" + name + "' needs arguments: write " + name + "(...)");
      }
      fail(pos, "unsupported filter '" + name + "'");
    }
    auto string_literal = [](const NodePtr& a) {
      return a->kind == NodeKind::kLiteral && a->literal.is_string();
    };
    switch (*f) {
      case Filter::kSelectattr:
      case Filter::kRejectattr:
      case Filter::kSelect:
      case Filter::kReject: {
        bool attr = *f == Filter::kSelectattr || *f == Filter::kRejectattr;
        if (attr && n.args.empty()) fail(pos, "filter '" + name + "' needs an attribute name");
        for (const NodePtr& a : n.args) {
          if (!string_literal(a))
            fail(a->pos, "arguments of '" + name + "' must be string literals");
        }
        std::size_t test_index = attr ? 1 : 0;
        if (n.args.size() > test_index) {
          const std::string& test = n.args[test_index]->literal.as_string();
          if (!find_test(test)) fail(n.args[test_index]->pos, "unsupported test '" + test + "'");
        }
        break;
      }
      case Filter::kMap: {
        bool has_attribute = false;
        for (const NodePtr& a : n.args) {
          if (a->kind != NodeKind::kKwarg)
            fail(a->pos, "map(...) supports only attribute=... and default=...");
          has_attribute = has_attribute || a->name == "attribute";
        }
        if (!has_attribute) fail(pos, "map(...) without attribute=... is not supported");
        break;
      }
      case Filter::kTojson:
        for (const NodePtr& a : n.args) {
          if (a->kind != NodeKind::kKwarg) fail(a->pos, "tojson takes keyword arguments only");
          if (a->name == "sort_keys") {
            const Node& v = *a->kids[0];
            bool literal_false =
                v.kind == NodeKind::kName && (v.symbol == kSymFalse || v.symbol == kSymFalseTitle);
            if (!literal_false) fail(a->pos, "unsupported tojson argument 'sort_keys'");
          } else if (a->name != "indent" && a->name != "ensure_ascii" && a->name != "separators") {
            fail(a->pos, "unsupported tojson argument '" + a->name + "'");
          }
        }
        break;
      default:
        break;
    }
    return *f;
  }

  NodePtr parse_filter() {
    NodePtr operand = parse_sign();
    while (is(Tok::kPipe)) {
      ++cur_;
      if (!is(Tok::kName)) unexpected("a filter name");
      NodePtr n = make(NodeKind::kFilter, here());
      n->name = t_[cur_++].value;
      if (is(Tok::kLParen)) {
        n->flags |= node_flags::kHasCall;
        n->args = parse_args(false);
        if (is(Tok::kDot) || is(Tok::kLBracket) || is(Tok::kLParen)) {
          unexpected("the end of the filter");
        }
      }
      n->op = static_cast<std::uint8_t>(resolve_filter(n->name, *n, n->pos));
      n->kids.push_back(std::move(operand));
      operand = std::move(n);
    }
    return operand;
  }

  NodePtr parse_sign() {
    const Token* tok = peek();
    if (tok != nullptr && (tok->type == Tok::kUnary || tok->type == Tok::kAdditive) &&
        (tok->value == "-" || tok->value == "+")) {
      DepthGuard guard(*this);
      NodePtr n = make(NodeKind::kSign, tok->pos);
      n->op = static_cast<std::uint8_t>(tok->value[0]);
      ++cur_;
      n->kids.push_back(parse_sign());
      return n;
    }
    NodePtr member = parse_member(parse_primary());
    return is(Tok::kLParen) ? parse_call(std::move(member)) : std::move(member);
  }

  NodePtr parse_call(NodePtr callee) {
    if (callee->kind == NodeKind::kName) {
      call_names_.emplace_back(program_.symbols[static_cast<std::size_t>(callee->symbol)],
                               callee->pos);
    } else if (callee->kind == NodeKind::kMember && callee->literal.is_undefined()) {
      method_names_.emplace_back(callee->name, callee->pos);
    }
    NodePtr n = make(NodeKind::kCall, callee->pos);
    n->kids.push_back(std::move(callee));
    n->args = parse_args(false);
    NodePtr expr = parse_member(std::move(n));
    return is(Tok::kLParen) ? parse_call(std::move(expr)) : std::move(expr);
  }

  // ( ... ): call arguments, or macro parameters when `parameters`.
  std::vector<NodePtr> parse_args(bool parameters) {
    expect(Tok::kLParen, "'('");
    std::vector<NodePtr> args;
    std::set<std::string> names;
    bool saw_keyword = false, saw_spread = false;
    while (!is(Tok::kRParen)) {
      if (at_end()) unexpected("')'");
      std::uint32_t pos = here();
      bool kw_spread = is(Tok::kPower);
      bool spread = is(Tok::kMultiplicative) && t_[cur_].value == "*";
      if (parameters && (kw_spread || spread)) {
        fail(pos, "argument unpacking is not allowed in parameter declarations");
      }
      if (kw_spread) {
        ++cur_;
        NodePtr n = make(NodeKind::kKwSpread, pos);
        n->kids.push_back(parse_expression());
        args.push_back(std::move(n));
        if (is(Tok::kComma)) ++cur_;
        if (!is(Tok::kRParen)) fail(here(), "`**` must be applied to the final argument");
        break;
      }
      NodePtr arg;
      if (spread) {
        if (saw_spread) fail(pos, "only one `*` argument unpacking is allowed");
        saw_spread = true;
        ++cur_;
        arg = make(NodeKind::kSpread, pos);
        arg->kids.push_back(parse_expression());
      } else {
        arg = parse_expression();
        if (is(Tok::kEquals)) {
          ++cur_;
          if (arg->kind != NodeKind::kName) {
            fail(arg->pos, parameters ? "expected a name for the parameter"
                                      : "expected a name for the keyword argument");
          }
          NodePtr kw = make(NodeKind::kKwarg, arg->pos);
          kw->name = program_.symbols[static_cast<std::size_t>(arg->symbol)];
          kw->symbol = arg->symbol;
          kw->kids.push_back(parse_expression());
          arg = std::move(kw);
        }
        if (parameters) {
          if (arg->kind != NodeKind::kName && arg->kind != NodeKind::kKwarg) {
            fail(arg->pos, "expected a name for the parameter");
          }
          std::string pname = arg->kind == NodeKind::kName
                                  ? program_.symbols[static_cast<std::size_t>(arg->symbol)]
                                  : arg->name;
          if (!names.insert(pname).second)
            fail(arg->pos, "duplicate parameter name '" + pname + "'");
        }
        if (arg->kind == NodeKind::kKwarg) {
          saw_keyword = true;
        } else if (saw_keyword) {
          fail(arg->pos, parameters ? "non-default parameter follows a default parameter"
                                    : "positional argument follows keyword argument");
        } else if (saw_spread) {
          fail(arg->pos, "positional arguments must not follow `*` argument unpacking");
        }
      }
      args.push_back(std::move(arg));
      if (is(Tok::kComma)) ++cur_;
    }
    ++cur_;  // )
    return args;
  }

  NodePtr parse_member(NodePtr object) {
    while (is(Tok::kDot) || is(Tok::kLBracket)) {
      std::uint32_t pos = here();
      if (t_[cur_++].type == Tok::kLBracket) {
        object = parse_subscript(std::move(object), pos);
        expect(Tok::kRBracket, "']'");
        continue;
      }
      NodePtr property = parse_primary();
      NodePtr n = make(NodeKind::kMember, pos);
      if (property->kind == NodeKind::kName) {
        n->name = program_.symbols[static_cast<std::size_t>(property->symbol)];
      } else if (property->kind == NodeKind::kLiteral && property->literal.is(Kind::kInt)) {
        n->literal = property->literal;
      } else {
        fail(property->pos, "expected a name or an integer after '.'");
      }
      n->kids.push_back(std::move(object));
      object = std::move(n);
    }
    return object;
  }

  // [key] or [start:stop:step], any part optional.
  NodePtr parse_subscript(NodePtr object, std::uint32_t pos) {
    std::vector<NodePtr> parts;
    bool is_slice = false;
    while (!is(Tok::kRBracket)) {
      if (at_end()) unexpected("']'");
      if (is(Tok::kColon)) {
        parts.push_back(nullptr);
        ++cur_;
        is_slice = true;
      } else {
        parts.push_back(parse_expression());
        if (is(Tok::kColon)) {
          ++cur_;
          is_slice = true;
        }
      }
    }
    if (parts.empty()) fail(pos, "expected a key or slice inside [ ]");
    NodePtr n = make(is_slice ? NodeKind::kSlice : NodeKind::kIndex, pos);
    n->kids.push_back(std::move(object));
    if (!is_slice) {
      n->kids.push_back(std::move(parts[0]));
      return n;
    }
    if (parts.size() > 3) fail(pos, "a slice takes at most 3 parts");
    parts.resize(3);
    for (NodePtr& p : parts) n->kids.push_back(std::move(p));
    return n;
  }

  NodePtr parse_primary() {
    if (at_end()) unexpected("an expression");
    DepthGuard guard(*this);
    const Token& tok = t_[cur_++];
    switch (tok.type) {
      case Tok::kNumber: {
        NodePtr n = make(NodeKind::kLiteral, tok.pos);
        double v = std::strtod(tok.value.c_str(), nullptr);
        bool is_float = tok.value.find('.') != std::string::npos;
        n->literal = is_float ? Value::number(v) : Value::integer(v);
        return n;
      }
      case Tok::kString: {
        NodePtr n = make(NodeKind::kLiteral, tok.pos);
        std::string value = tok.value;
        while (is(Tok::kString)) value += t_[cur_++].value;
        n->literal = Value::string(std::move(value));
        return n;
      }
      case Tok::kName: {
        NodePtr n = make(NodeKind::kName, tok.pos);
        n->symbol = intern(tok.value);
        return n;
      }
      case Tok::kLParen: {
        NodePtr e = parse_expression_sequence(false);
        expect(Tok::kRParen, "')'");
        return e;
      }
      case Tok::kLBracket: {
        NodePtr n = make(NodeKind::kList, tok.pos);
        while (!is(Tok::kRBracket)) {
          if (at_end()) unexpected("']'");
          n->kids.push_back(parse_expression());
          if (is(Tok::kComma)) ++cur_;
        }
        ++cur_;
        return n;
      }
      case Tok::kLBrace: {
        NodePtr n = make(NodeKind::kDict, tok.pos);
        while (!is(Tok::kRBrace)) {
          if (at_end()) unexpected("'}'");
          n->kids.push_back(parse_expression());
          expect(Tok::kColon, "':' between key and value");
          n->kids.push_back(parse_expression());
          if (is(Tok::kComma)) ++cur_;
        }
        ++cur_;
        return n;
      }
      default:
        fail(tok.pos, "unexpected " + describe(tok) + ", expected an expression");
    }
  }

  // Global function and method names, checked once every macro and assignment is known.
  void check_calls() const {
    for (const auto& [name, pos] : call_names_) {
      if (kGlobalFunctions.count(name) == 0 && macros_.count(name) == 0 &&
          assigned_.count(name) == 0) {
        fail(pos, "unsupported function '" + name + "'");
      }
    }
    for (const auto& [name, pos] : method_names_) {
      if (!find_method(name) && macros_.count(name) == 0) {
        fail(pos, "unsupported method '" + name + "'");
      }
    }
  }

  std::vector<Token> t_;
  Program& program_;
  std::size_t cur_ = 0;
  int depth_ = 0;
  int loop_depth_ = 0;
  std::unordered_map<std::string, int> symbols_;
  std::set<std::string> macros_, assigned_;
  std::vector<std::pair<std::string, std::uint32_t>> call_names_, method_names_;
};

}  // namespace

Program parse_template(std::string_view source) {
  Program program;
  program.source.assign(source);
  Parser parser(tokenize(source), program);
  parser.run();
  return program;
}

}  // namespace odma::tokenizer::jinja
