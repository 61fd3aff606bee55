#!/usr/bin/env bash
# tests/repl/run.sh NABLA -- the front end's tests: first the command line (cli.sh), then the
# REPL driven in tmux as a person would drive it: keys in, screen out.
#
# The tmux part checks: banner and prompt; a multi-line def block (with the pre-filled indent); tab
# completion of a global and of an attribute; Ctrl-C at the prompt; Ctrl-C during
# `while True: pass` keeps the session and its variables; Ctrl-D exits with status 0; history
# (multi-line entries included) survives a restart. Skipped, with a message, without tmux.
set -u
NABLA=$(realpath "${1:-build/nabla}")
"$(dirname "$0")/cli.sh" "$NABLA"
cli_status=$?
if ! command -v tmux >/dev/null 2>&1; then
  echo "repl tests: skipped (tmux is not installed)"
  exit $cli_status
fi
export TERM=${TERM:-xterm-256color}
[ "$TERM" = dumb ] && export TERM=xterm-256color
TMP=$(mktemp -d)
SOCK="nabla-repl-test-$$"
S="repl"
export NABLA_HISTORY="$TMP/state/history"   # a directory that does not exist yet
pass=0; fail=0

tm() { tmux -L "$SOCK" -f /dev/null "$@"; }
cleanup() { tm kill-server 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT

screen() { tm capture-pane -p -t "$S" 2>/dev/null; }

# wait_for TEXT [SECONDS]: until TEXT (fixed string) is on the screen.
wait_for() {
  local deadline=$((SECONDS + ${2:-5}))
  while [ $SECONDS -le $deadline ]; do
    screen | grep -qF -- "$1" && return 0
    sleep 0.05
  done
  return 1
}

# check NAME TEXT [SECONDS]: a test case passes when TEXT appears on the screen.
check() {
  if wait_for "$2" "${3:-5}"; then
    pass=$((pass + 1)); echo "  ok   $1"
  else
    fail=$((fail + 1)); echo "  FAIL $1: expected to see: $2"
    echo "  ---- screen ----"; screen | sed -e '/^$/d' -e 's/^/  | /'; echo "  ----------------"
  fi
}

# check_not NAME TEXT: TEXT is not on the screen (after a short settle).
check_not() {
  sleep 0.3
  if screen | grep -qF -- "$2"; then
    fail=$((fail + 1)); echo "  FAIL $1: did not expect: $2"
    screen | sed -e '/^$/d' -e 's/^/  | /'
  else
    pass=$((pass + 1)); echo "  ok   $1"
  fi
}

keys() { tm send-keys -t "$S" "$@"; }
type_line() { tm send-keys -t "$S" -l "$1"; tm send-keys -t "$S" Enter; }
clear_screen() { keys C-l; sleep 0.1; }

# start: a fresh REPL; when it ends, the pane shows its exit status.
start() {
  tm kill-session -t "$S" 2>/dev/null
  tm new-session -d -s "$S" -x 120 -y 40 \
    "NABLA_HISTORY='$NABLA_HISTORY' '$NABLA'; echo \"[exit status \$?]\"; sleep 30"
  wait_for ">>>" 5
}

echo "repl tests ($NABLA, in tmux)"
start
check "banner shows the version" "nabla 0."
check "banner points to help()" "help()"
check "prompt" ">>>"

type_line "x = 41"
type_line "x + 1"
check "a bare expression is echoed" "42"

clear_screen
type_line "def sq(n):"
check "continuation prompt after a block header" "..."
type_line "return n * n"          # typed after the pre-filled indent
check "the suggested indent is pre-filled" "...     return n * n"
type_line ""                      # Enter on the pre-filled indent closes the block
type_line "sq(7)"
check "a multi-line def works" "49"

clear_screen
type_line "learning_rate = 0.25"
keys -l "learning_r"; keys Tab
check "Tab completes a global name" ">>> learning_rate"
keys Enter
check "the completed name evaluates" "0.25"

clear_screen
keys -l "zeros(2)."; keys Tab Tab
check "Tab Tab lists a tensor's attributes" "shape"
keys -l "sha"; keys Tab
check "Tab completes an attribute" ">>> zeros(2).shape"
keys Enter
check "the completed attribute evaluates" "[2]"

clear_screen
keys -l "this is never run"; keys C-c
check "Ctrl-C at the prompt gives a new prompt" "KeyboardInterrupt"
type_line "x"
check "and the session goes on" "41"

clear_screen
type_line "if True:"
type_line "print('spin' + 'ning')"
type_line "while True: pass"
type_line ""
wait_for "spinning"               # the loop is running now
sleep 0.2
keys C-c
check "Ctrl-C stops a running loop" "KeyboardInterrupt"
clear_screen
type_line "x * 2"
check "variables survive the interrupt" "82"

clear_screen
type_line "for i in range(3):"
type_line "print(i * 10)"
type_line ""
check "a for block runs" "20"
keys C-d
check "Ctrl-D leaves with status 0" "[exit status 0]"

if [ -s "$NABLA_HISTORY" ]; then
  pass=$((pass + 1)); echo "  ok   history file created under a new directory"
else
  fail=$((fail + 1)); echo "  FAIL history file $NABLA_HISTORY was not written"
fi

start
keys Up
check "history survives a restart (multi-line entry recalled whole)" "    print(i * 10)"
keys Enter
type_line ""
check "the recalled block runs" "20"
clear_screen
keys Up Up Up
check "older entries are there too" "    while True: pass"
keys C-u C-d

echo "repl tests: $pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$cli_status" -eq 0 ]
