//===- Safetensors.cpp - Validated reader of .safetensors files -----------===//
//
// Parses and validates the header of a .safetensors file (see Safetensors.h)
// and wraps tensors in resource-blob attributes without copying them.
//
//===----------------------------------------------------------------------===//

#include "frontends/safetensors/Safetensors.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MathExtras.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#if defined(__linux__)
#include <sys/mman.h>
#include <unistd.h>
#endif

using namespace mlir;

namespace tessera {

namespace {

struct DTypeInfo {
  SafetensorsDType dtype;
  const char *name;
  size_t size;
};

constexpr DTypeInfo kDTypes[] = {
    {SafetensorsDType::BOOL, "BOOL", 1}, {SafetensorsDType::U8, "U8", 1},
    {SafetensorsDType::I8, "I8", 1},     {SafetensorsDType::U16, "U16", 2},
    {SafetensorsDType::I16, "I16", 2},   {SafetensorsDType::U32, "U32", 4},
    {SafetensorsDType::I32, "I32", 4},   {SafetensorsDType::U64, "U64", 8},
    {SafetensorsDType::I64, "I64", 8},   {SafetensorsDType::F16, "F16", 2},
    {SafetensorsDType::BF16, "BF16", 2}, {SafetensorsDType::F32, "F32", 4},
    {SafetensorsDType::F64, "F64", 8},
};

const DTypeInfo &info(SafetensorsDType dtype) {
  for (const DTypeInfo &i : kDTypes)
    if (i.dtype == dtype)
      return i;
  llvm_unreachable("every dtype has an entry");
}

/// The format's own bound: headers larger than this are rejected by the
/// reference implementation too.
constexpr uint64_t kMaxHeaderBytes = 100 * 1024 * 1024;

/// Largest tensor rank accepted (no real model comes near it).
constexpr size_t kMaxRank = 64;

float halfToFloat(uint16_t h) {
  uint32_t sign = (h >> 15) & 1, exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
  float value;
  if (exp == 0)
    value = std::ldexp(static_cast<float>(mant), -24);
  else if (exp == 31)
    value = mant ? std::numeric_limits<float>::quiet_NaN()
                 : std::numeric_limits<float>::infinity();
  else
    value = std::ldexp(static_cast<float>(mant | 0x400), int(exp) - 25);
  return sign ? -value : value;
}

float bf16ToFloat(uint16_t h) {
  uint32_t bits = static_cast<uint32_t>(h) << 16;
  float f;
  std::memcpy(&f, &bits, sizeof(f));
  return f;
}

/// Gives the resident pages of a mapped file range back to the kernel once
/// its blob is gone (e.g. a weight replaced by its packed copy): they are
/// clean, read-only file pages, so this only lowers the compiler's peak
/// memory; a later read would fault them in again. Heap buffers (small
/// files are read, not mapped) are left alone.
void releaseMappedPages(const llvm::MemoryBuffer &buffer, const char *data,
                        size_t size) {
#if defined(__linux__)
  if (buffer.getBufferKind() != llvm::MemoryBuffer::MemoryBuffer_MMap)
    return;
  uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  uintptr_t begin = reinterpret_cast<uintptr_t>(data);
  uintptr_t end = begin + size;
  begin = (begin + page - 1) / page * page; // whole pages inside the range
  end = end / page * page;
  if (end > begin)
    madvise(reinterpret_cast<void *>(begin), end - begin, MADV_DONTNEED);
#else
  (void)buffer;
  (void)data;
  (void)size;
#endif
}

} // namespace

std::optional<SafetensorsDType> parseSafetensorsDType(llvm::StringRef name) {
  for (const DTypeInfo &i : kDTypes)
    if (name == i.name)
      return i.dtype;
  return std::nullopt;
}

llvm::StringRef safetensorsDTypeName(SafetensorsDType dtype) {
  return info(dtype).name;
}

size_t safetensorsDTypeSize(SafetensorsDType dtype) {
  return info(dtype).size;
}

Type safetensorsElementType(MLIRContext *ctx, SafetensorsDType dtype) {
  switch (dtype) {
  case SafetensorsDType::BOOL:
    return IntegerType::get(ctx, 1);
  case SafetensorsDType::U8:
  case SafetensorsDType::I8:
    return IntegerType::get(ctx, 8);
  case SafetensorsDType::U16:
  case SafetensorsDType::I16:
    return IntegerType::get(ctx, 16);
  case SafetensorsDType::U32:
  case SafetensorsDType::I32:
    return IntegerType::get(ctx, 32);
  case SafetensorsDType::U64:
  case SafetensorsDType::I64:
    return IntegerType::get(ctx, 64);
  case SafetensorsDType::F16:
    return Float16Type::get(ctx);
  case SafetensorsDType::BF16:
    return BFloat16Type::get(ctx);
  case SafetensorsDType::F32:
    return Float32Type::get(ctx);
  case SafetensorsDType::F64:
    return Float64Type::get(ctx);
  }
  llvm_unreachable("unknown dtype");
}

llvm::Expected<SafetensorsFile> SafetensorsFile::open(llvm::StringRef path) {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer)
    return llvm::createStringError(path + ": cannot read: " +
                                   buffer.getError().message());
  return parse(std::move(*buffer));
}

llvm::Expected<SafetensorsFile>
SafetensorsFile::parse(std::unique_ptr<llvm::MemoryBuffer> input) {
  SafetensorsFile file;
  file.buffer = std::move(input);
  std::string path = file.buffer->getBufferIdentifier().str();
  auto error = [&](const llvm::Twine &msg) {
    return llvm::createStringError(path + ": " + msg);
  };
  auto tensorError = [&](llvm::StringRef name, const llvm::Twine &msg) {
    return error("tensor '" + name + "': " + msg);
  };

  llvm::StringRef contents = file.buffer->getBuffer();
  if (contents.size() < 8)
    return error("not a safetensors file: " + llvm::Twine(contents.size()) +
                 " bytes, shorter than the 8-byte header length");
  uint64_t headerSize =
      llvm::support::endian::read64le(contents.data());
  if (headerSize > kMaxHeaderBytes)
    return error("header length " + llvm::Twine(headerSize) +
                 " exceeds the 100 MiB limit");
  if (headerSize > contents.size() - 8)
    return error("header length " + llvm::Twine(headerSize) +
                 " runs past the end of the file (" +
                 llvm::Twine(contents.size()) + " bytes)");
  llvm::StringRef headerText = contents.substr(8, headerSize);
  llvm::ArrayRef<char> data(contents.data() + 8 + headerSize,
                            contents.size() - 8 - headerSize);

  llvm::Expected<llvm::json::Value> header = llvm::json::parse(headerText);
  if (!header)
    return error("header is not valid JSON: " +
                 llvm::toString(header.takeError()));
  const llvm::json::Object *entries = header->getAsObject();
  if (!entries)
    return error("header is not a JSON object");

  for (const auto &[key, value] : *entries) {
    llvm::StringRef name = key;
    if (name == "__metadata__") {
      const llvm::json::Object *meta = value.getAsObject();
      if (!meta)
        return error("'__metadata__' is not an object");
      for (const auto &[mkey, mvalue] : *meta) {
        std::optional<llvm::StringRef> s = mvalue.getAsString();
        if (!s)
          return error("'__metadata__' entry '" + llvm::StringRef(mkey) +
                       "' is not a string");
        file.meta[mkey] = s->str();
      }
      continue;
    }
    const llvm::json::Object *entry = value.getAsObject();
    if (!entry)
      return tensorError(name, "entry is not an object");

    SafetensorsTensor tensor;
    tensor.name = name.str();
    std::optional<llvm::StringRef> dtypeName = entry->getString("dtype");
    if (!dtypeName)
      return tensorError(name, "missing string 'dtype'");
    std::optional<SafetensorsDType> dtype = parseSafetensorsDType(*dtypeName);
    if (!dtype)
      return tensorError(name, "unknown dtype '" + *dtypeName + "'");
    tensor.dtype = *dtype;

    const llvm::json::Array *shape = entry->getArray("shape");
    if (!shape)
      return tensorError(name, "missing array 'shape'");
    if (shape->size() > kMaxRank)
      return tensorError(name, "rank " + llvm::Twine(shape->size()) +
                                   " exceeds " + llvm::Twine(kMaxRank));
    uint64_t numElements = 1;
    bool overflow = false;
    for (const llvm::json::Value &d : *shape) {
      std::optional<int64_t> dim = d.getAsInteger();
      if (!dim || *dim < 0)
        return tensorError(name, "shape holds something other than a "
                                 "non-negative integer");
      tensor.shape.push_back(*dim);
      numElements = llvm::SaturatingMultiply(
          numElements, static_cast<uint64_t>(*dim), &overflow);
    }
    uint64_t byteSize = llvm::SaturatingMultiply(
        numElements, static_cast<uint64_t>(safetensorsDTypeSize(*dtype)),
        &overflow);
    if (overflow || byteSize > static_cast<uint64_t>(INT64_MAX))
      return tensorError(name, "element count of the shape overflows");

    const llvm::json::Array *offsets = entry->getArray("data_offsets");
    if (!offsets || offsets->size() != 2)
      return tensorError(name, "missing 'data_offsets' [begin, end]");
    std::optional<uint64_t> begin = (*offsets)[0].getAsUINT64();
    std::optional<uint64_t> end = (*offsets)[1].getAsUINT64();
    if (!begin || !end)
      return tensorError(name, "'data_offsets' are not non-negative integers");
    if (*begin > *end || *end > data.size())
      return tensorError(name, "data_offsets [" + llvm::Twine(*begin) + ", " +
                                   llvm::Twine(*end) +
                                   "] are outside the data area of " +
                                   llvm::Twine(data.size()) + " bytes");
    if (*end - *begin != byteSize)
      return tensorError(name, "data_offsets span " +
                                   llvm::Twine(*end - *begin) +
                                   " bytes, but the " + *dtypeName +
                                   " shape needs " + llvm::Twine(byteSize));
    tensor.bytes = data.slice(*begin, *end - *begin);
    file.tensors.push_back(std::move(tensor));
  }

  // Tensors may not share bytes (the format requires a dense, disjoint
  // layout; overlapping views would alias weights).
  llvm::sort(file.tensors,
             [](const SafetensorsTensor &a, const SafetensorsTensor &b) {
               return a.bytes.data() < b.bytes.data() ||
                      (a.bytes.data() == b.bytes.data() && a.name < b.name);
             });
  for (size_t i = 1; i < file.tensors.size(); ++i) {
    const SafetensorsTensor &prev = file.tensors[i - 1];
    const SafetensorsTensor &cur = file.tensors[i];
    if (prev.bytes.data() + prev.bytes.size() > cur.bytes.data())
      return tensorError(cur.name, "data overlaps tensor '" + prev.name + "'");
  }
  for (size_t i = 0; i < file.tensors.size(); ++i)
    file.index[file.tensors[i].name] = i;
  return file;
}

const SafetensorsTensor *SafetensorsFile::lookup(llvm::StringRef name) const {
  auto it = index.find(name);
  return it == index.end() ? nullptr : &tensors[it->second];
}

std::vector<std::string> SafetensorsFile::names() const {
  std::vector<std::string> result;
  result.reserve(tensors.size());
  for (const SafetensorsTensor &t : tensors)
    result.push_back(t.name);
  return result;
}

llvm::StringRef SafetensorsFile::path() const {
  return buffer->getBufferIdentifier();
}

DenseResourceElementsAttr
SafetensorsFile::resourceAttr(MLIRContext *ctx,
                              const SafetensorsTensor &tensor,
                              llvm::StringRef blobName) const {
  auto type = RankedTensorType::get(tensor.shape,
                                    safetensorsElementType(ctx, tensor.dtype));
  size_t elementSize = safetensorsDTypeSize(tensor.dtype);
  uintptr_t address = reinterpret_cast<uintptr_t>(tensor.bytes.data());
  // The largest power of two (up to 64) the address is a multiple of.
  size_t alignment = 64;
  while (alignment > 1 && address % alignment != 0)
    alignment /= 2;
  if (alignment >= elementSize) {
    std::shared_ptr<llvm::MemoryBuffer> keepAlive = buffer;
    AsmResourceBlob blob(
        tensor.bytes, alignment,
        [keepAlive](void *data, size_t size, size_t) mutable {
          releaseMappedPages(*keepAlive, static_cast<const char *>(data),
                             size);
          keepAlive.reset();
        },
        /*dataIsMutable=*/false);
    return DenseResourceElementsAttr::get(type, blobName, std::move(blob));
  }
  return DenseResourceElementsAttr::get(
      type, blobName,
      HeapAsmResourceBlob::allocateAndCopyWithAlign(
          tensor.bytes, std::max<size_t>(elementSize, 16)));
}

llvm::Expected<DenseResourceElementsAttr>
SafetensorsFile::resourceAttrAsF32(MLIRContext *ctx,
                                   const SafetensorsTensor &tensor,
                                   llvm::StringRef blobName) const {
  if (tensor.dtype == SafetensorsDType::F32)
    return resourceAttr(ctx, tensor, blobName);
  if (tensor.dtype != SafetensorsDType::F16 &&
      tensor.dtype != SafetensorsDType::BF16 &&
      tensor.dtype != SafetensorsDType::F64)
    return llvm::createStringError(
        path() + ": tensor '" + tensor.name + "': dtype " +
        safetensorsDTypeName(tensor.dtype) + " is not a floating-point type");
  size_t n = static_cast<size_t>(tensor.numElements());
  AsmResourceBlob blob =
      HeapAsmResourceBlob::allocate(n * sizeof(float), alignof(float) * 16);
  float *out = reinterpret_cast<float *>(blob.getMutableData().data());
  const char *in = tensor.bytes.data();
  for (size_t i = 0; i < n; ++i) {
    if (tensor.dtype == SafetensorsDType::F64) {
      double d;
      std::memcpy(&d, in + 8 * i, 8);
      out[i] = static_cast<float>(d);
      continue;
    }
    uint16_t h = llvm::support::endian::read16le(in + 2 * i);
    out[i] = tensor.dtype == SafetensorsDType::F16 ? halfToFloat(h)
                                                   : bf16ToFloat(h);
  }
  auto type = RankedTensorType::get(tensor.shape, Float32Type::get(ctx));
  return DenseResourceElementsAttr::get(type, blobName, std::move(blob));
}

} // namespace tessera
