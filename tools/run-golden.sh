#!/usr/bin/env bash
# tools/run-golden.sh NABLA DIR [-v] -- golden tests of the language and of the runner's modes.
#
# DIR/NAME.nabla is run as `NABLA DIR/NAME.nabla ARGS` where ARGS come from an optional
# `# args: a b c` line (split at blanks). Expected stdout: DIR/NAME.out when it exists, else
# the text after every `# expect: ` in the file, one output line each, in order (the comment
# may follow code: `print(2)  # expect: 2`). Expected failure: a line
#     # expect error: Kind: line L, col C: message
# which must equal the first line of stderr, with exit status 1. Without one, the exit status
# must be 0 and stderr empty.
#
# DIR/NAME.stdin is piped into `NABLA` (no file argument: the piped REPL mode). Expected
# stdout: DIR/NAME.out. Expected stderr: DIR/NAME.err if it exists (then exit status 1),
# else empty (exit status 0).
#
# Prints a diff for every failure and a summary; exit status 1 when anything failed.
set -u
NABLA=${1:?usage: run-golden.sh NABLA DIR [-v]}
DIR=${2:?usage: run-golden.sh NABLA DIR [-v]}
VERBOSE=${3:-}
TIMEOUT=${GOLDEN_TIMEOUT:-120}
pass=0; fail=0
W=$(mktemp -d); trap 'rm -rf "$W"' EXIT

ok() { pass=$((pass + 1)); [ -n "$VERBOSE" ] && echo "  ok   $1"; return 0; }
bad() { fail=$((fail + 1)); echo "  FAIL $1: $2"; }

# compare NAME WHAT EXPECTED_FILE ACTUAL_FILE: 0 when equal, else a diff and 1.
compare() {
  if cmp -s "$3" "$4"; then return 0; fi
  bad "$1" "$2 differs (--- expected, +++ actual)"
  diff -u "$3" "$4" | tail -n +3 | head -n 40 | sed 's/^/  | /'
  return 1
}

# check_status NAME WANT GOT STDERR_FILE
check_status() {
  [ "$2" = "$3" ] && return 0
  bad "$1" "exit status $3, expected $2"
  head -n 10 "$4" | sed 's/^/  | stderr: /'
  return 1
}

run_script() {   # run_script FILE
  local f=$1 name base; base=${f%.nabla}; name=$(basename "$base")
  local args=() line
  line=$(sed -n 's/^# args: //p' "$f" | head -n 1)
  [ -n "$line" ] && read -r -a args <<<"$line"
  if [ -f "$base.out" ]; then cp "$base.out" "$W/want"
  else sed -n -E 's/^.*# expect:( (.*))?$/\2/p' "$f" >"$W/want"; fi
  local err_line; err_line=$(sed -n 's/^.*# expect error: //p' "$f" | head -n 1)
  timeout "$TIMEOUT" "$NABLA" "$f" ${args[@]+"${args[@]}"} >"$W/out" 2>"$W/err" </dev/null
  local rc=$?
  [ $rc -eq 124 ] && { bad "$name" "timed out after ${TIMEOUT}s"; return; }
  compare "$name" "stdout" "$W/want" "$W/out" || return
  if [ -n "$err_line" ]; then
    local got; got=$(head -n 1 "$W/err")
    if [ "$got" != "$err_line" ]; then
      bad "$name" "wrong error"; echo "  | expected: $err_line"; echo "  | actual:   $got"; return
    fi
    check_status "$name" 1 $rc "$W/err" || return
  else
    check_status "$name" 0 $rc "$W/err" || return
    if [ -s "$W/err" ]; then bad "$name" "unexpected stderr"; head -n 10 "$W/err" | sed 's/^/  | /'; return; fi
  fi
  ok "$name"
}

run_stdin() {   # run_stdin FILE.stdin
  local f=$1 base name; base=${f%.stdin}; name=$(basename "$f")
  [ -f "$base.out" ] || { bad "$name" "no $base.out"; return; }
  timeout "$TIMEOUT" "$NABLA" <"$f" >"$W/out" 2>"$W/err"
  local rc=$?
  [ $rc -eq 124 ] && { bad "$name" "timed out after ${TIMEOUT}s"; return; }
  compare "$name" "stdout" "$base.out" "$W/out" || return
  if [ -f "$base.err" ]; then
    compare "$name" "stderr" "$base.err" "$W/err" || return
    check_status "$name" 1 $rc "$W/err" || return
  else
    check_status "$name" 0 $rc "$W/err" || return
    if [ -s "$W/err" ]; then bad "$name" "unexpected stderr"; head -n 10 "$W/err" | sed 's/^/  | /'; return; fi
  fi
  ok "$name"
}

[ -x "$NABLA" ] || { echo "run-golden: $NABLA is not an executable"; exit 1; }
shopt -s nullglob
for f in "$DIR"/*.nabla; do run_script "$f"; done
for f in "$DIR"/*.stdin; do run_stdin "$f"; done
echo "golden tests ($DIR): $pass passed, $fail failed"
[ $fail -eq 0 ]
