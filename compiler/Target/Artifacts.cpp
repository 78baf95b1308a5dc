//===- Artifacts.cpp - What tessera-compile writes out --------------------===//
//
// Implements signature extraction, object emission, shared-library linking
// and header writing (see Artifacts.h).
//
//===----------------------------------------------------------------------===//

#include "compiler/Target/Artifacts.h"

#include "dialects/tsr/IR/TsrAttrNames.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Target/TargetOptions.h"
#include "llvm/TargetParser/Host.h"

using namespace mlir;

namespace tessera {

static FailureOr<tsr_dtype_t> toDtype(Type t) {
  if (t.isF32())
    return TSR_DTYPE_F32;
  if (t.isF16())
    return TSR_DTYPE_F16;
  if (t.isBF16())
    return TSR_DTYPE_BF16;
  if (t.isF64())
    return TSR_DTYPE_F64;
  if (t.isInteger(1))
    return TSR_DTYPE_BOOL;
  if (t.isSignlessInteger(8))
    return TSR_DTYPE_I8;
  if (t.isSignlessInteger(16))
    return TSR_DTYPE_I16;
  if (t.isSignlessInteger(32))
    return TSR_DTYPE_I32;
  if (t.isSignlessInteger(64))
    return TSR_DTYPE_I64;
  if (t.isUnsignedInteger(8))
    return TSR_DTYPE_U8;
  if (t.isUnsignedInteger(16))
    return TSR_DTYPE_U16;
  if (t.isUnsignedInteger(32))
    return TSR_DTYPE_U32;
  if (t.isUnsignedInteger(64))
    return TSR_DTYPE_U64;
  if (t.isSignlessInteger(4))
    return TSR_DTYPE_I4;
  if (t.isUnsignedInteger(4))
    return TSR_DTYPE_U4;
  if (isa<Float4E2M1FNType>(t))
    return TSR_DTYPE_F4E2M1;
  if (isa<Float8E4M3FNType>(t))
    return TSR_DTYPE_F8E4M3FN;
  if (isa<Float8E4M3FNUZType>(t))
    return TSR_DTYPE_F8E4M3FNUZ;
  if (isa<Float8E5M2Type>(t))
    return TSR_DTYPE_F8E5M2;
  if (isa<Float8E5M2FNUZType>(t))
    return TSR_DTYPE_F8E5M2FNUZ;
  return failure();
}

static std::vector<int64_t> toShape(RankedTensorType t) {
  std::vector<int64_t> shape;
  for (int64_t d : t.getShape())
    shape.push_back(ShapedType::isDynamic(d) ? -1 : d);
  return shape;
}

static FailureOr<TensorSignature> describeTensor(Operation *fn, Type type,
                                                 DictionaryAttr attrs,
                                                 std::string fallbackName) {
  auto t = dyn_cast<RankedTensorType>(type);
  if (!t)
    return fn->emitError("entry values must be ranked tensors, got ") << type;
  FailureOr<tsr_dtype_t> dtype = toDtype(t.getElementType());
  if (failed(dtype))
    return fn->emitError("unsupported element type ")
           << t.getElementType() << " at the entry boundary";
  if (t.getRank() > TSR_MAX_RANK)
    return fn->emitError("rank ") << t.getRank() << " exceeds the runtime's "
                                  << TSR_MAX_RANK;
  TensorSignature sig;
  sig.name = std::move(fallbackName);
  sig.dtype = *dtype;
  sig.shape = toShape(t);
  if (attrs) {
    if (auto name = attrs.getAs<StringAttr>(tsr::kTensorNameAttr))
      sig.name = name.str();
    if (auto dims = attrs.getAs<ArrayAttr>(tsr::kDimNamesAttr))
      for (Attribute d : dims)
        sig.dimNames.push_back(cast<StringAttr>(d).str());
  }
  if (!sig.dimNames.empty() && sig.dimNames.size() != sig.shape.size())
    return fn->emitError("'") << tsr::kDimNamesAttr << "' of '" << sig.name
                              << "' needs one name per dim";
  return sig;
}

/// The bytes of `value` in the runtime's dense row-major layout.
static FailureOr<ArrayRef<char>> weightBytes(ElementsAttr value,
                                             ModelDescription &model) {
  Type elt = value.getShapedType().getElementType();
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(value)) {
    AsmResourceBlob *blob = resource.getRawHandle().getBlob();
    if (!blob)
      return failure();
    return blob->getData();
  }
  auto dense = dyn_cast<DenseElementsAttr>(value);
  if (!dense)
    return failure();
  size_t eltBytes = elt.isInteger(1) ? 1 : elt.getIntOrFloatBitWidth() / 8;
  size_t n = dense.getNumElements();
  if (!dense.isSplat() && !elt.isInteger(1))
    return dense.getRawData();
  // Splats store one element; i1 is bit-packed: expand both.
  auto owned = std::make_unique<std::vector<char>>(n * eltBytes);
  if (elt.isInteger(1)) {
    size_t i = 0;
    for (bool b : dense.getValues<bool>())
      (*owned)[i++] = b ? 1 : 0;
  } else {
    ArrayRef<char> one = dense.getRawData();
    for (size_t i = 0; i < n; ++i)
      std::memcpy(owned->data() + i * eltBytes, one.data(), eltBytes);
  }
  ArrayRef<char> bytes(owned->data(), owned->size());
  model.ownedData.push_back(std::move(owned));
  return bytes;
}

FailureOr<ModelDescription> describeModel(ModuleOp module,
                                          StringRef symbolPrefix) {
  ModelDescription model;
  for (auto fn : module.getOps<func::FuncOp>()) {
    if (fn.isPrivate() || fn.isExternal())
      continue;
    EntrySignature entry;
    entry.name = fn.getName().str();
    entry.symbol = (symbolPrefix + "_" + fn.getName()).str();
    FunctionType type = fn.getFunctionType();
    for (unsigned i = 0; i < type.getNumInputs(); ++i) {
      DictionaryAttr attrs = fn.getArgAttrDict(i);
      auto value = attrs ? attrs.getAs<ElementsAttr>(tsr::kWeightValueAttr)
                         : ElementsAttr();
      if (value) {
        auto t = cast<RankedTensorType>(value.getShapedType());
        FailureOr<tsr_dtype_t> dtype = toDtype(t.getElementType());
        FailureOr<ArrayRef<char>> bytes = weightBytes(value, model);
        if (failed(dtype) || failed(bytes))
          return fn.emitError("cannot serialize weight argument ") << i;
        WeightBlob w;
        w.name = attrs.getAs<StringAttr>(tsr::kWeightNameAttr).str();
        w.dtype = *dtype;
        w.shape = toShape(t);
        w.data = bytes->data();
        w.size = bytes->size();
        entry.weightIndices.push_back(model.weights.size());
        model.weights.push_back(std::move(w));
        continue;
      }
      FailureOr<TensorSignature> sig = describeTensor(
          fn, type.getInput(i), attrs, "input_" + std::to_string(i));
      if (failed(sig))
        return failure();
      entry.inputs.push_back(std::move(*sig));
    }
    for (unsigned i = 0; i < type.getNumResults(); ++i) {
      FailureOr<TensorSignature> sig =
          describeTensor(fn, type.getResult(i), fn.getResultAttrDict(i),
                         "output_" + std::to_string(i));
      if (failed(sig))
        return failure();
      entry.outputs.push_back(std::move(*sig));
    }
    model.entries.push_back(std::move(entry));
  }
  if (model.entries.empty())
    return module.emitError("the module has no public function to export");
  return model;
}

/// Sets LLVM's command-line option `name` to `value` unless the user gave
/// it (tessera-compile passes LLVM's options through), with the option's
/// own parser, so nothing is assumed about its C++ type.
static void setLLVMOptionDefault(StringRef name, StringRef value) {
  auto &registered = llvm::cl::getRegisteredOptions();
  auto it = registered.find(name);
  if (it == registered.end() || it->second->getNumOccurrences() > 0)
    return;
  (void)it->second->addOccurrence(0, it->first, value);
}

/// Limits LLVM's loop unrolling at O3 (see CpuTargetOptions). LLVM fully
/// unrolls any nest with small constant trip counts and partially unrolls
/// the rest; on the static shapes of small models that made basic blocks of
/// thousands of instructions (a 16x64 reduction: load, add, store, as the
/// buffers may alias) whose scheduling, quadratic in a block's size, took
/// ~90% of the compile (8 s for a 2-layer ViT). LLVM exposes these limits
/// only as its command-line options -unroll-full-max-count and
/// -unroll-allow-partial.
static void limitUnrolling(const CpuTargetOptions &options) {
  if (options.fullUnrollMaxCount)
    setLLVMOptionDefault("unroll-full-max-count",
                         std::to_string(options.fullUnrollMaxCount));
  if (!options.partialUnrolling)
    setLLVMOptionDefault("unroll-allow-partial", "false");
}

/// Drops the argument and result attributes of other dialects than LLVM's
/// (tsr.name, tsr.weight_value, ...: describeModel has read them) from the
/// LLVM functions. The translation warns about each unknown parameter
/// attribute, and each warning prints the whole function: for BERT-base's
/// ~200 weight arguments that took 2 s, a quarter of the compile.
static void dropNonLLVMArgumentAttrs(ModuleOp module) {
  auto llvmOnly = [](DictionaryAttr attrs) {
    SmallVector<NamedAttribute> kept;
    for (NamedAttribute a : attrs)
      if (a.getName().strref().starts_with("llvm."))
        kept.push_back(a);
    return kept;
  };
  module.walk([&](LLVM::LLVMFuncOp fn) {
    for (unsigned i = 0, e = fn.getNumArguments(); i < e; ++i)
      if (DictionaryAttr attrs = fn.getArgAttrDict(i))
        fn.setArgAttrs(i, llvmOnly(attrs));
    for (unsigned i = 0, e = fn.getNumResults(); i < e; ++i)
      if (DictionaryAttr attrs = fn.getResultAttrDict(i))
        fn.setResultAttrs(i, llvmOnly(attrs));
  });
}

LogicalResult emitObjectFile(ModuleOp module, const CpuTargetOptions &options,
                             StringRef path, std::string *irDump,
                             TimingScope *timing) {
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  limitUnrolling(options);
  auto nestTimer = [&](StringRef name) {
    return timing ? timing->nest(name) : TimingScope();
  };

  llvm::LLVMContext llvmContext;
  TimingScope translateTimer = nestTimer("translate to LLVM IR");
  dropNonLLVMArgumentAttrs(module);
  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(module, llvmContext, "tessera_model");
  translateTimer.stop();
  if (!llvmModule)
    return module.emitError("translation to LLVM IR failed");

  llvm::Triple triple(llvm::sys::getDefaultTargetTriple());
  std::string error;
  const llvm::Target *target =
      llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return module.emitError("no LLVM target for ") << triple.str() << ": "
                                                   << error;
  std::string cpu = options.cpu;
  std::string features;
  if (cpu == "native") {
    cpu = llvm::sys::getHostCPUName().str();
    std::vector<std::string> enabled;
    for (const auto &f : llvm::sys::getHostCPUFeatures())
      enabled.push_back((f.second ? "+" : "-") + f.first().str());
    features = llvm::join(enabled, ",");
  }
  std::unique_ptr<llvm::TargetMachine> machine(target->createTargetMachine(
      triple, cpu, features, llvm::TargetOptions(), llvm::Reloc::PIC_,
      std::nullopt, llvm::CodeGenOptLevel::Aggressive));
  if (!machine)
    return module.emitError("cannot create a target machine for CPU '")
           << cpu << "'";
  if (!machine->getMCSubtargetInfo()->isCPUStringValid(cpu))
    return module.emitError("unknown CPU '") << cpu << "'";
  llvmModule->setTargetTriple(triple);
  llvmModule->setDataLayout(machine->createDataLayout());

  auto optimize = makeOptimizingTransformer(/*optLevel=*/3, /*sizeLevel=*/0,
                                            machine.get());
  TimingScope optTimer = nestTimer("LLVM O3");
  if (llvm::Error err = optimize(llvmModule.get()))
    return module.emitError("LLVM optimization failed: ")
           << llvm::toString(std::move(err));
  optTimer.stop();
  if (irDump) {
    llvm::raw_string_ostream os(*irDump);
    llvmModule->print(os, nullptr);
  }

  std::error_code ec;
  llvm::raw_fd_ostream out(path, ec, llvm::sys::fs::OF_None);
  if (ec)
    return module.emitError("cannot write '") << path << "': " << ec.message();
  llvm::legacy::PassManager codegen;
  if (machine->addPassesToEmitFile(codegen, out, nullptr,
                                   llvm::CodeGenFileType::ObjectFile))
    return module.emitError("the target cannot emit object files");
  TimingScope codegenTimer = nestTimer("LLVM code generation");
  codegen.run(*llvmModule);
  codegenTimer.stop();
  out.flush();
  if (out.has_error())
    return module.emitError("error writing '") << path << "'";
  return success();
}

bool linkSharedLibrary(StringRef objectPath, StringRef libraryPath,
                       std::string &error) {
  // Any C compiler driver knows how to link a shared object on this system.
  std::string driver;
  for (StringRef candidate : {"cc", "clang-22", "clang", "gcc"}) {
    if (auto p = llvm::sys::findProgramByName(candidate)) {
      driver = *p;
      break;
    }
  }
  if (driver.empty()) {
    error = "no C compiler driver (cc, clang, gcc) on PATH to link " +
            libraryPath.str();
    return false;
  }
  SmallVector<StringRef> args = {driver, "-shared", "-o", libraryPath,
                                 objectPath, "-lm"};
  std::string message;
  int rc = llvm::sys::ExecuteAndWait(driver, args, std::nullopt, {}, 0, 0,
                                     &message);
  if (rc != 0) {
    error = "linking " + libraryPath.str() + " with " + driver + " failed" +
            (message.empty() ? "" : ": " + message);
    return false;
  }
  return true;
}

/// A C identifier made from `name` (ONNX names hold '/', '.', ':').
static std::string toIdentifier(StringRef name) {
  std::string id;
  for (char c : name)
    id += (std::isalnum(static_cast<unsigned char>(c)) ? c : '_');
  if (id.empty() || std::isdigit(static_cast<unsigned char>(id[0])))
    id = "_" + id;
  return id;
}

static const char *dtypeEnumName(tsr_dtype_t dtype) {
  switch (dtype) {
  case TSR_DTYPE_F32: return "TSR_DTYPE_F32";
  case TSR_DTYPE_F16: return "TSR_DTYPE_F16";
  case TSR_DTYPE_BF16: return "TSR_DTYPE_BF16";
  case TSR_DTYPE_F64: return "TSR_DTYPE_F64";
  case TSR_DTYPE_I8: return "TSR_DTYPE_I8";
  case TSR_DTYPE_I16: return "TSR_DTYPE_I16";
  case TSR_DTYPE_I32: return "TSR_DTYPE_I32";
  case TSR_DTYPE_I64: return "TSR_DTYPE_I64";
  case TSR_DTYPE_U8: return "TSR_DTYPE_U8";
  case TSR_DTYPE_U16: return "TSR_DTYPE_U16";
  case TSR_DTYPE_U32: return "TSR_DTYPE_U32";
  case TSR_DTYPE_U64: return "TSR_DTYPE_U64";
  case TSR_DTYPE_F8E4M3FN: return "TSR_DTYPE_F8E4M3FN";
  case TSR_DTYPE_F8E4M3FNUZ: return "TSR_DTYPE_F8E4M3FNUZ";
  case TSR_DTYPE_F8E5M2: return "TSR_DTYPE_F8E5M2";
  case TSR_DTYPE_F8E5M2FNUZ: return "TSR_DTYPE_F8E5M2FNUZ";
  case TSR_DTYPE_I4: return "TSR_DTYPE_I4";
  case TSR_DTYPE_U4: return "TSR_DTYPE_U4";
  case TSR_DTYPE_F4E2M1: return "TSR_DTYPE_F4E2M1";
  case TSR_DTYPE_BOOL: return "TSR_DTYPE_BOOL";
  default: return "TSR_DTYPE_INVALID";
  }
}

bool writeModelHeader(StringRef path, const ModelDescription &model,
                      StringRef symbolPrefix, std::string &error) {
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec, llvm::sys::fs::OF_Text);
  if (ec) {
    error = "cannot write '" + path.str() + "': " + ec.message();
    return false;
  }
  std::string guard = toIdentifier(symbolPrefix.upper() + "_H");
  std::string p = toIdentifier(symbolPrefix);
  os << "/* Generated by tessera-compile. Do not edit.\n"
        " *\n"
        " * Link model.o and the Tessera runtime (libtessera_runtime.a) into\n"
        " * your app, then:\n"
        " *   tsr_model_t *model;\n"
        " *   tsr_status_t st = "
     << p
     << "_load_linked(\"path/to/model.tsr\", &model);\n"
        " * and run it with tsr_session_create / tsr_session_run.\n"
        " */\n"
     << "#ifndef " << guard << "\n#define " << guard << "\n\n"
     << "#include \"tessera/runtime.h\"\n\n"
     << "#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n";
  for (const EntrySignature &e : model.entries)
    os << "/* Entry '" << e.name << "' (runtime ABI of tessera/abi.h). */\n"
       << "void " << e.symbol << "(void **args);\n";
  os << "\n";
  for (const EntrySignature &e : model.entries) {
    std::string ep = p + "_" + toIdentifier(e.name);
    std::string EP = llvm::StringRef(ep).upper();
    os << "/* Signature of '" << e.name << "'. Dims of -1 are dynamic. */\n";
    os << "enum { " << EP << "_NUM_INPUTS = " << e.inputs.size() << ", " << EP
       << "_NUM_OUTPUTS = " << e.outputs.size() << " };\n";
    auto emitTensors = [&](const std::vector<TensorSignature> &ts,
                           StringRef kind) {
      for (auto [i, t] : llvm::enumerate(ts)) {
        std::string base = EP + "_" + kind.str() + "_" +
                           llvm::StringRef(toIdentifier(t.name)).upper();
        os << "/* " << kind << " " << i << ": '" << t.name << "' "
           << dtypeEnumName(t.dtype) << " [";
        for (auto [d, s] : llvm::enumerate(t.shape)) {
          os << (d ? ", " : "");
          if (s < 0)
            os << (d < t.dimNames.size() && !t.dimNames[d].empty()
                       ? t.dimNames[d]
                       : std::string("?"));
          else
            os << s;
        }
        os << "] */\n";
        os << "#define " << base << "_INDEX " << i << "\n";
        os << "#define " << base << "_DTYPE " << dtypeEnumName(t.dtype)
           << "\n";
        os << "#define " << base << "_RANK " << t.shape.size() << "\n";
      }
    };
    emitTensors(e.inputs, "INPUT");
    emitTensors(e.outputs, "OUTPUT");
    if (e.arenaBytes >= 0) {
      os << "/* Planned peak memory of the intermediates of '" << e.name
         << "', in bytes (one arena per run";
      if (e.dynamicBuffers > 0)
        os << "; " << e.dynamicBuffers
           << " buffers with run-time sizes come on top";
      os << "). */\n#define " << EP << "_PEAK_ACTIVATION_BYTES "
         << e.arenaBytes << "\n";
    }
    os << "\n";
  }
  os << "/* Loads model.tsr with the entries linked into this program. */\n"
     << "static inline tsr_status_t " << p
     << "_load_linked(const char *tsr_path, tsr_model_t **out_model) {\n"
     << "  static const tsr_linked_entry_t entries[] = {\n";
  for (const EntrySignature &e : model.entries)
    os << "      {\"" << e.symbol << "\", " << e.symbol << "},\n";
  os << "  };\n"
     << "  tsr_model_options_t options;\n"
     << "  tsr_model_options_init(&options);\n"
     << "  options.linked_entries = entries;\n"
     << "  options.num_linked_entries = sizeof(entries) / sizeof(entries[0]);\n"
     << "  return tsr_model_load(tsr_path, &options, out_model);\n"
     << "}\n\n"
     << "#ifdef __cplusplus\n}\n#endif\n\n#endif /* " << guard << " */\n";
  os.flush();
  if (os.has_error()) {
    error = "error writing '" + path.str() + "'";
    return false;
  }
  return true;
}

} // namespace tessera
