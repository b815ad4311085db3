#!/usr/bin/env bash
# Scale bench (issue #35 item 3): authd on a database of a million users.
#
#   bench/scale.sh postgres     # 1,000,000 users, 5,000,000 sessions, 10,000,000 audit events
#   bench/scale.sh sqlite       # 100,000 users, 500,000 sessions, 1,000,000 audit events
#
# 1. Creates a fresh database (PostgreSQL: DB, default scale_bench, on
#    PGHOST/PGUSER, default 127.0.0.1/postgres; SQLite: a file under WORK_DIR)
#    and lets authd's own migrations make the schema (`authd migrate`);
#    starts authd once on the empty database to note its idle RSS.
# 2. Fills it with SQL (bench/scale/fill-*.sql, generate_series): users with
#    one bcrypt cost-4 hash (made by `authd create-admin`), sessions and audit
#    events in the shapes of a deployment in steady state (see the SQL).
#    FILL=0 skips steps 1-2 and reuses the database of an earlier run.
# 3. Starts authd (release build, default configuration but
#    AUTH_BCRYPT_COST=4 and AUTH_RATE_LIMITS=false; info log to a file, as
#    `authd serve` starts; MALLOC_ARENA_MAX=2 as the Dockerfile) and measures, with wrk, p50/p99 of:
#    login, refresh, GET /v1/me and GET /v1/me/security-events (256 users,
#    concurrency 32), and, at concurrency 1 (one admin), the admin user list
#    (first page, and the middle page: 10,000 of 20,000 at a million), the search by email (a rare and a common
#    substring), the audit listing of a busy and of an ordinary user.
# 4. Times one housekeeping pass (restart with AUTH_HOUSEKEEPING_INTERVAL=2:
#    from the lease taken to the "housekeeping purged old rows" line).
# 5. Prints authd's RSS: idle on the empty database, idle on the full one,
#    after the scenarios, and the peak (VmHWM).
#
# Env: BIN (authd binary; default $CARGO_TARGET_DIR or target, /release/authd),
#      USERS, SESSIONS, EVENTS (counts), DURATION (10s), PORT (18750),
#      DB (scale_bench), WORK_DIR (/tmp/authd-scale), FILL (1),
#      REDIS_URL (unset: the in-process store, the default), RUST_LOG,
#      SCENARIOS (a subset of the names in the table, and "housekeeping").
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
BACKEND="${1:?usage: bench/scale.sh postgres|sqlite}"
BIN="${BIN:-${CARGO_TARGET_DIR:-$ROOT/target}/release/authd}"
DURATION="${DURATION:-10s}"
PORT="${PORT:-18750}"
BASE="http://127.0.0.1:$PORT"
WORK_DIR="${WORK_DIR:-/tmp/authd-scale}"
FILL="${FILL:-1}"
PASSWORD='scale-Bench-password-1'
ADMIN_EMAIL='admin@scale.test'
export PGHOST="${PGHOST:-127.0.0.1}" PGUSER="${PGUSER:-postgres}"
DB="${DB:-scale_bench}"
case "$BACKEND" in
  postgres)
    USERS="${USERS:-1000000}" SESSIONS="${SESSIONS:-5000000}" EVENTS="${EVENTS:-10000000}"
    DATABASE_URL="postgres://$PGUSER@$PGHOST/$DB" ;;
  sqlite)
    USERS="${USERS:-100000}" SESSIONS="${SESSIONS:-500000}" EVENTS="${EVENTS:-1000000}"
    DATABASE_URL="sqlite://$WORK_DIR/scale.db" ;;
  *) echo "usage: bench/scale.sh postgres|sqlite" >&2; exit 2 ;;
esac
[[ -x "$BIN" ]] || { echo "no authd binary at $BIN (cargo build --release)" >&2; exit 1; }
mkdir -p "$WORK_DIR/data"
OUT="$WORK_DIR/out-$BACKEND"
rm -rf "$OUT"; mkdir -p "$OUT"

# authd's environment: the defaults, but for cost 4 and no rate limits.
export DATABASE_URL AUTH_BCRYPT_COST=4 AUTH_RATE_LIMITS=false
export AUTH_JWT_KEY_FILE="$WORK_DIR/data/jwt.pem" AUTH_MFA_KEY_FILE="$WORK_DIR/data/mfa.key"
export AUTH_OUTBOX_DIR="$WORK_DIR/data/outbox" AUTH_BIND="127.0.0.1:$PORT"
export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}"   # as the Dockerfile runs it

sql() {
  if [[ $BACKEND == postgres ]]; then psql -X -q -At -d "$DB" -c "$1"
  else sqlite3 "$WORK_DIR/scale.db" "$1"; fi
}
rss() { awk -v k="$2:" '$1 == k {printf "%.1f", $2 / 1024}' "/proc/$1/status"; }

PID=""
start() {
  "$BIN" serve > "$OUT/authd.log" 2>&1 &
  PID=$!
  for _ in $(seq 1 600); do
    curl -fsS "$BASE/healthz" >/dev/null 2>&1 && return 0
    kill -0 "$PID" 2>/dev/null || { cat "$OUT/authd.log" >&2; exit 1; }
    sleep 0.1
  done
  echo "authd did not start" >&2; exit 1
}
stop() { [[ -n "$PID" ]] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null; PID=""; }
trap stop EXIT

# --- 1-2. schema and fill -------------------------------------------------
if [[ "$FILL" == 1 ]]; then
  if [[ $BACKEND == postgres ]]; then
    dropdb --if-exists "$DB"; createdb "$DB"
  else
    rm -f "$WORK_DIR"/scale.db*
  fi
  "$BIN" migrate >/dev/null
  start; sleep 2
  echo "empty_idle_rss_mb $(rss "$PID" VmRSS)" > "$WORK_DIR/empty-$BACKEND"
  stop
  printf '%s\n' "$PASSWORD" | "$BIN" create-admin --email "$ADMIN_EMAIL" >/dev/null
  HASH="$(sql "SELECT password_hash FROM users WHERE email = '$ADMIN_EMAIL'")"
  echo "filling: $USERS users, $SESSIONS sessions, $EVENTS audit events" >&2
  t0=$(date +%s)
  if [[ $BACKEND == postgres ]]; then
    psql -X -q -d "$DB" -v users="$USERS" -v sessions="$SESSIONS" -v events="$EVENTS" \
      -v hash="$HASH" -f "$HERE/scale/fill-postgres.sql"
  else
    { echo "CREATE TEMP TABLE fill_params AS SELECT $USERS AS users, $SESSIONS AS sessions, $EVENTS AS events, '$HASH' AS hash;"
      cat "$HERE/scale/fill-sqlite.sql"; } | sqlite3 "$WORK_DIR/scale.db" >/dev/null
  fi
  echo "fill_seconds $(( $(date +%s) - t0 ))" >> "$WORK_DIR/empty-$BACKEND"
fi
# The admin of the bench (again, for FILL=0: a no-op when it exists).
printf '%s\n' "$PASSWORD" | "$BIN" create-admin --email "$ADMIN_EMAIL" >/dev/null
cat "$WORK_DIR/empty-$BACKEND" 2>/dev/null || true
echo "rows: $(sql "SELECT (SELECT count(*) FROM users) || ' users, ' || (SELECT count(*) FROM sessions) || ' sessions, ' || (SELECT count(*) FROM audit_events) || ' audit events'")"
if [[ $BACKEND == postgres ]]; then
  echo "database size: $(sql "SELECT pg_size_pretty(pg_database_size('$DB'))")"
else
  echo "database size: $(du -sh "$WORK_DIR/scale.db" | cut -f1)"
fi

# --- 3. scenarios ---------------------------------------------------------
start
sleep 2
RSS_IDLE="$(rss "$PID" VmRSS)"

# 256 verified, enabled users spread over the table (ids are hashes), each
# logged in once: their access and refresh tokens.
sql "SELECT email FROM users WHERE email_verified AND NOT disabled AND email <> '$ADMIN_EMAIL' ORDER BY id LIMIT 256" \
  > "$OUT/emails"
python3 - "$BASE" "$PASSWORD" "$OUT" "$ADMIN_EMAIL" <<'PY'
import json, sys, urllib.request
from concurrent.futures import ThreadPoolExecutor
base, password, out, admin = sys.argv[1:]
def login(email):
    req = urllib.request.Request(base + "/v1/auth/login", method="POST",
        data=json.dumps({"email": email, "password": password}).encode(),
        headers={"Content-Type": "application/json"})
    return json.load(urllib.request.urlopen(req))
emails = open(f"{out}/emails").read().split()
with ThreadPoolExecutor(8) as pool:
    answers = list(pool.map(login, emails))
open(f"{out}/tokens", "w").write("".join(a["access_token"] + "\n" for a in answers))
open(f"{out}/refresh", "w").write("".join(a["refresh_token"] + "\n" for a in answers[:32]))
open(f"{out}/admin-token", "w").write(login(admin)["access_token"])
PY
ADMIN_TOKEN="$(cat "$OUT/admin-token")"
BUSY_USER="$(sql "SELECT user_id FROM audit_events WHERE user_id IS NOT NULL GROUP BY user_id ORDER BY count(*) DESC LIMIT 1")"
USUAL_USER="$(sql "SELECT id FROM users WHERE email = '$(sed -n 100p "$OUT/emails")'")"
echo "busy user: $(sql "SELECT count(*) FROM audit_events WHERE user_id = '$BUSY_USER'") events; usual user: $(sql "SELECT count(*) FROM audit_events WHERE user_id = '$USUAL_USER'") events"

summarise() {
  python3 - "$1" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
def unit(v):
    m = re.match(r"([\d.]+)(us|ms|s|m)", v)
    return float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[m.group(2)]
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
p50 = unit(re.search(r"^\s+50%\s+(\S+)", text, re.M).group(1))
p99 = unit(re.search(r"^\s+99%\s+(\S+)", text, re.M).group(1))
errors = sum(int(x) for x in re.findall(r"(?:connect|read|write|timeout) (\d+)", text))
non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
errors += int(non2xx.group(1)) if non2xx else 0
print(f"{rps:.1f} {p50:.2f} {p99:.2f} {errors}")
PY
}
# scenario NAME THREADS CONNECTIONS SCRIPT PATH
scenario() {
  local name=$1 threads=$2 conns=$3 script=$4 path=$5 out="$OUT/$1.txt"
  sleep "${SETTLE:-2}"
  wrk -t "$threads" -c "$conns" -d "$DURATION" --timeout 30s --latency -s "$script" "$BASE$path" > "$out" 2>&1 \
    || { cat "$out" >&2; exit 1; }
  printf '%s %s %s\n' "$name" "$conns" "$(summarise "$out")" | tee -a "$OUT/results" >&2
}
export PASSWORD EMAILS="$OUT/emails" TOKENS="$OUT/tokens" REFRESH_TOKENS="$OUT/refresh"
echo "$ADMIN_TOKEN" > "$OUT/admin-tokens"
touch "$OUT/results"
ALL="login refresh me security-events users-page-1 users-page-deep search-rare search-common audit-busy-user audit-usual-user housekeeping"
want() { [[ " ${SCENARIOS:-$ALL} " == *" $1 "* ]]; }
run() { want "$1" && scenario "$@" || true; }
run login 2 32 "$HERE/scale/login-many.lua" /v1/auth/login
run refresh 32 32 "$HERE/refresh.lua" /v1/auth/refresh
run me 2 32 "$HERE/scale/get-tokens.lua" /v1/me
run security-events 2 32 "$HERE/scale/get-tokens.lua" /v1/me/security-events
TOKENS="$OUT/admin-tokens"
run users-page-1 1 1 "$HERE/scale/get-tokens.lua" "/v1/admin/users"
# The deep page: the middle of the list (page 10,000 of 20,000 at a million users).
DEEP=$((USERS / 100))
run users-page-deep 1 1 "$HERE/scale/get-tokens.lua" "/v1/admin/users?page=$DEEP"
RARE="$(sed -n 77p "$OUT/emails" | cut -d@ -f1)"
run "search-rare" 1 1 "$HERE/scale/get-tokens.lua" "/v1/admin/users?email=$RARE"
run "search-common" 1 1 "$HERE/scale/get-tokens.lua" "/v1/admin/users?email=schmidt"
run audit-busy-user 1 1 "$HERE/scale/get-tokens.lua" "/v1/admin/audit?user_id=$BUSY_USER"
run audit-usual-user 1 1 "$HERE/scale/get-tokens.lua" "/v1/admin/audit?user_id=$USUAL_USER"
echo "search: rare '$RARE' matches $(curl -fsS -H "Authorization: Bearer $ADMIN_TOKEN" "$BASE/v1/admin/users?email=$RARE" | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])'), common 'schmidt' matches $(curl -fsS -H "Authorization: Bearer $ADMIN_TOKEN" "$BASE/v1/admin/users?email=schmidt" | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])')"
RSS_AFTER="$(rss "$PID" VmRSS)"
RSS_PEAK="$(rss "$PID" VmHWM)"
stop

# --- 4. one housekeeping pass ------------------------------------------------
HK="skipped"
if want housekeeping; then
sql "UPDATE job_leases SET holder = '', expires_at = '1970-01-01 00:00:00' WHERE name = 'housekeeping'" >/dev/null
LEASE_BEFORE="$(sql "SELECT expires_at FROM job_leases WHERE name = 'housekeeping'")"
AUTH_HOUSEKEEPING_INTERVAL=2 start
t0=""
for _ in $(seq 1 600); do
  if [[ -z "$t0" && "$(sql "SELECT expires_at FROM job_leases WHERE name = 'housekeeping'")" != "$LEASE_BEFORE" ]]; then
    t0=$(date +%s.%N)
  fi
  if grep -q 'housekeeping purged\|housekeeping pass failed' "$OUT/authd.log"; then t1=$(date +%s.%N); break; fi
  sleep 0.02
done
t0="${t0:-$t1}"
HK_LINE="$(grep -m1 'housekeeping purged\|housekeeping pass failed' "$OUT/authd.log" | sed 's/\x1b\[[0-9;]*m//g')"
stop
HK="$(python3 -c "print(f'{$t1 - $t0:.2f}')") s (lease taken to log line, 20 ms polls): $HK_LINE"
fi

# --- 5. report ----------------------------------------------------------------
echo
echo "authd on $BACKEND: $USERS users, $SESSIONS sessions, $EVENTS audit events ($DURATION per scenario)"
printf '%-18s %5s %10s %9s %9s %7s\n' scenario conns 'req/s' 'p50 ms' 'p99 ms' errors
while read -r name conns rps p50 p99 errors; do
  printf '%-18s %5s %10s %9s %9s %7s\n' "$name" "$conns" "$rps" "$p50" "$p99" "$errors"
done < "$OUT/results"
echo "housekeeping pass: $HK"
echo "RSS MiB: idle on the empty database $(awk '/empty_idle/ {print $2}' "$WORK_DIR/empty-$BACKEND" 2>/dev/null), idle on the full one $RSS_IDLE, after the scenarios $RSS_AFTER, peak $RSS_PEAK"
