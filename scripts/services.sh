#!/usr/bin/env bash
# Make sure PostgreSQL and Redis answer on 127.0.0.1; start them when they are installed
# but stopped, and say plainly what is missing otherwise.
set -euo pipefail

PG_HOST=127.0.0.1 PG_PORT=5432 REDIS_PORT=6379

pg_ready() { (exec 3<>"/dev/tcp/$PG_HOST/$PG_PORT") 2>/dev/null; }
redis_ready() {
  command -v redis-cli >/dev/null && redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG
}
wait_for() {  # name, check function
  for _ in $(seq 1 30); do "$2" && return 0; sleep 1; done
  echo "services.sh: $1 did not come up within 30 s" >&2; return 1
}

if ! pg_ready; then
  if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
    echo "services.sh: starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start
    wait_for PostgreSQL pg_ready
  else
    echo "services.sh: PostgreSQL is not running on $PG_HOST:$PG_PORT and is not installed" \
         "(install the Debian package 'postgresql', or set TEST_DATABASE_URL)" >&2
    exit 1
  fi
fi

if ! redis_ready; then
  if command -v redis-server >/dev/null; then
    echo "services.sh: starting Redis"
    redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no
    wait_for Redis redis_ready
  else
    echo "services.sh: Redis is not running on 127.0.0.1:$REDIS_PORT and is not installed" \
         "(install the Debian package 'redis-server')" >&2
    exit 1
  fi
fi
echo "services.sh: PostgreSQL and Redis are up"
