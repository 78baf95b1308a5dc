//===- FuzzSafetensors.cpp - libFuzzer target of the safetensors reader ---===//
//
// Part of Tessera's fuzz targets (tools/fuzz, built by scripts/fuzz.sh).
//
//===----------------------------------------------------------------------===//
//
// Feeds bytes to SafetensorsFile::parse (header length, JSON header, dtypes,
// shapes, data offsets), then, for a file that parses, looks up every tensor,
// reads every byte it claims (so that AddressSanitizer sees any tensor that
// reaches past the data) and wraps it as the importers do (resourceAttr, and
// resourceAttrAsF32 for the float dtypes). An error must name the file.
//
//===----------------------------------------------------------------------===//
#include "FuzzSupport.h"

#include "frontends/safetensors/Safetensors.h"

#include "llvm/Support/MemoryBuffer.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>

namespace {
constexpr const char *kDisplayPath = "fuzz.safetensors";

/// A heap copy of the input of exactly its size: llvm's own copies end in a
/// NUL byte, which would hide a read one byte past the end from
/// AddressSanitizer. A copy, because the resource blobs made below keep the
/// buffer alive after the fuzzer frees its input.
class ExactCopy : public llvm::MemoryBuffer {
public:
  ExactCopy(const uint8_t *data, size_t size)
      : storage(new char[size ? size : 1]) {
    if (size)
      std::memcpy(storage.get(), data, size);
    init(storage.get(), storage.get() + size,
         /*RequiresNullTerminator=*/false);
  }
  llvm::StringRef getBufferIdentifier() const override { return kDisplayPath; }
  BufferKind getBufferKind() const override { return MemoryBuffer_Malloc; }

private:
  std::unique_ptr<char[]> storage;
};
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  auto file = tessera::SafetensorsFile::parse(
      std::make_unique<ExactCopy>(data, size));
  if (!file) {
    tessera::fuzz::checkError(file.takeError(), kDisplayPath);
    return 0;
  }
  mlir::MLIRContext &ctx = tessera::fuzz::recycledContext();
  volatile unsigned sum = 0;
  for (const std::string &name : file->names()) {
    const tessera::SafetensorsTensor *tensor = file->lookup(name);
    if (!tensor)
      std::abort(); // names() and lookup() disagree.
    for (char byte : tensor->bytes)
      sum = sum + static_cast<unsigned char>(byte);
    mlir::DenseResourceElementsAttr attr =
        file->resourceAttr(&ctx, *tensor, "fuzz");
    if (!attr)
      std::abort();
    auto asF32 = file->resourceAttrAsF32(&ctx, *tensor, "fuzz_f32");
    if (!asF32)
      tessera::fuzz::checkError(asF32.takeError(), kDisplayPath);
  }
  (void)file->metadata();
  return 0;
}
