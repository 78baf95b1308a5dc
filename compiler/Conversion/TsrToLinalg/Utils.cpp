//===- Utils.cpp - Builders shared by the tsr to linalg patterns ----------===//
//
// Implements the broadcasting generic, reduction and reshape builders of
// Utils.h.
//
//===----------------------------------------------------------------------===//

#include "compiler/Conversion/TsrToLinalg/Utils.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"

#include <limits>

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

Value convertScalar(OpBuilder &b, Location loc, Value x, Type type,
                    bool fromUnsigned, bool toUnsigned) {
  Type from = x.getType();
  if (from == type)
    return x;
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
