#!/usr/bin/env bash
# Local/CI MongoDB stand-in: FerretDB 1.24 (SQLite backend) built from tools/ferretdb.
#
#   scripts/ferretdb.sh build    build the binary only (CI runs it beside npm ci)
#   scripts/ferretdb.sh start    build if needed, start on 127.0.0.1:$FERRETDB_PORT (default 27017)
#                                with a fresh data dir, wait for a ping, print MONGODB_URL=...
#   scripts/ferretdb.sh stop     stop it (no-op when not running)
#   scripts/ferretdb.sh status   print MONGODB_URL=... and exit 0 if running, else exit 1
#
# Only MONGODB_URL=... goes to stdout, so `eval "$(scripts/ferretdb.sh start)"` and
# `scripts/ferretdb.sh start >> "$GITHUB_ENV"` both work. Progress goes to stderr.
#
# Env: FERRETDB_PORT (27017), FERRETDB_START_TIMEOUT seconds (30; excludes the build),
#      FERRETDB_LOG_LEVEL (warn; read by the binary). Server log: .tooling/ferretdb.log.
# The binary is rebuilt only when missing or when tools/ferretdb/* changed (content hash).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SRC="$ROOT/tools/ferretdb"
TOOLING="$ROOT/.tooling"
BIN="$TOOLING/ferretdb"
STAMP="$TOOLING/ferretdb.src-sha256"
DATA="$TOOLING/ferretdb-data"
PIDFILE="$TOOLING/ferretdb.pid"
PORTFILE="$TOOLING/ferretdb.port"
LOG="$TOOLING/ferretdb.log"
HOST=127.0.0.1
PORT="${FERRETDB_PORT:-27017}"
TIMEOUT="${FERRETDB_START_TIMEOUT:-30}"

say() { echo "ferretdb: $*" >&2; }
die() { say "ERROR: $*"; exit 1; }
url() { echo "mongodb://$HOST:$1/"; }

# Prints the pid of our server if it is running. Checks the command line too,
# so a stale pid file whose pid was reused by another process is not trusted.
running_pid() {
  [[ -f "$PIDFILE" ]] || return 1
  local pid
  pid="$(cat "$PIDFILE")"
  [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
  if [[ -r "/proc/$pid/cmdline" ]]; then
    [[ "$(tr '\0' '\n' <"/proc/$pid/cmdline" | head -n1)" == "$BIN" ]] || return 1
  fi
  echo "$pid"
}

port_open() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }

# A real MongoDB ping when the project has the driver installed; otherwise an
# open port has to do (FerretDB opens it only after the backend is set up).
have_driver() { (cd "$ROOT" && node -e "require.resolve('mongodb')") >/dev/null 2>&1; }
ping_db() {
  (cd "$ROOT" && node -e '
    const { MongoClient } = require("mongodb");
    const c = new MongoClient(process.argv[1], { serverSelectionTimeoutMS: 2000, directConnection: true });
    c.db("admin").command({ ping: 1 })
      .then(() => c.close(), (e) => { console.error(e.message); process.exit(1); })
      .then(() => process.exit(0));
  ' "$(url "$PORT")") 2>>"$LOG.ping"
}

# Content hash rather than mtimes: a binary restored from a CI cache is older
# than a fresh checkout, and mtimes would force a multi-minute rebuild.
src_hash() {
  local sum=sha256sum
  command -v sha256sum >/dev/null || sum="shasum -a 256"
  (cd "$SRC" && find . -type f | LC_ALL=C sort | xargs $sum) | $sum | cut -d' ' -f1
}

build() {
  local want
  want="$(src_hash)"
  if [[ -x "$BIN" && "$(cat "$STAMP" 2>/dev/null)" == "$want" ]]; then
    return 0
  fi
  local go
  go="$(command -v go || echo /usr/local/go/bin/go)"
  [[ -x "$go" ]] || die "Go toolchain not found (need go >= 1.24 on PATH or at /usr/local/go)"
  say "building $BIN (cold: ~3 min, mostly compiling the pure-Go SQLite; cached: seconds)..."
  local start=$SECONDS
  # Build to a temp name so an interrupted build never leaves a half-written binary.
  (cd "$SRC" && "$go" build -trimpath -o "$BIN.tmp.$$" .) || { rm -f "$BIN.tmp.$$"; die "go build failed"; }
  mv -f "$BIN.tmp.$$" "$BIN"
  echo "$want" >"$STAMP"
  say "built in $((SECONDS - start))s"
}

start() {
  local pid
  if pid="$(running_pid)"; then
    local cur
    cur="$(cat "$PORTFILE" 2>/dev/null || echo "?")"
    [[ "$cur" == "$PORT" ]] || die "already running (pid $pid) on port $cur, not $PORT; run '$0 stop' first"
    say "already running (pid $pid)"
    echo "MONGODB_URL=$(url "$PORT")"
    return 0
  fi
  rm -f "$PIDFILE" "$PORTFILE"
  port_open "$PORT" && die "port $HOST:$PORT is already in use by another process (set FERRETDB_PORT)"

  build

  rm -rf "$DATA" "$LOG.ping"
  mkdir -p "$DATA"
  # 9>&-: the server must not inherit the lock, or later invocations would block on it.
  nohup "$BIN" -listen-addr "$HOST:$PORT" -handler sqlite -sqlite-url "file:$DATA/" \
    </dev/null >"$LOG" 2>&1 9>&- &
  pid=$!
  echo "$pid" >"$PIDFILE"
  echo "$PORT" >"$PORTFILE"

  local check=port
  have_driver && check=ping
  local deadline=$((SECONDS + TIMEOUT))
  while :; do
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$PIDFILE" "$PORTFILE"
      fail "server exited during startup"
    fi
    if port_open "$PORT" && { [[ "$check" == port ]] || ping_db; }; then
      break
    fi
    if ((SECONDS >= deadline)); then
      kill "$pid" 2>/dev/null || true
      rm -f "$PIDFILE" "$PORTFILE"
      fail "no successful $check on $HOST:$PORT within ${TIMEOUT}s"
    fi
    sleep 0.2
  done
  say "started (pid $pid, checked by $check, log $LOG)"
  echo "MONGODB_URL=$(url "$PORT")"
}

fail() {
  say "ERROR: $*"
  if [[ -s "$LOG" ]]; then
    say "last lines of $LOG:"
    tail -n 40 "$LOG" >&2
  fi
  if [[ -s "$LOG.ping" ]]; then
    say "last ping error:"
    tail -n 3 "$LOG.ping" >&2
  fi
  exit 1
}

stop() {
  local pid
  if ! pid="$(running_pid)"; then
    rm -f "$PIDFILE" "$PORTFILE"
    say "not running"
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    say "pid $pid ignored SIGTERM for 5s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$PIDFILE" "$PORTFILE"
  say "stopped (pid $pid)"
}

status() {
  local pid
  if pid="$(running_pid)"; then
    say "running (pid $pid)"
    echo "MONGODB_URL=$(url "$(cat "$PORTFILE" 2>/dev/null || echo "$PORT")")"
  else
    say "not running"
    return 1
  fi
}

mkdir -p "$TOOLING"
# Serialise concurrent invocations (e.g. parallel test runners all calling start).
if command -v flock >/dev/null; then
  exec 9>"$TOOLING/ferretdb.lock"
  flock -w 900 9 || die "timed out waiting for $TOOLING/ferretdb.lock"
fi

case "${1:-}" in
  build) build ;;
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 build|start|stop|status" >&2; exit 2 ;;
esac
