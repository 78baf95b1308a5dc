// RUN: tessera-opt %s --split-input-file --tsr-lower-to-linalg --mlir-print-local-scope | FileCheck %s

// Casts from and to the 8- and 4-bit floats and the 4-bit integers.

// Tests that f32 -> f8E4M3FN becomes integer bit manipulation on the f32
// bits (LLVM has no 8-bit floats): out of range saturates to 0x7E (448) by
// default, and the byte is bitcast to the f8 element.
// CHECK-LABEL: func.func @to_e4m3fn
//       CHECK:   arith.constant 126 : i32
//       CHECK:   linalg.generic
//       CHECK:   ^bb0(%[[X:.+]]: f32, %{{.+}}: f8E4M3FN):
//       CHECK:     arith.bitcast %[[X]] : f32 to i32
//       CHECK:     %[[B:.+]] = arith.trunci %{{.+}} : i32 to i8
//       CHECK:     %[[F:.+]] = arith.bitcast %[[B]] : i8 to f8E4M3FN
//       CHECK:     linalg.yield %[[F]] : f8E4M3FN
func.func @to_e4m3fn(%x: tensor<4xf32>) -> tensor<4xf8E4M3FN> {
  %0 = tsr.cast %x : tensor<4xf32> to tensor<4xf8E4M3FN>
  return %0 : tensor<4xf8E4M3FN>
}

// -----

// Tests that without saturation f8E5M2 overflows to infinity (0x7C = 124)
// past its largest finite value (0x7B = 123).
// CHECK-LABEL: func.func @to_e5m2_no_saturate
//   CHECK-DAG:   arith.constant 124 : i32
//   CHECK-DAG:   arith.constant 123 : i32
//       CHECK:   arith.bitcast %{{.+}} : i8 to f8E5M2
func.func @to_e5m2_no_saturate(%x: tensor<4xf32>) -> tensor<4xf8E5M2> {
  %0 = tsr.cast %x {saturate = false} : tensor<4xf32> to tensor<4xf8E5M2>
  return %0 : tensor<4xf8E5M2>
}

// -----

// Tests that with saturation (the default) nothing becomes infinity.
// CHECK-LABEL: func.func @to_e5m2_saturate
//   CHECK-NOT:   arith.constant 124 : i32
//       CHECK:   arith.bitcast %{{.+}} : i8 to f8E5M2
func.func @to_e5m2_saturate(%x: tensor<4xf32>) -> tensor<4xf8E5M2> {
  %0 = tsr.cast %x : tensor<4xf32> to tensor<4xf8E5M2>
  return %0 : tensor<4xf8E5M2>
}

// -----

// Tests that f8E5M2FNUZ -> f16 decodes the byte to f32 and then truncates.
// CHECK-LABEL: func.func @from_e5m2fnuz
//       CHECK:   ^bb0(%[[X:.+]]: f8E5M2FNUZ, %{{.+}}: f16):
//       CHECK:     %[[B:.+]] = arith.bitcast %[[X]] : f8E5M2FNUZ to i8
//       CHECK:     arith.extui %[[B]] : i8 to i32
//       CHECK:     %[[F:.+]] = arith.bitcast %{{.+}} : i32 to f32
//       CHECK:     %[[H:.+]] = arith.truncf %[[F]] : f32 to f16
//       CHECK:     linalg.yield %[[H]] : f16
func.func @from_e5m2fnuz(%x: tensor<4xf8E5M2FNUZ>) -> tensor<4xf16> {
  %0 = tsr.cast %x : tensor<4xf8E5M2FNUZ> to tensor<4xf16>
  return %0 : tensor<4xf16>
}

// -----

// Tests that f32 -> f4E2M1FN uses the same bit manipulation, narrowed to i4
// (largest magnitude 0x7 = 6.0), and that f32 -> i4 wraps through i32.
// CHECK-LABEL: func.func @to_4bit
//       CHECK:   arith.constant 7 : i32
//       CHECK:   ^bb0(%{{.+}}: f32, %{{.+}}: f4E2M1FN):
//       CHECK:     %[[B:.+]] = arith.trunci %{{.+}} : i32 to i4
//       CHECK:     arith.bitcast %[[B]] : i4 to f4E2M1FN
//       CHECK:   ^bb0(%[[X:.+]]: f32, %{{.+}}: i4):
//       CHECK:     %[[W:.+]] = arith.fptosi %[[X]] : f32 to i32
//       CHECK:     arith.trunci %[[W]] : i32 to i4
func.func @to_4bit(%x: tensor<4xf32>) -> (tensor<4xf4E2M1FN>, tensor<4xi4>) {
  %0 = tsr.cast %x : tensor<4xf32> to tensor<4xf4E2M1FN>
  %1 = tsr.cast %x : tensor<4xf32> to tensor<4xi4>
  return %0, %1 : tensor<4xf4E2M1FN>, tensor<4xi4>
}
