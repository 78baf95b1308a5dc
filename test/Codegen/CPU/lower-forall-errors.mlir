// RUN: tessera-opt %s --tsr-cpu-lower-forall --verify-diagnostics

// Tests that a loop still on tensors (with results) is rejected: the pass
// runs after bufferization.
func.func @on_tensors(%t: tensor<4xf32>, %ctx: !llvm.ptr {tsr.kernel_context}) -> tensor<4xf32> {
  // expected-error @+1 {{must be bufferized before tsr-cpu-lower-forall}}
  %r = scf.forall (%i) in (4) shared_outs(%o = %t) -> (tensor<4xf32>) {
    %s = tensor.extract_slice %o[%i] [1] [1] : tensor<4xf32> to tensor<1xf32>
    scf.forall.in_parallel {
      tensor.parallel_insert_slice %s into %o[%i] [1] [1] : tensor<1xf32> into tensor<4xf32>
    }
  }
  return %r : tensor<4xf32>
}
