#!/usr/bin/env bash
# Make sure the test suite's PostgreSQL and Redis answer (TEST_DATABASE_URL and
# TEST_REDIS_URL, by default on 127.0.0.1); start local ones that are installed but
# stopped, and say plainly what is missing otherwise.
set -euo pipefail

# host and port of a URL such as postgres://user:pass@host:5432/db
url_host() { [[ $1 =~ ://([^@/]*@)?([^:/]+) ]] && echo "${BASH_REMATCH[2]}"; }
url_port() { [[ $1 =~ ://([^@/]*@)?[^:/]+:([0-9]+) ]] && echo "${BASH_REMATCH[2]}" || echo "$2"; }

DATABASE_URL=${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}
REDIS_URL=${TEST_REDIS_URL:-redis://127.0.0.1:6379/15}
PG_HOST=$(url_host "$DATABASE_URL") PG_PORT=$(url_port "$DATABASE_URL" 5432)
REDIS_HOST=$(url_host "$REDIS_URL") REDIS_PORT=$(url_port "$REDIS_URL" 6379)

is_local() { [[ $1 == 127.0.0.1 || $1 == localhost ]]; }
pg_ready() { (exec 3<>"/dev/tcp/$PG_HOST/$PG_PORT") 2>/dev/null; }
redis_ready() {  # PING over bash's /dev/tcp: no redis-cli needed
  (
    exec 3<>"/dev/tcp/$REDIS_HOST/$REDIS_PORT" || exit 1
    printf 'PING\r\n' >&3
    IFS= read -r -t 2 answer <&3 && [[ $answer == +PONG* || $answer == -NOAUTH* ]]
  ) 2>/dev/null
}
wait_for() {  # name, check function
  for _ in $(seq 1 30); do "$2" && return 0; sleep 1; done
  echo "services.sh: $1 did not come up within 30 s" >&2; return 1
}

if ! pg_ready; then
  if is_local "$PG_HOST" && command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
    echo "services.sh: starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -1)" main start
    wait_for PostgreSQL pg_ready
  else
    echo "services.sh: PostgreSQL is not answering on $PG_HOST:$PG_PORT and no local" \
         "cluster can be started (install the Debian package 'postgresql', or point" \
         "TEST_DATABASE_URL at a server; it needs a role that may create databases)" >&2
    exit 1
  fi
fi

if ! redis_ready; then
  if is_local "$REDIS_HOST" && command -v redis-server >/dev/null; then
    echo "services.sh: starting Redis"
    redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no
    wait_for Redis redis_ready
  else
    echo "services.sh: Redis is not answering on $REDIS_HOST:$REDIS_PORT and is not" \
         "installed here (install the Debian package 'redis-server', or point" \
         "TEST_REDIS_URL at a server)" >&2
    exit 1
  fi
fi
echo "services.sh: PostgreSQL ($PG_HOST:$PG_PORT) and Redis ($REDIS_HOST:$REDIS_PORT) are up"
