//===- RecomposeAttention.cpp - The attention web becomes tsr.attention ---===//
//
// Implements tsr-recompose-attention (see Passes.td for the rationale).
//
//===----------------------------------------------------------------------===//

#include "compiler/Transforms/AttentionMasks.h"
#include "compiler/Transforms/LinearWeights.h"
#include "compiler/Transforms/Passes.h"
#include "compiler/Transforms/PatternUtils.h"
#include "dialects/tsr/IR/TsrDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

using namespace mlir;

namespace tessera {

#define GEN_PASS_DEF_TSRRECOMPOSEATTENTIONPASS
#define GEN_PASS_DEF_TSRFOLDATTENTIONMASKSPASS
#include "compiler/Transforms/Passes.h.inc"

namespace {

/// True if `cond` is a constant [1, ..., 1, S, T] (or unit-step slices of
/// one) that is true exactly where key j is visible to query i causally:
/// j <= i + T - S. This is how Hugging Face's GPT-2 writes its causal mask
/// (a sliced lower-triangular buffer in a Where). With a KV cache and
/// symbolic lengths the row offset T - S is a run-time value: then the
/// buffer must be lower-triangular throughout, and the offset is returned
/// in `rowOffset` for the caller to prove equal to T - S.
bool isCausalCondition(Value cond, int64_t s, int64_t t, Value &rowOffset) {
  auto type = cast<RankedTensorType>(cond.getType());
  if (type.getRank() < 2)
    return false;
  for (int64_t d : type.getShape().drop_back(2))
    if (d != 1)
      return false;
  // Unit-step slices compose by adding offsets (GPT-2 with a KV cache
  // slices rows [T - S, T) and then columns [0, T), one slice each).
  Value base = cond, dynamicRows;
  int64_t offI = 0, offJ = 0;
  while (auto slice = base.getDefiningOp<tsr::SliceOp>()) {
    ArrayRef<int64_t> offsets = slice.getStaticOffsets();
    if (llvm::any_of(slice.getSteps(), [](int64_t st) { return st != 1; }))
      return false;
    int64_t rank = offsets.size();
    for (int64_t d = 0; d < rank; ++d) {
      if (!ShapedType::isDynamic(offsets[d]))
        continue;
      if (d != rank - 2 || dynamicRows || slice.getOffsets().size() != 1)
        return false;
      dynamicRows = slice.getOffsets()[0];
    }
    if (!ShapedType::isDynamic(offsets[rank - 2]))
      offI += offsets[rank - 2];
    offJ += offsets.back();
    base = slice.getInput();
  }
  auto baseType = cast<RankedTensorType>(base.getType());
  std::optional<std::vector<bool>> bits = boolElements(base);
  if (!bits || !baseType.hasStaticShape())
    return false;
  // Row-major: element (0, ..., 0, r, c) is at r * cols + c.
  int64_t cols = baseType.getShape().back();
  if (dynamicRows) {
    int64_t rows = baseType.getDimSize(baseType.getRank() - 2);
    if (offI != 0 || offJ != 0 ||
        static_cast<int64_t>(bits->size()) != rows * cols)
      return false;
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < cols; ++c)
        if ((*bits)[r * cols + c] != (c <= r))
          return false;
    rowOffset = dynamicRows;
    return true;
  }
  if (!type.hasStaticShape() || type.getDimSize(type.getRank() - 2) != s ||
      type.getDimSize(type.getRank() - 1) != t)
    return false;
  // Leading dims of the base may be > 1 only if the slice picks index 0.
  for (int64_t i = 0; i < s; ++i)
    for (int64_t j = 0; j < t; ++j)
      if ((*bits)[(offI + i) * cols + offJ + j] != (j <= i + t - s))
        return false;
  return true;
}

/// True if `idx` is tensor.dim of `src` at `d`.
bool isDimOf(Value idx, Value src, int64_t d) {
  auto dim = idx.getDefiningOp<tensor::DimOp>();
  std::optional<int64_t> index = dim ? dim.getConstantIndex() : std::nullopt;
  return dim && dim.getSource() == src && index && *index == d;
}

/// True if the run-time row offset of a causal slice is T - S: the key
/// length (dim `kAxis` of `k`) minus the query length (dim 2 of one of
/// `queries`), possibly clamped by the Slice's min(offset, rows).
bool isKeyMinusQueryLength(Value offset, Value k, int64_t kAxis,
                           ArrayRef<Value> queries) {
  while (auto min = offset.getDefiningOp<arith::MinSIOp>()) {
    if (!getConstantIntValue(min.getRhs()))
      return false;
    offset = min.getLhs();
  }
  auto sub = offset.getDefiningOp<arith::SubIOp>();
  return sub && isDimOf(sub.getLhs(), k, kAxis) &&
         llvm::any_of(queries,
                      [&](Value q) { return isDimOf(sub.getRhs(), q, 2); });
}

/// True if dim `d` of `type` (a result of `op`, whose dynamic dims are
/// `dynamicDims` in order) is dim `srcDim` of `src`: equal static sizes, or
/// a dynamic size read off `src` by tensor.dim.
bool isSameDim(RankedTensorType type, ValueRange dynamicDims, int64_t d,
               Value src, int64_t srcDim) {
  auto srcType = cast<RankedTensorType>(src.getType());
  if (!type.isDynamicDim(d))
    return type.getDimSize(d) == srcType.getDimSize(srcDim);
  unsigned pos = 0;
  for (int64_t i = 0; i < d; ++i)
    pos += type.isDynamicDim(i);
  auto dim = dynamicDims[pos].getDefiningOp<tensor::DimOp>();
  std::optional<int64_t> index = dim ? dim.getConstantIndex() : std::nullopt;
  return dim && dim.getSource() == src && index && *index == srcDim;
}

/// The [B, Hkv, T, D] tensor `x` if `v` is Hugging Face's repeat_kv of it,
/// x[:, :, None].expand(B, Hkv, G, T, D).reshape(B, Hkv * G, T, D), else
/// `v`. tsr.attention reads kv head h / G for query head h, so the copies
/// need not exist.
Value peelRepeatKv(Value v) {
  auto outer = v.getDefiningOp<tsr::ReshapeOp>();
  auto bcast = outer ? outer.getInput().getDefiningOp<tsr::BroadcastOp>()
                     : tsr::BroadcastOp();
  auto inner = bcast ? bcast.getInput().getDefiningOp<tsr::ReshapeOp>()
                     : tsr::ReshapeOp();
  if (!inner)
    return v;
  Value x = inner.getInput();
  auto xt = cast<RankedTensorType>(x.getType());
  RankedTensorType it = inner.getType(), bt = bcast.getType(),
                   ot = outer.getType();
  if (xt.getRank() != 4 || it.getRank() != 5 || bt.getRank() != 5 ||
      ot.getRank() != 4 || xt.isDynamicDim(1) || xt.isDynamicDim(3) ||
      bt.isDynamicDim(2) || it.getDimSize(2) != 1)
    return v;
  int64_t hkv = xt.getDimSize(1), groups = bt.getDimSize(2);
  // [B, Hkv, 1, T, D] -> [B, Hkv, G, T, D] -> [B, Hkv * G, T, D], with B
  // and T the very dims of x (a reshape could otherwise mix them).
  for (auto [type, dyn] : {std::pair(it, inner.getDynamicDims()),
                           std::pair(bt, bcast.getDynamicDims())})
    if (!isSameDim(type, dyn, 0, x, 0) || !isSameDim(type, dyn, 3, x, 2) ||
        type.getDimSize(1) != hkv || type.getDimSize(4) != xt.getDimSize(3))
      return v;
  if (!isSameDim(ot, outer.getDynamicDims(), 0, x, 0) ||
      !isSameDim(ot, outer.getDynamicDims(), 2, x, 2) ||
      ot.getDimSize(1) != hkv * groups || ot.getDimSize(3) != xt.getDimSize(3))
    return v;
  return x;
}

bool dimsAgree(int64_t a, int64_t b) {
  return ShapedType::isDynamic(a) || ShapedType::isDynamic(b) || a == b;
}

struct RecomposeAttentionPattern : OpRewritePattern<tsr::MatmulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tsr::MatmulOp pv,
                                PatternRewriter &rewriter) const override {
    // o = softmax(x, axis 3) · v
    if (pv.getTransposeLhs() || pv.getTransposeRhs() ||
        pv.getType().getRank() != 4)
      return rewriter.notifyMatchFailure(pv, "not a rank-4 P·V");
    auto softmax = pv.getLhs().getDefiningOp<tsr::SoftmaxOp>();
    if (!softmax || softmax.getAxisAttr().getInt() != 3 ||
        !softmax->hasOneUse())
      return rewriter.notifyMatchFailure(pv, "lhs is not a last-axis softmax");
    Value x = softmax.getInput();
    auto scoresType = cast<RankedTensorType>(x.getType());

    // x = s + mask (optional).
    Value mask;
    if (auto add = x.getDefiningOp<tsr::AddOp>(); add && add->hasOneUse()) {
      for (auto [s, m] : {std::pair(add.getLhs(), add.getRhs()),
                          std::pair(add.getRhs(), add.getLhs())}) {
        if (s.getType() == scoresType && s.getDefiningOp() &&
            isa<tsr::DivOp, tsr::MulOp, tsr::MatmulOp, tsr::SelectOp>(
                s.getDefiningOp())) {
          mask = m;
          x = s;
          break;
        }
      }
      if (!mask)
        return rewriter.notifyMatchFailure(pv, "no scores operand in the add");
    }
    // x = where(causal, y, very negative), before or after the scale.
    bool causal = false;
    Value causalRowOffset; // run-time T - S, checked once Q and K are known
    int64_t sLen = scoresType.getDimSize(2), tLen = scoresType.getDimSize(3);
    auto peelCausal = [&](Value v) -> Value {
      auto sel = v.getDefiningOp<tsr::SelectOp>();
      if (causal || !sel || !sel->hasOneUse() ||
          sel.getOnTrue().getType() != scoresType)
        return v;
      std::optional<double> fill = getSplatFloat(sel.getOnFalse());
      Value offset;
      if (!fill || *fill > -1e30 ||
          !isCausalCondition(sel.getCondition(), sLen, tLen, offset))
        return v;
      causal = true;
      causalRowOffset = offset;
      return sel.getOnTrue();
    };
    x = peelCausal(x);
    // x = where(padding, very negative, y): masked_fill of a run-time mask
    // (DistilBERT), which becomes the additive mask where(padding, fill, 0).
    // Only without another mask: two fills would add up to -inf.
    Value fillCondition;
    double fillValue = 0.0;
    if (auto sel = x.getDefiningOp<tsr::SelectOp>();
        sel && !mask && sel->hasOneUse() &&
        sel.getOnFalse().getType() == scoresType) {
      std::optional<double> fill = getSplatFloat(sel.getOnTrue());
      Value c = sel.getCondition();
      // The exporter expands the [B, 1, 1, T] mask to the scores' shape.
      if (auto bcast = c.getDefiningOp<tsr::BroadcastOp>())
        c = bcast.getInput();
      auto ct = cast<RankedTensorType>(c.getType());
      std::optional<SmallVector<int64_t>> b =
          tsr::broadcastShapes({ct.getShape(), scoresType.getShape()});
      if (fill && *fill <= -1e30 && ct.getRank() <= 4 && b &&
          tsr::areShapesCompatible(*b, scoresType.getShape())) {
        fillCondition = c;
        fillValue = *fill;
        x = sel.getOnFalse();
      }
    }
    // x = r / c, r · c, or r.
    double scale = 1.0;
    Value r = x;
    if (auto div = x.getDefiningOp<tsr::DivOp>()) {
      std::optional<double> c = getSplatFloat(div.getRhs());
      if (!c || *c == 0.0 || !div->hasOneUse())
        return rewriter.notifyMatchFailure(pv, "scale is not a constant");
      scale = 1.0 / *c;
      r = peelCausal(div.getLhs());
    } else if (auto mul = x.getDefiningOp<tsr::MulOp>()) {
      auto p = matchEither(mul.getLhs(), mul.getRhs(), [](Value v) {
        return getSplatFloat(v).has_value();
      });
      if (!p || !mul->hasOneUse())
        return rewriter.notifyMatchFailure(pv, "scale is not a constant");
      scale = *getSplatFloat(p->first);
      r = peelCausal(p->second);
    }
    // Q·Kᵀ feeds only the web (tensor.dim users, which read the shape of a
    // masked_fill's expand, do not keep it alive once the web is gone).
    auto qk = r.getDefiningOp<tsr::MatmulOp>();
    auto onlyWebUse = [](Operation *op) {
      return llvm::count_if(op->getUsers(), [](Operation *u) {
               return !isa<tensor::DimOp>(u);
             }) == 1;
    };
    if (!qk || qk.getTransposeLhs() || !onlyWebUse(qk) ||
        qk.getType() != scoresType)
      return rewriter.notifyMatchFailure(pv, "scores are not Q·Kᵀ");

    // Q may carry the scale itself (DistilBERT: q / √d before Q·Kᵀ).
    Value qUnscaled = qk.getLhs(), q = qk.getLhs(), v = pv.getRhs();
    if (auto div = q.getDefiningOp<tsr::DivOp>(); div && div->hasOneUse()) {
      std::optional<double> c = getSplatFloat(div.getRhs());
      if (c && *c != 0.0 && div.getType() == div.getLhs().getType()) {
        scale /= *c;
        q = div.getLhs();
      }
    } else if (auto mul = q.getDefiningOp<tsr::MulOp>();
               mul && mul->hasOneUse()) {
      auto p = matchEither(mul.getLhs(), mul.getRhs(), [](Value c) {
        return getSplatFloat(c).has_value();
      });
      if (p && mul.getType() == p->second.getType()) {
        scale *= *getSplatFloat(p->first);
        q = p->second;
      }
    }
    auto qt = cast<RankedTensorType>(q.getType());
    auto vt = cast<RankedTensorType>(v.getType());
    Value kt = qk.getRhs();
    auto ktt = cast<RankedTensorType>(kt.getType());
    if (qt.getRank() != 4 || vt.getRank() != 4 || ktt.getRank() != 4)
      return rewriter.notifyMatchFailure(pv, "operands are not rank 4");
    // K as [B, Hkv, T, D]; every check runs before anything is created, so
    // a failed match leaves the IR untouched.
    RankedTensorType kt4 =
        qk.getTransposeRhs()
            ? ktt
            : RankedTensorType::get({ktt.getDimSize(0), ktt.getDimSize(1),
                                     ktt.getDimSize(3), ktt.getDimSize(2)},
                                    ktt.getElementType());
    // Same batch and head counts (no broadcasting: a static 1 must meet a
    // 1); grouped-query webs repeat the kv heads first (peeled below).
    auto same = [](int64_t a, int64_t b) {
      if (a == b)
        return true;
      return (ShapedType::isDynamic(a) || ShapedType::isDynamic(b)) && a != 1 &&
             b != 1;
    };
    for (int64_t d : {0, 1})
      if (!same(qt.getDimSize(d), kt4.getDimSize(d)) ||
          !same(qt.getDimSize(d), vt.getDimSize(d)))
        return rewriter.notifyMatchFailure(pv, "batch/head dims differ");
    if (!dimsAgree(qt.getDimSize(3), kt4.getDimSize(3)) ||
        !dimsAgree(kt4.getDimSize(2), vt.getDimSize(2)))
      return rewriter.notifyMatchFailure(pv, "head or key dims differ");
    if (mask) {
      auto mt = cast<RankedTensorType>(mask.getType());
      if (mt.getElementType() != qt.getElementType() || mt.getRank() > 4)
        return rewriter.notifyMatchFailure(pv, "mask type");
      std::optional<SmallVector<int64_t>> b =
          tsr::broadcastShapes({mt.getShape(), scoresType.getShape()});
      if (!b || !tsr::areShapesCompatible(*b, scoresType.getShape()))
        return rewriter.notifyMatchFailure(pv, "mask does not broadcast");
    }
    auto ktTranspose = kt.getDefiningOp<tsr::TransposeOp>();
    if (causalRowOffset) {
      bool viaTranspose =
          !qk.getTransposeRhs() && ktTranspose &&
          ktTranspose.getPermutation() == ArrayRef<int64_t>{0, 1, 3, 2};
      bool isTMinusS =
          isKeyMinusQueryLength(causalRowOffset, kt,
                                qk.getTransposeRhs() ? 2 : 3,
                                {q, qUnscaled}) ||
          (viaTranspose &&
           isKeyMinusQueryLength(causalRowOffset, ktTranspose.getInput(), 2,
                                 {q, qUnscaled}));
      if (!isTMinusS)
        return rewriter.notifyMatchFailure(
            pv, "causal slice offset is not key length - query length");
    }
    // K as [B, Hkv, T, D]: Kᵀ is usually the transpose of it (Hugging
    // Face's key.transpose(-1, -2)); then grouped-query webs (repeat_kv)
    // are peeled so the kernel reads the Hkv heads in place.
    Value k = kt;
    if (!qk.getTransposeRhs() && ktTranspose &&
        ktTranspose.getPermutation() == ArrayRef<int64_t>{0, 1, 3, 2})
      k = ktTranspose.getInput();
    else if (!qk.getTransposeRhs())
      k = tsr::TransposeOp::create(rewriter, qk.getLoc(), kt4, kt,
                                   rewriter.getDenseI64ArrayAttr({0, 1, 3, 2}));
    Value kBase = peelRepeatKv(k), vBase = peelRepeatKv(v);
    if (kBase != k && vBase != v &&
        cast<RankedTensorType>(kBase.getType()).getDimSize(1) ==
            cast<RankedTensorType>(vBase.getType()).getDimSize(1)) {
      k = kBase;
      v = vBase;
    }
    if (fillCondition) {
      Location loc = pv.getLoc();
      Type elt = scoresType.getElementType();
      auto scalar = RankedTensorType::get({}, elt);
      Value fill = tsr::ConstantOp::create(
          rewriter, loc,
          DenseElementsAttr::get(scalar, rewriter.getFloatAttr(elt, fillValue)));
      Value zero = tsr::ConstantOp::create(
          rewriter, loc,
          DenseElementsAttr::get(scalar, rewriter.getFloatAttr(elt, 0.0)));
      auto ct = cast<RankedTensorType>(fillCondition.getType());
      mask = tsr::SelectOp::create(rewriter, loc, ct.clone(elt), fillCondition,
                                   fill, zero);
    }
    rewriter.replaceOpWithNewOp<tsr::AttentionOp>(
        pv, pv.getType(), q, k, v, mask,
        rewriter.getF32FloatAttr(static_cast<float>(scale)),
        causal ? rewriter.getUnitAttr() : UnitAttr());
    return success();
  }
};

/// The [B, H, N, D] tensor `x` if `v` is a reshape of it to [B·H, N, D]
/// (H and D static; B and N static or provably the same dims), else null.
Value unfoldHeads(Value v) {
  auto r = v.getDefiningOp<tsr::ReshapeOp>();
  if (!r)
    return Value();
  Value x = r.getInput();
  auto in = cast<RankedTensorType>(x.getType());
  RankedTensorType out = r.getType();
  if (in.getRank() != 4 || out.getRank() != 3 || in.isDynamicDim(1) ||
      in.isDynamicDim(3) || out.getDimSize(2) != in.getDimSize(3) ||
      !isProductDim(dimRef(v, 0), dimRef(x, 0), in.getDimSize(1)) ||
      !sameDim(dimRef(v, 1), dimRef(x, 2)))
    return Value();
  return x;
}

/// Attention with the heads folded into the batch, as BART, Marian and
/// other encoder-decoders of transformers 4.x export it: Q, K and V viewed
/// as [B·H, N, D] for two bmm's, the scores viewed back as [B, H, S, T]
/// only to add the mask. Becomes tsr.attention on the [B, H, N, D] tensors
/// the views were taken of, viewed as [B·H, S, D] for the consumer (that
/// view folds into the exporter's own view back to [B, H, S, D]).
struct RecomposeFoldedHeadsAttentionPattern : OpRewritePattern<tsr::MatmulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tsr::MatmulOp pv,
                                PatternRewriter &rewriter) const override {
    if (pv.getTransposeLhs() || pv.getTransposeRhs() ||
        pv.getType().getRank() != 3)
      return rewriter.notifyMatchFailure(pv, "not a rank-3 P·V");
    auto softmax = pv.getLhs().getDefiningOp<tsr::SoftmaxOp>();
    if (!softmax || softmax.getAxisAttr().getInt() != 2 ||
        !softmax->hasOneUse())
      return rewriter.notifyMatchFailure(pv, "lhs is not a last-axis softmax");
    Value x = softmax.getInput();
    auto scoresType = cast<RankedTensorType>(x.getType());
    // x = view([B, H, S, T] view of the scores + mask) (optional).
    Value mask, scoresView, maskedView;
    if (auto outer = x.getDefiningOp<tsr::ReshapeOp>()) {
      auto add = outer.getInput().getDefiningOp<tsr::AddOp>();
      if (!add || !outer->hasOneUse() || !add->hasOneUse())
        return rewriter.notifyMatchFailure(pv, "no mask add under the view");
      for (auto [a, m] : {std::pair(add.getLhs(), add.getRhs()),
                          std::pair(add.getRhs(), add.getLhs())}) {
        auto inner = a.getDefiningOp<tsr::ReshapeOp>();
        if (inner && inner->hasOneUse() &&
            inner.getInput().getType() == scoresType &&
            inner.getType() == add.getType()) {
          mask = m;
          x = inner.getInput();
          scoresView = inner.getResult();
          maskedView = outer.getResult();
          break;
        }
      }
      if (!mask)
        return rewriter.notifyMatchFailure(pv, "no scores view in the add");
    }
    double scale = 1.0;
    if (auto div = x.getDefiningOp<tsr::DivOp>()) {
      std::optional<double> c = getSplatFloat(div.getRhs());
      if (!c || *c == 0.0 || !div->hasOneUse())
        return rewriter.notifyMatchFailure(pv, "scale is not a constant");
      scale = 1.0 / *c;
      x = div.getLhs();
    } else if (auto mul = x.getDefiningOp<tsr::MulOp>()) {
      auto p = matchEither(mul.getLhs(), mul.getRhs(), [](Value c) {
        return getSplatFloat(c).has_value();
      });
      if (!p || !mul->hasOneUse())
        return rewriter.notifyMatchFailure(pv, "scale is not a constant");
      scale = *getSplatFloat(p->first);
      x = p->second;
    }
    auto qk = x.getDefiningOp<tsr::MatmulOp>();
    if (!qk || qk.getTransposeLhs() || !qk->hasOneUse() ||
        qk.getType() != scoresType)
      return rewriter.notifyMatchFailure(pv, "scores are not Q·Kᵀ");
    Value k3 = qk.getRhs();
    if (!qk.getTransposeRhs()) {
      auto t = k3.getDefiningOp<tsr::TransposeOp>();
      if (!t || t.getPermutation() != ArrayRef<int64_t>{0, 2, 1})
        return rewriter.notifyMatchFailure(pv, "Kᵀ is not a transpose");
      k3 = t.getInput();
    }
    Value q = unfoldHeads(qk.getLhs()), k = unfoldHeads(k3),
          v = unfoldHeads(pv.getRhs());
    if (!q || !k || !v)
      return rewriter.notifyMatchFailure(pv, "Q, K or V is not a head view");
    // The bmm's tie B·H, the key and the head sizes of the three views
    // together; the head counts must agree too.
    auto qt = cast<RankedTensorType>(q.getType()),
         kt = cast<RankedTensorType>(k.getType()),
         vt = cast<RankedTensorType>(v.getType());
    int64_t heads = qt.getDimSize(1);
    if (kt.getDimSize(1) != heads || vt.getDimSize(1) != heads ||
        kt.getDimSize(3) != qt.getDimSize(3) ||
        qt.getElementType() != vt.getElementType() ||
        qt.getElementType() != kt.getElementType())
      return rewriter.notifyMatchFailure(pv, "Q, K and V heads disagree");
    SmallVector<int64_t> full = {qt.getDimSize(0), heads, qt.getDimSize(2),
                                 kt.getDimSize(2)};
    if (mask) {
      // The views around the mask add are [B, H, S, T] and back to
      // [B·H, S, T] of the same sizes.
      auto st = cast<RankedTensorType>(scoresView.getType());
      if (st.getRank() != 4 || st.getDimSize(1) != heads ||
          !sameDim(dimRef(scoresView, 0), dimRef(q, 0)) ||
          !sameDim(dimRef(scoresView, 2), dimRef(q, 2)) ||
          !sameDim(dimRef(scoresView, 3), dimRef(k, 2)) ||
          !isProductDim(dimRef(maskedView, 0), dimRef(q, 0), heads) ||
          !sameDim(dimRef(maskedView, 1), dimRef(q, 2)) ||
          !sameDim(dimRef(maskedView, 2), dimRef(k, 2)))
        return rewriter.notifyMatchFailure(pv, "score views are not [B, H, S, T]");
      auto mt = cast<RankedTensorType>(mask.getType());
      std::optional<SmallVector<int64_t>> b =
          tsr::broadcastShapes({mt.getShape(), full});
      if (mt.getElementType() != qt.getElementType() || mt.getRank() > 4 ||
          !b || !tsr::areShapesCompatible(*b, full))
        return rewriter.notifyMatchFailure(pv, "mask does not broadcast");
    }
    auto outType = RankedTensorType::get(
        {qt.getDimSize(0), qt.getDimSize(1), qt.getDimSize(2),
         vt.getDimSize(3)},
        qt.getElementType());
    Value o = tsr::AttentionOp::create(
        rewriter, pv.getLoc(), outType, q, k, v, mask,
        rewriter.getF32FloatAttr(static_cast<float>(scale)), UnitAttr());
    // The [B·H, S, Dv] view for the consumer, sized off the attention.
    Location loc = pv.getLoc();
    auto dimOfO = [&](int64_t d) -> Value {
      return tensor::DimOp::create(rewriter, loc, o, d);
    };
    SmallVector<Value> dyn;
    if (pv.getType().isDynamicDim(0))
      dyn.push_back(arith::MulIOp::create(
          rewriter, loc, dimOfO(0),
          arith::ConstantIndexOp::create(rewriter, loc, heads)));
    for (int64_t d : {1, 2})
      if (pv.getType().isDynamicDim(d))
        dyn.push_back(dimOfO(d + 1));
    rewriter.replaceOpWithNewOp<tsr::ReshapeOp>(pv, pv.getType(), o, dyn);
    return success();
  }
};

/// Mask entries below this hide a key (finfo.min, -inf, -1e38...).
constexpr float kHidden = -1e30f;

/// tsr.attention with a constant additive mask that only draws a band (0
/// where visible, below kHidden elsewhere, the same for every batch and
/// head): the causal and sliding-window masks that static-shape exports of
/// Mistral-style models bake into the graph. The band becomes `causal` and
/// `window`, which the kernel reads as a range of keys per row (skipping
/// the rest) instead of adding S x T mask values.
struct FoldBandMaskPattern : OpRewritePattern<tsr::AttentionOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(tsr::AttentionOp op,
                                PatternRewriter &rewriter) const override {
    Value mask = op.getMask();
    // (An op with a window already would need the two intersected.)
    if (!mask || op.getWindowAttr().getInt() != 0)
      return failure();
    auto mt = cast<RankedTensorType>(mask.getType());
    auto qt = op.getQuery().getType(), kt = op.getKey().getType();
    if (!mt.hasStaticShape() || mt.getRank() < 2 || qt.isDynamicDim(2) ||
        kt.isDynamicDim(2))
      return rewriter.notifyMatchFailure(op, "mask or lengths not static");
    const int64_t s = qt.getDimSize(2), t = kt.getDimSize(2);
    ArrayRef<int64_t> shape = mt.getShape();
    for (int64_t d : shape.drop_back(2))
      if (d != 1)
        return rewriter.notifyMatchFailure(op, "mask varies by batch or head");
    const int64_t rows = shape[shape.size() - 2], cols = shape.back();
    if (rows != s || cols != t || s * t > (int64_t(1) << 26))
      return rewriter.notifyMatchFailure(op, "mask is not one [S, T] band");
    std::optional<SmallVector<float>> values = constantFloats(mask);
    if (!values || static_cast<int64_t>(values->size()) != s * t)
      return rewriter.notifyMatchFailure(op, "mask is not an f32 constant");
    // Each row's visible keys must be one run [lo, hi]; p = i + t - s is
    // the row's position among the keys.
    std::vector<int64_t> lo(s), hi(s);
    for (int64_t i = 0; i < s; ++i) {
      lo[i] = t;
      hi[i] = -1;
      for (int64_t j = 0; j < t; ++j) {
        float x = (*values)[i * t + j];
        if (x == 0.0f) {
          if (hi[i] >= 0 && hi[i] != j - 1)
            return rewriter.notifyMatchFailure(op, "row has gaps");
          lo[i] = std::min(lo[i], j);
          hi[i] = j;
        } else if (!(x < kHidden)) {
          return rewriter.notifyMatchFailure(op, "mask has other values");
        }
      }
    }
    // A row that sees no key gets the mean of V from a finite fill value
    // (a uniform softmax) but zeros from the kernel: keep such masks.
    for (int64_t i = 0; i < s; ++i)
      if (hi[i] < 0)
        return rewriter.notifyMatchFailure(op, "a row sees no key");
    // Causal: every row ends at its position (or the last key). The
    // window: the widest run, which every row's start must then match.
    bool causal = op.getCausal(), fits = true;
    if (!causal) {
      causal = true;
      for (int64_t i = 0; i < s && causal; ++i)
        causal = hi[i] == std::min(i + t - s, t - 1) ||
                 (i + t - s < 0 && hi[i] < 0);
    }
    int64_t window = 0;
    for (int64_t i = 0; i < s; ++i)
      if (hi[i] >= 0) {
        int64_t p = i + t - s;
        window = std::max(window, p - lo[i] + 1);
      }
    auto expect = [&](int64_t i, int64_t w) {
      int64_t p = i + t - s;
      int64_t first = w > 0 ? std::max<int64_t>(0, p - w + 1) : 0;
      int64_t last = causal ? std::min(p, t - 1)
                   : w > 0  ? std::min(t - 1, p + w - 1)
                            : t - 1;
      if (first > last)
        return hi[i] < 0;
      return lo[i] == first && hi[i] == last;
    };
    if (window >= t)
      window = 0; // the window never binds
    for (int64_t i = 0; i < s && fits; ++i)
      fits = expect(i, window);
    if (!fits)
      return rewriter.notifyMatchFailure(op, "mask is not a causal or "
                                             "sliding-window band");
    if (!causal && window == 0)
      return rewriter.notifyMatchFailure(op, "mask hides nothing");
    rewriter.replaceOpWithNewOp<tsr::AttentionOp>(
        op, op.getType(), op.getQuery(), op.getKey(), op.getValue(), Value(),
        op.getScaleAttr(), causal ? rewriter.getUnitAttr() : UnitAttr(),
        rewriter.getI64IntegerAttr(window));
    return success();
  }
};

struct TsrRecomposeAttentionPass
    : impl::TsrRecomposeAttentionPassBase<TsrRecomposeAttentionPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<RecomposeAttentionPattern,
                 RecomposeFoldedHeadsAttentionPattern, FoldBandMaskPattern>(
        &getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

struct TsrFoldAttentionMasksPass
    : impl::TsrFoldAttentionMasksPassBase<TsrFoldAttentionMasksPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FoldBandMaskPattern>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
} // namespace tessera
