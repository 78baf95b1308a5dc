//===- Matmul.cpp - tsr.matmul and tsr.linear to linalg -------------------===//
//
// Lowers the contractions to linalg.generic with broadcasting batch maps and
// transposes folded into the indexing maps; tsr.linear's bias initializes
// the accumulator and its epilogue becomes an elementwise generic.
//
//===----------------------------------------------------------------------===//

#include "compiler/Conversion/TsrToLinalg/TsrToLinalg.h"
#include "compiler/Conversion/TsrToLinalg/Utils.h"
#include "dialects/tsr/IR/TsrDialect.h"

using namespace mlir;
using namespace mlir::tsr;

namespace tessera {
namespace {

/// A zero-filled accumulator of `type` with `sizes`.
Value zeroAccumulator(OpBuilder &b, Location loc, RankedTensorType type,
                      ArrayRef<OpFoldResult> sizes) {
  Value init = createEmpty(b, loc, type, sizes);
  Value zero = arith::ConstantOp::create(
      b, loc, getNeutralElement(Combiner::Add, type.getElementType()));
  return linalg::FillOp::create(b, loc, ValueRange{zero}, ValueRange{init})
      .getResult(0);
}

/// The multiply-accumulate region of a contraction.
void buildMacBody(OpBuilder &b, Location loc, ValueRange args) {
  Value prod = combine(b, loc, Combiner::Mul, args[0], args[1]);
  linalg::YieldOp::create(b, loc, combine(b, loc, Combiner::Add, args[2], prod));
}

struct LowerMatmul : OpRewritePattern<MatmulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MatmulOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    RankedTensorType resultType = op.getType();
    auto lhsType = op.getLhs().getType(), rhsType = op.getRhs().getType();
    int64_t rank = resultType.getRank(), batchRank = rank - 2;
    // Loops: batch..., m, n, k.
    int64_t numLoops = rank + 1;
    AffineExpr m = getAffineDimExpr(batchRank, ctx),
               n = getAffineDimExpr(batchRank + 1, ctx),
               k = getAffineDimExpr(batchRank + 2, ctx);
    auto operandMap = [&](RankedTensorType t, AffineExpr row, AffineExpr col,
                          bool transposed) {
      SmallVector<AffineExpr> exprs;
      int64_t lead = batchRank - (t.getRank() - 2);
      for (int64_t d = 0; d < t.getRank() - 2; ++d) {
        if (t.getDimSize(d) == 1 && resultType.getDimSize(lead + d) != 1)
          exprs.push_back(getAffineConstantExpr(0, ctx));
        else
          exprs.push_back(getAffineDimExpr(lead + d, ctx));
      }
      exprs.push_back(transposed ? col : row);
      exprs.push_back(transposed ? row : col);
      return AffineMap::get(numLoops, 0, exprs, ctx);
    };
    SmallVector<AffineExpr> outExprs;
    for (int64_t d = 0; d < rank; ++d)
      outExprs.push_back(getAffineDimExpr(d, ctx));
    SmallVector<AffineMap> maps = {
        operandMap(lhsType, m, k, op.getTransposeLhs()),
        operandMap(rhsType, k, n, op.getTransposeRhs()),
        AffineMap::get(numLoops, 0, outExprs, ctx)};

    // Result sizes: batch dims from whichever operand carries them, M from
    // lhs and N from rhs.
    SmallVector<OpFoldResult> sizes;
    for (int64_t d = 0; d < batchRank; ++d) {
      if (!resultType.isDynamicDim(d)) {
        sizes.push_back(rewriter.getIndexAttr(resultType.getDimSize(d)));
        continue;
      }
      OpFoldResult size = rewriter.getIndexAttr(1);
      for (Value v : {op.getLhs(), op.getRhs()}) {
        auto t = cast<RankedTensorType>(v.getType());
        int64_t od = d - (batchRank - (t.getRank() - 2));
        if (od >= 0 && t.getDimSize(od) != 1) {
          size = tensor::getMixedSize(rewriter, loc, v, od);
          break;
        }
      }
      sizes.push_back(size);
    }
    int64_t lr = lhsType.getRank(), rr = rhsType.getRank();
    sizes.push_back(tensor::getMixedSize(rewriter, loc, op.getLhs(),
                                         op.getTransposeLhs() ? lr - 1 : lr - 2));
    sizes.push_back(tensor::getMixedSize(rewriter, loc, op.getRhs(),
                                         op.getTransposeRhs() ? rr - 2 : rr - 1));
    Value acc = zeroAccumulator(rewriter, loc, resultType, sizes);

    SmallVector<utils::IteratorType> iterators(numLoops,
                                               utils::IteratorType::parallel);
    iterators.back() = utils::IteratorType::reduction;
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{resultType},
        ValueRange{op.getLhs(), op.getRhs()}, ValueRange{acc}, maps, iterators,
        buildMacBody);
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

struct LowerLinear : OpRewritePattern<LinearOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(LinearOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    RankedTensorType resultType = op.getType();
    int64_t rank = resultType.getRank();
    // Loops: outer..., n, k.
    int64_t numLoops = rank + 1;
    SmallVector<AffineExpr> inExprs, outExprs;
    for (int64_t d = 0; d < rank - 1; ++d) {
      inExprs.push_back(getAffineDimExpr(d, ctx));
      outExprs.push_back(getAffineDimExpr(d, ctx));
    }
    AffineExpr n = getAffineDimExpr(rank - 1, ctx),
               k = getAffineDimExpr(rank, ctx);
    inExprs.push_back(k);
    outExprs.push_back(n);
    // A packed weight is [N/16, K, 16]: column n sits in panel n floordiv 16
    // at lane n mod 16.
    SmallVector<AffineExpr> weightExprs = {n, k};
    if (op.getWeightPacked())
      weightExprs = {n.floorDiv(tsr::kPackedPanelWidth), k,
                     n % tsr::kPackedPanelWidth};
    SmallVector<AffineMap> maps = {
        AffineMap::get(numLoops, 0, inExprs, ctx),
        AffineMap::get(numLoops, 0, weightExprs, ctx),
        AffineMap::get(numLoops, 0, outExprs, ctx)};

    SmallVector<OpFoldResult> sizes;
    for (int64_t d = 0; d < rank - 1; ++d)
      sizes.push_back(tensor::getMixedSize(rewriter, loc, op.getInput(), d));
    if (op.getWeightPacked()) {
      if (resultType.isDynamicDim(rank - 1))
        return rewriter.notifyMatchFailure(op, "packed weight needs static N");
      sizes.push_back(rewriter.getIndexAttr(resultType.getDimSize(rank - 1)));
    } else {
      sizes.push_back(tensor::getMixedSize(rewriter, loc, op.getWeight(), 0));
    }
    Value acc;
    if (Value bias = op.getBias())
      acc = buildElementwise(rewriter, loc, resultType, sizes, {bias},
                             [](OpBuilder &, Location, ValueRange a) {
                               return a[0];
                             });
    else
      acc = zeroAccumulator(rewriter, loc, resultType, sizes);

    SmallVector<utils::IteratorType> iterators(numLoops,
                                               utils::IteratorType::parallel);
    iterators.back() = utils::IteratorType::reduction;
    Value result =
        linalg::GenericOp::create(rewriter, loc, TypeRange{resultType},
                                  ValueRange{op.getInput(), op.getWeight()},
                                  ValueRange{acc}, maps, iterators,
                                  buildMacBody)
            .getResult(0);

    Epilogue epilogue = op.getEpilogue();
    if (epilogue != Epilogue::none) {
      result = buildElementwise(
          rewriter, loc, resultType, {result},
          [&](OpBuilder &b, Location l, ValueRange a) -> Value {
            switch (epilogue) {
            case Epilogue::gelu:
              return buildGeluScalar(b, l, a[0], /*tanhForm=*/false);
            case Epilogue::gelu_tanh:
              return buildGeluScalar(b, l, a[0], /*tanhForm=*/true);
            case Epilogue::silu:
              return buildSiluScalar(b, l, a[0]);
            case Epilogue::relu:
              return combine(b, l, Combiner::Max, a[0],
                             arith::ConstantOp::create(
                                 b, l,
                                 getNeutralElement(Combiner::Add,
                                                   a[0].getType())));
            case Epilogue::none:
              break;
            }
            return a[0];
          });
    }
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void populateTsrMatmulToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<LowerMatmul, LowerLinear>(patterns.getContext());
}

} // namespace tessera
