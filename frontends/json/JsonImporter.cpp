//===- JsonImporter.cpp - JSON graphs into the tsr dialect ----------------===//
//
// Turns a JSON graph (docs/json-format.md) into an onnx::ModelProto plus a
// list of weights taken from a .safetensors file, then hands both to the
// ONNX importer. Attribute values take their type from the op's ONNX schema
// (libonnx), so `"alpha": 1` is a float where the schema says float; for ops
// the schema registry does not know, the JSON literal decides, or an
// explicit {"type": ..., "value": ...} object.
//
//===----------------------------------------------------------------------===//

#include "frontends/json/JsonImporter.h"
#include "frontends/safetensors/Safetensors.h"

#include "llvm/ADT/APFloat.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <onnx/defs/schema.h>
#include <onnx/onnx_pb.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <optional>

using llvm::Error;
using llvm::Expected;
using llvm::StringRef;
using llvm::Twine;
namespace json = llvm::json;

namespace tessera {

JsonGraph::JsonGraph() : model(std::make_unique<onnx::ModelProto>()) {}
JsonGraph::JsonGraph(JsonGraph &&) = default;
JsonGraph::~JsonGraph() = default;

namespace {

/// Deeper nesting than this is rejected before parsing: llvm::json's parser
/// recurses per level, and no graph needs more.
constexpr int kMaxNesting = 64;
/// ONNX and the importer support tensors up to this rank.
constexpr size_t kMaxRank = 8;

struct DType {
  StringRef name;
  int32_t onnxType;
  std::optional<SafetensorsDType> safetensors;
};

const DType kDTypes[] = {
    {"float32", onnx::TensorProto::FLOAT, SafetensorsDType::F32},
    {"float16", onnx::TensorProto::FLOAT16, SafetensorsDType::F16},
    {"bfloat16", onnx::TensorProto::BFLOAT16, SafetensorsDType::BF16},
    {"float64", onnx::TensorProto::DOUBLE, SafetensorsDType::F64},
    {"int64", onnx::TensorProto::INT64, SafetensorsDType::I64},
    {"int32", onnx::TensorProto::INT32, SafetensorsDType::I32},
    {"int16", onnx::TensorProto::INT16, SafetensorsDType::I16},
    {"int8", onnx::TensorProto::INT8, SafetensorsDType::I8},
    {"uint8", onnx::TensorProto::UINT8, SafetensorsDType::U8},
    {"bool", onnx::TensorProto::BOOL, SafetensorsDType::BOOL},
};

const DType *lookupDType(StringRef name) {
  for (const DType &d : kDTypes)
    if (d.name == name)
      return &d;
  return nullptr;
}

std::string dtypeList() {
  std::string s;
  for (const DType &d : kDTypes)
    s += (s.empty() ? "" : ", ") + d.name.str();
  return s;
}

/// The JSON kind of `v`, for "must be X, not Y" messages.
StringRef kindName(const json::Value &v) {
  switch (v.kind()) {
  case json::Value::Null: return "null";
  case json::Value::Boolean: return "a boolean";
  case json::Value::Number: return "a number";
  case json::Value::String: return "a string";
  case json::Value::Array: return "an array";
  case json::Value::Object: return "an object";
  }
  return "a value";
}

/// Rejects nesting deeper than kMaxNesting (outside strings) so that the
/// recursive parser cannot exhaust the stack.
std::optional<size_t> findTooDeepNesting(StringRef text) {
  int depth = 0;
  bool inString = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (inString) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        inString = false;
      continue;
    }
    if (c == '"')
      inString = true;
    else if (c == '[' || c == '{') {
      if (++depth > kMaxNesting)
        return i;
    } else if (c == ']' || c == '}')
      --depth;
  }
  return std::nullopt;
}

/// Line and column (1-based) of byte `offset` of `text`.
std::pair<unsigned, unsigned> lineColumn(StringRef text, size_t offset) {
  unsigned line = 1, col = 1;
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  return {line, col};
}

class GraphParser {
public:
  GraphParser(mlir::MLIRContext *ctx, StringRef baseDir, StringRef file)
      : ctx(ctx), baseDir(baseDir.empty() ? "." : baseDir.str()),
        file(file.str()) {}

  Expected<JsonGraph> parse(StringRef text);

private:
  mlir::MLIRContext *ctx;
  std::string baseDir;
  std::string file;
  int64_t opset = 17;
  JsonGraph graph;
  std::optional<SafetensorsFile> weightsFile;
  std::string weightsFileName;
  /// Every name an input, weight or earlier node output defines.
  llvm::StringSet<> defined;

  Error err(const Twine &msg) {
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   file + ": " + msg);
  }

  // --- Field access ---------------------------------------------------------
  Error checkFields(const json::Object &obj, llvm::ArrayRef<StringRef> allowed,
                    const Twine &what);
  Expected<const json::Object *> object(const json::Value &v,
                                        const Twine &what);
  Expected<const json::Array *> array(const json::Object &obj, StringRef key,
                                      const Twine &what, bool required);
  Expected<std::optional<std::string>> string(const json::Object &obj,
                                              StringRef key, const Twine &what,
                                              bool required);
  Expected<const DType *> dtype(const json::Object &obj, const Twine &what,
                                bool required);
  Expected<std::optional<std::vector<int64_t>>>
  staticShape(const json::Object &obj, const Twine &what, bool required);

  // --- Sections -------------------------------------------------------------
  Error parseInput(const json::Value &v, size_t index);
  Error parseOutput(const json::Value &v, size_t index);
  Error parseWeight(const json::Value &v, size_t index);
  Error parseNode(const json::Value &v, size_t index);

  // --- Tensors and attributes -----------------------------------------------
  /// Fills `t` from a {"dtype", "shape", "data"} object.
  Error inlineTensor(const json::Object &obj, const Twine &what,
                     onnx::TensorProto &t);
  /// Input and output counts (and omitted inputs) against the op's schema.
  Error checkArity(const onnx::OpSchema &schema, const onnx::NodeProto &node,
                   const Twine &what);
  Error attribute(const onnx::OpSchema *schema, StringRef name,
                  const json::Value &v, const Twine &what,
                  onnx::AttributeProto &a);
};

Error GraphParser::checkFields(const json::Object &obj,
                               llvm::ArrayRef<StringRef> allowed,
                               const Twine &what) {
  for (const auto &kv : obj)
    if (!llvm::is_contained(allowed, StringRef(kv.first)))
      return err(what + ": unknown field '" + StringRef(kv.first) + "'");
  return Error::success();
}

Expected<const json::Object *> GraphParser::object(const json::Value &v,
                                                   const Twine &what) {
  if (const json::Object *o = v.getAsObject())
    return o;
  return err(what + " must be an object, not " + kindName(v));
}

Expected<const json::Array *> GraphParser::array(const json::Object &obj,
                                                 StringRef key,
                                                 const Twine &what,
                                                 bool required) {
  const json::Value *v = obj.get(key);
  if (!v) {
    if (required)
      return err(what + ": missing field '" + key + "'");
    return nullptr;
  }
  if (const json::Array *a = v->getAsArray())
    return a;
  return err(what + ": field '" + key + "' must be an array, not " +
             kindName(*v));
}

Expected<std::optional<std::string>>
GraphParser::string(const json::Object &obj, StringRef key, const Twine &what,
                    bool required) {
  const json::Value *v = obj.get(key);
  if (!v) {
    if (required)
      return err(what + ": missing field '" + key + "'");
    return std::optional<std::string>();
  }
  if (std::optional<StringRef> s = v->getAsString())
    return std::optional<std::string>(s->str());
  return err(what + ": field '" + key + "' must be a string, not " +
             kindName(*v));
}

Expected<const DType *> GraphParser::dtype(const json::Object &obj,
                                           const Twine &what, bool required) {
  Expected<std::optional<std::string>> name =
      string(obj, "dtype", what, required);
  if (!name)
    return name.takeError();
  if (!*name)
    return nullptr;
  if (const DType *d = lookupDType(**name))
    return d;
  return err(what + ": unknown dtype '" + **name + "' (supported: " +
             dtypeList() + ")");
}

Expected<std::optional<std::vector<int64_t>>>
GraphParser::staticShape(const json::Object &obj, const Twine &what,
                         bool required) {
  Expected<const json::Array *> dims = array(obj, "shape", what, required);
  if (!dims)
    return dims.takeError();
  if (!*dims)
    return std::optional<std::vector<int64_t>>();
  if ((*dims)->size() > kMaxRank)
    return err(what + ": rank " + Twine((*dims)->size()) +
               " is over the supported " + Twine(kMaxRank));
  std::vector<int64_t> shape;
  int64_t n = 1;
  for (const json::Value &d : **dims) {
    std::optional<int64_t> v = d.getAsInteger();
    if (!v || *v < 0)
      return err(what + ": shape entries must be non-negative integers");
    if (*v > 0 && n > std::numeric_limits<int32_t>::max() / *v)
      return err(what + ": shape has more than 2^31 elements");
    n *= *v;
    shape.push_back(*v);
  }
  return std::optional<std::vector<int64_t>>(std::move(shape));
}

//===----------------------------------------------------------------------===//
// Tensors
//===----------------------------------------------------------------------===//

/// Collects the scalars of a (possibly nested) data array, row-major.
void flatten(const json::Value &v, std::vector<const json::Value *> &out) {
  if (const json::Array *a = v.getAsArray()) {
    for (const json::Value &e : *a)
      flatten(e, out);
    return;
  }
  out.push_back(&v);
}

/// Appends the little-endian bytes of scalar `v` as `type` to `out`, or
/// returns a message saying why it does not fit.
std::optional<std::string> appendScalar(const json::Value &v, int32_t type,
                                        std::string &out) {
  using TP = onnx::TensorProto;
  auto put = [&](const void *p, size_t n) {
    out.append(static_cast<const char *>(p), n);
  };
  if (type == TP::FLOAT || type == TP::DOUBLE || type == TP::FLOAT16 ||
      type == TP::BFLOAT16) {
    double d;
    if (std::optional<double> n = v.getAsNumber()) {
      d = *n;
    } else if (std::optional<StringRef> s = v.getAsString()) {
      if (*s == "nan")
        d = std::numeric_limits<double>::quiet_NaN();
      else if (*s == "inf")
        d = std::numeric_limits<double>::infinity();
      else if (*s == "-inf")
        d = -std::numeric_limits<double>::infinity();
      else
        return "is the string '" + s->str() +
               "' (only \"nan\", \"inf\" and \"-inf\" are numbers)";
    } else {
      return "is " + kindName(v).str() + ", not a number";
    }
    if (type == TP::DOUBLE) {
      put(&d, 8);
    } else if (type == TP::FLOAT) {
      float f = static_cast<float>(d);
      put(&f, 4);
    } else {
      llvm::APFloat f(d);
      bool lost;
      f.convert(type == TP::FLOAT16 ? llvm::APFloat::IEEEhalf()
                                    : llvm::APFloat::BFloat(),
                llvm::APFloat::rmNearestTiesToEven, &lost);
      uint16_t bits = static_cast<uint16_t>(f.bitcastToAPInt().getZExtValue());
      put(&bits, 2);
    }
    return std::nullopt;
  }
  if (type == TP::BOOL) {
    std::optional<bool> b = v.getAsBoolean();
    if (!b) {
      std::optional<int64_t> i = v.getAsInteger();
      if (!i || (*i != 0 && *i != 1))
        return "is " + kindName(v).str() + ", not true, false, 0 or 1";
      b = *i == 1;
    }
    char c = *b ? 1 : 0;
    put(&c, 1);
    return std::nullopt;
  }
  std::optional<int64_t> i = v.getAsInteger();
  if (!i)
    return "is " + kindName(v).str() + ", not an integer";
  int64_t lo, hi;
  size_t bytes;
  switch (type) {
  case TP::INT64: lo = INT64_MIN, hi = INT64_MAX, bytes = 8; break;
  case TP::INT32: lo = INT32_MIN, hi = INT32_MAX, bytes = 4; break;
  case TP::INT16: lo = INT16_MIN, hi = INT16_MAX, bytes = 2; break;
  case TP::INT8: lo = INT8_MIN, hi = INT8_MAX, bytes = 1; break;
  case TP::UINT8: lo = 0, hi = UINT8_MAX, bytes = 1; break;
  default: return "has a dtype without inline data support";
  }
  if (*i < lo || *i > hi)
    return "(" + std::to_string(*i) + ") is out of range";
  // Little-endian: the low bytes of the two's complement value.
  uint64_t u = static_cast<uint64_t>(*i);
  for (size_t k = 0; k < bytes; ++k) {
    char c = static_cast<char>((u >> (8 * k)) & 0xff);
    put(&c, 1);
  }
  return std::nullopt;
}

Error GraphParser::inlineTensor(const json::Object &obj, const Twine &what,
                                onnx::TensorProto &t) {
  Expected<const DType *> dt = dtype(obj, what, /*required=*/true);
  if (!dt)
    return dt.takeError();
  Expected<std::optional<std::vector<int64_t>>> shape =
      staticShape(obj, what, /*required=*/true);
  if (!shape)
    return shape.takeError();
  const json::Value *data = obj.get("data");
  if (!data)
    return err(what + ": missing field 'data'");
  std::vector<const json::Value *> scalars;
  flatten(*data, scalars);
  int64_t n = 1;
  for (int64_t d : **shape)
    n *= d;
  if (static_cast<int64_t>(scalars.size()) != n)
    return err(what + ": 'data' has " + Twine(scalars.size()) +
               " values but shape [" +
               llvm::join(llvm::map_range(**shape,
                                          [](int64_t d) {
                                            return std::to_string(d);
                                          }),
                          ", ") +
               "] needs " + Twine(n));
  std::string bytes;
  for (size_t i = 0; i < scalars.size(); ++i)
    if (std::optional<std::string> why =
            appendScalar(*scalars[i], (*dt)->onnxType, bytes))
      return err(what + ": data element " + Twine(i) + " " + *why + " for " +
                 (*dt)->name);
  t.set_data_type((*dt)->onnxType);
  for (int64_t d : **shape)
    t.add_dims(d);
  t.set_raw_data(std::move(bytes));
  return Error::success();
}

//===----------------------------------------------------------------------===//
// Attributes
//===----------------------------------------------------------------------===//

using AttrType = onnx::AttributeProto::AttributeType;

std::optional<AttrType> attrTypeNamed(StringRef name) {
  using AP = onnx::AttributeProto;
  return llvm::StringSwitch<std::optional<AttrType>>(name)
      .Case("int", AP::INT)
      .Case("float", AP::FLOAT)
      .Case("string", AP::STRING)
      .Case("tensor", AP::TENSOR)
      .Case("ints", AP::INTS)
      .Case("floats", AP::FLOATS)
      .Case("strings", AP::STRINGS)
      .Default(std::nullopt);
}

/// The attribute type a JSON literal implies when no schema says.
std::optional<AttrType> inferAttrType(const json::Value &v) {
  using AP = onnx::AttributeProto;
  switch (v.kind()) {
  case json::Value::Number:
    return v.getAsInteger() ? AP::INT : AP::FLOAT;
  case json::Value::String:
    return AP::STRING;
  case json::Value::Object:
    return AP::TENSOR;
  case json::Value::Array: {
    const json::Array &a = *v.getAsArray();
    if (!a.empty() && a.front().getAsString())
      return AP::STRINGS;
    for (const json::Value &e : a)
      if (!e.getAsInteger())
        return AP::FLOATS;
    return AP::INTS;
  }
  default:
    return std::nullopt;
  }
}

Error GraphParser::attribute(const onnx::OpSchema *schema, StringRef name,
                             const json::Value &raw, const Twine &what,
                             onnx::AttributeProto &a) {
  using AP = onnx::AttributeProto;
  std::string where = (what + ": attribute '" + name + "'").str();
  const json::Value *v = &raw;
  std::optional<AttrType> type;
  // An explicit {"type": ..., "value": ...} wins over schema and literal.
  if (const json::Object *o = raw.getAsObject(); o && o->get("type")) {
    if (Error e = checkFields(*o, {"type", "value"}, where))
      return e;
    std::optional<StringRef> t = o->getString("type");
    if (!t || !(type = attrTypeNamed(*t)))
      return err(where + ": 'type' must be one of int, float, string, "
                         "tensor, ints, floats, strings");
    v = o->get("value");
    if (!v)
      return err(where + ": missing field 'value'");
  } else if (schema) {
    auto it = schema->attributes().find(name.str());
    if (it != schema->attributes().end())
      type = it->second.type;
  }
  if (!type)
    type = inferAttrType(*v);
  if (!type)
    return err(where + " is " + kindName(*v) +
               ", which no attribute type takes");

  a.set_name(name.str());
  a.set_type(*type);
  auto integer = [&](const json::Value &e) -> Expected<int64_t> {
    if (std::optional<int64_t> i = e.getAsInteger())
      return *i;
    return err(where + " must be an integer, not " +
               (e.getAsNumber() ? StringRef("a fraction") : kindName(e)));
  };
  auto real = [&](const json::Value &e) -> Expected<float> {
    if (std::optional<double> d = e.getAsNumber())
      return static_cast<float>(*d);
    return err(where + " must be a number, not " + kindName(e));
  };
  switch (*type) {
  case AP::INT: {
    Expected<int64_t> i = integer(*v);
    if (!i)
      return i.takeError();
    a.set_i(*i);
    return Error::success();
  }
  case AP::FLOAT: {
    Expected<float> f = real(*v);
    if (!f)
      return f.takeError();
    a.set_f(*f);
    return Error::success();
  }
  case AP::STRING:
    if (std::optional<StringRef> s = v->getAsString()) {
      a.set_s(s->str());
      return Error::success();
    }
    return err(where + " must be a string, not " + kindName(*v));
  case AP::INTS:
  case AP::FLOATS:
  case AP::STRINGS: {
    const json::Array *arr = v->getAsArray();
    if (!arr)
      return err(where + " must be an array, not " + kindName(*v));
    for (const json::Value &e : *arr) {
      if (*type == AP::STRINGS) {
        std::optional<StringRef> s = e.getAsString();
        if (!s)
          return err(where + " must hold strings, not " + kindName(e));
        a.add_strings(s->str());
      } else if (*type == AP::INTS) {
        Expected<int64_t> i = integer(e);
        if (!i)
          return i.takeError();
        a.add_ints(*i);
      } else {
        Expected<float> f = real(e);
        if (!f)
          return f.takeError();
        a.add_floats(*f);
      }
    }
    return Error::success();
  }
  case AP::TENSOR: {
    Expected<const json::Object *> o = object(*v, where);
    if (!o)
      return o.takeError();
    if (Error e = checkFields(**o, {"dtype", "shape", "data"}, where))
      return e;
    return inlineTensor(**o, where, *a.mutable_t());
  }
  default:
    return err(where + " has an attribute type (" + AP::AttributeType_Name(*type) +
               ") that JSON graphs cannot express");
  }
}

//===----------------------------------------------------------------------===//
// Sections
//===----------------------------------------------------------------------===//

Error GraphParser::parseInput(const json::Value &v, size_t index) {
  std::string what = "input #" + std::to_string(index);
  Expected<const json::Object *> obj = object(v, what);
  if (!obj)
    return obj.takeError();
  Expected<std::optional<std::string>> name =
      string(**obj, "name", what, /*required=*/true);
  if (!name)
    return name.takeError();
  what = "input '" + **name + "'";
  if (Error e = checkFields(**obj, {"name", "dtype", "shape"}, what))
    return e;
  if (!defined.insert(**name).second)
    return err(what + " is defined twice");
  Expected<const DType *> dt = dtype(**obj, what, /*required=*/true);
  if (!dt)
    return dt.takeError();
  Expected<const json::Array *> dims =
      array(**obj, "shape", what, /*required=*/true);
  if (!dims)
    return dims.takeError();
  if ((*dims)->size() > kMaxRank)
    return err(what + ": rank " + Twine((*dims)->size()) +
               " is over the supported " + Twine(kMaxRank));

  onnx::ValueInfoProto *in = graph.model->mutable_graph()->add_input();
  in->set_name(**name);
  auto *tt = in->mutable_type()->mutable_tensor_type();
  tt->set_elem_type((*dt)->onnxType);
  auto *shape = tt->mutable_shape();
  for (const json::Value &d : **dims) {
    auto *dim = shape->add_dim();
    if (std::optional<int64_t> n = d.getAsInteger(); n && *n >= 0)
      dim->set_dim_value(*n);
    else if (std::optional<StringRef> s = d.getAsString(); s && !s->empty())
      dim->set_dim_param(s->str());
    else
      return err(what + ": shape entries must be non-negative integers or "
                        "dim names (non-empty strings)");
  }
  return Error::success();
}

Error GraphParser::parseOutput(const json::Value &v, size_t index) {
  std::string what = "output #" + std::to_string(index);
  Expected<const json::Object *> obj = object(v, what);
  if (!obj)
    return obj.takeError();
  Expected<std::optional<std::string>> name =
      string(**obj, "name", what, /*required=*/true);
  if (!name)
    return name.takeError();
  if (Error e = checkFields(**obj, {"name"}, "output '" + **name + "'"))
    return e;
  graph.model->mutable_graph()->add_output()->set_name(**name);
  return Error::success();
}

Error GraphParser::parseWeight(const json::Value &v, size_t index) {
  std::string what = "weight #" + std::to_string(index);
  Expected<const json::Object *> obj = object(v, what);
  if (!obj)
    return obj.takeError();
  Expected<std::optional<std::string>> name =
      string(**obj, "name", what, /*required=*/true);
  if (!name)
    return name.takeError();
  what = "weight '" + **name + "'";
  if (Error e = checkFields(**obj, {"name", "dtype", "shape", "data", "tensor"},
                            what))
    return e;
  if (!defined.insert(**name).second)
    return err(what + " is defined twice");

  if (obj.get()->get("data")) {
    if (obj.get()->get("tensor"))
      return err(what + ": give either 'data' or 'tensor', not both");
    onnx::TensorProto *t = graph.model->mutable_graph()->add_initializer();
    t->set_name(**name);
    return inlineTensor(**obj, what, *t);
  }

  // From the safetensors file.
  Expected<std::optional<std::string>> key =
      string(**obj, "tensor", what, /*required=*/false);
  if (!key)
    return key.takeError();
  std::string tensorName = *key ? **key : **name;
  if (!weightsFile)
    return err(what + " has no 'data' and the graph names no "
                      "'weights_file' to read it from");
  Expected<const DType *> dt = dtype(**obj, what, /*required=*/false);
  if (!dt)
    return dt.takeError();
  Expected<std::optional<std::vector<int64_t>>> shape =
      staticShape(**obj, what, /*required=*/false);
  if (!shape)
    return shape.takeError();
  const SafetensorsTensor *t = weightsFile->lookup(tensorName);
  if (!t)
    return err(what + ": '" + weightsFileName + "' has no tensor '" +
               tensorName + "'");
  if (*shape && llvm::ArrayRef<int64_t>(**shape) != llvm::ArrayRef(t->shape)) {
    auto str = [](llvm::ArrayRef<int64_t> s) {
      return "[" +
             llvm::join(llvm::map_range(
                            s, [](int64_t d) { return std::to_string(d); }),
                        ", ") +
             "]";
    };
    return err(what + ": shape mismatch: declared " + str(**shape) +
               " but tensor '" + tensorName + "' in '" + weightsFileName +
               "' is " + str(t->shape));
  }
  // Types the importer has no element type for (unsigned 16/32/64-bit).
  if (!*dt && !llvm::any_of(kDTypes, [&](const DType &d) {
        return d.safetensors == t->dtype;
      }))
    return err(what + ": tensor '" + tensorName + "' has dtype " +
               safetensorsDTypeName(t->dtype) + ", which Tessera does not "
               "support (supported: " + dtypeList() + ")");
  mlir::ElementsAttr attr;
  if (!*dt || (*dt)->safetensors == t->dtype) {
    attr = weightsFile->resourceAttr(ctx, *t, **name);
  } else if ((*dt)->onnxType == onnx::TensorProto::FLOAT &&
             (t->dtype == SafetensorsDType::F16 ||
              t->dtype == SafetensorsDType::BF16 ||
              t->dtype == SafetensorsDType::F64)) {
    Expected<mlir::DenseResourceElementsAttr> f32 =
        weightsFile->resourceAttrAsF32(ctx, *t, **name);
    if (!f32)
      return err(what + ": " + llvm::toString(f32.takeError()));
    attr = *f32;
  } else {
    return err(what + ": dtype mismatch: declared " + (*dt)->name +
               " but tensor '" + tensorName + "' in '" + weightsFileName +
               "' is " + safetensorsDTypeName(t->dtype));
  }
  graph.weights.push_back(ExternalWeight{**name, attr});
  return Error::success();
}

/// The newest opset of the default domain that libonnx's schemas describe.
int newestSchemaOpset() {
  const auto &map = onnx::OpSchemaRegistry::DomainToVersionRange::Instance().Map();
  auto it = map.find(onnx::ONNX_DOMAIN);
  return it == map.end() ? 0 : it->second.second;
}

Error GraphParser::checkArity(const onnx::OpSchema &schema,
                              const onnx::NodeProto &node, const Twine &what) {
  auto range = [](int lo, int hi) {
    return lo == hi ? std::to_string(lo)
                    : std::to_string(lo) + " to " +
                          (hi == std::numeric_limits<int>::max()
                               ? std::string("any number of")
                               : std::to_string(hi));
  };
  if (node.input_size() < schema.min_input() ||
      node.input_size() > schema.max_input())
    return err(what + ": takes " +
               range(schema.min_input(), schema.max_input()) +
               (schema.max_input() == 1 ? " input" : " inputs") + " at opset " + Twine(opset) + ", not " +
               Twine(node.input_size()));
  if (node.output_size() < schema.min_output() ||
      node.output_size() > schema.max_output())
    return err(what + ": has " +
               range(schema.min_output(), schema.max_output()) +
               (schema.max_output() == 1 ? " output" : " outputs") + " at opset " + Twine(opset) + ", not " +
               Twine(node.output_size()));
  // "" marks an omitted input; only optional inputs may be omitted.
  const auto &formals = schema.inputs();
  for (int i = 0; i < node.input_size() && !formals.empty(); ++i) {
    const auto &formal = formals[std::min<size_t>(i, formals.size() - 1)];
    if (node.input(i).empty() &&
        formal.GetOption() != onnx::OpSchema::Optional)
      return err(what + ": input " + Twine(i) + " ('" + formal.GetName() +
                 "') is required but empty");
  }
  return Error::success();
}

Error GraphParser::parseNode(const json::Value &v, size_t index) {
  std::string what = "node #" + std::to_string(index);
  Expected<const json::Object *> obj = object(v, what);
  if (!obj)
    return obj.takeError();
  Expected<std::optional<std::string>> op =
      string(**obj, "op", what, /*required=*/true);
  if (!op)
    return op.takeError();
  Expected<std::optional<std::string>> name =
      string(**obj, "name", what, /*required=*/false);
  if (!name)
    return name.takeError();
  std::string nodeName =
      *name ? **name : **op + "_" + std::to_string(index);
  what = "node '" + nodeName + "' (" + **op + ")";
  if (Error e = checkFields(
          **obj, {"name", "op", "domain", "inputs", "outputs", "attributes"},
          what))
    return e;
  Expected<std::optional<std::string>> domain =
      string(**obj, "domain", what, /*required=*/false);
  if (!domain)
    return domain.takeError();

  onnx::NodeProto *node = graph.model->mutable_graph()->add_node();
  node->set_name(nodeName);
  node->set_op_type(**op);
  if (*domain)
    node->set_domain(**domain);

  Expected<const json::Array *> inputs =
      array(**obj, "inputs", what, /*required=*/true);
  if (!inputs)
    return inputs.takeError();
  for (const json::Value &in : **inputs) {
    std::optional<StringRef> s = in.getAsString();
    if (!s)
      return err(what + ": 'inputs' must hold strings (\"\" for an omitted "
                        "optional input), not " + kindName(in));
    node->add_input(s->str());
  }
  Expected<const json::Array *> outputs =
      array(**obj, "outputs", what, /*required=*/true);
  if (!outputs)
    return outputs.takeError();
  for (const json::Value &out : **outputs) {
    std::optional<StringRef> s = out.getAsString();
    if (!s)
      return err(what + ": 'outputs' must hold strings, not " +
                 kindName(out));
    if (!s->empty() && !defined.insert(*s).second)
      return err(what + ": output '" + *s + "' is already defined");
    node->add_output(s->str());
  }

  const onnx::OpSchema *schema = onnx::OpSchemaRegistry::Schema(
      **op, static_cast<int>(opset), *domain ? **domain : "");
  // Arity changes between opsets (ReduceMean's axes became an input at 18),
  // so only check it at opsets the installed schemas describe.
  if (schema && opset <= newestSchemaOpset())
    if (Error e = checkArity(*schema, *node, what))
      return e;

  if (const json::Value *attrs = obj.get()->get("attributes")) {
    Expected<const json::Object *> a = object(*attrs, what + ": 'attributes'");
    if (!a)
      return a.takeError();
    // Sorted, so that the proto (and errors) do not depend on hash order.
    std::vector<std::string> keys;
    for (const auto &kv : **a)
      keys.push_back(StringRef(kv.first).str());
    llvm::sort(keys);
    for (const std::string &k : keys)
      if (Error e = attribute(schema, k, *(*a)->get(k), what,
                              *node->add_attribute()))
        return e;
  }
  return Error::success();
}

Expected<JsonGraph> GraphParser::parse(StringRef text) {
  if (text.empty())
    return err("the file is empty, not a JSON graph");
  if (std::optional<size_t> at = findTooDeepNesting(text)) {
    auto [line, col] = lineColumn(text, *at);
    return err("malformed JSON at line " + Twine(line) + ", column " +
               Twine(col) + ": nested more than " + Twine(kMaxNesting) +
               " levels deep");
  }
  Expected<json::Value> root = json::parse(text);
  if (!root) {
    // llvm::json says "[LINE:COL, byte=N]: message"; reword it.
    std::string msg = llvm::toString(root.takeError());
    StringRef rest(msg);
    unsigned line = 0, col = 0;
    if (rest.consume_front("[") && !rest.consumeInteger(10, line) &&
        rest.consume_front(":") && !rest.consumeInteger(10, col)) {
      rest = rest.drop_until([](char c) { return c == ']'; });
      rest.consume_front("]: ");
      return err("malformed JSON at line " + Twine(line) + ", column " +
                 Twine(col) + ": " + rest);
    }
    return err("malformed JSON: " + msg);
  }
  Expected<const json::Object *> top = object(*root, "the graph");
  if (!top)
    return top.takeError();
  const json::Object &g = **top;
  // The version first: a file of another kind (a Hugging Face config.json,
  // say) should hear that, not about its first unknown field.
  const json::Value *version = g.get("format_version");
  if (!version)
    return err("missing field 'format_version': not a Tessera JSON graph "
               "(for a Hugging Face checkpoint, pass its directory)");
  std::optional<int64_t> v = version->getAsInteger();
  if (!v)
    return err("'format_version' must be an integer, not " +
               kindName(*version));
  if (*v != kJsonGraphFormatVersion)
    return err("unsupported format_version " + Twine(*v) +
               " (this build of Tessera reads version " +
               Twine(kJsonGraphFormatVersion) + ")");
  if (Error e = checkFields(g,
                            {"format_version", "name", "opset", "weights_file",
                             "inputs", "outputs", "weights", "nodes"},
                            "the graph"))
    return std::move(e);

  if (const json::Value *o = g.get("opset")) {
    std::optional<int64_t> n = o->getAsInteger();
    if (!n || *n < 7 || *n > 1000)
      return err("'opset' must be an integer >= 7");
    opset = *n;
  }
  onnx::ModelProto &model = *graph.model;
  model.set_ir_version(8);
  model.set_producer_name("tessera-json");
  auto *imp = model.add_opset_import();
  imp->set_domain("");
  imp->set_version(opset);
  Expected<std::optional<std::string>> name =
      string(g, "name", "the graph", /*required=*/false);
  if (!name)
    return name.takeError();
  model.mutable_graph()->set_name(*name ? **name : "main");

  Expected<std::optional<std::string>> wf =
      string(g, "weights_file", "the graph", /*required=*/false);
  if (!wf)
    return wf.takeError();
  if (*wf) {
    weightsFileName = **wf;
    if (weightsFileName.empty() ||
        llvm::sys::path::is_absolute(weightsFileName) ||
        StringRef(weightsFileName).contains(".."))
      return err("weights_file '" + weightsFileName +
                 "' must be a relative path inside the graph's directory");
    llvm::SmallString<256> p(baseDir);
    llvm::sys::path::append(p, weightsFileName);
    Expected<SafetensorsFile> f = SafetensorsFile::open(p);
    if (!f)
      return err("weights_file '" + weightsFileName +
                 "': " + llvm::toString(f.takeError()));
    weightsFile.emplace(std::move(*f));
  }

  auto section = [&](StringRef key, bool required,
                     Error (GraphParser::*each)(const json::Value &, size_t))
      -> Error {
    Expected<const json::Array *> a = array(g, key, "the graph", required);
    if (!a)
      return a.takeError();
    if (!*a)
      return Error::success();
    for (size_t i = 0; i < (*a)->size(); ++i)
      if (Error e = (this->*each)((**a)[i], i))
        return e;
    return Error::success();
  };
  if (Error e = section("inputs", true, &GraphParser::parseInput))
    return std::move(e);
  if (Error e = section("weights", false, &GraphParser::parseWeight))
    return std::move(e);
  if (Error e = section("nodes", true, &GraphParser::parseNode))
    return std::move(e);
  if (Error e = section("outputs", true, &GraphParser::parseOutput))
    return std::move(e);
  if (model.graph().node_size() == 0)
    return err("the graph has no nodes");
  if (model.graph().output_size() == 0)
    return err("the graph has no outputs");
  return std::move(graph);
}

} // namespace

Expected<JsonGraph> parseJsonGraph(mlir::MLIRContext *context, StringRef text,
                                   StringRef baseDir, StringRef displayPath) {
  return GraphParser(context, baseDir, displayPath).parse(text);
}

Expected<mlir::OwningOpRef<mlir::ModuleOp>>
importJsonGraph(mlir::MLIRContext *context, StringRef text, StringRef baseDir,
                StringRef displayPath, const OnnxImportOptions &options) {
  Expected<JsonGraph> graph =
      parseJsonGraph(context, text, baseDir, displayPath);
  if (!graph)
    return graph.takeError();
  return importOnnxModel(context, *graph->model, displayPath, baseDir,
                         options, graph->weights);
}

Expected<mlir::OwningOpRef<mlir::ModuleOp>>
importJsonFile(mlir::MLIRContext *context, const std::string &path,
               const OnnxImportOptions &options) {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   path + ": cannot read the graph: " +
                                       buffer.getError().message());
  std::string dir = llvm::sys::path::parent_path(path).str();
  return importJsonGraph(context, (*buffer)->getBuffer(),
                         dir.empty() ? "." : dir, path, options);
}

} // namespace tessera
