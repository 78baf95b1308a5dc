// RUN: tessera-opt %s --split-input-file --tsr-lower-to-linalg --mlir-print-local-scope | FileCheck %s

// Tests that unsigned division keeps the ui8 tensors, computes on signless
// scalars with arith.divui, and casts the result back to ui8.
// CHECK-LABEL: func.func @div_ui8
//       CHECK:   linalg.generic
//  CHECK-SAME:     ins(%{{.+}}, %{{.+}} : tensor<4xui8>, tensor<4xui8>) outs(%{{.+}} : tensor<4xui8>)
//       CHECK:   ^bb0(%[[X:.+]]: ui8, %[[Y:.+]]: ui8, %{{.+}}: ui8):
//       CHECK:     %[[SX:.+]] = builtin.unrealized_conversion_cast %[[X]] : ui8 to i8
//       CHECK:     %[[SY:.+]] = builtin.unrealized_conversion_cast %[[Y]] : ui8 to i8
//       CHECK:     %[[D:.+]] = arith.divui %[[SX]], %[[SY]] : i8
//       CHECK:     %[[R:.+]] = builtin.unrealized_conversion_cast %[[D]] : i8 to ui8
//       CHECK:     linalg.yield %[[R]] : ui8
func.func @div_ui8(%a: tensor<4xui8>, %b: tensor<4xui8>) -> tensor<4xui8> {
  %0 = tsr.div %a, %b : tensor<4xui8>, tensor<4xui8> -> tensor<4xui8>
  return %0 : tensor<4xui8>
}

// -----

// Tests that signed division still uses arith.divsi (no casts).
// CHECK-LABEL: func.func @div_i8
//   CHECK-NOT:   unrealized_conversion_cast
//       CHECK:   arith.divsi
func.func @div_i8(%a: tensor<4xi8>, %b: tensor<4xi8>) -> tensor<4xi8> {
  %0 = tsr.div %a, %b : tensor<4xi8>, tensor<4xi8> -> tensor<4xi8>
  return %0 : tensor<4xi8>
}

// -----

// Tests that max and min of ui64 compare as unsigned.
// CHECK-LABEL: func.func @max_min_ui64
//       CHECK:   arith.maxui %{{.+}}, %{{.+}} : i64
//       CHECK:   arith.minui %{{.+}}, %{{.+}} : i64
func.func @max_min_ui64(%a: tensor<3xui64>, %b: tensor<3xui64>) -> (tensor<3xui64>, tensor<3xui64>) {
  %0 = tsr.max %a, %b : tensor<3xui64>, tensor<3xui64> -> tensor<3xui64>
  %1 = tsr.min %a, %b : tensor<3xui64>, tensor<3xui64> -> tensor<3xui64>
  return %0, %1 : tensor<3xui64>, tensor<3xui64>
}

// -----

// Tests that an ordering comparison of ui16 uses the unsigned predicate and
// yields a plain i1.
// CHECK-LABEL: func.func @less_ui16
//       CHECK:   arith.cmpi ult, %{{.+}}, %{{.+}} : i16
//   CHECK-NOT:   unrealized_conversion_cast %{{.+}} : i1
func.func @less_ui16(%a: tensor<5xui16>, %b: tensor<5xui16>) -> tensor<5xi1> {
  %0 = tsr.compare lt, %a, %b : tensor<5xui16>, tensor<5xui16> -> tensor<5xi1>
  return %0 : tensor<5xi1>
}

// -----

// Tests that casts from and to unsigned integers zero-extend and use the
// unsigned float conversions, and that a same-width signedness change is a
// plain copy.
// CHECK-LABEL: func.func @casts_ui32
//       CHECK:   arith.uitofp %{{.+}} : i32 to f32
//       CHECK:   arith.extui %{{.+}} : i32 to i64
//       CHECK:   arith.fptoui %{{.+}} : f32 to i32
//       CHECK:   ^bb0(%[[V:.+]]: ui32, %{{.+}}: i32):
//  CHECK-NEXT:     %[[S:.+]] = builtin.unrealized_conversion_cast %[[V]] : ui32 to i32
//  CHECK-NEXT:     linalg.yield %[[S]] : i32
func.func @casts_ui32(%a: tensor<2xui32>, %f: tensor<2xf32>) -> (tensor<2xf32>, tensor<2xi64>, tensor<2xui32>, tensor<2xi32>) {
  %0 = tsr.cast %a : tensor<2xui32> to tensor<2xf32>
  %1 = tsr.cast %a : tensor<2xui32> to tensor<2xi64>
  %2 = tsr.cast %f : tensor<2xf32> to tensor<2xui32>
  %3 = tsr.cast %a : tensor<2xui32> to tensor<2xi32>
  return %0, %1, %2, %3 : tensor<2xf32>, tensor<2xi64>, tensor<2xui32>, tensor<2xi32>
}

// -----

// Tests that an unsigned constant becomes a signless arith.constant with the
// same bits, copied into the ui8 tensor.
// CHECK-LABEL: func.func @constant_ui8
//       CHECK:   %[[C:.+]] = arith.constant dense<[1, -1]> : tensor<2xi8>
//       CHECK:   linalg.generic
//  CHECK-SAME:     ins(%[[C]] : tensor<2xi8>) outs(%{{.+}} : tensor<2xui8>)
//       CHECK:     builtin.unrealized_conversion_cast %{{.+}} : i8 to ui8
func.func @constant_ui8() -> tensor<2xui8> {
  %0 = tsr.constant dense<[1, 255]> : tensor<2xui8>
  return %0 : tensor<2xui8>
}
