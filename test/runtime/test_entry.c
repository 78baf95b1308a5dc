/*===- test_entry.c - A hand-written entry for the dlopen tests ----*- C -*-===*
 *
 * Part of the Tessera runtime tests.
 *
 *===----------------------------------------------------------------------===*
 *
 * Stands in for a compiler-generated libmodel.so: exports one entry that
 * follows tessera/abi.h, so the runtime's dlopen/dlsym path can be tested
 * without the compiler. The entry computes y = x + 1 for a rank-1 float32
 * input of any length.
 *
 *===----------------------------------------------------------------------===*/
#include "tessera/abi.h"


/* y[i] = x[i] + 1; args[0] = results block, args[1] = x (rank 1),
 * args[2] = the kernel context, whose allocator the result comes from. */
void tsr_test_add_one(void **args) {
  int64_t *result = (int64_t *)args[0];
  const int64_t *x = (const int64_t *)args[1];
  tsr_kernel_context_t *context = (tsr_kernel_context_t *)args[2];
  const float *xData = (const float *)(intptr_t)x[1] + x[2];
  int64_t n = x[3];
  float *y = (float *)context->alloc(context->runtime,
                                     n * (int64_t)sizeof(float));
  for (int64_t i = 0; i < n; ++i)
    y[i] = xData[i * x[4]] + 1.0f;
  result[0] = (int64_t)(intptr_t)y; /* allocated */
  result[1] = (int64_t)(intptr_t)y; /* aligned */
  result[2] = 0;                    /* offset */
  result[3] = n;                    /* sizes[0] */
  result[4] = 1;                    /* strides[0] */
}
