// LockObserver on real databases: PostgreSQL shows a session waiting on a
// LOCK TABLE with its wait time and its blocker; SQLite says it cannot see.
#include "rehearse/lock_observer.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <thread>

#include "support/test_env.h"

namespace cutover::rehearse {
namespace {

using cutover::testing::ScratchDatabase;
using cutover::testing::TestDriver;
using std::chrono::milliseconds;

bool WaitFor(const std::function<bool()>& done, milliseconds limit) {
  const auto deadline = Clock::now() + limit;
  while (!done()) {
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(milliseconds(1));
  }
  return true;
}

TEST(LockObserverSqliteTest, ReportsNotObservableAndStopsSampling) {
  ScratchDatabase db("sqlite");
  ASSERT_FALSE(db.name().empty());
  LockObserver observer(*TestDriver("sqlite"), db.uri());
  ASSERT_TRUE(observer.Start().ok());
  ASSERT_TRUE(observer.Mark("statement 1").ok());
  ASSERT_TRUE(WaitFor([&] { return !observer.Stats().observable; }, milliseconds(2000)));
  observer.Stop();
  LockObserverStats stats = observer.Stats();
  EXPECT_FALSE(stats.observable);
  EXPECT_NE(stats.not_observable_reason.find("not observable on this engine"), std::string::npos);
  EXPECT_NE(stats.not_observable_reason.find("SQLite"), std::string::npos) << stats.not_observable_reason;
  EXPECT_EQ(stats.samples, 0);
  EXPECT_EQ(stats.sample_errors, 0);  // not an error
  ASSERT_EQ(observer.Summaries().size(), 1u);
  EXPECT_TRUE(observer.Summaries()[0].locks.empty());
}

TEST(LockObserverSqliteTest, StartFailsWhenTheDatabaseCannotBeOpened) {
  auto nowhere = ConnectionUri::Parse("sqlite:///nonexistent-dir/none.db");
  ASSERT_TRUE(nowhere.ok());
  LockObserver observer(*TestDriver("sqlite"), *nowhere);
  Status st = observer.Start();
  EXPECT_EQ(st.code(), StatusCode::kNotFound) << st.ToString();
  EXPECT_NE(st.message().find("lock observer"), std::string::npos);
  EXPECT_EQ(observer.Mark("").code(), StatusCode::kInvalidInput);
  observer.Stop();
}

TEST(LockObserverPostgresTest, ShowsTheWaitingSessionItsBlockerAndItsWaitTime) {
  ScratchDatabase db("postgresql");
  ASSERT_FALSE(db.name().empty());
  db.Exec("CREATE TABLE t (id integer PRIMARY KEY, v integer); INSERT INTO t VALUES (1, 1);");
  ASSERT_FALSE(HasFailure());
  auto holder = db.Connect();
  auto waiter = db.Connect();
  ASSERT_TRUE(holder && waiter);
  const std::string holder_id = holder->SessionId();
  const std::string waiter_id = waiter->SessionId();

  LockObserverOptions o;
  o.interval = milliseconds(5);
  LockObserver observer(*TestDriver("postgresql"), db.uri(), o);
  ASSERT_TRUE(observer.Start().ok());
  ASSERT_TRUE(observer.Mark("baseline").ok());
  ASSERT_TRUE(WaitFor([&] { return observer.Stats().samples >= 5; }, milliseconds(2000)));
  ASSERT_TRUE(observer.Mark("block").ok());
  ASSERT_TRUE(holder->Begin().ok());
  ASSERT_TRUE(holder->Execute("LOCK TABLE t IN ACCESS EXCLUSIVE MODE").ok());

  Status waited;
  const Clock::time_point wait_started = Clock::now();
  std::thread waiting([&] {
    ExecOptions limit;
    limit.lock_timeout = milliseconds(5000);
    waited = waiter->Query(
        "SELECT v FROM t", [](RowView) { return Status::Ok(); }, limit);
  });
  // The observer must see the wait while it lasts.
  EXPECT_TRUE(WaitFor(
      [&] {
        for (const auto& w : observer.Summaries()) {
          if (w.window == "block" && !w.locks.empty()) return true;
        }
        return false;
      },
      milliseconds(2000)));
  std::this_thread::sleep_until(wait_started + milliseconds(300));
  ASSERT_TRUE(holder->Rollback().ok());
  const double wait_ms = std::chrono::duration<double, std::milli>(Clock::now() - wait_started).count();
  waiting.join();
  EXPECT_TRUE(waited.ok()) << waited.ToString();
  ASSERT_TRUE(observer.Mark("after").ok());
  ASSERT_TRUE(WaitFor([&] { return observer.Summaries().back().samples >= 3; }, milliseconds(2000)));
  observer.Stop();

  const auto windows = observer.Summaries();
  ASSERT_EQ(windows.size(), 3u);
  EXPECT_TRUE(windows[0].locks.empty());  // baseline
  EXPECT_TRUE(windows[2].locks.empty());  // after
  const LockWindowSummary& block = windows[1];
  ASSERT_EQ(block.locks.size(), 1u);
  const ObservedLock& lock = block.locks[0];
  EXPECT_EQ(lock.object, "t");
  EXPECT_EQ(lock.lock, "AccessShareLock");
  EXPECT_EQ(lock.waiting_sessions, std::set<std::string>{waiter_id});
  EXPECT_EQ(lock.blocking_sessions, std::set<std::string>{holder_id});
  EXPECT_EQ(lock.longest_wait_session, waiter_id);
  EXPECT_NE(lock.longest_wait_query.find("SELECT v FROM t"), std::string::npos);
  LockObserverStats stats = observer.Stats();
  // The longest wait seen is the wait, less at most one sampling period.
  const double seen = static_cast<double>(lock.longest_wait.count());
  const double period_ms = static_cast<double>(stats.mean_interval.count()) / 1000.0 +
                           static_cast<double>(stats.max_sample_time.count()) / 1000.0;
  EXPECT_LE(seen, wait_ms + 2.0);
  EXPECT_GE(seen, wait_ms - std::max(20.0, 2 * period_ms)) << "wait " << wait_ms << " ms";
  EXPECT_GT(lock.samples_seen, 10);
  EXPECT_TRUE(stats.observable);
  EXPECT_EQ(stats.sample_errors, 0) << stats.first_error;
  EXPECT_LE(stats.mean_interval, milliseconds(10));
  std::printf(
      "[ observer ] wait %.1f ms, longest seen %.0f ms; %lld samples, mean sample %lld us, "
      "max sample %lld us, mean interval %lld us\n",
      wait_ms, seen, static_cast<long long>(stats.samples),
      static_cast<long long>(stats.mean_sample_time.count()),
      static_cast<long long>(stats.max_sample_time.count()),
      static_cast<long long>(stats.mean_interval.count()));
}

}  // namespace
}  // namespace cutover::rehearse
