#!/usr/bin/env bash
# The sanitizer and fuzzing pass (docs/reliability.md, "Fuzzing"), run by CI
# after the main suite:
#  1. builds build-fuzz/ with clang, AddressSanitizer, UndefinedBehavior-
#     Sanitizer and libFuzzer (CUTOVER_FUZZ=ON), warnings as errors;
#  2. runs the unit tests that need no server, and every fuzz target's seed
#     corpus and saved findings, under the sanitizers;
#  3. fuzzes each target for FUZZ_SECONDS seconds (default 30), starting from
#     tests/fuzz/corpus/<target>/ plus what earlier runs found in
#     build-fuzz/corpus/<target>/.
# Any crash, leak, sanitizer report, timeout or failed invariant fails the
# run; libFuzzer saves the input under build-fuzz/fuzz-findings/<target>/ and
# this script prints it. Once fixed, copy it into
# tests/fuzz/regressions/<target>/: the ordinary build replays it as a test.
#
#   scripts/fuzz.sh                       everything, FUZZ_SECONDS=30 per target
#   FUZZ_SECONDS=600 scripts/fuzz.sh uri  a long run of the named targets only
# Prints a table of executions per target (also build-fuzz/fuzz-summary.txt).
set -euo pipefail
cd "$(dirname "$0")/.."
build="build-fuzz"
seconds=${FUZZ_SECONDS:-30}
# Unit tests without a server (each is a test executable of tests/CMakeLists.txt).
unit_tests=(uri_test status_test interrupt_test file_env_test subprocess_test drift_test config_test chunk_test
  restore_access_test catalog_test gate_checks_test audit_log_test plan_test layout_test lint_rules_test
  lint_pg_test migrate_status_test)

command -v clang++ >/dev/null || { echo "fuzz: clang++ not found; run scripts/setup.sh" >&2; exit 1; }
CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only" -DCUTOVER_FUZZ=ON \
  -DCUTOVER_WARNINGS_AS_ERRORS=ON >/dev/null
mapfile -t all_targets <"$build/fuzz-targets.txt"
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all_targets[@]}")

build_targets=()
for t in "${targets[@]}"; do build_targets+=("${t}_fuzz"); done
# The catalog and the plan reader's MySQL and SQLite tests load these plugins.
[ $# -gt 0 ] || build_targets+=("${unit_tests[@]}" cutover_driver_sqlite cutover_driver_mysql)
cmake --build "$build" -j "$(nproc)" --target "${build_targets[@]}"

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
if [ $# -eq 0 ]; then
  pattern=$(IFS='|'; echo "${unit_tests[*]}")
  echo "fuzz: unit tests and seed corpora under ASan+UBSan"
  ctest --test-dir "$build" --output-on-failure --no-tests=error -j "$(nproc)" --timeout 600 \
    -R "^((${pattern})\\.|fuzz_corpus\\.)"
fi

summary="$build/fuzz-summary.txt"
printf '%-18s %12s %10s %8s %s\n' target executions exec/s corpus result | tee "$summary"
failed=0
for t in "${targets[@]}"; do
  corpus="$build/corpus/$t"
  findings="$build/fuzz-findings/$t"
  log="$build/fuzz-$t.log"
  mkdir -p "$corpus" "$findings"
  status=0
  "$build/tests/fuzz/${t}_fuzz" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$findings/" "$corpus" "tests/fuzz/corpus/$t" >"$log" 2>&1 || status=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  size=$(find "$corpus" -type f | wc -l)
  result=ok
  if [ "$status" -ne 0 ]; then
    result="FAILED (exit $status)"
    failed=1
  fi
  printf '%-18s %12s %10s %8s %s\n' "$t" "${runs:-?}" "${rate:-?}" "$size" "$result" | tee -a "$summary"
  if [ "$status" -ne 0 ]; then
    echo "fuzz: $t failed; its log ($log) ends:" >&2
    tail -n 60 "$log" >&2
    for f in "$findings"/*; do
      [ -f "$f" ] || continue
      echo "fuzz: reproducer $f ($(stat -c %s "$f") bytes; run: $build/tests/fuzz/${t}_fuzz $f), first bytes:" >&2
      head -c 320 "$f" | od -A d -c >&2
    done
  fi
done
if [ "$failed" -ne 0 ]; then
  echo "fuzz: a target failed; fix it, then add its reproducer to tests/fuzz/regressions/<target>/" >&2
  exit 1
fi
echo "fuzz: every target ran ${seconds} s without a finding"
