//===- CalibrationOutputs.cpp - Return linear inputs for calibration ------===//
//
// Implements tsr-calibration-outputs (see Passes.td).
//
//===----------------------------------------------------------------------===//

#include "compiler/Transforms/LinearWeights.h"
#include "compiler/Transforms/Passes.h"
#include "dialects/tsr/IR/TsrAttrNames.h"
#include "dialects/tsr/IR/TsrDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

using namespace mlir;

namespace tessera {

#define GEN_PASS_DEF_TSRCALIBRATIONOUTPUTSPASS
#include "compiler/Transforms/Passes.h.inc"

namespace {

struct TsrCalibrationOutputsPass
    : impl::TsrCalibrationOutputsPassBase<TsrCalibrationOutputsPass> {
  void runOnOperation() override {
    func::FuncOp entry;
    for (auto fn : getOperation().getOps<func::FuncOp>())
      if (fn.isPublic() && !fn.isExternal()) {
        entry = fn;
        break;
      }
    if (!entry)
      return;
    // The distinct f32 inputs of constant-weight linears, in walk order.
    llvm::MapVector<Value, int64_t> outputs;
    entry.walk([&](tsr::LinearOp op) {
      if (!op.getType().getElementType().isF32() ||
          !getWeightSource(op.getWeight()))
        return;
      auto [it, inserted] =
          outputs.insert({op.getInput(), static_cast<int64_t>(outputs.size())});
      op->setAttr(tsr::kCalibrationOutputAttr,
                  Builder(op).getI64IntegerAttr(it->second));
    });
    if (outputs.empty())
      return;
    auto ret = cast<func::ReturnOp>(entry.getBody().back().getTerminator());
    SmallVector<Value> results(ret.getOperands());
    SmallVector<Type> types(entry.getResultTypes());
    unsigned first = results.size();
    for (auto [value, index] : outputs) {
      results.push_back(value);
      types.push_back(value.getType());
    }
    ret->setOperands(results);
    entry.setType(FunctionType::get(&getContext(),
                                    entry.getArgumentTypes(), types));
    Builder b(&getContext());
    for (auto [value, index] : outputs)
      entry.setResultAttr(first + index, tsr::kTensorNameAttr,
                          b.getStringAttr("__calibration_" +
                                          std::to_string(index)));
  }
};

} // namespace
} // namespace tessera
