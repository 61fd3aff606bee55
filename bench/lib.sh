# bench/lib.sh -- shared by bench/run.sh and the row scripts it sources (bench/rows_*.sh).
# Needs: TIMEIT (the stopwatch), RUNS (runs per measurement, the best is kept).

# bench_time CMD... [";" CMD...]...: the best wall-clock seconds of RUNS runs of each command
# (start-up included), on one line, separated by blanks. Runs are interleaved.
bench_time() {
  local out
  out=$("$TIMEIT" "$RUNS" "$@") || { echo "bench: timing failed: $*" >&2; exit 1; }
  echo $out
}

# bench_check EXPECTED CMD...: the command's last line of output must be EXPECTED, so every
# figure in the table comes from a program that computed the right thing.
bench_check() {
  local want=$1; shift
  local out got
  out=$("$@" 2>&1) || { echo "bench: '$*' failed: $(tail -n 3 <<<"$out")" >&2; exit 1; }
  got=$(tail -n 1 <<<"$out")
  if [ "$got" != "$want" ]; then
    echo "bench: '$*' printed '$got', expected '$want'" >&2
    exit 1
  fi
}

# Arithmetic and formatting through awk (the shell has no floats).
calc() { awk "BEGIN { printf \"%s\", $1 }"; }
fmt_s() { awk -v t="$1" 'BEGIN { if (t < 0.9995) printf "%.3f s", t; else printf "%.2f s", t }'; }
fmt_ns() { awk -v t="$1" 'BEGIN { printf "%.0f ns", t }'; }
fmt_ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "-" }'; }
# meets A OP B: "yes" or "no" (OP is an awk comparison, e.g. "<=").
meets() { awk -v a="$1" -v b="$3" "BEGIN { print (a $2 b) ? \"yes\" : \"**no**\" }"; }

# bench_row WHAT NABLA ANCHOR ANCHOR_FIGURE RATIO TARGET MET: one line of the table.
bench_row() {
  printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$@"
}
