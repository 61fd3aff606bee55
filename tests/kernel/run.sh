#!/bin/sh
# tests/kernel/run.sh [BUILD] [--fake] -- every test of the Jupyter kernel.
#
#   1. cmocka unit tests of the protocol code (test_wire/text/history/conn.c), linked with the
#      kernel objects of BUILD (with the sanitizers when BUILD was built with them), and the
#      fuzz target fuzz_msg.c run over its seed corpus tests/kernel/corpus/;
#   2. the kernel installed by `nabla-kernel --install --prefix` into a temporary JUPYTER_PATH
#      under BUILD (nothing outside BUILD is touched), then, with /usr/bin/python3:
#      test_jkt (jupyter_kernel_test), test_protocol and test_lifecycle (jupyter_client), and
#      test_notebooks (every tests/notebooks/*.ipynb under nbclient).
#
# The Python suites run twice: first against the kernel objects linked with
# tests/kernel/fake_lang.c instead of the language (the protocol layer alone, exact and
# language-independent), then against BUILD/nabla-kernel with the real language (plus the
# notebooks). --fake runs only the first.
# NABLA_KERNEL=path overrides the kernel binary. Exit status 0 when everything passed.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
B=build
FAKE=0
for a in "$@"; do
  case "$a" in
    --fake) FAKE=1 ;;
    *) B="$a" ;;
  esac
done
PY=/usr/bin/python3
# Everything the tests write (kernelspec, connection files, temp files) stays under BUILD.
case "$B" in /*) BD=$B ;; *) BD=$ROOT/$B ;; esac
mkdir -p "$BD"
T=$(mktemp -d "$BD/kernel-tests.XXXXXX")
mkdir -p "$T/tmp"
export TMPDIR="$T/tmp"
export
trap 'rm -rf "$T"' EXIT INT TERM
failed=0

# ---- 1. C unit tests ------------------------------------------------------------------------
SANFLAGS=""
if nm "$B/obj/kernel/wire.o" 2>/dev/null | grep -q __asan; then
  SANFLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer"
fi
unit() {   # unit NAME OBJS...
  name=$1; shift
  objs=""
  for o in "$@"; do
    make -s --no-print-directory BUILD="$B" "$B/obj/kernel/$o.o" || return 1
    objs="$objs $B/obj/kernel/$o.o"
  done
  ${CC:-cc} -std=c11 -D_GNU_SOURCE -g -I. $SANFLAGS -o "$T/test_$name" "tests/kernel/test_$name.c" \
    $objs -lcmocka -ljansson -lcrypto || return 1
  "$T/test_$name"
}
for spec in "wire wire" "text text" "history history text" "conn conn"; do
  # shellcheck disable=SC2086
  unit $spec || { echo "kernel unit test failed: $spec"; failed=1; }
done
# The fuzz target's decoder over its seed corpus (the same entry point libFuzzer drives).
${CC:-cc} -std=c11 -D_GNU_SOURCE -g -I. -DFUZZ_MAIN $SANFLAGS -o "$T/fuzz_msg" tests/kernel/fuzz_msg.c \
  "$B/obj/kernel/wire.o" -ljansson -lcrypto && "$T/fuzz_msg" tests/kernel/corpus/* || failed=1

# ---- 2. the kernel through real Jupyter clients ---------------------------------------------
export JUPYTER_RUNTIME_DIR="$T/runtime" JUPYTER_DATA_DIR="$T/data" JUPYTER_CONFIG_DIR="$T/config" \
       IPYTHONDIR="$T/ipython" PYDEVD_DISABLE_FILE_VALIDATION=1 PYTHONDONTWRITEBYTECODE=1
# Sanitizer builds: leaks are checked by the unit tests; a kernel killed by the client at
# shutdown must not fail on its exit report.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0}"

suite() {   # suite NAME KERNEL FAKE MODULES...: install KERNEL as "nabla" and run the modules
  name=$1 kernel=$2 fake=$3; shift 3
  case "$kernel" in /*) ;; *) kernel="$ROOT/$kernel" ;; esac
  if [ ! -x "$kernel" ]; then
    echo "kernel tests ($name): $kernel is not built"
    return 1
  fi
  rm -rf "$T/prefix"
  "$kernel" --install --prefix "$T/prefix" >/dev/null || return 1
  echo "== kernel tests ($name): $*"
  (cd tests/kernel && JUPYTER_PATH="$T/prefix/share/jupyter" NABLA_KERNEL_FAKE=$fake "$PY" -m unittest "$@")
}

# The protocol layer alone, with tests/kernel/fake_lang.c standing in for the language: exact,
# language-independent checks of every request (e.g. update_display_data throttling).
if fake=$(tests/kernel/build_fake.sh "$B"); then
  suite "protocol, fake language" "$fake" 1 test_jkt test_protocol test_lifecycle || failed=1
else
  failed=1
fi
if [ "$FAKE" = 0 ]; then
  suite "nabla" "${NABLA_KERNEL:-$B/nabla-kernel}" 0 test_jkt test_protocol test_lifecycle test_notebooks || failed=1
fi

if [ "$failed" = 0 ]; then echo "kernel tests: all passed"; else echo "kernel tests: FAILED"; fi
exit $failed
