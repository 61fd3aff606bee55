#!/bin/sh
# Links the kernel objects with tests/kernel/fake_lang.c (a stand-in for lang/) into
# BUILD/kernel-fake/nabla-kernel, so the protocol layer can be tested without the language.
# Usage: tests/kernel/build_fake.sh [BUILD]
set -e
B=${1:-build}
cd "$(dirname "$0")/../.."
objs=""
for f in kernel/*.c; do
  o="$B/obj/${f%.c}.o"
  make -s --no-print-directory BUILD="$B" "$o"
  objs="$objs $o"
done
SANFLAGS=""
if nm "$B/obj/kernel/wire.o" 2>/dev/null | grep -q __asan; then
  SANFLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer"
fi
mkdir -p "$B/kernel-fake"
${CC:-cc} -std=c11 -D_GNU_SOURCE -g -O1 -I. $SANFLAGS -Wall -Wextra -Wno-unused-parameter -o "$B/kernel-fake/nabla-kernel" \
  $objs tests/kernel/fake_lang.c -lzmq -ljansson -lcrypto -lpng -lz -lm -lpthread
echo "$B/kernel-fake/nabla-kernel"
