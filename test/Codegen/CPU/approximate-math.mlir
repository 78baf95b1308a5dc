// RUN: tessera-opt %s --split-input-file --tsr-approximate-math | FileCheck %s

// Tests that f32 erf becomes a clamped polynomial (fma chains and selects)
// with no math.erf left, and that math ops other than erf, tanh and exp are
// untouched.
// CHECK-LABEL: func.func @erf_f32
//  CHECK-SAME:   %[[X:.+]]: f32, %[[Y:.+]]: f32
//   CHECK-NOT:   math.erf
//       CHECK:   arith.cmpf
//       CHECK:   math.fma
//       CHECK:   arith.select
//   CHECK-NOT:   math.erf
//       CHECK:   %[[L:.+]] = math.log %[[Y]] : f32
//       CHECK:   return %{{.+}}, %[[L]]
func.func @erf_f32(%x: f32, %y: f32) -> (f32, f32) {
  %0 = math.erf %x : f32
  %1 = math.log %y : f32
  return %0, %1 : f32, f32
}

// -----

// Tests that exp (softmax's hot op) becomes a range-reduced polynomial: no
// math.exp call is left to turn into a scalar libm call.
// CHECK-LABEL: func.func @exp_vector
//   CHECK-NOT:   math.exp
//       CHECK:   math.fma
//   CHECK-NOT:   math.exp
//       CHECK:   return %{{.+}} : vector<16xf32>
func.func @exp_vector(%v: vector<16xf32>) -> vector<16xf32> {
  %0 = math.exp %v : vector<16xf32>
  return %0 : vector<16xf32>
}

// -----

// Tests that vector tanh is approximated elementwise on the vector type.
// CHECK-LABEL: func.func @tanh_vector
//   CHECK-NOT:   math.tanh
//       CHECK:   arith.{{.+}} : vector<8xf32>
//   CHECK-NOT:   math.tanh
//       CHECK:   return %{{.+}} : vector<8xf32>
func.func @tanh_vector(%v: vector<8xf32>) -> vector<8xf32> {
  %0 = math.tanh %v : vector<8xf32>
  return %0 : vector<8xf32>
}

// -----

// Tests that erf inside a loop body (where the pipeline runs this pass,
// after linalg-to-loops) is rewritten too.
// CHECK-LABEL: func.func @erf_in_loop
//       CHECK:   scf.for
//   CHECK-NOT:   math.erf
//       CHECK:     memref.store
func.func @erf_in_loop(%m: memref<16xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  scf.for %i = %c0 to %c16 step %c1 {
    %x = memref.load %m[%i] : memref<16xf32>
    %y = math.erf %x : f32
    memref.store %y, %m[%i] : memref<16xf32>
  }
  return
}

// -----

// Tests that f64 is left alone: the polynomials are for f32 only, and the
// pipeline sends f64 erf to libm.
// CHECK-LABEL: func.func @erf_f64
//       CHECK:   math.erf %{{.+}} : f64
func.func @erf_f64(%x: f64) -> f64 {
  %0 = math.erf %x : f64
  return %0 : f64
}
