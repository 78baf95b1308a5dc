//===- OnnxElementwiseOps.cpp - Activations and elementwise math ----------===//
//
// Converters for the elementwise ONNX ops: the arithmetic, comparisons and
// math functions tsr has ops for (folded at import when every operand is
// known), Cast and Where, rounding and trigonometric functions (one tsr.unary kind
// each), activations (Clip, LeakyRelu, Elu, Selu, Celu, HardSigmoid,
// HardSwish, Softplus, Softsign, Mish, PRelu, ThresholdedRelu, Gelu), Sign,
// Mod, logical and bitwise ops, IsNaN/IsInf, and the variadic Sum, Mean, Max
// and Min. Most are compositions of other ONNX ops, built with NodeBuilder
// exactly as the ONNX spec defines them, so they fold and broadcast like the
// ops they are made of. Also the operand element-type check every node
// passes before its converter runs.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/NodeBuilder.h"
#include "frontends/onnx/OnnxOpSupport.h"

#include "llvm/ADT/StringSet.h"
#include "llvm/ADT/StringSwitch.h"

#include <cmath>
#include <limits>

using namespace mlir;
using llvm::Error;
using llvm::Expected;

namespace tessera::onnx_import {
namespace {

/// An "unsupported element type" error unless input `i` is a float tensor.
Error requireFloat(Importer &im, const onnx::NodeProto &node,
                   const NodeBuilder &nb, int i = 0) {
  Type t = nb.elementType(node.input(i));
  if (isa<FloatType>(t))
    return Error::success();
  std::string s;
  llvm::raw_string_ostream os(s);
  os << t;
  return im.nodeError(node, "unsupported element type " + s + " for " +
                                node.op_type() + " (needs a float tensor)");
}

/// Float functions that are one tsr.unary kind.
Error convertMathUnary(Importer &im, const onnx::NodeProto &node) {
  auto kind = llvm::StringSwitch<tsr::UnaryKind>(node.op_type())
                  .Case("Floor", tsr::UnaryKind::floor)
                  .Case("Ceil", tsr::UnaryKind::ceil)
                  .Case("Round", tsr::UnaryKind::round)
                  .Case("Sin", tsr::UnaryKind::sin)
                  .Case("Cos", tsr::UnaryKind::cos)
                  .Case("Tan", tsr::UnaryKind::tan)
                  .Case("Asin", tsr::UnaryKind::asin)
                  .Case("Acos", tsr::UnaryKind::acos)
                  .Case("Atan", tsr::UnaryKind::atan)
                  .Case("Sinh", tsr::UnaryKind::sinh)
                  .Case("Cosh", tsr::UnaryKind::cosh)
                  .Case("Asinh", tsr::UnaryKind::asinh)
                  .Case("Acosh", tsr::UnaryKind::acosh)
                  .Default(tsr::UnaryKind::atanh);
  NodeBuilder nb(im, node);
  if (Error e = requireFloat(im, node, nb))
    return e;
  Expected<Value> x = im.tensorOperand(node, 0);
  if (!x)
    return x.takeError();
  im.setTensor(node, 0,
               tsr::UnaryOp::create(im.b, im.loc, x->getType(), kind, *x));
  return Error::success();
}

Error convertGelu(Importer &im, const onnx::NodeProto &node) {
  NodeBuilder nb(im, node);
  if (Error e = requireFloat(im, node, nb))
    return e;
  std::string approx = "none";
  if (const onnx::AttributeProto *a = findAttr(node, "approximate"))
    approx = a->s();
  if (approx != "none" && approx != "tanh")
    return im.nodeError(node, "unsupported approximate '" + approx + "'");
  Expected<Value> x = im.tensorOperand(node, 0);
  if (!x)
    return x.takeError();
  auto kind = approx == "tanh" ? tsr::GeluApproximation::tanh
                               : tsr::GeluApproximation::none;
  im.setTensor(node, 0,
               tsr::GeluOp::create(
                   im.b, im.loc, x->getType(), *x,
                   tsr::GeluApproximationAttr::get(im.ctx, kind)));
  return Error::success();
}

/// sign(x) = (x > 0) - (x < 0), in x's type (integers too).
Error convertSign(Importer &im, const onnx::NodeProto &node) {
  NodeBuilder nb(im, node);
  const std::string &x = node.input(0);
  Type t = nb.elementType(x);
  std::optional<int32_t> dt = onnxDataType(t);
  if (!dt || t.isInteger(1))
    return im.nodeError(node, "unsupported element type for Sign");
  std::string zero = nb.scalar(t, 0);
  ASSIGN_OR_RETURN(pos, nb.add("Greater", {x, zero}));
  ASSIGN_OR_RETURN(neg, nb.add("Less", {x, zero}));
  ASSIGN_OR_RETURN(p, nb.add("Cast", {pos}, {intAttr("to", *dt)}));
  ASSIGN_OR_RETURN(n, nb.add("Cast", {neg}, {intAttr("to", *dt)}));
  ASSIGN_OR_RETURN(r, nb.add("Sub", {p, n}));
  nb.setOutput(0, r);
  return Error::success();
}

/// Activations defined piecewise or by a formula over other ops.
Error convertActivation(Importer &im, const onnx::NodeProto &node) {
  StringRef op = node.op_type();
  NodeBuilder nb(im, node);
  if (Error e = requireFloat(im, node, nb))
    return e;
  const std::string &x = node.input(0);
  Type t = nb.elementType(x);
  auto c = [&](double v) { return nb.scalar(t, v); };
  std::string zero = c(0), one = c(1);
  std::string out;
  if (op == "LeakyRelu" || op == "PRelu") {
    std::string slope =
        op == "PRelu" ? node.input(1) : c(attrFloat(node, "alpha", 0.01f));
    ASSIGN_OR_RETURN(lt, nb.add("Less", {x, zero}));
    ASSIGN_OR_RETURN(scaled, nb.add("Mul", {x, slope}));
    ASSIGN_OR_RETURN(r, nb.add("Where", {lt, scaled, x}));
    out = r;
  } else if (op == "ThresholdedRelu") {
    ASSIGN_OR_RETURN(gt, nb.add("Greater", {x, c(attrFloat(node, "alpha", 1.0f))}));
    ASSIGN_OR_RETURN(r, nb.add("Where", {gt, x, zero}));
    out = r;
  } else if (op == "Elu") {
    ASSIGN_OR_RETURN(lt, nb.add("Less", {x, zero}));
    ASSIGN_OR_RETURN(e, nb.add("Exp", {x}));
    ASSIGN_OR_RETURN(em1, nb.add("Sub", {e, one}));
    ASSIGN_OR_RETURN(neg, nb.add("Mul", {em1, c(attrFloat(node, "alpha", 1.0f))}));
    ASSIGN_OR_RETURN(r, nb.add("Where", {lt, neg, x}));
    out = r;
  } else if (op == "Selu") {
    std::string alpha = c(attrFloat(node, "alpha", 1.67326319217681884765625f));
    std::string gamma = c(attrFloat(node, "gamma", 1.05070102214813232421875f));
    ASSIGN_OR_RETURN(le, nb.add("LessOrEqual", {x, zero}));
    ASSIGN_OR_RETURN(e, nb.add("Exp", {x}));
    ASSIGN_OR_RETURN(ae, nb.add("Mul", {e, alpha}));
    ASSIGN_OR_RETURN(s, nb.add("Sub", {ae, alpha}));
    ASSIGN_OR_RETURN(neg, nb.add("Mul", {s, gamma}));
    ASSIGN_OR_RETURN(pos, nb.add("Mul", {x, gamma}));
    ASSIGN_OR_RETURN(r, nb.add("Where", {le, neg, pos}));
    out = r;
  } else if (op == "Celu") {
    std::string alpha = c(attrFloat(node, "alpha", 1.0f));
    ASSIGN_OR_RETURN(d, nb.add("Div", {x, alpha}));
    ASSIGN_OR_RETURN(e, nb.add("Exp", {d}));
    ASSIGN_OR_RETURN(em1, nb.add("Sub", {e, one}));
    ASSIGN_OR_RETURN(ae, nb.add("Mul", {em1, alpha}));
    ASSIGN_OR_RETURN(neg, nb.add("Min", {ae, zero}));
    ASSIGN_OR_RETURN(pos, nb.add("Max", {x, zero}));
    ASSIGN_OR_RETURN(r, nb.add("Add", {pos, neg}));
    out = r;
  } else if (op == "HardSigmoid" || op == "HardSwish") {
    bool swish = op == "HardSwish";
    float alpha = swish ? 1.0f / 6 : attrFloat(node, "alpha", 0.2f);
    float beta = swish ? 0.5f : attrFloat(node, "beta", 0.5f);
    ASSIGN_OR_RETURN(ax, nb.add("Mul", {x, c(alpha)}));
    ASSIGN_OR_RETURN(axb, nb.add("Add", {ax, c(beta)}));
    ASSIGN_OR_RETURN(hi, nb.add("Min", {axb, one}));
    ASSIGN_OR_RETURN(r, nb.add("Max", {hi, zero}));
    out = r;
    if (swish) {
      ASSIGN_OR_RETURN(s, nb.add("Mul", {x, r}));
      out = s;
    }
  } else if (op == "Softplus" || op == "Mish") {
    // log(1 + e^x) = max(x, 0) + log(1 + e^-|x|): no overflow for large x.
    ASSIGN_OR_RETURN(pos, nb.add("Max", {x, zero}));
    ASSIGN_OR_RETURN(ab, nb.add("Abs", {x}));
    ASSIGN_OR_RETURN(nab, nb.add("Neg", {ab}));
    ASSIGN_OR_RETURN(e, nb.add("Exp", {nab}));
    ASSIGN_OR_RETURN(e1, nb.add("Add", {e, one}));
    ASSIGN_OR_RETURN(l, nb.add("Log", {e1}));
    ASSIGN_OR_RETURN(r, nb.add("Add", {pos, l}));
    out = r;
    if (op == "Mish") {
      ASSIGN_OR_RETURN(th, nb.add("Tanh", {r}));
      ASSIGN_OR_RETURN(m, nb.add("Mul", {x, th}));
      out = m;
    }
  } else if (op == "Softsign") {
    ASSIGN_OR_RETURN(ab, nb.add("Abs", {x}));
    ASSIGN_OR_RETURN(d, nb.add("Add", {ab, one}));
    ASSIGN_OR_RETURN(r, nb.add("Div", {x, d}));
    out = r;
  } else if (op == "Shrink") {
    std::string lambd = c(attrFloat(node, "lambd", 0.5f));
    std::string bias = c(attrFloat(node, "bias", 0.0f));
    ASSIGN_OR_RETURN(nl, nb.add("Neg", {lambd}));
    ASSIGN_OR_RETURN(lo, nb.add("Less", {x, nl}));
    ASSIGN_OR_RETURN(hi, nb.add("Greater", {x, lambd}));
    ASSIGN_OR_RETURN(up, nb.add("Add", {x, bias}));
    ASSIGN_OR_RETURN(down, nb.add("Sub", {x, bias}));
    ASSIGN_OR_RETURN(mid, nb.add("Where", {hi, down, zero}));
    ASSIGN_OR_RETURN(r, nb.add("Where", {lo, up, mid}));
    out = r;
  } else { // Swish
    ASSIGN_OR_RETURN(ax, nb.add("Mul", {x, c(attrFloat(node, "alpha", 1.0f))}));
    ASSIGN_OR_RETURN(s, nb.add("Sigmoid", {ax}));
    ASSIGN_OR_RETURN(r, nb.add("Mul", {x, s}));
    out = r;
  }
  nb.setOutput(0, out);
  return Error::success();
}

/// Clip(x, min, max) = Min(Max(x, min), max); min and max are inputs from
/// opset 11, attributes before.
Error convertClip(Importer &im, const onnx::NodeProto &node) {
  NodeBuilder nb(im, node);
  std::string cur = node.input(0);
  Type t = nb.elementType(cur);
  std::string lo, hi;
  if (im.opset >= 11) {
    if (im.hasInput(node, 1))
      lo = node.input(1);
    if (im.hasInput(node, 2))
      hi = node.input(2);
  } else {
    if (findAttr(node, "min"))
      lo = nb.scalar(t, attrFloat(node, "min", 0));
    if (findAttr(node, "max"))
      hi = nb.scalar(t, attrFloat(node, "max", 0));
  }
  if (!lo.empty()) {
    ASSIGN_OR_RETURN(r, nb.add("Max", {cur, lo}));
    cur = r;
  }
  if (!hi.empty()) {
    ASSIGN_OR_RETURN(r, nb.add("Min", {cur, hi}));
    cur = r;
  }
  nb.setOutput(0, cur);
  return Error::success();
}

/// Mod: fmod=1 is C's fmod (sign of the dividend), fmod=0 (integers only)
/// Python's % (sign of the divisor). Both from truncating division.
Error convertMod(Importer &im, const onnx::NodeProto &node) {
  NodeBuilder nb(im, node);
  const std::string &a = node.input(0), &b = node.input(1);
  Type t = nb.elementType(a);
  bool fmod = attrInt(node, "fmod", 0);
  std::string zero = nb.scalar(t, 0);
  if (isa<FloatType>(t)) {
    if (!fmod)
      return im.nodeError(node, "Mod of floats needs fmod=1");
    // a - trunc(a / b) * b
    ASSIGN_OR_RETURN(q, nb.add("Div", {a, b}));
    ASSIGN_OR_RETURN(neg, nb.add("Less", {q, zero}));
    ASSIGN_OR_RETURN(up, nb.add("Ceil", {q}));
    ASSIGN_OR_RETURN(down, nb.add("Floor", {q}));
    ASSIGN_OR_RETURN(tq, nb.add("Where", {neg, up, down}));
    ASSIGN_OR_RETURN(tb, nb.add("Mul", {tq, b}));
    ASSIGN_OR_RETURN(r, nb.add("Sub", {a, tb}));
    nb.setOutput(0, r);
    return Error::success();
  }
  if (t.isInteger(1))
    return im.nodeError(node, "unsupported element type i1 for Mod");
  ASSIGN_OR_RETURN(q, nb.add("Div", {a, b}));
  ASSIGN_OR_RETURN(qb, nb.add("Mul", {q, b}));
  ASSIGN_OR_RETURN(r, nb.add("Sub", {a, qb}));
  std::string out = r;
  if (!fmod) {
    // A non-zero remainder whose sign differs from the divisor's moves by b.
    ASSIGN_OR_RETURN(isZero, nb.add("Equal", {r, zero}));
    ASSIGN_OR_RETURN(nonZero, nb.add("Not", {isZero}));
    ASSIGN_OR_RETURN(rNeg, nb.add("Less", {r, zero}));
    ASSIGN_OR_RETURN(bNeg, nb.add("Less", {b, zero}));
    ASSIGN_OR_RETURN(differ, nb.add("Xor", {rNeg, bNeg}));
    ASSIGN_OR_RETURN(fix, nb.add("And", {nonZero, differ}));
    ASSIGN_OR_RETURN(rb, nb.add("Add", {r, b}));
    ASSIGN_OR_RETURN(adjusted, nb.add("Where", {fix, rb, r}));
    out = adjusted;
  }
  nb.setOutput(0, out);
  return Error::success();
}

/// Xor of bools; the bitwise ops of (signed or unsigned) integers.
Error convertLogical(Importer &im, const onnx::NodeProto &node) {
  StringRef op = node.op_type();
  NodeBuilder nb(im, node);
  const std::string &a = node.input(0);
  Type t = nb.elementType(a);
  bool bitwise = op.starts_with("Bitwise");
  if (bitwise ? !isa<IntegerType>(t) || t.isInteger(1) : !t.isInteger(1))
    return im.nodeError(node, "unsupported element type for " + op);
  std::string out;
  if (op == "Xor") {
    ASSIGN_OR_RETURN(eq, nb.add("Equal", {a, node.input(1)}));
    ASSIGN_OR_RETURN(r, nb.add("Not", {eq}));
    out = r;
  } else if (op == "BitwiseNot") {
    // Two's complement: ~x = -1 - x.
    ASSIGN_OR_RETURN(r, nb.add("Sub", {nb.scalar(t, -1), a}));
    out = r;
  } else if (op == "BitwiseXor") {
    // a ^ b = (a | b) - (a & b)
    ASSIGN_OR_RETURN(o, nb.add("Or", {a, node.input(1)}));
    ASSIGN_OR_RETURN(n, nb.add("And", {a, node.input(1)}));
    ASSIGN_OR_RETURN(r, nb.add("Sub", {o, n}));
    out = r;
  } else {
    ASSIGN_OR_RETURN(r, nb.add(op == "BitwiseAnd" ? "And" : "Or",
                               {a, node.input(1)}));
    out = r;
  }
  nb.setOutput(0, out);
  return Error::success();
}

Error convertIsNaNOrInf(Importer &im, const onnx::NodeProto &node) {
  NodeBuilder nb(im, node);
  if (Error e = requireFloat(im, node, nb))
    return e;
  const std::string &x = node.input(0);
  Type t = nb.elementType(x);
  std::string out;
  if (node.op_type() == "IsNaN") {
    ASSIGN_OR_RETURN(eq, nb.add("Equal", {x, x}));
    ASSIGN_OR_RETURN(r, nb.add("Not", {eq}));
    out = r;
  } else {
    bool neg = attrInt(node, "detect_negative", 1),
         pos = attrInt(node, "detect_positive", 1);
    double inf = std::numeric_limits<double>::infinity();
    ASSIGN_OR_RETURN(isPos, nb.add("Equal", {x, nb.scalar(t, inf)}));
    ASSIGN_OR_RETURN(isNeg, nb.add("Equal", {x, nb.scalar(t, -inf)}));
    if (pos && neg) {
      ASSIGN_OR_RETURN(r, nb.add("Or", {isPos, isNeg}));
      out = r;
    } else if (pos || neg) {
      out = pos ? isPos : isNeg;
    } else {
      ASSIGN_OR_RETURN(r, nb.add("Less", {x, x})); // all false
      out = r;
    }
  }
  nb.setOutput(0, out);
  return Error::success();
}

/// Sum, Mean, and Max/Min with other than two inputs, folded pairwise.
ConverterFn variadic(ConverterFn twoInputs, StringRef binaryOp, bool mean) {
  std::string binary = binaryOp.str();
  return [=](Importer &im, const onnx::NodeProto &node) -> Error {
    if (node.input_size() == 2 && twoInputs)
      return twoInputs(im, node);
    if (node.input_size() == 0)
      return im.nodeError(node, "needs at least one input");
    NodeBuilder nb(im, node);
    std::string acc = node.input(0);
    for (int i = 1; i < node.input_size(); ++i) {
      ASSIGN_OR_RETURN(r, nb.add(binary, {acc, node.input(i)}));
      acc = r;
    }
    if (mean && node.input_size() > 1) {
      ASSIGN_OR_RETURN(r, nb.add("Div", {acc, nb.scalar(nb.elementType(acc),
                                                          node.input_size())}));
      acc = r;
    }
    nb.setOutput(0, acc);
    return Error::success();
  };
}

/// Integer Pow through float64 (exact while the result fits in 2^53);
/// float Pow as before.
ConverterFn integerPow(ConverterFn floatPow) {
  return [=](Importer &im, const onnx::NodeProto &node) -> Error {
    if (node.input_size() != 2)
      return im.nodeError(node, "expects 2 inputs");
    NodeBuilder nb(im, node);
    Type t = nb.elementType(node.input(0));
    if (isa<FloatType>(t))
      return floatPow(im, node);
    std::optional<int32_t> dt = onnxDataType(t);
    if (!dt || t.isInteger(1))
      return im.nodeError(node, "unsupported element type for Pow");
    auto toDouble = intAttr("to", onnx::TensorProto::DOUBLE);
    ASSIGN_OR_RETURN(base, nb.add("Cast", {node.input(0)}, {toDouble}));
    ASSIGN_OR_RETURN(exp, nb.add("Cast", {node.input(1)}, {toDouble}));
    ASSIGN_OR_RETURN(p, nb.add("Pow", {base, exp}));
    ASSIGN_OR_RETURN(r, nb.add("Cast", {p}, {intAttr("to", *dt)}));
    nb.setOutput(0, r);
    return Error::success();
  };
}

/// Not of a compile-time bool tensor folds (shape webs test dims with it).
ConverterFn foldNot(ConverterFn notOp) {
  return [=](Importer &im, const onnx::NodeProto &node) -> Error {
    auto it = im.values.find(node.input(0));
    if (it != im.values.end() && it->second.host &&
        it->second.host->elementType.isInteger(1) &&
        it->second.host->allStatic()) {
      HostTensor h = *it->second.host;
      for (IntElem &e : h.ints)
        e.value = !e.value;
      im.setResult(node, 0, ImportedValue{Value(), std::move(h)});
      return Error::success();
    }
    return notOp(im, node);
  };
}

Error convertBinary(Importer &im, const onnx::NodeProto &node) {
  StringRef op = node.op_type();
  if (node.input_size() != 2)
    return im.nodeError(node, "expects 2 inputs");
  if (allHost(im, node)) {
    const HostTensor *a = hostOf(im, node, 0), *c = hostOf(im, node, 1);
    // Host ints are int64 with signed semantics: unsigned operands are
    // computed at run time (divui, maxui, ...) instead.
    if (a->elementType == c->elementType &&
        !a->elementType.isUnsignedInteger()) {
      auto r = hostBroadcast(
          {a, c}, a->elementType,
          [&](ArrayRef<IntElem> x) { return intArith(im, op, x[0], x[1]); },
          [&](ArrayRef<double> x) -> double {
            if (op == "Add") return x[0] + x[1];
            if (op == "Sub") return x[0] - x[1];
            if (op == "Mul") return x[0] * x[1];
            if (op == "Div") return x[0] / x[1];
            if (op == "Pow") return std::pow(x[0], x[1]);
            if (op == "Max") return std::max(x[0], x[1]);
            return std::min(x[0], x[1]);
          });
      if (r && (op != "Pow" || r->isFloat())) {
        im.setResult(node, 0, ImportedValue{Value(), std::move(*r)});
        return Error::success();
      }
    }
  }
  Expected<Value> l = im.tensorOperand(node, 0);
  if (!l)
    return l.takeError();
  // Pow by a constant 2 (layer-norm variance) is a multiply.
  if (op == "Pow") {
    auto it = im.values.find(node.input(1));
    if (it->second.host && it->second.host->numElements() == 1) {
      const HostTensor &e = *it->second.host;
      double p = e.isFloat() ? e.floats[0] : e.ints[0].value;
      if (p == 2.0 && (e.isFloat() || e.allStatic())) {
        Expected<Value> r = im.binary<tsr::MulOp>(node, *l, *l);
        if (!r)
          return r.takeError();
        im.setTensor(node, 0, *r);
        return Error::success();
      }
    }
  }
  Expected<Value> r = im.tensorOperand(node, 1);
  if (!r)
    return r.takeError();
  Value rv = *r;
  if (op == "Pow")
    rv = im.castTo(rv, typeOf(*l).getElementType());
  Expected<Value> out = [&]() -> Expected<Value> {
    if (op == "Add") return im.binary<tsr::AddOp>(node, *l, rv);
    if (op == "Sub") return im.binary<tsr::SubOp>(node, *l, rv);
    if (op == "Mul") return im.binary<tsr::MulOp>(node, *l, rv);
    if (op == "Div") return im.binary<tsr::DivOp>(node, *l, rv);
    if (op == "Pow") {
      if (!isa<FloatType>(typeOf(*l).getElementType()))
        return im.nodeError(node, "integer Pow is unsupported");
      return im.binary<tsr::PowOp>(node, *l, rv);
    }
    if (op == "Max") return im.binary<tsr::MaxOp>(node, *l, rv);
    if (op == "Min") return im.binary<tsr::MinOp>(node, *l, rv);
    if (op == "And") return im.binary<tsr::AndOp>(node, *l, rv);
    return im.binary<tsr::OrOp>(node, *l, rv);
  }();
  if (!out)
    return out.takeError();
  im.setTensor(node, 0, *out);
  return Error::success();
}

Error convertCompare(Importer &im, const onnx::NodeProto &node) {
  StringRef op = node.op_type();
  if (node.input_size() != 2)
    return im.nodeError(node, "expects 2 inputs");
  if (allHost(im, node)) {
    const HostTensor *a = hostOf(im, node, 0), *c = hostOf(im, node, 1);
    if (!a->isFloat() && !c->isFloat() &&
        !a->elementType.isUnsignedInteger() &&
        !c->elementType.isUnsignedInteger()) {
      auto r = hostBroadcast(
          {a, c}, im.b.getI1Type(),
          [&](ArrayRef<IntElem> x) -> std::optional<IntElem> {
            std::optional<bool> v = intCompare(op, x[0], x[1]);
            if (!v)
              return std::nullopt;
            return IntElem{*v ? 1 : 0, {}};
          },
          [](ArrayRef<double>) { return 0.0; });
      if (r) {
        im.setResult(node, 0, ImportedValue{Value(), std::move(*r)});
        return Error::success();
      }
    }
  }
  Expected<Value> l = im.tensorOperand(node, 0);
  if (!l)
    return l.takeError();
  Expected<Value> r = im.tensorOperand(node, 1);
  if (!r)
    return r.takeError();
  if (typeOf(*l).getElementType() != typeOf(*r).getElementType())
    return im.nodeError(node, "operand element types differ");
  auto kind = llvm::StringSwitch<tsr::CompareKind>(op)
                  .Case("Equal", tsr::CompareKind::eq)
                  .Case("Less", tsr::CompareKind::lt)
                  .Case("LessOrEqual", tsr::CompareKind::le)
                  .Case("Greater", tsr::CompareKind::gt)
                  .Default(tsr::CompareKind::ge);
  auto shape = tsr::broadcastShapes({typeOf(*l).getShape(), typeOf(*r).getShape()});
  if (!shape)
    return im.nodeError(node, "operand shapes do not broadcast");
  Value out = tsr::CompareOp::create(
      im.b, im.loc, RankedTensorType::get(*shape, im.b.getI1Type()), kind, *l,
      *r);
  im.setTensor(node, 0, out);
  return Error::success();
}

Error convertUnary(Importer &im, const onnx::NodeProto &node) {
  StringRef op = node.op_type();
  if (op == "Neg" && allHost(im, node)) {
    HostTensor h = *hostOf(im, node, 0);
    if (h.isFloat()) {
      for (double &f : h.floats)
        f = -f;
      im.setResult(node, 0, ImportedValue{Value(), h});
      return Error::success();
    }
    if (h.allStatic()) {
      for (IntElem &e : h.ints)
        e.value = -e.value;
      im.setResult(node, 0, ImportedValue{Value(), h});
      return Error::success();
    }
  }
  Expected<Value> x = im.tensorOperand(node, 0);
  if (!x)
    return x.takeError();
  auto kind = llvm::StringSwitch<tsr::UnaryKind>(op)
                  .Case("Neg", tsr::UnaryKind::neg)
                  .Case("Abs", tsr::UnaryKind::abs)
                  .Case("Sqrt", tsr::UnaryKind::sqrt)
                  .Case("Exp", tsr::UnaryKind::exp)
                  .Case("Log", tsr::UnaryKind::log)
                  .Case("Erf", tsr::UnaryKind::erf)
                  .Case("Tanh", tsr::UnaryKind::tanh)
                  .Case("Sigmoid", tsr::UnaryKind::sigmoid)
                  .Case("Relu", tsr::UnaryKind::relu)
                  .Case("Reciprocal", tsr::UnaryKind::reciprocal)
                  .Default(tsr::UnaryKind::kNot);
  Type elt = typeOf(*x).getElementType();
  bool intOk = kind == tsr::UnaryKind::neg || kind == tsr::UnaryKind::abs ||
               kind == tsr::UnaryKind::relu;
  if (kind == tsr::UnaryKind::kNot ? !elt.isInteger(1)
                                   : !(isa<FloatType>(elt) ||
                                       (intOk && elt.isSignlessInteger())))
    return im.nodeError(node, "unsupported element type for " + op);
  im.setTensor(node, 0,
               tsr::UnaryOp::create(im.b, im.loc, typeOf(*x), kind, *x));
  return Error::success();
}

/// A float folded to an integer the way hardware conversions go, without
/// C++'s undefined behaviour for NaN and out-of-range values (which ONNX
/// leaves unspecified): NaN becomes 0, the rest saturates.
static int64_t saturatingFloatToInt(double f) {
  if (std::isnan(f))
    return 0;
  if (f >= 9.2233720368547758e18)
    return std::numeric_limits<int64_t>::max();
  if (f <= -9.2233720368547758e18)
    return std::numeric_limits<int64_t>::min();
  return static_cast<int64_t>(f);
}

Error convertCast(Importer &im, const onnx::NodeProto &node) {
  Expected<Type> to = im.elementType(attrInt(node, "to", 0),
                                     "Cast node '" + node.name() + "' target");
  if (!to)
    return to.takeError();
  // 8-bit float targets round and saturate in the lowering, not here.
  bool toFloat8 = isa<FloatType>(*to) && to->getIntOrFloatBitWidth() == 8;
  // Host ints are signed int64: unsigned sources convert at run time.
  if (allHost(im, node) && !toFloat8 &&
      !hostOf(im, node, 0)->elementType.isUnsignedInteger()) {
    HostTensor h = *hostOf(im, node, 0);
    HostTensor out;
    out.elementType = *to;
    out.shape = h.shape;
    bool toFloat = isa<FloatType>(*to);
    if (h.isFloat() && toFloat) {
      out.floats = h.floats;
    } else if (h.isFloat()) {
      for (double f : h.floats)
        out.ints.push_back(
            {to->isInteger(1) ? (f != 0) : saturatingFloatToInt(f), {}});
    } else if (toFloat && h.allStatic()) {
      for (const IntElem &e : h.ints)
        out.floats.push_back(static_cast<double>(e.value));
    } else if (!toFloat) {
      out.ints = h.ints;
      if (to->isInteger(1))
        for (IntElem &e : out.ints)
          if (e.isStatic())
            e.value = e.value != 0;
    }
    if (out.numElements() ==
        static_cast<int64_t>(out.isFloat() ? out.floats.size() : out.ints.size())) {
      im.setResult(node, 0, ImportedValue{Value(), out});
      return Error::success();
    }
  }
  Expected<Value> x = im.tensorOperand(node, 0);
  if (!x)
    return x.takeError();
  im.setTensor(node, 0, im.castTo(*x, *to, attrInt(node, "saturate", 1) != 0));
  return Error::success();
}

Error convertWhere(Importer &im, const onnx::NodeProto &node) {
  if (allHost(im, node)) {
    const HostTensor *c = hostOf(im, node, 0), *x = hostOf(im, node, 1),
                     *y = hostOf(im, node, 2);
    if (c->allStatic() && x->elementType == y->elementType) {
      auto r = hostBroadcast(
          {c, x, y}, x->elementType,
          [](ArrayRef<IntElem> a) -> std::optional<IntElem> {
            return a[0].value ? a[1] : a[2];
          },
          [](ArrayRef<double> a) { return a[0] != 0 ? a[1] : a[2]; });
      if (r) {
        im.setResult(node, 0, ImportedValue{Value(), std::move(*r)});
        return Error::success();
      }
    }
  }
  Expected<Value> c = im.tensorOperand(node, 0);
  if (!c)
    return c.takeError();
  Expected<Value> x = im.tensorOperand(node, 1);
  if (!x)
    return x.takeError();
  Expected<Value> y = im.tensorOperand(node, 2);
  if (!y)
    return y.takeError();
  if (typeOf(*x).getElementType() != typeOf(*y).getElementType())
    return im.nodeError(node, "X and Y element types differ");
  Value cond = im.castTo(*c, im.b.getI1Type());
  auto shape = tsr::broadcastShapes(
      {typeOf(cond).getShape(), typeOf(*x).getShape(), typeOf(*y).getShape()});
  if (!shape)
    return im.nodeError(node, "operand shapes do not broadcast");
  im.setTensor(node, 0,
               tsr::SelectOp::create(
                   im.b, im.loc,
                   RankedTensorType::get(*shape, typeOf(*x).getElementType()),
                   cond, *x, *y));
  return Error::success();
}

} // namespace

void registerElementwiseConverters(ConverterTable &m) {
  for (const char *op : {"Add", "Sub", "Mul", "Div", "Pow", "Max", "Min",
                         "And", "Or"})
    m[op] = convertBinary;
  for (const char *op : {"Equal", "Less", "Greater", "LessOrEqual",
                         "GreaterOrEqual"})
    m[op] = convertCompare;
  for (const char *op : {"Neg", "Abs", "Sqrt", "Exp", "Log", "Erf", "Tanh",
                         "Sigmoid", "Relu", "Reciprocal", "Not"})
    m[op] = convertUnary;
  m["Cast"] = convertCast;
  m["Where"] = convertWhere;
  for (const char *op : {"Floor", "Ceil", "Round", "Sin", "Cos", "Tan", "Asin",
                         "Acos", "Atan", "Sinh", "Cosh", "Asinh", "Acosh",
                         "Atanh"})
    m[op] = convertMathUnary;
  for (const char *op : {"LeakyRelu", "PRelu", "ThresholdedRelu", "Elu", "Selu",
                         "Celu", "HardSigmoid", "HardSwish", "Softplus", "Mish",
                         "Softsign", "Swish", "Shrink"})
    m[op] = convertActivation;
  for (const char *op : {"Xor", "BitwiseAnd", "BitwiseOr", "BitwiseXor",
                         "BitwiseNot"})
    m[op] = convertLogical;
  m["IsNaN"] = convertIsNaNOrInf;
  m["IsInf"] = convertIsNaNOrInf;
  m["Gelu"] = convertGelu;
  m["Sign"] = convertSign;
  m["Clip"] = convertClip;
  m["Mod"] = convertMod;
  m["Max"] = variadic(convertBinary, "Max", false);
  m["Min"] = variadic(convertBinary, "Min", false);
  m["Sum"] = variadic(nullptr, "Add", false);
  m["Mean"] = variadic(nullptr, "Add", true);
  m["Pow"] = integerPow(convertBinary);
  m["Not"] = foldNot(convertUnary);
}

Error checkOperandTypes(Importer &im, const onnx::NodeProto &node) {
  // Ops that only move or select elements handle any element type.
  static const llvm::StringSet<> dataMovement = {
      "Identity", "Reshape", "Flatten", "Transpose", "Squeeze", "Unsqueeze",
      "Concat",   "Slice",   "Split",   "Gather",    "Expand",  "Shape",
      "Size",     "Tile",    "Dropout", "Constant"};
  // Elementwise ops whose lowering picks the unsigned arith ops (divui,
  // cmpi ult, maxui, uitofp, ...) for unsigned operands.
  static const llvm::StringSet<> unsignedAware = {
      "Add",        "Sub",       "Mul",        "Div",
      "Mod",        "Max",       "Min",        "Equal",
      "Less",       "LessOrEqual", "Greater",  "GreaterOrEqual",
      "BitwiseAnd", "BitwiseOr", "BitwiseXor", "BitwiseNot",
      "Cast",       "CastLike",  "Pow",        "Where",
      "And",        "Or"}; // And/Or: what the Bitwise ops build
  // The quantization ops check their own types (OnnxQuantizeOps.cpp).
  static const llvm::StringSet<> quantization = {
      "QuantizeLinear", "DequantizeLinear", "DynamicQuantizeLinear",
      "MatMulInteger", "QLinearMatMul", "MatMulNBits"};
  if (dataMovement.contains(node.op_type()) ||
      unsignedAware.contains(node.op_type()) ||
      quantization.contains(node.op_type()))
    return Error::success();
  for (int i = 0; i < node.input_size(); ++i) {
    if (node.input(i).empty())
      continue;
    auto it = im.values.find(node.input(i));
    if (it == im.values.end())
      continue;
    const ImportedValue &v = it->second;
    Type t = v.tensor ? cast<RankedTensorType>(v.tensor.getType()).getElementType()
                      : v.host->elementType;
    if (t.isUnsignedInteger()) {
      std::string s;
      llvm::raw_string_ostream os(s);
      os << t;
      return im.nodeError(node, "unsupported element type " + s + " (input " +
                                    llvm::Twine(i) + ") for " +
                                    node.op_type() +
                                    ": unsigned integers only move through "
                                    "data-movement ops");
    }
  }
  return Error::success();
}

} // namespace tessera::onnx_import
