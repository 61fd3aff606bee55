#!/usr/bin/env bash
# bench/run.sh BUILD -- nabla's speed next to its anchors (DESIGN.md 8), measured side by side
# in one run, printed as one Markdown table. `make bench` installs the anchors (tools/deps.sh
# bench) and calls this; it is never part of `make test`.
#
# Every figure is wall-clock, the best of RUNS runs (default 5) of a whole process, start-up
# included, timed by bench/timeit.c, which interleaves the runs of the programs compared. Each program's output is checked once before timing.
# Rows of other parts live in their own scripts, sourced after the core rows when present:
# bench/train.sh (training epochs vs PyTorch), bench/kernel.sh (kernel latency and memory vs
# ipykernel), then any bench/rows_*.sh. Each prints its rows with bench_row (lib.sh).
set -euo pipefail
BUILD=${1:-build}
HERE=$(cd "$(dirname "$0")" && pwd)
NABLA=$(realpath "$BUILD/nabla")
PY=/usr/bin/python3
LUA=lua5.4
RUNS=${RUNS:-5}
TIMEIT="$BUILD/bench/timeit"
mkdir -p "$BUILD/bench"
cc -O2 -Wall -Wextra -o "$TIMEIT" "$HERE/timeit.c"
. "$HERE/lib.sh"

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
echo "nabla $("$NABLA" --version | cut -d' ' -f2) bench, $(date -u +%Y-%m-%d), ${cpu:-unknown CPU}," \
     "$(nproc) cores; $($PY --version 2>&1), $($LUA -v 2>&1 | cut -d' ' -f1-2)," \
     "NumPy $($PY -c 'import numpy; print(numpy.__version__)')."
echo "Wall-clock, best of $RUNS interleaved runs, process start-up included."
echo
echo "| benchmark | nabla | anchor | anchor's figure | nabla / anchor | target | met |"
echo "|---|---|---|---|---|---|---|"

# (1) and (2): whole programs against CPython and Lua 5.4.
script_rows() {   # script_rows NAME WHAT EXPECTED TARGET_RATIO
  local name=$1 what=$2 want=$3 target=$4
  bench_check "$want" "$NABLA" "$HERE/$name.nabla"
  bench_check "$want" "$PY" "$HERE/$name.py"
  bench_check "$want" "$LUA" "$HERE/$name.lua"
  local times tn tp tl
  times=$(bench_time "$NABLA" "$HERE/$name.nabla" ";" "$PY" "$HERE/$name.py" \
                     ";" "$LUA" "$HERE/$name.lua")
  read -r tn tp tl <<<"$times"
  bench_row "$what" "$(fmt_s "$tn")" "Lua 5.4" "$(fmt_s "$tl")" "$(fmt_ratio "$tn" "$tl")" \
            "within ${target}x Lua" "$(meets "$(fmt_ratio "$tn" "$tl")" "<=" "$target")"
  bench_row "" "" "CPython" "$(fmt_s "$tp")" "$(fmt_ratio "$tn" "$tp")" "" ""
}
script_rows loop "scalar loop \`s += i\`, 10^7 iterations" 49999995000000 2
script_rows fib "recursive \`fib(30)\`" 832040 1.5

# (3) per-op cost: (loop with `y = x + x`) - (the same loop empty), over 10^6 iterations.
bench_check 20 "$NABLA" "$HERE/tensor_add.nabla"
bench_check 10 "$NABLA" "$HERE/tensor_add.nabla" empty
bench_check 20.0 "$PY" "$HERE/tensor_add.py"
times=$(bench_time "$NABLA" "$HERE/tensor_add.nabla" ";" "$NABLA" "$HERE/tensor_add.nabla" empty \
                ";" "$PY" "$HERE/tensor_add.py" ";" "$PY" "$HERE/tensor_add.py" empty)
read -r nfull nempty pfull pempty <<<"$times"
nn=$(calc "($nfull - $nempty) * 1e9 / 1000000")
np=$(calc "($pfull - $pempty) * 1e9 / 1000000")
bench_row "\`y = x + x\`, 10 float32, per op (empty loop subtracted)" "$(fmt_ns "$nn")" \
          "NumPy" "$(fmt_ns "$np")" "$(fmt_ratio "$nn" "$np")" "under 100 ns" "$(meets "$nn" "<" 100)"

for rows in "$HERE/train.sh" "$HERE/kernel.sh" "$HERE"/rows_*.sh; do
  if [ -f "$rows" ]; then . "$rows"; fi
done
echo
echo "Per-op rows: each language's 10^6-iteration loop is timed with and without the op (same"
echo "process set-up, same stopwatch) and the difference is divided by 10^6."
