//===- Passes.td - tsr to tsr passes -----------------------*- tablegen -*-===//
//
// Graph-level transformations on the tsr dialect.
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_TRANSFORMS_PASSES_TD
#define TESSERA_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

//===----------------------------------------------------------------------===//
// Fusion
//===----------------------------------------------------------------------===//

def TsrFuseLinearPass : Pass<"tsr-fuse-linear", "func::FuncOp"> {
  let summary = "Turns MatMul by a weight, its bias Add and its activation into one tsr.linear.";
  let description = [{
    Exporters write a fully connected layer as `MatMul(x, Wᵀ)`, then
    `Add(bias, ·)`, then an activation. As one `tsr.linear` the kernel adds
    the bias and applies the activation while the output tile is still in
    registers, instead of two more passes over memory. Matches, in order:

    - `tsr.matmul %x, %w` with a constant 2-D `%w` ([K, N]) becomes
      `tsr.linear %x, (tsr.transpose %w)` ([N, K]; with `transpose_rhs` no
      transpose is needed);
    - `tsr.add` of such a linear (single use, no bias yet) and a constant
      broadcasting only along N becomes the linear's bias;
    - `tsr.gelu`, `tsr.silu` and `tsr.unary relu` of a linear (single use,
      no epilogue yet) become its epilogue.

    Before:
    ```mlir
    %m = tsr.matmul %x, %w : tensor<?x768xf32>, tensor<768x3072xf32> -> tensor<?x3072xf32>
    %a = tsr.add %b, %m : tensor<3072xf32>, tensor<?x3072xf32> -> tensor<?x3072xf32>
    %g = tsr.gelu %a : tensor<?x3072xf32>
    ```
    After:
    ```mlir
    %t = tsr.transpose %w {permutation = array<i64: 1, 0>} : tensor<768x3072xf32> -> tensor<3072x768xf32>
    %g = tsr.linear %x, %t, %b {epilogue = #tsr<epilogue gelu>} : (tensor<?x768xf32>, tensor<3072x768xf32>, tensor<3072xf32>) -> tensor<?x3072xf32>
    ```
  }];
}

def TsrPrunePass : Pass<"tsr-prune", "ModuleOp"> {
  let summary = "Zeroes the smallest constant linear weights by magnitude (--prune).";
  let description = [{
    For users who trade accuracy for speed: the weights of `tsr.linear`s
    are pruned by magnitude, each weight matrix on its own (before Q/K/V
    fusion joins them), so that `tsr-sparsify` can then skip the zeros.
    `W` is the `[N, K]` weight (output channels by inputs), whatever its
    storage order:

    - `2:4`: of every 4 consecutive inputs k of an output channel, the 2
      of largest |W| are kept (ties: the lower k); a last group of fewer
      than 4 keeps its 2 largest;
    - `block16` with `ratio` r: the 16 x 16 blocks of W (16 output channels
      by 16 inputs, on the grid from (0, 0), partial at the edges) ranked
      by the sum of their squares; the floor(r x blocks) smallest become
      zero;
    - `unstructured` with `ratio` r: the floor(r x N x K) weights of
      smallest |W| become zero.

    Ties in the rankings go to the lower index (row-major over blocks or
    weights), so the result is deterministic. Kept as they are, with a
    remark that says why: weights that are not f32 constants, embedding
    tables (a weight also gathered: a tied LM head), weights read by
    anything but linears, linears whose name, weight name or node name
    matches a `skip` glob, and by default the model's head (a linear whose
    result reaches an entry's result through one-input ops only: a
    classifier, a pooler, an LM head). A remark on the module reports the
    fraction of the pruned weights kept.
  }];
  let options = [
    Option<"pattern", "pattern", "std::string", /*default=*/"\"2:4\"",
           "2:4, block16 or unstructured">,
    Option<"ratio", "ratio", "double", /*default=*/"0.5",
           "Fraction of the blocks or weights to zero (block16, "
           "unstructured), in [0, 1)">,
    ListOption<"skip", "skip", "std::string",
               "Globs over weight and node names of linears to keep">,
    Option<"keepHeads", "keep-heads", "bool", /*default=*/"true",
           "Keep the model's head (its output linears) dense">
  ];
}

def TsrFuseQkvPass : Pass<"tsr-fuse-qkv", "ModuleOp"> {
  let summary = "Merges the linears that read one input into one wider tsr.linear plus slices.";
  let description = [{
    Attention projects its input three times (Q, K, V), each a GEMM with
    N = hidden. As one GEMM with N = 3·hidden the kernel streams the input
    once, runs one parallel region instead of three, and its tiles along N
    are fuller (better efficiency for small models such as MiniLM). This
    pass merges every group of two or more `tsr.linear` ops in one block
    that read the same input with the same epilogue and have compile-time
    constant weights (`[N, K]`, or a `[K, N]` constant under a `[1, 0]`
    transpose), constant `[N]` biases (a missing one counts as zeros) and a
    static N. The parts may have different N (grouped-query attention's
    K/V), and any number of them may share the input (only K and V in
    cross-attention). Leading dims may be dynamic.

    The fused weight `[ΣN, K]` and bias `[ΣN]` are new resource blobs
    written at compile time (named by joining the parts' names with `+`);
    the parts' blobs are freed once nothing references them, so no weight
    is held twice. Each original result becomes a `tsr.slice` of the fused
    result along the last dim; the slices bufferize to views of the fused
    buffer, and the attention kernel reads Q, K and V through them with
    strides.

    Before:
    ```mlir
    %q = tsr.linear %x, %wq, %bq : (tensor<?x128x384xf32>, tensor<384x384xf32>, tensor<384xf32>) -> tensor<?x128x384xf32>
    %k = tsr.linear %x, %wk, %bk : (tensor<?x128x384xf32>, tensor<384x384xf32>, tensor<384xf32>) -> tensor<?x128x384xf32>
    ```
    After:
    ```mlir
    %w = tsr.constant {tsr.name = "q.weight+k.weight"} dense_resource<q.weight+k.weight> : tensor<768x384xf32>
    %b = tsr.constant {tsr.name = "q.bias+k.bias"} dense_resource<q.bias+k.bias> : tensor<768xf32>
    %f = tsr.linear %x, %w, %b : (tensor<?x128x384xf32>, tensor<768x384xf32>, tensor<768xf32>) -> tensor<?x128x768xf32>
    %d = tensor.dim %f, %c0 : tensor<?x128x768xf32>
    %q = tsr.slice %f offsets [] sizes [%d] {static_offsets = array<i64: 0, 0, 0>, steps = array<i64: 1, 1, 1>} : tensor<?x128x768xf32> -> tensor<?x128x384xf32>
    %k = tsr.slice %f offsets [] sizes [%d] {static_offsets = array<i64: 0, 0, 384>, steps = array<i64: 1, 1, 1>} : tensor<?x128x768xf32> -> tensor<?x128x384xf32>
    ```
  }];
  let dependentDialects = ["mlir::tensor::TensorDialect"];
}

def TsrFuseResidualPass : Pass<"tsr-fuse-residual", "func::FuncOp"> {
  let summary = "Folds the residual Add in front of a layer norm into tsr.layer_norm.";
  let description = [{
    Post-LN transformers compute `layer_norm(x + sublayer(x))`. With the
    residual inside `tsr.layer_norm`, the sum is formed where the norm reads
    its input, instead of being written to memory and read back. Matches an
    Add with one use, of two operands of the norm's input type (no
    broadcasting), feeding a layer norm without a residual.

    Before:
    ```mlir
    %s = tsr.add %x, %h : tensor<1x128x768xf32>, tensor<1x128x768xf32> -> tensor<1x128x768xf32>
    %y = tsr.layer_norm %s, %g bias %b {axis = 2 : i64, epsilon = 1.0e-12 : f32} : ...
    ```
    After:
    ```mlir
    %y = tsr.layer_norm %x, %g bias %b residual %h {axis = 2 : i64, epsilon = 1.0e-12 : f32} : ...
    ```
  }];
}

//===----------------------------------------------------------------------===//
// Recomposition
//===----------------------------------------------------------------------===//

def TsrFoldAttentionMasksPass : Pass<"tsr-fold-attention-masks", "func::FuncOp"> {
  let summary = "Turns constant causal and sliding-window masks of tsr.attention into its causal flag and window.";
  let description = [{
    Static-shape exports of Mistral-style models fold the sliding-window
    causal mask into a constant `[1, 1, S, T]` initializer added to the
    scores. As a mask the kernel would read S x T values and visit every
    key; as `causal` and `window` it visits only the band, so the time
    grows linearly with the sequence. A constant f32 mask, the same for
    every batch and head, whose entries are 0 where a key is visible and
    below -1e30 (finfo.min, -inf) elsewhere, is replaced when each row's
    visible keys are exactly the band of a causal limit (j <= p, p = i + T -
    S), a window (p - j < w), both, or a window on both sides (|j - p| < w);
    any other mask stays a mask. The graph pipeline runs it after the last
    canonicalization, when the mask has become the constant;
    tsr-recompose-attention also tries it on the ops it builds.

    Before:
    ```mlir
    %m = tsr.constant dense<...> : tensor<1x1x24x24xf32>
    %o = tsr.attention %q, %k, %v, mask %m {scale = 0.25 : f32} : ...
    ```
    After:
    ```mlir
    %o = tsr.attention %q, %k, %v {causal, scale = 0.25 : f32, window = 5 : i64} : ...
    ```
  }];
}

def TsrRecomposeAttentionPass : Pass<"tsr-recompose-attention", "func::FuncOp"> {
  let summary = "Turns MatMul → scale → (+mask) → Softmax → MatMul into tsr.attention.";
  let description = [{
    Exporters spell scaled dot-product attention as
    `softmax(q·kᵀ / √d + mask)·v` over [B, H, S, T] scores. As one
    `tsr.attention` a kernel can tile over keys with an online softmax and
    never materialize the score matrix (FlashAttention), which is what
    keeps long sequences in cache and memory linear in the length. Matches
    the scale as a Div or Mul by a constant on the scores or on q
    (DistilBERT, or none), an optional additive mask in either operand
    order, GPT-2's causal mask (a Where on a constant lower-triangular
    boolean, or unit-step slices of one, with a fill below -1e30) as
    `causal` -- with a KV cache and symbolic lengths the row offset of the
    slice must be provably key length - query length --, a masked_fill of
    a run-time boolean (Where(mask, fill below -1e30, scores), DistilBERT)
    as the additive mask where(mask, fill, 0) on the unexpanded mask, and
    kᵀ either as a transpose of the last two dims or through
    `transpose_rhs`; all operands rank 4. Hugging Face's repeat_kv of
    grouped-query attention (Unsqueeze, Expand, Reshape of the Hkv heads)
    is peeled, so the kernel reads each kv head for its group of query
    heads instead of copies. The encoder-decoders' form with the heads
    folded into the batch (BART: [B·H, N, D] views, rank-3 bmm's, the
    scores viewed as [B, H, S, T] only to add the mask) is matched too, on
    the tensors behind the views, when every view's sizes are static or
    provably the head split's (B·H as a muli of the same index value).

    Before:
    ```mlir
    %kt = tsr.transpose %k {permutation = array<i64: 0, 1, 3, 2>} ...
    %s = tsr.matmul %q, %kt ...
    %d = tsr.div %s, %c8 ...
    %a = tsr.add %d, %mask ...
    %p = tsr.softmax %a {axis = 3 : i64} ...
    %o = tsr.matmul %p, %v ...
    ```
    After:
    ```mlir
    %o = tsr.attention %q, %k, %v, mask %mask {scale = 0.125 : f32} ...
    ```
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::tensor::TensorDialect"];
}

def TsrRecomposeGeluPass : Pass<"tsr-recompose-gelu", "func::FuncOp"> {
  let summary = "Turns the exporters' erf and tanh GELU webs into tsr.gelu.";
  let description = [{
    torch exports `nn.GELU()` as `Div(x, √2) → Erf → Add(1) → Mul(x) →
    Mul(0.5)` (and Hugging Face code writes `x * 0.5 * (1 + erf(x / √2))`);
    the tanh form (GPT-2's `gelu_new`) is
    `0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))`. One `tsr.gelu` is one pass
    over memory instead of five to nine, and it can become a linear's
    epilogue. Accepts `Mul(x, 1/√2)` for the division, `Pow(x, 3)` or
    `x·x·x` for the cube, and the 0.5 factor on either side; the constants
    must match to 1e-4.

    Before:
    ```mlir
    %d = tsr.div %x, %sqrt2 ...
    %e = tsr.unary erf %d ...
    %a = tsr.add %e, %one ...
    %m = tsr.mul %x, %a ...
    %r = tsr.mul %m, %half ...
    ```
    After:
    ```mlir
    %r = tsr.gelu %x : tensor<...>
    ```
  }];
}

def TsrRecomposeLayerNormPass : Pass<"tsr-recompose-layer-norm", "func::FuncOp"> {
  let summary = "Turns the ReduceMean/Sub/Pow/Sqrt/Div web into tsr.layer_norm.";
  let description = [{
    Exports before opset 17 (and hand-written normalizations) spell layer
    normalization as `d = x - mean(x)`, `v = mean(d·d)` (or `Pow(d, 2)`),
    `y = d / sqrt(v + eps) · gamma + beta`, seven passes over memory. One
    `tsr.layer_norm` is one, and it can take a residual. Matches means over
    the trailing dims with `keep_dims`, the same `d` in both places,
    and an optional `Mul` by a scale and `Add` of a bias whose shapes are
    the normalized dims (in either operand order).

    Before:
    ```mlir
    %m = tsr.reduce mean %x {axes = array<i64: 2>, keep_dims} ...
    %d = tsr.sub %x, %m ...
    %q = tsr.mul %d, %d ...
    %v = tsr.reduce mean %q {axes = array<i64: 2>, keep_dims} ...
    %e = tsr.add %v, %eps ...
    %s = tsr.unary sqrt %e ...
    %n = tsr.div %d, %s ...
    %g = tsr.mul %n, %gamma ...
    %y = tsr.add %g, %beta ...
    ```
    After:
    ```mlir
    %y = tsr.layer_norm %x, %gamma bias %beta {axis = 2 : i64, epsilon = ...}
    ```
  }];
}

def TsrRecomposeRmsNormPass : Pass<"tsr-recompose-rms-norm", "func::FuncOp"> {
  let summary = "Turns the Pow/ReduceMean/Add/Sqrt/Div web of RMSNorm into tsr.rms_norm.";
  let description = [{
    Hugging Face's LlamaRMSNorm is `weight * (x * rsqrt(mean(x²) + eps))`;
    torch exports rsqrt as `Div(1, Sqrt)` (or `Reciprocal(Sqrt)`), and the
    importer spells the opset-23 `RMSNormalization` op as `x / sqrt(...)`.
    That is six passes over memory for one normalization; `tsr.rms_norm`
    is one reduction and one elementwise pass. Matches a keep-dims mean of
    `x·x` over the trailing dims, `+ eps` (a scalar constant), `sqrt`, then
    `x / s`, `x · (1 / s)` or `x · reciprocal(s)`, and a final `Mul` by a
    scale shaped like the normalized dims (either operand order).

    Before:
    ```mlir
    %q = tsr.mul %x, %x ...
    %m = tsr.reduce mean %q {axes = array<i64: 2>, keep_dims} ...
    %e = tsr.add %m, %eps ...
    %s = tsr.unary sqrt %e ...
    %r = tsr.div %one, %s ...
    %n = tsr.mul %x, %r ...
    %y = tsr.mul %w, %n ...
    ```
    After:
    ```mlir
    %y = tsr.rms_norm %x, %w {axis = 2 : i64, epsilon = 1.0e-06 : f32} : ...
    ```
  }];
}

def TsrRecomposeSiluPass : Pass<"tsr-recompose-silu", "func::FuncOp"> {
  let summary = "Turns x · sigmoid(x) into tsr.silu.";
  let description = [{
    torch exports `F.silu` (LLaMA's and Mistral's MLP activation) as
    `Mul(x, Sigmoid(x))`: two passes over memory and, worse, a shape that
    keeps the gate projection from taking the activation as its epilogue.
    As `tsr.silu` it becomes `tsr.linear {epilogue = silu}` in
    `tsr-fuse-linear`.

    Before:
    ```mlir
    %s = tsr.unary sigmoid %x : tensor<...>
    %y = tsr.mul %x, %s ...
    ```
    After:
    ```mlir
    %y = tsr.silu %x : tensor<...>
    ```
  }];
}

//===----------------------------------------------------------------------===//
// Quantization
//===----------------------------------------------------------------------===//

def TsrFoldQuantizedMatmulsPass
    : Pass<"tsr-fold-quantized-matmuls", "mlir::func::FuncOp"> {
  let summary = "Folds the matmuls of already-quantized ONNX models into tsr.quantized_linear.";
  let description = [{
    Models that `onnxruntime.quantization` (and tools like it) quantized
    multiply activations by int8 weights in one of two shapes, which the
    importer keeps as quantization ops:

    - QDQ (`quantize_static`): `matmul(dequantize(quantize(x, sx, zx)),
      dequantize(Wq, sw, zw))`, activations with one constant scale and zero
      point;
    - QOperator (`quantize_dynamic`, `QLinearMatMul`):
      `mul(cast<f32>(matmul_integer(q, Wq, zq, zw)), S)` with `q, sx, zq =
      dynamic_quantize(x)` and `S = sx * sw`, or with `q = quantize(x, sx,
      zx)` and a constant `S`.

    Each becomes one `tsr.quantized_linear` that reads `x` and runs the int8
    kernel with the model's own activation quantization (`static_tensor` or
    `dynamic_tensor`: the same integers onnxruntime computes) instead of
    fake quantization in f32. The weight must be a constant `[K, N]` of 8-bit
    values with a per-tensor or per-column (`axis = 1`) scale, whose values
    minus their zero points fit in int8 (signed weights always do; unsigned
    ones when their zero point is 128). The bias add and activation that
    follow fuse afterwards as for any linear (`tsr-fuse-linear`). What does
    not match keeps its quantization ops, which `tsr-lower-quantized-ops`
    then computes exactly as ONNX defines them.

    Before:
    ```mlir
    %q = tsr.quantize %x, %sx, %zx : (tensor<4x64xf32>, tensor<f32>, tensor<ui8>) -> tensor<4x64xui8>
    %xd = tsr.dequantize %q, %sx, %zx : (tensor<4x64xui8>, tensor<f32>, tensor<ui8>) -> tensor<4x64xf32>
    %wd = tsr.dequantize %wq, %sw, %zw : (tensor<64x32xi8>, tensor<f32>, tensor<i8>) -> tensor<64x32xf32>
    %y = tsr.matmul %xd, %wd : tensor<4x64xf32>, tensor<64x32xf32> -> tensor<4x32xf32>
    ```
    After:
    ```mlir
    %y = tsr.quantized_linear %x, %w scale %s {input_quant = #tsr<input_quant static_tensor>, input_scale = 0.02 : f32, input_zero_point = 128 : i32} : (tensor<4x64xf32>, tensor<32x64xi8>, tensor<32xf32>) -> tensor<4x32xf32>
    ```
  }];
  let dependentDialects = ["mlir::tsr::TsrDialect"];
}

def TsrLowerQuantizedOpsPass
    : Pass<"tsr-lower-quantized-ops", "mlir::func::FuncOp"> {
  let summary = "Computes the remaining quantization ops with integer and f32 tsr ops.";
  let description = [{
    `tsr.quantize`, `tsr.dequantize`, `tsr.dynamic_quantize` and
    `tsr.matmul_integer` become the ops their ONNX definitions are written
    in: division, round-half-to-even, add, clamp and cast; int32 subtraction
    and conversion; min/max reductions; an int32 `tsr.matmul`. Exact, so a
    model whose quantized parts do not fold into int8 kernels still computes
    what onnxruntime computes; constant operands fold at compile time (a
    dequantized weight becomes an f32 constant).
  }];
  let dependentDialects = ["mlir::tsr::TsrDialect"];
}

def TsrQuantizePass : Pass<"tsr-quantize", "ModuleOp"> {
  let summary = "Turns fp32 linears with constant weights into int8, 4-bit or bf16 linears.";
  let description = [{
    Dynamic int8 quantization, the scheme `onnxruntime.quantization`'s
    `quantize_dynamic` and PyTorch's dynamic quantization use for
    transformers, with finer scales: weights symmetric per output channel
    (computed here, once), activations symmetric per token (computed by the
    kernel on every run). Per-token scales keep one outlier token (BERT's
    [SEP], GPT-2's first token) from flattening the resolution of all the
    others, which a per-tensor scale would.

    The rules:
    - every `tsr.linear` whose weight is a compile-time f32 constant
      (`[N, K]`, or `[K, N]` under a `[1, 0]` transpose) becomes a
      `tsr.quantized_linear` with the same bias and epilogue: the bias add
      and the epilogue (GELU, SiLU, ReLU) run in f32 on the dequantized
      accumulators, in the same kernel;
    - embedding tables (a `tsr.gather` along axis 0 of a constant f32
      `[V, D]` table of at least 65536 elements, under every scheme)
      become int8 with one scale per row: a gather of the int8 table, a
      cast to f32 and a multiplication by the gathered row scale; a skip
      glob on the table's name keeps it f32;
    - everything else stays f32: layer and RMS norms, softmax, residual
      adds, and the attention products (`tsr.attention` multiplies
      activations by activations);
    - a linear is left in f32, with a remark that says why, when its weight
      is not a constant, K is dynamic or over 65536 (the int32 accumulators'
      bound), or one of the `skip` globs matches its weight's name
      (`tsr.name`: the initializer or checkpoint tensor name) or the name of
      a node it was made of (a `NameLoc` in its location: ONNX node names
      such as `/encoder/layer.1/attention/self/query/MatMul`);
    - tied weights (one constant read by several linears) are quantized
      once.

    `W[n, k] ≈ q[n, k] * scale[n]` with `scale[n] = max_k |W[n, k]| / 127`
    and `q = round_half_even(W / scale)`; the f32 blob is freed once nothing
    references it.

    With `scheme=w4` the same linears become `tsr.w4_linear` instead:
    weight-only, asymmetric 4-bit per group of `group-size` consecutive k
    values of an output channel, activations staying f32. Each group's
    range `[min, max]` (with 0 in it), shrunk by a factor between 1 and 0.7
    (the one with the least squared error: clipping a few outliers buys
    resolution for the rest), maps exactly onto [0, 15]: `scale = range /
    15`, `zero_point = -min / scale` (fractional; the kernels take it in
    f32), `q = clamp(round(W / scale + zero_point), 0, 15)`. A linear whose
    K is not a multiple of the group size stays f32, with a remark.

    Calibration (`tessera-compile --calibrate`) leaves on a linear the range
    of each input channel over the calibration runs, `tsr.input_min` and
    `tsr.input_max` (`[K]` f32). With them:
    - SmoothQuant (`smooth-alpha` > 0): transformer activations carry a few
      channels up to 100x larger than the rest (BERT's LayerNorm outputs,
      GELU outputs), which flatten the resolution of every other channel in
      a row's or a tensor's 8 bits. Input channel k is divided by `s[k] =
      max|x_k|^alpha / max_n |W[n, k]|^(1 - alpha)` (in the kernel's
      packing: `input_smooth = 1 / s`) and weight column k multiplied by it,
      an exact identity before rounding that moves the outliers' range into
      the weights, which quantize per output channel. Channels that never
      moved or whose weights are zero keep `s = 1`; s is clamped to
      [1e-4, 1e4].
    - `scheme=int8-static`: the activations get a fixed affine scale and
      zero point from the smoothed range (`input_quant = static_tensor`,
      `scale = (hi - lo) / 255` over `[min(0, lo), max(0, hi)]`), saving the
      per-row range pass; `weight_scale` then holds the product of both
      scales. Linears without calibration data quantize per token, as
      `int8`, with a remark.
    - `scheme=w4`: the clip search weighs each weight's squared error by
      its input channel's max |x|^2 (activation-aware rounding: an error
      on a large channel costs more in the product). With `tsr.input_gram`
      too (`[K, K]`, the calibration inputs' sum of x xᵀ, which
      tessera-compile adds for w4), GPTQ: the columns are quantized in
      order and each one's rounding error is spread over the columns not
      yet quantized through the upper Cholesky factor of (H + 1% of its
      mean diagonal)⁻¹, minimizing the product's error on the calibration
      inputs rather than the weights'; a group's scale and zero point come
      from the updated weights when its first column comes up, the clip
      search weighted by H's diagonal. The attribute is dropped (and its
      blob freed) by this pass.

    With `scheme=bf16` the same linears become `tsr.bf16_linear`: the
    weight rounded to bf16 (nearest even), the activations rounded to bf16
    in the kernel, f32 sums; K at most 16384. Embedding tables become bf16
    (a gather of the bf16 table and an exact cast) instead of int8. A weight
    read by several linears, or an embedding table that is also a linear's
    weight (a tied LM head), is converted once.

    Before:
    ```mlir
    %y = tsr.linear %x, %w, %b {epilogue = #tsr<epilogue gelu>} : (tensor<?x768xf32>, tensor<3072x768xf32>, tensor<3072xf32>) -> tensor<?x3072xf32>
    ```
    After:
    ```mlir
    %q = tsr.constant {tsr.name = "w"} dense_resource<w.int8> : tensor<3072x768xi8>
    %s = tsr.constant {tsr.name = "w.scale"} dense_resource<w.scale> : tensor<3072xf32>
    %y = tsr.quantized_linear %x, %q scale %s bias %b {epilogue = #tsr<epilogue gelu>} : (tensor<?x768xf32>, tensor<3072x768xi8>, tensor<3072xf32>, tensor<3072xf32>) -> tensor<?x3072xf32>
    ```
  }];
  let options = [
    ListOption<"skip", "skip", "std::string",
               "Globs over weight names; matching linears stay f32">,
    Option<"scheme", "scheme", "std::string", /*default=*/"\"int8\"",
           "int8, int8-static (tsr.quantized_linear) or w4 (tsr.w4_linear)">,
    Option<"smoothAlpha", "smooth-alpha", "double", /*default=*/"0.5",
           "SmoothQuant's migration strength where calibration ranges "
           "are known (0: none)">,
    Option<"groupSize", "group-size", "int64_t", /*default=*/"32",
           "w4: consecutive k values per scale and zero point">
  ];
}

def TsrCalibrationOutputsPass : Pass<"tsr-calibration-outputs", "ModuleOp"> {
  let summary = "Returns the input of every constant-weight linear from the first entry, for calibration.";
  let description = [{
    The instrumentation of `tessera-compile --calibrate`: the first public
    function (the entry calibration runs) gains one result per distinct
    input of a `tsr.linear` whose weight is a compile-time constant (the
    linears `tsr-quantize` may quantize), named `__calibration_<j>`, and
    each such linear gets `tsr.calibration_output = j` (the index among the
    added results). The tool compiles this module in f32, runs it on the
    calibration inputs, reduces each added result to the per-channel range
    of its last dimension, and hands the ranges to the real compile as
    `tsr.input_min`/`tsr.input_max`. The rest of the graph is unchanged, so
    the f32 numbers the ranges come from are the ones the model computes.

    ```mlir
    func.func @main(%x: tensor<4x8xf32>) -> tensor<4x16xf32> {
      %y = tsr.linear %x, %w : ... -> tensor<4x16xf32>
      return %y : tensor<4x16xf32>
    }
    // becomes
    func.func @main(%x: tensor<4x8xf32>) -> (tensor<4x16xf32>, tensor<4x8xf32> {tsr.name = "__calibration_0"}) {
      %y = tsr.linear %x, %w {tsr.calibration_output = 0 : i64} : ...
      return %y, %x : tensor<4x16xf32>, tensor<4x8xf32>
    }
    ```
  }];
}

//===----------------------------------------------------------------------===//
// Weights
//===----------------------------------------------------------------------===//

def TsrOutlineWeightsPass : Pass<"tsr-outline-weights", "ModuleOp"> {
  let summary = "Turns large tsr.constant ops into leading entry arguments.";
  let description = [{
    Weights do not belong in generated code: they live in `model.tsr`, are
    mapped from disk without a copy, and reach the code as arguments (see
    runtime/include/tessera/abi.h). This pass gives every public function
    one new leading argument per large constant (a `dense_resource` blob or
    one with at least `min-elements` elements) and records, on the argument,
    the weight's name (`tsr.weight_name`) and value (`tsr.weight_value`),
    from which the model-file writer takes the bytes. Small constants stay
    in the code, where they fold.

    Before:
    ```mlir
    func.func @main(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
      %w = tsr.constant {tsr.name = "w"} dense_resource<w> : tensor<4xf32>
      ...
    ```
    After:
    ```mlir
    func.func @main(%w: tensor<4xf32> {tsr.weight_name = "w", tsr.weight_value = dense_resource<w> : tensor<4xf32>}, %x: tensor<2x4xf32>) -> tensor<2x4xf32>
    ```
  }];
  let options = [
    Option<"minElements", "min-elements", "int64_t", /*default=*/"64",
           "Constants with at least this many elements are outlined">
  ];
}

#endif // TESSERA_TRANSFORMS_PASSES_TD
