#!/usr/bin/env bash
# tests/repl/cli.sh NABLA -- the command line: modes, exit statuses, where output goes.
set -u
NABLA=$(realpath "${1:-build/nabla}")
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
pass=0; fail=0

# expect NAME WANT_STATUS WANT_STDOUT WANT_STDERR_PREFIX -- CMD...: runs CMD with stdin from
# $T/in (empty unless a case writes it) and checks status, exact stdout, start of stderr.
expect() {
  local name=$1 st=$2 out=$3 err=$4; shift 5
  "$@" <"$T/in" >"$T/out" 2>"$T/err"
  local rc=$? got_out got_err
  got_out=$(cat "$T/out"); got_err=$(cat "$T/err")
  if [ "$rc" = "$st" ] && [ "$got_out" = "$out" ] && [ "${got_err#"$err"}" != "$got_err" -o -z "$err$got_err" ]; then
    pass=$((pass + 1)); echo "  ok   $name"
  else
    fail=$((fail + 1)); echo "  FAIL $name"
    echo "  | status $rc (want $st)"; echo "  | stdout: $got_out"; echo "  | want:   $out"
    echo "  | stderr: $got_err"; echo "  | want prefix: $err"
  fi
}
: >"$T/in"

echo "command-line tests ($NABLA)"
expect "--version" 0 "nabla $("$NABLA" --version | cut -d' ' -f2)" "" -- "$NABLA" --version
expect "--help goes to stdout" 0 "$("$NABLA" --help)" "" -- "$NABLA" -h
expect "-e runs a string" 0 "42" "" -- "$NABLA" -e 'print(6 * 7)'
expect "-e does not echo values" 0 "" "" -- "$NABLA" -e '6 * 7'
expect "-e passes argv" 0 "3 b" "" -- "$NABLA" -e 'print(len(argv), argv[2])' a b
expect "-e error: stderr and status 1" 1 "" "SyntaxError: line 1" -- "$NABLA" -e 'x = (1 +'
expect "missing file: status 1" 1 "" "nabla: cannot open '$T/nope.nabla': No such file" -- "$NABLA" "$T/nope.nabla"
expect "a directory: status 1" 1 "" "nabla: cannot read '$T'" -- "$NABLA" "$T"
expect "unknown option: status 2" 2 "" "nabla: unknown option '--bogus'" -- "$NABLA" --bogus
expect "-e without code: status 2" 2 "" "nabla: -e needs CODE" -- "$NABLA" -e

printf 'x = 2\nprint(x * 21)\n' >"$T/prog.nabla"
expect "a script runs" 0 "42" "" -- "$NABLA" "$T/prog.nabla"
expect "--dis prints bytecode" 0 "$("$NABLA" --dis "$T/prog.nabla")" "" -- "$NABLA" --dis "$T/prog.nabla"
if [ -s "$T/out" ]; then pass=$((pass + 1)); echo "  ok   --dis output is not empty"
else fail=$((fail + 1)); echo "  FAIL --dis printed nothing"; fi
printf 'print(argv[0] == "%s", argv[1])\n' "$T/args.nabla" >"$T/args.nabla"
expect "script argv is [FILE, ARGS...]" 0 "True one" "" -- "$NABLA" "$T/args.nabla" one

printf 'print("a")\nx = 1 +\nprint("b")\n' >"$T/bad.nabla"
expect "a script with a syntax error runs nothing" 1 "" "SyntaxError: line 2" -- "$NABLA" "$T/bad.nabla"
printf 'print("a")\nprint(nope)\nprint("b")\n' >"$T/bad.nabla"
expect "a runtime error stops the script, output kept" 1 "a" "NameError: line 2" -- "$NABLA" "$T/bad.nabla"

printf 'name = input("name? ")\nprint("hi " + name)\n' >"$T/ask.nabla"
printf 'Ada\n' >"$T/in"
expect "input() reads stdin, prompt on stdout" 0 "name? hi Ada" "" -- "$NABLA" "$T/ask.nabla"
: >"$T/in"
expect "input() at end of input is an error" 1 "name? " "IOError" -- "$NABLA" "$T/ask.nabla"

printf 'x = 3\nx * 2\nnope\nx + 1\n' >"$T/in"
expect "piped stdin: echo, errors go on, status 1" 1 "$(printf '6\n4')" "NameError: line 3" -- "$NABLA"
printf 'print(1)\n' >"$T/in"
expect "'-' reads the program from stdin" 0 "1" "" -- "$NABLA" -
printf 'def f(n):\n    return n + 1\nf(1)\n' >"$T/in"
expect "piped: a block ends at a dedented line" 0 "2" "" -- "$NABLA"
printf 'if True:\n    print("open block at EOF")' >"$T/in"
expect "piped: the end of input closes the last block" 0 "open block at EOF" "" -- "$NABLA"
: >"$T/in"

expect "warn() goes to stderr" 0 "" "warning: careful" -- "$NABLA" -e 'warn("careful")'
expect "display() shows text/plain" 0 "tensor([[1., 2.]])" "" -- "$NABLA" -e 'display([[1, 2]])'
expect "clear_output() off a terminal writes nothing" 0 "$(printf 'a\nb')" "" -- \
  "$NABLA" -e 'print("a")
clear_output()
print("b")'
expect "help(name) is paged to stdout" 0 "$("$NABLA" -e 'help(zeros)')" "" -- "$NABLA" -e 'help(zeros)'
case "$(cat "$T/out")" in
  "zeros("*) pass=$((pass + 1)); echo "  ok   help(zeros) starts with its signature" ;;
  *) fail=$((fail + 1)); echo "  FAIL help(zeros) printed: $(head -n 1 "$T/out")" ;;
esac

# Ctrl-C (SIGINT) stops a running script: the output so far is kept, status 130.
printf 'print("started")\nwhile True:\n    pass\n' >"$T/spin.nabla"
"$NABLA" "$T/spin.nabla" >"$T/out" 2>"$T/err" </dev/null &
spin=$!
sleep 0.5
kill -INT "$spin"
wait "$spin"
rc=$?
if [ $rc -eq 130 ] && [ "$(cat "$T/out")" = started ] && grep -q KeyboardInterrupt "$T/err"; then
  pass=$((pass + 1)); echo "  ok   SIGINT stops a script with status 130"
else
  fail=$((fail + 1)); echo "  FAIL SIGINT: status $rc, stdout '$(cat "$T/out")', stderr '$(cat "$T/err")'"
fi

echo "command-line tests: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
