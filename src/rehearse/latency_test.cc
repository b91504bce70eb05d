// LatencyRecorder: percentiles, windows by start time, timeouts and errors,
// blocked time against the baseline, and memory that stays bounded.
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

}  // namespace
}  // namespace cutover::rehearse
