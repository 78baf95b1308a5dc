//===- BenchSupport.h - Shared code of the kernel benchmarks ----*- C++ -*-===//
//
// Part of the Tessera benchmarks.
//
//===----------------------------------------------------------------------===//
//
// What the micro-kernel benchmarks share, so that their numbers stay
// comparable: the same random operands, the same timing rule (best of
// repetitions after a warm-up), the same common flags (--isa, --seconds,
// --threads) and one KernelRuntime per thread count.
//
//===----------------------------------------------------------------------===//
#ifndef TESSERA_BENCH_UKERNELS_BENCHSUPPORT_H
#define TESSERA_BENCH_UKERNELS_BENCHSUPPORT_H

#include "KernelRuntime.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace tessera::bench {

/// The flags every benchmark takes; a benchmark's own options extend it.
struct CommonOptions {
  runtime::SgemmIsa isa = runtime::getBestSgemmIsa();
  double seconds = 0.3;
  unsigned maxThreads = 2;
};

/// Uniform in [-1, 1], seeded so that every run measures the same data.
inline std::vector<float> randomVector(size_t size, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> values(size);
  for (float &v : values)
    v = dist(rng);
  return values;
}

/// Best seconds of `fn` over at least four repetitions filling `seconds`
/// (best, not mean: the machine is shared and we want the kernel's speed,
/// not the neighbours').
inline double bestSeconds(const std::function<void()> &fn, double seconds) {
  fn(); // Warm-up: pages, caches, threads.
  double best = 1e30;
  auto start = std::chrono::steady_clock::now();
  for (int reps = 0;; ++reps) {
    auto before = std::chrono::steady_clock::now();
    fn();
    auto after = std::chrono::steady_clock::now();
    best =
        std::min(best, std::chrono::duration<double>(after - before).count());
    if (reps >= 3 &&
        std::chrono::duration<double>(after - start).count() > seconds)
      break;
  }
  return best;
}

/// What a flag parser made of one argument.
enum class ArgStatus {
  Parsed,
  Invalid, // One of its flags, malformed; the parser printed why.
  Unknown, // Not one of its flags.
};

/// Parses `arg` if it is one of the common flags.
inline ArgStatus parseCommonOption(const std::string &arg,
                                   CommonOptions &options) {
  if (arg.rfind("--isa=", 0) == 0) {
    std::string name = arg.substr(6);
    bool found = false;
    for (runtime::SgemmIsa isa :
         {runtime::SgemmIsa::Generic, runtime::SgemmIsa::Avx2,
          runtime::SgemmIsa::Avx512})
      if (name == runtime::getSgemmIsaName(isa)) {
        options.isa = isa;
        found = true;
      }
    if (!found || !runtime::isSgemmIsaSupported(options.isa)) {
      std::fprintf(stderr, "unsupported ISA '%s'\n", name.c_str());
      return ArgStatus::Invalid;
    }
    return ArgStatus::Parsed;
  }
  if (arg.rfind("--seconds=", 0) == 0) {
    options.seconds = std::atof(arg.c_str() + 10);
    return ArgStatus::Parsed;
  }
  if (arg.rfind("--threads=", 0) == 0) {
    options.maxThreads = static_cast<unsigned>(std::atoi(arg.c_str() + 10));
    return ArgStatus::Parsed;
  }
  return ArgStatus::Unknown;
}

/// Parses argv[1..]: the common flags into `options`, the benchmark's own
/// through `parseOwn`. Returns false (after printing why) at the first
/// argument that is malformed or that neither knows.
inline bool
parseArguments(int argc, char **argv, CommonOptions &options,
               const std::function<ArgStatus(const std::string &)> &parseOwn) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    ArgStatus status = parseCommonOption(arg, options);
    if (status == ArgStatus::Unknown)
      status = parseOwn(arg);
    if (status == ArgStatus::Unknown)
      std::fprintf(stderr, "unknown argument '%s'\n", arg.c_str());
    if (status != ArgStatus::Parsed)
      return false;
  }
  return true;
}

/// 1, 2, 4, ... up to `maxThreads`: the columns of a benchmark's table.
inline std::vector<unsigned> threadCounts(unsigned maxThreads) {
  std::vector<unsigned> counts;
  for (unsigned t = 1; t <= maxThreads; t *= 2)
    counts.push_back(t);
  return counts;
}

/// One runtime per thread count, created once so that thread start-up and
/// workspace allocation stay out of the measurements. Both the SGEMM and
/// the attention kernels use `isa` (the attention benchmark's unfused
/// baseline runs SGEMM too).
inline std::vector<std::unique_ptr<runtime::KernelRuntime>>
makeRuntimes(const std::vector<unsigned> &counts, runtime::SgemmIsa isa) {
  std::vector<std::unique_ptr<runtime::KernelRuntime>> runtimes;
  for (unsigned t : counts) {
    runtimes.push_back(std::make_unique<runtime::KernelRuntime>(t));
    runtimes.back()->setSgemmIsa(isa);
    runtimes.back()->setAttentionIsa(isa);
  }
  return runtimes;
}

} // namespace tessera::bench

#endif // TESSERA_BENCH_UKERNELS_BENCHSUPPORT_H
