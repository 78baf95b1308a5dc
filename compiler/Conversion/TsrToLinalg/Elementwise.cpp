//===- Elementwise.cpp - Elementwise tsr ops to linalg.generic ------------===//
//
// Lowers the binary, comparison, select, unary, activation and cast ops to
// broadcasting linalg.generic ops, and tsr.constant to arith.constant.
//
//===----------------------------------------------------------------------===//

#include "compiler/Conversion/TsrToLinalg/TsrToLinalg.h"
#include "compiler/Conversion/TsrToLinalg/Utils.h"
#include "dialects/tsr/IR/TsrDialect.h"

#include "mlir/Dialect/Math/IR/Math.h"

#include <cmath>

using namespace mlir;
using namespace mlir::tsr;

namespace tessera {
namespace {

/// The unsigned counterpart of a signed integer comparison.
arith::CmpIPredicate toUnsignedPredicate(arith::CmpIPredicate p) {
  switch (p) {
  case arith::CmpIPredicate::slt: return arith::CmpIPredicate::ult;
  case arith::CmpIPredicate::sle: return arith::CmpIPredicate::ule;
  case arith::CmpIPredicate::sgt: return arith::CmpIPredicate::ugt;
  case arith::CmpIPredicate::sge: return arith::CmpIPredicate::uge;
  default: return p;
  }
}

/// `l` and `r` are signless; `isUnsigned` says the op's integers are not.
Value buildBinaryScalar(Operation *op, OpBuilder &b, Location loc, Value l,
                        Value r, bool isUnsigned) {
  bool isFloat = isa<FloatType>(l.getType());
  if (isa<AddOp>(op))
    return isFloat ? arith::AddFOp::create(b, loc, l, r).getResult()
                   : arith::AddIOp::create(b, loc, l, r).getResult();
  if (isa<SubOp>(op))
    return isFloat ? arith::SubFOp::create(b, loc, l, r).getResult()
                   : arith::SubIOp::create(b, loc, l, r).getResult();
  if (isa<MulOp>(op))
    return isFloat ? arith::MulFOp::create(b, loc, l, r).getResult()
                   : arith::MulIOp::create(b, loc, l, r).getResult();
  if (isa<DivOp>(op)) {
    if (isFloat)
      return arith::DivFOp::create(b, loc, l, r);
    return isUnsigned ? arith::DivUIOp::create(b, loc, l, r).getResult()
                      : arith::DivSIOp::create(b, loc, l, r).getResult();
  }
  if (isa<PowOp>(op))
    return isFloat ? math::PowFOp::create(b, loc, l, r).getResult()
                   : math::IPowIOp::create(b, loc, l, r).getResult();
  if (isa<MaxOp>(op))
    return combine(b, loc, Combiner::Max, l, r, isUnsigned);
  if (isa<MinOp>(op))
    return combine(b, loc, Combiner::Min, l, r, isUnsigned);
  if (isa<AndOp>(op))
    return arith::AndIOp::create(b, loc, l, r);
  if (isa<OrOp>(op))
    return arith::OrIOp::create(b, loc, l, r);
  llvm_unreachable("not a binary tsr op");
}

template <typename OpTy>
struct LowerBinary : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;
  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    if (isa<PowOp>(op.getOperation()) &&
        !isa<FloatType>(op.getType().getElementType()))
      return rewriter.notifyMatchFailure(op, "integer pow is not supported");
    if ((isa<AndOp, OrOp>(op.getOperation())) &&
        isa<FloatType>(op.getType().getElementType()))
      return rewriter.notifyMatchFailure(op, "and/or need integers");
    bool isUnsigned = isUnsignedElement(op.getLhs().getType());
    Value r = buildElementwise(
        rewriter, op.getLoc(), op.getType(), {op.getLhs(), op.getRhs()},
        [&](OpBuilder &b, Location loc, ValueRange a) {
          return buildBinaryScalar(op, b, loc, a[0], a[1], isUnsigned);
        });
    rewriter.replaceOp(op, r);
    return success();
  }
};

struct LowerCompare : OpRewritePattern<CompareOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(CompareOp op,
                                PatternRewriter &rewriter) const override {
    bool isFloat = isa<FloatType>(op.getLhs().getType().getElementType());
    bool isUnsigned = isUnsignedElement(op.getLhs().getType());
    CompareKind kind = op.getPredicate();
    Value r = buildElementwise(
        rewriter, op.getLoc(), op.getType(), {op.getLhs(), op.getRhs()},
        [&](OpBuilder &b, Location loc, ValueRange a) -> Value {
          if (isFloat) {
            arith::CmpFPredicate p;
            switch (kind) {
            case CompareKind::eq: p = arith::CmpFPredicate::OEQ; break;
            case CompareKind::ne: p = arith::CmpFPredicate::UNE; break;
            case CompareKind::lt: p = arith::CmpFPredicate::OLT; break;
            case CompareKind::le: p = arith::CmpFPredicate::OLE; break;
            case CompareKind::gt: p = arith::CmpFPredicate::OGT; break;
            case CompareKind::ge: p = arith::CmpFPredicate::OGE; break;
            }
            return arith::CmpFOp::create(b, loc, p, a[0], a[1]);
          }
          arith::CmpIPredicate p;
          switch (kind) {
          case CompareKind::eq: p = arith::CmpIPredicate::eq; break;
          case CompareKind::ne: p = arith::CmpIPredicate::ne; break;
          case CompareKind::lt: p = arith::CmpIPredicate::slt; break;
          case CompareKind::le: p = arith::CmpIPredicate::sle; break;
          case CompareKind::gt: p = arith::CmpIPredicate::sgt; break;
          case CompareKind::ge: p = arith::CmpIPredicate::sge; break;
          }
          if (isUnsigned)
            p = toUnsignedPredicate(p);
          return arith::CmpIOp::create(b, loc, p, a[0], a[1]);
        });
    rewriter.replaceOp(op, r);
    return success();
  }
};

struct LowerSelect : OpRewritePattern<SelectOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(SelectOp op,
                                PatternRewriter &rewriter) const override {
    Value r = buildElementwise(
        rewriter, op.getLoc(), op.getType(),
        {op.getCondition(), op.getOnTrue(), op.getOnFalse()},
        [&](OpBuilder &b, Location loc, ValueRange a) -> Value {
          return arith::SelectOp::create(b, loc, a[0], a[1], a[2]);
        });
    rewriter.replaceOp(op, r);
    return success();
  }
};

Value buildSigmoid(OpBuilder &b, Location loc, Value x) {
  Type t = x.getType();
  Value one = floatConstant(b, loc, t, 1.0);
  Value negX = arith::NegFOp::create(b, loc, x);
  Value e = math::ExpOp::create(b, loc, negX);
  return arith::DivFOp::create(b, loc, one,
                               arith::AddFOp::create(b, loc, one, e));
}

Value buildUnaryScalar(UnaryKind kind, OpBuilder &b, Location loc, Value x) {
  Type t = x.getType();
  bool isFloat = isa<FloatType>(t);
  switch (kind) {
  case UnaryKind::neg:
    if (isFloat)
      return arith::NegFOp::create(b, loc, x);
    return arith::SubIOp::create(
        b, loc, arith::ConstantOp::create(b, loc, b.getIntegerAttr(t, 0)), x);
  case UnaryKind::abs:
    return isFloat ? math::AbsFOp::create(b, loc, x).getResult()
                   : math::AbsIOp::create(b, loc, x).getResult();
  case UnaryKind::sqrt:
    return math::SqrtOp::create(b, loc, x);
  case UnaryKind::rsqrt:
    return math::RsqrtOp::create(b, loc, x);
  case UnaryKind::exp:
    return math::ExpOp::create(b, loc, x);
  case UnaryKind::log:
    return math::LogOp::create(b, loc, x);
  case UnaryKind::erf:
    return math::ErfOp::create(b, loc, x);
  case UnaryKind::tanh:
    return math::TanhOp::create(b, loc, x);
  case UnaryKind::sigmoid:
    return buildSigmoid(b, loc, x);
  case UnaryKind::relu:
    if (isFloat)
      return arith::MaximumFOp::create(b, loc, x, floatConstant(b, loc, t, 0));
    return arith::MaxSIOp::create(
        b, loc, x, arith::ConstantOp::create(b, loc, b.getIntegerAttr(t, 0)));
  case UnaryKind::reciprocal:
    return arith::DivFOp::create(b, loc, floatConstant(b, loc, t, 1.0), x);
  case UnaryKind::kNot:
    return arith::XOrIOp::create(
        b, loc, x, arith::ConstantOp::create(b, loc, b.getBoolAttr(true)));
  case UnaryKind::floor:
    return math::FloorOp::create(b, loc, x);
  case UnaryKind::ceil:
    return math::CeilOp::create(b, loc, x);
  case UnaryKind::round:
    return math::RoundEvenOp::create(b, loc, x);
  case UnaryKind::sin:
    return math::SinOp::create(b, loc, x);
  case UnaryKind::cos:
    return math::CosOp::create(b, loc, x);
  case UnaryKind::tan:
    return math::TanOp::create(b, loc, x);
  case UnaryKind::asin:
    return math::AsinOp::create(b, loc, x);
  case UnaryKind::acos:
    return math::AcosOp::create(b, loc, x);
  case UnaryKind::atan:
    return math::AtanOp::create(b, loc, x);
  case UnaryKind::sinh:
    return math::SinhOp::create(b, loc, x);
  case UnaryKind::cosh:
    return math::CoshOp::create(b, loc, x);
  case UnaryKind::asinh:
    return math::AsinhOp::create(b, loc, x);
  case UnaryKind::acosh:
    return math::AcoshOp::create(b, loc, x);
  case UnaryKind::atanh:
    return math::AtanhOp::create(b, loc, x);
  }
  llvm_unreachable("unknown unary kind");
}

struct LowerUnary : OpRewritePattern<UnaryOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(UnaryOp op,
                                PatternRewriter &rewriter) const override {
    UnaryKind kind = op.getKind();
    Value r = buildElementwise(
        rewriter, op.getLoc(), op.getType(), {op.getInput()},
        [&](OpBuilder &b, Location loc, ValueRange a) {
          return buildUnaryScalar(kind, b, loc, a[0]);
        });
    rewriter.replaceOp(op, r);
    return success();
  }
};

} // namespace

Value buildGeluScalar(OpBuilder &b, Location loc, Value x, bool tanhForm) {
  Type t = x.getType();
  Value half = floatConstant(b, loc, t, 0.5);
  Value one = floatConstant(b, loc, t, 1.0);
  Value inner;
  if (tanhForm) {
    // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
    Value x3 = arith::MulFOp::create(b, loc, x, arith::MulFOp::create(b, loc, x, x));
    Value poly = arith::AddFOp::create(
        b, loc, x,
        arith::MulFOp::create(b, loc, floatConstant(b, loc, t, 0.044715), x3));
    inner = math::TanhOp::create(
        b, loc,
        arith::MulFOp::create(
            b, loc, floatConstant(b, loc, t, std::sqrt(2.0 / M_PI)), poly));
  } else {
    // 0.5 x (1 + erf(x / sqrt(2)))
    inner = math::ErfOp::create(
        b, loc,
        arith::MulFOp::create(b, loc, x,
                              floatConstant(b, loc, t, M_SQRT1_2)));
  }
  Value scaled = arith::MulFOp::create(b, loc, half, x);
  return arith::MulFOp::create(b, loc, scaled,
                               arith::AddFOp::create(b, loc, one, inner));
}

Value buildSiluScalar(OpBuilder &b, Location loc, Value x) {
  return arith::MulFOp::create(b, loc, x, buildSigmoid(b, loc, x));
}

namespace {

struct LowerGelu : OpRewritePattern<GeluOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(GeluOp op,
                                PatternRewriter &rewriter) const override {
    bool tanhForm = op.getApproximation() == GeluApproximation::tanh;
    Value r = buildElementwise(
        rewriter, op.getLoc(), op.getType(), {op.getInput()},
        [&](OpBuilder &b, Location loc, ValueRange a) {
          return buildGeluScalar(b, loc, a[0], tanhForm);
        });
    rewriter.replaceOp(op, r);
    return success();
  }
};

struct LowerSilu : OpRewritePattern<SiluOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(SiluOp op,
                                PatternRewriter &rewriter) const override {
    Value r = buildElementwise(rewriter, op.getLoc(), op.getType(),
                               {op.getInput()},
                               [&](OpBuilder &b, Location loc, ValueRange a) {
                                 return buildSiluScalar(b, loc, a[0]);
                               });
    rewriter.replaceOp(op, r);
    return success();
  }
};

struct LowerCast : OpRewritePattern<CastOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(CastOp op,
                                PatternRewriter &rewriter) const override {
    Type to = op.getType().getElementType();
    bool fromUnsigned = isUnsignedElement(op.getInput().getType());
    bool toUnsigned = isUnsignedElement(to);
    if (toUnsigned) // the body computes on signless integers
      to = IntegerType::get(op.getContext(), to.getIntOrFloatBitWidth());
    Value r = buildElementwise(
        rewriter, op.getLoc(), op.getType(), {op.getInput()},
        [&](OpBuilder &b, Location loc, ValueRange a) {
          return convertScalar(b, loc, a[0], to, fromUnsigned, toUnsigned,
                               op.getSaturate());
        });
    rewriter.replaceOp(op, r);
    return success();
  }
};

struct LowerConstant : OpRewritePattern<ConstantOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ConstantOp op,
                                PatternRewriter &rewriter) const override {
    auto value = dyn_cast<TypedAttr>(op.getValue());
    if (!value)
      return rewriter.notifyMatchFailure(op, "value is not a typed attribute");
    if (isUnsignedElement(op.getType())) {
      // arith.constant takes signless integers only: a signless constant,
      // copied into the unsigned tensor by buildElementwise's casts.
      auto dense = dyn_cast<DenseIntElementsAttr>(value);
      if (!dense)
        return rewriter.notifyMatchFailure(op, "unsigned non-dense constant");
      auto type = cast<RankedTensorType>(op.getType());
      Type signless = IntegerType::get(
          op.getContext(), type.getElementType().getIntOrFloatBitWidth());
      Value c = arith::ConstantOp::create(
          rewriter, op.getLoc(),
          cast<TypedAttr>(dense.bitcast(signless))); // same bits
      Value r = buildElementwise(
          rewriter, op.getLoc(), type, {c},
          [](OpBuilder &, Location, ValueRange a) { return a[0]; });
      rewriter.replaceOp(op, r);
      return success();
    }
    rewriter.replaceOpWithNewOp<arith::ConstantOp>(op, value);
    return success();
  }
};

} // namespace

void populateTsrElementwiseToLinalgPatterns(RewritePatternSet &patterns) {
  MLIRContext *ctx = patterns.getContext();
  patterns.add<LowerBinary<AddOp>, LowerBinary<SubOp>, LowerBinary<MulOp>,
               LowerBinary<DivOp>, LowerBinary<PowOp>, LowerBinary<MaxOp>,
               LowerBinary<MinOp>, LowerBinary<AndOp>, LowerBinary<OrOp>,
               LowerCompare, LowerSelect, LowerUnary, LowerGelu, LowerSilu,
               LowerCast, LowerConstant>(ctx);
}

} // namespace tessera
