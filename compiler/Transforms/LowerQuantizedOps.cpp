//===- LowerQuantizedOps.cpp - Quantization ops as integer/float arithmetic ===//
//
// Implements tsr-lower-quantized-ops (see Passes.td for the rationale): the
// quantization ops that tsr-fold-quantized-matmuls left become the tsr
// elementwise, reduction and matmul ops their ONNX definitions are written
// in, which the rest of the pipeline already lowers.
//
//===----------------------------------------------------------------------===//

#include "compiler/Transforms/LinearWeights.h"
#include "compiler/Transforms/Passes.h"
#include "dialects/tsr/IR/TsrAttrNames.h"
#include "dialects/tsr/IR/TsrDialect.h"
#include "dialects/tsr/IR/TsrShapes.h"

#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

using namespace mlir;

namespace tessera {

#define GEN_PASS_DEF_TSRLOWERQUANTIZEDOPSPASS
#include "compiler/Transforms/Passes.h.inc"

namespace {

/// Builds tsr ops at one place, with numpy-broadcast result types.
struct QuantBuilder {
  PatternRewriter &b;
  Location loc;

  RankedTensorType typeOf(Value v) const {
    return llvm::cast<RankedTensorType>(v.getType());
  }

  Value scalar(Type elementType, double value) {
    auto type = RankedTensorType::get({}, elementType);
    Attribute element = isa<FloatType>(elementType)
                            ? Attribute(b.getFloatAttr(elementType, value))
                            : Attribute(b.getIntegerAttr(
                                  elementType, static_cast<int64_t>(value)));
    return tsr::ConstantOp::create(b, loc, type,
                                   DenseElementsAttr::get(type, element));
  }

  Value convert(Value v, Type elementType) {
    if (typeOf(v).getElementType() == elementType)
      return v;
    return tsr::CastOp::create(b, loc, typeOf(v).clone(elementType), v);
  }

  template <typename OpTy> Value binary(Value l, Value r) {
    SmallVector<int64_t> shape =
        *tsr::broadcastShapes({typeOf(l).getShape(), typeOf(r).getShape()});
    return OpTy::create(b, loc,
                        RankedTensorType::get(shape, typeOf(l).getElementType()),
                        l, r);
  }

  Value unary(tsr::UnaryKind kind, Value v) {
    return tsr::UnaryOp::create(b, loc, typeOf(v), kind, v);
  }

  /// A per-axis parameter `[C]` reshaped to broadcast along dim `axis` of a
  /// rank-`rank` tensor; rank-0 parameters as they are. Null when C is
  /// dynamic.
  Value alongAxis(Value param, int64_t axis, int64_t rank) {
    RankedTensorType t = typeOf(param);
    if (t.getRank() == 0)
      return param;
    if (t.isDynamicDim(0))
      return Value();
    SmallVector<int64_t> shape(rank, 1);
    shape[axis] = t.getDimSize(0);
    return tsr::ReshapeOp::create(b, loc, t.clone(shape), param, ValueRange());
  }

  /// saturate(round(x / scale) + zero) in `resultType`'s 8-bit range, with
  /// scale and zero (as f32) already broadcastable against x.
  Value quantize(Value x, Value scale, Value zeroAsFloat,
                 RankedTensorType resultType) {
    bool isUnsigned = resultType.getElementType().isUnsignedInteger();
    Type f32 = b.getF32Type();
    Value q = unary(tsr::UnaryKind::round, binary<tsr::DivOp>(x, scale));
    q = binary<tsr::AddOp>(q, zeroAsFloat);
    q = binary<tsr::MaxOp>(q, scalar(f32, isUnsigned ? 0.0 : -128.0));
    q = binary<tsr::MinOp>(q, scalar(f32, isUnsigned ? 255.0 : 127.0));
    return convert(q, resultType.getElementType());
  }
};

struct LowerQuantize : OpRewritePattern<tsr::QuantizeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tsr::QuantizeOp op,
                                PatternRewriter &rewriter) const override {
    QuantBuilder qb{rewriter, op.getLoc()};
    int64_t rank = op.getType().getRank();
    Value scale = qb.alongAxis(op.getScale(), op.getAxis(), rank);
    Value zero = qb.alongAxis(op.getZeroPoint(), op.getAxis(), rank);
    if (!scale || !zero)
      return rewriter.notifyMatchFailure(op, "dynamic number of channels");
    rewriter.replaceOp(op, qb.quantize(op.getInput(), scale,
                                       qb.convert(zero, rewriter.getF32Type()),
                                       op.getType()));
    return success();
  }
};

/// A dequantized constant (a weight the fold left, e.g. of a Gemm or a
/// Conv) as an f32 constant, so that the graph passes see a constant.
Value foldConstantDequantize(tsr::DequantizeOp op, PatternRewriter &rewriter) {
  RankedTensorType type = op.getType();
  if (!type.hasStaticShape())
    return Value();
  auto values = constantIntegers(op.getInput());
  auto scales = constantFloats(op.getScale());
  auto zeros = constantIntegers(op.getZeroPoint());
  if (!values || !scales || !zeros)
    return Value();
  int64_t inner = 1, channels = static_cast<int64_t>(scales->size());
  if (op.getScale().getType().getRank() == 1)
    for (int64_t d = op.getAxis() + 1; d < type.getRank(); ++d)
      inner *= type.getDimSize(d);
  auto blob = HeapAsmResourceBlob::allocate(values->size() * sizeof(float),
                                            alignof(float));
  auto *out = reinterpret_cast<float *>(blob.getMutableData().data());
  for (size_t i = 0; i < values->size(); ++i) {
    int64_t c = channels == 1 ? 0 : (i / inner) % channels;
    out[i] = static_cast<float>((*values)[i] - (*zeros)[c]) * (*scales)[c];
  }
  std::string name = "dequantized";
  if (Operation *def = op.getInput().getDefiningOp())
    if (auto attr = def->getAttrOfType<StringAttr>(tsr::kConstantNameAttr))
      name = attr.str() + ".dequantized";
  return createBlobConstant(rewriter, op.getLoc(), type, name, name,
                            std::move(blob))
      ->getResult(0);
}

struct LowerDequantize : OpRewritePattern<tsr::DequantizeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tsr::DequantizeOp op,
                                PatternRewriter &rewriter) const override {
    if (Value folded = foldConstantDequantize(op, rewriter)) {
      rewriter.replaceOp(op, folded);
      return success();
    }
    QuantBuilder qb{rewriter, op.getLoc()};
    int64_t rank = op.getType().getRank();
    Value scale = qb.alongAxis(op.getScale(), op.getAxis(), rank);
    Value zero = qb.alongAxis(op.getZeroPoint(), op.getAxis(), rank);
    if (!scale || !zero)
      return rewriter.notifyMatchFailure(op, "dynamic number of channels");
    Type f32 = rewriter.getF32Type();
    // The difference in int32 (exact), then one conversion, as onnxruntime.
    Type i32 = rewriter.getI32Type();
    Value centered = qb.binary<tsr::SubOp>(qb.convert(op.getInput(), i32),
                                           qb.convert(zero, i32));
    rewriter.replaceOp(
        op, qb.binary<tsr::MulOp>(qb.convert(centered, f32), scale));
    return success();
  }
};

struct LowerDynamicQuantize : OpRewritePattern<tsr::DynamicQuantizeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tsr::DynamicQuantizeOp op,
                                PatternRewriter &rewriter) const override {
    QuantBuilder qb{rewriter, op.getLoc()};
    Location loc = op.getLoc();
    Value x = op.getInput();
    Type f32 = rewriter.getF32Type();
    int64_t rank = qb.typeOf(x).getRank();
    auto all = rewriter.getDenseI64ArrayAttr(
        llvm::to_vector(llvm::seq<int64_t>(0, rank)));
    auto scalarType = RankedTensorType::get({}, f32);
    auto reduce = [&](tsr::ReduceKind kind) -> Value {
      if (rank == 0)
        return x;
      return tsr::ReduceOp::create(rewriter, loc, scalarType, kind, x, all,
                                   /*keep_dims=*/false);
    };
    Value zeroF = qb.scalar(f32, 0.0);
    Value lo = qb.binary<tsr::MinOp>(reduce(tsr::ReduceKind::min), zeroF);
    Value hi = qb.binary<tsr::MaxOp>(reduce(tsr::ReduceKind::max), zeroF);
    Value range = qb.binary<tsr::SubOp>(hi, lo);
    Value isEmpty = tsr::CompareOp::create(
        rewriter, loc, RankedTensorType::get({}, rewriter.getI1Type()),
        tsr::CompareKind::eq, range, zeroF);
    Value scale = tsr::SelectOp::create(
        rewriter, loc, scalarType, isEmpty, qb.scalar(f32, 1.0),
        qb.binary<tsr::DivOp>(range, qb.scalar(f32, 255.0)));
    // round(clamp(-lo / scale, 0, 255)): an integer in f32.
    Value zero = qb.binary<tsr::SubOp>(zeroF, qb.binary<tsr::DivOp>(lo, scale));
    zero = qb.binary<tsr::MaxOp>(zero, zeroF);
    zero = qb.binary<tsr::MinOp>(zero, qb.scalar(f32, 255.0));
    zero = qb.unary(tsr::UnaryKind::round, zero);
    Value q = qb.quantize(x, scale, zero, op.getResult().getType());
    rewriter.replaceOp(
        op, {q, scale, qb.convert(zero, op.getZeroPoint().getType().getElementType())});
    return success();
  }
};

struct LowerMatmulInteger : OpRewritePattern<tsr::MatmulIntegerOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tsr::MatmulIntegerOp op,
                                PatternRewriter &rewriter) const override {
    QuantBuilder qb{rewriter, op.getLoc()};
    Type i32 = rewriter.getI32Type();
    // Zero points per row of lhs broadcast as [M, 1]; per column of rhs as
    // [N] already.
    Value lhsZero = qb.convert(op.getLhsZeroPoint(), i32);
    if (qb.typeOf(lhsZero).getRank() == 1) {
      lhsZero = qb.alongAxis(lhsZero, 0, 2);
      if (!lhsZero)
        return rewriter.notifyMatchFailure(op, "dynamic number of rows");
    }
    Value lhs = qb.binary<tsr::SubOp>(qb.convert(op.getLhs(), i32), lhsZero);
    Value rhs = qb.binary<tsr::SubOp>(qb.convert(op.getRhs(), i32),
                                      qb.convert(op.getRhsZeroPoint(), i32));
    rewriter.replaceOpWithNewOp<tsr::MatmulOp>(op, op.getType(), lhs, rhs,
                                               false, false);
    return success();
  }
};

struct TsrLowerQuantizedOpsPass
    : impl::TsrLowerQuantizedOpsPassBase<TsrLowerQuantizedOpsPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<LowerQuantize, LowerDequantize, LowerDynamicQuantize,
                 LowerMatmulInteger>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
    WalkResult left = getOperation().walk([](Operation *op) {
      if (isa<tsr::QuantizeOp, tsr::DequantizeOp, tsr::DynamicQuantizeOp,
              tsr::MatmulIntegerOp>(op)) {
        op->emitOpError("cannot be lowered: its number of channels is not "
                        "known at compile time");
        return WalkResult::interrupt();
      }
      return WalkResult::advance();
    });
    if (left.wasInterrupted())
      signalPassFailure();
  }
};

} // namespace
} // namespace tessera
