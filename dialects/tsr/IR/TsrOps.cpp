//===- TsrOps.cpp - tsr op verifiers, type inference and folders ----------===//
//
// Verifiers reject malformed graphs early with a message that names the
// mismatch; type inference and folders keep the importers simple.
//
//===----------------------------------------------------------------------===//

#include "dialects/tsr/IR/TsrDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/OpImplementation.h"
#include "llvm/ADT/STLExtras.h"

#include <cmath>

using namespace mlir;
using namespace mlir::tsr;

static std::string shapeStr(ArrayRef<int64_t> shape) {
  std::string s;
  for (auto [i, d] : llvm::enumerate(shape)) {
    if (i)
      s += "x";
    s += ShapedType::isDynamic(d) ? "?" : std::to_string(d);
  }
  return s;
}

static bool isCompatibleTensorTypes(TypeRange l, TypeRange r) {
  if (l.size() != r.size())
    return false;
  for (auto [a, b] : llvm::zip_equal(l, r)) {
    auto ta = dyn_cast<RankedTensorType>(a);
    auto tb = dyn_cast<RankedTensorType>(b);
    if (!ta || !tb || ta.getElementType() != tb.getElementType() ||
        !areShapesCompatible(ta.getShape(), tb.getShape()))
      return false;
  }
  return true;
}

//===----------------------------------------------------------------------===//
// ConstantOp
//===----------------------------------------------------------------------===//

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValue(); }

//===----------------------------------------------------------------------===//
// Binary elementwise ops
//===----------------------------------------------------------------------===//

static LogicalResult inferBinaryType(std::optional<Location> loc,
                                     ValueRange operands,
                                     SmallVectorImpl<Type> &inferred) {
  auto lhs = dyn_cast<RankedTensorType>(operands[0].getType());
  auto rhs = dyn_cast<RankedTensorType>(operands[1].getType());
  if (!lhs || !rhs)
    return emitOptionalError(loc, "operands must be ranked tensors");
  if (lhs.getElementType() != rhs.getElementType())
    return emitOptionalError(loc, "operand element types differ: ",
                             lhs.getElementType(), " vs ",
                             rhs.getElementType());
  std::optional<SmallVector<int64_t>> shape =
      broadcastShapes({lhs.getShape(), rhs.getShape()});
  if (!shape)
    return emitOptionalError(loc, "operand shapes ", shapeStr(lhs.getShape()),
                             " and ", shapeStr(rhs.getShape()),
                             " do not broadcast");
  inferred.push_back(RankedTensorType::get(*shape, lhs.getElementType()));
  return success();
}

#define TSR_BINARY_OP_INFERENCE(OpClass)                                       \
  LogicalResult OpClass::inferReturnTypes(                                     \
      MLIRContext *, std::optional<Location> loc, ValueRange operands,         \
      DictionaryAttr, OpaqueProperties, RegionRange,                           \
      SmallVectorImpl<Type> &inferred) {                                       \
    return inferBinaryType(loc, operands, inferred);                           \
  }                                                                            \
  bool OpClass::isCompatibleReturnTypes(TypeRange l, TypeRange r) {            \
    return isCompatibleTensorTypes(l, r);                                      \
  }

TSR_BINARY_OP_INFERENCE(AddOp)
TSR_BINARY_OP_INFERENCE(SubOp)
TSR_BINARY_OP_INFERENCE(MulOp)
TSR_BINARY_OP_INFERENCE(DivOp)
TSR_BINARY_OP_INFERENCE(PowOp)
TSR_BINARY_OP_INFERENCE(MaxOp)
TSR_BINARY_OP_INFERENCE(MinOp)
TSR_BINARY_OP_INFERENCE(AndOp)
TSR_BINARY_OP_INFERENCE(OrOp)
#undef TSR_BINARY_OP_INFERENCE

/// Checks that `result` is the broadcast of `operands`' shapes.
static LogicalResult verifyBroadcastResult(Operation *op, ValueRange operands,
                                           RankedTensorType result) {
  SmallVector<ArrayRef<int64_t>> shapes;
  for (Value v : operands)
    shapes.push_back(cast<RankedTensorType>(v.getType()).getShape());
  std::optional<SmallVector<int64_t>> shape = broadcastShapes(shapes);
  if (!shape)
    return op->emitOpError("operand shapes do not broadcast");
  if (!areShapesCompatible(*shape, result.getShape()))
    return op->emitOpError("result shape ")
           << shapeStr(result.getShape())
           << " is not the broadcast shape " << shapeStr(*shape);
  return success();
}

LogicalResult CompareOp::verify() {
  if (getLhs().getType().getElementType() !=
      getRhs().getType().getElementType())
    return emitOpError("operand element types differ");
  return verifyBroadcastResult(*this, {getLhs(), getRhs()}, getType());
}

LogicalResult SelectOp::verify() {
  Type elt = getType().getElementType();
  if (getOnTrue().getType().getElementType() != elt ||
      getOnFalse().getType().getElementType() != elt)
    return emitOpError("value operands and result must share an element type");
  return verifyBroadcastResult(*this,
                               {getCondition(), getOnTrue(), getOnFalse()},
                               getType());
}

LogicalResult UnaryOp::verify() {
  Type elt = getType().getElementType();
  switch (getKind()) {
  case UnaryKind::kNot:
    if (!elt.isInteger(1))
      return emitOpError("'not' needs an i1 tensor");
    return success();
  case UnaryKind::neg:
  case UnaryKind::abs:
  case UnaryKind::relu:
    if (!isa<FloatType>(elt) && !elt.isSignlessInteger())
      return emitOpError("'") << stringifyUnaryKind(getKind())
                              << "' needs a float or integer tensor";
    return success();
  default:
    if (!isa<FloatType>(elt))
      return emitOpError("'") << stringifyUnaryKind(getKind())
                              << "' needs a float tensor";
    return success();
  }
}

OpFoldResult CastOp::fold(FoldAdaptor) {
  if (getInput().getType() == getType())
    return getInput();
  return {};
}

//===----------------------------------------------------------------------===//
// Linear algebra
//===----------------------------------------------------------------------===//

LogicalResult MatmulOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> loc, ValueRange operands,
    DictionaryAttr attrs, OpaqueProperties properties, RegionRange,
    SmallVectorImpl<Type> &inferred) {
  auto lhs = dyn_cast<RankedTensorType>(operands[0].getType());
  auto rhs = dyn_cast<RankedTensorType>(operands[1].getType());
  if (!lhs || !rhs)
    return emitOptionalError(loc, "operands must be ranked tensors");
  if (lhs.getElementType() != rhs.getElementType())
    return emitOptionalError(loc, "operand element types differ");
  auto *props = properties.as<MatmulOp::Properties *>();
  bool tl = props && props->transpose_lhs;
  bool tr = props && props->transpose_rhs;
  if (attrs) {
    tl = tl || attrs.get("transpose_lhs");
    tr = tr || attrs.get("transpose_rhs");
  }
  std::string why;
  std::optional<SmallVector<int64_t>> shape =
      matmulResultShape(lhs.getShape(), rhs.getShape(), tl, tr, &why);
  if (!shape)
    return emitOptionalError(loc, "'tsr.matmul' op ", why);
  inferred.push_back(RankedTensorType::get(*shape, lhs.getElementType()));
  return success();
}

bool MatmulOp::isCompatibleReturnTypes(TypeRange l, TypeRange r) {
  return isCompatibleTensorTypes(l, r);
}

LogicalResult LinearOp::verify() {
  RankedTensorType in = getInput().getType();
  RankedTensorType w = getWeight().getType();
  if (in.getRank() < 1)
    return emitOpError("input must have rank >= 1");
  if (in.getElementType() != w.getElementType())
    return emitOpError("input and weight element types differ");
  int64_t k = in.getShape().back(), n, wk;
  if (getWeightPacked()) {
    // [ceil(N/16), K, 16]; N comes from the result.
    if (w.getRank() != 3 || w.getDimSize(2) != kPackedPanelWidth)
      return emitOpError("packed weight must be [ceil(N/")
             << kPackedPanelWidth << "), K, " << kPackedPanelWidth << "]";
    n = getType().getShape().back();
    wk = w.getDimSize(1);
    if (!ShapedType::isDynamic(n) && !w.isDynamicDim(0) &&
        w.getDimSize(0) != (n + kPackedPanelWidth - 1) / kPackedPanelWidth)
      return emitOpError("packed weight has ")
             << w.getDimSize(0) << " panels but N = " << n << " needs "
             << (n + kPackedPanelWidth - 1) / kPackedPanelWidth;
  } else {
    if (w.getRank() != 2)
      return emitOpError("weight must be [N, K], got rank ") << w.getRank();
    n = w.getDimSize(0);
    wk = w.getDimSize(1);
  }
  if (!ShapedType::isDynamic(k) && !ShapedType::isDynamic(wk) && k != wk)
    return emitOpError("input has K = ") << k << " but weight has K = " << wk;
  if (Value b = getBias()) {
    auto bt = cast<RankedTensorType>(b.getType());
    if (bt.getRank() != 1 || !areShapesCompatible(bt.getShape(), {n}))
      return emitOpError("bias must be [N] with N = ") << n;
  }
  SmallVector<int64_t> expected(in.getShape());
  expected.back() = n;
  if (!areShapesCompatible(expected, getType().getShape()) ||
      getType().getElementType() != in.getElementType())
    return emitOpError("result must be ") << shapeStr(expected);
  return success();
}

LogicalResult QuantizedLinearOp::verify() {
  RankedTensorType in = getInput().getType();
  RankedTensorType w = getWeight().getType();
  if (in.getRank() < 1 || getType().getRank() < 1)
    return emitOpError("input and result must have rank >= 1");
  int64_t k = in.getShape().back(), n;
  if (getWeightPacked()) {
    // [ceil(N/16), ceil(K/4), 64]; N comes from the result, K from the input.
    if (w.getRank() != 3 || w.getDimSize(2) != kQuantizedGroupBytes)
      return emitOpError("packed weight must be [ceil(N/")
             << kPackedPanelWidth << "), ceil(K/" << kQuantizedKGroup << "), "
             << kQuantizedGroupBytes << "]";
    n = getType().getShape().back();
    if (!ShapedType::isDynamic(n) && !w.isDynamicDim(0) &&
        w.getDimSize(0) != (n + kPackedPanelWidth - 1) / kPackedPanelWidth)
      return emitOpError("packed weight has ")
             << w.getDimSize(0) << " panels but N = " << n << " needs "
             << (n + kPackedPanelWidth - 1) / kPackedPanelWidth;
    if (!ShapedType::isDynamic(k) && !w.isDynamicDim(1) &&
        w.getDimSize(1) != (k + kQuantizedKGroup - 1) / kQuantizedKGroup)
      return emitOpError("packed weight has ")
             << w.getDimSize(1) << " groups but K = " << k << " needs "
             << (k + kQuantizedKGroup - 1) / kQuantizedKGroup;
    if (!getWeightSums())
      return emitOpError("a packed weight needs weight_sums");
  } else {
    if (w.getRank() != 2)
      return emitOpError("weight must be [N, K], got rank ") << w.getRank();
    n = w.getDimSize(0);
    int64_t wk = w.getDimSize(1);
    if (!ShapedType::isDynamic(k) && !ShapedType::isDynamic(wk) && k != wk)
      return emitOpError("input has K = ") << k << " but weight has K = " << wk;
    if (getWeightSums())
      return emitOpError("weight_sums go with a packed weight only");
  }
  if (!ShapedType::isDynamic(k) && k > kQuantizedMaxK)
    return emitOpError("K = ") << k << " is over the int8 kernels' limit of "
                               << kQuantizedMaxK;
  auto isVectorOfN = [&](Value v) {
    auto t = cast<RankedTensorType>(v.getType());
    return t.getRank() == 1 && areShapesCompatible(t.getShape(), {n});
  };
  if (!isVectorOfN(getWeightScale()))
    return emitOpError("weight_scale must be [N] with N = ") << n;
  if (Value b = getBias(); b && !isVectorOfN(b))
    return emitOpError("bias must be [N] with N = ") << n;
  if (Value sums = getWeightSums(); sums && !isVectorOfN(sums))
    return emitOpError("weight_sums must be [N] with N = ") << n;
  SmallVector<int64_t> expected(in.getShape());
  expected.back() = n;
  if (!areShapesCompatible(expected, getType().getShape()))
    return emitOpError("result must be ") << shapeStr(expected);
  bool isStatic = getInputQuant() == InputQuant::static_tensor;
  bool hasScale = getInputScale().has_value(),
       hasZero = getInputZeroPoint().has_value();
  if (isStatic && !(hasScale && hasZero))
    return emitOpError("static_tensor input quantization needs input_scale "
                       "and input_zero_point");
  if (!isStatic && (hasScale || hasZero))
    return emitOpError("input_scale and input_zero_point go with "
                       "static_tensor input quantization only");
  if (isStatic) {
    float scale = getInputScale()->convertToFloat();
    if (!(scale > 0.0f) || !std::isfinite(scale))
      return emitOpError("input_scale must be positive and finite, got ")
             << scale;
    int32_t zero = *getInputZeroPoint();
    if (zero < 0 || zero > 255)
      return emitOpError("input_zero_point must be in [0, 255] (unsigned "
                         "bytes), got ")
             << zero;
  }
  if (Value smooth = getInputSmooth()) {
    auto t = cast<RankedTensorType>(smooth.getType());
    if (t.getRank() != 1 || !areShapesCompatible(t.getShape(), {k}))
      return emitOpError("input_smooth must be [K] with K = ") << k;
    if (getInputQuant() == InputQuant::dynamic_tensor)
      return emitOpError("input_smooth goes with per_token or static_tensor "
                         "input quantization only");
  }
  return success();
}

/// What the weight-format linears (w4, bf16, sparse) check last: a bias
/// of [N], and a result of the input's shape with N as its last dim.
static LogicalResult verifyBiasAndResult(Operation *op, Value bias,
                                         RankedTensorType in,
                                         RankedTensorType result, int64_t n) {
  if (bias &&
      !areShapesCompatible(cast<RankedTensorType>(bias.getType()).getShape(),
                           {n}))
    return op->emitOpError("bias must be [N] with N = ") << n;
  SmallVector<int64_t> expected(in.getShape());
  expected.back() = n;
  if (!areShapesCompatible(expected, result.getShape()))
    return op->emitOpError("result must be ") << shapeStr(expected);
  return success();
}

LogicalResult W4LinearOp::verify() {
  RankedTensorType in = getInput().getType();
  RankedTensorType w = getWeight().getType();
  if (in.getRank() < 1 || getType().getRank() < 1)
    return emitOpError("input and result must have rank >= 1");
  int64_t k = in.getShape().back(), n = getType().getShape().back();
  int64_t group = static_cast<int64_t>(getGroupSize());
  if (group <= 0 || group % 2 != 0)
    return emitOpError("group_size must be even and positive, got ") << group;
  if (ShapedType::isDynamic(k) || ShapedType::isDynamic(n))
    return emitOpError("K and N must be static");
  if (k % group != 0)
    return emitOpError("group_size ") << group << " does not divide K = " << k;
  SmallVector<int64_t> params = {k / group, n};
  if (getWeightPacked()) {
    int64_t panels = (n + kPackedPanelWidth - 1) / kPackedPanelWidth;
    SmallVector<int64_t> want = {panels, k / 2, kPackedPanelWidth};
    if (!areShapesCompatible(w.getShape(), want))
      return emitOpError("packed weight must be ") << shapeStr(want);
    params = {panels, k / group, kPackedPanelWidth};
  } else if (!areShapesCompatible(w.getShape(), {n, k})) {
    return emitOpError("weight must be [N, K] = ") << shapeStr({n, k});
  }
  if (!areShapesCompatible(getScale().getType().getShape(), params))
    return emitOpError("scale must be ") << shapeStr(params);
  if (Value z = getZeroPoint();
      z && !areShapesCompatible(cast<RankedTensorType>(z.getType()).getShape(),
                                params))
    return emitOpError("zero_point must be ") << shapeStr(params);
  if (Value z = getZeroPoint();
      z && cast<RankedTensorType>(z.getType()).getElementType() !=
               getScale().getType().getElementType())
    return emitOpError("scale and zero_point must have one element type");
  return verifyBiasAndResult(getOperation(), getBias(), in, getType(), n);
}

LogicalResult Bf16LinearOp::verify() {
  RankedTensorType in = getInput().getType();
  RankedTensorType w = getWeight().getType();
  if (in.getRank() < 1 || getType().getRank() < 1)
    return emitOpError("input and result must have rank >= 1");
  int64_t k = in.getShape().back(), n = getType().getShape().back();
  if (ShapedType::isDynamic(k) || ShapedType::isDynamic(n))
    return emitOpError("K and N must be static");
  if (k > kBf16MaxK)
    return emitOpError("K = ") << k << " is over the bf16 kernels' limit of "
                               << kBf16MaxK;
  if (getWeightPacked()) {
    SmallVector<int64_t> want = {
        (n + kPackedPanelWidth - 1) / kPackedPanelWidth,
        (k + kBf16KGroup - 1) / kBf16KGroup, kBf16RowElements};
    if (!areShapesCompatible(w.getShape(), want))
      return emitOpError("packed weight must be ") << shapeStr(want);
  } else if (!areShapesCompatible(w.getShape(), {n, k})) {
    return emitOpError("weight must be [N, K] = ") << shapeStr({n, k});
  }
  return verifyBiasAndResult(getOperation(), getBias(), in, getType(), n);
}

LogicalResult SparseLinearOp::verify() {
  RankedTensorType in = getInput().getType();
  if (in.getRank() < 1 || getType().getRank() < 1)
    return emitOpError("input and result must have rank >= 1");
  int64_t k = in.getShape().back(), n = getType().getShape().back();
  if (ShapedType::isDynamic(k) || ShapedType::isDynamic(n))
    return emitOpError("K and N must be static");
  if (k > kSparseMaxK)
    return emitOpError("K = ") << k << " is over the sparse kernels' limit of "
                               << kSparseMaxK;
  for (Value v : {getValues(), getIndices(), getOffsets()})
    if (cast<RankedTensorType>(v.getType()).getRank() != 1)
      return emitOpError("values, indices and offsets must be 1-D");
  int64_t values = getValues().getType().getShape()[0];
  int64_t indices = getIndices().getType().getShape()[0];
  int64_t offsets = getOffsets().getType().getShape()[0];
  bool blocks = getFormat() == SparseFormat::block16;
  int64_t wantOffsets =
      blocks ? (n + kSparseBlock - 1) / kSparseBlock + 1 : n + 1;
  if (!ShapedType::isDynamic(offsets) && offsets != wantOffsets)
    return emitOpError("offsets must have ")
           << wantOffsets << " elements for N = " << n << ", got " << offsets;
  int64_t perIndex = blocks ? kSparseBlock * kSparseBlock : 1;
  if (!ShapedType::isDynamic(values) && !ShapedType::isDynamic(indices) &&
      values != indices * perIndex)
    return emitOpError("values must have ")
           << perIndex << " elements per index (" << indices * perIndex
           << "), got " << values;
  int64_t maxStored = blocks ? wantOffsets - 1 : n;
  maxStored *= blocks ? (k + kSparseBlock - 1) / kSparseBlock : k;
  if (!ShapedType::isDynamic(indices) && indices > int64_t(INT32_MAX))
    return emitOpError("indices has ")
           << indices << " elements, more than int32 offsets can count";
  if (!ShapedType::isDynamic(indices) && indices > maxStored)
    return emitOpError("indices has ")
           << indices << " elements, more than the weight's " << maxStored;
  return verifyBiasAndResult(getOperation(), getBias(), in, getType(), n);
}

LogicalResult CheckIndicesOp::verify() {
  ArrayRef<int64_t> sizes = getSizes();
  if (sizes.empty())
    return emitOpError("sizes must not be empty");
  for (int64_t s : sizes)
    if (s <= 0)
      return emitOpError("sizes must be positive, got ") << s;
  if (sizes.size() > 1) {
    RankedTensorType t = getIndices().getType();
    if (t.getRank() < 1 || t.isDynamicDim(t.getRank() - 1) ||
        t.getShape().back() != static_cast<int64_t>(sizes.size()))
      return emitOpError("per-component sizes need a static last dim of ")
             << sizes.size();
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Quantize, dequantize
//===----------------------------------------------------------------------===//

/// Checks the scale and zero point of a quantize/dequantize of `input`:
/// both rank 0, or both [C] with C the size of dim `axis`; a constant scale
/// must be positive and finite.
static LogicalResult verifyQuantParams(Operation *op, RankedTensorType input,
                                       Value scale, Value zeroPoint,
                                       int64_t axis) {
  auto st = cast<RankedTensorType>(scale.getType());
  auto zt = cast<RankedTensorType>(zeroPoint.getType());
  if (st.getShape() != zt.getShape())
    return op->emitOpError("scale ")
           << shapeStr(st.getShape()) << " and zero point "
           << shapeStr(zt.getShape()) << " differ in shape";
  if (st.getRank() > 1)
    return op->emitOpError("scale must be rank 0 (per tensor) or 1 (per "
                           "axis), got rank ")
           << st.getRank();
  if (st.getRank() == 1) {
    if (axis < 0 || axis >= input.getRank())
      return op->emitOpError("axis ")
             << axis << " is out of range for rank " << input.getRank();
    if (!areShapesCompatible(st.getShape(), {input.getDimSize(axis)}))
      return op->emitOpError("per-axis scale has ")
             << st.getDimSize(0) << " elements but dim " << axis << " has "
             << input.getDimSize(axis);
  }
  DenseElementsAttr values;
  if (matchPattern(scale, m_Constant(&values)))
    for (APFloat v : values.getValues<APFloat>())
      if (!v.isFiniteNonZero() || v.isNegative())
        return op->emitOpError("scale must be positive and finite, got ")
               << v.convertToFloat();
  return success();
}

LogicalResult QuantizeOp::verify() {
  if (getZeroPoint().getType().getElementType() !=
      getType().getElementType())
    return emitOpError("zero point type ")
           << getZeroPoint().getType().getElementType()
           << " differs from the result's " << getType().getElementType();
  if (getInput().getType().getShape() != getType().getShape())
    return emitOpError("result shape differs from the input's");
  return verifyQuantParams(*this, getInput().getType(), getScale(),
                           getZeroPoint(), getAxis());
}

LogicalResult DequantizeOp::verify() {
  if (getZeroPoint().getType().getElementType() !=
      getInput().getType().getElementType())
    return emitOpError("zero point type ")
           << getZeroPoint().getType().getElementType()
           << " differs from the input's "
           << getInput().getType().getElementType();
  if (getInput().getType().getShape() != getType().getShape())
    return emitOpError("result shape differs from the input's");
  return verifyQuantParams(*this, getInput().getType(), getScale(),
                           getZeroPoint(), getAxis());
}

LogicalResult DynamicQuantizeOp::verify() {
  if (getInput().getType().getShape() != getResult().getType().getShape())
    return emitOpError("result shape differs from the input's");
  return success();
}

LogicalResult MatmulIntegerOp::verify() {
  RankedTensorType l = getLhs().getType(), r = getRhs().getType();
  if (l.getRank() < 2 || r.getRank() < 2)
    return emitOpError("operands must have rank >= 2");
  auto checkZero = [&](Value zp, RankedTensorType data, int64_t dim,
                       StringRef what) -> LogicalResult {
    auto t = cast<RankedTensorType>(zp.getType());
    if (t.getElementType() != data.getElementType())
      return emitOpError(what) << " zero point type " << t.getElementType()
                               << " differs from its operand's "
                               << data.getElementType();
    if (t.getRank() > 1 ||
        (t.getRank() == 1 &&
         !areShapesCompatible(t.getShape(), {data.getDimSize(dim)})))
      return emitOpError(what)
             << " zero point must be rank 0 or [" << data.getDimSize(dim)
             << "], got " << shapeStr(t.getShape());
    return success();
  };
  if (failed(checkZero(getLhsZeroPoint(), l, l.getRank() - 2, "lhs")) ||
      failed(checkZero(getRhsZeroPoint(), r, r.getRank() - 1, "rhs")))
    return failure();
  std::string why;
  auto shape = matmulResultShape(l.getShape(), r.getShape(), false, false, &why);
  if (!shape)
    return emitOpError(why);
  if (!areShapesCompatible(*shape, getType().getShape()))
    return emitOpError("result must be ") << shapeStr(*shape);
  return success();
}

//===----------------------------------------------------------------------===//
// Normalization and reductions
//===----------------------------------------------------------------------===//

/// I64Attr reads back as uint64_t; axes are signed.
template <typename OpTy> static int64_t signedAxis(OpTy op) {
  return op.getAxisAttr().getInt();
}

LogicalResult SoftmaxOp::verify() {
  int64_t rank = getType().getRank(), axis = signedAxis(*this);
  if (axis < 0 || axis >= rank)
    return emitOpError("axis ") << axis << " out of range for rank " << rank;
  return success();
}

LogicalResult LayerNormOp::verify() {
  RankedTensorType in = getInput().getType();
  int64_t rank = in.getRank(), axis = signedAxis(*this);
  if (axis < 0 || axis >= rank)
    return emitOpError("axis ") << axis << " out of range for rank " << rank;
  ArrayRef<int64_t> normalized = in.getShape().drop_front(axis);
  auto checkParam = [&](Value v, StringRef what) -> LogicalResult {
    auto t = cast<RankedTensorType>(v.getType());
    if (t.getElementType() != in.getElementType() ||
        !areShapesCompatible(t.getShape(), normalized))
      return emitOpError(what) << " must be " << shapeStr(normalized)
                               << ", got " << shapeStr(t.getShape());
    return success();
  };
  if (failed(checkParam(getScale(), "scale")))
    return failure();
  if (getBias() && failed(checkParam(getBias(), "bias")))
    return failure();
  if (getResidual() && getResidual().getType() != in)
    return emitOpError("residual must have the input's type");
  if (!isCompatibleTensorTypes(TypeRange{in}, TypeRange{getType()}))
    return emitOpError("result must have the input's shape");
  if (getEpsilon().convertToFloat() < 0)
    return emitOpError("epsilon must be non-negative");
  return success();
}

LogicalResult RmsNormOp::verify() {
  RankedTensorType in = getInput().getType();
  int64_t rank = in.getRank(), axis = signedAxis(*this);
  if (axis < 0 || axis >= rank)
    return emitOpError("axis ") << axis << " out of range for rank " << rank;
  ArrayRef<int64_t> normalized = in.getShape().drop_front(axis);
  RankedTensorType scale = getScale().getType();
  if (scale.getElementType() != in.getElementType() ||
      !areShapesCompatible(scale.getShape(), normalized))
    return emitOpError("scale must be ") << shapeStr(normalized) << ", got "
                                         << shapeStr(scale.getShape());
  if (!isCompatibleTensorTypes(TypeRange{in}, TypeRange{getType()}))
    return emitOpError("result must have the input's shape");
  if (getEpsilon().convertToFloat() < 0)
    return emitOpError("epsilon must be non-negative");
  return success();
}

LogicalResult ReduceOp::verify() {
  RankedTensorType in = getInput().getType();
  int64_t rank = in.getRank();
  SmallVector<bool> reduced(rank, false);
  for (int64_t a : getAxes()) {
    if (a < 0 || a >= rank)
      return emitOpError("axis ") << a << " out of range for rank " << rank;
    if (reduced[a])
      return emitOpError("axis ") << a << " repeated";
    reduced[a] = true;
  }
  SmallVector<int64_t> expected;
  for (int64_t d = 0; d < rank; ++d) {
    if (!reduced[d])
      expected.push_back(in.getDimSize(d));
    else if (getKeepDims())
      expected.push_back(1);
  }
  if (!areShapesCompatible(expected, getType().getShape()) ||
      getType().getElementType() != in.getElementType())
    return emitOpError("result must be ") << shapeStr(expected);
  return success();
}

LogicalResult CumsumOp::verify() {
  int64_t rank = getType().getRank(), axis = signedAxis(*this);
  if (axis < 0 || axis >= rank)
    return emitOpError("axis ") << axis << " out of range for rank " << rank;
  Type elt = getType().getElementType();
  if (!isa<FloatType>(elt) && (!elt.isSignlessInteger() || elt.isInteger(1)))
    return emitOpError("needs float or integer (not i1) elements, got ")
           << elt;
  return success();
}

//===----------------------------------------------------------------------===//
// Attention
//===----------------------------------------------------------------------===//

LogicalResult AttentionOp::verify() {
  RankedTensorType q = getQuery().getType(), k = getKey().getType(),
                   v = getValue().getType();
  if (q.getRank() != 4 || k.getRank() != 4 || v.getRank() != 4)
    return emitOpError("query, key and value must be rank 4 [B, H, S, D]");
  // (I64Attr's getter is unsigned.)
  if (int64_t window = getWindowAttr().getInt();
      window < 0 || window > (int64_t(1) << 40))
    return emitOpError("window must be in [0, 2^40] (0: no window), got ")
           << window;
  if (q.getElementType() != k.getElementType() ||
      q.getElementType() != v.getElementType())
    return emitOpError("query, key and value element types differ");
  // V may have its own head size; batch, heads and keys must match K's.
  if (!areShapesCompatible(k.getShape().drop_back(), v.getShape().drop_back()))
    return emitOpError("key and value shapes differ");
  auto staticEq = [](int64_t a, int64_t b) {
    return ShapedType::isDynamic(a) || ShapedType::isDynamic(b) || a == b;
  };
  if (!staticEq(q.getDimSize(0), k.getDimSize(0)))
    return emitOpError("batch sizes differ");
  if (!staticEq(q.getDimSize(3), k.getDimSize(3)))
    return emitOpError("query and key head dims differ");
  int64_t h = q.getDimSize(1), hkv = k.getDimSize(1);
  if (!ShapedType::isDynamic(h) && !ShapedType::isDynamic(hkv) &&
      (hkv == 0 || h % hkv != 0))
    return emitOpError("query heads (")
           << h << ") must be a multiple of key/value heads (" << hkv << ")";
  if (Value mask = getMask()) {
    auto mt = cast<RankedTensorType>(mask.getType());
    SmallVector<int64_t> scores = {q.getDimSize(0), h, q.getDimSize(2),
                                   k.getDimSize(2)};
    std::optional<SmallVector<int64_t>> b =
        broadcastShapes({mt.getShape(), scores});
    if (mt.getRank() > 4 || !b || !areShapesCompatible(*b, scores))
      return emitOpError("mask of shape ")
             << shapeStr(mt.getShape()) << " does not broadcast to scores "
             << shapeStr(scores);
    if (mt.getElementType() != q.getElementType())
      return emitOpError("mask element type must match the query's");
  }
  SmallVector<int64_t> expected = {q.getDimSize(0), h, q.getDimSize(2),
                                   v.getDimSize(3)};
  if (!areShapesCompatible(expected, getType().getShape()) ||
      getType().getElementType() != q.getElementType())
    return emitOpError("result must be ") << shapeStr(expected);
  return success();
}

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

LogicalResult GatherOp::verify() {
  RankedTensorType in = getInput().getType();
  int64_t axis = signedAxis(*this);
  if (axis < 0 || axis >= in.getRank())
    return emitOpError("axis ") << axis << " out of range for rank "
                                << in.getRank();
  SmallVector<int64_t> expected(in.getShape().take_front(axis));
  llvm::append_range(expected, getIndices().getType().getShape());
  llvm::append_range(expected, in.getShape().drop_front(axis + 1));
  if (!areShapesCompatible(expected, getType().getShape()) ||
      getType().getElementType() != in.getElementType())
    return emitOpError("result must be ") << shapeStr(expected);
  return success();
}

/// Checks that `dynamicDims` has one operand per dynamic dim of `type`.
static LogicalResult verifyDynamicDims(Operation *op, RankedTensorType type,
                                       ValueRange dynamicDims) {
  if (dynamicDims.size() != static_cast<size_t>(type.getNumDynamicDims()))
    return op->emitOpError("expected ")
           << type.getNumDynamicDims()
           << " dynamic dim operands for the result, got "
           << dynamicDims.size();
  return success();
}

LogicalResult ReshapeOp::verify() {
  if (failed(verifyDynamicDims(*this, getType(), getDynamicDims())))
    return failure();
  RankedTensorType in = getInput().getType();
  if (in.getElementType() != getType().getElementType())
    return emitOpError("element type must not change");
  if (in.hasStaticShape() && getType().hasStaticShape() &&
      in.getNumElements() != getType().getNumElements())
    return emitOpError("cannot reshape ")
           << in.getNumElements() << " elements into "
           << getType().getNumElements();
  return success();
}

OpFoldResult ReshapeOp::fold(FoldAdaptor) {
  if (getInput().getType() == getType() && getType().hasStaticShape())
    return getInput();
  // reshape(reshape(x)) == reshape(x) when the outer one is static.
  if (auto inner = getInput().getDefiningOp<ReshapeOp>();
      inner && getType().hasStaticShape()) {
    getInputMutable().assign(inner.getInput());
    return getResult();
  }
  return {};
}

LogicalResult TransposeOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> loc, ValueRange operands,
    DictionaryAttr attrs, OpaqueProperties properties, RegionRange,
    SmallVectorImpl<Type> &inferred) {
  auto in = dyn_cast<RankedTensorType>(operands[0].getType());
  if (!in)
    return emitOptionalError(loc, "input must be a ranked tensor");
  auto *props = properties.as<TransposeOp::Properties *>();
  ArrayRef<int64_t> perm;
  if (props && props->permutation)
    perm = props->permutation.asArrayRef();
  else if (attrs)
    if (auto a = attrs.getAs<DenseI64ArrayAttr>("permutation"))
      perm = a.asArrayRef();
  if (static_cast<int64_t>(perm.size()) != in.getRank())
    return emitOptionalError(loc, "permutation must have one entry per dim");
  SmallVector<bool> seen(perm.size(), false);
  SmallVector<int64_t> shape;
  for (int64_t p : perm) {
    if (p < 0 || p >= in.getRank() || seen[p])
      return emitOptionalError(loc, "permutation is not a permutation of 0..",
                               in.getRank() - 1);
    seen[p] = true;
    shape.push_back(in.getDimSize(p));
  }
  inferred.push_back(RankedTensorType::get(shape, in.getElementType()));
  return success();
}

bool TransposeOp::isCompatibleReturnTypes(TypeRange l, TypeRange r) {
  return isCompatibleTensorTypes(l, r);
}

OpFoldResult TransposeOp::fold(FoldAdaptor) {
  if (llvm::equal(getPermutation(),
                  llvm::seq<int64_t>(0, getPermutation().size())) &&
      getInput().getType() == getType())
    return getInput();
  // transpose(transpose(x, p), q) == transpose(x, p∘q): result dim i is
  // inner dim q[i], which is x's dim p[q[i]].
  if (auto inner = getInput().getDefiningOp<TransposeOp>()) {
    SmallVector<int64_t> composed;
    for (int64_t q : getPermutation())
      composed.push_back(inner.getPermutation()[q]);
    getInputMutable().assign(inner.getInput());
    setPermutation(composed);
    return getResult();
  }
  return {};
}

LogicalResult ConcatOp::verify() {
  if (getInputs().empty())
    return emitOpError("needs at least one input");
  RankedTensorType result = getType();
  int64_t rank = result.getRank(), axis = signedAxis(*this);
  if (axis < 0 || axis >= rank)
    return emitOpError("axis ") << axis << " out of range for rank " << rank;
  int64_t total = 0;
  for (Value v : getInputs()) {
    auto t = cast<RankedTensorType>(v.getType());
    if (t.getRank() != rank || t.getElementType() != result.getElementType())
      return emitOpError("inputs must have the result's rank and element type");
    for (int64_t d = 0; d < rank; ++d) {
      if (d == axis)
        continue;
      if (!areShapesCompatible({t.getDimSize(d)}, {result.getDimSize(d)}))
        return emitOpError("input dim ") << d << " differs from the result's";
    }
    if (total != ShapedType::kDynamic)
      total = t.isDynamicDim(axis) ? ShapedType::kDynamic
                                   : total + t.getDimSize(axis);
  }
  if (!areShapesCompatible({total}, {result.getDimSize(axis)}))
    return emitOpError("result dim ") << axis << " must be " << total;
  return success();
}

LogicalResult SliceOp::verify() {
  RankedTensorType in = getInput().getType();
  int64_t rank = in.getRank();
  if (static_cast<int64_t>(getStaticOffsets().size()) != rank ||
      static_cast<int64_t>(getSteps().size()) != rank ||
      getType().getRank() != rank)
    return emitOpError("offsets, steps and result need one entry per dim");
  if (in.getElementType() != getType().getElementType())
    return emitOpError("element type must not change");
  int64_t numDynOffsets =
      llvm::count_if(getStaticOffsets(), ShapedType::isDynamic);
  if (numDynOffsets != static_cast<int64_t>(getOffsets().size()))
    return emitOpError("expected ")
           << numDynOffsets << " dynamic offset operands";
  if (failed(verifyDynamicDims(*this, getType(), getSizes())))
    return failure();
  for (int64_t d = 0; d < rank; ++d) {
    int64_t off = getStaticOffsets()[d], step = getSteps()[d];
    int64_t size = getType().getDimSize(d), dim = in.getDimSize(d);
    if (step < 1)
      return emitOpError("steps must be positive");
    if (!ShapedType::isDynamic(off) && off < 0)
      return emitOpError("offsets must be non-negative");
    if (ShapedType::isDynamic(off) || ShapedType::isDynamic(size) ||
        ShapedType::isDynamic(dim) || size == 0)
      continue;
    if (off + (size - 1) * step >= dim)
      return emitOpError("dim ") << d << " reads past the input's size "
                                 << dim;
  }
  return success();
}

LogicalResult BroadcastOp::verify() {
  if (failed(verifyDynamicDims(*this, getType(), getDynamicDims())))
    return failure();
  RankedTensorType in = getInput().getType();
  if (in.getElementType() != getType().getElementType())
    return emitOpError("element type must not change");
  if (in.getRank() > getType().getRank())
    return emitOpError("cannot broadcast to a lower rank");
  int64_t lead = getType().getRank() - in.getRank();
  for (int64_t d = 0; d < in.getRank(); ++d) {
    int64_t i = in.getDimSize(d), r = getType().getDimSize(lead + d);
    if (i != 1 && !ShapedType::isDynamic(i) && !ShapedType::isDynamic(r) &&
        i != r)
      return emitOpError("input dim ")
             << d << " (" << i << ") does not broadcast to " << r;
  }
  return success();
}

#define GET_OP_CLASSES
#include "dialects/tsr/IR/TsrOps.cpp.inc"
