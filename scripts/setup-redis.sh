#!/usr/bin/env bash
# Redis for the tests of what replicas share (limits, change notices): Debian's redis-tools,
# which carries the server binary (as redis-check-rdb) without installing a system service.
#
#   scripts/setup-redis.sh                       install when missing
#   scripts/setup-redis.sh start DIR PORT [OWNER_PID]
#                                                a throw-away server on 127.0.0.1:PORT, its
#                                                files in DIR; prints its PID. With OWNER_PID,
#                                                it stops when that process ends.
#   scripts/setup-redis.sh stop DIR              stops the server of DIR (by its PID file)
set -euo pipefail
# Descriptors inherited from the caller (a test process's sockets) must not live on in the
# server and its watcher.
for fd in /proc/$$/fd/*; do
  n=${fd##*/}
  [ "$n" -gt 2 ] 2>/dev/null && eval "exec $n>&-" 2>/dev/null || true
done
here=$(cd "$(dirname "$0")" && pwd)
sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo

# The server binary: Debian's redis-server when installed, else redis-tools' copy of it
# (one binary that acts by the name it is started under).
server() {
  if command -v redis-server >/dev/null; then exec redis-server "$@"; fi
  exec -a redis-server /usr/bin/redis-check-rdb "$@"
}

case "${1:-}" in
start)
  dir=${2:?usage: start DIR PORT} port=${3:?usage: start DIR PORT}
  [ -x /usr/bin/redis-check-rdb ] || command -v redis-server >/dev/null \
    || { echo "error: Redis is not installed: run scripts/setup-redis.sh" >&2; exit 1; }
  mkdir -p "$dir"
  (server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes --dir "$dir" \
    --pidfile "$dir/redis.pid" --logfile "$dir/redis.log")
  for _ in $(seq 100); do [ -s "$dir/redis.pid" ] && break; sleep 0.05; done
  [ -s "$dir/redis.pid" ] || { cat "$dir/redis.log" >&2; exit 1; }
  if [ -n "${4:-}" ]; then
    owner=$4
    setsid bash -c "while kill -0 $owner 2>/dev/null; do sleep 1; done; '$here/setup-redis.sh' stop '$dir'" </dev/null >/dev/null 2>&1 &
  fi
  cat "$dir/redis.pid"
  exit 0
  ;;
stop)
  dir=${2:?usage: stop DIR}
  [ -f "$dir/redis.pid" ] || exit 0
  pid=$(cat "$dir/redis.pid")
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || exit 0; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  exit 0
  ;;
"") ;;
*)
  echo "usage: $0 [start DIR PORT [OWNER_PID] | stop DIR]" >&2
  exit 2
  ;;
esac

[ -x /usr/bin/redis-check-rdb ] || command -v redis-server >/dev/null && exit 0
echo "==> installing Redis (Debian's redis-tools)"
$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq redis-tools >/dev/null
