#include "base/interrupt.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>

namespace cutover {
namespace {

std::atomic<int> g_custom_calls{0};
void CustomHandler(int) {
  g_custom_calls.fetch_add(1);
}

struct sigaction Current(int sig) {
  struct sigaction sa {};
  sigaction(sig, nullptr, &sa);
  return sa;
}

// The token puts back whatever was installed before it, not SIG_DFL.
TEST(InterruptToken, RestoresThePreviousHandlers) {
  struct sigaction custom {};
  custom.sa_handler = CustomHandler;
  sigemptyset(&custom.sa_mask);
  struct sigaction saved[3];
  const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
  for (int i = 0; i < 3; ++i) ASSERT_EQ(sigaction(sigs[i], &custom, &saved[i]), 0);
  {
    InterruptToken token;
    for (int sig : sigs) {
      SCOPED_TRACE(SignalName(sig));
      struct sigaction now = Current(sig);
      EXPECT_NE(now.sa_handler, CustomHandler) << "the token did not install its handler";
      EXPECT_NE(now.sa_handler, SIG_DFL);
      EXPECT_EQ(now.sa_flags & SA_RESTART, 0) << "a blocked sleep must return EINTR so its caller polls";
    }
  }
  for (int sig : sigs) {
    SCOPED_TRACE(SignalName(sig));
    EXPECT_EQ(Current(sig).sa_handler, CustomHandler) << "the previous handler is not back";
  }
  for (int i = 0; i < 3; ++i) sigaction(sigs[i], &saved[i], nullptr);
}

TEST(InterruptToken, KeepsAnIgnoredSignalIgnored) {
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  sigemptyset(&ignore.sa_mask);
  struct sigaction saved {};
  ASSERT_EQ(sigaction(SIGHUP, &ignore, &saved), 0);
  {
    InterruptToken token;
    EXPECT_EQ(Current(SIGHUP).sa_handler, SIG_IGN) << "nohup's SIGHUP must stay ignored";
  }
  EXPECT_EQ(Current(SIGHUP).sa_handler, SIG_IGN);
  sigaction(SIGHUP, &saved, nullptr);
}

// A script's background job starts with SIGINT ignored; `kill -INT` must
// still stop a run cleanly, and the ignored disposition comes back after.
TEST(InterruptToken, TakesOverAnIgnoredSigint) {
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  sigemptyset(&ignore.sa_mask);
  struct sigaction saved {};
  ASSERT_EQ(sigaction(SIGINT, &ignore, &saved), 0);
  {
    InterruptToken token;
    EXPECT_NE(Current(SIGINT).sa_handler, SIG_IGN);
    EXPECT_NE(Current(SIGINT).sa_handler, SIG_DFL);
  }
  EXPECT_EQ(Current(SIGINT).sa_handler, SIG_IGN);
  sigaction(SIGINT, &saved, nullptr);
}

// Inside an InterruptGuard a signal only sets the flag; outside every guard
// it does what the previous action did (here: a custom handler that counts).
TEST(InterruptToken, SignalSetsTheFlagInsideAGuardAndFallsThroughOutside) {
  struct sigaction custom {};
  custom.sa_handler = CustomHandler;
  sigemptyset(&custom.sa_mask);
  struct sigaction saved {};
  ASSERT_EQ(sigaction(SIGTERM, &custom, &saved), 0);
  g_custom_calls = 0;
  {
    InterruptToken token;
    {
      InterruptGuard polling;
      EXPECT_FALSE(InterruptGuard::Requested());
      ASSERT_EQ(raise(SIGTERM), 0);
      EXPECT_TRUE(InterruptGuard::Requested());
      EXPECT_EQ(InterruptToken::Signal(), SIGTERM);
      EXPECT_EQ(g_custom_calls.load(), 0) << "inside a guard the signal must not reach the old handler";
      const Status st = InterruptedStatus("nothing was kept", "run it again");
      EXPECT_EQ(st.code(), StatusCode::kCancelled);
      EXPECT_EQ(st.message(), "interrupted by SIGTERM; nothing was kept; run it again");
      EXPECT_EQ(ReworkInterruption(Status::Cancelled("interrupted by SIGTERM"), "kept", "next").message(),
                "interrupted by SIGTERM; kept; next");
      EXPECT_EQ(ReworkInterruption(Status::Io("disk full"), "kept", "next").message(), "disk full");
    }
    ASSERT_EQ(raise(SIGTERM), 0);
    EXPECT_EQ(g_custom_calls.load(), 1) << "outside every guard the previous action runs";
  }
  sigaction(SIGTERM, &saved, nullptr);
}

// A critical section holds the signal back; it is reported meanwhile and
// delivered when the section ends.
TEST(ScopedSignalsHeld, HoldsTheSignalUntilTheSectionEnds) {
  struct sigaction custom {};
  custom.sa_handler = CustomHandler;
  sigemptyset(&custom.sa_mask);
  struct sigaction saved {};
  ASSERT_EQ(sigaction(SIGHUP, &custom, &saved), 0);
  g_custom_calls = 0;
  InterruptToken token;  // no guard: once released, the signal reaches the previous handler
  {
    ScopedSignalsHeld held;
    ASSERT_EQ(raise(SIGHUP), 0);
    EXPECT_EQ(g_custom_calls.load(), 0) << "delivered inside the critical section";
    EXPECT_EQ(InterruptToken::Signal(), SIGHUP) << "a held signal must be reported so the work stops early";
  }
  EXPECT_EQ(g_custom_calls.load(), 1) << "the held signal was not delivered at the end";
  sigaction(SIGHUP, &saved, nullptr);
}

}  // namespace
}  // namespace cutover
