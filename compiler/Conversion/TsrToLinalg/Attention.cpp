//===- Attention.cpp - tsr.attention to linalg ----------------------------===//
//
// Expands tsr.attention into tsr.matmul, tsr.softmax and elementwise tsr ops
// that the other patterns of this pass then lower. This is the reference
// (unfused) lowering that materializes the [B, H, S, T] score matrix; the
// flash-style tiled lowering of the CPU pipeline replaces it for long
// sequences.
//
//===----------------------------------------------------------------------===//

#include "compiler/Conversion/TsrToLinalg/TsrToLinalg.h"
#include "compiler/Conversion/TsrToLinalg/Utils.h"
#include "dialects/tsr/IR/TsrDialect.h"

using namespace mlir;
using namespace mlir::tsr;

namespace tessera {
namespace {

/// Repeats each of the Hkv heads of `kv` ([B, Hkv, T, D]) `groups` times, so
/// grouped-query attention becomes plain multi-head attention.
Value repeatKvHeads(PatternRewriter &rewriter, Location loc, Value kv,
                    int64_t groups) {
  auto type = cast<RankedTensorType>(kv.getType());
  Type elt = type.getElementType();
  int64_t b = type.getDimSize(0), hkv = type.getDimSize(1),
          t = type.getDimSize(2), d = type.getDimSize(3);
  SmallVector<Value> dyn;
  auto dynDim = [&](int64_t i) {
    if (type.isDynamicDim(i))
      dyn.push_back(tensor::DimOp::create(rewriter, loc, kv, i));
  };
  // [B, Hkv, 1, T, D]
  dynDim(0);
  dynDim(2);
  dynDim(3);
  auto expanded = RankedTensorType::get({b, hkv, 1, t, d}, elt);
  Value e = ReshapeOp::create(rewriter, loc, expanded, kv, dyn);
  // [B, Hkv, G, T, D]
  auto repeated = RankedTensorType::get({b, hkv, groups, t, d}, elt);
  Value r = BroadcastOp::create(rewriter, loc, repeated, e, dyn);
  // [B, Hkv*G, T, D]
  auto merged = RankedTensorType::get({b, hkv * groups, t, d}, elt);
  return ReshapeOp::create(rewriter, loc, merged, r, dyn);
}

struct LowerAttention : OpRewritePattern<AttentionOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AttentionOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value q = op.getQuery(), k = op.getKey(), v = op.getValue();
    auto qType = cast<RankedTensorType>(q.getType());
    auto kType = cast<RankedTensorType>(k.getType());
    Type elt = qType.getElementType();
    int64_t h = qType.getDimSize(1), hkv = kType.getDimSize(1);
    if (h != hkv) {
      if (ShapedType::isDynamic(h) || ShapedType::isDynamic(hkv))
        return rewriter.notifyMatchFailure(
            op, "grouped-query attention needs static head counts");
      k = repeatKvHeads(rewriter, loc, k, h / hkv);
      v = repeatKvHeads(rewriter, loc, v, h / hkv);
      kType = cast<RankedTensorType>(k.getType());
    }
    auto scoresType = RankedTensorType::get(
        {qType.getDimSize(0), h, qType.getDimSize(2), kType.getDimSize(2)},
        elt);
    Value scores = MatmulOp::create(rewriter, loc, scoresType, q, k,
                                    /*transpose_lhs=*/false,
                                    /*transpose_rhs=*/true);
    auto scalarType = RankedTensorType::get({}, elt);
    Value scale = ConstantOp::create(
        rewriter, loc,
        DenseElementsAttr::get(
            scalarType, rewriter.getFloatAttr(
                            elt, op.getScale().convertToDouble())
                            .getValue()));
    scores = MulOp::create(rewriter, loc, scoresType, scores, scale);
    if (Value mask = op.getMask())
      scores = AddOp::create(rewriter, loc, scoresType, scores, mask);
    const int64_t window = op.getWindow();
    if (op.getCausal() || window > 0) {
      // Query i (of S) is at p = i + (T - S) among the keys; causal: it sees
      // key j when j <= p; a window w: when p - j < w (and, without causal,
      // j - p < w).
      Value sDim = tensor::DimOp::create(rewriter, loc, scores, 2);
      Value tDim = tensor::DimOp::create(rewriter, loc, scores, 3);
      Value shift = arith::SubIOp::create(rewriter, loc, tDim, sDim);
      Value negInf = arith::ConstantOp::create(
          rewriter, loc, getNeutralElement(Combiner::Max, elt));
      bool causal = op.getCausal();
      scores = buildElementwise(
          rewriter, loc, scoresType, {scores},
          [&](OpBuilder &b, Location l, ValueRange a) -> Value {
            Value i = linalg::IndexOp::create(b, l, 2);
            Value j = linalg::IndexOp::create(b, l, 3);
            Value p = arith::AddIOp::create(b, l, i, shift);
            Value visible;
            auto both = [&](Value cond) {
              visible = visible ? arith::AndIOp::create(b, l, visible, cond)
                                      .getResult()
                                : cond;
            };
            if (causal)
              both(arith::CmpIOp::create(b, l, arith::CmpIPredicate::sle, j,
                                         p));
            if (window > 0) {
              Value w = arith::ConstantIndexOp::create(b, l, window);
              Value behind = arith::SubIOp::create(b, l, p, j);
              both(arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt,
                                         behind, w));
              if (!causal) {
                Value ahead = arith::SubIOp::create(b, l, j, p);
                both(arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt,
                                           ahead, w));
              }
            }
            return arith::SelectOp::create(b, l, visible, a[0], negInf);
          });
    }
    Value probs = SoftmaxOp::create(rewriter, loc, scoresType, scores,
                                    rewriter.getI64IntegerAttr(3));
    Value out = MatmulOp::create(rewriter, loc, op.getType(), probs, v,
                                 /*transpose_lhs=*/false,
                                 /*transpose_rhs=*/false);
    rewriter.replaceOp(op, out);
    return success();
  }
};

} // namespace

void populateTsrAttentionToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<LowerAttention>(patterns.getContext());
}

} // namespace tessera
