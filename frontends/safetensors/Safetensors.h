//===- Safetensors.h - Validated reader of .safetensors files ---*- C++ -*-===//
//
// A .safetensors file is an 8-byte little-endian header length N, N bytes of
// JSON mapping tensor names to {dtype, shape, data_offsets: [begin, end]}
// (plus an optional "__metadata__" object of strings), then the data area the
// offsets index. The file is untrusted input: `parse` checks every field
// (known dtype, non-negative shape whose element count does not overflow,
// offsets inside the data area, byte size == elements * dtype size, no
// overlapping tensors) before any tensor can be looked up, so a lookup never
// reads out of bounds. Errors name the file and the tensor.
//
// The file is mmapped (llvm::MemoryBuffer); `resourceAttr` wraps a tensor's
// bytes in a DenseResourceElementsAttr without copying them: the blob's
// deleter holds a reference to the buffer, so the attribute may outlive the
// SafetensorsFile.
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_FRONTENDS_SAFETENSORS_SAFETENSORS_H
#define TESSERA_FRONTENDS_SAFETENSORS_SAFETENSORS_H

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/MemoryBuffer.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace tessera {

/// The element types of the safetensors format.
enum class SafetensorsDType {
  BOOL,
  U8,
  I8,
  U16,
  I16,
  U32,
  I32,
  U64,
  I64,
  F16,
  BF16,
  F32,
  F64,
};

/// The dtype spelled `name` in a header ("F32", "BF16", ...), if known.
std::optional<SafetensorsDType> parseSafetensorsDType(llvm::StringRef name);
/// The header spelling of `dtype`.
llvm::StringRef safetensorsDTypeName(SafetensorsDType dtype);
/// Bytes per element of `dtype`.
size_t safetensorsDTypeSize(SafetensorsDType dtype);
/// The MLIR element type of `dtype` (unsigned ints map to signless; BOOL to
/// i1, stored one byte per element as the format stores it).
mlir::Type safetensorsElementType(mlir::MLIRContext *ctx,
                                  SafetensorsDType dtype);

/// One tensor of a file: its bytes point into the mapped file.
struct SafetensorsTensor {
  std::string name;
  SafetensorsDType dtype;
  llvm::SmallVector<int64_t> shape;
  llvm::ArrayRef<char> bytes;

  int64_t numElements() const {
    int64_t n = 1;
    for (int64_t d : shape)
      n *= d;
    return n;
  }
};

class SafetensorsFile {
public:
  /// Maps and validates the file at `path`.
  static llvm::Expected<SafetensorsFile> open(llvm::StringRef path);
  /// Validates a file already in memory (e.g. a fuzzer's input); the buffer's
  /// identifier names it in errors.
  static llvm::Expected<SafetensorsFile>
  parse(std::unique_ptr<llvm::MemoryBuffer> buffer);

  /// The tensor named `name`, or null.
  const SafetensorsTensor *lookup(llvm::StringRef name) const;
  /// All tensor names, in the order of their data offsets.
  std::vector<std::string> names() const;
  /// The "__metadata__" entries (string to string).
  const llvm::StringMap<std::string> &metadata() const { return meta; }
  /// The file name errors use.
  llvm::StringRef path() const;

  /// A DenseResourceElementsAttr of `tensor` (which must come from this
  /// file) with the tensor type of its dtype and shape, named `blobName`.
  /// Shares the mapped bytes when they are aligned for the element type,
  /// otherwise copies them into an aligned heap blob. BOOL tensors become
  /// i1 tensors over their byte-per-element storage.
  mlir::DenseResourceElementsAttr resourceAttr(mlir::MLIRContext *ctx,
                                               const SafetensorsTensor &tensor,
                                               llvm::StringRef blobName) const;
  /// Like resourceAttr, but F16, BF16 and F64 tensors are converted to an
  /// f32 copy (F32 tensors are shared as above). Other dtypes: an error.
  llvm::Expected<mlir::DenseResourceElementsAttr>
  resourceAttrAsF32(mlir::MLIRContext *ctx, const SafetensorsTensor &tensor,
                    llvm::StringRef blobName) const;

private:
  std::shared_ptr<llvm::MemoryBuffer> buffer;
  std::vector<SafetensorsTensor> tensors; // sorted by data offset
  llvm::StringMap<size_t> index;
  llvm::StringMap<std::string> meta;
};

} // namespace tessera

#endif // TESSERA_FRONTENDS_SAFETENSORS_SAFETENSORS_H
