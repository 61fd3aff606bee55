#!/usr/bin/env bash
# bench/train.sh BUILD -- training speed next to PyTorch (DESIGN.md 8), measured in one run:
#
#   MLP  784-256-128-10 ReLU, Adam 1e-3, batch 64, one epoch of Fashion-MNIST (60000 images)
#   CNN  Conv2D(16,3)-MaxPool(2)-Conv2D(32,3)-MaxPool(2)-Flatten-Dense(128)-Dense(10), same
#
# each with 1 and 2 threads (OPENBLAS_NUM_THREADS and OMP_NUM_THREADS for both sides,
# torch.set_num_threads in PyTorch), plus the MLP's test accuracy after 10 epochs and the share
# of an MLP epoch that OpenBLAS's sgemm rate accounts for. nabla runs bench/train_mlp.nabla and
# bench/train_cnn.nabla, PyTorch (Debian's python3-torch, /usr/bin/python3) bench/train_torch.py:
# the same models, initialisation aside. Each program times its own epochs (training only, data
# loading excluded) and prints "epoch SECONDS" lines, then "acc ACCURACY". A figure is the best
# epoch of a run (the first PyTorch epoch is slower: allocator warm-up); the two sides' runs
# alternate, so a burst of load elsewhere hits both.
#
# OpenBLAS 0.3.21 picks its kernels by CPU model; on CPUs it does not know (AMD Zen 5) it falls
# back to AVX2 "Haswell" kernels at half the speed of its AVX-512 ones (65 vs 144 GFLOPS here).
# When the CPU has AVX-512 and OPENBLAS_CORETYPE is unset, both sides run with
# OPENBLAS_CORETYPE=SkylakeX (the sgemm row names the kernels). PyTorch uses the same OpenBLAS
# (its libblas.so.3), so the setting applies to both alike.
#
# Sourced by bench/run.sh (bench_row and friends defined) it prints table rows; run alone it
# prints its own small table. Environment: TRAIN_EPOCHS (default 2), TRAIN_TIMEOUT (seconds
# per program, default 600).
_tr_build=${1:-${BUILD:-build}}
_tr_here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
_tr_nabla=$(realpath "$_tr_build/nabla")
_tr_py=/usr/bin/python3
_tr_epochs=${TRAIN_EPOCHS:-2}
_tr_timeout=${TRAIN_TIMEOUT:-600}
_tr_alone=0
if ! declare -F bench_row >/dev/null; then
  _tr_alone=1
  . "$_tr_here/lib.sh"
  echo "| benchmark | nabla | anchor | anchor's figure | nabla / anchor | target | met |"
  echo "|---|---|---|---|---|---|---|"
fi

_tr_torch=$("$_tr_py" -c 'import torch; print(torch.__version__.split("a")[0].split("+")[0])')
_tr_core=${OPENBLAS_CORETYPE:-}
if [ -z "$_tr_core" ] && grep -qw avx512f /proc/cpuinfo; then _tr_core=SkylakeX; fi
_tr_kernels=""
[ -n "$_tr_core" ] && _tr_kernels=" ($_tr_core kernels)"

# _tr_run THREADS CMD...: the program's output (stderr too); fails the bench when it fails.
_tr_run() {
  local threads=$1; shift
  local out
  if ! out=$(OPENBLAS_CORETYPE=$_tr_core OPENBLAS_NUM_THREADS=$threads OMP_NUM_THREADS=$threads \
             timeout "$_tr_timeout" "$@" 2>&1); then
    echo "bench: '$*' failed or timed out: $(tail -n 3 <<<"$out")" >&2
    exit 1
  fi
  echo "$out"
}

# The best "epoch" time and the last "acc" of a program's output.
_tr_best() { awk '$1 == "epoch" && (b == "" || $2 < b) { b = $2 } END { print b }' <<<"$1"; }
_tr_acc() { awk '$1 == "acc" { a = $2 } END { print a }' <<<"$1"; }

# _tr_pair MODEL THREADS NABLA_EPOCHS: "nabla_best torch_best nabla_acc", runs alternating.
_tr_pair() {
  local model=$1 threads=$2 epochs=$3
  local n t
  n=$(_tr_run "$threads" "$_tr_nabla" "$_tr_here/train_$model.nabla" "$epochs")
  t=$(_tr_run "$threads" "$_tr_py" "$_tr_here/train_torch.py" "$model" "$threads" "$_tr_epochs")
  echo "$(_tr_best "$n") $(_tr_best "$t") $(_tr_acc "$n")"
}

_tr_rows() {
  local model=$1 what=$2 target=$3
  local threads nb tb acc mlp_acc="" mlp_1="" torch_1=""
  for threads in 1 2; do
    local epochs=$_tr_epochs
    [ "$model" = mlp ] && [ "$threads" = 1 ] && epochs=10     # also the accuracy run
    read -r nb tb acc <<<"$(_tr_pair "$model" "$threads" "$epochs")" || true
    if [ -z "${nb:-}" ] || [ -z "${tb:-}" ]; then
      echo "bench: the $model training runs with $threads thread(s) printed no epoch times" >&2
      exit 1
    fi
    local r; r=$(fmt_ratio "$nb" "$tb")
    bench_row "$what, one epoch, $threads thread$([ "$threads" = 2 ] && echo s)" \
              "$(fmt_s "$nb")" "PyTorch $_tr_torch" \
              "$(fmt_s "$tb")" "$r" "at most ${target}x PyTorch's time" "$(meets "$r" "<=" "$target")"
    if [ "$model" = mlp ] && [ "$threads" = 1 ]; then mlp_acc=$acc; mlp_1=$nb; torch_1=$tb; fi
  done
  if [ -n "$mlp_acc" ]; then
    bench_row "MLP test accuracy after 10 epochs" "$mlp_acc" "Fashion-MNIST README MLP" "0.883" \
              "-" "at least 0.885" "$(meets "$mlp_acc" ">=" 0.885)"
    _tr_sgemm_rows "$mlp_1" "$torch_1"
  fi
}

# An MLP epoch's matrix products timed alone (bench/sgemm.c mlp: the eight cblas_sgemm calls
# of a training step, 937.5 steps): how much of nabla's epoch they are, and how much of
# PyTorch's -- the least any framework calling these kernels can spend on an epoch.
_tr_sgemm_rows() {
  local epoch=$1 torch=$2 alone
  cc -O2 -Wall -Wextra -o "$_tr_build/bench/sgemm" "$_tr_here/sgemm.c" \
     $(pkg-config --cflags --libs openblas 2>/dev/null || echo -lopenblas) || exit 1
  alone=$(OPENBLAS_CORETYPE=$_tr_core OPENBLAS_NUM_THREADS=1 "$_tr_build/bench/sgemm" mlp)
  local r; r=$(fmt_ratio "$epoch" "$alone")
  bench_row "sgemm share of an MLP epoch (1 thread)" "$(fmt_s "$epoch")" \
            "the epoch's 8 x 937.5 sgemm calls alone$_tr_kernels" "$(fmt_s "$alone")" \
            "$r" "within 1.5x" "$(meets "$r" "<=" 1.5)"
  r=$(fmt_ratio "$alone" "$torch")
  bench_row "the same sgemm calls against PyTorch's epoch (1 thread)" "$(fmt_s "$alone")" \
            "PyTorch $_tr_torch epoch" "$(fmt_s "$torch")" "$r" \
            "the floor of the MLP ratio on these kernels" "-"
}

mkdir -p "$_tr_build/bench"
_tr_rows mlp "Fashion-MNIST MLP 784-256-128-10, Adam, batch 64" 0.5
_tr_rows cnn "small CNN (conv16-pool-conv32-pool-dense128-10), Adam, batch 64" 1.0
if [ "$_tr_alone" = 1 ]; then
  echo
  _tr_which=${_tr_core:-"the library's own choice"}
  echo "Training rows: best epoch of each run, data loading excluded; OpenBLAS core type:" \
       "$_tr_which for both sides."
fi
