//===- OnnxOps.cpp - The table of ONNX op converters ----------------------===//
//
// Maps each supported ONNX op type to its converter. The converters live
// one file per op family (Onnx*Ops.cpp); each family registers its ops,
// wrapping its own base converters where an op has cases of its own
// (variadic Max, integer Pow, bool ReduceMax, Slice with negative steps,
// general Conv, ...), so the registration order does not matter. Nodes
// whose inputs are all known at compile time and that compute shapes or
// small integer tensors are evaluated by the converters while importing
// (OnnxOpSupport.h), with dynamic dims carried as index values; everything
// else becomes tsr ops.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/ImporterState.h"
#include "frontends/onnx/OnnxImporter.h"

using llvm::Error;

namespace tessera::onnx_import {
namespace {

const ConverterTable &converters() {
  static const ConverterTable table = [] {
    ConverterTable m;
    registerElementwiseConverters(m);
    registerMatMulConverters(m);
    registerReductionConverters(m);
    registerNormalizationConverters(m);
    registerShapeConverters(m);
    registerSliceConverters(m);
    registerTensorConverters(m);
    registerConvConverters(m);
    registerIndexingConverters(m);
    registerResizeConverters(m);
    registerEinsumConverters(m);
    registerAttentionConverters(m);
    registerQuantizeConverters(m);
    return m;
  }();
  return table;
}

/// com.microsoft ops that quantized exports use (MatMulNBits).
const ConverterTable &contribConverters() {
  static const ConverterTable table = [] {
    ConverterTable m;
    registerContribConverters(m);
    return m;
  }();
  return table;
}

} // namespace

Error convertNode(Importer &im, const onnx::NodeProto &node) {
  bool contrib = node.domain() == "com.microsoft";
  if (!node.domain().empty() && node.domain() != "ai.onnx" && !contrib)
    return im.nodeError(node, "unsupported op: domain '" + node.domain() +
                                  "' is not supported");
  const auto &table = contrib ? contribConverters() : converters();
  auto it = table.find(node.op_type());
  if (it == table.end())
    return im.nodeError(node, contrib ? "unsupported op: '" + node.op_type() +
                                            "' of domain 'com.microsoft' is "
                                            "not supported (MatMulNBits is)"
                                      : "unsupported op '" + node.op_type() +
                                            "'");
  for (int i = 0; i < node.input_size(); ++i)
    if (!node.input(i).empty() && !im.values.count(node.input(i)))
      return im.nodeError(node, "input '" + node.input(i) +
                                    "' is not produced by any earlier node, "
                                    "initializer or graph input");
  if (node.output_size() == 0)
    return im.nodeError(node, "has no outputs");
  if (Error e = checkOperandTypes(im, node))
    return e;
  return it->second(im, node);
}

} // namespace tessera::onnx_import

std::vector<std::string> tessera::supportedOnnxOps() {
  std::vector<std::string> ops;
  for (const auto &entry : onnx_import::converters())
    ops.push_back(entry.getKey().str());
  llvm::sort(ops);
  return ops;
}
