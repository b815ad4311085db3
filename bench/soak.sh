#!/usr/bin/env bash
# Soak: a mixed load (me, refresh chains, login, register) for DURATION
# seconds against a release authd on loopback, sampling the server's RSS
# from /proc every INTERVAL seconds; prints the curve and the growth after
# the first minute (the warm-up). A flat curve means the bounds in README
# "Memory bounds" hold.
#
#   bench/soak.sh              # SQLite + in-process store
#   bench/soak.sh --postgres   # PostgreSQL + Redis (127.0.0.1 defaults)
#
# Env: DURATION (600), INTERVAL (10), COST (bcrypt cost, 4: the soak is about
#      memory, not hashing), AUTHD_BIN (target/release/authd, built if absent),
#      PORT (18180).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
DURATION="${DURATION:-600}"
INTERVAL="${INTERVAL:-10}"
COST="${COST:-4}"
PORT="${PORT:-18180}"
MODE="${1:-}"
BIN="${AUTHD_BIN:-$ROOT/target/release/authd}"
BASE_URL="http://127.0.0.1:$PORT"
PASSWORD="correct-Horse-battery-9"
RUN_ID="soak$(date +%s)$RANDOM"
export PASSWORD RUN_ID

if ! command -v wrk >/dev/null; then
  echo "installing wrk (Debian package)" >&2
  (apt-get install -y wrk >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y wrk >/dev/null; })
fi
[[ -x "$BIN" ]] || (cd "$ROOT" && cargo build --release --quiet)

WORK="$(mktemp -d)"
pids=()
db_name=""
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [[ -n "$db_name" ]]; then
    psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS \"$db_name\" WITH (FORCE)" postgres >/dev/null 2>&1 || true
    redis-cli --scan --pattern "$db_name:*" | xargs -r redis-cli del >/dev/null 2>&1 || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

env_vars=(AUTH_BIND=127.0.0.1:$PORT AUTH_RATE_LIMITS=false AUTH_REQUIRE_VERIFIED_EMAIL=false
  AUTH_BCRYPT_COST="$COST" RUST_LOG=warn AUTH_LOG_FORMAT=json
  DATABASE_URL="sqlite://$WORK/authd.db" AUTH_JWT_KEY_FILE="$WORK/key.pem"
  AUTH_OUTBOX_DIR="$WORK/outbox")
label="SQLite + in-process store"
if [[ "$MODE" == "--postgres" ]]; then
  db_name="authd_soak_$RANDOM$RANDOM"
  psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE \"$db_name\"" postgres
  env_vars+=(DATABASE_URL="postgres://postgres@127.0.0.1:5432/$db_name" REDIS_URL=redis://127.0.0.1:6379
    AUTH_REDIS_PREFIX="$db_name:")
  label="PostgreSQL + Redis"
fi
env "${env_vars[@]}" "$BIN" serve > "$WORK/authd.log" 2>&1 &
server=$!; pids+=("$server")
for _ in $(seq 1 300); do
  curl -fsS "$BASE_URL/healthz" >/dev/null 2>&1 && break
  sleep 0.2
done

json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
post() { curl -fsS -X POST "$BASE_URL$1" -H 'Content-Type: application/json' -d "$2"; }
EMAIL="soak-$RUN_ID@example.com"
export EMAIL
post /v1/auth/register "{\"email\":\"$EMAIL\",\"password\":\"$PASSWORD\"}" >/dev/null
TOKEN="$(post /v1/auth/login "{\"email\":\"$EMAIL\",\"password\":\"$PASSWORD\"}" | json '["access_token"]')"
export TOKEN
export REFRESH_TOKENS="$WORK/refresh-tokens"
for _ in 1 2 3 4; do
  post /v1/auth/login "{\"email\":\"$EMAIL\",\"password\":\"$PASSWORD\"}" | json '["refresh_token"]'
done > "$REFRESH_TOKENS"

# The mix, all at once: reads, refresh rotations (each a new session row
# and store entries), logins and registrations (new rows, queued mail).
load() {
  local name=$1 path=$2 threads=$3 conns=$4
  wrk -t "$threads" -c "$conns" -d "${DURATION}s" --timeout 30s \
      -s "$HERE/$name.lua" "$BASE_URL$path" > "$WORK/$name.txt" 2>&1 &
  pids+=("$!")
}
load me /v1/me 1 8
load refresh /v1/auth/refresh 4 4
load login /v1/auth/login 1 2
load register /v1/auth/register 1 2

rss() { awk '/^VmRSS:/ {print int($2 / 1024)}' "/proc/$server/status" 2>/dev/null || echo 0; }
printf '%s, %s s of mixed load, RSS every %s s\n' "$label" "$DURATION" "$INTERVAL"
printf '%8s %10s\n' 't (s)' 'RSS (MiB)'
start=$(date +%s)
samples=()
while :; do
  t=$(( $(date +%s) - start ))
  r=$(rss)
  samples+=("$t $r")
  printf '%8s %10s\n' "$t" "$r"
  (( t >= DURATION )) && break
  sleep "$INTERVAL"
done

wait_wrk() { for p in "${pids[@]:1}"; do wait "$p" 2>/dev/null || true; done; }
wait_wrk
printf '\nrequests completed per scenario:\n'
for name in me refresh login register; do
  done_n=$(grep -Eo '[0-9]+ requests in' "$WORK/$name.txt" | cut -d' ' -f1 || true)
  bad_n=$(grep -Eo 'Non-2xx or 3xx responses: [0-9]+' "$WORK/$name.txt" | grep -Eo '[0-9]+$' || true)
  printf '  %-9s %10s requests, %s not 2xx\n' "$name" "${done_n:-?}" "${bad_n:-0}"
done
peak=$(awk '/^VmHWM:/ {print int($2 / 1024)}' "/proc/$server/status" 2>/dev/null || echo '?')
after_warmup=$(printf '%s\n' "${samples[@]}" | awk '$1 >= 60 {print $2; exit}')
last=$(printf '%s\n' "${samples[@]}" | tail -n1 | awk '{print $2}')
printf 'peak RSS %s MiB; RSS at 60 s %s MiB, at the end %s MiB\n' "$peak" "${after_warmup:-?}" "$last"
