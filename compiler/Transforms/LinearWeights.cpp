//===- LinearWeights.cpp - Reading a linear's constant weight -------------===//
//
// See LinearWeights.h.
//
//===----------------------------------------------------------------------===//

#include "compiler/Transforms/LinearWeights.h"
#include "compiler/Transforms/PatternUtils.h"
#include "dialects/tsr/IR/TsrDialect.h"

#include "mlir/IR/DialectResourceBlobManager.h"

#include <cstring>

using namespace mlir;

namespace tessera {

int64_t elementBytes(Type t) {
  if (!t.isIntOrFloat() || t.getIntOrFloatBitWidth() % 8 != 0)
    return 0;
  return t.getIntOrFloatBitWidth() / 8;
}

ArrayRef<char> constantBytes(ElementsAttr value, std::vector<char> &storage) {
  int64_t eb = elementBytes(value.getElementType());
  size_t size = value.getNumElements() * eb;
  if (eb == 0)
    return {};
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(value)) {
    AsmResourceBlob *blob = resource.getRawHandle().getBlob();
    if (!blob || blob->getData().size() != size)
      return {};
    return blob->getData();
  }
  auto dense = dyn_cast<DenseElementsAttr>(value);
  if (!dense)
    return {};
  ArrayRef<char> raw = dense.getRawData();
  if (!dense.isSplat())
    return raw.size() == size ? raw : ArrayRef<char>();
  if (raw.size() != static_cast<size_t>(eb))
    return {};
  storage.resize(size);
  for (size_t i = 0; i < size; i += eb)
    std::memcpy(storage.data() + i, raw.data(), eb);
  return storage;
}

/// The bytes of the constant `v` with `elementBytes` per element, if its
/// element type passes `accept`.
static std::optional<std::pair<ArrayRef<char>, Type>>
rawConstant(Value v, std::vector<char> &storage,
            llvm::function_ref<bool(Type)> accept) {
  ElementsAttr attr = getConstantElements(v);
  if (!attr || !accept(attr.getElementType()))
    return std::nullopt;
  ArrayRef<char> bytes = constantBytes(attr, storage);
  if (bytes.size() !=
      static_cast<size_t>(attr.getNumElements() *
                          elementBytes(attr.getElementType())))
    return std::nullopt;
  return std::make_pair(bytes, attr.getElementType());
}

std::optional<SmallVector<int64_t>> constantIntegers(Value v) {
  std::vector<char> storage;
  auto raw = rawConstant(v, storage, [](Type t) {
    return t.isInteger(8) || t.isInteger(32);
  });
  if (!raw)
    return std::nullopt;
  auto [bytes, type] = *raw;
  SmallVector<int64_t> out;
  bool isUnsigned = type.isUnsignedInteger();
  if (type.isInteger(8)) {
    for (char c : bytes)
      out.push_back(isUnsigned ? int64_t(uint8_t(c)) : int64_t(int8_t(c)));
    return out;
  }
  for (size_t i = 0; i < bytes.size(); i += 4) {
    int32_t x;
    std::memcpy(&x, bytes.data() + i, 4);
    out.push_back(isUnsigned ? int64_t(uint32_t(x)) : int64_t(x));
  }
  return out;
}

std::optional<SmallVector<float>> constantFloats(Value v) {
  std::vector<char> storage;
  auto raw = rawConstant(v, storage, [](Type t) { return t.isF32(); });
  if (!raw)
    return std::nullopt;
  SmallVector<float> out(raw->first.size() / 4);
  std::memcpy(out.data(), raw->first.data(), raw->first.size());
  return out;
}

std::optional<WeightSource> getWeightSource(Value w) {
  WeightSource s;
  if (auto t = w.getDefiningOp<tsr::TransposeOp>()) {
    if (t.getPermutation().size() != 2 || t.getPermutation()[0] != 1)
      return std::nullopt;
    w = t.getInput();
    s.transposed = true;
  }
  s.value = getConstantElements(w);
  if (!s.value || s.value.getShapedType().getRank() != 2)
    return std::nullopt;
  s.constant = w.getDefiningOp();
  return s;
}

Operation *createBlobConstant(OpBuilder &b, Location loc, RankedTensorType type,
                              StringRef key, StringRef name,
                              AsmResourceBlob blob) {
  auto c = tsr::ConstantOp::create(
      b, loc, DenseResourceElementsAttr::get(type, key, std::move(blob)));
  c->setAttr(tsr::kConstantNameAttr, b.getStringAttr(name));
  return c;
}

} // namespace tessera
