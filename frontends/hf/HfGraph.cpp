//===- HfGraph.cpp - Checkpoint directories into tsr ----------------------===//
//
// The entry point (importHfCheckpoint: read config.json, map
// model.safetensors, dispatch on model_type) and the shared HfGraph helpers
// the per-family builders use.
//
//===----------------------------------------------------------------------===//

#include "frontends/hf/HfGraph.h"

#include "dialects/tsr/IR/TsrAttrNames.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <cstring>
#include <limits>

using namespace mlir;
using llvm::Error;
using llvm::Expected;
using llvm::StringRef;

namespace tessera {
namespace hf {

namespace {

std::string shapeString(ArrayRef<int64_t> shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

/// Sizes in config.json are capped so that products of a few of them (weight
/// shapes, table sizes) cannot overflow int64.
constexpr int64_t kMaxConfigInt = int64_t(1) << 31;

} // namespace

HfGraph::HfGraph(MLIRContext *ctx, std::string dir, std::string configPath,
                 const llvm::json::Object &config, CheckpointWeights &weights,
                 const HfImportOptions &options)
    : ctx(ctx), b(ctx), loc(FileLineColLoc::get(ctx, configPath, 0, 0)),
      dir(std::move(dir)), configPath(std::move(configPath)), config(config),
      weights(weights), options(options), f32(Float32Type::get(ctx)) {
  module = ModuleOp::create(loc);
  b.setInsertionPointToEnd(module->getBody());
}

//===----------------------------------------------------------------------===//
// Errors and config.json
//===----------------------------------------------------------------------===//

Error HfGraph::configError(const llvm::Twine &msg) const {
  return llvm::createStringError(configPath + ": " + msg);
}

Error HfGraph::weightError(const llvm::Twine &msg) const {
  return llvm::createStringError(weights.path() + ": " + msg);
}

Error HfGraph::inputError(const llvm::Twine &msg) const {
  return llvm::createStringError(dir + ": " + msg);
}

Expected<int64_t> HfGraph::configInt(StringRef key) const {
  const llvm::json::Value *v = config.get(key);
  if (!v || v->kind() == llvm::json::Value::Null)
    return configError("missing integer '" + key + "'");
  std::optional<int64_t> i = v->getAsInteger();
  if (!i || *i <= 0 || *i > kMaxConfigInt)
    return configError("'" + key + "' must be a positive integer below 2^31");
  return *i;
}

Expected<int64_t> HfGraph::configInt(StringRef key, int64_t fallback) const {
  const llvm::json::Value *v = config.get(key);
  if (!v || v->kind() == llvm::json::Value::Null)
    return fallback;
  std::optional<int64_t> i = v->getAsInteger();
  if (!i || *i <= 0 || *i > kMaxConfigInt)
    return configError("'" + key + "' must be a positive integer below 2^31");
  return *i;
}

Expected<double> HfGraph::configFloat(StringRef key, double fallback) const {
  const llvm::json::Value *v = config.get(key);
  if (!v || v->kind() == llvm::json::Value::Null)
    return fallback;
  std::optional<double> d = v->getAsNumber();
  if (!d)
    return configError("'" + key + "' must be a number");
  return *d;
}

Expected<std::string> HfGraph::configString(StringRef key,
                                            StringRef fallback) const {
  const llvm::json::Value *v = config.get(key);
  if (!v || v->kind() == llvm::json::Value::Null)
    return fallback.str();
  std::optional<StringRef> s = v->getAsString();
  if (!s)
    return configError("'" + key + "' must be a string");
  return s->str();
}

Expected<bool> HfGraph::configBool(StringRef key, bool fallback) const {
  const llvm::json::Value *v = config.get(key);
  if (!v || v->kind() == llvm::json::Value::Null)
    return fallback;
  std::optional<bool> flag = v->getAsBoolean();
  if (!flag)
    return configError("'" + key + "' must be true or false");
  return *flag;
}

Error HfGraph::configMustBeNull(StringRef key, StringRef why) const {
  const llvm::json::Value *v = config.get(key);
  if (v && v->kind() != llvm::json::Value::Null)
    return configError("'" + key + "' is set: " + why);
  return Error::success();
}

Expected<tsr::Epilogue> HfGraph::activation(StringRef key, StringRef fallback) {
  Expected<std::string> act = configString(key, fallback);
  if (!act)
    return act.takeError();
  if (*act == "gelu")
    return tsr::Epilogue::gelu;
  if (*act == "gelu_new" || *act == "gelu_pytorch_tanh" || *act == "gelu_fast")
    return tsr::Epilogue::gelu_tanh;
  if (*act == "relu")
    return tsr::Epilogue::relu;
  if (*act == "silu" || *act == "swish")
    return tsr::Epilogue::silu;
  return configError("unsupported '" + key + "' value '" + *act +
                     "' (supported: gelu, gelu_new, gelu_pytorch_tanh, "
                     "gelu_fast, relu, silu, swish)");
}

//===----------------------------------------------------------------------===//
// Weights
//===----------------------------------------------------------------------===//

Error HfGraph::detectPrefix(StringRef probe, ArrayRef<StringRef> prefixes) {
  std::string tried;
  for (StringRef p : prefixes) {
    if (weights.lookup((p + probe).str()).tensor) {
      prefix = p.str();
      return Error::success();
    }
    tried += (tried.empty() ? "'" : ", '") + (p + probe).str() + "'";
  }
  return weightError("missing tensor '" + probe + "' (looked for " + tried +
                     ")");
}

bool HfGraph::hasWeight(StringRef name) const {
  return weights.lookup(prefix + name.str()).tensor != nullptr;
}

Expected<const SafetensorsTensor *>
HfGraph::weightEntry(StringRef name, ArrayRef<int64_t> shape) {
  std::string full = prefix + name.str();
  const SafetensorsTensor *t = weights.lookup(full).tensor;
  if (!t)
    return weightError("missing tensor '" + full + "'");
  if (ArrayRef<int64_t>(t->shape) != shape)
    return weightError("tensor '" + full + "' has shape " +
                       shapeString(t->shape) + ", expected " +
                       shapeString(shape));
  switch (t->dtype) {
  case SafetensorsDType::F32:
  case SafetensorsDType::F16:
  case SafetensorsDType::BF16:
  case SafetensorsDType::F64:
    return t;
  default:
    return weightError("tensor '" + full + "' has dtype " +
                       safetensorsDTypeName(t->dtype) +
                       ", expected a floating-point type");
  }
}

Expected<Value> HfGraph::weight(StringRef name, ArrayRef<int64_t> shape) {
  std::string full = prefix + name.str();
  auto it = constants.find(full);
  if (it != constants.end()) {
    if (typeOf(it->second).getShape() != shape)
      return weightError("tensor '" + full + "' is used with shape " +
                         shapeString(shape) + " and " +
                         shapeString(typeOf(it->second).getShape()));
    return it->second;
  }
  Expected<const SafetensorsTensor *> t = weightEntry(name, shape);
  if (!t)
    return t.takeError();
  Expected<DenseResourceElementsAttr> attr =
      weights.lookup(full).file->resourceAttrAsF32(ctx, **t, full);
  if (!attr)
    return attr.takeError();
  auto op = tsr::ConstantOp::create(b, loc, *attr);
  op->setAttr(tsr::kConstantNameAttr, b.getStringAttr(full));
  constants[full] = op.getResult();
  return op.getResult();
}

Expected<std::vector<float>>
HfGraph::weightValues(const SafetensorsTensor &t) {
  std::vector<float> values(static_cast<size_t>(t.numElements()));
  if (t.dtype == SafetensorsDType::F32) {
    if (!values.empty())
      std::memcpy(values.data(), t.bytes.data(), t.bytes.size());
    return values;
  }
  Expected<DenseResourceElementsAttr> attr =
      weights.lookup(t.name).file->resourceAttrAsF32(ctx, t, t.name + ".f32");
  if (!attr)
    return attr.takeError();
  ArrayRef<char> data = attr->getRawHandle().getBlob()->getData();
  if (!values.empty())
    std::memcpy(values.data(), data.data(), data.size());
  return values;
}

Value HfGraph::constant(StringRef name, ArrayRef<int64_t> shape,
                        ArrayRef<float> values) {
  auto type = RankedTensorType::get(shape, f32);
  auto attr = DenseResourceElementsAttr::get(
      type, name, HeapAsmResourceBlob::allocateAndCopyInferAlign(values));
  auto op = tsr::ConstantOp::create(b, loc, attr);
  op->setAttr(tsr::kConstantNameAttr, b.getStringAttr(name));
  return op.getResult();
}

//===----------------------------------------------------------------------===//
// The entry function
//===----------------------------------------------------------------------===//

Error HfGraph::addInput(StringRef name, Type elementType,
                        ArrayRef<int64_t> shape, ArrayRef<StringRef> dimNames) {
  SmallVector<int64_t> dims(shape);
  SmallVector<Attribute> names;
  for (StringRef n : dimNames)
    names.push_back(b.getStringAttr(n));
  auto over = options.inputShapes.find(name.str());
  if (over != options.inputShapes.end()) {
    usedShapeOverrides.push_back(name.str());
    if (over->second.size() != dims.size())
      return inputError(
          "--input-shape for '" + name + "' has rank " +
          llvm::Twine(over->second.size()) + " but the model's input has " +
          llvm::Twine(dims.size()));
    for (size_t d = 0; d < dims.size(); ++d) {
      if (!ShapedType::isDynamic(dims[d]) && dims[d] != over->second[d])
        return inputError("--input-shape for '" + name + "': dim " +
                          llvm::Twine(d) + " is " + llvm::Twine(dims[d]) +
                          " in the model");
      dims[d] = over->second[d];
      names[d] = b.getStringAttr("");
    }
  }
  inputs.push_back(
      {name.str(), RankedTensorType::get(dims, elementType),
       b.getDictionaryAttr(
           {b.getNamedAttr(tsr::kTensorNameAttr, b.getStringAttr(name)),
            b.getNamedAttr(tsr::kDimNamesAttr, b.getArrayAttr(names))})});
  return Error::success();
}

void HfGraph::beginFunction() {
  SmallVector<Type> types;
  for (const Input &in : inputs)
    types.push_back(in.type);
  fn = func::FuncOp::create(b, loc, "main", b.getFunctionType(types, {}));
  Block *entry = fn.addEntryBlock();
  for (unsigned i = 0; i < inputs.size(); ++i)
    fn.setArgAttrs(i, inputs[i].attrs);
  b.setInsertionPointToStart(entry);
}

Value HfGraph::input(unsigned i) { return fn.getArgument(i); }

Error HfGraph::finishFunction(ArrayRef<Value> results,
                              ArrayRef<StringRef> names) {
  for (const auto &[name, shape] : options.inputShapes)
    if (!llvm::is_contained(usedShapeOverrides, name))
      return inputError("--input-shape names '" + name +
                        "', which is not an input of the model");
  func::ReturnOp::create(b, loc, results);
  fn.setType(b.getFunctionType(fn.getArgumentTypes(),
                               ValueRange(results).getTypes()));
  for (unsigned i = 0; i < names.size(); ++i)
    fn.setResultAttrs(i, b.getDictionaryAttr({b.getNamedAttr(
                             tsr::kTensorNameAttr, b.getStringAttr(names[i]))}));
  return Error::success();
}

//===----------------------------------------------------------------------===//
// Building
//===----------------------------------------------------------------------===//

Dim HfGraph::dimOf(Value v, int64_t d) {
  auto t = typeOf(v);
  if (!t.isDynamicDim(d))
    return {t.getDimSize(d), {}};
  return {0, tensor::DimOp::create(b, loc, v, d)};
}

Value HfGraph::indexValue(const Dim &d) {
  if (d.dynamic)
    return d.dynamic;
  return arith::ConstantIndexOp::create(b, loc, d.value);
}

Value HfGraph::reshape(Value v, ArrayRef<Dim> dims) {
  SmallVector<int64_t> shape;
  SmallVector<Value> dynamic;
  for (const Dim &d : dims) {
    shape.push_back(d.staticOr(ShapedType::kDynamic));
    if (d.dynamic)
      dynamic.push_back(d.dynamic);
  }
  auto type = RankedTensorType::get(shape, typeOf(v).getElementType());
  if (type == typeOf(v) && dynamic.empty())
    return v;
  return tsr::ReshapeOp::create(b, loc, type, v, dynamic);
}

Value HfGraph::transpose(Value v, ArrayRef<int64_t> perm) {
  auto t = typeOf(v);
  SmallVector<int64_t> shape;
  for (int64_t p : perm)
    shape.push_back(t.getDimSize(p));
  return tsr::TransposeOp::create(
      b, loc, RankedTensorType::get(shape, t.getElementType()), v,
      b.getDenseI64ArrayAttr(perm));
}

Value HfGraph::linear(Value x, Value w, Value bias, tsr::Epilogue epilogue) {
  SmallVector<int64_t> shape(typeOf(x).getShape());
  shape.back() = typeOf(w).getDimSize(0);
  return tsr::LinearOp::create(b, loc, RankedTensorType::get(shape, f32), x, w,
                               bias, epilogue, false);
}

Value HfGraph::layerNorm(Value x, Value scale, Value bias, double epsilon,
                         Value residual) {
  return tsr::LayerNormOp::create(
      b, loc, typeOf(x), x, scale, bias, residual,
      b.getI64IntegerAttr(typeOf(x).getRank() - 1),
      b.getF32FloatAttr(static_cast<float>(epsilon)));
}

static RankedTensorType broadcastType(Value l, Value r) {
  auto lt = llvm::cast<RankedTensorType>(l.getType());
  auto rt = llvm::cast<RankedTensorType>(r.getType());
  std::optional<SmallVector<int64_t>> shape =
      tsr::broadcastShapes({lt.getShape(), rt.getShape()});
  assert(shape && "the builders only combine broadcastable shapes");
  return RankedTensorType::get(*shape, lt.getElementType());
}

Value HfGraph::add(Value l, Value r) {
  return tsr::AddOp::create(b, loc, broadcastType(l, r), l, r);
}

Value HfGraph::mul(Value l, Value r) {
  return tsr::MulOp::create(b, loc, broadcastType(l, r), l, r);
}

Value HfGraph::scalar(double value) {
  auto type = RankedTensorType::get({}, f32);
  return tsr::ConstantOp::create(
      b, loc,
      DenseElementsAttr::get(type, b.getFloatAttr(f32, value)));
}

Value HfGraph::gather(Value table, Value ids) {
  SmallVector<int64_t> shape(typeOf(ids).getShape());
  shape.push_back(typeOf(table).getDimSize(1));
  return tsr::GatherOp::create(b, loc, RankedTensorType::get(shape, f32),
                               table, ids, b.getI64IntegerAttr(0));
}

Value HfGraph::iota(const Dim &n) {
  Type i64 = b.getI64Type();
  auto type = RankedTensorType::get({n.staticOr(ShapedType::kDynamic)}, i64);
  Value one = tsr::ConstantOp::create(
      b, loc,
      DenseElementsAttr::get(RankedTensorType::get({}, i64),
                             b.getIntegerAttr(i64, 1)));
  SmallVector<Value> dyn;
  if (n.dynamic)
    dyn.push_back(n.dynamic);
  Value ones = tsr::BroadcastOp::create(b, loc, type, one, dyn);
  return tsr::CumsumOp::create(b, loc, type, ones, b.getI64IntegerAttr(0),
                               b.getUnitAttr(), UnitAttr());
}

Value HfGraph::splitHeads(Value x, int64_t heads, int64_t headDim) {
  Dim batch = dimOf(x, 0), seq = dimOf(x, 1);
  Value r = reshape(x, {batch, seq, {heads, {}}, {headDim, {}}});
  return transpose(r, {0, 2, 1, 3});
}

Value HfGraph::mergeHeads(Value x) {
  auto t = typeOf(x);
  Value r = transpose(x, {0, 2, 1, 3});
  Dim batch = dimOf(r, 0), seq = dimOf(r, 1);
  return reshape(r, {batch, seq, {t.getDimSize(1) * t.getDimSize(3), {}}});
}

Value HfGraph::attention(Value q, Value k, Value v, Value mask, double scale,
                         bool causal, int64_t window) {
  auto qt = typeOf(q);
  SmallVector<int64_t> shape(qt.getShape());
  shape[3] = typeOf(v).getDimSize(3);
  auto op = tsr::AttentionOp::create(
      b, loc, RankedTensorType::get(shape, f32), q, k, v, mask,
      b.getF32FloatAttr(static_cast<float>(scale)),
      causal ? b.getUnitAttr() : UnitAttr(), b.getI64IntegerAttr(window));
  return op.getResult();
}

Value HfGraph::firstToken(Value x) {
  auto t = typeOf(x);
  Dim batch = dimOf(x, 0);
  SmallVector<Value> sizes;
  if (batch.dynamic)
    sizes.push_back(batch.dynamic);
  int64_t b0 = batch.staticOr(ShapedType::kDynamic), h = t.getDimSize(2);
  Value first = tsr::SliceOp::create(
      b, loc, RankedTensorType::get({b0, 1, h}, t.getElementType()), x,
      ValueRange(), sizes, b.getDenseI64ArrayAttr({0, 0, 0}),
      b.getDenseI64ArrayAttr({1, 1, 1}));
  return reshape(first, {batch, {h, {}}});
}

Expected<Value> HfGraph::pooler(Value x, StringRef base) {
  if (!hasWeight((base + ".weight").str()) && !hasWeight((base + ".bias").str()))
    return Value();
  int64_t h = typeOf(x).getDimSize(2);
  Expected<Value> w = weight((base + ".weight").str(), {h, h});
  if (!w)
    return w.takeError();
  Expected<Value> bias = weight((base + ".bias").str(), {h});
  if (!bias)
    return bias.takeError();
  Value dense = linear(firstToken(x), *w, *bias);
  return tsr::UnaryOp::create(b, loc, typeOf(dense), tsr::UnaryKind::tanh,
                              dense)
      .getResult();
}

Value HfGraph::additiveMask(Value mask01) {
  auto t = typeOf(mask01);
  Value m = tsr::CastOp::create(b, loc, t.clone(f32), mask01);
  // (1 - m) * lowest, as transformers' extended attention mask.
  Value inverted = tsr::SubOp::create(b, loc, t.clone(f32), scalar(1.0), m);
  Value scaled =
      mul(inverted, scalar(std::numeric_limits<float>::lowest()));
  Dim batch = dimOf(mask01, 0), seq = dimOf(mask01, 1);
  return reshape(scaled, {batch, {1, {}}, {1, {}}, seq});
}

//===----------------------------------------------------------------------===//
// Weight files
//===----------------------------------------------------------------------===//

Expected<CheckpointWeights> CheckpointWeights::open(StringRef dir) {
  CheckpointWeights w;
  llvm::SmallString<256> single(dir), index(dir);
  llvm::sys::path::append(single, "model.safetensors");
  llvm::sys::path::append(index, "model.safetensors.index.json");
  auto addFile = [&](const std::string &path) -> Error {
    Expected<SafetensorsFile> file = SafetensorsFile::open(path);
    if (!file)
      return file.takeError();
    w.files.push_back(std::make_unique<SafetensorsFile>(std::move(*file)));
    const SafetensorsFile *f = w.files.back().get();
    for (const std::string &name : f->names()) {
      auto [it, inserted] = w.entries.try_emplace(name, Entry{f, f->lookup(name)});
      if (!inserted)
        return llvm::createStringError(
            path + ": tensor '" + name + "' is also in " +
            it->second.file->path());
    }
    return Error::success();
  };

  if (llvm::sys::fs::exists(single)) {
    w.displayPath = single.str().str();
    if (Error e = addFile(w.displayPath))
      return std::move(e);
    return std::move(w);
  }
  if (!llvm::sys::fs::exists(index))
    return llvm::createStringError(
        dir + ": no model.safetensors (nor model.safetensors.index.json)");

  // Sharded: {"weight_map": {"tensor name": "shard file name", ...}}.
  w.displayPath = index.str().str();
  auto indexError = [&](const llvm::Twine &msg) {
    return llvm::createStringError(w.displayPath + ": " + msg);
  };
  auto text = llvm::MemoryBuffer::getFile(index, /*IsText=*/true);
  if (!text)
    return indexError("cannot read: " + text.getError().message());
  Expected<llvm::json::Value> json = llvm::json::parse((*text)->getBuffer());
  if (!json)
    return indexError("not valid JSON: " + llvm::toString(json.takeError()));
  const llvm::json::Object *root = json->getAsObject();
  const llvm::json::Object *map =
      root ? root->getObject("weight_map") : nullptr;
  if (!map)
    return indexError("missing object 'weight_map'");
  std::vector<std::string> shards;
  for (const auto &[name, value] : *map) {
    std::optional<StringRef> shard = value.getAsString();
    if (!shard)
      return indexError("weight_map entry '" + StringRef(name) +
                        "' is not a file name");
    // Shards live in the checkpoint directory: plain file names only.
    if (shard->empty() || shard->contains('/') || shard->contains('\\') ||
        *shard == "." || *shard == "..")
      return indexError("weight_map entry '" + StringRef(name) +
                        "' names '" + *shard +
                        "', not a file of the checkpoint directory");
    if (!llvm::is_contained(shards, *shard))
      shards.push_back(shard->str());
  }
  llvm::sort(shards); // the JSON object's order is not the file's
  for (const std::string &shard : shards) {
    llvm::SmallString<256> path(dir);
    llvm::sys::path::append(path, shard);
    if (!llvm::sys::fs::exists(path))
      return indexError("shard '" + shard + "' does not exist");
    if (Error e = addFile(path.str().str()))
      return std::move(e);
  }
  for (const auto &[name, value] : *map) {
    Entry e = w.lookup(name);
    if (!e.tensor || llvm::sys::path::filename(e.file->path()) !=
                         *value.getAsString())
      return indexError("tensor '" + StringRef(name) + "' is not in shard '" +
                        *value.getAsString() + "'");
  }
  return std::move(w);
}

} // namespace hf

//===----------------------------------------------------------------------===//
// Entry point
//===----------------------------------------------------------------------===//

std::vector<std::string> supportedHfModelTypes() {
  return {"bert", "gpt2", "llama", "mistral", "qwen2", "vit"};
}

Expected<OwningOpRef<ModuleOp>>
importHfCheckpoint(MLIRContext *ctx, const std::string &dir,
                   const HfImportOptions &options) {
  llvm::SmallString<256> configPath(dir);
  llvm::sys::path::append(configPath, "config.json");
  if (!llvm::sys::fs::exists(configPath))
    return llvm::createStringError(
        dir + ": not a checkpoint directory: no config.json");

  auto text = llvm::MemoryBuffer::getFile(configPath, /*IsText=*/true);
  if (!text)
    return llvm::createStringError(configPath + ": cannot read: " +
                                   text.getError().message());
  Expected<llvm::json::Value> json = llvm::json::parse((*text)->getBuffer());
  if (!json)
    return llvm::createStringError(configPath + ": not valid JSON: " +
                                   llvm::toString(json.takeError()));
  const llvm::json::Object *config = json->getAsObject();
  if (!config)
    return llvm::createStringError(configPath + ": not a JSON object");

  Expected<hf::CheckpointWeights> weights = hf::CheckpointWeights::open(dir);
  if (!weights)
    return weights.takeError();

  hf::HfGraph g(ctx, dir, configPath.str().str(), *config, *weights, options);
  Expected<std::string> modelType = g.configString("model_type", "");
  if (!modelType)
    return modelType.takeError();
  auto build = [&]() -> Error {
    if (*modelType == "bert")
      return hf::buildBert(g);
    if (*modelType == "gpt2")
      return hf::buildGpt2(g);
    if (*modelType == "llama")
      return hf::buildLlama(g);
    if (*modelType == "mistral")
      return hf::buildMistral(g);
    if (*modelType == "qwen2")
      return hf::buildQwen2(g);
    if (*modelType == "vit")
      return hf::buildVit(g);
    if (modelType->empty())
      return g.configError("missing string 'model_type'");
    return g.configError("unsupported model_type '" + *modelType +
                         "' (supported: bert, gpt2, llama, mistral, qwen2, "
                         "vit)");
  };
  if (Error e = build())
    return std::move(e);
  return std::move(g.module);
}

} // namespace tessera
