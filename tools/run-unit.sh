#!/bin/sh
# tools/run-unit.sh TEST_BINARY... -- runs each cmocka driver, shows the output of the ones
# that fail, and prints one summary line: drivers and test cases passed/failed.
# Exit status: 0 when every driver exits 0, else 1.
drivers_ok=0; drivers_failed=0; cases_ok=0; cases_failed=0
log=$(mktemp); trap 'rm -f "$log"' EXIT
if [ $# -eq 0 ]; then
  echo "unit tests: none found (tests/unit/test_*.c)"
  exit 0
fi
for t in "$@"; do
  name=$(basename "$t")
  "$t" >"$log" 2>&1
  rc=$?
  # cmocka's summary lines: "[  PASSED  ] 5 test(s)." and "[  FAILED  ] 1 test(s), listed below:"
  p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -n 1)
  f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -n 1)
  cases_ok=$((cases_ok + ${p:-0})); cases_failed=$((cases_failed + ${f:-0}))
  if [ $rc -eq 0 ]; then
    drivers_ok=$((drivers_ok + 1))
    echo "  ok   $name (${p:-0} tests)"
  else
    drivers_failed=$((drivers_failed + 1))
    echo "  FAIL $name (exit status $rc)"
    sed 's/^/  | /' "$log"
  fi
done
echo "unit tests: $drivers_ok of $((drivers_ok + drivers_failed)) drivers passed;" \
     "$cases_ok test cases passed, $cases_failed failed"
[ $drivers_failed -eq 0 ]
