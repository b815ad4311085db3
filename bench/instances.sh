#!/usr/bin/env bash
# Several instances (issue #35, item 4): N authd processes on one PostgreSQL
# database and one Redis, behind haproxy's round robin, against one instance
# on the same database and Redis, with bench/run.sh's `me` and `refresh`
# scenarios. Same machine for everything, so this measures what spreading
# over processes costs or gains on these cores, not what more machines add.
#
#   bench/instances.sh
#
# Env: AUTHD (target/release/authd), N (3), DURATION (10s), CONNECTIONS (32),
#      PG_ADMIN_URL (postgres://postgres@127.0.0.1:5432/postgres),
#      REDIS_URL (redis://127.0.0.1:6379). Needs haproxy and wrk (Debian).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
AUTHD="${AUTHD:-$ROOT/target/release/authd}"
N="${N:-3}"
PG_ADMIN_URL="${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
REDIS="${REDIS_URL:-redis://127.0.0.1:6379}"
command -v haproxy >/dev/null || { echo "haproxy is missing: apt-get install -y haproxy" >&2; exit 2; }
WORK="$(mktemp -d)"
DB="authd_bench_$(python3 -c 'import uuid; print(uuid.uuid4().hex)')"
PREFIX="authd-bench:$DB:"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  psql -q "$PG_ADMIN_URL" -c "DROP DATABASE IF EXISTS \"$DB\" WITH (FORCE)" >/dev/null 2>&1 || true
  redis-cli -u "$REDIS" EVAL "for _, k in ipairs(redis.call('KEYS', ARGV[1])) do redis.call('DEL', k) end" 0 "$PREFIX*" >/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
psql -q "$PG_ADMIN_URL" -c "CREATE DATABASE \"$DB\"" >/dev/null
"$AUTHD" keygen --out "$WORK/key.pem" >/dev/null
export DATABASE_URL="postgres://postgres@127.0.0.1:5432/$DB" REDIS_URL="$REDIS" AUTH_REDIS_PREFIX="$PREFIX" \
  AUTH_JWT_KEY_FILE="$WORK/key.pem" AUTH_MFA_KEY_FILE="$WORK/mfa.key" AUTH_OUTBOX_DIR="$WORK/outbox" \
  AUTH_RATE_LIMITS=false AUTH_REQUIRE_VERIFIED_EMAIL=false AUTH_BCRYPT_COST=4 MALLOC_ARENA_MAX=2
"$AUTHD" migrate >/dev/null 2>&1

backends=""
for i in $(seq 1 "$N"); do
  port=$((18700 + i))
  AUTH_BIND="127.0.0.1:$port" "$AUTHD" serve > "$WORK/authd-$i.log" 2>&1 &
  pids+=($!)
  backends="$backends    server a$i 127.0.0.1:$port
"
  for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
done
cat > "$WORK/haproxy.cfg" <<EOF
defaults
    mode http
    timeout connect 5s
    timeout client 60s
    timeout server 60s
frontend authd
    bind 127.0.0.1:18700
    default_backend instances
backend instances
    balance roundrobin
    option http-keep-alive
$backends
EOF
haproxy -f "$WORK/haproxy.cfg" > "$WORK/haproxy.log" 2>&1 &
pids+=($!)
sleep 1

export SCENARIOS="${SCENARIOS:-me refresh}"
LABEL="one instance (direct)" SERVER_PID="${pids[0]}" bash "$HERE/run.sh" "http://127.0.0.1:18701"
all="${pids[*]:0:$N}"
LABEL="$N instances behind haproxy round robin" SERVER_PID="$all" bash "$HERE/run.sh" "http://127.0.0.1:18700"
# That the instances never diverge is tested, not benched:
# tests/api/refresh.rs::twelve_concurrent_refreshes_of_one_token_across_three_instances_share_one_successor
