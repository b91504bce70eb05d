#include "base/interrupt.h"

#include <pthread.h>

#include <atomic>

namespace cutover {
namespace {

constexpr int kSignals[] = {SIGINT, SIGTERM, SIGHUP};
constexpr int kSignalCount = 3;

std::atomic<int> g_signal{0};       // the last signal received
std::atomic<int> g_cooperating{0};  // live InterruptGuard scopes
std::atomic<int> g_held{0};         // live ScopedSignalsHeld sections
std::atomic<bool> g_token_live{false};
// Written before the handlers are installed, read by the handler.
struct sigaction g_previous[kSignalCount];
bool g_installed[kSignalCount] = {false, false, false};

int IndexOf(int sig) {
  for (int i = 0; i < kSignalCount; ++i) {
    if (kSignals[i] == sig) return i;
  }
  return -1;
}

void OnSignal(int sig) {
  g_signal.store(sig);
  if (g_cooperating.load() > 0) return;  // the running code polls and stops at a safe point
  // Nobody polls: the signal does what it did before the token (by default
  // it ends the process). It is blocked while this handler runs, so the
  // raised one is delivered on return. Only async-signal-safe calls here.
  const int i = IndexOf(sig);
  if (i < 0) return;
  sigaction(sig, &g_previous[i], nullptr);
  raise(sig);
}

sigset_t TerminationSet() {
  sigset_t set;
  sigemptyset(&set);
  for (int sig : kSignals) sigaddset(&set, sig);
  return set;
}

int PendingSignal() {
  sigset_t pending;
  sigemptyset(&pending);
  if (sigpending(&pending) != 0) return 0;
  for (int sig : kSignals) {
    if (sigismember(&pending, sig) == 1) return sig;
  }
  return 0;
}

}  // namespace

InterruptToken::InterruptToken() {
  if (g_token_live.exchange(true)) return;  // one per process: a second token changes nothing
  owner_ = true;
  g_signal.store(0);  // a new token starts with no request
  for (int i = 0; i < kSignalCount; ++i) {
    struct sigaction old {};
    if (sigaction(kSignals[i], nullptr, &old) != 0) continue;
    // A SIGHUP ignored at start is nohup's request to outlive the terminal:
    // keep it. SIGINT and SIGTERM are taken over even when ignored (a script's
    // background job ignores SIGINT), so `kill -INT` still stops a run cleanly.
    if (kSignals[i] == SIGHUP && (old.sa_flags & SA_SIGINFO) == 0 && old.sa_handler == SIG_IGN) continue;
    g_previous[i] = old;
    struct sigaction sa {};
    sa.sa_handler = OnSignal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;  // no SA_RESTART: a blocked sleep or read returns EINTR and its caller polls
    g_installed[i] = sigaction(kSignals[i], &sa, nullptr) == 0;
  }
}

InterruptToken::~InterruptToken() {
  if (!owner_) return;
  for (int i = 0; i < kSignalCount; ++i) {
    if (!g_installed[i]) continue;
    sigaction(kSignals[i], &g_previous[i], nullptr);
    g_installed[i] = false;
  }
  g_token_live.store(false);
}

bool InterruptToken::Requested() {
  return Signal() != 0;
}

int InterruptToken::Signal() {
  if (int sig = g_signal.load(); sig != 0) return sig;
  return g_held.load() > 0 ? PendingSignal() : 0;
}

std::string SignalName(int sig) {
  switch (sig) {
    case SIGINT: return "SIGINT";
    case SIGTERM: return "SIGTERM";
    case SIGHUP: return "SIGHUP";
    default: return "signal " + std::to_string(sig);
  }
}

Status InterruptedStatus(std::string_view kept, std::string_view next) {
  const int sig = InterruptToken::Signal();
  std::string msg = "interrupted by " + (sig != 0 ? SignalName(sig) : std::string("a signal"));
  if (!kept.empty()) msg += "; " + std::string(kept);
  if (!next.empty()) msg += "; " + std::string(next);
  return Status::Cancelled(std::move(msg));
}

Status ReworkInterruption(const Status& st, std::string_view kept, std::string_view next) {
  if (st.code() != StatusCode::kCancelled) return st;
  return InterruptedStatus(kept, next).WithSqlstate(st.sqlstate());
}

InterruptGuard::InterruptGuard() {
  g_cooperating.fetch_add(1);
}

InterruptGuard::~InterruptGuard() {
  g_cooperating.fetch_sub(1);
}

ScopedSignalsHeld::ScopedSignalsHeld() {
  const sigset_t set = TerminationSet();
  pthread_sigmask(SIG_BLOCK, &set, &previous_);
  g_held.fetch_add(1);
}

ScopedSignalsHeld::~ScopedSignalsHeld() {
  g_held.fetch_sub(1);
  pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
}

}  // namespace cutover
