//===- DataMovement.cpp - gather, reshape, transpose, ... to linalg -------===//
//
// Lowers the data-movement ops to tensor ops (reshape, extract_slice,
// concat) and to linalg (transpose, broadcasting and gathering generics).
//
//===----------------------------------------------------------------------===//

#include "compiler/Conversion/TsrToLinalg/TsrToLinalg.h"
#include "compiler/Conversion/TsrToLinalg/Utils.h"
#include "dialects/tsr/IR/TsrDialect.h"

#include "mlir/Dialect/Arith/Utils/Utils.h"

using namespace mlir;
using namespace mlir::tsr;

namespace tessera {
namespace {

/// The sizes of `type` taking dynamic dims from `dynamicDims` in order.
SmallVector<OpFoldResult> mixedSizes(OpBuilder &b, RankedTensorType type,
                                     ValueRange dynamicDims) {
  SmallVector<OpFoldResult> sizes;
  unsigned next = 0;
  for (int64_t d = 0; d < type.getRank(); ++d)
    sizes.push_back(type.isDynamicDim(d) ? OpFoldResult(dynamicDims[next++])
                                         : b.getIndexAttr(type.getDimSize(d)));
  return sizes;
}

struct LowerReshape : OpRewritePattern<ReshapeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ReshapeOp op,
                                PatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, buildReshape(rewriter, op.getLoc(), op.getInput(),
                                        op.getType(), op.getDynamicDims()));
    return success();
  }
};

struct LowerTranspose : OpRewritePattern<TransposeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(TransposeOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    SmallVector<OpFoldResult> sizes;
    for (int64_t p : op.getPermutation())
      sizes.push_back(tensor::getMixedSize(rewriter, loc, op.getInput(), p));
    Value init = createEmpty(rewriter, loc, op.getType(), sizes);
    auto t = linalg::TransposeOp::create(rewriter, loc, op.getInput(), init,
                                         op.getPermutation());
    rewriter.replaceOp(op, t->getResult(0));
    return success();
  }
};

struct LowerBroadcast : OpRewritePattern<BroadcastOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(BroadcastOp op,
                                PatternRewriter &rewriter) const override {
    Value r = buildElementwise(
        rewriter, op.getLoc(), op.getType(),
        mixedSizes(rewriter, op.getType(), op.getDynamicDims()),
        {op.getInput()},
        [](OpBuilder &, Location, ValueRange a) { return a[0]; });
    rewriter.replaceOp(op, r);
    return success();
  }
};

struct LowerSlice : OpRewritePattern<SliceOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(SliceOp op,
                                PatternRewriter &rewriter) const override {
    SmallVector<OpFoldResult> offsets;
    unsigned next = 0;
    for (int64_t o : op.getStaticOffsets())
      offsets.push_back(ShapedType::isDynamic(o)
                            ? OpFoldResult(op.getOffsets()[next++])
                            : rewriter.getIndexAttr(o));
    SmallVector<OpFoldResult> strides;
    for (int64_t s : op.getSteps())
      strides.push_back(rewriter.getIndexAttr(s));
    Value r = tensor::ExtractSliceOp::create(
        rewriter, op.getLoc(), op.getType(), op.getInput(), offsets,
        mixedSizes(rewriter, op.getType(), op.getSizes()), strides);
    rewriter.replaceOp(op, r);
    return success();
  }
};

struct LowerConcat : OpRewritePattern<ConcatOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ConcatOp op,
                                PatternRewriter &rewriter) const override {
    rewriter.replaceOpWithNewOp<tensor::ConcatOp>(op, op.getType(),
                                                  op.getAxis(), op.getInputs());
    return success();
  }
};

/// A check tsr-check-indices did not lower (no kernel context to report
/// through): the indices as they are.
struct DropCheckIndices : OpRewritePattern<CheckIndicesOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(CheckIndicesOp op,
                                PatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, op.getIndices());
    return success();
  }
};

struct LowerGather : OpRewritePattern<GatherOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(GatherOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    Value input = op.getInput(), indices = op.getIndices();
    auto inType = cast<RankedTensorType>(input.getType());
    auto idxType = cast<RankedTensorType>(indices.getType());
    RankedTensorType resultType = op.getType();
    int64_t axis = op.getAxis(), idxRank = idxType.getRank();

    SmallVector<OpFoldResult> sizes;
    for (int64_t d = 0; d < axis; ++d)
      sizes.push_back(tensor::getMixedSize(rewriter, loc, input, d));
    for (int64_t d = 0; d < idxRank; ++d)
      sizes.push_back(tensor::getMixedSize(rewriter, loc, indices, d));
    for (int64_t d = axis + 1; d < inType.getRank(); ++d)
      sizes.push_back(tensor::getMixedSize(rewriter, loc, input, d));
    Value init = createEmpty(rewriter, loc, resultType, sizes);
    Value axisSize = getValueOrCreateConstantIndexOp(
        rewriter, loc, tensor::getMixedSize(rewriter, loc, input, axis));

    SmallVector<AffineExpr> idxExprs;
    for (int64_t d = 0; d < idxRank; ++d)
      idxExprs.push_back(getAffineDimExpr(axis + d, ctx));
    SmallVector<AffineMap> maps = {
        AffineMap::get(resultType.getRank(), 0, idxExprs, ctx),
        rewriter.getMultiDimIdentityMap(resultType.getRank())};
    SmallVector<utils::IteratorType> iterators(resultType.getRank(),
                                               utils::IteratorType::parallel);
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{resultType}, ValueRange{indices},
        ValueRange{init}, maps, iterators,
        [&](OpBuilder &b, Location l, ValueRange args) {
          // Negative indices count from the end; anything still out of
          // range is clamped so the load stays in bounds.
          Value idx = arith::IndexCastOp::create(b, l, b.getIndexType(),
                                                 args[0]);
          Value zero = arith::ConstantIndexOp::create(b, l, 0);
          Value isNeg = arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt,
                                              idx, zero);
          idx = arith::SelectOp::create(
              b, l, isNeg, arith::AddIOp::create(b, l, idx, axisSize), idx);
          Value last = arith::SubIOp::create(
              b, l, axisSize, arith::ConstantIndexOp::create(b, l, 1));
          idx = arith::MaxSIOp::create(b, l, idx, zero);
          idx = arith::MinSIOp::create(b, l, idx, last);
          SmallVector<Value> coords;
          for (int64_t d = 0; d < axis; ++d)
            coords.push_back(linalg::IndexOp::create(b, l, d));
          coords.push_back(idx);
          for (int64_t d = axis + 1; d < inType.getRank(); ++d)
            coords.push_back(
                linalg::IndexOp::create(b, l, d - 1 + idxRank));
          Value v = tensor::ExtractOp::create(b, l, input, coords);
          linalg::YieldOp::create(b, l, v);
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

} // namespace

void populateTsrDataMovementToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<LowerReshape, LowerTranspose, LowerBroadcast, LowerSlice,
               LowerConcat, LowerGather, DropCheckIndices>(
      patterns.getContext());
}

} // namespace tessera
