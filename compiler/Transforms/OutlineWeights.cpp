//===- OutlineWeights.cpp - Large constants become entry arguments --------===//
//
// Implements tsr-outline-weights (see Passes.td for the rationale).
//
//===----------------------------------------------------------------------===//

#include "compiler/Transforms/Passes.h"
#include "dialects/tsr/IR/TsrDialect.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/StringSet.h"

using namespace mlir;

namespace tessera {

#define GEN_PASS_DEF_TSROUTLINEWEIGHTSPASS
#include "compiler/Transforms/Passes.h.inc"

namespace {

struct TsrOutlineWeightsPass
    : impl::TsrOutlineWeightsPassBase<TsrOutlineWeightsPass> {
  using Base::Base;

  bool shouldOutline(tsr::ConstantOp op) const {
    ElementsAttr value = op.getValue();
    return isa<DenseResourceElementsAttr>(value) ||
           value.getNumElements() >= minElements;
  }

  void runOnOperation() override {
    for (auto func : getOperation().getOps<func::FuncOp>()) {
      if (func.isPrivate() || func.isExternal())
        continue;
      SmallVector<tsr::ConstantOp> weights;
      func.walk([&](tsr::ConstantOp op) {
        if (shouldOutline(op))
          weights.push_back(op);
      });
      if (weights.empty())
        continue;

      // Two constants with the same value (and type) share one argument.
      llvm::StringSet<> usedNames;
      SmallVector<Type> argTypes;
      SmallVector<DictionaryAttr> argAttrs;
      SmallVector<Location> argLocs;
      DenseMap<Attribute, unsigned> byValue;
      SmallVector<std::pair<tsr::ConstantOp, unsigned>> uses;
      Builder b(&getContext());
      for (tsr::ConstantOp op : weights) {
        auto [it, inserted] = byValue.try_emplace(op.getValue(), argTypes.size());
        if (inserted) {
          std::string name;
          if (auto n = op->getAttrOfType<StringAttr>(tsr::kConstantNameAttr))
            name = n.str();
          else
            name = "weight_" + std::to_string(argTypes.size());
          // Names are keys in model.tsr: keep them unique.
          std::string unique = name;
          for (int i = 1; usedNames.contains(unique); ++i)
            unique = name + "_" + std::to_string(i);
          usedNames.insert(unique);
          argTypes.push_back(op.getType());
          argAttrs.push_back(b.getDictionaryAttr(
              {b.getNamedAttr(tsr::kWeightNameAttr, b.getStringAttr(unique)),
               b.getNamedAttr(tsr::kWeightValueAttr, op.getValue())}));
          argLocs.push_back(op.getLoc());
        }
        uses.push_back({op, it->second});
      }
      // Insert all new arguments in front of the existing ones.
      SmallVector<unsigned> positions(argTypes.size(), 0);
      if (failed(func.insertArguments(positions, argTypes, argAttrs, argLocs)))
        return signalPassFailure();
      for (auto [op, index] : uses) {
        op.getResult().replaceAllUsesWith(func.getArgument(index));
        op.erase();
      }
    }
  }
};

} // namespace
} // namespace tessera
