//===- RuntimeTestSupport.cpp - Shared fixture of the runtime tests -------===//
//
// Part of the Tessera runtime tests.
//
//===----------------------------------------------------------------------===//
//
// The hand-written entries of RuntimeTestSupport.h. Each reads its argument
// descriptors and writes its results block exactly as generated code does
// (tessera/abi.h): results come from the context's allocator, contiguous,
// and owned by the caller.
//
//===----------------------------------------------------------------------===//
#include "RuntimeTestSupport.h"

#include "tessera/model_format.h"

#include <cstring>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iterator>

namespace tessera::test {

namespace {

/// Reads an argument descriptor of rank `rank`.
struct Memref {
  const int64_t *words;
  size_t rank;
  template <typename T> T *data() const {
    return reinterpret_cast<T *>(static_cast<intptr_t>(words[1])) + words[2];
  }
  int64_t size(size_t d) const { return words[3 + d]; }
  int64_t numElements() const {
    int64_t n = 1;
    for (size_t d = 0; d < rank; ++d)
      n *= size(d);
    return n;
  }
};

Memref arg(void **args, size_t index, size_t rank) {
  return {static_cast<const int64_t *>(args[index]), rank};
}

/// Writes a contiguous result descriptor at `words` and returns the number of
/// words used.
size_t setResult(int64_t *words, void *buffer, std::vector<int64_t> shape) {
  size_t rank = shape.size();
  words[0] = words[1] =
      static_cast<int64_t>(reinterpret_cast<intptr_t>(buffer));
  words[2] = 0;
  int64_t stride = 1;
  for (size_t d = rank; d-- > 0;) {
    words[3 + d] = shape[d];
    words[3 + rank + d] = stride;
    stride *= shape[d];
  }
  return TSR_MEMREF_DESCRIPTOR_WORDS(rank);
}

/// The kernel context, which the runtime passes after the last input.
tsr_kernel_context_t *contextAt(void **args, int slot) {
  return static_cast<tsr_kernel_context_t *>(args[slot]);
}

/// Results come from the context's allocator, as in generated code.
template <typename T> T *allocate(tsr_kernel_context_t *context, int64_t count) {
  return static_cast<T *>(context->alloc(
      context->runtime, std::max<int64_t>(count, 1) * sizeof(T)));
}

} // namespace

/// y[b, i] = x[b, i] * w[i] + 1; weight w: f32[4], input x: f32[batch, 4].
void scaleAddEntry(void **args) {
  Memref w = arg(args, 1, 1), x = arg(args, 2, 2);
  int64_t batch = x.size(0), n = x.size(1);
  float *y = allocate<float>(contextAt(args, 3), batch * n);
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t i = 0; i < n; ++i)
      y[b * n + i] = x.data<float>()[b * n + i] * w.data<float>()[i] + 1.0f;
  setResult(static_cast<int64_t *>(args[0]), y, {batch, n});
}

/// doubled = 2 * x (f32[3]); count = number of elements (i64 scalar).
void twoOutputsEntry(void **args) {
  Memref x = arg(args, 1, 1);
  tsr_kernel_context_t *context = contextAt(args, 2);
  float *doubled = allocate<float>(context, 3);
  for (int i = 0; i < 3; ++i)
    doubled[i] = 2.0f * x.data<float>()[i];
  int64_t *count = allocate<int64_t>(context, 1);
  *count = x.numElements();
  auto *results = static_cast<int64_t *>(args[0]);
  size_t used = setResult(results, doubled, {3});
  setResult(results + used, count, {});
}

/// masked = input_ids * attention_mask, both i64[batch, seq].
void maskEntry(void **args) {
  Memref ids = arg(args, 1, 2), mask = arg(args, 2, 2);
  int64_t n = ids.numElements();
  int64_t *out = allocate<int64_t>(contextAt(args, 3), n);
  for (int64_t i = 0; i < n; ++i)
    out[i] = ids.data<int64_t>()[i] * mask.data<int64_t>()[i];
  setResult(static_cast<int64_t *>(args[0]), out, {ids.size(0), ids.size(1)});
}

/// Returns one buffer (x + 1, f32[2]) as both of its results, as an
/// optimizer that deduplicates equal results would.
void sameBufferTwiceEntry(void **args) {
  Memref x = arg(args, 1, 1);
  float *y = allocate<float>(contextAt(args, 2), 2);
  for (int i = 0; i < 2; ++i)
    y[i] = x.data<float>()[i] + 1.0f;
  auto *results = static_cast<int64_t *>(args[0]);
  size_t used = setResult(results, y, {2});
  setResult(results + used, y, {2});
}

/// Claims a shape that contradicts its static signature (f32[2]).
void wrongShapeEntry(void **args) {
  float *y = allocate<float>(contextAt(args, 1), 3);
  setResult(static_cast<int64_t *>(args[0]), y, {3});
}

/// y = x . w + 1 through the kernel context, as generated code calls the
/// runtime: sgemm for the product, parallel_for for the + 1. Weight w:
/// f32[4, 3] (row-major), input x: f32[batch, 4]; the context follows them.
void linearEntry(void **args) {
  Memref w = arg(args, 1, 2), x = arg(args, 2, 2);
  tsr_kernel_context_t *context = contextAt(args, 3);
  int64_t batch = x.size(0), k = w.size(0), n = w.size(1);
  float *y = allocate<float>(context, batch * n);
  if (context->abi_version == TSR_ABI_VERSION) {
    tsr_sgemm_args_t gemm = {};
    gemm.a = x.data<float>();
    gemm.b = w.data<float>();
    gemm.c = y;
    gemm.batch = 1;
    gemm.m = batch;
    gemm.n = n;
    gemm.k = k;
    gemm.a_row_stride = k;
    gemm.a_col_stride = 1;
    gemm.b_row_stride = n;
    gemm.b_col_stride = 1;
    gemm.c_row_stride = n;
    context->sgemm(context->runtime, &gemm);
    struct AddOne {
      static void run(void *arg, int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i)
          static_cast<float *>(arg)[i] += 1.0f;
      }
    };
    context->parallel_for(context->runtime, batch * n, AddOne::run, y);
  }
  setResult(static_cast<int64_t *>(args[0]), y, {batch, n});
}

const tsr_linked_entry_t kLinkedEntries[] = {
    {"scale_add", scaleAddEntry},
    {"two_outputs", twoOutputsEntry},
    {"mask", maskEntry},
    {"same_buffer_twice", sameBufferTwiceEntry},
    {"wrong_shape", wrongShapeEntry},
    {"linear", linearEntry},
};
const size_t kNumLinkedEntries = std::size(kLinkedEntries);

std::string sealChecksum(std::string bytes) {
  if (bytes.size() < sizeof(tsr_model_file_header_t))
    return bytes;
  tsr_model_file_header_t header;
  std::memcpy(&header, bytes.data(), sizeof(header));
  uint64_t end = bytes.size();
  if (header.data_offset <= end && header.data_size <= end - header.data_offset)
    end = header.data_offset + header.data_size;
  tsr_checksum_t c;
  tsr_checksum_init(&c);
  tsr_checksum_update(&c, bytes.data() + TSR_MODEL_HEADER_SIZE,
                      end - TSR_MODEL_HEADER_SIZE);
  header.checksum = tsr_checksum_final(&c);
  std::memcpy(bytes.data(), &header, sizeof(header));
  return bytes;
}

std::string readFile(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void writeFile(const std::string &path, const std::string &bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

} // namespace tessera::test
