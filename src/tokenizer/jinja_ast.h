// Syntax tree of a parsed template. One node type with a kind tag keeps the evaluator a single
// switch; the meaning of the child lists per kind is listed below.
//
// Statements (appear in bodies):
//   kText        literal: the text
//   kIf          kids[0] test; body; alt (the elif chain is a nested kIf in alt)
//   kFor         kids[0] target (kName or kTuple), kids[1] iterable, kids[2] optional filter
//                (`for x in xs if cond`); body; alt (the else block)
//   kSet         kids[0] target (kName, kTuple or kMember), kids[1] value
//   kSetBlock    kids[0] target; body (captured text)
//   kMacro       name/symbol; args parameters (kName or kKwarg with default); body;
//                flags: kReadsKwargs / kReadsVarargs
//   kCallBlock   kids[0] the kCall of the macro; args caller parameters; body; flags as kMacro
//   kFilterBlock op filter; args filter arguments (has_call in flags); body
//   kBreak, kContinue
//   any expression: its value is printed
// Expressions:
//   kLiteral     literal            kName        symbol (name for messages)
//   kList/kTuple kids items         kDict        kids key, value, key, value...
//   kMember      kids[0] object; name (`.attr`) or literal (`.0`)
//   kIndex       kids[0] object, kids[1] key       kSlice  kids[0] object, kids[1..3] or nullptr
//   kCall        kids[0] callee; args (positional, kKwarg, kSpread, kKwSpread)
//   kFilter      kids[0] operand; op Filter; args; flags kHasCall when written with ( )
//   kTest        kids[0] operand; op Test; flags kNegated
//   kNot, kSign  kids[0]; kSign: op is '+' or '-'
//   kBinary      op BinaryOp; kids[0], kids[1]          kAnd, kOr  kids[0], kids[1]
//   kTernary     kids[0] condition, kids[1] if true, kids[2] if false
//   kSelect      kids[0] value, kids[1] condition (`a if b` without else: undefined when false)
//   kKwarg       name; kids[0] value       kSpread, kKwSpread  kids[0]
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tokenizer/jinja_value.h"

namespace odma::tokenizer::jinja {

enum class NodeKind : std::uint8_t {
  kText,
  kIf,
  kFor,
  kSet,
  kSetBlock,
  kMacro,
  kCallBlock,
  kFilterBlock,
  kBreak,
  kContinue,
  kLiteral,
  kName,
  kList,
  kTuple,
  kDict,
  kMember,
  kIndex,
  kSlice,
  kCall,
  kFilter,
  kTest,
  kNot,
  kSign,
  kBinary,
  kAnd,
  kOr,
  kTernary,
  kSelect,
  kKwarg,
  kSpread,
  kKwSpread,
};

enum class BinaryOp : std::uint8_t {
  kEq,
  kNe,
  kLt,
  kGt,
  kLe,
  kGe,
  kAdd,
  kSub,
  kConcat,
  kMul,
  kDiv,
  kFloorDiv,
  kMod,
  kPow,
  kIn,
  kNotIn
};

namespace node_flags {
inline constexpr std::uint8_t kNegated = 1;       // kTest: `is not`
inline constexpr std::uint8_t kHasCall = 2;       // kFilter / kFilterBlock: written as f(...)
inline constexpr std::uint8_t kReadsKwargs = 4;   // kMacro / kCallBlock body reads `kwargs`
inline constexpr std::uint8_t kReadsVarargs = 8;  // ... reads `varargs`
}  // namespace node_flags

struct Node;
using NodePtr = std::unique_ptr<Node>;

struct Node {
  NodeKind kind;
  std::uint8_t op = 0;     // BinaryOp, Filter, Test or sign character
  std::uint8_t flags = 0;  // node_flags
  std::uint32_t pos = 0;   // byte offset in the template source
  int symbol = -1;         // kName, kMacro: interned name (Program::symbols)
  std::string name;        // kMember attribute, kKwarg key, kMacro / filter / test name
  Value literal;           // kLiteral, kText, kMember `.0`
  std::vector<NodePtr> kids;
  std::vector<NodePtr> args;
  std::vector<NodePtr> body;
  std::vector<NodePtr> alt;

  Node(NodeKind k, std::uint32_t p) : kind(k), pos(p) {}
};

// Symbols every template knows, interned first so the evaluator can use them by number.
enum Symbol : int {
  kSymTrue,
  kSymFalse,
  kSymNone,
  kSymTrueTitle,
  kSymFalseTitle,
  kSymNoneTitle,
  kSymRaiseException,
  kSymRange,
  kSymStrftimeNow,
  kSymNamespace,
  kSymLoop,
  kSymCaller,
  kSymKwargs,
  kSymVarargs
};

struct Program {
  std::string source;  // the template as given
  std::vector<NodePtr> body;
  std::vector<std::string> symbols;  // symbol id -> name
};

}  // namespace odma::tokenizer::jinja
