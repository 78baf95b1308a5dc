//===- Utils.cpp - Builders shared by the tsr to linalg patterns ----------===//
//
// Implements the broadcasting generic, reduction and reshape builders of
// Utils.h.
//
//===----------------------------------------------------------------------===//

#include "compiler/Conversion/TsrToLinalg/Utils.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"

#include <cmath>
#include <limits>
#include <optional>

using namespace mlir;

namespace tessera {

AffineMap getBroadcastMap(MLIRContext *ctx, RankedTensorType operand,
                          RankedTensorType result) {
  int64_t lead = result.getRank() - operand.getRank();
  SmallVector<AffineExpr> exprs;
  for (int64_t d = 0; d < operand.getRank(); ++d) {
    if (operand.getDimSize(d) == 1 && result.getDimSize(lead + d) != 1)
      exprs.push_back(getAffineConstantExpr(0, ctx));
    else
      exprs.push_back(getAffineDimExpr(lead + d, ctx));
  }
  return AffineMap::get(result.getRank(), 0, exprs, ctx);
}

SmallVector<OpFoldResult> getBroadcastResultSizes(OpBuilder &b, Location loc,
                                                  RankedTensorType resultType,
                                                  ValueRange operands) {
  SmallVector<OpFoldResult> sizes;
  for (int64_t d = 0; d < resultType.getRank(); ++d) {
    if (!resultType.isDynamicDim(d)) {
      sizes.push_back(b.getIndexAttr(resultType.getDimSize(d)));
      continue;
    }
    OpFoldResult size = b.getIndexAttr(1);
    for (Value v : operands) {
      auto t = cast<RankedTensorType>(v.getType());
      int64_t od = d - (resultType.getRank() - t.getRank());
      if (od < 0 || t.getDimSize(od) == 1)
        continue;
      size = tensor::getMixedSize(b, loc, v, od);
      break;
    }
    sizes.push_back(size);
  }
  return sizes;
}

Value createEmpty(OpBuilder &b, Location loc, RankedTensorType type,
                  ArrayRef<OpFoldResult> sizes) {
  auto empty =
      tensor::EmptyOp::create(b, loc, sizes, type.getElementType());
  if (empty.getType() == type)
    return empty;
  return tensor::CastOp::create(b, loc, type, empty);
}

bool isUnsignedElement(Type type) {
  auto it = dyn_cast<IntegerType>(getElementTypeOrSelf(type));
  return it && it.isUnsigned();
}

/// `v` as a signless integer (through an unrealized cast that the LLVM
/// conversion folds away: both are the same LLVM integer) when `signless`
/// and `v` is unsigned; `v` otherwise.
static Value castIntegerSignedness(OpBuilder &b, Location loc, Value v,
                                   bool signless) {
  auto it = dyn_cast<IntegerType>(v.getType());
  if (!signless || !it || !it.isUnsigned())
    return v;
  Type to = IntegerType::get(b.getContext(), it.getWidth());
  return UnrealizedConversionCastOp::create(b, loc, to, v).getResult(0);
}

Value buildElementwise(OpBuilder &b, Location loc, RankedTensorType resultType,
                       ValueRange operands, BodyBuilder body) {
  return buildElementwise(
      b, loc, resultType,
      getBroadcastResultSizes(b, loc, resultType, operands), operands, body);
}

Value buildElementwise(OpBuilder &b, Location loc, RankedTensorType resultType,
                       ArrayRef<OpFoldResult> sizes, ValueRange operands,
                       BodyBuilder body) {
  MLIRContext *ctx = b.getContext();
  Value init = createEmpty(b, loc, resultType, sizes);
  SmallVector<AffineMap> maps;
  for (Value v : operands)
    maps.push_back(
        getBroadcastMap(ctx, cast<RankedTensorType>(v.getType()), resultType));
  maps.push_back(b.getMultiDimIdentityMap(resultType.getRank()));
  SmallVector<utils::IteratorType> iterators(resultType.getRank(),
                                             utils::IteratorType::parallel);
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{resultType}, operands, ValueRange{init}, maps,
      iterators, [&](OpBuilder &nb, Location nloc, ValueRange args) {
        SmallVector<Value> scalars;
        for (Value a : args.drop_back())
          scalars.push_back(castIntegerSignedness(nb, nloc, a, /*signless=*/true));
        Value r = body(nb, nloc, scalars);
        Type out = resultType.getElementType();
        if (r.getType() != out && isUnsignedElement(out))
          r = UnrealizedConversionCastOp::create(nb, nloc, out, r).getResult(0);
        linalg::YieldOp::create(nb, nloc, r);
      });
  return generic.getResult(0);
}

TypedAttr getNeutralElement(Combiner combiner, Type type) {
  Builder b(type.getContext());
  if (auto ft = dyn_cast<FloatType>(type)) {
    const llvm::fltSemantics &sem = ft.getFloatSemantics();
    switch (combiner) {
    case Combiner::Add:
      return b.getFloatAttr(type, 0.0);
    case Combiner::Mul:
      return b.getFloatAttr(type, 1.0);
    case Combiner::Max:
      return b.getFloatAttr(type, llvm::APFloat::getInf(sem, /*Negative=*/true));
    case Combiner::Min:
      return b.getFloatAttr(type, llvm::APFloat::getInf(sem, /*Negative=*/false));
    }
  }
  unsigned width = type.getIntOrFloatBitWidth();
  switch (combiner) {
  case Combiner::Add:
    return b.getIntegerAttr(type, 0);
  case Combiner::Mul:
    return b.getIntegerAttr(type, 1);
  case Combiner::Max:
    return b.getIntegerAttr(type, llvm::APInt::getSignedMinValue(width));
  case Combiner::Min:
    return b.getIntegerAttr(type, llvm::APInt::getSignedMaxValue(width));
  }
  llvm_unreachable("unknown combiner");
}

Value combine(OpBuilder &b, Location loc, Combiner combiner, Value acc,
              Value x, bool isUnsigned) {
  bool isFloat = isa<FloatType>(acc.getType());
  switch (combiner) {
  case Combiner::Add:
    return isFloat ? arith::AddFOp::create(b, loc, acc, x).getResult()
                   : arith::AddIOp::create(b, loc, acc, x).getResult();
  case Combiner::Mul:
    return isFloat ? arith::MulFOp::create(b, loc, acc, x).getResult()
                   : arith::MulIOp::create(b, loc, acc, x).getResult();
  case Combiner::Max:
    if (isFloat)
      return arith::MaximumFOp::create(b, loc, acc, x);
    return isUnsigned ? arith::MaxUIOp::create(b, loc, acc, x).getResult()
                      : arith::MaxSIOp::create(b, loc, acc, x).getResult();
  case Combiner::Min:
    if (isFloat)
      return arith::MinimumFOp::create(b, loc, acc, x);
    return isUnsigned ? arith::MinUIOp::create(b, loc, acc, x).getResult()
                      : arith::MinSIOp::create(b, loc, acc, x).getResult();
  }
  llvm_unreachable("unknown combiner");
}

Value buildReduction(
    OpBuilder &b, Location loc, Value input, ArrayRef<bool> reduced,
    Combiner combiner,
    function_ref<Value(OpBuilder &, Location, Value)> map) {
  auto inType = cast<RankedTensorType>(input.getType());
  MLIRContext *ctx = b.getContext();
  SmallVector<int64_t> shape;
  SmallVector<OpFoldResult> sizes;
  SmallVector<AffineExpr> outExprs;
  SmallVector<utils::IteratorType> iterators;
  for (int64_t d = 0; d < inType.getRank(); ++d) {
    iterators.push_back(reduced[d] ? utils::IteratorType::reduction
                                   : utils::IteratorType::parallel);
    if (reduced[d])
      continue;
    shape.push_back(inType.getDimSize(d));
    sizes.push_back(tensor::getMixedSize(b, loc, input, d));
    outExprs.push_back(getAffineDimExpr(d, ctx));
  }
  Type elt = inType.getElementType();
  auto outType = RankedTensorType::get(shape, elt);
  Value init = createEmpty(b, loc, outType, sizes);
  Value neutral =
      arith::ConstantOp::create(b, loc, getNeutralElement(combiner, elt));
  init = linalg::FillOp::create(b, loc, ValueRange{neutral}, ValueRange{init})
             .getResult(0);
  SmallVector<AffineMap> maps = {
      b.getMultiDimIdentityMap(inType.getRank()),
      AffineMap::get(inType.getRank(), 0, outExprs, ctx)};
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{outType}, ValueRange{input}, ValueRange{init}, maps,
      iterators, [&](OpBuilder &nb, Location nloc, ValueRange args) {
        Value x = map ? map(nb, nloc, args[0]) : args[0];
        linalg::YieldOp::create(nb, nloc,
                                combine(nb, nloc, combiner, args[1], x));
      });
  return generic.getResult(0);
}

Value countElements(OpBuilder &b, Location loc, Value value,
                    ArrayRef<bool> reduced, Type type) {
  Value count = arith::ConstantIndexOp::create(b, loc, 1);
  for (auto [d, r] : llvm::enumerate(reduced)) {
    if (!r)
      continue;
    Value dim = getValueOrCreateConstantIndexOp(
        b, loc, tensor::getMixedSize(b, loc, value, d));
    count = arith::MulIOp::create(b, loc, count, dim);
  }
  Value asInt = arith::IndexCastOp::create(b, loc, b.getI64Type(), count);
  return arith::SIToFPOp::create(b, loc, type, asInt);
}

Value buildReshape(OpBuilder &b, Location loc, Value value,
                   RankedTensorType resultType, ValueRange dynamicDims) {
  if (value.getType() == resultType && resultType.hasStaticShape())
    return value;
  SmallVector<Value> dims;
  unsigned next = 0;
  for (int64_t d = 0; d < resultType.getRank(); ++d) {
    if (resultType.isDynamicDim(d))
      dims.push_back(dynamicDims[next++]);
    else
      dims.push_back(
          arith::ConstantIndexOp::create(b, loc, resultType.getDimSize(d)));
  }
  auto shapeType =
      RankedTensorType::get({resultType.getRank()}, b.getIndexType());
  Value shape = tensor::FromElementsOp::create(b, loc, shapeType, dims);
  return tensor::ReshapeOp::create(b, loc, resultType, value, shape);
}

namespace {
/// The layout of an 8- or 4-bit float: exponent and mantissa bits, bias,
/// and how it spells the special values.
struct Float8Layout {
  // FN: no inf; FNUZ: no inf, no -0; IEEE: inf and NaN; Finite (f4E2M1FN):
  // neither, NaN becomes -0 and everything else saturates (as ml_dtypes).
  enum Kind { FN, FNUZ, IEEE, Finite } kind;
  int64_t expBits, manBits, bias;
  int64_t maxBits; // the largest finite magnitude
  int64_t nanBits; // FN and IEEE: ORed with the sign; FNUZ: 0x80 as is
  int64_t width() const { return 1 + expBits + manBits; }
  int64_t signBit() const { return int64_t(1) << (width() - 1); }
};
} // namespace

static std::optional<Float8Layout> float8Layout(Type t) {
  if (isa<Float8E4M3FNType>(t))
    return Float8Layout{Float8Layout::FN, 4, 3, 7, 0x7E, 0x7F};
  if (isa<Float8E4M3FNUZType>(t))
    return Float8Layout{Float8Layout::FNUZ, 4, 3, 8, 0x7F, 0x80};
  if (isa<Float8E5M2Type>(t))
    return Float8Layout{Float8Layout::IEEE, 5, 2, 15, 0x7B, 0x7F};
  if (isa<Float8E5M2FNUZType>(t))
    return Float8Layout{Float8Layout::FNUZ, 5, 2, 16, 0x7F, 0x80};
  if (isa<Float4E2M1FNType>(t))
    return Float8Layout{Float8Layout::Finite, 2, 1, 1, 0x7, 0x8};
  return std::nullopt;
}

/// f32 `x` to the bits (i8) of the 8-bit float `f`: round to nearest even;
/// out of range (infinities included) saturates or becomes inf/NaN.
static Value encodeFloat8(OpBuilder &b, Location loc, Value x,
                          const Float8Layout &f, bool saturate) {
  Type i32 = b.getI32Type();
  auto c = [&](int64_t v) {
    return arith::ConstantOp::create(b, loc, b.getIntegerAttr(i32, v));
  };
  using P = arith::CmpIPredicate;
  auto cmp = [&](P p, Value l, Value r) {
    return arith::CmpIOp::create(b, loc, p, l, r);
  };
  auto sel = [&](Value cond, Value t, Value e) {
    return arith::SelectOp::create(b, loc, cond, t, e);
  };
  Value u = arith::BitcastOp::create(b, loc, i32, x);
  Value sign = arith::AndIOp::create(
      b, loc, arith::ShRUIOp::create(b, loc, u, c(32 - f.width())),
      c(f.signBit()));
  Value a = arith::AndIOp::create(b, loc, u, c(0x7FFFFFFF));
  Value isNaN = cmp(P::ugt, a, c(0x7F800000));
  Value isInf = cmp(P::eq, a, c(0x7F800000));
  Value tiny = cmp(P::ult, a, c(0x00800000)); // zero or f32-subnormal: 0
  Value e = arith::AddIOp::create(b, loc, arith::ShRUIOp::create(b, loc, a, c(23)),
                                  c(f.bias - 127));
  Value m24 = arith::OrIOp::create(
      b, loc, arith::AndIOp::create(b, loc, a, c(0x7FFFFF)), c(0x800000));
  Value eC = arith::MaxSIOp::create(b, loc, e, c(1));
  Value shift = arith::AddIOp::create(
      b, loc, c(23 - f.manBits), arith::SubIOp::create(b, loc, eC, e));
  shift = arith::MinSIOp::create(b, loc, shift, c(31));
  Value v = arith::AddIOp::create(
      b, loc,
      arith::ShLIOp::create(b, loc, arith::SubIOp::create(b, loc, eC, c(1)),
                            c(f.manBits)),
      arith::ShRUIOp::create(b, loc, m24, shift));
  Value one = c(1);
  Value rem = arith::AndIOp::create(
      b, loc, m24,
      arith::SubIOp::create(b, loc, arith::ShLIOp::create(b, loc, one, shift),
                            one));
  Value half = arith::ShLIOp::create(
      b, loc, one, arith::SubIOp::create(b, loc, shift, one));
  Value odd = cmp(P::ne, arith::AndIOp::create(b, loc, v, one), c(0));
  Value up = arith::OrIOp::create(
      b, loc, cmp(P::ugt, rem, half),
      arith::AndIOp::create(b, loc, cmp(P::eq, rem, half), odd));
  v = arith::AddIOp::create(b, loc, v, arith::ExtUIOp::create(b, loc, i32, up));
  v = sel(tiny, c(0), v);
  Value overflow =
      arith::OrIOp::create(b, loc, cmp(P::ugt, v, c(f.maxBits)), isInf);
  if (f.kind == Float8Layout::Finite)
    saturate = true;
  int64_t overflowBits = saturate ? f.maxBits
                         : f.kind == Float8Layout::IEEE ? 0x7C
                                                        : f.nanBits;
  v = sel(overflow, c(overflowBits), v);
  Value signed_;
  if (f.kind == Float8Layout::FNUZ) {
    // No negative zero; NaN is 0x80 itself.
    Value keep = arith::AndIOp::create(b, loc, cmp(P::ne, v, c(0)),
                                       cmp(P::ne, v, c(0x80)));
    signed_ = sel(keep, arith::OrIOp::create(b, loc, v, sign), v);
    signed_ = sel(isNaN, c(0x80), signed_);
  } else if (f.kind == Float8Layout::Finite) {
    signed_ = sel(isNaN, c(f.nanBits), arith::OrIOp::create(b, loc, v, sign));
  } else {
    signed_ = arith::OrIOp::create(b, loc, sel(isNaN, c(f.nanBits), v), sign);
  }
  return arith::TruncIOp::create(b, loc, b.getIntegerType(f.width()), signed_);
}

/// The bits (i8) of an 8-bit float `f` to f32 (exact).
static Value decodeFloat8(OpBuilder &b, Location loc, Value bits,
                          const Float8Layout &f) {
  Type i32 = b.getI32Type(), f32 = b.getF32Type();
  auto c = [&](int64_t v) {
    return arith::ConstantOp::create(b, loc, b.getIntegerAttr(i32, v));
  };
  using P = arith::CmpIPredicate;
  auto cmp = [&](P p, Value l, Value r) {
    return arith::CmpIOp::create(b, loc, p, l, r);
  };
  auto sel = [&](Value cond, Value t, Value e) {
    return arith::SelectOp::create(b, loc, cond, t, e);
  };
  Value u = arith::ExtUIOp::create(b, loc, i32, bits);
  Value sign = arith::ShLIOp::create(
      b, loc, arith::AndIOp::create(b, loc, u, c(f.signBit())),
      c(32 - f.width()));
  int64_t expMask = (int64_t(1) << f.expBits) - 1;
  Value ex = arith::AndIOp::create(
      b, loc, arith::ShRUIOp::create(b, loc, u, c(f.manBits)), c(expMask));
  Value mt = arith::AndIOp::create(b, loc, u, c((int64_t(1) << f.manBits) - 1));
  Value normal = arith::OrIOp::create(
      b, loc,
      arith::ShLIOp::create(b, loc,
                            arith::AddIOp::create(b, loc, ex, c(127 - f.bias)),
                            c(23)),
      arith::ShLIOp::create(b, loc, mt, c(23 - f.manBits)));
  Value subnormal = arith::MulFOp::create(
      b, loc, arith::UIToFPOp::create(b, loc, f32, mt),
      floatConstant(b, loc, f32, std::ldexp(1.0, 1 - f.bias - f.manBits)));
  Value mag = sel(cmp(P::eq, ex, c(0)),
                  arith::BitcastOp::create(b, loc, i32, subnormal), normal);
  Value r = arith::OrIOp::create(b, loc, mag, sign);
  Value nan = c(0x7FC00000);
  switch (f.kind) {
  case Float8Layout::FN:
    r = sel(cmp(P::eq, arith::AndIOp::create(b, loc, u, c(0x7F)), c(0x7F)),
            nan, r);
    break;
  case Float8Layout::FNUZ:
    r = sel(cmp(P::eq, u, c(0x80)), nan, r);
    break;
  case Float8Layout::IEEE: {
    Value top = cmp(P::eq, ex, c(expMask));
    Value inf = arith::OrIOp::create(b, loc, c(0x7F800000), sign);
    r = sel(top, sel(cmp(P::eq, mt, c(0)), inf, nan), r);
    break;
  }
  case Float8Layout::Finite:
    break;
  }
  return arith::BitcastOp::create(b, loc, f32, r);
}

Value convertScalar(OpBuilder &b, Location loc, Value x, Type type,
                    bool fromUnsigned, bool toUnsigned, bool saturate) {
  Type from = x.getType();
  if (from == type)
    return x;
  if (std::optional<Float8Layout> f = float8Layout(from)) {
    Value bits =
        arith::BitcastOp::create(b, loc, b.getIntegerType(f->width()), x);
    return convertScalar(b, loc, decodeFloat8(b, loc, bits, *f), type,
                         /*fromUnsigned=*/false, toUnsigned, saturate);
  }
  if (std::optional<Float8Layout> f = float8Layout(type)) {
    Value x32 = convertScalar(b, loc, x, b.getF32Type(), fromUnsigned);
    Value bits = encodeFloat8(b, loc, x32, *f, saturate);
    return arith::BitcastOp::create(b, loc, type, bits);
  }
  auto fromFloat = dyn_cast<FloatType>(from);
  auto toFloat = dyn_cast<FloatType>(type);
  if (fromFloat && toFloat) {
    if (fromFloat.getWidth() < toFloat.getWidth())
      return arith::ExtFOp::create(b, loc, type, x);
    return arith::TruncFOp::create(b, loc, type, x);
  }
  if (fromFloat) {
    if (type.isInteger(1)) {
      Value zero = arith::ConstantOp::create(b, loc, b.getFloatAttr(from, 0));
      return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNE, x, zero);
    }
    if (type.getIntOrFloatBitWidth() < 8) {
      // 4-bit integers wrap (as ONNX's reference does): via i32.
      Value wide = arith::FPToSIOp::create(b, loc, b.getI32Type(), x);
      return arith::TruncIOp::create(b, loc, type, wide);
    }
    if (toUnsigned)
      return arith::FPToUIOp::create(b, loc, type, x);
    return arith::FPToSIOp::create(b, loc, type, x);
  }
  if (toFloat) {
    if (from.isInteger(1) || fromUnsigned)
      return arith::UIToFPOp::create(b, loc, type, x);
    return arith::SIToFPOp::create(b, loc, type, x);
  }
  unsigned fw = from.getIntOrFloatBitWidth(), tw = type.getIntOrFloatBitWidth();
  if (tw == 1) {
    Value zero = arith::ConstantOp::create(b, loc, b.getIntegerAttr(from, 0));
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, x, zero);
  }
  if (fw == tw)
    return x; // a change of signedness only
  if (fw == 1 || (fromUnsigned && fw < tw))
    return arith::ExtUIOp::create(b, loc, type, x);
  if (fw < tw)
    return arith::ExtSIOp::create(b, loc, type, x);
  return arith::TruncIOp::create(b, loc, type, x);
}

Value floatConstant(OpBuilder &b, Location loc, Type type, double value) {
  return arith::ConstantOp::create(b, loc, b.getFloatAttr(type, value));
}

} // namespace tessera
