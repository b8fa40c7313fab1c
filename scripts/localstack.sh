#!/usr/bin/env bash
# LocalStack (S3 only) for the test suite and CI.
#
#   scripts/localstack.sh install   install into a cached virtualenv (idempotent)
#   scripts/localstack.sh start     install if needed, start in the background,
#                                   wait until S3 is available, print the endpoint
#                                   URL as the last line of stdout
#   scripts/localstack.sh stop      stop the LocalStack this script started
#   scripts/localstack.sh status    say whether it runs; exit 0 only if healthy
#
# Unlike moto, LocalStack's S3 enforces presigned POST policies (key, content type,
# content-length-range, expiry) and checksums (Content-MD5, x-amz-checksum-*).
#
# Environment:
#   LOCALSTACK_PORT           port on 127.0.0.1 (default 4566)
#   POSTER_CACHE_DIR          cache root for the virtualenv (default ~/.cache/poster)
#   LOCALSTACK_PYTHON         interpreter to build the virtualenv with (default python3.11)
#   LOCALSTACK_START_TIMEOUT  seconds to wait for S3 to become available (default 90)
#   LOCALSTACK_LOG_LEVEL      LocalStack's LS_LOG (default info; the log goes to a file)
#
# Everything this script prints goes to stderr, except the endpoint URL of `start`.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/.." && pwd)"
REQUIREMENTS="$SCRIPT_DIR/localstack-requirements.txt"

HOST=127.0.0.1
PORT="${LOCALSTACK_PORT:-4566}"
ENDPOINT="http://$HOST:$PORT"
START_TIMEOUT="${LOCALSTACK_START_TIMEOUT:-90}"
PYTHON="${LOCALSTACK_PYTHON:-python3.11}"
CACHE_ROOT="${POSTER_CACHE_DIR:-${HOME:-/root}/.cache/poster}"

STATE_DIR="$REPO_ROOT/var/localstack"
PID_FILE="$STATE_DIR/localstack.pid"
PORT_FILE="$STATE_DIR/localstack.port"
LOG_FILE="$STATE_DIR/localstack.log"

log() { printf 'localstack.sh: %s\n' "$*" >&2; }
die() { printf 'localstack.sh: error: %s\n' "$*" >&2; exit 1; }

[[ "$PORT" =~ ^[0-9]+$ ]] && (( PORT > 0 && PORT < 65536 )) \
  || die "LOCALSTACK_PORT must be a port number, got '$PORT'"
[[ "$START_TIMEOUT" =~ ^[0-9]+$ ]] \
  || die "LOCALSTACK_START_TIMEOUT must be a number of seconds, got '$START_TIMEOUT'"

# --- the cached virtualenv -----------------------------------------------------

requirements_hash() {
  [[ -f "$REQUIREMENTS" ]] || die "pin list $REQUIREMENTS not found"
  command -v sha256sum >/dev/null || die "sha256sum not found (coreutils)"
  # Only requirement lines count: editing comments does not force a reinstall.
  sed -e 's/#.*//' -e 's/[[:space:]]//g' "$REQUIREMENTS" | grep -v '^$' \
    | sha256sum | cut -c1-12
}

VENV="$CACHE_ROOT/localstack-$(requirements_hash)"
VENV_PY="$VENV/bin/python"
MARKER="$VENV/.poster-install-complete"

installed() {
  [[ -f "$MARKER" && -x "$VENV_PY" ]] && "$VENV_PY" -c 'import localstack' >/dev/null 2>&1
}

check_python() {
  command -v "$PYTHON" >/dev/null 2>&1 \
    || die "$PYTHON not found: LocalStack 4.4.0 needs Python 3.11 (install python3.11, or set LOCALSTACK_PYTHON to one)"
  "$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info[:2] >= (3, 11) else 1)' \
    || die "$PYTHON is $("$PYTHON" -V 2>&1), LocalStack 4.4.0 needs Python 3.11"
  "$PYTHON" -c 'import venv, ensurepip' >/dev/null 2>&1 \
    || die "$PYTHON has no venv/ensurepip module (Debian: apt-get install python3.11-venv)"
}

do_install() {
  if installed; then
    log "LocalStack already installed in $VENV"
    return 0
  fi
  check_python
  mkdir -p "$CACHE_ROOT" || die "cannot create cache directory $CACHE_ROOT"
  command -v flock >/dev/null || die "flock not found (util-linux)"
  # One installer at a time per virtualenv (parallel `make test` runs).
  exec 8>"$VENV.lock"
  flock 8
  if installed; then   # someone else finished it while we waited
    exec 8>&-
    return 0
  fi
  local install_log="$VENV.install.log" t0=$SECONDS
  if [[ -e "$VENV" ]]; then
    log "removing unfinished install in $VENV"
    rm -rf "$VENV"
  fi
  log "installing LocalStack into $VENV (about 600 MB, typically under a minute; log: $install_log)"
  : >"$install_log"
  if ! {
      "$PYTHON" -m venv "$VENV" &&
      "$VENV_PY" -m pip install --no-input --disable-pip-version-check --quiet --upgrade pip &&
      "$VENV_PY" -m pip install --no-input --disable-pip-version-check --quiet -r "$REQUIREMENTS" &&
      "$VENV_PY" -c 'import localstack.runtime.main, localstack.services.s3.provider; print("import check ok")'
    } >>"$install_log" 2>&1; then
    grep -v "^WARNING: Location 'file:" "$install_log" | tail -n 30 >&2 || true
    rm -rf "$VENV"
    die "installing LocalStack failed (the PyPI registry must be reachable); full log: $install_log"
  fi
  printf 'requirements=%s\npython=%s\ninstalled=%s\n' \
    "$REQUIREMENTS" "$("$VENV_PY" -V 2>&1)" "$(date -u +%FT%TZ)" >"$MARKER"
  exec 8>&-
  log "LocalStack installed in $((SECONDS - t0)) s"
}

# --- the running server --------------------------------------------------------

# Exit status 0 if http://HOST:PORT/_localstack/health says S3 is available/running.
healthy() {
  local py="$VENV_PY"
  [[ -x "$py" ]] || py=python3
  "$py" - "$ENDPOINT/_localstack/health" <<'PY' >/dev/null 2>&1
import json, sys, urllib.request
try:
    with urllib.request.urlopen(sys.argv[1], timeout=2) as r:
        state = json.load(r).get("services", {}).get("s3")
except Exception:
    sys.exit(1)
sys.exit(0 if state in ("available", "running") else 1)
PY
}

# S3 is loaded lazily on its first request (about 0.5-3 s): make that request now,
# so the first test does not pay for it. The bucket does not exist; a 404 is fine.
warm_up() {
  local py="$VENV_PY"
  [[ -x "$py" ]] || py=python3
  "$py" - "$ENDPOINT/localstack-sh-warmup?list-type=2" <<'PY' >/dev/null 2>&1 || true
import sys, urllib.request
try:
    urllib.request.urlopen(sys.argv[1], timeout=30)
except Exception:
    pass
PY
}

# Exit status 0 if something accepts TCP connections on HOST:PORT.
port_in_use() {
  local py="$VENV_PY"
  [[ -x "$py" ]] || py=python3
  "$py" - "$HOST" "$PORT" <<'PY' >/dev/null 2>&1
import socket, sys
s = socket.socket()
s.settimeout(1)
sys.exit(0 if s.connect_ex((sys.argv[1], int(sys.argv[2]))) == 0 else 1)
PY
}

# The pid from the pid file, if that process is alive and is our LocalStack.
running_pid() {
  [[ -f "$PID_FILE" ]] || return 1
  local pid
  pid="$(cat "$PID_FILE" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'localstack.runtime.main' || return 1
  echo "$pid"
}

show_log_tail() {
  if [[ -f "$LOG_FILE" ]]; then
    log "last lines of $LOG_FILE:"
    tail -n 40 "$LOG_FILE" >&2 || true
  fi
}

wait_healthy() {  # $1 = pid to watch, $2 = "ours" if this invocation started it
  local pid="$1" ours="${2:-}" deadline=$((SECONDS + START_TIMEOUT))
  while (( SECONDS < deadline )); do
    if healthy; then
      warm_up
      return 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      show_log_tail
      rm -f "$PID_FILE" "$PORT_FILE"
      die "LocalStack (pid $pid) exited during startup"
    fi
    sleep 0.5
  done
  show_log_tail
  if [[ "$ours" == ours ]]; then
    do_stop || true
    die "LocalStack did not report S3 available at $ENDPOINT/_localstack/health within ${START_TIMEOUT}s (stopped it again)"
  fi
  die "LocalStack did not report S3 available at $ENDPOINT/_localstack/health within ${START_TIMEOUT}s (still running as pid $pid; run '$0 stop' to end it)"
}

do_start() {
  do_install
  mkdir -p "$STATE_DIR"
  # One `start` at a time per checkout (fd 7 is closed for LocalStack itself).
  exec 7>"$STATE_DIR/start.lock"
  flock 7

  local pid
  if pid="$(running_pid)"; then
    local running_port
    running_port="$(cat "$PORT_FILE" 2>/dev/null || echo unknown)"
    [[ "$running_port" == "$PORT" ]] \
      || die "LocalStack from this checkout already runs on port $running_port (pid $pid), not $PORT; run '$0 stop' first or use LOCALSTACK_PORT=$running_port"
    log "LocalStack already running (pid $pid), waiting for it to be healthy"
    wait_healthy "$pid"
    log "reusing LocalStack (pid $pid) at $ENDPOINT"
    echo "$ENDPOINT"
    return 0
  fi
  rm -f "$PID_FILE" "$PORT_FILE"

  if port_in_use; then
    if healthy; then
      log "a healthy LocalStack that this script did not start is already listening on $HOST:$PORT; reusing it ('stop' will not stop it)"
      echo "$ENDPOINT"
      return 0
    fi
    die "port $PORT on $HOST is already in use by something that is not a healthy LocalStack; free it or set LOCALSTACK_PORT to another port"
  fi

  local volume_dir="$STATE_DIR/volume" fs_root="$STATE_DIR/filesystem" t0=$SECONDS
  mkdir -p "$volume_dir" "$fs_root"
  {
    echo
    echo "===== $(date -u +%FT%TZ) localstack.sh start on $HOST:$PORT ====="
  } >>"$LOG_FILE"

  # A clean environment: nothing from the caller's (PYTHONPATH, DEBUG, AWS_*, ...)
  # leaks into LocalStack's configuration. The Python launcher puts LocalStack in
  # a session / process group of its own, so `stop` can end all of it at once.
  env -i \
    PATH="$VENV/bin:/usr/local/bin:/usr/bin:/bin" \
    HOME="${HOME:-/root}" \
    LANG=C.UTF-8 \
    PYTHONUNBUFFERED=1 \
    SERVICES=s3 \
    GATEWAY_LISTEN="$HOST:$PORT" \
    LOCALSTACK_HOST="$HOST:$PORT" \
    DNS_ADDRESS=0 \
    SKIP_SSL_CERT_DOWNLOAD=1 \
    DISABLE_EVENTS=1 \
    OVERRIDE_IN_DOCKER=0 \
    FILESYSTEM_ROOT="$fs_root" \
    LOCALSTACK_VOLUME_DIR="$volume_dir" \
    PERSISTENCE=0 \
    S3_SKIP_SIGNATURE_VALIDATION=0 \
    LS_LOG="${LOCALSTACK_LOG_LEVEL:-info}" \
    "$VENV_PY" -c '
import os, sys
try:
    os.setsid()
except OSError:
    pass  # already a process group leader
os.execv(sys.executable, [sys.executable, "-m", "localstack.runtime.main"])
' </dev/null >>"$LOG_FILE" 2>&1 7>&- 8>&- &
  pid=$!
  echo "$pid" >"$PID_FILE"
  echo "$PORT" >"$PORT_FILE"
  log "started LocalStack (pid $pid, log $LOG_FILE), waiting up to ${START_TIMEOUT}s for S3"
  wait_healthy "$pid" ours
  log "LocalStack S3 ready at $ENDPOINT after $((SECONDS - t0)) s"
  echo "$ENDPOINT"
}

do_stop() {
  local pid
  if ! pid="$(running_pid)"; then
    if [[ -f "$PID_FILE" ]]; then
      rm -f "$PID_FILE" "$PORT_FILE"
      log "LocalStack was not running (stale pid file removed)"
    else
      log "LocalStack is not running (no pid file)"
    fi
    return 0
  fi
  log "stopping LocalStack (pid $pid)"
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  local i
  for ((i = 0; i < 40; i++)); do
    kill -0 -- "-$pid" 2>/dev/null || break
    sleep 0.5
  done
  if kill -0 -- "-$pid" 2>/dev/null; then
    log "LocalStack did not stop within 20 s, killing it"
    kill -KILL -- "-$pid" 2>/dev/null || true
    for ((i = 0; i < 20; i++)); do
      kill -0 -- "-$pid" 2>/dev/null || break
      sleep 0.25
    done
  fi
  kill -0 -- "-$pid" 2>/dev/null && die "could not stop LocalStack process group $pid"
  rm -f "$PID_FILE" "$PORT_FILE"
  log "LocalStack stopped"
}

do_status() {
  local pid
  if pid="$(running_pid)"; then
    if healthy; then
      log "running (pid $pid), S3 available at $ENDPOINT"
      echo "$ENDPOINT"
      return 0
    fi
    log "running (pid $pid) but S3 is not available at $ENDPOINT"
    return 1
  fi
  log "not running"
  return 3
}

case "${1:-}" in
  install) do_install ;;
  start) do_start ;;
  stop) do_stop ;;
  status) do_status ;;
  *)
    echo "usage: $0 {install|start|stop|status}" >&2
    exit 2
    ;;
esac
