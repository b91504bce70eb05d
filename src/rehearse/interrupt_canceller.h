// InterruptCanceller: while it lives, an interrupt (SIGINT, SIGTERM, SIGHUP
// under an InterruptGuard) also stops the statement running on one
// connection (Connection::Cancel), so that Ctrl-C during a rehearsal does
// not wait for a statement that may run for minutes on the copy.
//
// Only for throwaway databases: `apply` on a target finishes the statement
// it is running and records it instead (docs/migrations.md).
//
// Ownership: borrows the connection, which must outlive this object; owns
// one thread that polls for the interrupt, stopped and joined by the
// destructor. Cancel() is asked again every 250 ms until the owner is done,
// in case the first request came between two statements.
#pragma once

#include <condition_variable>
#include <mutex>
#include <thread>

#include "driver/driver.h"

namespace cutover::rehearse {

class InterruptCanceller {
 public:
  explicit InterruptCanceller(Connection& conn);
  ~InterruptCanceller();
  InterruptCanceller(const InterruptCanceller&) = delete;
  InterruptCanceller& operator=(const InterruptCanceller&) = delete;

 private:
  void Run();

  Connection& conn_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  std::thread thread_;
};

}  // namespace cutover::rehearse
