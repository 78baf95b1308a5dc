//===- OnnxImporter.cpp - ONNX models into the tsr dialect ----------------===//
//
// Reads the protobuf, turns initializers into resource-blob constants (or
// host tensors when small), declares the graph inputs as arguments of
// @main, converts the nodes in order and returns the graph outputs.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/OnnxImporter.h"
#include "frontends/onnx/ImporterState.h"

#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/BuiltinDialect.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <google/protobuf/io/zero_copy_stream_impl.h>
#include <onnx/defs/schema.h>

#include <cstring>
#include <limits>

using namespace mlir;
using llvm::Error;
using llvm::Expected;

namespace tessera::onnx_import {

//===----------------------------------------------------------------------===//
// Tensors from TensorProto
//===----------------------------------------------------------------------===//

/// The most elements one tensor may have: 2^40 (4 TiB of f32) is far beyond
/// any model, and small enough that byte sizes never overflow int64. A
/// corrupt or hostile dim must not reach code that multiplies dims.
constexpr int64_t kMaxTensorElements = int64_t(1) << 40;

/// True when the static dims of `shape` multiply past kMaxTensorElements.
static bool exceedsTensorLimit(ArrayRef<int64_t> shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    if (!ShapedType::isDynamic(d) &&
        (d > kMaxTensorElements || llvm::MulOverflow(n, d, n) ||
         n > kMaxTensorElements))
      return true;
  return false;
}

/// Checks a node's input and output counts against its schema, and that
/// no required input is omitted (""): converters index their operands
/// without re-checking (a Softmax with no input crashed one). The schema is
/// the one of the model's opset, or the newest the installed libonnx knows
/// for newer opsets; then only the minimum counts and required inputs are
/// checked, since later opsets add optional inputs but do not drop
/// required ones.
static Error checkSchemaArity(Importer &im, const onnx::NodeProto &node) {
  if (!node.domain().empty() && node.domain() != "ai.onnx")
    return Error::success();
  const auto &versions =
      onnx::OpSchemaRegistry::DomainToVersionRange::Instance().Map();
  auto known = versions.find("");
  if (known == versions.end())
    return Error::success();
  bool newer = im.opset > known->second.second;
  const onnx::OpSchema *schema = onnx::OpSchemaRegistry::Schema(
      node.op_type(),
      static_cast<int>(newer ? known->second.second : im.opset), "");
  if (!schema)
    return Error::success();
  auto range = [](int lo, int hi) {
    if (lo == hi)
      return std::to_string(lo);
    if (hi == std::numeric_limits<int>::max())
      return "at least " + std::to_string(lo);
    return std::to_string(lo) + " to " + std::to_string(hi);
  };
  if (node.input_size() < schema->min_input() ||
      (!newer && node.input_size() > schema->max_input()))
    return im.nodeError(node, "takes " +
                                  range(schema->min_input(),
                                        schema->max_input()) +
                                  (schema->max_input() == 1 ? " input"
                                                            : " inputs") +
                                  ", not " +
                                  llvm::Twine(node.input_size()));
  if (node.output_size() < schema->min_output() ||
      (!newer && node.output_size() > schema->max_output()))
    return im.nodeError(node, "has " +
                                  range(schema->min_output(),
                                        schema->max_output()) +
                                  (schema->max_output() == 1 ? " output"
                                                             : " outputs") +
                                  ", not " +
                                  llvm::Twine(node.output_size()));
  const auto &formals = schema->inputs();
  for (int i = 0; i < node.input_size() && !formals.empty(); ++i) {
    const auto &formal = formals[std::min<size_t>(i, formals.size() - 1)];
    if (node.input(i).empty() &&
        formal.GetOption() != onnx::OpSchema::Optional)
      return im.nodeError(node, "input " + llvm::Twine(i) + " ('" +
                                    formal.GetName() +
                                    "') is required but empty");
  }
  return Error::success();
}

/// Checks that the inputs a node's schema gives one type parameter (the "T"
/// of X, Scale and B in LayerNormalization) have one element type: the
/// converters assume it, and the IR they build would not verify otherwise
/// (the JSON fuzz target found an f32 bias on f64 data). Only at opsets the
/// installed libonnx describes, as a newer opset may change an op's types;
/// an op older opsets lack is converted as its newest form, so checked
/// against that.
static Error checkSchemaTypes(Importer &im, const onnx::NodeProto &node) {
  if (!node.domain().empty() && node.domain() != "ai.onnx")
    return Error::success();
  const auto &versions =
      onnx::OpSchemaRegistry::DomainToVersionRange::Instance().Map();
  auto known = versions.find("");
  if (known == versions.end() || im.opset > known->second.second)
    return Error::success();
  const onnx::OpSchema *schema = onnx::OpSchemaRegistry::Schema(
      node.op_type(), static_cast<int>(im.opset), "");
  if (!schema)
    schema = onnx::OpSchemaRegistry::Schema(node.op_type(),
                                            known->second.second, "");
  if (!schema || schema->inputs().empty())
    return Error::success();
  const auto &formals = schema->inputs();
  llvm::StringSet<> typeParams;
  for (const auto &param : schema->typeConstraintParams())
    typeParams.insert(param.type_param_str);
  llvm::StringMap<std::pair<int, Type>> seen;
  for (int i = 0; i < node.input_size(); ++i) {
    size_t f = std::min<size_t>(i, formals.size() - 1);
    if (static_cast<size_t>(i) >= formals.size() &&
        formals.back().GetOption() != onnx::OpSchema::Variadic)
      break;
    const onnx::OpSchema::FormalParameter &formal = formals[f];
    if (node.input(i).empty() ||
        (formal.GetOption() == onnx::OpSchema::Variadic &&
         !formal.GetIsHomogeneous()) ||
        !typeParams.contains(formal.GetTypeStr()))
      continue;
    auto value = im.values.find(node.input(i));
    if (value == im.values.end())
      continue;
    Type type = value->second.tensor
                    ? cast<ShapedType>(value->second.tensor.getType())
                          .getElementType()
                    : value->second.host->elementType;
    auto [entry, inserted] =
        seen.try_emplace(formal.GetTypeStr(), std::make_pair(i, type));
    if (inserted || entry->second.second == type)
      continue;
    std::string have, want;
    llvm::raw_string_ostream(have) << type;
    llvm::raw_string_ostream(want) << entry->second.second;
    return im.nodeError(node, "input " + llvm::Twine(i) + " ('" +
                                  node.input(i) + "') is " + have +
                                  " but input " +
                                  llvm::Twine(entry->second.first) + " is " +
                                  want + "; the op wants one type ('" +
                                  formal.GetTypeStr() + "') for both");
  }
  return Error::success();
}

/// Reads a TensorProto's bytes (raw_data, typed fields or external data)
/// into little-endian dense row-major storage. The size its shape claims is
/// checked against the data actually present (in the proto or the external
/// file) before anything is allocated: a corrupt dim must not make the
/// importer allocate terabytes.
static Expected<std::vector<char>>
readTensorBytes(Importer &im, const onnx::TensorProto &t, Type elt,
                int64_t numElements, const std::string &modelDir) {
  if (!elt.isInteger(1) && elt.getIntOrFloatBitWidth() < 8)
    return im.fileError("tensor '" + t.name() +
                        "': unsupported 4-bit initializer (4-bit types are "
                        "supported as graph inputs and outputs only)");
  size_t eltBytes = elt.isInteger(1) ? 1 : elt.getIntOrFloatBitWidth() / 8;
  if (numElements < 0 ||
      static_cast<uint64_t>(numElements) >
          std::numeric_limits<uint64_t>::max() / 16)
    return im.fileError("tensor '" + t.name() + "' has an invalid size");
  size_t bytes = static_cast<size_t>(numElements) * eltBytes;
  std::string what = "tensor '" + t.name() + "'";
  auto copyOf = [](const void *data, size_t size) {
    const char *begin = static_cast<const char *>(data);
    return size ? std::vector<char>(begin, begin + size) : std::vector<char>();
  };

  if (t.data_location() == onnx::TensorProto::EXTERNAL) {
    std::string location;
    uint64_t offset = 0, length = bytes;
    bool hasLength = false;
    for (const auto &kv : t.external_data()) {
      if (kv.key() == "location")
        location = kv.value();
      else if (kv.key() == "offset" || kv.key() == "length") {
        uint64_t v;
        if (llvm::StringRef(kv.value()).getAsInteger(10, v))
          return im.fileError(what + ": external data " + kv.key() +
                              " is not a number");
        (kv.key() == "offset" ? offset : length) = v;
        hasLength |= kv.key() == "length";
      }
    }
    if (location.empty() || llvm::sys::path::is_absolute(location) ||
        llvm::StringRef(location).contains(".."))
      return im.fileError(what + ": external data location '" + location +
                          "' must be a relative path inside the model's "
                          "directory");
    if (hasLength && length != bytes)
      return im.fileError(what + ": external data length " +
                          llvm::Twine(length) + " does not match the " +
                          llvm::Twine(bytes) + " bytes its shape needs");
    llvm::SmallString<256> file(modelDir);
    llvm::sys::path::append(file, location);
    uint64_t fileSize = 0;
    if (std::error_code ec = llvm::sys::fs::file_size(file, fileSize))
      return im.fileError(what + ": cannot read external data '" +
                          file.str() + "': " + ec.message());
    if (offset > fileSize || bytes > fileSize - offset)
      return im.fileError(what + ": external data '" + file.str() + "' (" +
                          llvm::Twine(fileSize) +
                          " bytes) ends before offset+length (" +
                          llvm::Twine(offset) + "+" + llvm::Twine(bytes) +
                          ")");
    auto buffer = llvm::MemoryBuffer::getFileSlice(file, bytes, offset,
                                                   /*IsVolatile=*/false);
    if (!buffer)
      return im.fileError(what + ": cannot read external data '" +
                          file.str() + "': " + buffer.getError().message());
    if ((*buffer)->getBufferSize() != bytes)
      return im.fileError(what + ": external data '" + file.str() +
                          "' ends before offset+length");
    return copyOf((*buffer)->getBufferStart(), bytes);
  }
  if (t.has_raw_data()) {
    if (t.raw_data().size() != bytes)
      return im.fileError(what + " has " + llvm::Twine(t.raw_data().size()) +
                          " bytes of raw data but its shape needs " +
                          llvm::Twine(bytes));
    return copyOf(t.raw_data().data(), bytes);
  }
  auto checkCount = [&](int count) -> Error {
    if (static_cast<int64_t>(count) != numElements)
      return im.fileError(what + " has " + llvm::Twine(count) +
                          " values but its shape needs " +
                          llvm::Twine(numElements));
    return Error::success();
  };
  using TP = onnx::TensorProto;
  switch (t.data_type()) {
  case TP::FLOAT:
    if (Error e = checkCount(t.float_data_size()))
      return std::move(e);
    return copyOf(t.float_data().data(), bytes);
  case TP::DOUBLE:
    if (Error e = checkCount(t.double_data_size()))
      return std::move(e);
    return copyOf(t.double_data().data(), bytes);
  case TP::INT64:
    if (Error e = checkCount(t.int64_data_size()))
      return std::move(e);
    return copyOf(t.int64_data().data(), bytes);
  case TP::INT32:
  case TP::INT16:
  case TP::INT8:
  case TP::UINT8:
  case TP::UINT16:
  case 17: // the 8-bit floats, as their bit patterns
  case 18:
  case 19:
  case 20:
  case TP::BOOL:
  case TP::FLOAT16:
  case TP::BFLOAT16: {
    if (Error e = checkCount(t.int32_data_size()))
      return std::move(e);
    std::vector<char> out(bytes);
    for (int64_t i = 0; i < numElements; ++i) {
      int32_t v = t.int32_data(i);
      std::memcpy(out.data() + i * eltBytes, &v, eltBytes);
    }
    return out;
  }
  case TP::UINT32:
  case TP::UINT64: {
    if (Error e = checkCount(t.uint64_data_size()))
      return std::move(e);
    std::vector<char> out(bytes);
    for (int64_t i = 0; i < numElements; ++i) {
      uint64_t v = t.uint64_data(i);
      std::memcpy(out.data() + i * eltBytes, &v, eltBytes); // little-endian
    }
    return out;
  }
  default:
    return im.fileError(what + " has an unsupported data type");
  }
}

/// The value of a weight of `type` whose bytes are `bytes`: a host tensor
/// when small enough to fold, and a tsr.constant of `largeAttr()` (a resource
/// blob, never copied into IR text) when large or when `asWeight` asks for a
/// tensor anyway.
static ImportedValue
weightValue(Importer &im, const std::string &name, RankedTensorType type,
            ArrayRef<char> bytes, bool asWeight,
            llvm::function_ref<ElementsAttr()> largeAttr) {
  int64_t n = type.getNumElements();
  ImportedValue v;
  if (n <= kMaxHostElements && !type.getElementType().isInteger(1)) {
    auto attr = DenseElementsAttr::getFromRawBuffer(type, bytes);
    v.host = im.hostFromElements(attr);
  } else if (n <= kMaxHostElements) {
    SmallVector<bool> bits;
    for (char c : bytes)
      bits.push_back(c != 0);
    v.host = im.hostFromElements(DenseElementsAttr::get(type, bits));
  }
  if (asWeight && (!v.host || n >= 64)) {
    auto c = tsr::ConstantOp::create(im.b, im.loc, largeAttr());
    if (!name.empty())
      c->setAttr(tsr::kConstantNameAttr, im.b.getStringAttr(name));
    v.tensor = c;
  }
  if (!v.host && !v.tensor) {
    // Small but not tracked (e.g. i1 with odd layout): dense constant.
    v.tensor = tsr::ConstantOp::create(
        im.b, im.loc, DenseElementsAttr::getFromRawBuffer(type, bytes));
  }
  return v;
}

/// Builds the value of an initializer or Constant node.
static Expected<ImportedValue> importTensor(Importer &im,
                                            const onnx::TensorProto &t,
                                            const std::string &modelDir,
                                            bool asWeight) {
  Expected<Type> elt =
      im.elementType(t.data_type(), "tensor '" + t.name() + "'");
  if (!elt)
    return elt.takeError();
  SmallVector<int64_t> shape;
  int64_t n = 1;
  for (int64_t d : t.dims()) {
    if (d < 0 || (d > 0 && n > std::numeric_limits<int64_t>::max() / d))
      return im.fileError("tensor '" + t.name() + "' has an invalid dim " +
                          llvm::Twine(d));
    shape.push_back(d);
    n *= d;
  }
  Expected<std::vector<char>> bytes =
      readTensorBytes(im, t, *elt, n, modelDir);
  if (!bytes)
    return bytes.takeError();
  auto type = RankedTensorType::get(shape, *elt);
  return weightValue(im, t.name(), type, *bytes, asWeight, [&] {
    std::string blobName = t.name().empty() ? "weight" : t.name();
    auto blob = HeapAsmResourceBlob::allocateAndCopyInferAlign(
        ArrayRef<char>(bytes->data(), bytes->size()));
    return DenseResourceElementsAttr::get(type, blobName, std::move(blob));
  });
}

/// Builds the value of a weight given as an attribute (a resource blob over
/// a mapped file, or dense elements) rather than as a TensorProto.
static Expected<ImportedValue> importExternalWeight(Importer &im,
                                                    const ExternalWeight &w) {
  auto type = dyn_cast<RankedTensorType>(w.value.getType());
  if (!type || !type.hasStaticShape())
    return im.fileError("weight '" + w.name + "' has no static tensor type");
  ArrayRef<char> bytes;
  if (auto dense = dyn_cast<DenseElementsAttr>(w.value)) {
    if (dense.isSplat() || type.getElementType().isInteger(1)) {
      // Bit-packed or splat storage: no raw bytes to share; keep as is.
      ImportedValue v;
      v.tensor = tsr::ConstantOp::create(im.b, im.loc, w.value);
      v.tensor.getDefiningOp()->setAttr(tsr::kConstantNameAttr,
                                        im.b.getStringAttr(w.name));
      if (type.getNumElements() <= kMaxHostElements)
        v.host = im.hostFromElements(dense);
      return v;
    }
    bytes = dense.getRawData();
  } else if (auto resource = dyn_cast<DenseResourceElementsAttr>(w.value)) {
    AsmResourceBlob *blob = resource.getRawHandle().getBlob();
    if (!blob)
      return im.fileError("weight '" + w.name + "' has no data");
    bytes = blob->getData();
  } else {
    return im.fileError("weight '" + w.name + "' is not a dense tensor");
  }
  Type elt = type.getElementType();
  size_t eltBytes = elt.isInteger(1) ? 1 : elt.getIntOrFloatBitWidth() / 8;
  if (bytes.size() != static_cast<size_t>(type.getNumElements()) * eltBytes)
    return im.fileError("weight '" + w.name + "' has " +
                        llvm::Twine(bytes.size()) +
                        " bytes but its type needs " +
                        llvm::Twine(type.getNumElements() * eltBytes));
  return weightValue(im, w.name, type, bytes, /*asWeight=*/true,
                     [&] { return w.value; });
}

Expected<ImportedValue> importTensorProto(Importer &im,
                                          const onnx::TensorProto &t,
                                          const std::string &modelDir) {
  return importTensor(im, t, modelDir, /*asWeight=*/true);
}

} // namespace tessera::onnx_import

//===----------------------------------------------------------------------===//
// Model
//===----------------------------------------------------------------------===//

using namespace tessera::onnx_import;

/// Moves the raw data of the large floating-point initializers out of
/// `model` into resource blobs that own it, and removes those initializers
/// from the proto: weights are then held once, by the blobs, and a blob that
/// a pass frees (tsr-pack-weights replacing a weight by its packed copy)
/// returns its memory. Copying them instead held every weight twice while
/// importing (the proto's strings and the blobs): 2x a BERT-base's 440 MB.
/// Initializers whose data is external, typed or does not match their shape
/// stay in the proto for importTensorProto (and its error messages).
static std::vector<tessera::ExternalWeight>
takeLargeWeights(MLIRContext *ctx, onnx::ModelProto &model) {
  using TP = onnx::TensorProto;
  std::vector<tessera::ExternalWeight> taken;
  if (!model.has_graph())
    return taken;
  auto *initializers = model.mutable_graph()->mutable_initializer();
  int kept = 0;
  for (int i = 0; i < initializers->size(); ++i) {
    TP &t = *initializers->Mutable(i);
    Type elt;
    switch (t.data_type()) {
    case TP::FLOAT: elt = Float32Type::get(ctx); break;
    case TP::DOUBLE: elt = Float64Type::get(ctx); break;
    case TP::FLOAT16: elt = Float16Type::get(ctx); break;
    case TP::BFLOAT16: elt = BFloat16Type::get(ctx); break;
    default: break;
    }
    uint64_t n = 1;
    bool validShape = true;
    SmallVector<int64_t> shape;
    for (int64_t d : t.dims()) {
      validShape &= d >= 0 &&
                    !__builtin_mul_overflow(n, static_cast<uint64_t>(d), &n) &&
                    n <= (uint64_t(1) << 40);
      shape.push_back(d);
    }
    size_t eltBytes = elt ? elt.getIntOrFloatBitWidth() / 8 : 0;
    if (!elt || !validShape || n <= static_cast<uint64_t>(kMaxHostElements) ||
        t.data_location() == TP::EXTERNAL || !t.has_raw_data() ||
        t.raw_data().size() != n * eltBytes) {
      if (kept != i)
        initializers->SwapElements(kept, i);
      ++kept;
      continue;
    }
    auto data = std::make_unique<std::string>(std::move(*t.mutable_raw_data()));
    ArrayRef<char> bytes(data->data(), data->size());
    AsmResourceBlob blob(
        bytes, eltBytes,
        [data = std::move(data)](void *, size_t, size_t) mutable {
          data.reset();
        },
        /*dataIsMutable=*/true);
    std::string blobName = t.name().empty() ? "weight" : t.name();
    taken.push_back(
        {t.name(), DenseResourceElementsAttr::get(
                       RankedTensorType::get(shape, elt), blobName,
                       std::move(blob))});
  }
  initializers->DeleteSubrange(kept, initializers->size() - kept);
  return taken;
}

/// Checks a parsed model and imports it, its large weights taken over.
static llvm::Expected<OwningOpRef<ModuleOp>>
importParsedModel(MLIRContext *ctx, onnx::ModelProto &model,
                  llvm::StringRef displayPath, llvm::StringRef modelDir,
                  const tessera::OnnxImportOptions &options) {
  if (!model.has_graph() || model.graph().node_size() == 0)
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        displayPath + ": the model has no graph (invalid or truncated ONNX "
                      "file)");
  std::vector<tessera::ExternalWeight> weights = takeLargeWeights(ctx, model);
  return tessera::importOnnxModel(ctx, model, displayPath, modelDir, options, weights);
}

llvm::Expected<OwningOpRef<ModuleOp>>
tessera::importOnnxFile(MLIRContext *ctx, const std::string &path,
                        const OnnxImportOptions &options) {
  auto fail = [&](const llvm::Twine &msg) {
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   path + ": " + msg);
  };
  // Parsed from a stream rather than from a mapping of the file: a mapped
  // file's pages count as the compiler's memory, and they would be held
  // (for a BERT-base, 440 MB) next to the parsed proto.
  uint64_t size = 0;
  int fd = -1;
  if (std::error_code ec = llvm::sys::fs::file_size(path, size))
    return fail("cannot read the model: " + ec.message());
  if (std::error_code ec = llvm::sys::fs::openFileForRead(path, fd))
    return fail("cannot read the model: " + ec.message());
  google::protobuf::io::FileInputStream stream(fd);
  stream.SetCloseOnDelete(true);
  if (size == 0)
    return fail("the file is empty, not an ONNX model");
  if (size > static_cast<uint64_t>(INT32_MAX))
    return fail("models over 2 GiB must keep their weights as external data");
  onnx::ModelProto model;
  if (!model.ParseFromZeroCopyStream(&stream))
    return fail("not a valid ONNX model (the protobuf is corrupt or "
                "truncated)");
  std::string modelDir = llvm::sys::path::parent_path(path).str();
  if (modelDir.empty())
    modelDir = ".";
  return importParsedModel(ctx, model, path, modelDir, options);
}

llvm::Expected<OwningOpRef<ModuleOp>>
tessera::importOnnxBuffer(MLIRContext *ctx, llvm::StringRef bytes,
                          llvm::StringRef displayPath,
                          llvm::StringRef modelDir,
                          const OnnxImportOptions &options) {
  auto fail = [&](const llvm::Twine &msg) {
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   displayPath + ": " + msg);
  };
  if (bytes.empty())
    return fail("the file is empty, not an ONNX model");
  if (bytes.size() > static_cast<size_t>(INT32_MAX))
    return fail("models over 2 GiB must keep their weights as external data");
  onnx::ModelProto model;
  if (!model.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
    return fail("not a valid ONNX model (the protobuf is corrupt or "
                "truncated)");
  return importParsedModel(ctx, model, displayPath, modelDir, options);
}
namespace {

/// importOnnxModel of a copy of `model` in which each bound input
/// (options.boundInputs) is an initializer: checked against the input's
/// element type, rank and static dims, with errors naming the input.
llvm::Expected<OwningOpRef<ModuleOp>>
importBound(MLIRContext *ctx, const onnx::ModelProto &model,
            llvm::StringRef displayPath, llvm::StringRef modelDir,
            const tessera::OnnxImportOptions &options,
            llvm::ArrayRef<tessera::ExternalWeight> externalWeights) {
  auto fail = [&](const llvm::Twine &msg) {
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   displayPath + ": " + msg);
  };
  onnx::ModelProto bound = model;
  onnx::GraphProto &graph = *bound.mutable_graph();
  std::set<std::string> initializers;
  for (const auto &t : graph.initializer())
    initializers.insert(t.name());
  for (const auto &[name, value] : options.boundInputs) {
    const onnx::ValueInfoProto *input = nullptr;
    for (const auto &in : graph.input())
      if (in.name() == name && !initializers.count(name))
        input = &in;
    if (!input) {
      std::string names;
      for (const auto &in : graph.input())
        if (!initializers.count(in.name()))
          names += (names.empty() ? "'" : ", '") + in.name() + "'";
      return fail("--bind-input '" + name + "': the model has no input of "
                  "that name (its inputs: " + names + ")");
    }
    const auto &tt = input->type().tensor_type();
    int32_t type = value.onnxDataType;
    std::string raw = value.rawData;
    if (value.integerList) {
      type = tt.elem_type();
      if (type == onnx::TensorProto::INT32) {
        std::string narrow;
        for (size_t i = 0; i + 8 <= raw.size(); i += 8) {
          int64_t v;
          std::memcpy(&v, raw.data() + i, 8);
          if (v < INT32_MIN || v > INT32_MAX)
            return fail("--bind-input '" + name + "': " + llvm::Twine(v) +
                        " does not fit the input's int32");
          int32_t n = static_cast<int32_t>(v);
          narrow.append(reinterpret_cast<const char *>(&n), 4);
        }
        raw = narrow;
      } else if (type != onnx::TensorProto::INT64) {
        return fail("--bind-input '" + name + "': a list of integers needs "
                    "an int64 or int32 input");
      }
    }
    if (type != tt.elem_type())
      return fail("--bind-input '" + name + "': the value's element type (" +
                  onnx::TensorProto::DataType_Name(
                      static_cast<onnx::TensorProto::DataType>(type)) +
                  ") is not the input's (" +
                  onnx::TensorProto::DataType_Name(
                      static_cast<onnx::TensorProto::DataType>(
                          tt.elem_type())) +
                  ")");
    if (tt.has_shape()) {
      const auto &dims = tt.shape().dim();
      if (dims.size() != static_cast<int>(value.shape.size()))
        return fail("--bind-input '" + name + "': the value has rank " +
                    llvm::Twine(value.shape.size()) + ", the input " +
                    llvm::Twine(dims.size()));
      for (int d = 0; d < dims.size(); ++d)
        if (dims[d].has_dim_value() && dims[d].dim_value() >= 0 &&
            dims[d].dim_value() != value.shape[d])
          return fail("--bind-input '" + name + "': dim " + llvm::Twine(d) +
                      " is " + llvm::Twine(value.shape[d]) +
                      ", the input's is " + llvm::Twine(dims[d].dim_value()));
    }
    onnx::TensorProto *t = graph.add_initializer();
    t->set_name(name);
    t->set_data_type(type);
    for (int64_t d : value.shape)
      t->add_dims(d);
    t->set_raw_data(raw);
  }
  tessera::OnnxImportOptions rest = options;
  rest.boundInputs.clear();
  return tessera::importOnnxModel(ctx, bound, displayPath, modelDir, rest,
                                  externalWeights);
}

} // namespace

llvm::Expected<OwningOpRef<ModuleOp>>
tessera::importOnnxModel(MLIRContext *ctx, const onnx::ModelProto &model,
                         llvm::StringRef displayPath,
                         llvm::StringRef modelDirRef,
                         const OnnxImportOptions &options,
                         llvm::ArrayRef<ExternalWeight> externalWeights) {
  ctx->loadDialect<tsr::TsrDialect, func::FuncDialect, arith::ArithDialect,
                   tensor::TensorDialect>();
  std::string path = displayPath.str();
  auto fail = [&](const llvm::Twine &msg) {
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   path + ": " + msg);
  };
  if (!model.has_graph())
    return fail("the model has no graph");
  if (!options.boundInputs.empty())
    return importBound(ctx, model, displayPath, modelDirRef, options,
                       externalWeights);

  int64_t opset = -1;
  for (const auto &o : model.opset_import())
    if (o.domain().empty() || o.domain() == "ai.onnx")
      opset = o.version();
  if (opset < 0)
    return fail("unsupported model: it imports no opset of the default ONNX "
                "domain (only ai.onnx ops are supported)");
  if (opset < 7)
    return fail("unsupported: opset " + llvm::Twine(opset) +
                " is too old (need >= 7)");

  std::string modelDir = modelDirRef.empty() ? "." : modelDirRef.str();
  Importer im(ctx, path, opset);
  im.modelDir = modelDir;
  const onnx::GraphProto &graph = model.graph();

  OwningOpRef<ModuleOp> module = ModuleOp::create(im.loc);
  im.b.setInsertionPointToEnd(module->getBody());

  // Inputs (graph inputs that are not initializers).
  llvm::StringSet<> initializerNames;
  for (const auto &t : graph.initializer())
    initializerNames.insert(t.name());
  for (const ExternalWeight &w : externalWeights)
    initializerNames.insert(w.name);
  SmallVector<Type> argTypes;
  SmallVector<DictionaryAttr> argAttrs;
  SmallVector<std::string> argNames;
  std::set<std::string> usedOverrides;
  for (const auto &in : graph.input()) {
    if (initializerNames.contains(in.name()))
      continue;
    if (!in.type().has_tensor_type())
      return fail("input '" + in.name() +
                  "' is not a tensor (sequence, map and optional inputs are "
                  "unsupported)");
    const auto &tt = in.type().tensor_type();
    Expected<Type> elt =
        im.elementType(tt.elem_type(), "input '" + in.name() + "'");
    if (!elt)
      return elt.takeError();
    if (!tt.has_shape())
      return fail("input '" + in.name() +
                  "' has no shape (its rank must be known)");
    SmallVector<int64_t> shape;
    SmallVector<Attribute> dimNames;
    for (const auto &d : tt.shape().dim()) {
      if (d.has_dim_value() && d.dim_value() >= 0) {
        shape.push_back(d.dim_value());
        dimNames.push_back(im.b.getStringAttr(""));
      } else {
        shape.push_back(ShapedType::kDynamic);
        dimNames.push_back(im.b.getStringAttr(d.dim_param()));
      }
    }
    auto over = options.inputShapes.find(in.name());
    if (over != options.inputShapes.end()) {
      usedOverrides.insert(in.name());
      if (over->second.size() != shape.size())
        return fail("--input-shape for '" + in.name() + "' has rank " +
                    llvm::Twine(over->second.size()) + " but the model says " +
                    llvm::Twine(shape.size()));
      for (size_t d = 0; d < shape.size(); ++d) {
        if (!ShapedType::isDynamic(shape[d]) && shape[d] != over->second[d])
          return fail("--input-shape for '" + in.name() + "': dim " +
                      llvm::Twine(d) + " is " + llvm::Twine(shape[d]) +
                      " in the model");
        shape[d] = over->second[d];
        dimNames[d] = im.b.getStringAttr("");
      }
    }
    if (shape.size() > 8)
      return fail("input '" + in.name() + "' has rank " +
                  llvm::Twine(shape.size()) + " (at most 8 supported)");
    if (exceedsTensorLimit(shape))
      return fail("input '" + in.name() + "' has more than 2^40 elements");
    argTypes.push_back(RankedTensorType::get(shape, *elt));
    argAttrs.push_back(im.b.getDictionaryAttr(
        {im.b.getNamedAttr(tsr::kTensorNameAttr,
                           im.b.getStringAttr(in.name())),
         im.b.getNamedAttr(tsr::kDimNamesAttr,
                           im.b.getArrayAttr(dimNames))}));
    argNames.push_back(in.name());
  }
  for (const auto &[name, shape] : options.inputShapes)
    if (!usedOverrides.count(name))
      return fail("--input-shape names '" + name +
                  "', which is not an input of the model");

  auto fn = func::FuncOp::create(im.b, im.loc, "main",
                                 im.b.getFunctionType(argTypes, {}));
  Block *entry = fn.addEntryBlock();
  for (unsigned i = 0; i < argTypes.size(); ++i) {
    fn.setArgAttrs(i, argAttrs[i]);
    im.values[argNames[i]] = ImportedValue{entry->getArgument(i), std::nullopt};
  }
  im.b.setInsertionPointToStart(entry);

  for (const auto &t : graph.initializer()) {
    Expected<ImportedValue> v = importTensorProto(im, t, modelDir);
    if (!v)
      return v.takeError();
    im.values[t.name()] = std::move(*v);
  }
  for (const ExternalWeight &w : externalWeights) {
    Expected<ImportedValue> v = importExternalWeight(im, w);
    if (!v)
      return v.takeError();
    im.values[w.name] = std::move(*v);
  }

  for (const auto &node : graph.node()) {
    im.loc = NameLoc::get(im.b.getStringAttr(node.name()),
                          FileLineColLoc::get(ctx, path, 0, 0));
    if (Error e = checkSchemaArity(im, node))
      return std::move(e);
    if (Error e = checkSchemaTypes(im, node))
      return std::move(e);
    if (Error e = convertNode(im, node))
      return std::move(e);
    for (const std::string &out : node.output()) {
      auto it = im.values.find(out);
      if (it == im.values.end() || !it->second.tensor)
        continue;
      if (auto type = dyn_cast<RankedTensorType>(it->second.tensor.getType()))
        if (exceedsTensorLimit(type.getShape()))
          return im.nodeError(node, "result '" + out +
                                        "' would have more than 2^40 elements");
    }
  }

  // Outputs.
  SmallVector<Value> results;
  SmallVector<DictionaryAttr> resultAttrs;
  for (const auto &out : graph.output()) {
    auto it = im.values.find(out.name());
    if (it == im.values.end())
      return fail("graph output '" + out.name() + "' is never produced");
    if (!it->second.tensor)
      it->second.tensor = im.materialize(*it->second.host);
    results.push_back(it->second.tensor);
    resultAttrs.push_back(im.b.getDictionaryAttr({im.b.getNamedAttr(
        tsr::kTensorNameAttr, im.b.getStringAttr(out.name()))}));
  }
  func::ReturnOp::create(im.b, im.loc, results);
  fn.setType(im.b.getFunctionType(argTypes, ValueRange(results).getTypes()));
  for (unsigned i = 0; i < resultAttrs.size(); ++i)
    fn.setResultAttrs(i, resultAttrs[i]);
  return std::move(module);
}
