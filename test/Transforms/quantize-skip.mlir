// RUN: tessera-opt %s --tsr-quantize="skip=*.head.*,*/head/*" --verify-diagnostics | FileCheck %s

// Tests that a weight whose name matches a skip glob stays f32 (CHECK) and
// that other names are quantized.
// CHECK-LABEL: func.func @skip_by_name
//       CHECK:   tsr.quantized_linear
//       CHECK:   tsr.linear %{{.+}}, %{{.+}} : (tensor<5x3xf32>, tensor<2x3xf32>)
func.func @skip_by_name(%x: tensor<5x3xf32>) -> (tensor<5x2xf32>, tensor<5x2xf32>) {
  %w = tsr.constant {tsr.name = "encoder.fc.weight"} dense<1.0> : tensor<2x3xf32>
  %h = tsr.constant {tsr.name = "model.head.weight"} dense<2.0> : tensor<2x3xf32>
  %0 = tsr.linear %x, %w : (tensor<5x3xf32>, tensor<2x3xf32>) -> tensor<5x2xf32>
  // expected-remark @+1 {{not quantized: 'model.head.weight': matches --quantize-skip}}
  %1 = tsr.linear %x, %h : (tensor<5x3xf32>, tensor<2x3xf32>) -> tensor<5x2xf32>
  return %0, %1 : tensor<5x2xf32>, tensor<5x2xf32>
}

// Tests that a glob also matches the name of the node a linear was made of
// (its NameLoc, as the ONNX importer sets it).
// CHECK-LABEL: func.func @skip_by_node_name
//       CHECK:   tsr.linear
func.func @skip_by_node_name(%x: tensor<5x3xf32>) -> tensor<5x2xf32> {
  %w = tsr.constant {tsr.name = "onnx::MatMul_7"} dense<1.0> : tensor<2x3xf32>
  // expected-remark@unknown {{not quantized: '/model/head/MatMul': matches --quantize-skip}}
  %0 = tsr.linear %x, %w : (tensor<5x3xf32>, tensor<2x3xf32>) -> tensor<5x2xf32> loc("/model/head/MatMul")
  return %0 : tensor<5x2xf32>
}
