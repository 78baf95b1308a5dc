//===- SafetensorsTest.cpp - Tests of the safetensors reader --------------===//
//
// Builds .safetensors files in memory (header JSON + data bytes) and checks
// that valid ones are read correctly, that tensors become resource blobs
// over the file's bytes without a copy, and that each malformed header is
// rejected with an error naming the file and the tensor.
//
//===----------------------------------------------------------------------===//

#include "frontends/safetensors/Safetensors.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

using namespace tessera;

namespace {

/// The bytes of a safetensors file: length, `header`, `data`.
std::string makeFile(const std::string &header, const std::string &data) {
  std::string out(8, '\0');
  llvm::support::endian::write64le(out.data(), header.size());
  return out + header + data;
}

std::unique_ptr<llvm::MemoryBuffer> buffer(const std::string &bytes) {
  return llvm::MemoryBuffer::getMemBufferCopy(bytes, "test.safetensors");
}

/// The error message of parsing `bytes`, or "" when it parses.
std::string parseError(const std::string &bytes) {
  auto file = SafetensorsFile::parse(buffer(bytes));
  if (file)
    return "";
  return llvm::toString(file.takeError());
}

std::string floats(std::initializer_list<float> values) {
  std::string s(values.size() * 4, '\0');
  size_t i = 0;
  for (float v : values)
    std::memcpy(&s[4 * i++], &v, 4);
  return s;
}

// A header padded with spaces so the data area starts 8-byte aligned, as
// the reference writer does.
std::string padded(std::string header) {
  while ((8 + header.size()) % 8 != 0)
    header += ' ';
  return header;
}

TEST(Safetensors, ReadsTensorsAndMetadata) {
  std::string header = padded(
      R"({"__metadata__":{"format":"pt"},)"
      R"("b":{"dtype":"F32","shape":[2],"data_offsets":[24,32]},)"
      R"("a":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},)"
      R"("s":{"dtype":"I64","shape":[],"data_offsets":[32,40]},)"
      R"("e":{"dtype":"BF16","shape":[0,4],"data_offsets":[40,40]}})");
  std::string data = floats({1, 2, 3, 4, 5, 6, 7, 8});
  std::string scalar(8, '\0');
  llvm::support::endian::write64le(scalar.data(), 42);
  auto file = SafetensorsFile::parse(buffer(makeFile(header, data + scalar)));
  ASSERT_TRUE(static_cast<bool>(file)) << llvm::toString(file.takeError());

  std::vector<std::string> names = file->names();
  ASSERT_EQ(names.size(), 4u);
  EXPECT_EQ(names[0], "a"); // in the order of the data
  EXPECT_EQ(file->metadata().lookup("format"), "pt");
  EXPECT_EQ(file->lookup("missing"), nullptr);

  const SafetensorsTensor *a = file->lookup("a");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->dtype, SafetensorsDType::F32);
  EXPECT_EQ(a->shape, (llvm::SmallVector<int64_t>{2, 3}));
  ASSERT_EQ(a->bytes.size(), 24u);
  float a5;
  std::memcpy(&a5, a->bytes.data() + 20, 4);
  EXPECT_EQ(a5, 6.0f);

  const SafetensorsTensor *b = file->lookup("b");
  ASSERT_NE(b, nullptr);
  float b0;
  std::memcpy(&b0, b->bytes.data(), 4);
  EXPECT_EQ(b0, 7.0f);

  const SafetensorsTensor *s = file->lookup("s");
  ASSERT_NE(s, nullptr);
  EXPECT_TRUE(s->shape.empty());
  EXPECT_EQ(llvm::support::endian::read64le(s->bytes.data()), 42u);
  EXPECT_EQ(file->lookup("e")->numElements(), 0);
}

TEST(Safetensors, EmptyHeaderObject) {
  auto file = SafetensorsFile::parse(buffer(makeFile("{}", "")));
  ASSERT_TRUE(static_cast<bool>(file)) << llvm::toString(file.takeError());
  EXPECT_TRUE(file->names().empty());
}

TEST(Safetensors, DTypes) {
  for (const char *name : {"BOOL", "U8", "I8", "U16", "I16", "U32", "I32",
                           "U64", "I64", "F16", "BF16", "F32", "F64"}) {
    auto dtype = parseSafetensorsDType(name);
    ASSERT_TRUE(dtype.has_value()) << name;
    EXPECT_EQ(safetensorsDTypeName(*dtype), name);
  }
  EXPECT_EQ(safetensorsDTypeSize(SafetensorsDType::BF16), 2u);
  EXPECT_EQ(safetensorsDTypeSize(SafetensorsDType::I64), 8u);
  EXPECT_FALSE(parseSafetensorsDType("F8_E4M3").has_value());
  EXPECT_FALSE(parseSafetensorsDType("f32").has_value());
}

TEST(Safetensors, ResourceAttrSharesAlignedBytes) {
  std::string header =
      padded(R"({"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}})");
  std::string bytes = makeFile(header, floats({1, 2, 3, 4}));
  // An aligned copy of the bytes (getMemBufferCopy aligns its storage).
  mlir::MLIRContext ctx;
  mlir::DenseResourceElementsAttr attr;
  const char *mapped = nullptr;
  {
    auto file = SafetensorsFile::parse(buffer(bytes));
    ASSERT_TRUE(static_cast<bool>(file)) << llvm::toString(file.takeError());
    const SafetensorsTensor *w = file->lookup("w");
    mapped = w->bytes.data();
    attr = file->resourceAttr(&ctx, *w, "w");
  }
  // The file object is gone; the blob still holds the buffer.
  auto type = llvm::cast<mlir::RankedTensorType>(attr.getType());
  EXPECT_EQ(type.getShape(), (llvm::ArrayRef<int64_t>{2, 2}));
  EXPECT_TRUE(type.getElementType().isF32());
  mlir::AsmResourceBlob *blob = attr.getRawHandle().getBlob();
  ASSERT_NE(blob, nullptr);
  EXPECT_EQ(blob->getData().data(), mapped) << "the bytes were copied";
  EXPECT_EQ(blob->getDataAs<float>()[3], 4.0f);
}

TEST(Safetensors, ResourceAttrCopiesMisalignedBytes) {
  // Header of 9 bytes + 8: the data area starts at offset 17 of an aligned
  // buffer, misaligned for F32.
  std::string header =
      R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  ASSERT_NE((8 + header.size()) % 4, 0u);
  mlir::MLIRContext ctx;
  auto file = SafetensorsFile::parse(buffer(makeFile(header, floats({5, 6}))));
  ASSERT_TRUE(static_cast<bool>(file)) << llvm::toString(file.takeError());
  const SafetensorsTensor *w = file->lookup("w");
  mlir::DenseResourceElementsAttr attr = file->resourceAttr(&ctx, *w, "w");
  mlir::AsmResourceBlob *blob = attr.getRawHandle().getBlob();
  ASSERT_NE(blob, nullptr);
  EXPECT_NE(blob->getData().data(), w->bytes.data());
  EXPECT_EQ(reinterpret_cast<uintptr_t>(blob->getData().data()) % 4, 0u);
  EXPECT_EQ(blob->getDataAs<float>()[1], 6.0f);
}

TEST(Safetensors, ResourceAttrAsF32Converts) {
  // F16 1.0 = 0x3c00, -2.0 = 0xc000; BF16 1.5 = 0x3fc0; F64 0.25.
  std::string data = std::string("\x00\x3c\x00\xc0", 4) +
                     std::string("\xc0\x3f", 2) + std::string(2, '\0');
  double quarter = 0.25;
  data += std::string(reinterpret_cast<const char *>(&quarter), 8);
  std::string header = padded(
      R"({"h":{"dtype":"F16","shape":[2],"data_offsets":[0,4]},)"
      R"("b":{"dtype":"BF16","shape":[1],"data_offsets":[4,6]},)"
      R"("pad":{"dtype":"U8","shape":[2],"data_offsets":[6,8]},)"
      R"("d":{"dtype":"F64","shape":[1],"data_offsets":[8,16]}})");
  mlir::MLIRContext ctx;
  auto file = SafetensorsFile::parse(buffer(makeFile(header, data)));
  ASSERT_TRUE(static_cast<bool>(file)) << llvm::toString(file.takeError());
  auto h = file->resourceAttrAsF32(&ctx, *file->lookup("h"), "h");
  ASSERT_TRUE(static_cast<bool>(h));
  EXPECT_EQ(h->getRawHandle().getBlob()->getDataAs<float>()[0], 1.0f);
  EXPECT_EQ(h->getRawHandle().getBlob()->getDataAs<float>()[1], -2.0f);
  auto bf = file->resourceAttrAsF32(&ctx, *file->lookup("b"), "b");
  ASSERT_TRUE(static_cast<bool>(bf));
  EXPECT_EQ(bf->getRawHandle().getBlob()->getDataAs<float>()[0], 1.5f);
  auto d = file->resourceAttrAsF32(&ctx, *file->lookup("d"), "d");
  ASSERT_TRUE(static_cast<bool>(d));
  EXPECT_EQ(d->getRawHandle().getBlob()->getDataAs<float>()[0], 0.25f);
  auto u = file->resourceAttrAsF32(&ctx, *file->lookup("pad"), "pad");
  ASSERT_FALSE(static_cast<bool>(u));
  EXPECT_NE(llvm::toString(u.takeError()).find("'pad'"), std::string::npos);
}

TEST(Safetensors, OpensAFile) {
  llvm::SmallString<128> path;
  ASSERT_FALSE(llvm::sys::fs::createTemporaryFile("st", "safetensors", path));
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(path, ec);
    ASSERT_FALSE(ec);
    os << makeFile(
        padded(R"({"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})"),
        floats({3}));
  }
  auto file = SafetensorsFile::open(path);
  ASSERT_TRUE(static_cast<bool>(file)) << llvm::toString(file.takeError());
  EXPECT_EQ(file->path(), path.str());
  EXPECT_NE(file->lookup("x"), nullptr);
  llvm::sys::fs::remove(path);

  auto missing = SafetensorsFile::open("/nonexistent/x.safetensors");
  ASSERT_FALSE(static_cast<bool>(missing));
  EXPECT_NE(llvm::toString(missing.takeError())
                .find("/nonexistent/x.safetensors: cannot read"),
            std::string::npos);
}

TEST(Safetensors, MappedPagesReleasedWithTheBlobStayReadable) {
  // A tensor spanning many pages of a mapped file: when its blob dies, the
  // pages go back to the kernel; the file's bytes must still read the same.
  const int64_t n = 64 * 1024;
  std::string data(n * 4, '\0');
  for (int64_t i = 0; i < n; ++i) {
    float v = static_cast<float>(i);
    std::memcpy(&data[4 * i], &v, 4);
  }
  llvm::SmallString<128> path;
  ASSERT_FALSE(llvm::sys::fs::createTemporaryFile("st", "safetensors", path));
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(path, ec);
    ASSERT_FALSE(ec);
    os << makeFile(padded(R"({"w":{"dtype":"F32","shape":[65536],)"
                          R"("data_offsets":[0,262144]}})"),
                   data);
  }
  auto file = SafetensorsFile::open(path);
  ASSERT_TRUE(static_cast<bool>(file)) << llvm::toString(file.takeError());
  const SafetensorsTensor *w = file->lookup("w");
  {
    mlir::MLIRContext ctx;
    mlir::DenseResourceElementsAttr attr = file->resourceAttr(&ctx, *w, "w");
    EXPECT_EQ(attr.getRawHandle().getBlob()->getData().data(),
              w->bytes.data());
  } // the context and its blob die here
  float last;
  std::memcpy(&last, w->bytes.data() + 4 * (n - 1), 4);
  EXPECT_EQ(last, static_cast<float>(n - 1));
  EXPECT_EQ(std::memcmp(w->bytes.data(), data.data(), data.size()), 0);
  llvm::sys::fs::remove(path);
}

// --- Rejected files: each names the file and (where there is one) the
// tensor, and says what is wrong.

struct BadCase {
  const char *what;
  std::string bytes;
  const char *expected;
};

TEST(Safetensors, RejectsMalformedFiles) {
  auto one = [](const std::string &entry, const std::string &data) {
    return makeFile("{\"t\":" + entry + "}", data);
  };
  std::string eightBytes(8, '\0');
  std::string pastEnd(8, '\0');
  llvm::support::endian::write64le(pastEnd.data(), 3);
  std::string hugeLength(8, '\0');
  llvm::support::endian::write64le(hugeLength.data(), ~0ull);

  BadCase cases[] = {
      {"short file", "abc", "shorter than the 8-byte header length"},
      {"length past the end", pastEnd + "{}", "runs past the end"},
      {"length past the end by one", makeFile("{}", "").substr(0, 9),
       "runs past the end"},
      {"header over 100 MiB", hugeLength + "{}", "exceeds the 100 MiB limit"},
      {"not JSON", makeFile("{\"t\":", ""), "header is not valid JSON"},
      {"not an object", makeFile("[1,2]", ""), "header is not a JSON object"},
      {"entry not an object", one("3", ""), "tensor 't': entry is not"},
      {"metadata not an object", makeFile(R"({"__metadata__":[]})", ""),
       "'__metadata__' is not an object"},
      {"metadata value not a string",
       makeFile(R"({"__metadata__":{"k":1}})", ""),
       "'__metadata__' entry 'k' is not a string"},
      {"no dtype", one(R"({"shape":[1],"data_offsets":[0,4]})", "xxxx"),
       "tensor 't': missing string 'dtype'"},
      {"unknown dtype",
       one(R"({"dtype":"F12","shape":[1],"data_offsets":[0,4]})", "xxxx"),
       "tensor 't': unknown dtype 'F12'"},
      {"no shape", one(R"({"dtype":"F32","data_offsets":[0,4]})", "xxxx"),
       "tensor 't': missing array 'shape'"},
      {"negative dim",
       one(R"({"dtype":"F32","shape":[-1],"data_offsets":[0,4]})", "xxxx"),
       "tensor 't': shape holds something other than a non-negative"},
      {"fractional dim",
       one(R"({"dtype":"F32","shape":[1.5],"data_offsets":[0,4]})", "xxxx"),
       "non-negative integer"},
      {"element count overflow",
       one(R"({"dtype":"F32","shape":[4294967296,4294967296,16],)"
           R"("data_offsets":[0,4]})",
           "xxxx"),
       "tensor 't': element count of the shape overflows"},
      {"byte count overflow",
       one(R"({"dtype":"F64","shape":[2305843009213693952],)"
           R"("data_offsets":[0,4]})",
           "xxxx"),
       "element count of the shape overflows"},
      {"no offsets", one(R"({"dtype":"F32","shape":[1]})", "xxxx"),
       "tensor 't': missing 'data_offsets' [begin, end]"},
      {"three offsets",
       one(R"({"dtype":"F32","shape":[1],"data_offsets":[0,4,8]})", "xxxx"),
       "missing 'data_offsets'"},
      {"negative offset",
       one(R"({"dtype":"F32","shape":[1],"data_offsets":[-4,0]})", "xxxx"),
       "'data_offsets' are not non-negative integers"},
      {"end past the data",
       one(R"({"dtype":"F32","shape":[2],"data_offsets":[0,8]})", "xxxx"),
       "tensor 't': data_offsets [0, 8] are outside the data area of 4 bytes"},
      {"begin after end",
       one(R"({"dtype":"F32","shape":[0],"data_offsets":[4,0]})", "xxxx"),
       "are outside the data area"},
      {"huge offsets",
       one(R"({"dtype":"F32","shape":[1],)"
           R"("data_offsets":[18446744073709551612,18446744073709551615]})",
           "xxxx"),
       "are outside the data area"},
      {"size mismatch",
       one(R"({"dtype":"F32","shape":[2],"data_offsets":[0,4]})", eightBytes),
       "tensor 't': data_offsets span 4 bytes, but the F32 shape needs 8"},
      {"overlap",
       makeFile(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                R"("b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                eightBytes),
       "tensor 'b': data overlaps tensor 'a'"},
  };
  for (const BadCase &c : cases) {
    std::string error = parseError(c.bytes);
    ASSERT_FALSE(error.empty()) << c.what << ": accepted";
    EXPECT_EQ(error.rfind("test.safetensors: ", 0), 0u)
        << c.what << ": " << error;
    EXPECT_NE(error.find(c.expected), std::string::npos)
        << c.what << ": " << error;
  }
}

} // namespace
