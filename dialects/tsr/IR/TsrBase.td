//===- TsrBase.td - The tsr dialect and its attributes -----*- tablegen -*-===//
//
// The tsr dialect: graph-level transformer ops on ranked tensors. One op per
// transformer concept, so that passes match one op instead of a web of
// primitives.
//
//===----------------------------------------------------------------------===//

#ifndef TSR_BASE_TD
#define TSR_BASE_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

def Tsr_Dialect : Dialect {
  let name = "tsr";
  let summary = "Graph-level ops of transformer models.";
  let description = [{
    The `tsr` dialect is where Tessera's importers land and where fusion,
    quantization, sparsity and tiling decisions are made. Ops work on ranked
    tensors (dynamic dimensions allowed) and follow numpy broadcasting where
    they say so. Weights are `tsr.constant` ops holding dense resource blobs.
  }];
  let cppNamespace = "::mlir::tsr";
  let hasConstantMaterializer = 1;
  let useDefaultAttributePrinterParser = 1;
}

class Tsr_Op<string mnemonic, list<Trait> traits = []>
    : Op<Tsr_Dialect, mnemonic, traits>;

def Tsr_Epilogue : I32EnumAttr<"Epilogue", "activation applied after a linear op", [
    I32EnumAttrCase<"none", 0>,
    I32EnumAttrCase<"gelu", 1>,
    I32EnumAttrCase<"gelu_tanh", 2>,
    I32EnumAttrCase<"silu", 3>,
    I32EnumAttrCase<"relu", 4>
  ]> {
  let cppNamespace = "::mlir::tsr";
  let genSpecializedAttr = 0;
}
def Tsr_EpilogueAttr : EnumAttr<Tsr_Dialect, Tsr_Epilogue, "epilogue">;

def Tsr_SparseFormat : I32EnumAttr<"SparseFormat", "how tsr.sparse_linear stores its nonzero weights", [
    I32EnumAttrCase<"block16", 0>,
    I32EnumAttrCase<"csr", 1>
  ]> {
  let cppNamespace = "::mlir::tsr";
  let genSpecializedAttr = 0;
}
def Tsr_SparseFormatAttr : EnumAttr<Tsr_Dialect, Tsr_SparseFormat, "sparse_format">;

def Tsr_InputQuant : I32EnumAttr<"InputQuant", "how tsr.quantized_linear quantizes its input", [
    I32EnumAttrCase<"per_token", 0>,
    I32EnumAttrCase<"static_tensor", 1>,
    I32EnumAttrCase<"dynamic_tensor", 2>
  ]> {
  let cppNamespace = "::mlir::tsr";
  let genSpecializedAttr = 0;
}
def Tsr_InputQuantAttr : EnumAttr<Tsr_Dialect, Tsr_InputQuant, "input_quant">;

def Tsr_ReduceKind : I32EnumAttr<"ReduceKind", "reduction combiner", [
    I32EnumAttrCase<"sum", 0>,
    I32EnumAttrCase<"mean", 1>,
    I32EnumAttrCase<"max", 2>,
    I32EnumAttrCase<"min", 3>,
    I32EnumAttrCase<"prod", 4>
  ]> {
  let cppNamespace = "::mlir::tsr";
  let genSpecializedAttr = 0;
}
def Tsr_ReduceKindAttr : EnumAttr<Tsr_Dialect, Tsr_ReduceKind, "reduce_kind">;

def Tsr_GeluApproximation : I32EnumAttr<"GeluApproximation", "GELU formula", [
    I32EnumAttrCase<"none", 0>,
    I32EnumAttrCase<"tanh", 1>
  ]> {
  let cppNamespace = "::mlir::tsr";
  let genSpecializedAttr = 0;
}
def Tsr_GeluApproximationAttr
    : EnumAttr<Tsr_Dialect, Tsr_GeluApproximation, "gelu_approximation">;

def Tsr_CompareKind : I32EnumAttr<"CompareKind", "comparison predicate", [
    I32EnumAttrCase<"eq", 0>,
    I32EnumAttrCase<"ne", 1>,
    I32EnumAttrCase<"lt", 2>,
    I32EnumAttrCase<"le", 3>,
    I32EnumAttrCase<"gt", 4>,
    I32EnumAttrCase<"ge", 5>
  ]> {
  let cppNamespace = "::mlir::tsr";
  let genSpecializedAttr = 0;
}
def Tsr_CompareKindAttr : EnumAttr<Tsr_Dialect, Tsr_CompareKind, "compare">;

def Tsr_UnaryKind : I32EnumAttr<"UnaryKind", "elementwise unary function", [
    I32EnumAttrCase<"neg", 0>,
    I32EnumAttrCase<"abs", 1>,
    I32EnumAttrCase<"sqrt", 2>,
    I32EnumAttrCase<"rsqrt", 3>,
    I32EnumAttrCase<"exp", 4>,
    I32EnumAttrCase<"log", 5>,
    I32EnumAttrCase<"erf", 6>,
    I32EnumAttrCase<"tanh", 7>,
    I32EnumAttrCase<"sigmoid", 8>,
    I32EnumAttrCase<"relu", 9>,
    I32EnumAttrCase<"reciprocal", 10>,
    I32EnumAttrCase<"kNot", 11, "not">,
    I32EnumAttrCase<"floor", 12>,
    I32EnumAttrCase<"ceil", 13>,
    I32EnumAttrCase<"round", 14>, // to nearest, ties to even (ONNX Round)
    I32EnumAttrCase<"sin", 15>,
    I32EnumAttrCase<"cos", 16>,
    I32EnumAttrCase<"tan", 17>,
    I32EnumAttrCase<"asin", 18>,
    I32EnumAttrCase<"acos", 19>,
    I32EnumAttrCase<"atan", 20>,
    I32EnumAttrCase<"sinh", 21>,
    I32EnumAttrCase<"cosh", 22>,
    I32EnumAttrCase<"asinh", 23>,
    I32EnumAttrCase<"acosh", 24>,
    I32EnumAttrCase<"atanh", 25>
  ]> {
  let cppNamespace = "::mlir::tsr";
  let genSpecializedAttr = 0;
}
def Tsr_UnaryKindAttr : EnumAttr<Tsr_Dialect, Tsr_UnaryKind, "unary">;

#endif // TSR_BASE_TD
