//===- Quantize.cpp - fp32 linears become int8 quantized linears ----------===//
//
// Implements tsr-quantize (see Passes.td for the rules and the rationale).
//
//===----------------------------------------------------------------------===//

#include "compiler/Transforms/LinearWeights.h"
#include "compiler/Transforms/Passes.h"
#include "compiler/Transforms/ResourceBlobs.h"
#include "dialects/tsr/IR/TsrDialect.h"

#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/Support/GlobPattern.h"

#include <cmath>
#include <cstring>

using namespace mlir;

namespace tessera {

#define GEN_PASS_DEF_TSRQUANTIZEPASS
#include "compiler/Transforms/Passes.h.inc"

namespace {

/// The int8 weight and per-row scales of a constant f32 weight.
struct QuantizedWeight {
  tsr::ConstantOp values; // [N, K] i8
  tsr::ConstantOp scales; // [N] f32
};

struct TsrQuantizePass : impl::TsrQuantizePassBase<TsrQuantizePass> {
  using Base::Base;

  ResourceBlobUses blobUses;

  void runOnOperation() override {
    SmallVector<llvm::GlobPattern> globs;
    for (const std::string &glob : skip) {
      auto pattern = llvm::GlobPattern::create(glob);
      if (!pattern) {
        getOperation().emitError("invalid skip glob '")
            << glob << "': " << llvm::toString(pattern.takeError());
        return signalPassFailure();
      }
      globs.push_back(std::move(*pattern));
    }
    blobUses.count(getOperation());
    DenseMap<std::pair<Attribute, unsigned>, QuantizedWeight> cache;
    SmallVector<tsr::LinearOp> linears;
    getOperation().walk([&](tsr::LinearOp op) { linears.push_back(op); });
    for (tsr::LinearOp op : linears) {
      std::optional<std::string> why = reasonToKeep(op, globs);
      if (why) {
        op.emitRemark("not quantized: ") << *why;
        continue;
      }
      WeightSource w = *getWeightSource(op.getWeight());
      auto key = std::make_pair(Attribute(w.value), w.transposed ? 1u : 0u);
      auto it = cache.find(key);
      QuantizedWeight q;
      if (it != cache.end() && it->second.values->getBlock() == op->getBlock() &&
          it->second.scales->isBeforeInBlock(op)) {
        q = it->second;
      } else {
        q = quantize(op, w);
        cache[key] = q;
      }
      OpBuilder b(op);
      auto quantized = tsr::QuantizedLinearOp::create(
          b, op.getLoc(), op.getType(), op.getInput(), q.values, q.scales,
          op.getBias(), /*weight_sums=*/Value(), op.getEpilogueAttr(),
          /*weight_packed=*/nullptr,
          tsr::InputQuantAttr::get(b.getContext(), tsr::InputQuant::per_token),
          /*input_scale=*/nullptr, /*input_zero_point=*/nullptr);
      Value oldWeight = op.getWeight();
      op.replaceAllUsesWith(quantized.getResult());
      op.erase();
      blobUses.eraseIfUnused(oldWeight);
    }
  }

  /// Why `op` stays f32, or nullopt when it is quantized.
  std::optional<std::string>
  reasonToKeep(tsr::LinearOp op, ArrayRef<llvm::GlobPattern> globs) {
    if (!op.getType().getElementType().isF32())
      return std::string("a linear that is not float32");
    if (op.getWeightPacked())
      return std::string("a linear whose weight is already packed for the f32 kernel");
    std::optional<WeightSource> w = getWeightSource(op.getWeight());
    if (!w)
      return std::string("a linear whose weight is not a compile-time constant");
    ArrayRef<int64_t> shape = w->value.getShapedType().getShape();
    int64_t k = w->transposed ? shape[0] : shape[1];
    if (k > tsr::kQuantizedMaxK)
      return "'" + weightName(*w) + "': K = " + std::to_string(k) +
             " is over the int8 kernels' limit of " +
             std::to_string(tsr::kQuantizedMaxK);
    // The weight's name, and the names of the nodes the linear was made
    // of (NameLocs: ONNX node names, fused locations included).
    std::string name = weightName(*w);
    SmallVector<std::string> names = {name};
    op.getLoc()->walk([&](Location loc) {
      if (auto named = dyn_cast<NameLoc>(loc))
        names.push_back(named.getName().str());
      return WalkResult::advance();
    });
    for (const llvm::GlobPattern &glob : globs)
      for (const std::string &candidate : names)
        if (glob.match(candidate))
          return "'" + candidate + "': matches --quantize-skip";
    std::vector<char> storage;
    if (constantBytes(w->value, storage).empty() && shape[0] * shape[1] != 0)
      return "'" + name + "': its bytes are not available";
    return std::nullopt;
  }

  static std::string weightName(const WeightSource &w) {
    if (auto attr =
            w.constant->getAttrOfType<StringAttr>(tsr::kConstantNameAttr))
      return attr.str();
    return "weight";
  }

  /// Quantizes `w` ([N, K] after the transpose, if any) per row.
  QuantizedWeight quantize(tsr::LinearOp op, const WeightSource &w) {
    ArrayRef<int64_t> shape = w.value.getShapedType().getShape();
    int64_t n = w.transposed ? shape[1] : shape[0];
    int64_t k = w.transposed ? shape[0] : shape[1];
    std::vector<char> storage;
    ArrayRef<char> bytes = constantBytes(w.value, storage);
    const float *src = reinterpret_cast<const float *>(bytes.data());
    auto at = [&](int64_t row, int64_t col) {
      return w.transposed ? src[col * n + row] : src[row * k + col];
    };
    auto valuesBlob = HeapAsmResourceBlob::allocate(n * k, alignof(int8_t));
    auto scalesBlob =
        HeapAsmResourceBlob::allocate(n * sizeof(float), alignof(float));
    auto *q = reinterpret_cast<int8_t *>(valuesBlob.getMutableData().data());
    auto *scales = reinterpret_cast<float *>(scalesBlob.getMutableData().data());
    for (int64_t row = 0; row < n; ++row) {
      float amax = 0.0f;
      for (int64_t col = 0; col < k; ++col)
        amax = std::max(amax, std::fabs(at(row, col)));
      float scale = amax / 127.0f;
      scales[row] = scale;
      for (int64_t col = 0; col < k; ++col) {
        float r = scale > 0.0f ? std::nearbyint(at(row, col) / scale) : 0.0f;
        q[row * k + col] = static_cast<int8_t>(std::clamp(r, -127.0f, 127.0f));
      }
    }
    std::string name = weightName(w);
    OpBuilder b(op);
    // Next to the f32 constant when the linear reads it directly, so that
    // tied linears further down see it; else just before the linear.
    if (w.constant->getBlock() == op->getBlock())
      b.setInsertionPointAfter(w.constant);
    auto make = [&](RankedTensorType type, StringRef suffix,
                    AsmResourceBlob blob) {
      std::string full = name + suffix.str();
      return cast<tsr::ConstantOp>(createBlobConstant(
          b, op.getLoc(), type, full, full, std::move(blob)));
    };
    QuantizedWeight result;
    result.values = make(RankedTensorType::get({n, k}, b.getI8Type()), ".int8",
                         std::move(valuesBlob));
    result.scales = make(RankedTensorType::get({n}, b.getF32Type()), ".scale",
                         std::move(scalesBlob));
    return result;
  }
};

} // namespace
} // namespace tessera
