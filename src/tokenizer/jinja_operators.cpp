#include "tokenizer/jinja_operators.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "tokenizer/jinja_error.h"
#include "tokenizer/jinja_text.h"

namespace odma::tokenizer::jinja {
namespace {

const char* op_text(BinaryOp op) {
  switch (op) {
    case BinaryOp::kEq:
      return "==";
    case BinaryOp::kNe:
      return "!=";
    case BinaryOp::kLt:
      return "<";
    case BinaryOp::kGt:
      return ">";
    case BinaryOp::kLe:
      return "<=";
    case BinaryOp::kGe:
      return ">=";
    case BinaryOp::kAdd:
      return "+";
    case BinaryOp::kSub:
      return "-";
    case BinaryOp::kConcat:
      return "~";
    case BinaryOp::kMul:
      return "*";
    case BinaryOp::kDiv:
      return "/";
    case BinaryOp::kFloorDiv:
      return "//";
    case BinaryOp::kMod:
      return "%";
    case BinaryOp::kPow:
      return "**";
    case BinaryOp::kIn:
      return "in";
    case BinaryOp::kNotIn:
      return "not in";
  }
  return "?";
}

bool numeric_like(const Value& v) {
  return v.is_number() || v.is(Kind::kBool);
}
double numeric(const Value& v) {
  return v.is(Kind::kBool) ? (v.as_bool() ? 1 : 0) : v.as_number();
}

Value arithmetic(BinaryOp op, const Value& left, const Value& right) {
  double a = left.as_number(), b = right.as_number();
  bool is_float = left.is(Kind::kFloat) || right.is(Kind::kFloat);
  auto result = [&](double v) { return is_float ? Value::number(v) : Value::integer(v); };
  switch (op) {
    case BinaryOp::kAdd:
      return result(a + b);
    case BinaryOp::kSub:
      return result(a - b);
    case BinaryOp::kMul:
      return result(a * b);
    case BinaryOp::kDiv:
      return Value::number(a / b);
    case BinaryOp::kFloorDiv:
      return result(std::floor(a / b));
    case BinaryOp::kMod:
      return result(std::fmod(a, b));
    case BinaryOp::kLt:
      return Value::boolean(a < b);
    case BinaryOp::kGt:
      return Value::boolean(a > b);
    case BinaryOp::kGe:
      return Value::boolean(a >= b);
    case BinaryOp::kLe:
      return Value::boolean(a <= b);
    default:
      return {};  // not a numeric operator: fall through to the other rules
  }
}

Value power(const Value& left, const Value& right) {
  double a = numeric(left), b = numeric(right);
  if (a == 0 && b < 0) throw ValueError("0.0 cannot be raised to a negative power");
  double r = std::pow(a, b);
  if (!std::isfinite(r)) throw ValueError("Exponentiation result is not a finite real number");
  bool is_float = left.is(Kind::kFloat) || right.is(Kind::kFloat) || b < 0;
  return is_float ? Value::number(r) : Value::integer(r);
}

// JS String.prototype.at for a UTF-16 index (negative counts from the end).
Value string_at(const std::string& s, double index) {
  double n = static_cast<double>(utf16_length(s));
  double i = std::trunc(index);
  if (i < 0) i += n;
  if (i < 0 || i >= n) return {};
  std::size_t begin = utf16_index_to_byte(s, static_cast<std::size_t>(i));
  if (begin == std::string::npos) return Value::string("\xEF\xBF\xBD");  // half a pair
  std::size_t end = begin;
  char32_t cp = decode_utf8(s, end);
  if (cp >= 0x10000) return Value::string("\xEF\xBF\xBD");
  return Value::string(s.substr(begin, end - begin));
}

}  // namespace

Value binary_op(BinaryOp op, const Value& left, const Value& right, RenderState& state) {
  if (op == BinaryOp::kEq) return Value::boolean(loose_equal(left, right));
  if (op == BinaryOp::kNe) return Value::boolean(!loose_equal(left, right));
  bool membership = op == BinaryOp::kIn || op == BinaryOp::kNotIn;
  if (left.is_undefined() || right.is_undefined()) {
    if (right.is_undefined() && membership) return Value::boolean(op == BinaryOp::kNotIn);
    throw ValueError(std::string("Cannot perform operation ") + op_text(op) +
                     " on undefined values");
  }
  if (left.is_none() || right.is_none())
    throw ValueError("Cannot perform operation on null values");
  if (op == BinaryOp::kConcat) return state.make_string(js_string(left) + js_string(right));
  if (op == BinaryOp::kPow && numeric_like(left) && numeric_like(right)) return power(left, right);
  if (left.is_number() && right.is_number()) {
    Value v = arithmetic(op, left, right);
    if (!v.is_undefined()) return v;
  } else if (left.is_list() && right.is_list()) {
    if (op == BinaryOp::kAdd) {
      std::vector<Value> items = left.as_list().items;
      const auto& more = right.as_list().items;
      items.insert(items.end(), more.begin(), more.end());
      return state.make_list(std::move(items));
    }
  } else if (right.is_list()) {
    if (membership) {
      const auto& items = right.as_list().items;
      bool found = std::any_of(items.begin(), items.end(),
                               [&](const Value& x) { return strict_equal(x, left); });
      state.charge(items.size() / 16);
      return Value::boolean(found == (op == BinaryOp::kIn));
    }
  }
  if ((left.is_string() || right.is_string()) && op == BinaryOp::kAdd) {
    return state.make_string(js_string(left) + js_string(right));
  }
  if (left.is_string() && right.is_string() && membership) {
    bool found = right.as_string().find(left.as_string()) != std::string::npos;
    return Value::boolean(found == (op == BinaryOp::kIn));
  }
  if (left.is_string() && right.is_object() && membership) {
    bool found = right.as_dict().find(left.as_string()) != nullptr;
    return Value::boolean(found == (op == BinaryOp::kIn));
  }
  throw ValueError(std::string("Unknown operator \"") + op_text(op) + "\" between " +
                   type_name(left) + " and " + type_name(right));
}

Value unary_sign(char sign, const Value& v) {
  if (!numeric_like(v)) {
    throw ValueError(std::string("Unknown operator \"") + sign + "\" for " + type_name(v));
  }
  double r = (sign == '-' ? -1 : 1) * numeric(v);
  return v.is(Kind::kFloat) ? Value::number(r) : Value::integer(r);
}

Value member(const Value& object, const Value& key) {
  if (object.is_mapping_like()) {
    if (!key.is_string()) {
      throw ValueError(std::string("Cannot access property with non-string: got ") +
                       type_name(key));
    }
    return get_attribute(object, key.as_string());
  }
  if (object.is_list() || object.is_string()) {
    if (key.is(Kind::kInt)) {
      if (object.is_string()) return string_at(object.as_string(), key.as_number());
      const auto& items = object.as_list().items;
      double n = static_cast<double>(items.size());
      double i = std::trunc(key.as_number());
      if (i < 0) i += n;
      if (i < 0 || i >= n) return {};
      return items[static_cast<std::size_t>(i)];
    }
    if (key.is_string()) return get_attribute(object, key.as_string());
    throw ValueError(std::string("Cannot access property with non-string/non-number: got ") +
                     type_name(key));
  }
  if (!key.is_string()) {
    throw ValueError(std::string("Cannot access property with non-string: got ") + type_name(key));
  }
  return {};
}

Value slice(const Value& object, const Value& start_v, const Value& stop_v, const Value& step_v,
            RenderState& state) {
  if (!object.is_list() && !object.is_string()) {
    throw ValueError("Slice object must be an array or string");
  }
  auto check = [](const Value& v, const char* what) {
    if (!v.is(Kind::kInt) && !v.is_undefined()) {
      throw ValueError(std::string("Slice ") + what + " must be numeric or undefined");
    }
  };
  check(start_v, "start");
  check(stop_v, "stop");
  check(step_v, "step");
  // Code points of a string, items of a list: both sliced as arrays.
  std::vector<std::string_view> chars;
  if (object.is_string()) {
    const std::string& s = object.as_string();
    for (std::size_t i = 0; i < s.size();) {
      std::size_t b = i;
      decode_utf8(s, i);
      chars.push_back(std::string_view(s).substr(b, i - b));
    }
  }
  double len = object.is_string() ? static_cast<double>(chars.size())
                                  : static_cast<double>(object.as_list().items.size());
  double step = step_v.is_undefined() ? 1 : step_v.as_number();
  double direction = step > 0 ? 1 : step < 0 ? -1 : 0;
  double start = 0, stop = 0;
  if (direction >= 0) {
    start = start_v.is_undefined() ? 0 : start_v.as_number();
    start = start < 0 ? std::max(len + start, 0.0) : std::min(start, len);
    stop = stop_v.is_undefined() ? len : stop_v.as_number();
    stop = stop < 0 ? std::max(len + stop, 0.0) : std::min(stop, len);
  } else {
    start = start_v.is_undefined() ? len - 1 : start_v.as_number();
    start = start < 0 ? std::max(len + start, -1.0) : std::min(start, len - 1);
    stop = stop_v.is_undefined() ? -1 : stop_v.as_number();
    stop = stop < -1 ? std::max(len + stop, -1.0) : std::min(stop, len - 1);
  }
  std::vector<Value> items;
  std::string text;
  for (double i = start; direction * i < direction * stop; i += step) {
    auto k = static_cast<std::size_t>(i);
    if (object.is_string()) {
      text += chars[k];
    } else {
      items.push_back(object.as_list().items[k]);
    }
  }
  if (object.is_string()) return state.make_string(std::move(text));
  return state.make_list(std::move(items));
}

}  // namespace odma::tokenizer::jinja
