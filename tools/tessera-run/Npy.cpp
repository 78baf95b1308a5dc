//===- Npy.cpp - Reading and writing NumPy .npy files ---------------------===//
//
// Part of the Tessera tools.
//
//===----------------------------------------------------------------------===//
//
// The .npy layout: the magic "\x93NUMPY", a major and minor version byte, the
// header length (2 bytes in version 1, 4 in versions 2 and 3), then a Python
// dict literal such as {'descr': '<f4', 'fortran_order': False, 'shape':
// (2, 3), } padded with spaces and a newline, then the raw data. The dict is
// parsed by a small recursive-descent parser that accepts exactly the three
// keys NumPy writes, rather than by searching for substrings, so that a
// malformed header is reported instead of misread.
//
//===----------------------------------------------------------------------===//
#include "Npy.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <sys/stat.h>

using namespace tessera;

namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicSize = 6;
/// A sanity bound on the rank of a file, well above any model's.
constexpr size_t kMaxRank = 64;

struct Header {
  std::string descr;
  bool fortranOrder = false;
  std::vector<int64_t> shape;
};

/// Parses the header dict of a .npy file.
class HeaderParser {
public:
  explicit HeaderParser(const std::string &text) : text(text) {}

  std::string parse(Header &header) {
    bool sawDescr = false, sawOrder = false, sawShape = false;
    skipSpace();
    if (!consume('{'))
      return "header is not a dict";
    while (true) {
      skipSpace();
      if (consume('}'))
        break;
      std::string key;
      if (!parseString(key))
        return "header has a malformed key";
      skipSpace();
      if (!consume(':'))
        return "header lacks ':' after '" + key + "'";
      skipSpace();
      if (key == "descr") {
        if (!parseString(header.descr))
          return "header 'descr' is not a string";
        sawDescr = true;
      } else if (key == "fortran_order") {
        if (!parseBool(header.fortranOrder))
          return "header 'fortran_order' is not True or False";
        sawOrder = true;
      } else if (key == "shape") {
        std::string problem = parseShape(header.shape);
        if (!problem.empty())
          return problem;
        sawShape = true;
      } else {
        return "header has an unexpected key '" + key + "'";
      }
      skipSpace();
      if (consume(','))
        continue;
      skipSpace();
      if (consume('}'))
        break;
      return "header dict is malformed after '" + key + "'";
    }
    skipSpace();
    if (pos != text.size())
      return "header has trailing characters after the dict";
    if (!sawDescr || !sawOrder || !sawShape)
      return "header lacks one of 'descr', 'fortran_order', 'shape'";
    return "";
  }

private:
  void skipSpace() {
    while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\n' ||
                                 text[pos] == '\t' || text[pos] == '\r'))
      ++pos;
  }

  bool consume(char c) {
    if (pos < text.size() && text[pos] == c) {
      ++pos;
      return true;
    }
    return false;
  }

  bool consumeWord(const char *word) {
    size_t length = std::strlen(word);
    if (text.compare(pos, length, word) != 0)
      return false;
    pos += length;
    return true;
  }

  bool parseString(std::string &out) {
    if (pos >= text.size() || (text[pos] != '\'' && text[pos] != '"'))
      return false;
    char quote = text[pos++];
    size_t end = text.find(quote, pos);
    if (end == std::string::npos)
      return false;
    out = text.substr(pos, end - pos);
    pos = end + 1;
    return true;
  }

  bool parseBool(bool &out) {
    if (consumeWord("True"))
      out = true;
    else if (consumeWord("False"))
      out = false;
    else
      return false;
    return true;
  }

  std::string parseShape(std::vector<int64_t> &shape) {
    if (!consume('('))
      return "header 'shape' is not a tuple";
    while (true) {
      skipSpace();
      if (consume(')'))
        return "";
      if (pos >= text.size() || text[pos] < '0' || text[pos] > '9')
        return "header 'shape' holds something other than non-negative "
               "integers";
      int64_t dim = 0;
      while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
        if (__builtin_mul_overflow(dim, 10, &dim) ||
            __builtin_add_overflow(dim, text[pos] - '0', &dim))
          return "header 'shape' has a dimension that overflows";
        ++pos;
      }
      consume('L'); // Python 2 wrote longs as "3L".
      shape.push_back(dim);
      if (shape.size() > kMaxRank)
        return "header 'shape' has more than " + std::to_string(kMaxRank) +
               " dimensions";
      skipSpace();
      if (consume(')'))
        return "";
      if (!consume(','))
        return "header 'shape' is malformed";
    }
  }

  const std::string &text;
  size_t pos = 0;
};

/// Maps a .npy type string to a dtype; "" or what is wrong.
std::string dtypeFromDescr(const std::string &descr, tsr_dtype_t &dtype) {
  if (descr.size() < 2)
    return "unsupported dtype '" + descr + "'";
  char order = descr[0];
  std::string kind = descr.substr(1);
  static const struct {
    const char *kind;
    tsr_dtype_t dtype;
  } kKinds[] = {
      {"f2", TSR_DTYPE_F16}, {"f4", TSR_DTYPE_F32}, {"f8", TSR_DTYPE_F64},
      {"i1", TSR_DTYPE_I8},  {"i2", TSR_DTYPE_I16}, {"i4", TSR_DTYPE_I32},
      {"i8", TSR_DTYPE_I64}, {"u1", TSR_DTYPE_U8},  {"u2", TSR_DTYPE_U16},
      {"u4", TSR_DTYPE_U32}, {"u8", TSR_DTYPE_U64}, {"b1", TSR_DTYPE_BOOL}};
  dtype = TSR_DTYPE_INVALID;
  for (const auto &entry : kKinds)
    if (kind == entry.kind)
      dtype = entry.dtype;
  if (dtype == TSR_DTYPE_INVALID)
    return "unsupported dtype '" + descr +
           "' (supported: f2 f4 f8 i1 i2 i4 i8 u1 u2 u4 u8 b1)";
  bool singleByte = tsr_dtype_size(dtype) == 1;
  // '=' is native order, which is little-endian on every host we run on.
  if (order == '>' && !singleByte)
    return "big-endian dtype '" + descr + "' is not supported";
  if (order != '<' && order != '|' && order != '=' && order != '>')
    return "malformed dtype '" + descr + "'";
  return "";
}

std::string shapeString(const std::vector<int64_t> &shape) {
  std::string text = "(";
  for (size_t d = 0; d < shape.size(); ++d)
    text += (d ? ", " : "") + std::to_string(shape[d]);
  return text + (shape.size() == 1 ? ",)" : ")");
}

/// Widens bfloat16 (the top half of a float32) to float32.
std::vector<char> widenBf16(const void *data, size_t byteSize) {
  size_t count = byteSize / 2;
  std::vector<char> out(count * 4);
  const auto *in = static_cast<const uint16_t *>(data);
  for (size_t i = 0; i < count; ++i) {
    uint32_t bits = static_cast<uint32_t>(in[i]) << 16;
    std::memcpy(&out[i * 4], &bits, 4);
  }
  return out;
}

} // namespace

float npy::float8ToFloat(tsr_dtype_t dtype, uint8_t bits) {
  if (dtype == TSR_DTYPE_F4E2M1) { // e2m1, bias 1, no inf or NaN
    int exponent = (bits >> 1) & 3, mantissa = bits & 1;
    float magnitude = exponent ? std::ldexp(1.0f + 0.5f * mantissa, exponent - 1)
                               : 0.5f * mantissa;
    return (bits & 0x8) ? -magnitude : magnitude;
  }
  int expBits = 4, manBits = 3, bias = 7;
  bool uz = dtype == TSR_DTYPE_F8E4M3FNUZ || dtype == TSR_DTYPE_F8E5M2FNUZ;
  if (dtype == TSR_DTYPE_F8E5M2 || dtype == TSR_DTYPE_F8E5M2FNUZ)
    expBits = 5, manBits = 2, bias = 15;
  if (uz)
    ++bias;
  if (uz && bits == 0x80)
    return NAN;
  int exponent = (bits >> manBits) & ((1 << expBits) - 1);
  int mantissa = bits & ((1 << manBits) - 1);
  if (dtype == TSR_DTYPE_F8E4M3FN && (bits & 0x7F) == 0x7F)
    return NAN;
  float magnitude;
  if (dtype == TSR_DTYPE_F8E5M2 && exponent == 31)
    magnitude = mantissa ? NAN : INFINITY;
  else if (exponent == 0)
    magnitude = std::ldexp(static_cast<float>(mantissa), 1 - bias - manBits);
  else
    magnitude = std::ldexp(static_cast<float>(mantissa | (1 << manBits)),
                           exponent - bias - manBits);
  return (bits & 0x80) ? -magnitude : magnitude;
}

std::string npy::npyDescr(tsr_dtype_t dtype) {
  switch (dtype) {
  case TSR_DTYPE_F16:
    return "<f2";
  case TSR_DTYPE_F32:
    return "<f4";
  case TSR_DTYPE_F64:
    return "<f8";
  case TSR_DTYPE_I8:
    return "|i1";
  case TSR_DTYPE_I16:
    return "<i2";
  case TSR_DTYPE_I32:
    return "<i4";
  case TSR_DTYPE_I64:
    return "<i8";
  case TSR_DTYPE_U8:
    return "|u1";
  case TSR_DTYPE_U16:
    return "<u2";
  case TSR_DTYPE_U32:
    return "<u4";
  case TSR_DTYPE_U64:
    return "<u8";
  case TSR_DTYPE_BOOL:
    return "|b1";
  default: // bfloat16, the 8- and 4-bit floats, 4-bit ints: no .npy type
    break;
  }
  return "";
}

std::string npy::parseNpy(std::vector<char> bytes, Array &out) {
  if (bytes.size() < kMagicSize + 2 ||
      std::memcmp(bytes.data(), kMagic, kMagicSize) != 0)
    return "not a .npy file (bad magic)";
  auto byteAt = [&](size_t i) { return static_cast<uint8_t>(bytes[i]); };
  uint8_t major = byteAt(6);
  size_t lengthBytes;
  if (major == 1)
    lengthBytes = 2;
  else if (major == 2 || major == 3)
    lengthBytes = 4;
  else
    return ".npy version " + std::to_string(major) + " is not supported";
  size_t prefix = kMagicSize + 2 + lengthBytes;
  if (bytes.size() < prefix)
    return "truncated .npy header";
  uint64_t headerLength = 0;
  for (size_t i = 0; i < lengthBytes; ++i)
    headerLength |= static_cast<uint64_t>(byteAt(kMagicSize + 2 + i))
                    << (8 * i);
  if (headerLength > bytes.size() - prefix)
    return "header claims " + std::to_string(headerLength) +
           " bytes but the file has only " +
           std::to_string(bytes.size() - prefix) + " after the preamble";
  std::string text(bytes.data() + prefix, headerLength);
  Header header;
  std::string problem = HeaderParser(text).parse(header);
  if (!problem.empty())
    return problem;
  problem = dtypeFromDescr(header.descr, out.dtype);
  if (!problem.empty())
    return problem;
  size_t nonTrivialDims = 0;
  for (int64_t dim : header.shape)
    nonTrivialDims += dim != 1;
  if (header.fortranOrder && nonTrivialDims > 1)
    return "Fortran-order arrays are not supported; save with "
           "np.ascontiguousarray";
  uint64_t expected = tsr_dtype_size(out.dtype);
  for (int64_t dim : header.shape)
    if (__builtin_mul_overflow(expected, static_cast<uint64_t>(dim), &expected))
      return "shape " + shapeString(header.shape) + " is too large";
  uint64_t available = bytes.size() - prefix - headerLength;
  if (available != expected)
    return "shape " + shapeString(header.shape) + " of '" + header.descr +
           "' needs " + std::to_string(expected) + " bytes of data but the " +
           "file has " + std::to_string(available) +
           (available < expected ? " (truncated?)" : "");
  // Drop the preamble in place instead of copying the data.
  bytes.erase(bytes.begin(), bytes.begin() + (prefix + headerLength));
  out.shape = std::move(header.shape);
  out.data = std::move(bytes);
  return "";
}

std::string npy::readFileBytes(const std::string &path,
                               std::vector<char> &bytes) {
  std::FILE *file = std::fopen(path.c_str(), "rb");
  if (!file)
    return "cannot open '" + path + "': " + std::strerror(errno);
  // A directory opens fine on Linux; reject anything but a regular file
  // before trusting its size.
  struct stat info;
  if (::fstat(::fileno(file), &info) != 0 || !S_ISREG(info.st_mode)) {
    std::fclose(file);
    return "'" + path + "' is not a regular file";
  }
  bytes.resize(static_cast<size_t>(info.st_size));
  size_t read =
      bytes.empty() ? 0 : std::fread(bytes.data(), 1, bytes.size(), file);
  std::fclose(file);
  if (read != bytes.size())
    return "cannot read '" + path + "'";
  return "";
}

std::string npy::readNpyFile(const std::string &path, Array &out) {
  std::vector<char> bytes;
  if (std::string error = readFileBytes(path, bytes); !error.empty())
    return error;
  std::string problem = parseNpy(std::move(bytes), out);
  if (!problem.empty())
    return "'" + path + "': " + problem;
  return "";
}

std::string npy::writeNpyFile(const std::string &path, tsr_dtype_t dtype,
                              const int64_t *shape, size_t rank,
                              const void *data, size_t byteSize) {
  std::vector<char> widened;
  if (dtype == TSR_DTYPE_BF16) {
    widened = widenBf16(data, byteSize);
    data = widened.data();
    byteSize = widened.size();
    dtype = TSR_DTYPE_F32;
  } else if (dtype == TSR_DTYPE_I4 || dtype == TSR_DTYPE_U4) {
    // One per byte in memory; only the low four bits are defined.
    const auto *in = static_cast<const uint8_t *>(data);
    widened.resize(byteSize);
    for (size_t i = 0; i < byteSize; ++i) {
      uint8_t v = in[i] & 0xF;
      widened[i] = static_cast<char>(dtype == TSR_DTYPE_I4 && (v & 0x8)
                                         ? (v | 0xF0)
                                         : v);
    }
    data = widened.data();
    dtype = dtype == TSR_DTYPE_I4 ? TSR_DTYPE_I8 : TSR_DTYPE_U8;
  } else if (dtype == TSR_DTYPE_F8E4M3FN || dtype == TSR_DTYPE_F8E4M3FNUZ ||
             dtype == TSR_DTYPE_F8E5M2 || dtype == TSR_DTYPE_F8E5M2FNUZ ||
             dtype == TSR_DTYPE_F4E2M1) {
    // NumPy has no 8-bit floats either: widen to float32 (exactly).
    const auto *in = static_cast<const uint8_t *>(data);
    widened.resize(byteSize * 4);
    for (size_t i = 0; i < byteSize; ++i) {
      float f = float8ToFloat(dtype, in[i]);
      std::memcpy(&widened[i * 4], &f, 4);
    }
    data = widened.data();
    byteSize = widened.size();
    dtype = TSR_DTYPE_F32;
  }
  std::string descr = npyDescr(dtype);
  if (descr.empty())
    return "cannot write '" + path + "': dtype " + tsr_dtype_name(dtype) +
           " has no .npy equivalent";
  std::string dict =
      "{'descr': '" + descr + "', 'fortran_order': False, " +
      "'shape': " + shapeString(std::vector<int64_t>(shape, shape + rank)) +
      ", }";
  // Pad so that the data starts 64-byte aligned, as NumPy does; the header
  // ends with a newline.
  // Version 1 stores the header length in 2 bytes (padding adds < 64).
  bool version2 = dict.size() + 1 + 64 > 65535;
  size_t prefix = kMagicSize + 2 + (version2 ? 4 : 2);
  size_t total = (prefix + dict.size() + 1 + 63) / 64 * 64;
  dict.append(total - prefix - dict.size() - 1, ' ');
  dict += '\n';
  std::string preamble(kMagic, kMagicSize);
  preamble += static_cast<char>(version2 ? 2 : 1);
  preamble += '\0';
  uint64_t length = dict.size();
  for (size_t i = 0; i < (version2 ? 4u : 2u); ++i)
    preamble += static_cast<char>((length >> (8 * i)) & 0xff);

  std::FILE *file = std::fopen(path.c_str(), "wb");
  if (!file)
    return "cannot create '" + path + "': " + std::strerror(errno);
  bool ok = std::fwrite(preamble.data(), 1, preamble.size(), file) ==
                preamble.size() &&
            std::fwrite(dict.data(), 1, dict.size(), file) == dict.size() &&
            (byteSize == 0 || std::fwrite(data, 1, byteSize, file) == byteSize);
  int err = errno;
  if (std::fclose(file) != 0 && ok) {
    ok = false;
    err = errno;
  }
  if (!ok)
    return "cannot write '" + path + "': " + std::strerror(err);
  return "";
}
