//===- tessera-run.cpp - Run a compiled Tessera model ---------------------===//
//
// Part of the Tessera tools.
//
//===----------------------------------------------------------------------===//
//
// Loads the output directory of tessera-compile (model.tsr + libmodel.so),
// feeds it inputs read from .npy files or ONNX TensorProto (.pb) files, runs
// it, and writes the outputs as .npy files or prints a summary of them:
//
//   tessera-run OUTDIR [--input NAME=FILE ...] [--output-dir DIR]
//               [--repeat N] [--threads T]
//
// `--repeat N` runs N more times after the first run and reports latency.
// This command line is a contract (see DESIGN.md): scripts and benchmarks
// depend on it, so extend it rather than change it. Every failure prints one
// "tessera-run: error: ..." line to stderr and exits with status 1.
//
// Only the public runtime API is used, so this tool is also an example of it.
//
//===----------------------------------------------------------------------===//
#include "Npy.h"
#include "RuntimeHandles.h"
#include "TensorFile.h"

#include "tessera/runtime.h"

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <sys/stat.h>
#include <utility>
#include <vector>

using tessera::npy::Array;
using tessera::npy::readTensorFile;
using tessera::tools::ModelDeleter;
using tessera::tools::SessionDeleter;
using tessera::tools::takeError;

namespace {

constexpr const char *kUsage =
    "usage: tessera-run OUTDIR [--input NAME=FILE ...] [--output-dir DIR]\n"
    "                   [--repeat N] [--threads T]\n"
    "\n"
    "Runs the model that tessera-compile wrote to OUTDIR (model.tsr and\n"
    "libmodel.so).\n"
    "\n"
    "  --input NAME=FILE  value of input NAME, a .npy file or an ONNX\n"
    "                     TensorProto (.pb); every input must be given\n"
    "  --output-dir DIR   write each output to DIR/NAME.npy (else print a\n"
    "                     summary of each output)\n"
    "  --repeat N         after the first run, time N more runs and print\n"
    "                     latency_ms: min, median, p90\n"
    "  --threads T        worker threads (0, the default: one per core)\n";

struct CommandLine {
  std::string outDir;
  std::vector<std::pair<std::string, std::string>> inputs; // name, file
  std::string outputDir;
  bool hasOutputDir = false;
  int64_t repeat = 0;
  int32_t threads = 0;
  bool help = false;
};

/// Parses a non-negative integer no larger than `max`.
bool parseCount(const std::string &text, int64_t max, int64_t &value) {
  if (text.empty() || text.size() > 18 ||
      text.find_first_not_of("0123456789") != std::string::npos)
    return false;
  value = std::strtoll(text.c_str(), nullptr, 10);
  return value <= max;
}

/// Returns "" or what is wrong with the command line.
std::string parseCommandLine(int argc, char **argv, CommandLine &cl) {
  std::vector<std::string> positional;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::string value;
    bool hasValue = false;
    // Accept both "--flag value" and "--flag=value".
    auto takeValue = [&](const char *flag) -> bool {
      std::string prefix = std::string(flag) + "=";
      if (arg.compare(0, prefix.size(), prefix) == 0) {
        value = arg.substr(prefix.size());
        return hasValue = true;
      }
      if (arg != flag)
        return false;
      if (i + 1 < argc) {
        value = argv[++i];
        hasValue = true;
      }
      return true;
    };
    if (arg == "--help" || arg == "-h") {
      cl.help = true;
    } else if (takeValue("--input")) {
      if (!hasValue)
        return "--input needs NAME=FILE";
      size_t equals = value.find('=');
      if (equals == std::string::npos || equals == 0 ||
          equals + 1 == value.size())
        return "--input '" + value + "' is not NAME=FILE";
      std::string name = value.substr(0, equals);
      for (const auto &input : cl.inputs)
        if (input.first == name)
          return "input '" + name + "' is given twice";
      cl.inputs.emplace_back(name, value.substr(equals + 1));
    } else if (takeValue("--output-dir")) {
      if (!hasValue || value.empty())
        return "--output-dir needs a directory";
      cl.outputDir = value;
      cl.hasOutputDir = true;
    } else if (takeValue("--repeat")) {
      if (!hasValue || !parseCount(value, 1000000000, cl.repeat))
        return "--repeat needs a non-negative integer, got '" + value + "'";
    } else if (takeValue("--threads")) {
      int64_t threads;
      if (!hasValue || !parseCount(value, 4096, threads))
        return "--threads needs an integer from 0 to 4096, got '" + value + "'";
      cl.threads = static_cast<int32_t>(threads);
    } else if (arg.size() > 1 && arg[0] == '-') {
      return "unknown option '" + arg + "'";
    } else {
      positional.push_back(arg);
    }
  }
  if (cl.help)
    return "";
  if (positional.size() != 1)
    return positional.empty()
               ? "missing OUTDIR"
               : "expected one OUTDIR, got " +
                     std::to_string(positional.size()) + " arguments";
  cl.outDir = positional.front();
  return "";
}

//===----------------------------------------------------------------------===//
// Printing and writing outputs
//===----------------------------------------------------------------------===//

std::string shapeString(const int64_t *shape, int32_t rank,
                        const char *const *dimNames = nullptr) {
  std::string text = "[";
  for (int32_t d = 0; d < rank; ++d) {
    if (d)
      text += ", ";
    if (shape[d] >= 0)
      text += std::to_string(shape[d]);
    else
      text += dimNames && dimNames[d] && dimNames[d][0] ? dimNames[d] : "?";
  }
  return text + "]";
}

/// "input_ids (int64 [batch, seq]), attention_mask (...)"
std::string describeInputs(const tsr_model_t *model) {
  std::string text;
  for (size_t i = 0; i < tsr_model_num_inputs(model); ++i) {
    tsr_tensor_info_t info;
    tsr_status_t status = tsr_model_input_info(model, i, &info);
    if (status) {
      tsr_status_free(status);
      continue;
    }
    text += (text.empty() ? "" : ", ") + std::string(info.name) + " (" +
            tsr_dtype_name(info.dtype) + " " +
            shapeString(info.shape, info.rank, info.dim_names) + ")";
  }
  return text.empty() ? "(none)" : text;
}

float halfToFloat(uint16_t half) {
  uint32_t sign = (half >> 15) & 1, exponent = (half >> 10) & 0x1f,
           mantissa = half & 0x3ff;
  float magnitude;
  if (exponent == 0)
    magnitude = std::ldexp(static_cast<float>(mantissa), -24);
  else if (exponent == 31)
    magnitude = mantissa ? NAN : INFINITY;
  else
    magnitude = std::ldexp(static_cast<float>(mantissa | 0x400),
                           static_cast<int>(exponent) - 25);
  return sign ? -magnitude : magnitude;
}

std::string formatElement(tsr_dtype_t dtype, const char *p) {
  char buffer[64];
  auto load = [&](auto value) {
    std::memcpy(&value, p, sizeof(value));
    return value;
  };
  switch (dtype) {
  case TSR_DTYPE_F32:
    std::snprintf(buffer, sizeof(buffer), "%g", load(float()));
    break;
  case TSR_DTYPE_F64:
    std::snprintf(buffer, sizeof(buffer), "%g", load(double()));
    break;
  case TSR_DTYPE_F16:
    std::snprintf(buffer, sizeof(buffer), "%g", halfToFloat(load(uint16_t())));
    break;
  case TSR_DTYPE_BF16: {
    uint32_t bits = static_cast<uint32_t>(load(uint16_t())) << 16;
    float value;
    std::memcpy(&value, &bits, sizeof(value));
    std::snprintf(buffer, sizeof(buffer), "%g", value);
    break;
  }
  case TSR_DTYPE_I8:
    std::snprintf(buffer, sizeof(buffer), "%d", load(int8_t()));
    break;
  case TSR_DTYPE_I16:
    std::snprintf(buffer, sizeof(buffer), "%d", load(int16_t()));
    break;
  case TSR_DTYPE_I32:
    std::snprintf(buffer, sizeof(buffer), "%" PRId32, load(int32_t()));
    break;
  case TSR_DTYPE_I64:
    std::snprintf(buffer, sizeof(buffer), "%" PRId64, load(int64_t()));
    break;
  case TSR_DTYPE_U8:
    std::snprintf(buffer, sizeof(buffer), "%u", load(uint8_t()));
    break;
  case TSR_DTYPE_U16:
    std::snprintf(buffer, sizeof(buffer), "%u", load(uint16_t()));
    break;
  case TSR_DTYPE_U32:
    std::snprintf(buffer, sizeof(buffer), "%" PRIu32, load(uint32_t()));
    break;
  case TSR_DTYPE_U64:
    std::snprintf(buffer, sizeof(buffer), "%" PRIu64, load(uint64_t()));
    break;
  case TSR_DTYPE_BOOL:
    return load(uint8_t()) ? "true" : "false";
  case TSR_DTYPE_F8E4M3FN:
  case TSR_DTYPE_F8E4M3FNUZ:
  case TSR_DTYPE_F8E5M2:
  case TSR_DTYPE_F8E5M2FNUZ:
  case TSR_DTYPE_F4E2M1:
    std::snprintf(buffer, sizeof(buffer), "%g",
                  tessera::npy::float8ToFloat(dtype, load(uint8_t())));
    break;
  case TSR_DTYPE_I4:
    std::snprintf(buffer, sizeof(buffer), "%d",
                  ((load(uint8_t()) & 0xF) ^ 0x8) - 0x8);
    break;
  case TSR_DTYPE_U4:
    std::snprintf(buffer, sizeof(buffer), "%u", load(uint8_t()) & 0xFu);
    break;
  case TSR_DTYPE_INVALID:
    return "?";
  }
  return buffer;
}

/// "y: float32 [2, 4] [2, 3, 4, 5, 1, 3, 7, 13]" (at most 8 values).
void printOutput(const char *name, const tsr_tensor_view_t &view) {
  size_t elementSize = tsr_dtype_size(view.dtype);
  size_t count = elementSize ? view.byte_size / elementSize : 0;
  std::string values;
  for (size_t i = 0; i < count && i < 8; ++i)
    values += (i ? ", " : "") +
              formatElement(view.dtype, static_cast<const char *>(view.data) +
                                            i * elementSize);
  if (count > 8)
    values += ", ...";
  std::printf("%s: %s %s [%s]\n", name, tsr_dtype_name(view.dtype),
              shapeString(view.shape, view.rank).c_str(), values.c_str());
}

/// A file name for output `name`: path separators and other unsafe
/// characters become '_'.
std::string sanitizeFileName(const std::string &name, size_t index) {
  std::string safe;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
    safe += ok ? c : '_';
  }
  if (safe.empty() || safe.find_first_not_of('.') == std::string::npos)
    safe = "output_" + std::to_string(index);
  return safe;
}

std::string ensureDirectory(const std::string &dir) {
  struct stat info;
  if (::stat(dir.c_str(), &info) == 0)
    return S_ISDIR(info.st_mode) ? "" : "'" + dir + "' is not a directory";
  if (::mkdir(dir.c_str(), 0777) != 0)
    return "cannot create directory '" + dir + "': " + std::strerror(errno);
  return "";
}

//===----------------------------------------------------------------------===//
// Driver
//===----------------------------------------------------------------------===//


/// Runs the tool; returns "" or the error to report.
std::string runTool(const CommandLine &cl) {
  std::string modelPath = cl.outDir;
  struct stat pathInfo;
  // OUTDIR is normally the directory; the model file itself also works.
  if (::stat(modelPath.c_str(), &pathInfo) != 0 || S_ISDIR(pathInfo.st_mode))
    modelPath += "/model.tsr";

  tsr_model_t *rawModel = nullptr;
  if (std::string error =
          takeError(tsr_model_load(modelPath.c_str(), nullptr, &rawModel));
      !error.empty())
    return error;
  std::unique_ptr<tsr_model_t, ModelDeleter> model(rawModel);

  // Match the given inputs to the signature, by name.
  size_t numInputs = tsr_model_num_inputs(model.get());
  std::vector<tsr_tensor_info_t> inputInfos(numInputs);
  for (size_t i = 0; i < numInputs; ++i)
    if (std::string error =
            takeError(tsr_model_input_info(model.get(), i, &inputInfos[i]));
        !error.empty())
      return error;
  for (const auto &given : cl.inputs) {
    bool known = false;
    for (const tsr_tensor_info_t &info : inputInfos)
      known |= given.first == info.name;
    if (!known)
      return "unknown input '" + given.first +
             "'; the model's inputs are: " + describeInputs(model.get());
  }
  std::vector<Array> arrays(numInputs);
  std::vector<tsr_tensor_view_t> inputs(numInputs);
  for (size_t i = 0; i < numInputs; ++i) {
    const tsr_tensor_info_t &info = inputInfos[i];
    auto given = std::find_if(
        cl.inputs.begin(), cl.inputs.end(),
        [&](const auto &input) { return input.first == info.name; });
    if (given == cl.inputs.end())
      return std::string("missing input '") + info.name +
             "' (give it with --input " + info.name +
             "=FILE); the model's inputs are: " + describeInputs(model.get());
    if (std::string error = readTensorFile(given->second, arrays[i]);
        !error.empty())
      return "input '" + given->first + "': " + error;
    const Array &array = arrays[i];
    if (array.shape.size() > TSR_MAX_RANK)
      return "input '" + given->first + "': '" + given->second + "' has rank " +
             std::to_string(array.shape.size()) + ", more than " +
             std::to_string(TSR_MAX_RANK);
    tsr_tensor_view_t &view = inputs[i];
    view = {};
    view.dtype = array.dtype;
    view.rank = static_cast<int32_t>(array.shape.size());
    std::copy(array.shape.begin(), array.shape.end(), view.shape);
    view.data = const_cast<char *>(array.data.data());
    view.byte_size = array.data.size();
  }

  tsr_session_options_t sessionOptions;
  tsr_session_options_init(&sessionOptions);
  sessionOptions.num_threads = cl.threads;
  tsr_session_t *rawSession = nullptr;
  if (std::string error = takeError(
          tsr_session_create(model.get(), &sessionOptions, &rawSession));
      !error.empty())
    return error;
  std::unique_ptr<tsr_session_t, SessionDeleter> session(rawSession);

  size_t numOutputs = tsr_model_num_outputs(model.get());
  std::vector<tsr_tensor_view_t> outputs(numOutputs);
  auto run = [&]() {
    // NULL data: the session lends its result buffers until the next run.
    std::fill(outputs.begin(), outputs.end(), tsr_tensor_view_t{});
    return takeError(tsr_session_run(session.get(), inputs.data(), numInputs,
                                     outputs.data(), numOutputs));
  };
  if (std::string error = run(); !error.empty()) {
    // Point at the file behind an input the runtime rejected.
    for (const auto &given : cl.inputs)
      if (error.rfind("input '" + given.first + "'", 0) == 0)
        return error + " (read from '" + given.second + "')";
    return error;
  }

  if (cl.hasOutputDir) {
    if (std::string error = ensureDirectory(cl.outputDir); !error.empty())
      return error;
  }
  std::vector<std::string> usedNames;
  for (size_t o = 0; o < numOutputs; ++o) {
    tsr_tensor_info_t info;
    if (std::string error =
            takeError(tsr_model_output_info(model.get(), o, &info));
        !error.empty())
      return error;
    const tsr_tensor_view_t &view = outputs[o];
    if (!cl.hasOutputDir) {
      printOutput(info.name, view);
      continue;
    }
    std::string fileName = sanitizeFileName(info.name, o);
    // Two names that sanitize alike ("a/b", "a:b") must not overwrite.
    if (std::find(usedNames.begin(), usedNames.end(), fileName) !=
        usedNames.end())
      fileName += "_" + std::to_string(o);
    usedNames.push_back(fileName);
    if (std::string error = tessera::npy::writeNpyFile(
            cl.outputDir + "/" + fileName + ".npy", view.dtype, view.shape,
            static_cast<size_t>(view.rank), view.data, view.byte_size);
        !error.empty())
      return "output '" + std::string(info.name) + "': " + error;
  }
  std::fflush(stdout);

  if (cl.repeat > 0) {
    std::vector<double> latencies;
    latencies.reserve(static_cast<size_t>(cl.repeat));
    for (int64_t r = 0; r < cl.repeat; ++r) {
      auto start = std::chrono::steady_clock::now();
      std::string error = run();
      auto end = std::chrono::steady_clock::now();
      if (!error.empty())
        return "timed run " + std::to_string(r + 1) + ": " + error;
      latencies.push_back(
          std::chrono::duration<double, std::milli>(end - start).count());
    }
    std::sort(latencies.begin(), latencies.end());
    size_t n = latencies.size();
    double median = n % 2 ? latencies[n / 2]
                          : (latencies[n / 2 - 1] + latencies[n / 2]) / 2;
    // Nearest-rank percentile.
    size_t p90Rank = static_cast<size_t>(std::ceil(0.9 * n));
    double p90 = latencies[std::max<size_t>(p90Rank, 1) - 1];
    std::printf("latency_ms: min=%.3f median=%.3f p90=%.3f (%zu runs)\n",
                latencies.front(), median, p90, n);
  }
  return "";
}

} // namespace

int main(int argc, char **argv) {
  CommandLine cl;
  std::string error;
  try {
    error = parseCommandLine(argc, argv, cl);
    if (error.empty() && cl.help) {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (!error.empty()) {
      std::fprintf(stderr, "tessera-run: error: %s\n%s", error.c_str(), kUsage);
      return 1;
    }
    error = runTool(cl);
  } catch (const std::bad_alloc &) {
    error = "out of memory";
  } catch (const std::exception &e) {
    error = e.what();
  }
  if (!error.empty()) {
    std::fprintf(stderr, "tessera-run: error: %s\n", error.c_str());
    return 1;
  }
  return 0;
}
