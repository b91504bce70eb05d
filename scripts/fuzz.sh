#!/usr/bin/env bash
# The sanitizer and fuzzing pass (docs/reliability.md, "Fuzzing"), run by CI
# after the main suite:
#  1. builds build-fuzz/ with clang, AddressSanitizer, UndefinedBehavior-
#     Sanitizer and libFuzzer (CUTOVER_FUZZ=ON), warnings as errors;
#  2. runs the unit tests that need no server, and every fuzz target's seed
#     corpus and saved findings, under the sanitizers;
#  3. fuzzes each target, in one of two modes:
#     - by default (what CI runs) a fixed number of inputs per target from a
#       fixed seed (FUZZ_SEED, default 1), starting from the seed corpus
#       tests/fuzz/corpus/<target>/ only, without address randomization and
#       with libFuzzer's time-weighted (entropic) scheduling off. The same
#       commit then tries the same inputs run after run, so CI does not fail
#       at random on code no one changed. Each count is about 25 s at CI's
#       rate.
#     - FUZZ_SECONDS=N explores: N seconds per target from a random seed,
#       with what earlier runs found kept in build-fuzz/corpus/<target>/.
#       Run it for minutes after changing a parser (docs/reliability.md).
# Any crash, leak, sanitizer report, timeout or failed invariant fails the
# run; libFuzzer saves the input under build-fuzz/fuzz-findings/<target>/ and
# this script prints it. Once fixed, copy it into
# tests/fuzz/regressions/<target>/: the ordinary build replays it as a test.
#
#   scripts/fuzz.sh                       everything, the fixed runs of CI
#   FUZZ_SECONDS=600 scripts/fuzz.sh uri  explore the named targets for 10 min
# Prints a table of executions per target (also build-fuzz/fuzz-summary.txt).
set -euo pipefail
cd "$(dirname "$0")/.."
build="build-fuzz"
seconds=${FUZZ_SECONDS:-}
seed=${FUZZ_SEED:-1}
# Inputs per target in the fixed mode: about 25 s each at the rates of CI's
# machine (docs/reliability.md has the table); a new target gets 100000.
declare -A fixed_runs=([uri]=300000 [config]=700000 [plan]=150000 [split_postgresql]=100000
  [split_mysql]=110000 [split_sqlite]=350000 [schema_json]=70000 [manifest]=140000 [chunk]=600000
  [catalog_time]=5000000 [audit_verify]=400000)

command -v clang++ >/dev/null || { echo "fuzz: clang++ not found; run scripts/setup.sh" >&2; exit 1; }
CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only" -DCUTOVER_FUZZ=ON \
  -DCUTOVER_WARNINGS_AS_ERRORS=ON >/dev/null
mapfile -t all_targets <"$build/fuzz-targets.txt"
# Unit tests without a server (tests/CMakeLists.txt, CUTOVER_SERVER_FREE_TESTS).
mapfile -t unit_tests <"$build/server-free-tests.txt"
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
  echo "fuzz: unit tests and seed corpora under ASan+UBSan"
  ctest --test-dir "$build" --output-on-failure --no-tests=error -j "$(nproc)" --timeout 600 -L server-free
fi

# No address randomization in the fixed mode, where the kernel allows it.
norandom=()
if [ -z "$seconds" ]; then
  if setarch "$(uname -m)" -R true 2>/dev/null; then
    norandom=(setarch "$(uname -m)" -R)
  else
    echo "fuzz: setarch -R is not permitted here; runs may differ slightly from run to run" >&2
  fi
fi
summary="$build/fuzz-summary.txt"
printf '%-18s %12s %10s %8s %s\n' target executions exec/s corpus result | tee "$summary"
failed=0
for t in "${targets[@]}"; do
  findings="$build/fuzz-findings/$t"
  log="$build/fuzz-$t.log"
  if [ -n "$seconds" ]; then
    corpus="$build/corpus/$t"
    budget=(-max_total_time="$seconds")
  else
    corpus="$build/fixed-corpus/$t"
    rm -rf "$corpus"
    # Entropic scheduling weighs inputs by time, and address randomization
    # changes the pointers comparisons feed back: both make runs differ.
    budget=(-seed="$seed" -runs="${fixed_runs[$t]:-100000}" -entropic=0 -reload=0)
  fi
  mkdir -p "$corpus" "$findings"
  status=0
  "${norandom[@]}" "$build/tests/fuzz/${t}_fuzz" "${budget[@]}" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
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
if [ -n "$seconds" ]; then
  echo "fuzz: every target ran ${seconds} s without a finding"
else
  echo "fuzz: every target ran its fixed inputs (seed $seed) without a finding"
fi
