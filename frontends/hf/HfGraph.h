//===- HfGraph.h - Shared state of the checkpoint importers -----*- C++ -*-===//
//
// What the per-family builders (Bert.cpp, Gpt2.cpp, Llama.cpp, Vit.cpp)
// share: typed reads of config.json with errors naming the key, weight
// lookup under the checkpoint's name prefix ("bert.", "model.", ...) with
// shape checks and errors naming the tensor, the entry function's inputs,
// and builders for the tsr ops a transformer layer is made of, computing
// result types (dynamic batch and sequence dims included).
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_FRONTENDS_HF_HFGRAPH_H
#define TESSERA_FRONTENDS_HF_HFGRAPH_H

#include "frontends/hf/HfImporter.h"
#include "frontends/safetensors/Safetensors.h"

#include "dialects/tsr/IR/TsrDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/JSON.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace tessera::hf {

/// A dimension while building: a constant, or an index value (tensor.dim).
struct Dim {
  int64_t value = 0;
  mlir::Value dynamic;
  bool isStatic() const { return !dynamic; }
  int64_t staticOr(int64_t dyn) const { return dynamic ? dyn : value; }
};

/// The weights of a checkpoint: model.safetensors, or the shards that
/// model.safetensors.index.json maps tensor names to. Names are unique
/// across shards.
class CheckpointWeights {
public:
  static llvm::Expected<CheckpointWeights> open(llvm::StringRef dir);

  struct Entry {
    const SafetensorsFile *file = nullptr;
    const SafetensorsTensor *tensor = nullptr;
  };
  /// The tensor named `name` and its file; both null when absent.
  Entry lookup(llvm::StringRef name) const {
    auto it = entries.find(name);
    return it == entries.end() ? Entry() : it->second;
  }
  /// The file errors name (model.safetensors or the index).
  llvm::StringRef path() const { return displayPath; }

private:
  std::string displayPath;
  std::vector<std::unique_ptr<SafetensorsFile>> files;
  llvm::StringMap<Entry> entries;
};

class HfGraph {
public:
  HfGraph(mlir::MLIRContext *ctx, std::string dir, std::string configPath,
          const llvm::json::Object &config, CheckpointWeights &weights,
          const HfImportOptions &options);

  mlir::MLIRContext *ctx;
  mlir::OpBuilder b;
  mlir::Location loc;
  std::string dir;
  std::string configPath;
  const llvm::json::Object &config;
  CheckpointWeights &weights;
  const HfImportOptions &options;
  mlir::Type f32;
  /// Prefix of every weight name ("bert.", "model.", "" ...), set by
  /// detectPrefix.
  std::string prefix;

  // --- Errors ---------------------------------------------------------------
  llvm::Error configError(const llvm::Twine &msg) const;
  llvm::Error weightError(const llvm::Twine &msg) const;
  /// An error about the inputs (e.g. --input-shape), naming the directory.
  llvm::Error inputError(const llvm::Twine &msg) const;

  // --- config.json ----------------------------------------------------------
  /// A required positive integer.
  llvm::Expected<int64_t> configInt(llvm::StringRef key) const;
  /// An optional integer (also when null).
  llvm::Expected<int64_t> configInt(llvm::StringRef key,
                                    int64_t fallback) const;
  llvm::Expected<double> configFloat(llvm::StringRef key,
                                     double fallback) const;
  llvm::Expected<std::string> configString(llvm::StringRef key,
                                           llvm::StringRef fallback) const;
  llvm::Expected<bool> configBool(llvm::StringRef key, bool fallback) const;
  /// An error unless `key` is absent or null.
  llvm::Error configMustBeNull(llvm::StringRef key,
                               llvm::StringRef why) const;
  /// The linear epilogue of a `hidden_act` value (gelu, gelu_new, relu, ...).
  llvm::Expected<mlir::tsr::Epilogue> activation(llvm::StringRef key,
                                                 llvm::StringRef fallback);

  // --- Weights --------------------------------------------------------------
  /// Picks the first of `prefixes` under which `probe` exists.
  llvm::Error detectPrefix(llvm::StringRef probe,
                           llvm::ArrayRef<llvm::StringRef> prefixes);
  /// True if the (prefixed) tensor exists.
  bool hasWeight(llvm::StringRef name) const;
  /// The prefixed tensor `name` as a tsr.constant (f32), checked against
  /// `shape`. The same name gives the same constant.
  llvm::Expected<mlir::Value> weight(llvm::StringRef name,
                                     llvm::ArrayRef<int64_t> shape);
  /// A tensor's raw entry after the shape check (for compile-time
  /// rearrangement such as GPT-2's [in, out] weights).
  llvm::Expected<const SafetensorsTensor *>
  weightEntry(llvm::StringRef name, llvm::ArrayRef<int64_t> shape);
  /// The f32 values of a checked entry (copied when not F32).
  llvm::Expected<std::vector<float>> weightValues(const SafetensorsTensor &t);
  /// A tsr.constant over a new f32 blob.
  mlir::Value constant(llvm::StringRef name, llvm::ArrayRef<int64_t> shape,
                       llvm::ArrayRef<float> values);

  // --- The entry function ---------------------------------------------------
  /// Adds an entry input; `dimNames` name the dynamic dims ("" for static).
  /// --input-shape overrides apply (checked against static dims).
  llvm::Error addInput(llvm::StringRef name, mlir::Type elementType,
                       llvm::ArrayRef<int64_t> shape,
                       llvm::ArrayRef<llvm::StringRef> dimNames);
  /// Creates `main` over the inputs added so far; ops are built into it.
  void beginFunction();
  /// Entry argument `i` (after beginFunction).
  mlir::Value input(unsigned i);
  /// Returns `results` with the given output names and checks that every
  /// --input-shape named an input.
  llvm::Error finishFunction(llvm::ArrayRef<mlir::Value> results,
                             llvm::ArrayRef<llvm::StringRef> names);
  mlir::OwningOpRef<mlir::ModuleOp> module;

  // --- Building -------------------------------------------------------------
  Dim dimOf(mlir::Value v, int64_t d);
  mlir::Value indexValue(const Dim &d);
  mlir::RankedTensorType typeOf(mlir::Value v) const {
    return llvm::cast<mlir::RankedTensorType>(v.getType());
  }
  mlir::Value reshape(mlir::Value v, llvm::ArrayRef<Dim> dims);
  mlir::Value transpose(mlir::Value v, llvm::ArrayRef<int64_t> perm);
  mlir::Value linear(mlir::Value x, mlir::Value w, mlir::Value bias,
                     mlir::tsr::Epilogue epilogue = mlir::tsr::Epilogue::none);
  mlir::Value layerNorm(mlir::Value x, mlir::Value scale, mlir::Value bias,
                        double epsilon, mlir::Value residual = {});
  mlir::Value add(mlir::Value l, mlir::Value r);
  mlir::Value mul(mlir::Value l, mlir::Value r);
  mlir::Value scalar(double value);
  /// Embedding lookup: table [V, H] at integer ids [...] -> [..., H].
  mlir::Value gather(mlir::Value table, mlir::Value ids);
  /// The positions 0..n-1 as an i64 tensor [n].
  mlir::Value iota(const Dim &n);
  /// [B, S, H*D] -> [B, H, S, D].
  mlir::Value splitHeads(mlir::Value x, int64_t heads, int64_t headDim);
  /// [B, H, S, D] -> [B, S, H*D].
  mlir::Value mergeHeads(mlir::Value x);
  /// tsr.attention; `window` > 0 limits each query to that many keys up
  /// to its own (sliding-window attention).
  mlir::Value attention(mlir::Value q, mlir::Value k, mlir::Value v,
                        mlir::Value mask, double scale, bool causal,
                        int64_t window = 0);
  /// x[:, 0, :] of x [B, S, H] as [B, H] (the class token).
  mlir::Value firstToken(mlir::Value x);
  /// transformers' pooler: tanh(dense(x[:, 0])), when the checkpoint has
  /// `<base>.weight` and `<base>.bias`; null otherwise.
  llvm::Expected<mlir::Value> pooler(mlir::Value x, llvm::StringRef base);
  /// The additive attention mask [B, 1, 1, S] of an integer 0/1 mask [B, S]:
  /// 0 where attended, the most negative float where masked.
  mlir::Value additiveMask(mlir::Value mask01);

private:
  llvm::StringMap<mlir::Value> constants;
  struct Input {
    std::string name;
    mlir::RankedTensorType type;
    mlir::DictionaryAttr attrs;
  };
  std::vector<Input> inputs;
  mlir::func::FuncOp fn;
  std::vector<std::string> usedShapeOverrides;
};

/// The first error among `values` (the others are dropped), or success:
/// config reads are checked in one go.
template <typename... Ts>
llvm::Error firstError(llvm::Expected<Ts> &...values) {
  llvm::Error result = llvm::Error::success();
  auto visit = [&](auto &v) {
    if (v)
      return;
    llvm::Error e = v.takeError();
    if (result) {
      llvm::consumeError(std::move(e));
      return;
    }
    result = std::move(e);
  };
  (visit(values), ...);
  return result;
}

// One builder per model_type: reads its config keys, adds its inputs,
// builds the graph and finishes the function.
llvm::Error buildBert(HfGraph &g);
llvm::Error buildGpt2(HfGraph &g);
llvm::Error buildLlama(HfGraph &g);
/// LLaMA's architecture with a sliding window (Mistral: every layer) or
/// biases on q, k and v and per-layer windows (Qwen2).
llvm::Error buildMistral(HfGraph &g);
llvm::Error buildQwen2(HfGraph &g);
llvm::Error buildVit(HfGraph &g);

} // namespace tessera::hf

#endif // TESSERA_FRONTENDS_HF_HFGRAPH_H
