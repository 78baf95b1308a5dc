//===- Normalization.cpp - softmax, norms, reduce, cumsum to linalg -------===//
//
// Lowers the normalizations to reductions followed by one elementwise pass:
// softmax subtracts the row max before exponentiating (so large logits do
// not overflow), layer_norm computes the variance around the mean (two
// passes, not E[x^2] - E[x]^2, which cancels catastrophically).
//
//===----------------------------------------------------------------------===//

#include "compiler/Conversion/TsrToLinalg/TsrToLinalg.h"
#include "compiler/Conversion/TsrToLinalg/Utils.h"
#include "dialects/tsr/IR/TsrDialect.h"

#include "mlir/Dialect/Math/IR/Math.h"

using namespace mlir;
using namespace mlir::tsr;

namespace tessera {
namespace {

/// The map from the full iteration space (rank `rank`) to a tensor that
/// drops the dims marked in `reduced`.
AffineMap droppedDimsMap(MLIRContext *ctx, int64_t rank,
                         ArrayRef<bool> reduced) {
  SmallVector<AffineExpr> exprs;
  for (int64_t d = 0; d < rank; ++d)
    if (!reduced[d])
      exprs.push_back(getAffineDimExpr(d, ctx));
  return AffineMap::get(rank, 0, exprs, ctx);
}

/// The map to a tensor holding only the dims marked in `kept`.
AffineMap keptDimsMap(MLIRContext *ctx, int64_t rank, ArrayRef<bool> kept) {
  SmallVector<AffineExpr> exprs;
  for (int64_t d = 0; d < rank; ++d)
    if (kept[d])
      exprs.push_back(getAffineDimExpr(d, ctx));
  return AffineMap::get(rank, 0, exprs, ctx);
}

/// An all-parallel generic over the shape of `like` whose operands use the
/// given maps.
Value buildMappedElementwise(OpBuilder &b, Location loc, Value like,
                             ValueRange operands, ArrayRef<AffineMap> maps,
                             BodyBuilder body) {
  auto type = cast<RankedTensorType>(like.getType());
  SmallVector<OpFoldResult> sizes;
  for (int64_t d = 0; d < type.getRank(); ++d)
    sizes.push_back(tensor::getMixedSize(b, loc, like, d));
  Value init = createEmpty(b, loc, type, sizes);
  SmallVector<AffineMap> allMaps(maps);
  allMaps.push_back(b.getMultiDimIdentityMap(type.getRank()));
  SmallVector<utils::IteratorType> iterators(type.getRank(),
                                             utils::IteratorType::parallel);
  return linalg::GenericOp::create(
             b, loc, TypeRange{type}, operands, ValueRange{init}, allMaps,
             iterators,
             [&](OpBuilder &nb, Location nloc, ValueRange args) {
               linalg::YieldOp::create(nb, nloc,
                                       body(nb, nloc, args.drop_back()));
             })
      .getResult(0);
}

struct LowerSoftmax : OpRewritePattern<SoftmaxOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(SoftmaxOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    Value x = op.getInput();
    int64_t rank = op.getType().getRank();
    SmallVector<bool> reduced(rank, false);
    reduced[op.getAxis()] = true;
    AffineMap identity = rewriter.getMultiDimIdentityMap(rank);
    AffineMap rowMap = droppedDimsMap(ctx, rank, reduced);

    Value max = buildReduction(rewriter, loc, x, reduced, Combiner::Max);
    Value exps = buildMappedElementwise(
        rewriter, loc, x, {x, max}, {identity, rowMap},
        [](OpBuilder &b, Location l, ValueRange a) -> Value {
          return math::ExpOp::create(b, l,
                                     arith::SubFOp::create(b, l, a[0], a[1]));
        });
    Value sum = buildReduction(rewriter, loc, exps, reduced, Combiner::Add);
    Value result = buildMappedElementwise(
        rewriter, loc, x, {exps, sum}, {identity, rowMap},
        [](OpBuilder &b, Location l, ValueRange a) -> Value {
          return arith::DivFOp::create(b, l, a[0], a[1]);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct LowerLayerNorm : OpRewritePattern<LayerNormOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(LayerNormOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    RankedTensorType type = op.getType();
    Type elt = type.getElementType();
    int64_t rank = type.getRank();
    Value x = op.getInput();
    if (Value residual = op.getResidual())
      x = buildElementwise(rewriter, loc, type, {x, residual},
                           [](OpBuilder &b, Location l, ValueRange a) {
                             return combine(b, l, Combiner::Add, a[0], a[1]);
                           });
    SmallVector<bool> reduced(rank, false);
    for (int64_t d = op.getAxis(); d < rank; ++d)
      reduced[d] = true;
    AffineMap identity = rewriter.getMultiDimIdentityMap(rank);
    AffineMap rowMap = droppedDimsMap(ctx, rank, reduced);
    AffineMap paramMap = keptDimsMap(ctx, rank, reduced);

    Value count = countElements(rewriter, loc, x, reduced, elt);
    Value sum = buildReduction(rewriter, loc, x, reduced, Combiner::Add);
    Value mean = buildElementwise(
        rewriter, loc, cast<RankedTensorType>(sum.getType()), {sum},
        [&](OpBuilder &b, Location l, ValueRange a) -> Value {
          return arith::DivFOp::create(b, l, a[0], count);
        });
    // Sum of squared deviations, computed in one generic over x and mean.
    auto rowType = cast<RankedTensorType>(mean.getType());
    SmallVector<OpFoldResult> rowSizes;
    for (int64_t d = 0; d < rank; ++d)
      if (!reduced[d])
        rowSizes.push_back(tensor::getMixedSize(rewriter, loc, x, d));
    Value sqInit = createEmpty(rewriter, loc, rowType, rowSizes);
    Value zero = floatConstant(rewriter, loc, elt, 0.0);
    sqInit = linalg::FillOp::create(rewriter, loc, ValueRange{zero},
                                    ValueRange{sqInit})
                 .getResult(0);
    SmallVector<utils::IteratorType> iterators;
    for (int64_t d = 0; d < rank; ++d)
      iterators.push_back(reduced[d] ? utils::IteratorType::reduction
                                     : utils::IteratorType::parallel);
    Value sqSum =
        linalg::GenericOp::create(
            rewriter, loc, TypeRange{rowType}, ValueRange{x, mean},
            ValueRange{sqInit},
            SmallVector<AffineMap>{identity, rowMap, rowMap}, iterators,
            [](OpBuilder &b, Location l, ValueRange a) {
              Value dev = arith::SubFOp::create(b, l, a[0], a[1]);
              Value sq = arith::MulFOp::create(b, l, dev, dev);
              Value acc = arith::AddFOp::create(b, l, a[2], sq);
              linalg::YieldOp::create(b, l, acc);
            })
            .getResult(0);

    Value eps =
        floatConstant(rewriter, loc, elt, op.getEpsilon().convertToDouble());
    SmallVector<Value> operands = {x, mean, sqSum, op.getScale()};
    SmallVector<AffineMap> maps = {identity, rowMap, rowMap, paramMap};
    if (Value bias = op.getBias()) {
      operands.push_back(bias);
      maps.push_back(paramMap);
    }
    bool hasBias = static_cast<bool>(op.getBias());
    Value result = buildMappedElementwise(
        rewriter, loc, x, operands, maps,
        [&](OpBuilder &b, Location l, ValueRange a) -> Value {
          Value var = arith::DivFOp::create(b, l, a[2], count);
          Value inv = math::RsqrtOp::create(
              b, l, arith::AddFOp::create(b, l, var, eps));
          Value norm = arith::MulFOp::create(
              b, l, arith::SubFOp::create(b, l, a[0], a[1]), inv);
          Value y = arith::MulFOp::create(b, l, norm, a[3]);
          if (hasBias)
            y = arith::AddFOp::create(b, l, y, a[4]);
          return y;
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// rms_norm: one reduction (the sum of squares per row), then one
/// elementwise pass x / sqrt(sum / n + eps) * scale.
struct LowerRmsNorm : OpRewritePattern<RmsNormOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(RmsNormOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    Value x = op.getInput();
    Type elt = op.getType().getElementType();
    int64_t rank = op.getType().getRank();
    SmallVector<bool> reduced(rank, false);
    for (int64_t d = op.getAxis(); d < rank; ++d)
      reduced[d] = true;
    Value count = countElements(rewriter, loc, x, reduced, elt);
    Value sqSum = buildReduction(
        rewriter, loc, x, reduced, Combiner::Add,
        [](OpBuilder &b, Location l, Value v) -> Value {
          return arith::MulFOp::create(b, l, v, v);
        });
    Value eps =
        floatConstant(rewriter, loc, elt, op.getEpsilon().convertToDouble());
    Value result = buildMappedElementwise(
        rewriter, loc, x, {x, sqSum, op.getScale()},
        {rewriter.getMultiDimIdentityMap(rank),
         droppedDimsMap(ctx, rank, reduced), keptDimsMap(ctx, rank, reduced)},
        [&](OpBuilder &b, Location l, ValueRange a) -> Value {
          Value ms = arith::DivFOp::create(b, l, a[1], count);
          Value rms =
              math::SqrtOp::create(b, l, arith::AddFOp::create(b, l, ms, eps));
          Value y = arith::DivFOp::create(b, l, a[0], rms);
          return arith::MulFOp::create(b, l, y, a[2]);
        });
    if (result.getType() != op.getType())
      result = tensor::CastOp::create(rewriter, loc, op.getType(), result);
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct LowerReduce : OpRewritePattern<ReduceOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ReduceOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = op.getInput();
    auto inType = cast<RankedTensorType>(x.getType());
    Type elt = inType.getElementType();
    SmallVector<bool> reduced(inType.getRank(), false);
    for (int64_t a : op.getAxes())
      reduced[a] = true;
    Combiner combiner;
    switch (op.getKind()) {
    case ReduceKind::sum:
    case ReduceKind::mean:
      combiner = Combiner::Add;
      break;
    case ReduceKind::max:
      combiner = Combiner::Max;
      break;
    case ReduceKind::min:
      combiner = Combiner::Min;
      break;
    case ReduceKind::prod:
      combiner = Combiner::Mul;
      break;
    }
    if (op.getKind() == ReduceKind::mean && !isa<FloatType>(elt))
      return rewriter.notifyMatchFailure(op, "mean needs a float tensor");
    Value r = buildReduction(rewriter, loc, x, reduced, combiner);
    auto rType = cast<RankedTensorType>(r.getType());
    if (op.getKind() == ReduceKind::mean) {
      Value count = countElements(rewriter, loc, x, reduced, elt);
      r = buildElementwise(rewriter, loc, rType, {r},
                           [&](OpBuilder &b, Location l, ValueRange a) -> Value {
                             return arith::DivFOp::create(b, l, a[0], count);
                           });
    }
    if (op.getKeepDims()) {
      SmallVector<Value> dynamicDims;
      for (int64_t d = 0; d < inType.getRank(); ++d)
        if (!reduced[d] && inType.isDynamicDim(d))
          dynamicDims.push_back(tensor::DimOp::create(rewriter, loc, x, d));
      r = buildReshape(rewriter, loc, r, op.getType(), dynamicDims);
    } else if (r.getType() != op.getType()) {
      r = tensor::CastOp::create(rewriter, loc, op.getType(), r);
    }
    rewriter.replaceOp(op, r);
    return success();
  }
};

/// cumsum as one generic with an extra reduction dim `j` over the source
/// position along the axis: out[.., i, ..] = sum over j of (j in range(i)) ?
/// x[.., j, ..] : 0. Quadratic in the axis length, which suits what
/// exporters sum (position ids, masks, iotas); it vectorizes and needs no
/// loop-carried state.
struct LowerCumsum : OpRewritePattern<CumsumOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(CumsumOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    Value x = op.getInput();
    RankedTensorType type = op.getType();
    int64_t rank = type.getRank(), axis = op.getAxisAttr().getInt();
    Type elt = type.getElementType();
    SmallVector<OpFoldResult> sizes;
    for (int64_t d = 0; d < rank; ++d)
      sizes.push_back(tensor::getMixedSize(rewriter, loc, x, d));
    Value zero = arith::ConstantOp::create(
        rewriter, loc, getNeutralElement(Combiner::Add, elt));
    Value init = linalg::FillOp::create(rewriter, loc, zero,
                                        createEmpty(rewriter, loc, type, sizes))
                     .getResult(0);
    SmallVector<AffineExpr> inExprs, outExprs;
    for (int64_t d = 0; d < rank; ++d) {
      outExprs.push_back(getAffineDimExpr(d, ctx));
      inExprs.push_back(getAffineDimExpr(d == axis ? rank : d, ctx));
    }
    SmallVector<AffineMap> maps = {AffineMap::get(rank + 1, 0, inExprs, ctx),
                                   AffineMap::get(rank + 1, 0, outExprs, ctx)};
    SmallVector<utils::IteratorType> iterators(rank,
                                               utils::IteratorType::parallel);
    iterators.push_back(utils::IteratorType::reduction);
    arith::CmpIPredicate pred =
        op.getReverse()
            ? (op.getExclusive() ? arith::CmpIPredicate::sgt
                                 : arith::CmpIPredicate::sge)
            : (op.getExclusive() ? arith::CmpIPredicate::slt
                                 : arith::CmpIPredicate::sle);
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{type}, ValueRange{x}, ValueRange{init}, maps,
        iterators, [&](OpBuilder &b, Location l, ValueRange args) {
          Value i = linalg::IndexOp::create(b, l, axis);
          Value j = linalg::IndexOp::create(b, l, rank);
          Value in = arith::CmpIOp::create(b, l, pred, j, i);
          Value z = arith::ConstantOp::create(
              b, l, getNeutralElement(Combiner::Add, elt));
          Value term = arith::SelectOp::create(b, l, in, args[0], z);
          linalg::YieldOp::create(
              b, l, combine(b, l, Combiner::Add, args[1], term));
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

} // namespace

void populateTsrNormalizationToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<LowerSoftmax, LowerLayerNorm, LowerRmsNorm, LowerReduce,
               LowerCumsum>(
      patterns.getContext());
}

} // namespace tessera
