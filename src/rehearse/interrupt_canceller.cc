#include "rehearse/interrupt_canceller.h"

#include <chrono>

#include "base/interrupt.h"

namespace cutover::rehearse {

InterruptCanceller::InterruptCanceller(Connection& conn) : conn_(conn), thread_([this] { Run(); }) {}

InterruptCanceller::~InterruptCanceller() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    done_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void InterruptCanceller::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!done_) {
    if (InterruptToken::Requested()) {
      lock.unlock();
      (void)conn_.Cancel();  // a failed request: the statement ends on its own
      lock.lock();
      cv_.wait_for(lock, std::chrono::milliseconds(250), [this] { return done_; });
    } else {
      cv_.wait_for(lock, std::chrono::milliseconds(20), [this] { return done_; });
    }
  }
}

}  // namespace cutover::rehearse
