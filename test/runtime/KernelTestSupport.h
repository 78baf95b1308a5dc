//===- KernelTestSupport.h - Shared code of the kernel tests ----*- C++ -*-===//
//
// Part of the Tessera runtime tests.
//
//===----------------------------------------------------------------------===//
//
// What the GEMM and attention kernel tests share: the ISAs this CPU runs, a
// fixture with one KernelRuntime per thread count, the epilogues in double,
// the sentinel that marks memory a kernel must not write, random fills, and
// the loop that runs a
// case on every ISA and thread count and stops at the first configuration
// that mismatches (so that one bug does not print thousands of lines).
//
//===----------------------------------------------------------------------===//
#ifndef TESSERA_TEST_RUNTIME_KERNELTESTSUPPORT_H
#define TESSERA_TEST_RUNTIME_KERNELTESTSUPPORT_H

#include "KernelRuntime.h"

#include <gtest/gtest.h>

#include <cmath>

#include <initializer_list>
#include <memory>
#include <random>
#include <vector>

namespace tessera::test {

/// Marks output memory the kernel must not write.
inline constexpr float kSentinel = -12345.0f;

/// The kernel ISAs this CPU runs, generic first.
inline std::vector<runtime::SgemmIsa> supportedIsas() {
  std::vector<runtime::SgemmIsa> isas;
  for (runtime::SgemmIsa isa :
       {runtime::SgemmIsa::Generic, runtime::SgemmIsa::Avx2,
        runtime::SgemmIsa::Avx512})
    if (runtime::isSgemmIsaSupported(isa))
      isas.push_back(isa);
  return isas;
}

/// The GEMM epilogues (TSR_EPILOGUE_*) in double precision.
inline double referenceEpilogue(double x, int64_t epilogue) {
  switch (epilogue) {
  case TSR_EPILOGUE_GELU:
    return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0)));
  case TSR_EPILOGUE_GELU_TANH:
    return 0.5 * x *
           (1.0 +
            std::tanh(std::sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x)));
  case TSR_EPILOGUE_SILU:
    return x / (1.0 + std::exp(-x));
  case TSR_EPILOGUE_RELU:
    return x > 0 ? x : 0;
  default:
    return x;
  }
}

/// Fills each of `vectors` in turn, uniform in [low, high].
inline void fillUniform(std::mt19937 &rng, float low, float high,
                        std::initializer_list<std::vector<float> *> vectors) {
  std::uniform_real_distribution<float> dist(low, high);
  for (std::vector<float> *values : vectors)
    for (float &v : *values)
      v = dist(rng);
}

/// One runtime on 1 thread and one on 2 (the parallel split), reused across
/// cases as a session would reuse its runtime.
class KernelTest : public ::testing::Test {
protected:
  void SetUp() override {
    for (unsigned threads : {1u, 2u})
      runtimes.push_back(std::make_unique<runtime::KernelRuntime>(threads));
  }

  /// Calls `run(isa, runtime)` for every supported ISA and runtime; `run`
  /// selects the ISA, runs the kernel and returns how many mismatches it
  /// reported. Stops at the first configuration with mismatches, naming it
  /// and `testCase.describe()`, and returns false.
  template <typename Case, typename Run>
  bool checkEveryConfiguration(const Case &testCase, Run run) {
    for (runtime::SgemmIsa isa : supportedIsas())
      for (auto &runtime : runtimes) {
        int mismatches = run(isa, *runtime);
        if (mismatches) {
          ADD_FAILURE() << mismatches << " mismatches for "
                        << testCase.describe() << " on "
                        << runtime::getSgemmIsaName(isa) << " with "
                        << runtime->pool().numThreads() << " threads";
          return false;
        }
      }
    return true;
  }

  std::vector<std::unique_ptr<runtime::KernelRuntime>> runtimes;
};

} // namespace tessera::test

#endif // TESSERA_TEST_RUNTIME_KERNELTESTSUPPORT_H
