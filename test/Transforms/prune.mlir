// RUN: tessera-opt %s --split-input-file --tsr-prune=pattern=2:4 2>&1 | FileCheck %s --check-prefix=TWOFOUR
// RUN: tessera-opt %s --split-input-file --tsr-prune="pattern=block16 ratio=0.5" 2>&1 | FileCheck %s --check-prefix=BLOCK
// RUN: tessera-opt %s --split-input-file --tsr-prune="pattern=unstructured ratio=0.5 keep-heads=false" 2>&1 | FileCheck %s --check-prefix=UNSTR
// RUN: tessera-opt %s --split-input-file --tsr-prune="pattern=unstructured ratio=0.5 skip=*up*" 2>&1 | FileCheck %s --check-prefix=SKIP
// RUN: not tessera-opt %s --split-input-file --tsr-prune=pattern=3:4 2>&1 | FileCheck %s --check-prefix=BADPATTERN
// RUN: not tessera-opt %s --split-input-file --tsr-prune="pattern=block16 ratio=1" 2>&1 | FileCheck %s --check-prefix=BADRATIO

// W = [[1, -3, 2, 0.5, 4, -1]] ([1, 6]) feeds a linear whose result goes
// through a residual add (not a head).
// 2:4: groups {1, -3, 2, 0.5} keeps -3 and 2; the last group {4, -1} keeps
// both. The values as little-endian f32 bytes: 0, -3 = 000040C0, 2 =
// 00000040, 0, 4 = 00008040, -1 = 000080BF.
// TWOFOUR: remark: pruned: 1 weights to 2:4, kept 4 of 6 values
// TWOFOUR: w.pruned: "0x0400000000000000000040C0000000400000000000008040000080BF"
//
// Unstructured 0.5 zeroes the 3 smallest |w|: 0.5, 1 and -1 (ties: the
// lower index), so W = [0, -3, 2, 0, 4, 0].
// UNSTR: remark: pruned: 1 weights to unstructured:0.5, kept 3 of 6 values
// (The remarks of both functions come first: stderr is not buffered.)
// UNSTR: remark: pruned: 3 weights to unstructured:0.5, kept 36 of 72 values
// UNSTR: w.pruned: "0x0400000000000000000040C0000000400000000000008040{{0{8}()}}"
func.func @residual(%x: tensor<2x6xf32>, %r: tensor<2x1xf32>) -> tensor<2x1xf32> {
  %w = tsr.constant {tsr.name = "w"} dense<[[1.0, -3.0, 2.0, 0.5, 4.0, -1.0]]> : tensor<1x6xf32>
  %0 = tsr.linear %x, %w : (tensor<2x6xf32>, tensor<1x6xf32>) -> tensor<2x1xf32>
  %1 = tsr.add %0, %r : tensor<2x1xf32>, tensor<2x1xf32> -> tensor<2x1xf32>
  return %1 : tensor<2x1xf32>
}

// -----

// block16 on a [2, 32] weight stored [K, N] under a transpose: two blocks
// (k 0..15 and 16..31, partial in n); the second has the smaller sum of
// squares and goes ('up', a single partial block, keeps all of its 4:
// floor(0.5 x 1) = 0 blocks go). A linear whose result reaches an output
// through one-input ops (a head) is kept unless keep-heads=false; an
// embedding table also read by a linear is kept; so is a weight a
// non-linear op reads.
// BLOCK: remark: not pruned: 'table': also an embedding table
// BLOCK: remark: not pruned: 'head': the model's head (computes an output; --prune-heads prunes it)
// BLOCK: remark: not pruned: 'other': also read by an op that is not a linear's weight
// BLOCK: remark: pruned: 2 weights to block16:0.5, kept 36 of 68 values
// BLOCK-LABEL: func.func @blocks
//       BLOCK:   %[[P:.+]] = tsr.constant {tsr.name = "b"} dense_resource<b.pruned> : tensor<32x2xf32>
//       BLOCK:   tsr.transpose %[[P]]
// The first 16 rows of the [32, 2] storage (k 0..15) are kept, the rest zero.
//       BLOCK:   b.pruned: "0x04000000{{([0-9A-F]{8}){32}()}}{{(00000000){32}()}}"
// SKIP: remark: not pruned: 'up': matches --prune-skip 'up'
// SKIP: remark: not pruned: 'table': also an embedding table
// SKIP: remark: not pruned: 'head': the model's head (computes an output; --prune-heads prunes it)
// SKIP: remark: not pruned: 'other': also read by an op that is not a linear's weight
// SKIP: remark: pruned: 1 weights to unstructured:0.5, kept 32 of 64 values
func.func @blocks(%x: tensor<4x32xf32>, %ids: tensor<4xi64>) -> (tensor<4x2xf32>, tensor<4x2xf32>, tensor<4x32xf32>, tensor<2x2xf32>) {
  %b = tsr.constant {tsr.name = "b"} dense<[[2.0, 2.0], [2.0, 2.0], [2.0, 2.0], [2.0, 2.0], [2.0, 2.0], [2.0, 2.0], [2.0, 2.0], [2.0, 2.0], [2.0, 2.0], [2.0, 2.0], [2.0, 2.0], [2.0, 2.0], [2.0, 2.0], [2.0, 2.0], [2.0, 2.0], [2.0, 2.0], [1.0, 1.0], [1.0, 1.0], [1.0, 1.0], [1.0, 1.0], [1.0, 1.0], [1.0, 1.0], [1.0, 1.0], [1.0, 1.0], [1.0, 1.0], [1.0, 1.0], [1.0, 1.0], [1.0, 1.0], [1.0, 1.0], [1.0, 1.0], [1.0, 1.0], [1.0, 1.0]]> : tensor<32x2xf32>
  %bt = tsr.transpose %b {permutation = array<i64: 1, 0>} : tensor<32x2xf32> -> tensor<2x32xf32>
  %h = tsr.constant {tsr.name = "head"} dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %table = tsr.constant {tsr.name = "table"} dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %other = tsr.constant {tsr.name = "other"} dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %up = tsr.constant {tsr.name = "up"} dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %0 = tsr.linear %x, %bt : (tensor<4x32xf32>, tensor<2x32xf32>) -> tensor<4x2xf32>
  %1 = tsr.linear %0, %up : (tensor<4x2xf32>, tensor<2x2xf32>) -> tensor<4x2xf32>
  %2 = tsr.linear %1, %table : (tensor<4x2xf32>, tensor<2x2xf32>) -> tensor<4x2xf32>
  %3 = tsr.add %2, %0 : tensor<4x2xf32>, tensor<4x2xf32> -> tensor<4x2xf32>
  %4 = tsr.linear %3, %h : (tensor<4x2xf32>, tensor<2x2xf32>) -> tensor<4x2xf32>
  %5 = tsr.unary tanh %4 : tensor<4x2xf32>
  %e = tsr.gather %table[%ids] {axis = 0 : i64} : (tensor<2x2xf32>, tensor<4xi64>) -> tensor<4x2xf32>
  %6 = tsr.linear %e, %other : (tensor<4x2xf32>, tensor<2x2xf32>) -> tensor<4x2xf32>
  %7 = tsr.add %6, %3 : tensor<4x2xf32>, tensor<4x2xf32> -> tensor<4x2xf32>
  %8 = tsr.mul %other, %other : tensor<2x2xf32>, tensor<2x2xf32> -> tensor<2x2xf32>
  return %5, %7, %x, %8 : tensor<4x2xf32>, tensor<4x2xf32>, tensor<4x32xf32>, tensor<2x2xf32>
}

// BADPATTERN: error: unknown pruning pattern '3:4' (2:4, block16 or unstructured)
// BADRATIO: error: pruning ratio 1 is outside [0, 1)
