//===- AttentionAvx512.cpp - AVX-512 attention kernel ---------------------===//
//
// Part of the Tessera runtime.
//
//===----------------------------------------------------------------------===//
//
// The key-block kernel (AttentionKernels.h) with 16 query rows per zmm.
// Scores: tiles of R keys x G groups (R * G = 16 accumulators), each step one
// qt load per group and one broadcast K element per key; then one pass adds
// the mask, applies the causal limit and takes the block max. Output:
// tiles of R columns of ot x G groups, rescaled by alpha on load, each step
// one probability load per group and one broadcast V element per column.
// Edges use tiles of R/2, R/4, ... rows. exp is vectorized (~2 ulp).
//
// Compiled with -mavx512f -mavx512bw -mavx512dq -mavx512vl -mfma; see
// SgemmKernels.h for why nothing here has external linkage but the getter.
//
//===----------------------------------------------------------------------===//
#include "kernels/AttentionKernels.h"
#include "kernels/VectorMath512.h"

#include <immintrin.h>

using namespace tessera::runtime;

namespace {

constexpr int64_t W = kAttentionGroupLanes;

/// Raw scores (scaled Q . K) of keys [j, j + R) into st. Nothing but the
/// FMA loop and the stores, so that the accumulators stay in registers.
template <int G, int R>
void scoreTile(const AttentionBlock &block, int64_t j) {
  constexpr int64_t L = G * W;
  __m512 acc[R][G];
  for (int r = 0; r < R; ++r)
    for (int g = 0; g < G; ++g)
      acc[r][g] = _mm512_setzero_ps();

  const int64_t kRow = block.kRowStride, kCol = block.kColStride;
  const float *k = block.k + j * kRow;
  const float *q = block.qt;
  for (int64_t c = block.d; c > 0; --c, q += L, k += kCol) {
    __m512 qv[G];
    for (int g = 0; g < G; ++g)
      qv[g] = _mm512_load_ps(q + g * W);
    for (int r = 0; r < R; ++r) {
      __m512 kv = _mm512_set1_ps(k[r * kRow]);
      for (int g = 0; g < G; ++g)
        acc[r][g] = _mm512_fmadd_ps(kv, qv[g], acc[r][g]);
    }
  }

  float *st = block.st + j * L;
  for (int r = 0; r < R; ++r)
    for (int g = 0; g < G; ++g)
      _mm512_store_ps(st + r * L + g * W, acc[r][g]);
}

/// Adds the mask, hides what the causal limit hides, and folds the block's
/// scores into blockMax.
template <int G>
void finishScores(const AttentionBlock &block, __m512 *blockMax) {
  constexpr int64_t L = G * W;
  const __m512 negInf = _mm512_set1_ps(-__builtin_inff());
  const int64_t maskCol = block.maskColStride;
  const float *mask0 =
      block.maskRows ? block.maskRows[0] + block.keyBegin * maskCol : nullptr;
  __m512i offsets[G], visible[G], first[G];
  for (int g = 0; g < G; ++g) {
    offsets[g] = block.maskOffsets
                     ? _mm512_load_si512(block.maskOffsets + g * W)
                     : _mm512_setzero_si512();
    visible[g] = block.visibleKeys
                     ? _mm512_load_si512(block.visibleKeys + g * W)
                     : _mm512_setzero_si512();
    first[g] = block.firstVisible
                   ? _mm512_load_si512(block.firstVisible + g * W)
                   : _mm512_setzero_si512();
  }
  float *st = block.st;
  for (int64_t j = 0; j < block.keys; ++j, st += L) {
    __m512 x[G];
    for (int g = 0; g < G; ++g)
      x[g] = _mm512_load_ps(st + g * W);
    if (mask0) {
      const float *maskAt = mask0 + j * maskCol;
      if (block.maskUniform) {
        __m512 value = _mm512_set1_ps(*maskAt);
        for (int g = 0; g < G; ++g)
          x[g] = _mm512_add_ps(x[g], value);
      } else if (block.maskOffsets) {
        for (int g = 0; g < G; ++g)
          x[g] = _mm512_add_ps(
              x[g], _mm512_i32gather_ps(offsets[g], maskAt, sizeof(float)));
      } else {
        int64_t offset = (block.keyBegin + j) * maskCol;
        for (int g = 0; g < G; ++g) {
          alignas(64) float values[W];
          for (int64_t lane = 0; lane < W; ++lane)
            values[lane] = block.maskRows[g * W + lane][offset];
          x[g] = _mm512_add_ps(x[g], _mm512_load_ps(values));
        }
      }
    }
    if (block.visibleKeys) {
      __m512i key = _mm512_set1_epi32(static_cast<int32_t>(j));
      for (int g = 0; g < G; ++g)
        x[g] = _mm512_mask_blend_ps(
            _mm512_cmpgt_epi32_mask(visible[g], key) &
                _mm512_cmple_epi32_mask(first[g], key),
            negInf, x[g]);
    }
    for (int g = 0; g < G; ++g) {
      blockMax[g] = _mm512_max_ps(blockMax[g], x[g]);
      if (mask0 || block.visibleKeys)
        _mm512_store_ps(st + g * W, x[g]);
    }
  }
}

/// ot[c, c + R) = alpha * ot + P . V[:, c, c + R).
template <int G, int R>
void outputTile(const AttentionBlock &block, int64_t c, const __m512 *alpha,
                bool rescale) {
  constexpr int64_t L = G * W;
  __m512 acc[R][G];
  float *o = block.ot + c * L;
  for (int r = 0; r < R; ++r)
    for (int g = 0; g < G; ++g) {
      acc[r][g] = _mm512_load_ps(o + r * L + g * W);
      if (rescale)
        acc[r][g] = _mm512_mul_ps(acc[r][g], alpha[g]);
    }

  const int64_t vRow = block.vRowStride, vCol = block.vColStride;
  const float *v = block.v + c * vCol;
  const float *p = block.st;
  for (int64_t j = block.keys; j > 0; --j, p += L, v += vRow) {
    __m512 pv[G];
    for (int g = 0; g < G; ++g)
      pv[g] = _mm512_load_ps(p + g * W);
    for (int r = 0; r < R; ++r) {
      __m512 vv = _mm512_set1_ps(v[r * vCol]);
      for (int g = 0; g < G; ++g)
        acc[r][g] = _mm512_fmadd_ps(vv, pv[g], acc[r][g]);
    }
  }

  for (int r = 0; r < R; ++r)
    for (int g = 0; g < G; ++g)
      _mm512_store_ps(o + r * L + g * W, acc[r][g]);
}

/// Runs tiles of R rows over [begin, begin + count), the rest with R/2, ...
template <int G, int R> struct Tiles {
  static void scores(const AttentionBlock &block, int64_t begin,
                     int64_t count) {
    for (; count >= R; count -= R, begin += R)
      scoreTile<G, R>(block, begin);
    if constexpr (R > 1)
      if (count)
        Tiles<G, R / 2>::scores(block, begin, count);
  }
  static void outputs(const AttentionBlock &block, int64_t begin, int64_t count,
                      const __m512 *alpha, bool rescale) {
    for (; count >= R; count -= R, begin += R)
      outputTile<G, R>(block, begin, alpha, rescale);
    if constexpr (R > 1)
      if (count)
        Tiles<G, R / 2>::outputs(block, begin, count, alpha, rescale);
  }
};

template <int G> void avx512Block(const AttentionBlock &block) {
  constexpr int64_t L = G * W;
  constexpr int R = 16 / G;
  const __m512 negInf = _mm512_set1_ps(-__builtin_inff());
  __m512 mOld[G], mNew[G];
  for (int g = 0; g < G; ++g) {
    mOld[g] = _mm512_load_ps(block.m + g * W);
    mNew[g] = mOld[g];
  }
  Tiles<G, R>::scores(block, 0, block.keys);
  finishScores<G>(block, mNew);

  // Online softmax. A row that has seen only -inf so far subtracts 0
  // instead (its probabilities and alpha are then 0, not NaN).
  __m512 mUse[G], alpha[G], sum[G];
  __mmask16 grown = 0;
  for (int g = 0; g < G; ++g) {
    __mmask16 none = _mm512_cmp_ps_mask(mNew[g], negInf, _CMP_EQ_OQ);
    mUse[g] = _mm512_mask_blend_ps(none, mNew[g], _mm512_setzero_ps());
    alpha[g] = exp512FlushTiny(_mm512_sub_ps(mOld[g], mUse[g]));
    grown |= _mm512_cmp_ps_mask(alpha[g], _mm512_set1_ps(1.0f), _CMP_NEQ_UQ);
    sum[g] = _mm512_setzero_ps();
  }
  float *st = block.st;
  for (int64_t j = 0; j < block.keys; ++j, st += L)
    for (int g = 0; g < G; ++g) {
      __m512 p = exp512FlushTiny(_mm512_sub_ps(_mm512_load_ps(st + g * W), mUse[g]));
      sum[g] = _mm512_add_ps(sum[g], p);
      _mm512_store_ps(st + g * W, p);
    }
  for (int g = 0; g < G; ++g) {
    __m512 l = _mm512_load_ps(block.l + g * W);
    _mm512_store_ps(block.l + g * W, _mm512_fmadd_ps(l, alpha[g], sum[g]));
    _mm512_store_ps(block.m + g * W, mNew[g]);
  }

  Tiles<G, R>::outputs(block, 0, block.dv, alpha, grown != 0);
}

void avx512AttentionBlock(const AttentionBlock &block) {
  switch (block.groups) {
  case 1:
    avx512Block<1>(block);
    break;
  case 2:
    avx512Block<2>(block);
    break;
  default:
    avx512Block<4>(block);
    break;
  }
}

inline __mmask16 firstLanes(int64_t count) {
  return count >= W ? static_cast<__mmask16>(0xffff)
                    : static_cast<__mmask16>((1u << count) - 1);
}

/// Row kernel (decoding): per row, scores as dot products along d (one
/// horizontal sum per key), softmax vectorized along the keys, P . V along
/// dv.
void avx512RowBlock(const AttentionBlock &block) {
  const int64_t d = block.d, dv = block.dv, keys = block.keys;
  const int64_t kRow = block.kRowStride, vRow = block.vRowStride;
  const __m512 negInf = _mm512_set1_ps(-__builtin_inff());
  const __mmask16 dTail = firstLanes(d % W);
  const int64_t dFull = d - d % W;
  for (int64_t r = 0; r < block.rows; ++r) {
    const float *q = block.qt + r * d;
    float *st = block.st + r * kAttentionKeyBlock;

    // Raw scores, two keys at a time for independent chains.
    int64_t j = 0;
    for (; j + 2 <= keys; j += 2) {
      const float *k0 = block.k + j * kRow, *k1 = k0 + kRow;
      __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
      for (int64_t c = 0; c < dFull; c += W) {
        __m512 qv = _mm512_loadu_ps(q + c);
        acc0 = _mm512_fmadd_ps(qv, _mm512_loadu_ps(k0 + c), acc0);
        acc1 = _mm512_fmadd_ps(qv, _mm512_loadu_ps(k1 + c), acc1);
      }
      if (dTail) {
        __m512 qv = _mm512_maskz_loadu_ps(dTail, q + dFull);
        acc0 = _mm512_fmadd_ps(qv, _mm512_maskz_loadu_ps(dTail, k0 + dFull),
                               acc0);
        acc1 = _mm512_fmadd_ps(qv, _mm512_maskz_loadu_ps(dTail, k1 + dFull),
                               acc1);
      }
      st[j] = _mm512_reduce_add_ps(acc0);
      st[j + 1] = _mm512_reduce_add_ps(acc1);
    }
    if (j < keys) {
      const float *k0 = block.k + j * kRow;
      __m512 acc0 = _mm512_setzero_ps();
      for (int64_t c = 0; c < dFull; c += W)
        acc0 = _mm512_fmadd_ps(_mm512_loadu_ps(q + c),
                               _mm512_loadu_ps(k0 + c), acc0);
      if (dTail)
        acc0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(dTail, q + dFull),
                               _mm512_maskz_loadu_ps(dTail, k0 + dFull), acc0);
      st[j] = _mm512_reduce_add_ps(acc0);
    }

    // Mask, causal limit, block max.
    const int64_t visible = block.visibleKeys ? block.visibleKeys[r] : keys;
    const int64_t first = block.visibleKeys ? block.firstVisible[r] : 0;
    const int64_t maskCol = block.maskColStride;
    const float *maskRow =
        block.maskRows ? block.maskRows[r] + block.keyBegin * maskCol : nullptr;
    __m512 maxVector = negInf;
    for (int64_t j0 = 0; j0 < keys; j0 += W) {
      __mmask16 live = firstLanes(keys - j0);
      __m512 x = _mm512_maskz_loadu_ps(live, st + j0);
      if (maskRow) {
        __m512 m;
        if (maskCol == 1) {
          m = _mm512_maskz_loadu_ps(live, maskRow + j0);
        } else if (maskCol == 0) {
          m = _mm512_set1_ps(*maskRow);
        } else {
          alignas(64) float values[W] = {};
          for (int64_t lane = 0; lane < W && j0 + lane < keys; ++lane)
            values[lane] = maskRow[(j0 + lane) * maskCol];
          m = _mm512_load_ps(values);
        }
        x = _mm512_add_ps(x, m);
      }
      if (visible < keys)
        x = _mm512_mask_blend_ps(
            firstLanes(visible > j0 ? visible - j0 : 0), negInf, x);
      if (first > j0)
        x = _mm512_mask_blend_ps(
            static_cast<__mmask16>(~firstLanes(first - j0)), negInf, x);
      _mm512_mask_storeu_ps(st + j0, live, x);
      maxVector = _mm512_mask_max_ps(maxVector, live, maxVector, x);
    }

    // Online softmax.
    const float mOld = block.m[r];
    float mNew = _mm512_reduce_max_ps(maxVector);
    mNew = mOld > mNew ? mOld : mNew;
    const __m512 mUse = _mm512_set1_ps(mNew == -__builtin_inff() ? 0.0f : mNew);
    const __m512 alpha =
        exp512FlushTiny(_mm512_sub_ps(_mm512_set1_ps(mOld), mUse));
    __m512 sum = _mm512_setzero_ps();
    for (int64_t j0 = 0; j0 < keys; j0 += W) {
      __mmask16 live = firstLanes(keys - j0);
      __m512 p = _mm512_maskz_mov_ps(
          live, exp512FlushTiny(_mm512_sub_ps(_mm512_maskz_loadu_ps(live, st + j0),
                                     mUse)));
      sum = _mm512_add_ps(sum, p);
      _mm512_mask_storeu_ps(st + j0, live, p);
    }
    const float alphaValue = _mm512_cvtss_f32(alpha);
    block.l[r] = block.l[r] * alphaValue + _mm512_reduce_add_ps(sum);
    block.m[r] = mNew;

    // ot = alpha * ot + P . V, four vectors of dv at a time.
    float *o = block.ot + r * dv;
    for (int64_t c0 = 0; c0 < dv; c0 += 4 * W) {
      __mmask16 lanes[4];
      __m512 acc[4];
      for (int i = 0; i < 4; ++i) {
        int64_t c = c0 + i * W;
        lanes[i] = c < dv ? firstLanes(dv - c) : 0;
        acc[i] = _mm512_mul_ps(_mm512_maskz_loadu_ps(lanes[i], o + c), alpha);
      }
      const float *v = block.v + c0;
      for (int64_t jj = 0; jj < keys; ++jj, v += vRow) {
        __m512 p = _mm512_set1_ps(st[jj]);
        for (int i = 0; i < 4; ++i)
          acc[i] = _mm512_fmadd_ps(
              p, _mm512_maskz_loadu_ps(lanes[i], v + i * W), acc[i]);
      }
      for (int i = 0; i < 4; ++i)
        _mm512_mask_storeu_ps(o + c0 + i * W, lanes[i], acc[i]);
    }
  }
}

} // namespace

const AttentionKernelSet &tessera::runtime::getAvx512AttentionKernels() {
  static const AttentionKernelSet kernels = {"avx512", avx512AttentionBlock,
                                                avx512RowBlock};
  return kernels;
}
