// LatencyRecorder: percentiles, windows by start time, timeouts and errors,
// blocked time against the baseline, memory that stays bounded, and the
// timeline (latency series and blocked intervals) the HTML report draws.
#include "rehearse/latency.h"

#include <gtest/gtest.h>

#include <chrono>

namespace cutover::rehearse {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;

const Clock::time_point kT0 = Clock::time_point() + std::chrono::hours(1);

TEST(LatencyRecorderTest, PercentilesAreNearestRankOverOkAndTimeouts) {
  LatencyRecorder r;
  ASSERT_TRUE(r.Mark("w", kT0).ok());
  // 1..100 ms in scrambled order.
  for (int i = 0; i < 100; ++i) {
    const int ms = (i * 37) % 100 + 1;
    r.Record(kT0 + milliseconds(i), milliseconds(ms), ProbeOutcome::kOk);
  }
  auto s = r.Summary("w");
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->count, 100);
  EXPECT_EQ(s->p50, milliseconds(50));
  EXPECT_EQ(s->p95, milliseconds(95));
  EXPECT_EQ(s->max, milliseconds(100));
  EXPECT_EQ(s->timeouts, 0);
  EXPECT_FALSE(s->sampled);
  EXPECT_FALSE(s->settled);  // still open
  r.Finish();
  EXPECT_TRUE(r.Summary("w")->settled);
  EXPECT_EQ(r.Summary("w")->p95, milliseconds(95));
}

TEST(LatencyRecorderTest, SamplesBelongToTheWindowCurrentWhenTheyStarted) {
  LatencyRecorder r;
  r.Record(kT0 - milliseconds(5), milliseconds(1), ProbeOutcome::kOk);  // before any mark
  ASSERT_TRUE(r.Mark("baseline", kT0).ok());
  ASSERT_TRUE(r.Mark("statement 1", kT0 + milliseconds(100)).ok());
  ASSERT_TRUE(r.Mark("after", kT0 + milliseconds(600)).ok());
  // Started in "statement 1", blocked, and recorded only after "after" was marked.
  r.Record(kT0 + milliseconds(110), milliseconds(490), ProbeOutcome::kOk);
  r.Record(kT0 + milliseconds(50), milliseconds(2), ProbeOutcome::kOk);
  r.Record(kT0 + milliseconds(700), milliseconds(3), ProbeOutcome::kOk);
  auto all = r.Summaries();
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all[0].window, kBeforeFirstMark);
  EXPECT_EQ(all[0].count, 1);
  EXPECT_EQ(all[1].window, "baseline");
  EXPECT_EQ(all[1].max, milliseconds(2));
  EXPECT_EQ(all[2].window, "statement 1");
  EXPECT_EQ(all[2].max, milliseconds(490));
  EXPECT_EQ(all[2].begin, kT0 + milliseconds(100));
  EXPECT_EQ(all[2].end, kT0 + milliseconds(600));
  EXPECT_EQ(all[3].max, milliseconds(3));
}

TEST(LatencyRecorderTest, AProbeInFlightAcrossAMarkCountsInBothWindowsTimeInFlight) {
  LatencyRecorder r;
  ASSERT_TRUE(r.Mark("baseline", kT0).ok());
  for (int i = 0; i < 5; ++i) r.Record(kT0 + milliseconds(i), milliseconds(2), ProbeOutcome::kOk);
  ASSERT_TRUE(r.Mark("statement 1", kT0 + milliseconds(100)).ok());
  // Started 3 ms before the statement's mark, then blocked by it until 400 ms
  // after the mark; no probe started during the statement.
  r.Record(kT0 + milliseconds(97), milliseconds(403), ProbeOutcome::kOk);
  ASSERT_TRUE(r.Mark("after", kT0 + milliseconds(600)).ok());
  auto baseline = r.Summary("baseline");
  auto statement = r.Summary("statement 1");
  ASSERT_TRUE(baseline && statement);
  EXPECT_EQ(baseline->count, 6);  // counted where it started
  EXPECT_EQ(baseline->max, milliseconds(403));
  EXPECT_EQ(baseline->max_in_window, milliseconds(3));  // its 3 ms before the mark
  EXPECT_EQ(statement->count, 0);
  EXPECT_EQ(statement->max_in_window, milliseconds(400));
  EXPECT_DOUBLE_EQ(*r.BlockedMs("statement 1", "baseline"), 398.0);
  EXPECT_EQ(r.Summary("after")->max_in_window, milliseconds(0));
}

TEST(LatencyRecorderTest, TimeoutsCountWithTheirLatencyErrorsOnlyAsCounts) {
  LatencyRecorder r;
  ASSERT_TRUE(r.Mark("w", kT0).ok());
  r.Record(kT0, milliseconds(1), ProbeOutcome::kOk);
  r.Record(kT0, milliseconds(250), ProbeOutcome::kTimeout);
  r.Record(kT0, milliseconds(900), ProbeOutcome::kError, "table \"t\" does not exist");
  r.Record(kT0, milliseconds(5), ProbeOutcome::kError, "second error");
  auto s = r.Summary("w");
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->count, 4);
  EXPECT_EQ(s->timeouts, 1);
  EXPECT_EQ(s->errors, 2);
  EXPECT_EQ(s->first_error, "table \"t\" does not exist");
  EXPECT_EQ(s->max, milliseconds(250));  // the error's 900 ms is not a latency
}

TEST(LatencyRecorderTest, BlockedIsTheMaxAboveTheBaselineMedianNeverNegative) {
  LatencyRecorder r;
  ASSERT_TRUE(r.Mark("baseline", kT0).ok());
  for (int i = 0; i < 9; ++i) r.Record(kT0, milliseconds(2), ProbeOutcome::kOk);
  r.Record(kT0, milliseconds(40), ProbeOutcome::kOk);  // one slow baseline probe does not move the median
  ASSERT_TRUE(r.Mark("block", kT0 + milliseconds(10)).ok());
  r.Record(kT0 + milliseconds(11), microseconds(502'500), ProbeOutcome::kOk);
  r.Record(kT0 + milliseconds(12), milliseconds(3), ProbeOutcome::kOk);
  ASSERT_TRUE(r.Mark("quiet", kT0 + milliseconds(600)).ok());
  r.Record(kT0 + milliseconds(601), milliseconds(1), ProbeOutcome::kOk);
  ASSERT_TRUE(r.Mark("empty", kT0 + milliseconds(700)).ok());

  auto blocked = r.BlockedMs("block", "baseline");
  ASSERT_TRUE(blocked.ok()) << blocked.status().ToString();
  EXPECT_DOUBLE_EQ(*blocked, 500.5);
  EXPECT_DOUBLE_EQ(*r.BlockedMs("quiet", "baseline"), 0.0);  // 1 ms < baseline median 2 ms
  EXPECT_DOUBLE_EQ(*r.BlockedMs("empty", "baseline"), 0.0);
  auto missing = r.BlockedMs("statement 9", "baseline");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("statement 9"), std::string::npos);
  EXPECT_EQ(r.BlockedMs("block", "warmup").status().code(), StatusCode::kNotFound);
}

TEST(LatencyRecorderTest, MarkRefusesEmptyRepeatedAndBackwardNames) {
  LatencyRecorder r;
  ASSERT_TRUE(r.Mark("a", kT0).ok());
  Status empty = r.Mark("", kT0 + milliseconds(1));
  EXPECT_EQ(empty.code(), StatusCode::kInvalidInput);
  Status again = r.Mark("a", kT0 + milliseconds(2));
  EXPECT_EQ(again.code(), StatusCode::kInvalidInput);
  EXPECT_NE(again.message().find("'a'"), std::string::npos);
  Status backwards = r.Mark("b", kT0 - milliseconds(1));
  EXPECT_EQ(backwards.code(), StatusCode::kInvalidInput);
  EXPECT_EQ(r.Mark(std::string(kBeforeFirstMark), kT0 + milliseconds(3)).code(), StatusCode::kInvalidInput);
  EXPECT_TRUE(r.Mark("b", kT0 + milliseconds(3)).ok());
}

TEST(LatencyRecorderTest, ReservoirBoundsOneLongWindowAndKeepsExactCounters) {
  LatencyRecorderOptions o;
  o.max_raw_samples = 1000;
  LatencyRecorder r(o);
  ASSERT_TRUE(r.Mark("long", kT0).ok());
  // A million probes, latencies uniform over 0..999 us, one 5 s outlier.
  for (int i = 0; i < 1'000'000; ++i)
    r.Record(kT0 + microseconds(i), microseconds(i % 1000), ProbeOutcome::kOk);
  r.Record(kT0, std::chrono::seconds(5), ProbeOutcome::kOk);
  EXPECT_LE(r.RawSamplesHeld(), 1000u);
  auto s = r.Summary("long");
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->count, 1'000'001);
  EXPECT_EQ(s->max, std::chrono::seconds(5));  // exact even though the reservoir may not hold it
  EXPECT_TRUE(s->sampled);
  EXPECT_NEAR(static_cast<double>(s->p50.count()), 500.0, 60.0);
  EXPECT_NEAR(static_cast<double>(s->p95.count()), 950.0, 30.0);
}

TEST(LatencyRecorderTest, SettledWindowsDropTheirRawSamples) {
  LatencyRecorderOptions o;
  o.settle = milliseconds(100);
  LatencyRecorder r(o);
  // 2000 windows of 50 ms with 100 samples each: an hours-long run in miniature.
  for (int w = 0; w < 2000; ++w) {
    const Clock::time_point begin = kT0 + milliseconds(50 * w);
    ASSERT_TRUE(r.Mark("statement " + std::to_string(w), begin).ok());
    for (int i = 0; i < 100; ++i) r.Record(begin + microseconds(i), microseconds(100 + i), ProbeOutcome::kOk);
    // Windows that ended more than 100 ms ago are settled: at most this one
    // and the two before it still hold raw samples.
    ASSERT_LE(r.RawSamplesHeld(), 300u) << "window " << w;
  }
  auto first = r.Summary("statement 0");
  ASSERT_TRUE(first.has_value());
  EXPECT_TRUE(first->settled);
  EXPECT_EQ(first->count, 100);
  EXPECT_EQ(first->p50, microseconds(149));
  EXPECT_EQ(first->max, microseconds(199));
  // A straggler for a settled window still counts and still raises max.
  r.Record(kT0 + milliseconds(1), milliseconds(700), ProbeOutcome::kTimeout);
  EXPECT_EQ(r.Summary("statement 0")->timeouts, 1);
  EXPECT_EQ(r.Summary("statement 0")->max, milliseconds(700));
  r.Finish();
  EXPECT_EQ(r.RawSamplesHeld(), 0u);
  EXPECT_TRUE(r.Summary("statement 1999")->settled);
  EXPECT_EQ(r.Summary("statement 1999")->p95, microseconds(194));
}

// Probes every 10 ms on two staggered connections (as ProbeWorkload runs
// them), 1 ms each, except while a stall holds everything between
// [stall_begin, stall_end): a probe started then ends at stall_end + 1 ms.
void FeedStaggered(LatencyRecorder& r, Clock::time_point from, Clock::time_point to,
                   Clock::time_point stall_begin, Clock::time_point stall_end) {
  for (Clock::time_point t = from; t < to; t += milliseconds(5)) {
    Clock::duration latency = milliseconds(1);
    if (t >= stall_begin && t < stall_end) latency = (stall_end - t) + milliseconds(1);
    r.Record(t, latency, ProbeOutcome::kOk);
  }
}

TEST(LatencyTimelineTest, AKnownStallIsOneIntervalOfItsLengthAtItsOffset) {
  LatencyRecorderOptions o;
  o.origin = kT0;
  LatencyRecorder r(o);
  ASSERT_TRUE(r.Mark("baseline", kT0).ok());
  FeedStaggered(r, kT0, kT0 + milliseconds(1000), Clock::time_point::max(), Clock::time_point::max());
  ASSERT_TRUE(r.UseBaseline("baseline").ok());
  ASSERT_TRUE(r.Mark("statement", kT0 + milliseconds(1000)).ok());
  // A 500 ms stall from 2000 ms to 2500 ms.
  FeedStaggered(r, kT0 + milliseconds(1000), kT0 + milliseconds(4000), kT0 + milliseconds(2000),
                kT0 + milliseconds(2500));
  const LatencyTimeline t = r.Timeline();
  ASSERT_TRUE(t.allowed.has_value());
  EXPECT_EQ(*t.allowed, milliseconds(11));  // baseline p95 (1 ms) + the 10 ms margin
  ASSERT_EQ(t.blocked.size(), 1u);
  EXPECT_EQ(t.blocked[0].begin - kT0, milliseconds(2000));
  // Until the stall ended: the last blocked probe's end minus the baseline median.
  EXPECT_EQ(t.blocked[0].end - kT0, milliseconds(2500));
  EXPECT_EQ(t.blocked_dropped, 0);
  // The interval lasts what BlockedMs charges the statement.
  EXPECT_DOUBLE_EQ(*r.BlockedMs("statement", "baseline"), 500.0);
  // The latency series: 50 ms buckets; the stall's first bucket peaks at 501 ms.
  EXPECT_EQ(t.bucket, milliseconds(50));
  ASSERT_EQ(t.points.size(), 80u);  // 4 s of probes in 50 ms buckets
  for (const LatencyPoint& p : t.points) {
    const auto at = std::chrono::duration_cast<milliseconds>(p.at - kT0).count();
    if (at == 2000) {
      EXPECT_EQ(p.max, milliseconds(501));
    } else if (at > 2000 && at < 2500) {
      EXPECT_EQ(p.max, milliseconds(2500 - at + 1));
    } else {
      EXPECT_EQ(p.max, milliseconds(1)) << at;
    }
  }
}

TEST(LatencyTimelineTest, NothingIsBlockedBeforeTheBaselineIsFixedOrWithinWhatItAllows) {
  LatencyRecorderOptions o;
  o.origin = kT0;
  LatencyRecorder r(o);
  ASSERT_TRUE(r.Mark("baseline", kT0).ok());
  r.Record(kT0, milliseconds(300), ProbeOutcome::kOk);  // not judged yet
  EXPECT_FALSE(r.Timeline().allowed.has_value());
  EXPECT_EQ(r.UseBaseline("nope").code(), StatusCode::kNotFound);
  ASSERT_TRUE(r.UseBaseline("baseline").ok());
  // The baseline's p95 is now 300 ms: a 305 ms probe is within it (+10 ms).
  r.Record(kT0 + milliseconds(400), milliseconds(305), ProbeOutcome::kOk);
  r.Record(kT0 + milliseconds(800), milliseconds(2), ProbeOutcome::kError, "gone");
  EXPECT_TRUE(r.Timeline().blocked.empty());
  // A timeout counts with its latency.
  r.Record(kT0 + milliseconds(1000), milliseconds(2000), ProbeOutcome::kTimeout);
  const LatencyTimeline t = r.Timeline();
  ASSERT_EQ(t.blocked.size(), 1u);
  EXPECT_EQ(t.blocked[0].begin - kT0, milliseconds(1000));
  EXPECT_EQ(t.blocked[0].end - kT0, milliseconds(2700));  // 2000 ms minus the baseline median (300)
}

TEST(LatencyTimelineTest, MemoryStaysBoundedOverALongRun) {
  LatencyRecorderOptions o;
  o.origin = kT0;
  o.max_points = 2000;
  o.max_blocked_intervals = 100;
  o.settle = milliseconds(100);
  LatencyRecorder r(o);
  ASSERT_TRUE(r.Mark("baseline", kT0).ok());
  r.Record(kT0, milliseconds(1), ProbeOutcome::kOk);
  ASSERT_TRUE(r.UseBaseline("baseline").ok());
  // Ten hours of one probe per second, with a stall of 20 + (n % 50) ms
  // every 10 s: 3599 separate intervals, one of them 2 s long.
  for (int s = 1; s < 36000; ++s) {
    Clock::duration latency = milliseconds(1);
    if (s % 10 == 0) latency = milliseconds(20 + (s / 10) % 50);
    if (s == 18000) latency = milliseconds(2001);
    r.Record(kT0 + std::chrono::seconds(s), latency, ProbeOutcome::kOk);
  }
  const LatencyTimeline t = r.Timeline();
  EXPECT_LE(t.points.size(), 2000u);
  EXPECT_GE(t.points.size(), 1000u);
  EXPECT_GE(t.bucket, std::chrono::seconds(18));  // 36000 s over at most 2000 buckets
  ASSERT_EQ(t.blocked.size(), 100u);
  EXPECT_EQ(t.blocked_dropped, 3599 - 100);
  // The longest are kept, the 2 s one among them, in time order.
  bool long_one = false;
  for (std::size_t i = 0; i < t.blocked.size(); ++i) {
    EXPECT_GE(t.blocked[i].end - t.blocked[i].begin, milliseconds(60));
    if (i > 0) {
      EXPECT_LT(t.blocked[i - 1].end, t.blocked[i].begin);
    }
    if (t.blocked[i].end - t.blocked[i].begin == milliseconds(2000)) long_one = true;
  }
  EXPECT_TRUE(long_one);
  // The 2 s probe is the peak of its bucket.
  std::chrono::microseconds peak{0};
  for (const LatencyPoint& p : t.points) peak = std::max(peak, p.max);
  EXPECT_EQ(peak, milliseconds(2001));
}

}  // namespace
}  // namespace cutover::rehearse
