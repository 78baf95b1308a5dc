//===- OnnxQuantizeOps.cpp - Quantization ops -----------------------------===//
//
// Converters for the ops of already-quantized models: QuantizeLinear,
// DequantizeLinear (per tensor and per axis, int8/uint8, and int32 for
// DequantizeLinear), DynamicQuantizeLinear and MatMulInteger become the tsr
// quantization ops of the same names; QLinearMatMul is written as
// MatMulInteger, a rescale and QuantizeLinear, as its definition reads. The
// graph passes fold the matmuls among them into int8 kernels
// (tsr-fold-quantized-matmuls) and compute the rest exactly
// (tsr-lower-quantized-ops). com.microsoft's MatMulNBits (4-bit LLM
// exports) becomes a tsr.w4_linear with the model's own 4-bit values,
// scales and zero points.
//
//===----------------------------------------------------------------------===//

#include "compiler/Transforms/LinearWeights.h"
#include "compiler/Transforms/PatternUtils.h"
#include "frontends/onnx/NodeBuilder.h"
#include "frontends/onnx/OnnxOpSupport.h"

#include "mlir/IR/DialectResourceBlobManager.h"

#include "llvm/Support/FormatVariadic.h"

using namespace mlir;
using namespace tessera;
using llvm::Error;
using llvm::Expected;

namespace tessera::onnx_import {
namespace {

std::string typeName(Type t) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << t;
  return s;
}

bool isInt8(Type t) { return t.isInteger(8); }

/// Checks the scale and zero point operands of a (de)quantize: a f32
/// scale, rank 0 or [C] along `axis`, constant ones positive and finite;
/// returns the zero point, or a zero of `zeroType` when absent. A scale of
/// one element ([1]) is per tensor whatever the axis, as onnxruntime reads
/// it (its quantizer writes bias scales so); `scale` and the zero point are
/// then made rank 0.
Expected<Value> quantParams(Importer &im, const onnx::NodeProto &node,
                            Value data, Value &scale, int zeroInput,
                            Type zeroType, int64_t &axis) {
  if (typeOf(scale).getRank() == 1 && typeOf(scale).getDimSize(0) == 1)
    scale = im.reshape(scale, {});
  RankedTensorType dt = typeOf(data), st = typeOf(scale);
  if (!st.getElementType().isF32())
    return im.nodeError(node, "scale must be float32, got " +
                                  typeName(st.getElementType()));
  if (st.getRank() > 1)
    return im.nodeError(node, "scale must be a scalar or 1-D (blocked "
                              "quantization is unsupported), got rank " +
                                  llvm::Twine(st.getRank()));
  axis = normalizeAxis(attrInt(node, "axis", 1), dt.getRank());
  if (st.getRank() == 1) {
    if (axis < 0 || axis >= dt.getRank())
      return im.nodeError(node, "axis " + llvm::Twine(attrInt(node, "axis", 1)) +
                                    " is out of range for rank " +
                                    llvm::Twine(dt.getRank()));
    if (!st.isDynamicDim(0) && !dt.isDynamicDim(axis) &&
        st.getDimSize(0) != dt.getDimSize(axis))
      return im.nodeError(node, llvm::formatv("per-axis scale has {0} "
                                              "elements but dim {1} has {2}",
                                              st.getDimSize(0), axis,
                                              dt.getDimSize(axis))
                                    .str());
  }
  // A constant scale must be positive and finite.
  auto it = im.values.find(node.input(1));
  if (it != im.values.end() && it->second.host)
    for (double s : it->second.host->floats)
      if (!(s > 0.0) || !std::isfinite(s))
        return im.nodeError(node, llvm::formatv("scale must be positive and "
                                                "finite, got {0}", s)
                                      .str());
  if (!im.hasInput(node, zeroInput))
    return tsr::ConstantOp::create(
               im.b, im.loc,
               DenseElementsAttr::get(st.clone(zeroType),
                                      im.b.getIntegerAttr(zeroType, 0)))
        .getResult();
  Expected<Value> zero = im.tensorOperand(node, zeroInput);
  if (!zero)
    return zero.takeError();
  Value zeroValue = *zero;
  if (st.getRank() == 0 && typeOf(zeroValue).getRank() == 1 &&
      typeOf(zeroValue).getDimSize(0) == 1)
    zeroValue = im.reshape(zeroValue, {});
  RankedTensorType zt = typeOf(zeroValue);
  if (zt.getElementType() != zeroType)
    return im.nodeError(node, "zero point type " +
                                  typeName(zt.getElementType()) +
                                  " does not match " + typeName(zeroType));
  if (zt.getShape() != st.getShape())
    return im.nodeError(node, "zero point and scale differ in shape");
  return zeroValue;
}

Error convertQuantizeLinear(Importer &im, const onnx::NodeProto &node) {
  if (attrInt(node, "block_size", 0) != 0)
    return im.nodeError(node, "blocked quantization (block_size) is unsupported");
  Expected<Value> x = im.tensorOperand(node, 0);
  if (!x)
    return x.takeError();
  Expected<Value> scaleOrErr = im.tensorOperand(node, 1);
  if (!scaleOrErr)
    return scaleOrErr.takeError();
  Value scale = *scaleOrErr;
  if (!typeOf(*x).getElementType().isF32())
    return im.nodeError(node, "unsupported input type " +
                                  typeName(typeOf(*x).getElementType()) +
                                  " (float32 only)");
  // The result type: the zero point's, else output_dtype (opset 21), else
  // uint8.
  Type resultType = im.b.getIntegerType(8, /*isSigned=*/false);
  if (im.hasInput(node, 2)) {
    Expected<ImportedValue *> z = im.lookup(node, node.input(2));
    if (!z)
      return z.takeError();
    resultType = (*z)->tensor ? typeOf((*z)->tensor).getElementType()
                              : (*z)->host->elementType;
  } else if (int64_t dt = attrInt(node, "output_dtype", 0)) {
    Expected<Type> t = im.elementType(dt, "output_dtype");
    if (!t)
      return t.takeError();
    resultType = *t;
  }
  if (!isInt8(resultType))
    return im.nodeError(node, "unsupported quantized type " +
                                  typeName(resultType) +
                                  " (int8 and uint8 only)");
  int64_t axis = 1;
  Expected<Value> zero =
      quantParams(im, node, *x, scale, 2, resultType, axis);
  if (!zero)
    return zero.takeError();
  Value q = tsr::QuantizeOp::create(im.b, im.loc, typeOf(*x).clone(resultType),
                                    *x, scale, *zero, axis);
  im.setTensor(node, 0, q);
  return Error::success();
}

Error convertDequantizeLinear(Importer &im, const onnx::NodeProto &node) {
  if (attrInt(node, "block_size", 0) != 0)
    return im.nodeError(node, "blocked quantization (block_size) is unsupported");
  Expected<Value> x = im.tensorOperand(node, 0);
  if (!x)
    return x.takeError();
  Expected<Value> scaleOrErr = im.tensorOperand(node, 1);
  if (!scaleOrErr)
    return scaleOrErr.takeError();
  Value scale = *scaleOrErr;
  Type elt = typeOf(*x).getElementType();
  if (!isInt8(elt) && !elt.isSignlessInteger(32))
    return im.nodeError(node, "unsupported quantized type " + typeName(elt) +
                                  " (int8, uint8 and int32 only)");
  int64_t axis = 1;
  Expected<Value> zero = quantParams(im, node, *x, scale, 2, elt, axis);
  if (!zero)
    return zero.takeError();
  Value r = tsr::DequantizeOp::create(
      im.b, im.loc, typeOf(*x).clone(im.b.getF32Type()), *x, scale, *zero,
      axis);
  im.setTensor(node, 0, r);
  return Error::success();
}

Error convertDynamicQuantizeLinear(Importer &im, const onnx::NodeProto &node) {
  Expected<Value> x = im.tensorOperand(node, 0);
  if (!x)
    return x.takeError();
  if (!typeOf(*x).getElementType().isF32())
    return im.nodeError(node, "unsupported input type " +
                                  typeName(typeOf(*x).getElementType()) +
                                  " (float32 only)");
  Type u8 = im.b.getIntegerType(8, /*isSigned=*/false);
  auto op = tsr::DynamicQuantizeOp::create(
      im.b, im.loc, typeOf(*x).clone(u8),
      RankedTensorType::get({}, im.b.getF32Type()), RankedTensorType::get({}, u8),
      *x);
  for (int i = 0; i < 3 && i < node.output_size(); ++i)
    im.setTensor(node, i, op->getResult(i));
  return Error::success();
}

/// The zero point of MatMulInteger's operand `data` (input `i`): rank 0,
/// or 1-D per row (lhs) or per column (rhs); zero when absent.
Expected<Value> matmulZero(Importer &im, const onnx::NodeProto &node, int i,
                           Value data, bool isLhs) {
  RankedTensorType dt = typeOf(data);
  if (!im.hasInput(node, i))
    return tsr::ConstantOp::create(
               im.b, im.loc,
               DenseElementsAttr::get(
                   RankedTensorType::get({}, dt.getElementType()),
                   im.b.getIntegerAttr(dt.getElementType(), 0)))
        .getResult();
  Expected<Value> z = im.tensorOperand(node, i);
  if (!z)
    return z.takeError();
  RankedTensorType zt = typeOf(*z);
  if (zt.getElementType() != dt.getElementType())
    return im.nodeError(node, "zero point type " +
                                  typeName(zt.getElementType()) +
                                  " does not match its operand's " +
                                  typeName(dt.getElementType()));
  // [1] is a scalar written as a vector.
  if (zt.getRank() == 1 && zt.getDimSize(0) == 1)
    return im.reshape(*z, {});
  int64_t dim = isLhs ? dt.getRank() - 2 : dt.getRank() - 1;
  if (zt.getRank() > 1 ||
      (zt.getRank() == 1 && !zt.isDynamicDim(0) && !dt.isDynamicDim(dim) &&
       zt.getDimSize(0) != dt.getDimSize(dim)))
    return im.nodeError(node, std::string(isLhs ? "a" : "b") +
                                  "_zero_point must be a scalar or one per " +
                                  (isLhs ? "row" : "column"));
  return *z;
}

/// tsr.matmul_integer of inputs (a, b) with zero points (za, zb): rank-2+
/// 8-bit operands.
Expected<Value> integerMatmul(Importer &im, const onnx::NodeProto &node,
                              int a, int za, int b, int zb) {
  Expected<Value> lhs = im.tensorOperand(node, a);
  if (!lhs)
    return lhs.takeError();
  Expected<Value> rhs = im.tensorOperand(node, b);
  if (!rhs)
    return rhs.takeError();
  for (Value v : {*lhs, *rhs}) {
    if (!isInt8(typeOf(v).getElementType()))
      return im.nodeError(node, "unsupported operand type " +
                                    typeName(typeOf(v).getElementType()) +
                                    " (int8 and uint8 only)");
    if (typeOf(v).getRank() < 2)
      return im.nodeError(node, "operands of rank < 2 are unsupported");
  }
  Expected<Value> zl = matmulZero(im, node, za, *lhs, true);
  if (!zl)
    return zl.takeError();
  Expected<Value> zr = matmulZero(im, node, zb, *rhs, false);
  if (!zr)
    return zr.takeError();
  std::string why;
  auto shape = tsr::matmulResultShape(typeOf(*lhs).getShape(),
                                      typeOf(*rhs).getShape(), false, false,
                                      &why);
  if (!shape)
    return im.nodeError(node, why);
  return tsr::MatmulIntegerOp::create(
             im.b, im.loc, RankedTensorType::get(*shape, im.b.getI32Type()),
             *lhs, *rhs, *zl, *zr)
      .getResult();
}

Error convertMatMulInteger(Importer &im, const onnx::NodeProto &node) {
  Expected<Value> r = integerMatmul(im, node, 0, 2, 1, 3);
  if (!r)
    return r.takeError();
  im.setTensor(node, 0, *r);
  return Error::success();
}

/// QLinearMatMul(a, sa, za, b, sb, zb, sy, zy): quantize(float(acc) * (sa *
/// sb), sy, zy) with acc the integer product, as onnxruntime computes it.
Error convertQLinearMatMul(Importer &im, const onnx::NodeProto &node) {
  if (node.input_size() < 8)
    return im.nodeError(node, "needs 8 inputs");
  for (int i : {1, 4, 6}) {
    Expected<Value> s = im.tensorOperand(node, i);
    if (!s)
      return s.takeError();
    if (!typeOf(*s).getElementType().isF32())
      return im.nodeError(node, "unsupported scale type " +
                                    typeName(typeOf(*s).getElementType()) +
                                    " (float32 only)");
    if (typeOf(*s).getRank() > 1)
      return im.nodeError(node, "scales must be scalars or vectors");
    if (i != 4 && typeOf(*s).getNumElements() != 1)
      return im.nodeError(node, "per-row a_scale and y_scale are unsupported");
    auto it = im.values.find(node.input(i));
    if (it != im.values.end() && it->second.host)
      for (double v : it->second.host->floats)
        if (!(v > 0.0) || !std::isfinite(v))
          return im.nodeError(
              node, llvm::formatv("scale must be positive and finite, got {0}", v)
                        .str());
  }
  Expected<Value> acc = integerMatmul(im, node, 0, 2, 3, 5);
  if (!acc)
    return acc.takeError();
  NodeBuilder nb(im, node);
  std::string accName = nb.tensor(*acc);
  ASSIGN_OR_RETURN(accF, nb.add("Cast", {accName},
                                {intAttr("to", onnx::TensorProto::FLOAT)}));
  ASSIGN_OR_RETURN(scale, nb.add("Mul", {nb.input(1), nb.input(4)}));
  ASSIGN_OR_RETURN(y, nb.add("Mul", {accF, scale}));
  ASSIGN_OR_RETURN(q, nb.add("QuantizeLinear", {y, nb.input(6), nb.input(7)}));
  nb.setOutput(0, q);
  return Error::success();
}

/// The bytes of input `i`, a compile-time constant, or an error.
Expected<std::vector<char>> constantInput(Importer &im,
                                          const onnx::NodeProto &node, int i,
                                          llvm::StringRef what) {
  Expected<Value> v = im.tensorOperand(node, i);
  if (!v)
    return v.takeError();
  ElementsAttr attr = getConstantElements(*v);
  std::vector<char> storage;
  ArrayRef<char> bytes = attr ? constantBytes(attr, storage) : ArrayRef<char>();
  if (!attr || (bytes.empty() && attr.getNumElements() != 0))
    return im.nodeError(node, what + " must be a constant (an initializer)");
  return std::vector<char>(bytes.begin(), bytes.end());
}

/// com.microsoft MatMulNBits (4 bits): Y = A · W (+ bias) with W[k, n] =
/// (q - zero) * scale per block of block_size k values of column n; B is
/// [N, ceil(K / block), block / 2] bytes (low nibble first), scales [N *
/// blocks], zero points absent (8), packed 4-bit [N * ceil(blocks / 2)] or
/// float [N * blocks].
Error convertMatMulNBits(Importer &im, const onnx::NodeProto &node) {
  int64_t k = attrInt(node, "K", -1), n = attrInt(node, "N", -1);
  int64_t bits = attrInt(node, "bits", 4), block = attrInt(node, "block_size", -1);
  if (bits != 4)
    return im.nodeError(node, "unsupported bits " + llvm::Twine(bits) +
                                  " (4 only)");
  if (k <= 0 || n <= 0 || block < 2 || block % 2 != 0)
    return im.nodeError(node, llvm::formatv("invalid K = {0}, N = {1} or "
                                            "block_size = {2}",
                                            k, n, block)
                                  .str());
  if (k % block != 0)
    return im.nodeError(node, llvm::formatv("block_size {0} does not divide "
                                            "K = {1} (unsupported)",
                                            block, k)
                                  .str());
  if (im.hasInput(node, 4))
    return im.nodeError(node, "g_idx (act-order) is unsupported");
  Expected<Value> a = im.tensorOperand(node, 0);
  if (!a)
    return a.takeError();
  RankedTensorType at = typeOf(*a);
  if (!at.getElementType().isF32() || at.getRank() < 1 ||
      at.getShape().back() != k)
    return im.nodeError(node, "A must be float32 [..., K] with K = " +
                                  llvm::Twine(k));
  const int64_t blocks = k / block;
  Expected<std::vector<char>> b = constantInput(im, node, 1, "B");
  if (!b)
    return b.takeError();
  if (static_cast<int64_t>(b->size()) != n * blocks * (block / 2))
    return im.nodeError(node, llvm::formatv("B has {0} bytes, expected N x "
                                            "blocks x block_size / 2 = {1}",
                                            b->size(), n * blocks * (block / 2))
                                  .str());
  Expected<std::vector<char>> scales = constantInput(im, node, 2, "scales");
  if (!scales)
    return scales.takeError();
  if (static_cast<int64_t>(scales->size()) != n * blocks * 4)
    return im.nodeError(node, "scales must be float32 with N x blocks = " +
                                  llvm::Twine(n * blocks) + " elements");
  std::vector<float> zeroValues;
  if (im.hasInput(node, 3)) {
    Expected<std::vector<char>> z = constantInput(im, node, 3, "zero_points");
    if (!z)
      return z.takeError();
    Type zt = typeOf(*im.tensorOperand(node, 3)).getElementType();
    int64_t perColumn = (blocks + 1) / 2;
    if (zt.isInteger(8) && static_cast<int64_t>(z->size()) == n * perColumn) {
      for (int64_t j = 0; j < n; ++j)
        for (int64_t g = 0; g < blocks; ++g) {
          uint8_t byte = static_cast<uint8_t>((*z)[j * perColumn + g / 2]);
          zeroValues.push_back(g % 2 ? byte >> 4 : byte & 15);
        }
    } else if (zt.isF32() && static_cast<int64_t>(z->size()) == n * blocks * 4) {
      zeroValues.resize(n * blocks);
      std::memcpy(zeroValues.data(), z->data(), z->size());
    } else {
      return im.nodeError(node, "zero_points must be packed uint8 [N x "
                                "ceil(blocks / 2)] or float32 [N x blocks]");
    }
  }
  // The w4_linear operands: q [N, K] one value per byte, scale and zero
  // [blocks, N].
  auto qBlob = HeapAsmResourceBlob::allocate(n * k, alignof(int64_t));
  auto *q = reinterpret_cast<uint8_t *>(qBlob.getMutableData().data());
  for (int64_t j = 0; j < n; ++j)
    for (int64_t kk = 0; kk < k; ++kk) {
      uint8_t byte = static_cast<uint8_t>((*b)[j * (k / 2) + kk / 2]);
      q[j * k + kk] = kk % 2 ? byte >> 4 : byte & 15;
    }
  auto transposeParams = [&](const float *src) {
    auto blob = HeapAsmResourceBlob::allocate(blocks * n * sizeof(float),
                                              alignof(float));
    auto *out = reinterpret_cast<float *>(blob.getMutableData().data());
    for (int64_t j = 0; j < n; ++j)
      for (int64_t g = 0; g < blocks; ++g)
        out[g * n + j] = src[j * blocks + g];
    return blob;
  };
  std::string name = node.input(1);
  Type u8 = im.b.getIntegerType(8, /*isSigned=*/false);
  auto paramType = RankedTensorType::get({blocks, n}, im.b.getF32Type());
  Value qv = createBlobConstant(im.b, im.loc, RankedTensorType::get({n, k}, u8),
                                name + ".w4", name, std::move(qBlob))
                 ->getResult(0);
  Value sv = createBlobConstant(
                 im.b, im.loc, paramType, name + ".scale", name + ".scale",
                 transposeParams(reinterpret_cast<const float *>(scales->data())))
                 ->getResult(0);
  Value zv;
  if (!zeroValues.empty())
    zv = createBlobConstant(im.b, im.loc, paramType, name + ".zero",
                            name + ".zero", transposeParams(zeroValues.data()))
             ->getResult(0);
  Value bias;
  if (im.hasInput(node, 5)) {
    Expected<Value> bv = im.tensorOperand(node, 5);
    if (!bv)
      return bv.takeError();
    if (!typeOf(*bv).getElementType().isF32() ||
        typeOf(*bv).getShape() != ArrayRef<int64_t>{n})
      return im.nodeError(node, "bias must be float32 [N]");
    bias = *bv;
  }
  SmallVector<int64_t> shape(at.getShape());
  shape.back() = n;
  Value y = tsr::W4LinearOp::create(
      im.b, im.loc, RankedTensorType::get(shape, im.b.getF32Type()), *a, qv,
      sv, zv, bias, im.b.getI64IntegerAttr(block),
      tsr::EpilogueAttr::get(im.ctx, tsr::Epilogue::none),
      /*weight_packed=*/nullptr);
  im.setTensor(node, 0, y);
  return Error::success();
}

} // namespace

void registerContribConverters(ConverterTable &m) {
  m["MatMulNBits"] = convertMatMulNBits;
}

void registerQuantizeConverters(ConverterTable &m) {
  m["QuantizeLinear"] = convertQuantizeLinear;
  m["DequantizeLinear"] = convertDequantizeLinear;
  m["DynamicQuantizeLinear"] = convertDynamicQuantizeLinear;
  m["MatMulInteger"] = convertMatMulInteger;
  m["QLinearMatMul"] = convertQLinearMatMul;
}

} // namespace tessera::onnx_import
