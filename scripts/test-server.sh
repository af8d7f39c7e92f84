# Shared by the set-up scripts that start throw-away servers for tests (setup-postgres.sh,
# setup-redis.sh, setup-nats.sh); sourced, not run.

# Closes the descriptors inherited from the caller (a test process's sockets and pipes): a
# server or watcher that kept them would keep a closed connection or a pipe open.
close_inherited_fds() {
  for fd in /proc/$$/fd/*; do
    n=${fd##*/}
    [ "$n" -gt 2 ] 2>/dev/null && eval "exec $n>&-" 2>/dev/null || true
  done
}

# Runs `SCRIPT stop DIR` once process OWNER has ended (a test run that forgets its server).
stop_when_gone() {
  local owner=$1 script=$2 dir=$3
  setsid bash -c "while kill -0 $owner 2>/dev/null; do sleep 1; done; '$script' stop '$dir'" </dev/null >/dev/null 2>&1 &
}

# Waits up to 5 s for a server to write its PID to FILE; prints the PID, or LOG and fails.
await_pid_file() {
  local file=$1 log=$2
  for _ in $(seq 100); do [ -s "$file" ] && break; sleep 0.05; done
  [ -s "$file" ] || { cat "$log" >&2 2>/dev/null; return 1; }
  echo "$(head -1 "$file")"
}

# Stops the process whose PID is in FILE (TERM, then KILL after 10 s); nothing when none.
stop_pid_file() {
  local file=$1 signal=${2:-TERM}
  [ -f "$file" ] || return 0
  local pid
  pid=$(head -1 "$file")
  kill -"$signal" "$pid" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
}
