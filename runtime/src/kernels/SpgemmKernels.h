//===- SpgemmKernels.h - Micro-kernels behind the sparse GEMM ---*- C++ -*-===//
//
// Part of the Tessera runtime.
//
//===----------------------------------------------------------------------===//
//
// The interface between the sparse GEMM driver (Spgemm.cpp: k and m
// blocking, packing A, threading) and the per-ISA micro-kernels
// (Spgemm.cpp's portable ones, SpgemmAvx2.cpp, SpgemmAvx512.cpp). As for
// the SGEMM (SgemmKernels.h), the ISA files share no inline code with the
// rest of the runtime.
//
// Both tiles read A packed into panels of `mr` rows: step s (k = kBase + s)
// of row i at a[s * mr + i], rows past the tile's and steps past K zero.
// - BLOCK16 vectorizes along N: one panel of 16 columns, rows x 16
//   accumulators, each stored 16 x 16 block one k row at a time (a vector
//   load) times the rows' A values (broadcasts).
// - CSR vectorizes along M: a column's nonzeros are scattered in k, so each
//   one scales a vector of rows of A (A's packed panel is exactly that) into
//   the column's accumulators; the column is then transposed into C.
//
//===----------------------------------------------------------------------===//
#ifndef TESSERA_RUNTIME_KERNELS_SPGEMMKERNELS_H
#define TESSERA_RUNTIME_KERNELS_SPGEMMKERNELS_H

#include <cstdint>

namespace tessera::runtime {

struct SpgemmTile {
  const float *a; // packed A, step 0 at k = kBase
  int64_t kBase;  // a multiple of 16
  /// BLOCK16: the tile's `count` blocks (values 256 floats each, indices
  /// their absolute k blocks, all within the packed steps).
  /// CSR: the tile's columns' nonzeros, offsets[0 .. cols] (absolute into
  /// values and indices); only those with kBase <= k < kEnd count.
  const float *values;
  const int32_t *indices;
  const int32_t *offsets;
  int64_t count;
  int64_t kEnd;
  /// CSR: the fraction of the weights that are stored (the driver's, over
  /// the whole matrix): how many steps a tile may take at a time.
  double density;
  int64_t rows; // 1..mr
  int64_t cols; // 1..16
  float *c;
  int64_t ldc;
  const float *bias; // of C's first column, or null; only with `finish`
  int64_t epilogue;  // only with `finish`
  bool accumulate;   // add C's current value (a later k block)
  bool finish;       // last k block: bias and epilogue
};

/// The steps that size SpgemmWorkspace (192 rows by this many floats).
constexpr int64_t kSpgemmMaxKc = 1024;

struct SpgemmKernelSet {
  const char *name;
  int64_t blockMr; // rows of a BLOCK16 tile
  int64_t csrMr;   // rows of a CSR tile
  /// Steps of a k block (multiples of 16): a tile reads its packed A panel
  /// (mr x kc floats) at the k of each stored weight, in no order. The
  /// packed block (BLOCK16: 128 rows in whole panels; CSR: one panel) must
  /// fit SpgemmWorkspace's per-thread buffer, which runSpgemm checks.
  int64_t blockKc, csrKc;
  void (*blockTile)(const SpgemmTile &tile);
  void (*csrTile)(const SpgemmTile &tile);
  /// Packs A[0:rows, 0:kc] (element (i, k) at a[i * rowStride + k *
  /// colStride]) into ceil(rows / mr) panels of kcPadded * mr floats, zero
  /// past `rows` and past kc.
  void (*packA)(const float *a, int64_t rowStride, int64_t colStride,
                int64_t rows, int64_t kc, int64_t kcPadded, int64_t mr,
                float *out);
};

const SpgemmKernelSet &getGenericSpgemmKernels();
#if defined(TESSERA_HAVE_X86_SGEMM_KERNELS)
const SpgemmKernelSet &getAvx2SpgemmKernels();
const SpgemmKernelSet &getAvx512SpgemmKernels();
#endif

/// The portable packer (any strides, any mr).
void packSpgemmAPanels(const float *a, int64_t rowStride, int64_t colStride,
                       int64_t rows, int64_t kc, int64_t kcPadded, int64_t mr,
                       float *out);

/// The first of a column's nonzeros [begin, end) (sorted by k) at k >= k0
/// (internal linkage: see above).
static inline int64_t firstNonzeroAtOrAfter(const int32_t *indices, int64_t begin,
                                     int64_t end, int64_t k0) {
  if (begin == end || indices[begin] >= k0)
    return begin; // the common case: the first k block
  while (begin < end) {
    int64_t mid = begin + (end - begin) / 2;
    if (indices[mid] < k0)
      begin = mid + 1;
    else
      end = mid;
  }
  return begin;
}

} // namespace tessera::runtime

#endif // TESSERA_RUNTIME_KERNELS_SPGEMMKERNELS_H
