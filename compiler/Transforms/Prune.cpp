//===- Prune.cpp - Magnitude pruning of constant linear weights -----------===//
//
// Implements tsr-prune (see Passes.td for the rules). The ranking is
// deterministic (ties go to the lower flat index) so that an independent
// implementation of the same rules (tools/prune_onnx.py, which prunes ONNX
// initializers for onnxruntime) zeroes the same weights.
//
//===----------------------------------------------------------------------===//

#include "compiler/Transforms/LinearWeights.h"
#include "compiler/Transforms/Passes.h"
#include "compiler/Transforms/ResourceBlobs.h"
#include "dialects/tsr/IR/TsrAttrNames.h"
#include "dialects/tsr/IR/TsrDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/Support/GlobPattern.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <numeric>

using namespace mlir;

namespace tessera {

#define GEN_PASS_DEF_TSRPRUNEPASS
#include "compiler/Transforms/Passes.h.inc"

namespace {

/// The weight W[n, k] of an [N, K] view of a constant's floats.
struct WeightView {
  float *data;
  int64_t n, k;
  bool transposed; // stored [K, N]
  float &at(int64_t i, int64_t j) {
    return transposed ? data[j * n + i] : data[i * k + j];
  }
};

/// Zeroes the `count` entries of smallest `score` (ties: lower index first)
/// through `zero(index)`.
template <typename Zero>
void zeroSmallest(ArrayRef<double> score, int64_t count, Zero zero) {
  std::vector<int64_t> order(score.size());
  std::iota(order.begin(), order.end(), 0);
  auto less = [&](int64_t a, int64_t b) {
    return score[a] < score[b] || (score[a] == score[b] && a < b);
  };
  if (count < static_cast<int64_t>(order.size()))
    std::nth_element(order.begin(), order.begin() + count, order.end(), less);
  for (int64_t i = 0; i < count; ++i)
    zero(order[i]);
}

/// Prunes `w` in place; returns the number of weights kept (nonzero).
int64_t prune(WeightView w, llvm::StringRef pattern, double ratio) {
  const int64_t n = w.n, k = w.k;
  if (pattern == "2:4") {
    for (int64_t i = 0; i < n; ++i)
      for (int64_t g = 0; g < k; g += 4) {
        int64_t size = std::min<int64_t>(4, k - g);
        int64_t order[4] = {g, g + 1, g + 2, g + 3};
        // Largest magnitude first; ties: the lower k.
        std::stable_sort(order, order + size, [&](int64_t a, int64_t b) {
          return std::fabs(w.at(i, a)) > std::fabs(w.at(i, b));
        });
        for (int64_t j = 2; j < size; ++j)
          w.at(i, order[j]) = 0.0f;
      }
  } else if (pattern == "block16") {
    const int64_t b = 16, nb = (n + b - 1) / b, kb = (k + b - 1) / b;
    std::vector<double> score(nb * kb, 0.0);
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < k; ++j)
        score[(i / b) * kb + j / b] += double(w.at(i, j)) * w.at(i, j);
    zeroSmallest(score, static_cast<int64_t>(ratio * nb * kb),
                 [&](int64_t block) {
                   int64_t i0 = block / kb * b, j0 = block % kb * b;
                   for (int64_t i = i0; i < std::min(n, i0 + b); ++i)
                     for (int64_t j = j0; j < std::min(k, j0 + b); ++j)
                       w.at(i, j) = 0.0f;
                 });
  } else {
    std::vector<double> score(n * k);
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < k; ++j)
        score[i * k + j] = std::fabs(w.at(i, j));
    zeroSmallest(score, static_cast<int64_t>(ratio * n * k),
                 [&](int64_t e) { w.at(e / k, e % k) = 0.0f; });
  }
  int64_t kept = 0;
  for (int64_t i = 0; i < n * k; ++i)
    kept += w.data[i] != 0.0f;
  return kept;
}

/// `x` as "%g" prints it (0.5, not 0.50).
std::string shortest(double x) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%g", x);
  return buffer;
}

bool isConstant(Value v) {
  return isa_and_nonnull<tsr::ConstantOp>(v.getDefiningOp());
}

/// The linears that compute an entry's result with nothing but one-input
/// ops after them (reshapes, activations, a softmax): the model's head (a
/// classifier, a pooler, an LM head), kept dense by default. The walk stops
/// at ops that mix several computed values (residual adds) and at norms.
DenseSet<Operation *> findHeads(ModuleOp module) {
  DenseSet<Operation *> heads;
  module.walk([&](func::ReturnOp ret) {
    SmallVector<Value> work(ret.getOperands());
    DenseSet<Value> seen;
    while (!work.empty()) {
      Value v = work.pop_back_val();
      Operation *def = v.getDefiningOp();
      if (!def || !seen.insert(v).second)
        continue;
      if (isa<tsr::LinearOp>(def)) {
        heads.insert(def);
        continue;
      }
      if (isa<tsr::LayerNormOp, tsr::RmsNormOp>(def))
        continue;
      SmallVector<Value> computed;
      for (Value operand : def->getOperands())
        if (!isConstant(operand))
          computed.push_back(operand);
      if (computed.size() == 1)
        work.push_back(computed.front());
    }
  });
  return heads;
}

struct TsrPrunePass : impl::TsrPrunePassBase<TsrPrunePass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (pattern != "2:4" && pattern != "block16" &&
        pattern != "unstructured") {
      module.emitError("unknown pruning pattern '")
          << pattern << "' (2:4, block16 or unstructured)";
      return signalPassFailure();
    }
    if (pattern != "2:4" && !(ratio >= 0.0 && ratio < 1.0)) {
      module.emitError("pruning ratio ")
          << shortest(ratio) << " is outside [0, 1)";
      return signalPassFailure();
    }
    SmallVector<llvm::GlobPattern> globs;
    for (const std::string &glob : skip) {
      auto compiled = llvm::GlobPattern::create(glob);
      if (!compiled) {
        module.emitError("invalid --prune-skip glob '")
            << glob << "': " << llvm::toString(compiled.takeError());
        return signalPassFailure();
      }
      globs.push_back(std::move(*compiled));
    }
    DenseSet<Operation *> heads;
    if (keepHeads)
      heads = findHeads(module);

    ResourceBlobUses blobUses;
    blobUses.count(module);
    // Each weight constant once, even when tied weights feed several
    // linears (all of which must agree to prune it).
    SetVector<Operation *> constants;
    module.walk([&](tsr::LinearOp op) {
      if (std::optional<WeightSource> w = getWeightSource(op.getWeight()))
        constants.insert(w->constant);
    });
    int64_t pruned = 0, kept = 0, total = 0;
    for (Operation *constant : constants) {
      std::optional<std::string> why = reasonToKeep(constant, globs, heads);
      std::string name = weightName(constant);
      if (why) {
        constant->emitRemark("not pruned: '") << name << "': " << *why;
        continue;
      }
      auto value = cast<ElementsAttr>(
          cast<tsr::ConstantOp>(constant).getValue());
      std::vector<char> storage;
      ArrayRef<char> bytes = constantBytes(value, storage);
      ArrayRef<int64_t> shape = value.getShapedType().getShape();
      if (bytes.empty() && shape[0] * shape[1] != 0) {
        constant->emitRemark("not pruned: '")
            << name << "': its bytes are not available";
        continue;
      }
      auto blob =
          HeapAsmResourceBlob::allocate(bytes.size(), alignof(float));
      std::memcpy(blob.getMutableData().data(), bytes.data(), bytes.size());
      // Every use is a linear's weight, directly or under the same [1, 0]
      // transpose (reasonToKeep checked), so the [N, K] view is the same
      // for all of them.
      bool transposed = !constant->getResult(0).getUsers().empty() &&
                        isa<tsr::TransposeOp>(
                            *constant->getResult(0).getUsers().begin());
      WeightView view{reinterpret_cast<float *>(blob.getMutableData().data()),
                      transposed ? shape[1] : shape[0],
                      transposed ? shape[0] : shape[1], transposed};
      kept += prune(view, pattern, ratio);
      total += shape[0] * shape[1];
      ++pruned;
      OpBuilder b(constant);
      Operation *replacement = createBlobConstant(
          b, constant->getLoc(), cast<RankedTensorType>(value.getType()),
          name + ".pruned", name, std::move(blob));
      constant->getResult(0).replaceAllUsesWith(replacement->getResult(0));
      blobUses.eraseOp(constant);
    }
    emitRemark(module.getLoc(), "pruned: ")
        << pruned << " weights to " << pattern
        << (pattern == "2:4" ? std::string() : ":" + shortest(ratio))
        << ", kept " << kept
        << " of " << total << " values";
  }

  static std::string weightName(Operation *constant) {
    if (auto attr = constant->getAttrOfType<StringAttr>(tsr::kConstantNameAttr))
      return attr.str();
    return "weight";
  }

  /// Why the weight `constant` stays as it is, or nullopt to prune it.
  std::optional<std::string>
  reasonToKeep(Operation *constant, ArrayRef<llvm::GlobPattern> globs,
               const DenseSet<Operation *> &heads) {
    auto type = cast<RankedTensorType>(constant->getResult(0).getType());
    if (!type.getElementType().isF32())
      return std::string("not float32");
    // The linears reading it, and how (transposed or not): all alike.
    SmallVector<tsr::LinearOp> linears;
    std::optional<bool> transposed;
    for (OpOperand &use : constant->getResult(0).getUses()) {
      Operation *user = use.getOwner();
      bool viaTranspose = isa<tsr::TransposeOp>(user);
      if (transposed && *transposed != viaTranspose)
        return std::string("read both as stored and transposed");
      transposed = viaTranspose;
      SmallVector<Operation *> readers;
      if (viaTranspose)
        readers.append(user->getUsers().begin(), user->getUsers().end());
      else
        readers.push_back(user);
      for (Operation *reader : readers) {
        auto linear = dyn_cast<tsr::LinearOp>(reader);
        if (!linear || !getWeightSource(linear.getWeight()) ||
            linear.getWeight().getDefiningOp() != (viaTranspose ? user : constant))
          return std::string(isa<tsr::GatherOp>(reader)
                                 ? "also an embedding table"
                                 : "also read by an op that is not a "
                                   "linear's weight");
        linears.push_back(linear);
      }
    }
    for (tsr::LinearOp linear : linears) {
      if (heads.contains(linear))
        return std::string("the model's head (computes an output; "
                           "--prune-heads prunes it)");
      SmallVector<std::string> names = {weightName(constant)};
      linear.getLoc()->walk([&](Location loc) {
        if (auto named = dyn_cast<NameLoc>(loc))
          names.push_back(named.getName().str());
        return WalkResult::advance();
      });
      for (const llvm::GlobPattern &glob : globs)
        for (const std::string &candidate : names)
          if (glob.match(candidate))
            return "matches --prune-skip '" + candidate + "'";
    }
    return std::nullopt;
  }
};

} // namespace
} // namespace tessera
