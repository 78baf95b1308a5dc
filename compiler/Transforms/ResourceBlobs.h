//===- ResourceBlobs.h - Freeing weight blobs no op references --*- C++ -*-===//
//
// Resource blobs (the weights of DenseResourceElementsAttr constants) live
// in the dialect's resource manager until the context dies, even after every
// op that referenced them is erased. Passes that replace weights (packing,
// Q/K/V concatenation) count each blob's referencing ops once and free a
// blob's data when the last of them is erased, so both layouts of a weight
// are not held until exit. Assumes no other module in the same context
// references the blobs (true in tessera-compile).
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_COMPILER_TRANSFORMS_RESOURCEBLOBS_H
#define TESSERA_COMPILER_TRANSFORMS_RESOURCEBLOBS_H

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Operation.h"
#include "llvm/ADT/DenseMap.h"

namespace tessera {

class ResourceBlobUses {
public:
  using BlobEntry = mlir::DialectResourceBlobManager::BlobEntry;

  /// Counts the ops under `root` that reference each blob, in any attribute
  /// (a constant's value, a function's argument attributes...).
  void count(mlir::Operation *root) {
    uses.clear();
    root->walk([&](mlir::Operation *op) {
      op->getAttrDictionary().walk([&](mlir::DenseResourceElementsAttr attr) {
        ++uses[attr.getRawHandle().getResource()];
      });
    });
  }

  /// Erases the dead `op`; frees the data of each blob it referenced that no
  /// other counted op references anymore.
  void eraseOp(mlir::Operation *op) {
    llvm::SmallVector<BlobEntry *> held;
    op->getAttrDictionary().walk([&](mlir::DenseResourceElementsAttr attr) {
      held.push_back(attr.getRawHandle().getResource());
    });
    op->erase();
    for (BlobEntry *entry : held) {
      auto it = uses.find(entry);
      if (it != uses.end() && --it->second == 0)
        entry->setBlob(mlir::AsmResourceBlob());
    }
  }

  /// Erases the op defining `value` if nothing uses it anymore, and then
  /// the op defining its first operand if that is now unused too (a weight
  /// under a transpose): what a pass that replaced a linear's weight leaves.
  void eraseIfUnused(mlir::Value value) {
    mlir::Operation *def = value.getDefiningOp();
    if (!def || !value.use_empty())
      return;
    mlir::Value input =
        def->getNumOperands() == 1 ? def->getOperand(0) : mlir::Value();
    eraseOp(def);
    if (input && input.use_empty() && input.getDefiningOp())
      eraseOp(input.getDefiningOp());
  }

private:
  llvm::DenseMap<BlobEntry *, unsigned> uses;
};

} // namespace tessera

#endif // TESSERA_COMPILER_TRANSFORMS_RESOURCEBLOBS_H
