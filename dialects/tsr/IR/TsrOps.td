//===- TsrOps.td - tsr op definitions ----------------------*- tablegen -*-===//
//
// The ops of the tsr dialect, grouped by family: constants, elementwise math,
// linear algebra, normalization, attention and data movement. Every op works
// on ranked tensors; dynamic dimensions are allowed everywhere.
//
//===----------------------------------------------------------------------===//

#ifndef TSR_OPS_TD
#define TSR_OPS_TD

include "TsrBase.td"
include "mlir/IR/OpAsmInterface.td"
include "mlir/IR/BuiltinAttributeInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

//===----------------------------------------------------------------------===//
// Constants
//===----------------------------------------------------------------------===//

def Tsr_ConstantOp : Tsr_Op<"constant", [ConstantLike, Pure,
    AllTypesMatch<["value", "result"]>]> {
  let summary = "A constant tensor, typically a weight held as a resource blob.";
  let description = [{
    Weights imported from a model file are `dense_resource` blobs so that
    they are never copied into the IR text; small constants may be plain
    dense attributes. The compiler moves large constants out of the
    generated code into `model.tsr`.

    ```mlir
    %w = tsr.constant dense_resource<w_q> : tensor<768x768xf32>
    %c = tsr.constant dense<1.0> : tensor<f32>
    ```
  }];
  let arguments = (ins ElementsAttr:$value);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "attr-dict $value";
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Elementwise math
//===----------------------------------------------------------------------===//

class Tsr_BinaryOp<string mnemonic, string what, list<Trait> traits = []>
    : Tsr_Op<mnemonic, !listconcat(traits, [Pure,
        DeclareOpInterfaceMethods<InferTypeOpInterface>])> {
  let summary = "Elementwise " # what # " with numpy broadcasting.";
  let description = [{
    Both operands have the same element type; shapes broadcast as in numpy
    (and ONNX): trailing dimensions align, a size-1 dimension stretches. A
    dynamic dimension is assumed not to be a broadcast one.

    ```mlir
    %r = tsr.}] # mnemonic # [{ %a, %b : tensor<2x?x64xf32>, tensor<64xf32> -> tensor<2x?x64xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$lhs, AnyRankedTensor:$rhs);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)
  }];
  let extraClassDeclaration = [{
    static bool isCompatibleReturnTypes(::mlir::TypeRange l, ::mlir::TypeRange r);
  }];
}

def Tsr_AddOp : Tsr_BinaryOp<"add", "addition", [Commutative]>;
def Tsr_SubOp : Tsr_BinaryOp<"sub", "subtraction">;
def Tsr_MulOp : Tsr_BinaryOp<"mul", "multiplication", [Commutative]>;
def Tsr_DivOp : Tsr_BinaryOp<"div", "division (truncating for integers)">;
def Tsr_PowOp : Tsr_BinaryOp<"pow", "power (floating point)">;
def Tsr_MaxOp : Tsr_BinaryOp<"max", "maximum", [Commutative]>;
def Tsr_MinOp : Tsr_BinaryOp<"min", "minimum", [Commutative]>;
def Tsr_AndOp : Tsr_BinaryOp<"and", "logical/bitwise and", [Commutative]>;
def Tsr_OrOp : Tsr_BinaryOp<"or", "logical/bitwise or", [Commutative]>;

def Tsr_CompareOp : Tsr_Op<"compare", [Pure]> {
  let summary = "Elementwise comparison with numpy broadcasting, giving i1.";
  let description = [{
    ```mlir
    %m = tsr.compare eq, %a, %b : tensor<2x8xi64>, tensor<i64> -> tensor<2x8xi1>
    ```
  }];
  let arguments = (ins Tsr_CompareKindAttr:$predicate, AnyRankedTensor:$lhs,
                       AnyRankedTensor:$rhs);
  let results = (outs RankedTensorOf<[I1]>:$result);
  let assemblyFormat = [{
    $predicate `,` $lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Tsr_SelectOp : Tsr_Op<"select", [Pure]> {
  let summary = "Picks from `on_true` where `condition` holds, else `on_false` (ONNX Where).";
  let description = [{
    All three operands broadcast together.

    ```mlir
    %r = tsr.select %c, %x, %y : tensor<1x1x8x8xi1>, tensor<f32>, tensor<2x4x8x8xf32> -> tensor<2x4x8x8xf32>
    ```
  }];
  let arguments = (ins RankedTensorOf<[I1]>:$condition, AnyRankedTensor:$on_true,
                       AnyRankedTensor:$on_false);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $condition `,` $on_true `,` $on_false attr-dict `:` type($condition) `,`
    type($on_true) `,` type($on_false) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Tsr_UnaryOp : Tsr_Op<"unary", [Pure, SameOperandsAndResultType]> {
  let summary = "An elementwise math function (neg, sqrt, exp, erf, tanh, ...).";
  let description = [{
    `not` applies to i1 only; the other functions to floats, and `neg`,
    `abs` and `relu` to integers too.

    ```mlir
    %r = tsr.unary erf %x : tensor<2x?xf32>
    ```
  }];
  let arguments = (ins Tsr_UnaryKindAttr:$kind, AnyRankedTensor:$input);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$kind $input attr-dict `:` type($result)";
  let hasVerifier = 1;
}

def Tsr_GeluOp : Tsr_Op<"gelu", [Pure, SameOperandsAndResultType]> {
  let summary = "Gaussian error linear unit, exact (erf) or tanh-approximated.";
  let description = [{
    ```mlir
    %r = tsr.gelu %x : tensor<1x128x3072xf32>
    %t = tsr.gelu %x {approximation = #tsr<gelu_approximation tanh>} : tensor<4xf32>
    ```
  }];
  let arguments = (ins RankedTensorOf<[AnyFloat]>:$input,
      DefaultValuedAttr<Tsr_GeluApproximationAttr,
                        "::mlir::tsr::GeluApproximation::none">:$approximation);
  let results = (outs RankedTensorOf<[AnyFloat]>:$result);
  let assemblyFormat = "$input attr-dict `:` type($result)";
}

def Tsr_SiluOp : Tsr_Op<"silu", [Pure, SameOperandsAndResultType]> {
  let summary = "x * sigmoid(x).";
  let description = [{
    ```mlir
    %r = tsr.silu %x : tensor<1x16x1024xf32>
    ```
  }];
  let arguments = (ins RankedTensorOf<[AnyFloat]>:$input);
  let results = (outs RankedTensorOf<[AnyFloat]>:$result);
  let assemblyFormat = "$input attr-dict `:` type($result)";
}

def Tsr_CastOp : Tsr_Op<"cast", [Pure, SameOperandsAndResultShape]> {
  let summary = "Converts each element to the result's element type.";
  let description = [{
    Floats to integers truncate toward zero; a conversion to i1 tests for
    non-zero; i1 converts to 0 or 1. Unsigned integer types (ui8..ui64)
    convert as unsigned.

    Conversions to the 8-bit floats (f8E4M3FN, f8E4M3FNUZ, f8E5M2,
    f8E5M2FNUZ) round to nearest even. With `saturate` (the default, as in
    ONNX's Cast) values beyond the largest finite one, infinities included,
    become that value (with their sign); without it they become infinity
    where the type has one (f8E5M2) and NaN otherwise. NaN stays NaN.

    ```mlir
    %f = tsr.cast %mask : tensor<2x8xi64> to tensor<2x8xf32>
    %q = tsr.cast %x {saturate = false} : tensor<4xf32> to tensor<4xf8E5M2>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input,
                       DefaultValuedAttr<BoolAttr, "true">:$saturate);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `to` type($result)";
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Linear algebra
//===----------------------------------------------------------------------===//

def Tsr_MatmulOp : Tsr_Op<"matmul", [Pure,
    DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = "Batched matrix product with broadcasting batch dimensions.";
  let description = [{
    `lhs` is `[..., M, K]` (or `[..., K, M]` with `transpose_lhs`), `rhs` is
    `[..., K, N]` (or `[..., N, K]` with `transpose_rhs`); batch dimensions
    broadcast as in numpy. Rank-1 operands are not allowed (the importer
    reshapes them).

    ```mlir
    %s = tsr.matmul %q, %k {transpose_rhs} : tensor<1x12x128x64xf32>, tensor<1x12x128x64xf32> -> tensor<1x12x128x128xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$lhs, AnyRankedTensor:$rhs,
                       UnitAttr:$transpose_lhs, UnitAttr:$transpose_rhs);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)
  }];
  let extraClassDeclaration = [{
    static bool isCompatibleReturnTypes(::mlir::TypeRange l, ::mlir::TypeRange r);
  }];
}

def Tsr_LinearOp : Tsr_Op<"linear", [Pure]> {
  let summary = "y = epilogue(x · Wᵀ + b), the fully connected layer.";
  let description = [{
    `input` is `[..., K]`, `weight` is `[N, K]` (PyTorch's layout), the
    optional `bias` is `[N]`; the result is `[..., N]`. The epilogue is an
    activation fused into the same kernel.

    With `weight_packed`, the weight is already in the CPU kernels' panel
    layout (see runtime/include/tessera/abi.h): `[ceil(N/16), K, 16]`, K
    rows of 16 consecutive output columns per panel, zero-padded past N; N
    is then read off the result type.

    ```mlir
    %y = tsr.linear %x, %w, %b {epilogue = #tsr<epilogue gelu>} : (tensor<1x128x768xf32>, tensor<3072x768xf32>, tensor<3072xf32>) -> tensor<1x128x3072xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input, AnyRankedTensor:$weight,
      Optional<AnyRankedTensor>:$bias,
      DefaultValuedAttr<Tsr_EpilogueAttr, "::mlir::tsr::Epilogue::none">:$epilogue,
      UnitAttr:$weight_packed);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Tsr_QuantizedLinearOp : Tsr_Op<"quantized_linear",
    [Pure, AttrSizedOperandSegments]> {
  let summary = "tsr.linear with int8 weights and activations quantized to 8 bits at run time.";
  let description = [{
    The int8 form of `tsr.linear` that `tsr-quantize` makes. `weight` holds
    `[N, K]` int8 values, quantized symmetrically per output channel with
    `weight_scale` (`[N]`): `W[n, k] ≈ weight[n, k] * weight_scale[n]`. At
    run time each row of `input` (`[..., K]`, f32: one token) is quantized
    symmetrically to int8 with its own scale `sx = max |x| / 127`, the
    product accumulates exactly in int32, and the result is scaled back to
    f32 before the bias and the epilogue:

        y[m, n] = epilogue(sx[m] * weight_scale[n]
                           * Σ_k round(x[m, k] / sx[m]) * weight[n, k] + bias[n])

    With `weight_packed`, `weight` is in the int8 kernels' layout
    (`TSR_QGEMM_*` in runtime/include/tessera/abi.h): `[ceil(N/16),
    ceil(K/4), 64]`, 4 consecutive k values of 16 columns per 64 bytes, and
    `weight_sums` (`[N]`, i32) holds each column's sum, which the kernels
    need to undo the +128 shift that makes the activations unsigned for the
    u8·s8 dot-product instructions. K is at most 65536, so the int32 sums
    cannot overflow.

    `input_quant` says how the input becomes integers (the formula above is
    `per_token`, what `tsr-quantize` makes). The other two are the
    quantization of ONNX models that arrive quantized, folded by
    `tsr-fold-quantized-matmuls`, with unsigned activations `u` and their
    zero point `z`:

        y[m, n] = epilogue(sx * weight_scale[n]
                           * Σ_k (u[m, k] - z) * weight[n, k] + bias[n])

    - `static_tensor`: QuantizeLinear's `u = clamp(round(x / input_scale)
      + input_zero_point, 0, 255)` with a fixed scale and zero point, and
      `sx = 1`: `weight_scale` holds the product of the input's and the
      weight's scales. (An int8 activation with zero point `z'` is the same
      bytes with `input_zero_point = z' + 128`.)
    - `dynamic_tensor`: DynamicQuantizeLinear over the whole input at run
      time (its scale is `sx`, its zero point `z`).

    With `input_smooth` (`[K]` f32, per_token and static_tensor only), the
    input is `x[m, k] * input_smooth[k]` wherever `x` appears above:
    SmoothQuant's migration of activation outliers into the weights, whose
    k-th input channel `tsr-quantize` has multiplied by `1 / input_smooth[k]`
    before quantizing them.

    ```mlir
    %y = tsr.quantized_linear %x, %wq scale %s bias %b {epilogue = #tsr<epilogue gelu>} : (tensor<1x128x768xf32>, tensor<3072x768xi8>, tensor<3072xf32>, tensor<3072xf32>) -> tensor<1x128x3072xf32>
    ```
  }];
  let arguments = (ins RankedTensorOf<[F32]>:$input, RankedTensorOf<[I8]>:$weight,
      RankedTensorOf<[F32]>:$weight_scale,
      Optional<RankedTensorOf<[F32]>>:$bias,
      Optional<RankedTensorOf<[I32]>>:$weight_sums,
      Optional<RankedTensorOf<[F32]>>:$input_smooth,
      DefaultValuedAttr<Tsr_EpilogueAttr, "::mlir::tsr::Epilogue::none">:$epilogue,
      UnitAttr:$weight_packed,
      DefaultValuedAttr<Tsr_InputQuantAttr, "::mlir::tsr::InputQuant::per_token">:$input_quant,
      OptionalAttr<F32Attr>:$input_scale,
      OptionalAttr<I32Attr>:$input_zero_point);
  let results = (outs RankedTensorOf<[F32]>:$result);
  let assemblyFormat = [{
    $input `,` $weight `scale` $weight_scale (`bias` $bias^)? (`sums` $weight_sums^)?
    (`smooth` $input_smooth^)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Tsr_W4LinearOp : Tsr_Op<"w4_linear", [Pure, AttrSizedOperandSegments]> {
  let summary = "tsr.linear with 4-bit group-quantized weights and f32 activations.";
  let description = [{
    The weight-only 4-bit form of `tsr.linear` (`--quantize=w4`, or an
    imported `MatMulNBits`). `weight` holds `[N, K]` unsigned 4-bit values
    `q` (0..15), one per `ui8` element; `scale` and the optional
    `zero_point` (8 when absent) are `[K / group_size, N]`, one per
    group of `group_size` consecutive k values of an output channel, both
    f32 or both f16 (half the bytes; `--quantize=w4` makes f16 unless a
    group's scale is outside f16's normal range, and MatMulNBits keeps its
    own type):

        W[n, k] = (q[n, k] - zero_point[g, n]) * scale[g, n],  g = k / group_size
        y = epilogue(x · Wᵀ + bias)

    The kernels dequantize in registers and multiply in f32 (tessera/abi.h,
    `tsr_w4gemm_args_t`). `group_size` is even and divides K.

    With `weight_packed`, `weight` is in the kernels' layout
    (`TSR_W4GEMM_*`): `[ceil(N/16), K/2, 16]` bytes, two k values per byte;
    `scale` and `zero_point` are then panel-major like it, `[ceil(N/16),
    K / group_size, 16]`, zero past N.

    ```mlir
    %y = tsr.w4_linear %x, %q scale %s zero %z bias %b {group_size = 32 : i64} : (tensor<1x4096xf32>, tensor<4096x4096xui8>, tensor<128x4096xf32>, tensor<128x4096xf32>, tensor<4096xf32>) -> tensor<1x4096xf32>
    ```
  }];
  let arguments = (ins RankedTensorOf<[F32]>:$input, RankedTensorOf<[UI8]>:$weight,
      RankedTensorOf<[F32, F16]>:$scale,
      Optional<RankedTensorOf<[F32, F16]>>:$zero_point,
      Optional<RankedTensorOf<[F32]>>:$bias,
      I64Attr:$group_size,
      DefaultValuedAttr<Tsr_EpilogueAttr, "::mlir::tsr::Epilogue::none">:$epilogue,
      UnitAttr:$weight_packed);
  let results = (outs RankedTensorOf<[F32]>:$result);
  let assemblyFormat = [{
    $input `,` $weight `scale` $scale (`zero` $zero_point^)? (`bias` $bias^)?
    attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Tsr_Bf16LinearOp : Tsr_Op<"bf16_linear", [Pure]> {
  let summary = "tsr.linear with bf16 weights: bf16 products, f32 sums.";
  let description = [{
    The bf16 form of `tsr.linear` that `tsr-quantize` makes under
    `--quantize=bf16`. `weight` is `[N, K]` bf16 (the f32 weight rounded to
    nearest even); the input (`[..., K]`, f32) is rounded to bf16 the same
    way at run time, the products (exact in f32) are summed in f32, and the
    bias and the epilogue are applied in f32:

        y = epilogue(bf16(x) · Wᵀ + bias)

    With `weight_packed`, `weight` is in the bf16 kernels' layout
    (`TSR_BGEMM_*` in runtime/include/tessera/abi.h): `[ceil(N/16),
    ceil(K/2), 32]`, the 2 consecutive k values of 16 columns per row,
    zero-padded; N is then read off the result type. K is at most 16384.

    ```mlir
    %y = tsr.bf16_linear %x, %w, %b {epilogue = #tsr<epilogue gelu>} : (tensor<1x128x768xf32>, tensor<3072x768xbf16>, tensor<3072xf32>) -> tensor<1x128x3072xf32>
    ```
  }];
  let arguments = (ins RankedTensorOf<[F32]>:$input, RankedTensorOf<[BF16]>:$weight,
      Optional<RankedTensorOf<[F32]>>:$bias,
      DefaultValuedAttr<Tsr_EpilogueAttr, "::mlir::tsr::Epilogue::none">:$epilogue,
      UnitAttr:$weight_packed);
  let results = (outs RankedTensorOf<[F32]>:$result);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Tsr_SparseLinearOp : Tsr_Op<"sparse_linear", [Pure]> {
  let summary = "tsr.linear whose constant weight is stored by its nonzeros only.";
  let description = [{
    The sparse form of `tsr.linear` that `tsr-sparsify` makes when the
    weight's zeros make a sparse kernel faster than the dense one. The
    weight `W` (`[N, K]`) is held as `values` (f32), `indices` and
    `offsets` (i32), in one of the formats of the runtime's sparse GEMM
    (`TSR_SPGEMM_*` in runtime/include/tessera/abi.h), with B = Wᵀ:

    - `block16`: the 16 x 16 blocks of B that hold a nonzero; `offsets`
      has ceil(N / 16) + 1 entries (panel p's blocks are offsets[p] ..
      offsets[p + 1] - 1), `indices` the k block of each, `values` 256
      floats per block (16 k rows of 16 columns);
    - `csr`: each output channel's nonzeros; `offsets` has N + 1 entries,
      `indices` the k of each nonzero, `values` the weight.

        y = epilogue(x · Wᵀ + bias)

    exactly as `tsr.linear` computes it, up to float summation order. K
    and N are static.

    ```mlir
    %y = tsr.sparse_linear %x, %values, %indices, %offsets, %b {format = #tsr<sparse_format block16>} : (tensor<1x128x768xf32>, tensor<74752xf32>, tensor<292xi32>, tensor<49xi32>, tensor<768xf32>) -> tensor<1x128x768xf32>
    ```
  }];
  let arguments = (ins RankedTensorOf<[F32]>:$input,
      RankedTensorOf<[F32]>:$values, RankedTensorOf<[I32]>:$indices,
      RankedTensorOf<[I32]>:$offsets,
      Optional<RankedTensorOf<[F32]>>:$bias,
      Tsr_SparseFormatAttr:$format,
      DefaultValuedAttr<Tsr_EpilogueAttr, "::mlir::tsr::Epilogue::none">:$epilogue);
  let results = (outs RankedTensorOf<[F32]>:$result);
  let assemblyFormat = [{
    $input `,` $values `,` $indices `,` $offsets (`,` $bias^)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Tsr_CheckIndicesOp : Tsr_Op<"check_indices",
    [Pure, AllTypesMatch<["indices", "result"]>]> {
  let summary = "The indices, and a run-time error when one is out of range.";
  let description = [{
    Returns `indices` unchanged; at run time, an element outside
    `[-size, size)` fails the run with a message that starts with `what`
    (the node and the input, as the importer names them). `sizes` holds
    one size for every element, or one per position of the last dim (the
    index tuples of GatherND/ScatterND, one size per component). The
    importers put it where a decomposition would otherwise turn a bad
    index into a silently wrong answer; `tsr-check-indices` lowers it to a
    reduction and a call of the runtime's `index_error`, and code without a
    kernel context drops it.

    ```mlir
    %i = tsr.check_indices %idx {sizes = array<i64: 4, 6>, what = "node 'g' (input 'idx')"} : tensor<3x2xi64>
    ```
  }];
  let arguments = (ins RankedTensorOf<[AnySignlessInteger]>:$indices,
                       DenseI64ArrayAttr:$sizes, StrAttr:$what);
  let results = (outs RankedTensorOf<[AnySignlessInteger]>:$result);
  let assemblyFormat = "$indices attr-dict `:` type($indices)";
  let hasVerifier = 1;
}

def Tsr_QuantizeOp : Tsr_Op<"quantize", [Pure]> {
  let summary = "ONNX's QuantizeLinear: saturate(round(x / scale) + zero_point).";
  let description = [{
    Rounds half to even and saturates to the result's 8-bit type (`i8` is
    signed, `ui8` unsigned). `scale` (f32) and `zero_point` (the result's
    element type) are both rank 0 (per tensor) or both `[C]` with `C` the
    size of dim `axis` of the input (per axis). The scales must be positive.

    ```mlir
    %q = tsr.quantize %x, %s, %z {axis = 1 : i64} : (tensor<4x768xf32>, tensor<f32>, tensor<ui8>) -> tensor<4x768xui8>
    ```
  }];
  let arguments = (ins RankedTensorOf<[F32]>:$input, RankedTensorOf<[F32]>:$scale,
                       RankedTensorOf<[I8, UI8]>:$zero_point,
                       DefaultValuedAttr<I64Attr, "1">:$axis);
  let results = (outs RankedTensorOf<[I8, UI8]>:$result);
  let assemblyFormat = [{
    $input `,` $scale `,` $zero_point attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Tsr_DequantizeOp : Tsr_Op<"dequantize", [Pure]> {
  let summary = "ONNX's DequantizeLinear: (x - zero_point) * scale.";
  let description = [{
    `input` is `i8`, `ui8` or `i32`; `zero_point` has its element type;
    `scale` and `zero_point` are rank 0 or `[C]` along `axis`, as for
    `tsr.quantize`.

    ```mlir
    %w = tsr.dequantize %wq, %s, %z {axis = 1 : i64} : (tensor<768x3072xi8>, tensor<3072xf32>, tensor<3072xi8>) -> tensor<768x3072xf32>
    ```
  }];
  let arguments = (ins RankedTensorOf<[I8, UI8, I32]>:$input,
                       RankedTensorOf<[F32]>:$scale,
                       RankedTensorOf<[I8, UI8, I32]>:$zero_point,
                       DefaultValuedAttr<I64Attr, "1">:$axis);
  let results = (outs RankedTensorOf<[F32]>:$result);
  let assemblyFormat = [{
    $input `,` $scale `,` $zero_point attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Tsr_DynamicQuantizeOp : Tsr_Op<"dynamic_quantize", [Pure]> {
  let summary = "ONNX's DynamicQuantizeLinear: u8 values, scale and zero point from the range of the input.";
  let description = [{
    `lo = min(0, min x)`, `hi = max(0, max x)`, `scale = (hi - lo) / 255`
    (1 when `hi == lo`), `zero_point = round(clamp(-lo / scale, 0, 255))`,
    then `tsr.quantize` with them.

    ```mlir
    %q, %s, %z = tsr.dynamic_quantize %x : tensor<1x128x768xf32> -> tensor<1x128x768xui8>, tensor<f32>, tensor<ui8>
    ```
  }];
  let arguments = (ins RankedTensorOf<[F32]>:$input);
  let results = (outs RankedTensorOf<[UI8]>:$result, 0DTensorOf<[F32]>:$scale,
                      0DTensorOf<[UI8]>:$zero_point);
  let assemblyFormat = [{
    $input attr-dict `:` type($input) `->` type($result) `,` type($scale) `,` type($zero_point)
  }];
  let hasVerifier = 1;
}

def Tsr_MatmulIntegerOp : Tsr_Op<"matmul_integer", [Pure]> {
  let summary = "ONNX's MatMulInteger: (lhs - lhs_zero_point) · (rhs - rhs_zero_point) in int32.";
  let description = [{
    8-bit operands (`i8` or `ui8`) as `tsr.matmul`'s (batch dims broadcast;
    rank >= 2), each with a zero point of its element type: rank 0, or
    `[M]` (one per row of `lhs`) and `[N]` (one per column of `rhs`).

    ```mlir
    %acc = tsr.matmul_integer %a, %w, %za, %zw : (tensor<1x128x768xui8>, tensor<768x768xi8>, tensor<ui8>, tensor<i8>) -> tensor<1x128x768xi32>
    ```
  }];
  let arguments = (ins RankedTensorOf<[I8, UI8]>:$lhs, RankedTensorOf<[I8, UI8]>:$rhs,
                       RankedTensorOf<[I8, UI8]>:$lhs_zero_point,
                       RankedTensorOf<[I8, UI8]>:$rhs_zero_point);
  let results = (outs RankedTensorOf<[I32]>:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs `,` $lhs_zero_point `,` $rhs_zero_point attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Normalization and reductions
//===----------------------------------------------------------------------===//

def Tsr_SoftmaxOp : Tsr_Op<"softmax", [Pure, SameOperandsAndResultType]> {
  let summary = "Softmax along one axis.";
  let description = [{
    ```mlir
    %p = tsr.softmax %s {axis = 3 : i64} : tensor<1x12x128x128xf32>
    ```
  }];
  let arguments = (ins RankedTensorOf<[AnyFloat]>:$input, I64Attr:$axis);
  let results = (outs RankedTensorOf<[AnyFloat]>:$result);
  let assemblyFormat = "$input attr-dict `:` type($result)";
  let hasVerifier = 1;
}

def Tsr_LayerNormOp : Tsr_Op<"layer_norm", [Pure, AttrSizedOperandSegments]> {
  let summary = "Normalizes over the trailing dimensions, optionally adding a residual first.";
  let description = [{
    Computes `y = (x - mean) / sqrt(var + epsilon) * scale + bias` where
    mean and variance run over dimensions `axis..rank-1` of
    `x = input (+ residual)`. `scale` and `bias` have the shape of those
    trailing dimensions.

    ```mlir
    %y = tsr.layer_norm %x, %g bias %b {axis = 2 : i64, epsilon = 1.0e-12 : f32} : (tensor<1x128x768xf32>, tensor<768xf32>, tensor<768xf32>) -> tensor<1x128x768xf32>
    ```
  }];
  let arguments = (ins RankedTensorOf<[AnyFloat]>:$input, RankedTensorOf<[AnyFloat]>:$scale,
      Optional<RankedTensorOf<[AnyFloat]>>:$bias,
      Optional<RankedTensorOf<[AnyFloat]>>:$residual,
      I64Attr:$axis, F32Attr:$epsilon);
  let results = (outs RankedTensorOf<[AnyFloat]>:$result);
  let assemblyFormat = [{
    $input `,` $scale (`bias` $bias^)? (`residual` $residual^)? attr-dict
    `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Tsr_RmsNormOp : Tsr_Op<"rms_norm", [Pure]> {
  let summary = "Root-mean-square normalization over the trailing dimensions (LLaMA's RMSNorm).";
  let description = [{
    Computes `y = x / sqrt(mean(x²) + epsilon) * scale` where the mean runs
    over dimensions `axis..rank-1`; unlike `layer_norm` nothing is
    centered and there is no bias. `scale` has the shape of the normalized
    dimensions. ONNX spells it `RMSNormalization` (opset 23); exporters of
    older opsets emit the Pow/ReduceMean/Add/Sqrt/Div web that
    `tsr-recompose-rms-norm` turns into this op.

    ```mlir
    %y = tsr.rms_norm %x, %g {axis = 2 : i64, epsilon = 1.0e-06 : f32} : (tensor<1x?x4096xf32>, tensor<4096xf32>) -> tensor<1x?x4096xf32>
    ```
  }];
  let arguments = (ins RankedTensorOf<[AnyFloat]>:$input, RankedTensorOf<[AnyFloat]>:$scale,
      I64Attr:$axis, F32Attr:$epsilon);
  let results = (outs RankedTensorOf<[AnyFloat]>:$result);
  let assemblyFormat = [{
    $input `,` $scale attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Tsr_ReduceOp : Tsr_Op<"reduce", [Pure]> {
  let summary = "Sum, mean, max, min or product over a set of axes.";
  let description = [{
    With `keep_dims` the reduced axes stay with size 1.

    ```mlir
    %m = tsr.reduce mean %x {axes = [2], keep_dims} : tensor<1x?x768xf32> -> tensor<1x?x1xf32>
    ```
  }];
  let arguments = (ins Tsr_ReduceKindAttr:$kind, AnyRankedTensor:$input,
                       DenseI64ArrayAttr:$axes, UnitAttr:$keep_dims);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$kind $input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

def Tsr_CumsumOp : Tsr_Op<"cumsum", [Pure, SameOperandsAndResultType]> {
  let summary = "Running sum along one axis (ONNX CumSum).";
  let description = [{
    Element `i` along `axis` is the sum of input elements `0..i`; with
    `exclusive` of `0..i-1` (the first is 0); with `reverse` the sum runs
    from the end (`i..n-1`, or `i+1..n-1` when also exclusive). Integer and
    float elements. Exporters emit it for RoBERTa's position ids
    (`cumsum(input_ids != pad)`); the importer also builds run-time `Range`
    and `Trilu` from it (an exclusive sum of ones is an iota).

    ```mlir
    %p = tsr.cumsum %m {axis = 1 : i64} : tensor<?x?xi32>
    %i = tsr.cumsum %ones {axis = 0 : i64, exclusive} : tensor<?xi64>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input, I64Attr:$axis,
                       UnitAttr:$exclusive, UnitAttr:$reverse);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($result)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Attention
//===----------------------------------------------------------------------===//

def Tsr_AttentionOp : Tsr_Op<"attention", [Pure]> {
  let summary = "Scaled dot-product attention: softmax(q·kᵀ·scale + mask)·v.";
  let description = [{
    `query` is `[B, H, S, D]`; `key` is `[B, Hkv, T, D]` and `value`
    `[B, Hkv, T, Dv]` where
    `H` is a multiple of `Hkv` (grouped-query attention when they differ).
    The optional additive `mask` broadcasts to `[B, H, S, T]`. With `causal`,
    query i attends to keys `j <= i + (T - S)`. A positive `window` (sliding-
    window attention) also limits query i to the keys `j > p - window`, p = i
    + (T - S) its position among the keys: with `causal` the last `window`
    keys up to p (Mistral, Qwen2), without it `|j - p| < window` (a local
    window on both sides). The kernel visits only the keys inside, so the
    time grows linearly with the sequence at a fixed window.

    ```mlir
    %o = tsr.attention %q, %k, %v, mask %m {scale = 0.125 : f32} : (tensor<1x12x128x64xf32>, tensor<1x12x128x64xf32>, tensor<1x12x128x64xf32>, tensor<1x1x1x128xf32>) -> tensor<1x12x128x64xf32>
    ```
  }];
  let arguments = (ins RankedTensorOf<[AnyFloat]>:$query, RankedTensorOf<[AnyFloat]>:$key,
      RankedTensorOf<[AnyFloat]>:$value, Optional<RankedTensorOf<[AnyFloat]>>:$mask,
      F32Attr:$scale, UnitAttr:$causal,
      DefaultValuedAttr<I64Attr, "0">:$window);
  let results = (outs RankedTensorOf<[AnyFloat]>:$result);
  let assemblyFormat = [{
    $query `,` $key `,` $value (`,` `mask` $mask^)? attr-dict
    `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

def Tsr_GatherOp : Tsr_Op<"gather", [Pure]> {
  let summary = "Takes slices of `input` along `axis` at `indices` (embedding lookup).";
  let description = [{
    The result shape is `input.shape[:axis] + indices.shape +
    input.shape[axis+1:]`. Negative indices count from the end; indices out
    of range are clamped, so the generated code never reads out of bounds.

    ```mlir
    %e = tsr.gather %table[%ids] {axis = 0 : i64} : (tensor<30522x768xf32>, tensor<1x?xi64>) -> tensor<1x?x768xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input,
                       RankedTensorOf<[AnySignlessInteger]>:$indices, I64Attr:$axis);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $input `[` $indices `]` attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Tsr_ReshapeOp : Tsr_Op<"reshape", [Pure]> {
  let summary = "Reinterprets the row-major elements with a new shape.";
  let description = [{
    One index operand gives each dynamic dimension of the result, in order.

    ```mlir
    %r = tsr.reshape %x [%b, %s] : tensor<?x?x768xf32> -> tensor<?x?x12x64xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input, Variadic<Index>:$dynamic_dims);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $input (`[` $dynamic_dims^ `]`)? attr-dict `:` type($input) `->` type($result)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Tsr_TransposeOp : Tsr_Op<"transpose", [Pure,
    DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = "Permutes dimensions: result dim i is input dim permutation[i].";
  let description = [{
    ```mlir
    %t = tsr.transpose %x {permutation = array<i64: 0, 2, 1, 3>} : tensor<1x128x12x64xf32> -> tensor<1x12x128x64xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input, DenseI64ArrayAttr:$permutation);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasFolder = 1;
  let extraClassDeclaration = [{
    static bool isCompatibleReturnTypes(::mlir::TypeRange l, ::mlir::TypeRange r);
  }];
}

def Tsr_ConcatOp : Tsr_Op<"concat", [Pure]> {
  let summary = "Joins tensors along one axis.";
  let description = [{
    ```mlir
    %c = tsr.concat %a, %b {axis = 1 : i64} : (tensor<1x1x768xf32>, tensor<1x196x768xf32>) -> tensor<1x197x768xf32>
    ```
  }];
  let arguments = (ins Variadic<AnyRankedTensor>:$inputs, I64Attr:$axis);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$inputs attr-dict `:` functional-type($inputs, results)";
  let hasVerifier = 1;
}

def Tsr_SliceOp : Tsr_Op<"slice", [Pure, AttrSizedOperandSegments]> {
  let summary = "A strided window of a tensor (ONNX Slice with positive steps).";
  let description = [{
    Result element `i` (per dimension) is input element
    `offsets[d] + i * steps[d]`. The result type gives the sizes; one index
    operand gives each dynamic result size, and one each dynamic offset
    (marked by `ShapedType::kDynamic` in `offsets`).

    ```mlir
    %p = tsr.slice %pos offsets [] sizes [%s] {static_offsets = array<i64: 0, 0>, steps = array<i64: 1, 1>} : tensor<1x512xi64> -> tensor<1x?xi64>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input, Variadic<Index>:$offsets,
                       Variadic<Index>:$sizes, DenseI64ArrayAttr:$static_offsets,
                       DenseI64ArrayAttr:$steps);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $input `offsets` `[` $offsets `]` `sizes` `[` $sizes `]` attr-dict
    `:` type($input) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Tsr_BroadcastOp : Tsr_Op<"broadcast", [Pure]> {
  let summary = "Broadcasts to the result shape with numpy rules (ONNX Expand).";
  let description = [{
    One index operand gives each dynamic dimension of the result.

    ```mlir
    %b = tsr.broadcast %m [%n] : tensor<1x1x1x8xf32> -> tensor<?x4x8x8xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input, Variadic<Index>:$dynamic_dims);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $input (`[` $dynamic_dims^ `]`)? attr-dict `:` type($input) `->` type($result)
  }];
  let hasVerifier = 1;
}

#endif // TSR_OPS_TD
