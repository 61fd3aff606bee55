#!/bin/sh
# Installs the Debian packages nabla needs that are missing; does nothing when all are present.
# Usage: tools/deps.sh [build|test|bench]   (each set includes the previous one)
set -e
build="build-essential pkg-config libopenblas-dev libreadline-dev libzmq3-dev libjansson-dev libssl-dev zlib1g-dev libpng-dev libsdl2-dev libsdl2-ttf-dev fonts-dejavu-core"
test="libcmocka-dev python3 python3-numpy python3-jupyter-client python3-jupyter-kernel-test python3-nbclient python3-ipykernel python3-nbformat dataset-fashion-mnist tmux xvfb"
bench="lua5.4 python3-torch"
want="$build"
case "${1:-build}" in
  test) want="$build $test" ;;
  bench) want="$build $test $bench" ;;
esac
missing=""
for p in $want; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "nabla: installing missing Debian packages:$missing"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
