// Interruptions: the one component of cutover that knows about SIGINT,
// SIGTERM and SIGHUP.
//
// InterruptToken is owned by `main` (one per process, created before the
// command runs, destroyed after). It installs one handler for the three
// signals, without SA_RESTART so a blocking sleep or read returns EINTR and
// its caller gets to poll; a SIGHUP that was ignored when the process
// started (nohup) stays ignored. Its destructor puts back
// the PREVIOUS actions (whatever they were), never SIG_DFL.
//
// The handler only records the signal. Whether that stops the run at a safe
// point depends on whether code that polls is running: InterruptGuard marks
// such a scope (apply, snapshot, restore, restore-test), and inside it the
// work polls InterruptToken::Requested() (or InterruptGuard::Requested()),
// finishes or undoes what it was doing (a statement, a batch, a partial
// snapshot) and returns InterruptedStatus(...) (kCancelled, exit 3). Outside
// every InterruptGuard the signal keeps its previous effect (by default the
// process ends), so a command that never polls (verify, schema, drift) is
// still stopped by Ctrl-C.
//
// ScopedSignalsHeld is a critical section: the three signals are blocked
// (pthread_sigmask) for its lifetime, so a scratch database is never left
// half created or undropped; a signal that arrives meanwhile waits, is
// reported by Requested() so the work can stop early, and is delivered when
// the section ends.
#pragma once

#include <signal.h>

#include <string>
#include <string_view>

#include "base/status.h"

namespace cutover {

class InterruptToken {
 public:
  InterruptToken();   // installs the handlers (the first token in the process only)
  ~InterruptToken();  // restores the previous actions
  InterruptToken(const InterruptToken&) = delete;
  InterruptToken& operator=(const InterruptToken&) = delete;

  // Cheap (an atomic load; a sigpending call only inside ScopedSignalsHeld):
  // poll it between units of work.
  static bool Requested();
  // The signal received (or held pending), 0 when none.
  static int Signal();

 private:
  bool owner_ = false;  // this token installed the handlers
};

// "SIGINT", "SIGTERM", "SIGHUP", or "signal N".
std::string SignalName(int sig);

// The one message shape of an interruption, kCancelled:
//   "interrupted by SIGINT; <kept>; <next>"
// `kept` says truthfully what the run left behind (committed statements,
// nothing, a removed partial directory), `next` what to run now. Either may
// be empty when the caller does not know yet (an inner loop); the command's
// top level then rewords it with ReworkInterruption().
Status InterruptedStatus(std::string_view kept = {}, std::string_view next = {});

// `st` with the interruption message rebuilt for what the command kept; any
// other status unchanged.
Status ReworkInterruption(const Status& st, std::string_view kept, std::string_view next);

// Marks a scope whose code polls for interruption: inside it a signal only
// sets the flag. The static accessors are those of InterruptToken.
class InterruptGuard {
 public:
  InterruptGuard();
  ~InterruptGuard();
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;
  static bool Requested() { return InterruptToken::Requested(); }
  static int Signal() { return InterruptToken::Signal(); }
};

// Blocks SIGINT, SIGTERM and SIGHUP in this thread (and the threads it
// starts) for its lifetime; a pending one is delivered at destruction.
class ScopedSignalsHeld {
 public:
  ScopedSignalsHeld();
  ~ScopedSignalsHeld();
  ScopedSignalsHeld(const ScopedSignalsHeld&) = delete;
  ScopedSignalsHeld& operator=(const ScopedSignalsHeld&) = delete;

 private:
  sigset_t previous_;
};

}  // namespace cutover
