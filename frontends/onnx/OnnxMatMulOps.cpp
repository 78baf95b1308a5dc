//===- OnnxMatMulOps.cpp - MatMul and Gemm --------------------------------===//
//
// Converters for the matrix products: MatMul (numpy semantics, batched,
// rank-1 operands widened and narrowed back) and Gemm (transposes, alpha,
// beta, broadcast C) as tsr.matmul plus elementwise scaling and bias; the
// graph passes fuse these into tsr.linear.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/OnnxOpSupport.h"

using namespace mlir;
using llvm::Error;
using llvm::Expected;

namespace tessera::onnx_import {
namespace {

Error convertMatMul(Importer &im, const onnx::NodeProto &node) {
  Expected<Value> a = im.tensorOperand(node, 0);
  if (!a)
    return a.takeError();
  Expected<Value> c = im.tensorOperand(node, 1);
  if (!c)
    return c.takeError();
  Value l = *a, r = *c;
  if (typeOf(l).getElementType() != typeOf(r).getElementType())
    return im.nodeError(node, "operand element types differ");
  // numpy.matmul: a rank-1 lhs is [1, K], a rank-1 rhs is [K, 1]; the added
  // dim is dropped afterwards.
  bool lhsVector = typeOf(l).getRank() == 1, rhsVector = typeOf(r).getRank() == 1;
  if (typeOf(l).getRank() == 0 || typeOf(r).getRank() == 0)
    return im.nodeError(node, "MatMul operands must have rank >= 1");
  if (lhsVector)
    l = im.reshape(l, {IntElem{1, {}}, im.dimOf(l, 0)});
  if (rhsVector)
    r = im.reshape(r, {im.dimOf(r, 0), IntElem{1, {}}});
  std::string why;
  auto shape = tsr::matmulResultShape(typeOf(l).getShape(), typeOf(r).getShape(),
                                      false, false, &why);
  if (!shape)
    return im.nodeError(node, why);
  Value out = tsr::MatmulOp::create(
      im.b, im.loc, RankedTensorType::get(*shape, typeOf(l).getElementType()),
      l, r, false, false);
  if (lhsVector || rhsVector) {
    SmallVector<IntElem> dims;
    int64_t rank = typeOf(out).getRank();
    for (int64_t d = 0; d < rank; ++d) {
      if ((lhsVector && d == rank - 2) || (rhsVector && d == rank - 1))
        continue;
      dims.push_back(im.dimOf(out, d));
    }
    out = im.reshape(out, dims);
  }
  im.setTensor(node, 0, out);
  return Error::success();
}

Error convertGemm(Importer &im, const onnx::NodeProto &node) {
  Expected<Value> a = im.tensorOperand(node, 0);
  if (!a)
    return a.takeError();
  Expected<Value> c = im.tensorOperand(node, 1);
  if (!c)
    return c.takeError();
  if (typeOf(*a).getRank() != 2 || typeOf(*c).getRank() != 2)
    return im.nodeError(node, "Gemm operands must be rank 2");
  bool ta = attrInt(node, "transA", 0), tb = attrInt(node, "transB", 0);
  float alpha = attrFloat(node, "alpha", 1.0f), beta = attrFloat(node, "beta", 1.0f);
  std::string why;
  auto shape = tsr::matmulResultShape(typeOf(*a).getShape(), typeOf(*c).getShape(),
                                      ta, tb, &why);
  if (!shape)
    return im.nodeError(node, why);
  Type elt = typeOf(*a).getElementType();
  if (!isa<FloatType>(elt) || typeOf(*c).getElementType() != elt)
    return im.nodeError(node, "Gemm needs float operands of one type");
  Value out = tsr::MatmulOp::create(im.b, im.loc,
                                    RankedTensorType::get(*shape, elt), *a, *c,
                                    ta, tb);
  if (alpha != 1.0f) {
    Expected<Value> r =
        im.binary<tsr::MulOp>(node, out, im.scalarConstant(elt, alpha));
    if (!r)
      return r.takeError();
    out = *r;
  }
  if (im.hasInput(node, 2) && beta != 0.0f) {
    Expected<Value> bias = im.tensorOperand(node, 2);
    if (!bias)
      return bias.takeError();
    Value bv = *bias;
    if (beta != 1.0f) {
      Expected<Value> r =
          im.binary<tsr::MulOp>(node, bv, im.scalarConstant(elt, beta));
      if (!r)
        return r.takeError();
      bv = *r;
    }
    Expected<Value> r = im.binary<tsr::AddOp>(node, out, bv);
    if (!r)
      return r.takeError();
    if (typeOf(*r).getShape() != typeOf(out).getShape())
      return im.nodeError(node, "C does not broadcast to the result");
    out = *r;
  }
  im.setTensor(node, 0, out);
  return Error::success();
}

} // namespace

void registerMatMulConverters(ConverterTable &m) {
  m["MatMul"] = convertMatMul;
  m["Gemm"] = convertGemm;
}

} // namespace tessera::onnx_import
