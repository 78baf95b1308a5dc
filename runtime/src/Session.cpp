//===- Session.cpp - Running a model's entry ------------------------------===//
//
// Part of the Tessera runtime.
//
//===----------------------------------------------------------------------===//
//
// tsr_session_create / tsr_session_run / tsr_session_release. A session
// translates the C API's tensor views into the memref descriptors of
// tessera/abi.h, calls the generated entry, and hands the results back:
// either copied into caller buffers or lent out of the session until the next
// run. Inputs are checked against the signature before the generated code
// runs, because that code trusts its shapes blindly; results are checked
// after, because a broken compiler should produce an error, not garbage.
//
// Each session owns the kernel state generated code calls back into (thread
// pool, GEMM buffers; see KernelRuntime.h) and passes its
// tsr_kernel_context_t after the inputs on every run.
//
// A session is not thread-safe; several sessions may share one model.
//
//===----------------------------------------------------------------------===//
#include "DType.h"
#include "KernelRuntime.h"
#include "Model.h"
#include "Status.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

using namespace tessera::runtime;

namespace {

/// MLIR's memref lowering puts this in `allocated` for memref.global views;
/// such a result is not heap memory and must not be freed.
void *const kMlirGlobalAllocatedMarker = reinterpret_cast<void *>(0xdeadbeef);

/// Fills a contiguous, row-major memref descriptor (see tessera/abi.h).
void writeDescriptor(int64_t *words, const void *data, const int64_t *shape,
                     size_t rank) {
  auto address = static_cast<int64_t>(reinterpret_cast<intptr_t>(data));
  words[0] = address; // allocated
  words[1] = address; // aligned
  words[2] = 0;       // offset
  int64_t stride = 1;
  for (size_t d = rank; d-- > 0;) {
    words[3 + d] = shape[d];
    words[3 + rank + d] = stride;
    stride *= shape[d];
  }
}

/// Bytes of a dense tensor; false on overflow.
bool denseByteSize(tsr_dtype_t dtype, const int64_t *shape, size_t rank,
                   uint64_t &bytes) {
  bytes = tsr_dtype_size(dtype);
  for (size_t d = 0; d < rank; ++d)
    if (shape[d] < 0 ||
        __builtin_mul_overflow(bytes, static_cast<uint64_t>(shape[d]), &bytes))
      return false;
  return true;
}

std::string formatShape(const int64_t *shape, size_t rank) {
  std::string text = "[";
  for (size_t d = 0; d < rank; ++d)
    text += formatString("%s%lld", d ? ", " : "", (long long)shape[d]);
  return text + "]";
}

/// The value a named dynamic dim took in this run, and where it came from.
struct BoundDim {
  const std::string *name;
  int64_t value;
  const std::string *tensor;
};

const BoundDim *findBoundDim(const std::vector<BoundDim> &bound,
                             const std::string &name) {
  for (const BoundDim &dim : bound)
    if (*dim.name == name)
      return &dim;
  return nullptr;
}

/// One result as the generated code returned it.
struct Result {
  void *allocated;
  char *data; // aligned + offset, in bytes.
  int64_t shape[TSR_MAX_RANK];
  size_t rank;
  uint64_t bytes;
};

} // namespace

struct tsr_session {
  const tsr_model *model = nullptr;
  const Entry *entry = nullptr;
  int32_t numThreads = 1;

  /// The argument descriptors: weights' (filled once) then inputs'.
  std::vector<int64_t> argWords;
  std::vector<size_t> inputWordOffsets;
  /// The results block the generated code fills.
  std::vector<int64_t> resultWords;
  std::vector<size_t> resultWordOffsets;
  /// Thread pool and kernels lent to the generated code.
  std::unique_ptr<KernelRuntime> kernels;
  /// args[0] = results block, args[1 + i] = argument descriptor i, then the
  /// kernel context (see tessera/abi.h).
  std::vector<void *> args;

  /// Per-run scratch, kept to avoid allocating on every run.
  std::vector<BoundDim> boundDims;
  std::vector<Result> results;
  std::vector<void *> freeList;

  /// Result buffers lent to the caller by the last run (distinct pointers).
  std::vector<void *> ownedBuffers;

  /// Set while a run is under way: a second thread's run is refused.
  std::atomic<bool> running{false};

  ~tsr_session() { releaseOwnedBuffers(); }

  void releaseOwnedBuffers() {
    for (void *buffer : ownedBuffers)
      releaseBlock(buffer);
    ownedBuffers.clear();
  }

  /// Results come from the kernel context's allocator (tessera/abi.h).
  void releaseBlock(void *buffer) {
    if (kernels)
      kernels->blocks().release(buffer);
  }

  tsr_status_t bindInputs(const tsr_tensor_view_t *inputs);
  tsr_status_t checkOutputViews(const tsr_tensor_view_t *outputs);
  tsr_status_t collectResults();
  tsr_status_t deliverResults(tsr_tensor_view_t *outputs);
  void freeResults(const tsr_tensor_view_t *inputs, bool keepLent);
};

tsr_status_t tsr_session::bindInputs(const tsr_tensor_view_t *inputs) {
  boundDims.clear();
  for (size_t i = 0; i < entry->inputs.size(); ++i) {
    const TensorSignature &sig = entry->inputs[i];
    const tsr_tensor_view_t &view = inputs[i];
    const char *name = sig.name.c_str();
    if (rawDType(view.dtype) != sig.dtype)
      return makeStatus(TSR_STATUS_INVALID_ARGUMENT,
                        "input '%s': expected dtype %s, got %s", name,
                        tsr_dtype_name(sig.dtype), callerDTypeName(view.dtype));
    size_t rank = sig.shape.size();
    if (view.rank < 0 || static_cast<size_t>(view.rank) != rank)
      return makeStatus(TSR_STATUS_INVALID_ARGUMENT,
                        "input '%s': expected rank %zu, got %d", name, rank,
                        view.rank);
    for (size_t d = 0; d < rank; ++d) {
      int64_t dim = view.shape[d];
      if (dim < 0)
        return makeStatus(TSR_STATUS_INVALID_ARGUMENT,
                          "input '%s': dim %zu is negative (%lld)", name, d,
                          (long long)dim);
      if (sig.shape[d] >= 0 && dim != sig.shape[d])
        return makeStatus(TSR_STATUS_INVALID_ARGUMENT,
                          "input '%s': dim %zu is %lld but the model expects "
                          "%lld (expected shape %s, got %s)",
                          name, d, (long long)dim, (long long)sig.shape[d],
                          formatShape(sig.shape.data(), rank).c_str(),
                          formatShape(view.shape, rank).c_str());
      const std::string &dimName = sig.dimNames[d];
      if (sig.shape[d] >= 0 || dimName.empty())
        continue;
      if (const BoundDim *bound = findBoundDim(boundDims, dimName)) {
        if (bound->value != dim)
          return makeStatus(TSR_STATUS_INVALID_ARGUMENT,
                            "input '%s': dim %zu ('%s') is %lld but input "
                            "'%s' has %lld",
                            name, d, dimName.c_str(), (long long)dim,
                            bound->tensor->c_str(), (long long)bound->value);
      } else {
        boundDims.push_back({&dimName, dim, &sig.name});
      }
    }
    uint64_t bytes;
    if (!denseByteSize(sig.dtype, view.shape, rank, bytes))
      return makeStatus(TSR_STATUS_INVALID_ARGUMENT,
                        "input '%s': shape %s is too large", name,
                        formatShape(view.shape, rank).c_str());
    if (view.byte_size < bytes)
      return makeStatus(TSR_STATUS_INVALID_ARGUMENT,
                        "input '%s': byte_size is %zu but a %s tensor of "
                        "shape %s needs %llu bytes",
                        name, view.byte_size, tsr_dtype_name(sig.dtype),
                        formatShape(view.shape, rank).c_str(),
                        (unsigned long long)bytes);
    if (!view.data && bytes)
      return makeStatus(TSR_STATUS_INVALID_ARGUMENT, "input '%s': data is NULL",
                        name);
    writeDescriptor(&argWords[inputWordOffsets[i]], view.data, view.shape,
                    rank);
  }
  return nullptr;
}

tsr_status_t tsr_session::checkOutputViews(const tsr_tensor_view_t *outputs) {
  for (size_t i = 0; i < entry->outputs.size(); ++i) {
    const TensorSignature &sig = entry->outputs[i];
    const tsr_tensor_view_t &view = outputs[i];
    // A caller buffer must be meant for this output's element type; an
    // unset (INVALID) dtype means "whatever the model produces".
    int32_t dtype = rawDType(view.dtype);
    if (view.data && dtype != TSR_DTYPE_INVALID && dtype != sig.dtype)
      return makeStatus(TSR_STATUS_INVALID_ARGUMENT,
                        "output '%s': the view has dtype %s but the model "
                        "produces %s",
                        sig.name.c_str(), callerDTypeName(view.dtype),
                        tsr_dtype_name(sig.dtype));
  }
  return nullptr;
}

/// Reads the results block and checks each result against the signature.
tsr_status_t tsr_session::collectResults() {
  results.clear();
  tsr_status_t firstError = nullptr;
  for (size_t o = 0; o < entry->outputs.size(); ++o) {
    const TensorSignature &sig = entry->outputs[o];
    const int64_t *words = &resultWords[resultWordOffsets[o]];
    size_t rank = sig.shape.size();
    Result result = {};
    result.allocated =
        reinterpret_cast<void *>(static_cast<intptr_t>(words[0]));
    result.rank = rank;
    char *aligned = reinterpret_cast<char *>(static_cast<intptr_t>(words[1]));
    int64_t offset = words[2];
    const int64_t *sizes = words + 3;
    const int64_t *strides = words + 3 + rank;
    std::memcpy(result.shape, sizes, rank * sizeof(int64_t));
    results.push_back(result);
    if (firstError)
      continue; // Still collect every result, so that all get freed.

    const char *name = sig.name.c_str();
    auto fail = [&](const std::string &what) {
      firstError = makeStatusFromString(
          TSR_STATUS_INTERNAL,
          formatString("output '%s': the generated code returned %s", name,
                       what.c_str()));
    };
    uint64_t bytes = 0;
    if (!denseByteSize(sig.dtype, sizes, rank, bytes)) {
      fail("an invalid shape " + formatShape(sizes, rank));
      continue;
    }
    bool shapeMatches = true;
    for (size_t d = 0; d < rank && shapeMatches; ++d) {
      if (sig.shape[d] >= 0) {
        shapeMatches = sizes[d] == sig.shape[d];
      } else if (!sig.dimNames[d].empty()) {
        const BoundDim *bound = findBoundDim(boundDims, sig.dimNames[d]);
        shapeMatches = !bound || bound->value == sizes[d];
      }
    }
    if (!shapeMatches) {
      fail("shape " + formatShape(sizes, rank) +
           ", which does not match the signature " +
           formatShape(sig.shape.data(), rank));
      continue;
    }
    // The ABI promises identity layouts; a dim of size 1 may carry any
    // stride.
    int64_t expectedStride = 1;
    for (size_t d = rank; d-- > 0;) {
      if (sizes[d] != 1 && strides[d] != expectedStride) {
        fail("a non-contiguous layout (strides " + formatShape(strides, rank) +
             ")");
        break;
      }
      expectedStride *= sizes[d];
    }
    if (firstError)
      continue;
    if (bytes && (!aligned || offset < 0)) {
      fail(formatString("no data (aligned %p, offset %lld)",
                        static_cast<void *>(aligned), (long long)offset));
      continue;
    }
    results.back().data =
        bytes
            ? aligned + offset * static_cast<int64_t>(tsr_dtype_size(sig.dtype))
            : aligned;
    results.back().bytes = bytes;
  }
  return firstError;
}

/// Copies results into caller buffers or lends them; marks what to keep.
tsr_status_t tsr_session::deliverResults(tsr_tensor_view_t *outputs) {
  tsr_status_t firstError = nullptr;
  for (size_t o = 0; o < results.size(); ++o) {
    const TensorSignature &sig = entry->outputs[o];
    const Result &result = results[o];
    tsr_tensor_view_t &view = outputs[o];
    void *callerData = view.data;
    size_t callerBytes = view.byte_size;
    view.dtype = sig.dtype;
    view.rank = static_cast<int32_t>(result.rank);
    std::memset(view.shape, 0, sizeof(view.shape));
    std::memcpy(view.shape, result.shape, result.rank * sizeof(int64_t));
    if (!callerData) {
      view.data = result.data;
      view.byte_size = result.bytes;
      // Lend the whole allocation; a buffer shared by two results is
      // recorded once so that it is freed once.
      bool known = false;
      for (void *buffer : ownedBuffers)
        known |= buffer == result.allocated;
      if (!known)
        ownedBuffers.push_back(result.allocated);
      continue;
    }
    if (callerBytes < result.bytes) {
      if (!firstError)
        firstError = makeStatus(
            TSR_STATUS_INVALID_ARGUMENT,
            "output '%s': byte_size is %zu but the %s result of shape %s "
            "needs %llu bytes",
            sig.name.c_str(), callerBytes, tsr_dtype_name(sig.dtype),
            formatShape(result.shape, result.rank).c_str(),
            (unsigned long long)result.bytes);
      continue;
    }
    if (result.bytes)
      std::memcpy(callerData, result.data, result.bytes);
  }
  return firstError;
}

/// Frees every distinct result allocation, except memory the session lends
/// out (when `keepLent`), memory of the model, of the inputs, or MLIR
/// globals: a result aliasing those is a compiler bug, but freeing it would
/// turn that bug into heap corruption.
void tsr_session::freeResults(const tsr_tensor_view_t *inputs, bool keepLent) {
  freeList.clear();
  for (const Result &result : results) {
    void *allocated = result.allocated;
    bool skip = !allocated || allocated == kMlirGlobalAllocatedMarker ||
                model->ownsMemory(allocated);
    for (size_t i = 0; i < entry->inputs.size() && !skip; ++i)
      skip = inputs[i].data == allocated;
    for (void *buffer : freeList)
      skip |= buffer == allocated;
    if (keepLent)
      for (void *buffer : ownedBuffers)
        skip |= buffer == allocated;
    if (!skip)
      freeList.push_back(allocated);
  }
  for (void *buffer : freeList)
    releaseBlock(buffer);
  // Lent buffers that are not heap memory must not be freed later either.
  size_t kept = 0;
  for (void *buffer : ownedBuffers) {
    bool heap = buffer && buffer != kMlirGlobalAllocatedMarker &&
                !model->ownsMemory(buffer);
    for (size_t i = 0; i < entry->inputs.size() && heap; ++i)
      heap = inputs[i].data != buffer;
    if (heap)
      ownedBuffers[kept++] = buffer;
  }
  ownedBuffers.resize(kept);
}

extern "C" {

void tsr_session_options_init(tsr_session_options_t *options) {
  if (options)
    *options = tsr_session_options_t{};
}

tsr_status_t tsr_session_create(const tsr_model_t *model,
                                const tsr_session_options_t *options,
                                tsr_session_t **out_session) {
  if (!out_session)
    return makeStatus(TSR_STATUS_INVALID_ARGUMENT,
                      "tsr_session_create: out_session must not be NULL");
  *out_session = nullptr;
  if (!model)
    return makeStatus(TSR_STATUS_INVALID_ARGUMENT,
                      "tsr_session_create: model must not be NULL");
  int32_t numThreads = options ? options->num_threads : 0;
  if (numThreads < 0)
    return makeStatus(TSR_STATUS_INVALID_ARGUMENT,
                      "tsr_session_create: num_threads is %d; use 0 for the "
                      "number of cores",
                      numThreads);
  return guardStatus([&]() -> tsr_status_t {
    auto session = std::make_unique<tsr_session>();
    session->model = model;
    session->entry = &model->entries.front();
    const Entry &entry = *session->entry;
    if (numThreads == 0)
      numThreads = static_cast<int32_t>(
          std::max(1u, std::thread::hardware_concurrency()));
    session->numThreads = numThreads;

    // Lay out every descriptor first: `args` points into argWords, which
    // must not reallocate afterwards.
    std::vector<size_t> weightWordOffsets;
    size_t words = 0;
    for (uint32_t index : entry.weightIndices) {
      weightWordOffsets.push_back(words);
      words += TSR_MEMREF_DESCRIPTOR_WORDS(model->weights[index].shape.size());
    }
    for (const TensorSignature &sig : entry.inputs) {
      session->inputWordOffsets.push_back(words);
      words += TSR_MEMREF_DESCRIPTOR_WORDS(sig.shape.size());
    }
    session->argWords.assign(words, 0);
    size_t resultWords = 0;
    for (const TensorSignature &sig : entry.outputs) {
      session->resultWordOffsets.push_back(resultWords);
      resultWords += TSR_MEMREF_DESCRIPTOR_WORDS(sig.shape.size());
    }
    // At least one word, so that args[0] is never a dangling pointer.
    session->resultWords.assign(std::max<size_t>(resultWords, 1), 0);

    session->args.push_back(session->resultWords.data());
    for (size_t w = 0; w < entry.weightIndices.size(); ++w) {
      const Weight &weight = model->weights[entry.weightIndices[w]];
      int64_t *descriptor = &session->argWords[weightWordOffsets[w]];
      writeDescriptor(descriptor, weight.data, weight.shape.data(),
                      weight.shape.size());
      session->args.push_back(descriptor);
    }
    for (size_t offset : session->inputWordOffsets)
      session->args.push_back(&session->argWords[offset]);
    try {
      session->kernels =
          std::make_unique<KernelRuntime>(static_cast<unsigned>(numThreads));
    } catch (const std::system_error &error) {
      return makeStatus(TSR_STATUS_INTERNAL,
                        "tsr_session_create: cannot start %d threads (%s); "
                        "ask for fewer with num_threads",
                        numThreads, error.what());
    }
    session->args.push_back(session->kernels->context());

    session->results.reserve(entry.outputs.size());
    session->freeList.reserve(entry.outputs.size());
    session->ownedBuffers.reserve(entry.outputs.size());
    *out_session = session.release();
    return nullptr;
  });
}

void tsr_session_release(tsr_session_t *session) { delete session; }

tsr_status_t tsr_session_run(tsr_session_t *session,
                             const tsr_tensor_view_t *inputs, size_t num_inputs,
                             tsr_tensor_view_t *outputs, size_t num_outputs) {
  if (!session)
    return makeStatus(TSR_STATUS_INVALID_ARGUMENT,
                      "tsr_session_run: session must not be NULL");
  // One run at a time per session: its buffers, results and thread pool
  // are the session's. A run from another thread meanwhile is refused
  // rather than left to race.
  if (session->running.exchange(true, std::memory_order_acquire))
    return makeStatus(TSR_STATUS_INVALID_ARGUMENT,
                      "tsr_session_run: the session is running on another "
                      "thread (use one session per thread)");
  struct Done {
    std::atomic<bool> &running;
    ~Done() { running.store(false, std::memory_order_release); }
  } done{session->running};
  return guardStatus([&]() -> tsr_status_t {
    // Workers that went to sleep since the last run start waking now, while
    // the inputs are checked, instead of at the first parallel kernel.
    session->kernels->pool().wake();
    // Whatever the last run lent out is invalid from now on.
    session->releaseOwnedBuffers();
    const Entry &entry = *session->entry;
    if (num_inputs != entry.inputs.size() || (num_inputs && !inputs)) {
      std::string expected;
      for (const TensorSignature &sig : entry.inputs)
        expected += (expected.empty() ? "'" : ", '") + sig.name + "'";
      return makeStatus(TSR_STATUS_INVALID_ARGUMENT,
                        "tsr_session_run: expected %zu inputs (%s), got %zu%s",
                        entry.inputs.size(), expected.c_str(), num_inputs,
                        num_inputs && !inputs ? " with inputs NULL" : "");
    }
    if (num_outputs != entry.outputs.size() || (num_outputs && !outputs))
      return makeStatus(TSR_STATUS_INVALID_ARGUMENT,
                        "tsr_session_run: expected %zu outputs, got %zu%s",
                        entry.outputs.size(), num_outputs,
                        num_outputs && !outputs ? " with outputs NULL" : "");
    if (tsr_status_t status = session->bindInputs(inputs))
      return status;
    if (tsr_status_t status = session->checkOutputViews(outputs))
      return status;

    std::fill(session->resultWords.begin(), session->resultWords.end(), 0);
    (void)session->kernels->takeRunError(); // none from an earlier run
    entry.fn(session->args.data());

    tsr_status_t status = session->collectResults();
    // An out-of-range index the generated code reported: the results are
    // wrong, so the run fails with the report.
    if (std::string error = session->kernels->takeRunError(); !error.empty()) {
      if (status)
        tsr_status_free(status);
      status = makeStatus(TSR_STATUS_INVALID_ARGUMENT, "%s", error.c_str());
    }
    if (!status)
      status = session->deliverResults(outputs);
    // A failed run lends nothing: forget what deliverResults recorded (those
    // buffers are results too, so freeResults frees them once).
    if (status)
      session->ownedBuffers.clear();
    session->freeResults(inputs, /*keepLent=*/!status);
    return status;
  });
}

} // extern "C"
