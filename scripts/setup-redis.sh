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
here=$(cd "$(dirname "$0")" && pwd)
. "$here/test-server.sh"
close_inherited_fds
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
  await_pid_file "$dir/redis.pid" "$dir/redis.log"
  [ -z "${4:-}" ] || stop_when_gone "$4" "$here/setup-redis.sh" "$dir"
  exit 0
  ;;
stop)
  stop_pid_file "${2:?usage: stop DIR}/redis.pid"
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
