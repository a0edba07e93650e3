// Operators, member access and slicing with the oracle's rules (evaluateBinaryExpression,
// evaluateMemberExpression, evaluateSliceExpression). Errors are ValueError.
#pragma once

#include "tokenizer/jinja_ast.h"
#include "tokenizer/jinja_builtins.h"

namespace odma::tokenizer::jinja {

// Every BinaryOp (`and`/`or` short-circuit in the evaluator). Rules, in the oracle's order:
// == and != are JS loose equality; an undefined operand is an error (except `x in undefined`,
// false); none is an error; ~ joins JS strings; ** on numbers/bools; + - * / // % < > <= >= on
// numbers (ints stay ints except /); list + list; `in` a list (===); + with a string
// concatenates; `in` a string or a dict's keys.
Value binary_op(BinaryOp op, const Value& left, const Value& right, RenderState& state);

// Unary + and - on numbers and bools (a bool becomes an int).
Value unary_sign(char sign, const Value& v);

// object[key], object.name and object.0: dict keys then dict methods; list/string index
// (negative from the end); string methods and `length`. Undefined when absent.
Value member(const Value& object, const Value& key);

// object[start:stop:step] on a list or a string (by code points), Python's rules.
Value slice(const Value& object, const Value& start, const Value& stop, const Value& step,
            RenderState& state);

}  // namespace odma::tokenizer::jinja
