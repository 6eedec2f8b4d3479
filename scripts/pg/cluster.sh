#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests and CI (never for data you want to keep).
#   scripts/pg/cluster.sh start [port]   create and start it (idempotent), print its URL on stdout
#   scripts/pg/cluster.sh url [port]     print the URL of the running cluster (exit 1 when it is not running)
#   scripts/pg/cluster.sh stop [port]    stop it and delete its directory (a no-op when there is none)
# The cluster lives in ${TMPDIR:-/tmp}/abstractgateway-pg-<port> (port 55433 by default, or
# ABSTRACTGATEWAY_PG_PORT), listens on 127.0.0.1 only (no Unix socket), trusts every loopback connection as any
# role (superuser `postgres`), keeps fsync on and uses small settings (max_connections 200, shared_buffers
# 128MB). Binaries: Debian's newest /usr/lib/postgresql/<version>/bin (or PG_BINDIR). As root (CI) the server
# runs as the `postgres` OS user through runuser, because initdb and postgres refuse to run as root.
# Only the URL goes to stdout; progress and errors go to stderr. Exit 0 on success, 1 on any failure.
# Concurrent calls for one port are serialised by flock on ${TMPDIR:-/tmp}/abstractgateway-pg-<port>.lock (an
# empty file, left in place by `stop` so that waiting callers keep locking the same file).
set -euo pipefail

die() { echo "cluster.sh: $*" >&2; exit 1; }

cmd="${1:-}"
port="${2:-${ABSTRACTGATEWAY_PG_PORT:-55433}}"
case "$cmd" in start|stop|url) ;; *) die "usage: $0 start|stop|url [port]  (default port 55433)";; esac
[[ "$port" =~ ^[0-9]+$ ]] && [ "$port" -ge 1024 ] && [ "$port" -le 65535 ] || die "invalid port '$port' (1024-65535)"

base="${TMPDIR:-/tmp}"
base="${base%/}"
dir="$base/abstractgateway-pg-$port"
data="$dir/data"
log="$dir/server.log"
url="postgres://postgres@127.0.0.1:$port/postgres"

# The newest server binaries installed (Debian's layout), unless PG_BINDIR says where they are.
bindir="${PG_BINDIR:-}"
if [ -z "$bindir" ]; then
  newest=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
  bindir="$newest"
fi
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ] || [ ! -x "$bindir/pg_ctl" ]; then
  die "PostgreSQL server binaries not found (no /usr/lib/postgresql/*/bin/initdb): apt-get install postgresql (or set PG_BINDIR)"
fi

# As root, every server command runs as the `postgres` OS user; otherwise as the caller.
as_owner=()
if [ "$(id -u)" = 0 ]; then
  id -u postgres >/dev/null 2>&1 || die "running as root needs the 'postgres' OS user to own the server (the Debian postgresql package creates it): apt-get install postgresql, or run as a normal user"
  as_owner=(runuser -u postgres --)
fi
owner() { "${as_owner[@]}" "$@" 9>&-; }  # fd 9 (the lock) must not leak into the server

running() { [ -f "$data/PG_VERSION" ] && owner "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1; }
ready() { "$bindir/pg_isready" -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -t 2 >/dev/null 2>&1; }

# 0 once the server accepts connections, 1 when it is gone (crashed or stopped); exits after 30 s.
await_ready() {
  local deadline=$((SECONDS + 30))
  until ready; do
    running || return 1
    [ "$SECONDS" -lt "$deadline" ] || die "the server on 127.0.0.1:$port did not accept connections within 30 s (see $log)"
    sleep 0.2
  done
}

# One start/stop at a time per port (parallel callers would race on initdb).
mkdir -p "$base" || die "cannot create $base (set TMPDIR to a writable directory)"
exec 9>"$base/abstractgateway-pg-$port.lock" || die "cannot write $base/abstractgateway-pg-$port.lock (set TMPDIR to a writable directory)"
flock 9

case "$cmd" in
url)
  running && ready || die "no cluster running on 127.0.0.1:$port: run scripts/pg/cluster.sh start $port"
  echo "$url"
  ;;

stop)
  if running; then
    owner "$bindir/pg_ctl" -D "$data" -m fast -w -t 30 stop >/dev/null || die "pg_ctl could not stop the server in $data (see $log)"
    echo "cluster.sh: stopped the cluster on 127.0.0.1:$port" >&2
  fi
  rm -rf "$dir"
  ;;

start)
  # Already running: just the URL. A server that dies meanwhile (killed, crashed) is replaced below.
  if running && await_ready; then
    echo "$url"
    exit 0
  fi
  # Another server (the dev server on 55432, the Debian cluster on 5432, ...) already owns the port.
  if ready || (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    die "port $port on 127.0.0.1 is already used by another process: choose another port (scripts/pg/cluster.sh start <port>)"
  fi
  # A directory left by a crash or an interrupted start: start over (the cluster is throwaway).
  rm -rf "$dir"
  mkdir -p "$dir" || die "cannot create $dir"
  chmod 700 "$dir"
  if [ ${#as_owner[@]} -gt 0 ]; then
    chown postgres: "$dir"
    owner test -w "$dir" || die "the postgres OS user cannot write $dir (a parent directory is not searchable by it): set TMPDIR to a directory such as /tmp"
  fi
  echo "cluster.sh: creating a PostgreSQL $("$bindir/pg_ctl" --version | awk '{print $3}') cluster in $dir" >&2
  if ! owner "$bindir/initdb" -D "$data" -U postgres -A trust -E UTF8 --no-locale --no-instructions >"$dir/initdb.log" 2>&1; then
    echo "cluster.sh: initdb failed; its output:" >&2
    cat "$dir/initdb.log" >&2
    exit 1
  fi
  # Loopback TCP only, trusted; no Unix socket (no socket directory to own or to collide with).
  owner tee "$data/pg_hba.conf" >/dev/null <<'EOF'
# abstractgateway throwaway test cluster: loopback only, no password.
host all all 127.0.0.1/32 trust
EOF
  owner tee -a "$data/postgresql.conf" >/dev/null <<EOF

# abstractgateway throwaway test cluster (scripts/pg/cluster.sh)
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = ''
max_connections = 200
shared_buffers = 128MB
fsync = on
synchronous_commit = on
full_page_writes = on
log_min_messages = warning
log_min_error_statement = error
EOF
  owner "$bindir/pg_ctl" -D "$data" -l "$log" -w -t 30 start >/dev/null 2>&1 || true
  if ! await_ready; then
    echo "cluster.sh: the PostgreSQL server did not start; the end of $log:" >&2
    tail -n 20 "$log" >&2 2>/dev/null || true
    exit 1
  fi
  echo "cluster.sh: ready on 127.0.0.1:$port (stop it with scripts/pg/cluster.sh stop $port)" >&2
  echo "$url"
  ;;
esac
