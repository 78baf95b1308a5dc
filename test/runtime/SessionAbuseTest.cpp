//===- SessionAbuseTest.cpp - Many sessions, many threads -----------------===//
//
// Part of the Tessera runtime tests.
//
//===----------------------------------------------------------------------===//
//
// The runtime under the load a server puts on it: 1,000 sessions created,
// run and released (with a thread pool each); 8 threads running their own
// sessions of one model at once, each checking its results; and 8 threads
// sharing one session, where a call that finds another under way is refused
// with a clean status (the documented behavior, runtime.h) and every
// accepted call is right. scripts/tsan.sh runs these (with every other
// runtime GoogleTest) under ThreadSanitizer in the test command.
//
//===----------------------------------------------------------------------===//
#include "RuntimeTestSupport.h"

#include <atomic>
#include <cstring>
#include <thread>
#include <vector>

using namespace tessera;
using namespace tessera::test;

namespace {

/// Runs the scale_add model once on a batch of `rows` rows valued `base`+;
/// returns the status and checks y = x * (1, 2, 3, 4) + 1 when it is OK.
tsr_status_t runScaleAdd(tsr_session_t *session, int rows, float base,
                         bool &correct) {
  std::vector<float> x(rows * 4), y(rows * 4, -1.0f);
  for (int i = 0; i < rows * 4; ++i)
    x[i] = base + static_cast<float>(i);
  tsr_tensor_view_t input = view(TSR_DTYPE_F32, {rows, 4}, x);
  tsr_tensor_view_t output = view(TSR_DTYPE_F32, {}, y);
  tsr_status_t status = tsr_session_run(session, &input, 1, &output, 1);
  correct = true;
  if (!status)
    for (int i = 0; i < rows * 4; ++i)
      correct &= y[i] == x[i] * static_cast<float>(i % 4 + 1) + 1.0f;
  return status;
}

TEST_F(RuntimeTest, AThousandSessionsComeAndGo) {
  ModelPtr model = loadLinked(writeScaleAddModel());
  ASSERT_TRUE(model);
  for (int i = 0; i < 1000; ++i) {
    tsr_session_options_t options;
    tsr_session_options_init(&options);
    options.num_threads = 1 + i % 3;
    tsr_session_t *raw = nullptr;
    ASSERT_TSR_OK(tsr_session_create(model.get(), &options, &raw));
    SessionPtr session(raw);
    bool correct = false;
    ASSERT_TSR_OK(runScaleAdd(session.get(), 1 + i % 5, float(i), correct));
    ASSERT_TRUE(correct) << "session " << i;
  }
}

TEST_F(RuntimeTest, SessionsOfOneModelRunConcurrently) {
  ModelPtr model = loadLinked(writeScaleAddModel());
  ASSERT_TRUE(model);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      tsr_session_t *raw = nullptr;
      if (tsr_status_t s = tsr_session_create(model.get(), nullptr, &raw)) {
        tsr_status_free(s);
        ++failures;
        return;
      }
      SessionPtr session(raw);
      for (int r = 0; r < 200; ++r) {
        bool correct = false;
        tsr_status_t s = runScaleAdd(session.get(), 1 + (t + r) % 7,
                                     float(t * 1000 + r), correct);
        if (s || !correct)
          ++failures;
        tsr_status_free(s);
      }
    });
  for (std::thread &t : threads)
    t.join();
  EXPECT_EQ(failures.load(), 0);
}

TEST_F(RuntimeTest, ConcurrentRunsOfOneSessionAreRefusedCleanly) {
  ModelPtr model = loadLinked(writeScaleAddModel());
  ASSERT_TRUE(model);
  SessionPtr session = createSession(model.get());
  std::atomic<int> ok{0}, refused{0}, wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      for (int r = 0; r < 500; ++r) {
        bool correct = false;
        tsr_status_t s =
            runScaleAdd(session.get(), 1 + (t + r) % 7, float(r), correct);
        if (!s) {
          ok += correct;
          wrong += !correct;
        } else if (tsr_status_code(s) == TSR_STATUS_INVALID_ARGUMENT &&
                   std::strstr(tsr_status_message(s), "another thread")) {
          ++refused;
        } else {
          ++wrong;
        }
        tsr_status_free(s);
      }
    });
  for (std::thread &t : threads)
    t.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_GT(ok.load(), 0);
  EXPECT_EQ(ok.load() + refused.load(), 8 * 500);
  // The session still works once the threads are gone.
  bool correct = false;
  ASSERT_TSR_OK(runScaleAdd(session.get(), 3, 1.0f, correct));
  EXPECT_TRUE(correct);
}

} // namespace
