#include "base/status.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <stdexcept>
#include <string>

#include "support/test_env.h"

namespace cutover {
namespace {

TEST(StatusCodes, EveryCodeHasANameAnExitCodeAndARetryableFlag) {
  std::set<std::string> names;
  std::set<int> codes;
  for (const StatusCodeInfo& info : kStatusCodes) {
    SCOPED_TRACE(info.enumerator);
    EXPECT_TRUE(names.insert(info.name).second) << "duplicate name " << info.name;
    EXPECT_TRUE(codes.insert(static_cast<int>(info.code)).second);
    EXPECT_STRNE(info.name, "");
    EXPECT_STREQ(StatusCodeName(info.code), info.name);
    EXPECT_EQ(ExitCodeFor(info.code), info.exit_code);
    EXPECT_EQ(IsRetryable(info.code), info.retryable);
    EXPECT_GE(info.exit_code, 0);
    EXPECT_LE(info.exit_code, 3);
  }
  // The enum is generated from the same list, in order, from kOk = 0.
  for (size_t i = 0; i < std::size(kStatusCodes); ++i)
    EXPECT_EQ(static_cast<size_t>(kStatusCodes[i].code), i);
  EXPECT_EQ(ExitCodeFor(Status::Ok()), 0);
  EXPECT_EQ(ExitCodeFor(Status::CheckFailed("x")), 1);
  EXPECT_EQ(ExitCodeFor(Status::InvalidInput("x")), 2);
  EXPECT_EQ(ExitCodeFor(Status::Io("x")), 3);
}

TEST(StatusCodes, CancelledIsItsOwnRetryableRuntimeError) {
  Status st = Status::Cancelled("interrupted by SIGINT");
  EXPECT_EQ(st.code(), StatusCode::kCancelled);
  EXPECT_NE(st.code(), StatusCode::kIo);
  EXPECT_EQ(ExitCodeFor(st), 3);
  EXPECT_TRUE(IsRetryable(StatusCode::kCancelled));
  EXPECT_FALSE(IsRetryable(StatusCode::kIo)) << "a full disk needs someone to act first";
  EXPECT_TRUE(IsRetryable(StatusCode::kLockTimeout));
  EXPECT_TRUE(IsRetryable(StatusCode::kConnection));
  EXPECT_FALSE(IsRetryable(StatusCode::kCheckFailed));
  EXPECT_EQ(st.ToString(), "cancelled: interrupted by SIGINT");
}

// The table in docs/exit-codes.md is the documentation of kStatusCodes: same
// codes, names, exit codes and retryable flags, in the same order.
TEST(StatusCodes, DocumentedTableMatchesTheCode) {
  const std::string doc = testing::ReadFileOrDie(testing::SourceDir() + "/docs/exit-codes.md");
  ASSERT_FALSE(doc.empty());
  struct Row {
    std::string name;
    int exit_code;
    bool retryable;
  };
  std::vector<std::pair<std::string, Row>> rows;
  size_t pos = 0;
  while ((pos = doc.find("\n| `k", pos)) != std::string::npos) {
    const size_t end = doc.find('\n', pos + 1);
    const std::string line = doc.substr(pos + 1, end - pos - 1);
    pos = end;
    std::vector<std::string> cells;
    size_t from = 1;
    for (size_t bar; (bar = line.find('|', from)) != std::string::npos; from = bar + 1) {
      std::string cell = line.substr(from, bar - from);
      cell.erase(0, cell.find_first_not_of(' '));
      cell.erase(cell.find_last_not_of(' ') + 1);
      cells.push_back(cell);
    }
    ASSERT_GE(cells.size(), 4u) << line;
    ASSERT_TRUE(cells[3] == "yes" || cells[3] == "no") << line;
    rows.push_back(
        {cells[0].substr(1, cells[0].size() - 2), Row{cells[1], std::stoi(cells[2]), cells[3] == "yes"}});
  }
  ASSERT_EQ(rows.size(), std::size(kStatusCodes))
      << "docs/exit-codes.md lists another number of status codes";
  for (size_t i = 0; i < rows.size(); ++i) {
    const StatusCodeInfo& info = kStatusCodes[i];
    SCOPED_TRACE(info.enumerator);
    EXPECT_EQ(rows[i].first, info.enumerator);
    EXPECT_EQ(rows[i].second.name, info.name);
    EXPECT_EQ(rows[i].second.exit_code, ExitCodeFor(info.code));
    EXPECT_EQ(rows[i].second.retryable, IsRetryable(info.code));
  }
}

TEST(Status, ReCodingKeepsTheSqlstate) {
  const Status query = Status::Query("relation \"nope\" does not exist", "42P01");
  const Status context = query.WithContext("0001_a/expand.sql:3");
  EXPECT_EQ(context.sqlstate(), "42P01");
  EXPECT_EQ(context.code(), StatusCode::kQuery);
  const Status checked =
      Status::CheckFailed("statement failed: " + query.message()).WithSqlstate(query.sqlstate());
  EXPECT_EQ(checked.code(), StatusCode::kCheckFailed);
  EXPECT_EQ(checked.sqlstate(), "42P01");
  const Status reworded = checked.WithMessage("other words");
  EXPECT_EQ(reworded.code(), StatusCode::kCheckFailed);
  EXPECT_EQ(reworded.sqlstate(), "42P01");
  EXPECT_EQ(reworded.message(), "other words");
  EXPECT_EQ(reworded.ToString(), "check failed: other words [42P01]");
}

TEST(EscapedException, StdExceptionBecomesAnInternalErrorWithItsText) {
  Status st = StatusFromEscapedException(std::make_exception_ptr(std::out_of_range("vector::at: n >= size")));
  EXPECT_EQ(st.code(), StatusCode::kInternal);
  EXPECT_EQ(ExitCodeFor(st), 3);
  EXPECT_EQ(st.message(),
            "internal error: vector::at: n >= size; please report this with the command line (no secrets)");
}

TEST(EscapedException, AnythingElseIsReportedToo) {
  Status st = StatusFromEscapedException(std::make_exception_ptr(42));
  EXPECT_EQ(st.code(), StatusCode::kInternal);
  EXPECT_NE(st.message().find("internal error: an exception that is not a std::exception"), std::string::npos)
      << st.message();
  EXPECT_NE(st.message().find("please report this with the command line (no secrets)"), std::string::npos);
  Status none = StatusFromEscapedException(nullptr);
  EXPECT_EQ(none.code(), StatusCode::kInternal);
  EXPECT_NE(none.message().find("an unknown exception"), std::string::npos) << none.message();
}

}  // namespace
}  // namespace cutover
