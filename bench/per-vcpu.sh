#!/usr/bin/env bash
# Per-vCPU figures (issue #35 item 5), in the units of Keycloak's sizing
# guide and Zitadel's published benchmarks.
#
#   bench/per-vcpu.sh
#
# authd (release build) on its default configuration: SQLite, in-process
# store, bcrypt cost 12, info request log to a file; plus
# AUTH_RATE_LIMITS=false AUTH_REQUIRE_VERIFIED_EMAIL=false (the bench
# registers its users without mail) and MALLOC_ARENA_MAX=2 (the Dockerfile).
# Each scenario runs DURATION (default 20s) under wrk at concurrency 32:
#
#   refresh        POST /v1/auth/refresh, 32 rotation chains
#   me             GET /v1/me, 64 users' access tokens in turn (the token check)
#   login-bcrypt   POST /v1/auth/login, 64 users with bcrypt cost-12 hashes
#   login-argon2id the same with AUTH_PASSWORD_HASH=argon2id (a fresh database;
#                  m=19456 KiB, t=2, p=1)
#   first-login-imported-argon2id
#                  default configuration (bcrypt 12), IMPORTED users imported
#                  with an Argon2id PHC hash (`authd import --format authd`):
#                  each request is some user's first login, which verifies the
#                  Argon2id hash, checks the dummy bcrypt hash (so a foreign
#                  hash answers no faster) and rewrites the hash as bcrypt
#                  cost 12 (API.md §16)
#
# How cores are counted: authd's CPU time (utime + stime of all its threads,
# /proc/PID/stat) over the run's wall time is "cores busy"; per vCPU =
# requests/s ÷ cores busy, i.e. requests per CPU-second of authd. wrk runs
# on the same cores and is not counted; the machine's own count (all CPUs
# busy, /proc/stat) is printed beside it, and so is the plain requests/s ÷
# the machine's cores.
#
# Env: BIN, DURATION (20s), PORT (18760), WORK_DIR (/tmp/authd-per-vcpu),
#      IMPORTED (2000), SCENARIOS (all of the above, in that order).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
BIN="${BIN:-${CARGO_TARGET_DIR:-$ROOT/target}/release/authd}"
DURATION="${DURATION:-20s}"
PORT="${PORT:-18760}"
BASE="http://127.0.0.1:$PORT"
WORK_DIR="${WORK_DIR:-/tmp/authd-per-vcpu}"
IMPORTED="${IMPORTED:-2000}"
SCENARIOS="${SCENARIOS:-refresh me login-bcrypt login-argon2id first-login-imported-argon2id}"
PASSWORD='per-Vcpu-password-7'
CORES="$(nproc)"
[[ -x "$BIN" ]] || { echo "no authd binary at $BIN (cargo build --release)" >&2; exit 1; }
rm -rf "$WORK_DIR"; mkdir -p "$WORK_DIR"
export AUTH_RATE_LIMITS=false AUTH_REQUIRE_VERIFIED_EMAIL=false MALLOC_ARENA_MAX=2
export AUTH_BIND="127.0.0.1:$PORT" PASSWORD

PID=""
# start NAME: a fresh authd on the database WORK_DIR/NAME.db
start() {
  export DATABASE_URL="sqlite://$WORK_DIR/$1.db"
  export AUTH_JWT_KEY_FILE="$WORK_DIR/jwt.pem" AUTH_MFA_KEY_FILE="$WORK_DIR/mfa.key"
  export AUTH_OUTBOX_DIR="$WORK_DIR/outbox"
  "$BIN" serve >> "$WORK_DIR/authd.log" 2>&1 &
  PID=$!
  for _ in $(seq 1 300); do
    curl -fsS "$BASE/healthz" >/dev/null 2>&1 && return 0
    kill -0 "$PID" 2>/dev/null || { tail "$WORK_DIR/authd.log" >&2; exit 1; }
    sleep 0.1
  done
  echo "authd did not start" >&2; exit 1
}
stop() { [[ -n "$PID" ]] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null; PID=""; }
trap stop EXIT

# register_and_login PREFIX N: N users (concurrently, 8 at a time); their
# emails in WORK_DIR/emails, access tokens in tokens, 32 refresh tokens in refresh.
register_and_login() {
  python3 - "$BASE" "$PASSWORD" "$WORK_DIR" "$1" "$2" <<'PY'
import json, sys, urllib.request
from concurrent.futures import ThreadPoolExecutor
base, password, out, prefix, n = sys.argv[1:]
def post(path, body):
    req = urllib.request.Request(base + path, method="POST", data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    return urllib.request.urlopen(req).read()
def user(i):
    email = f"{prefix}-{i}@example.com"
    post("/v1/auth/register", {"email": email, "password": password})
    return email, json.loads(post("/v1/auth/login", {"email": email, "password": password}))
with ThreadPoolExecutor(8) as pool:
    users = list(pool.map(user, range(int(n))))
open(f"{out}/emails", "w").write("".join(e + "\n" for e, _ in users))
open(f"{out}/tokens", "w").write("".join(a["access_token"] + "\n" for _, a in users))
open(f"{out}/refresh", "w").write("".join(a["refresh_token"] + "\n" for _, a in users[:32]))
PY
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
machine_busy() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9}' /proc/stat; }

# measure NAME THREADS SCRIPT PATH
measure() {
  local name=$1 threads=$2 script=$3 path=$4 out="$WORK_DIR/$1.txt"
  sleep 5 # an idle server (the bcrypt queue drained)
  local c0 m0 t0 c1 m1 t1
  c0=$(cpu_ticks "$PID"); m0=$(machine_busy); t0=$(date +%s.%N)
  THREADS=$threads wrk -t "$threads" -c 32 -d "$DURATION" --timeout 60s --latency -s "$script" "$BASE$path" > "$out" 2>&1 \
    || { cat "$out" >&2; return 1; }
  c1=$(cpu_ticks "$PID"); m1=$(machine_busy); t1=$(date +%s.%N)
  python3 - "$out" "$name" "$c0" "$c1" "$t0" "$t1" "$CORES" $m0 $m1 "$(getconf CLK_TCK)" <<'PY' | tee -a "$WORK_DIR/results"
import re, sys
path, name, c0, c1, t0, t1, cores, mb0, mt0, mb1, mt1, tck = sys.argv[1:]
text = open(path).read()
def unit(v):
    m = re.match(r"([\d.]+)(us|ms|s|m)", v)
    return float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[m.group(2)]
total = int(re.search(r"(\d+) requests in", text).group(1))
non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
errors = (int(non2xx.group(1)) if non2xx else 0) + sum(int(x) for x in re.findall(r"(?:connect|read|write|timeout) (\d+)", text))
wall = float(t1) - float(t0)
rps = (total - errors) / wall
busy = (int(c1) - int(c0)) / int(tck) / wall
machine = (int(mb1) - int(mb0)) / (int(mt1) - int(mt0)) * int(cores)
p50 = unit(re.search(r"^\s+50%\s+(\S+)", text, re.M).group(1))
p99 = unit(re.search(r"^\s+99%\s+(\S+)", text, re.M).group(1))
print(f"{name} {rps:.1f} {busy:.2f} {rps / busy:.1f} {machine:.2f} {rps / int(cores):.1f} {p50:.1f} {p99:.1f} {errors}")
PY
}

want() { [[ " $SCENARIOS " == *" $1 "* ]]; }
echo "uptime before: $(uptime)" | tee "$WORK_DIR/uptime"

# --- bcrypt cost 12 (the default) ----------------------------------------
if want refresh || want me || want login-bcrypt; then
  start bcrypt
  register_and_login bcrypt 64
  want refresh && REFRESH_TOKENS="$WORK_DIR/refresh" measure refresh 32 "$HERE/refresh.lua" /v1/auth/refresh
  want me && TOKENS="$WORK_DIR/tokens" measure me 2 "$HERE/scale/get-tokens.lua" /v1/me
  want login-bcrypt && EMAILS="$WORK_DIR/emails" measure login-bcrypt 2 "$HERE/scale/login-many.lua" /v1/auth/login
  stop
fi

# --- Argon2id (AUTH_PASSWORD_HASH=argon2id) --------------------------------
if want login-argon2id || want first-login-imported-argon2id; then
  AUTH_PASSWORD_HASH=argon2id start argon2id
  register_and_login argon2id 64
  want login-argon2id && EMAILS="$WORK_DIR/emails" measure login-argon2id 2 "$HERE/scale/login-many.lua" /v1/auth/login
  stop
fi

# --- first logins of users imported with an Argon2id hash (default config) -
if want first-login-imported-argon2id; then
  HASH="$(sqlite3 "$WORK_DIR/argon2id.db" "SELECT password_hash FROM users WHERE password_hash LIKE '\$argon2id\$%' LIMIT 1")"
  python3 - "$HASH" "$IMPORTED" > "$WORK_DIR/import.jsonl" <<'PY'
import json, sys
hash_, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    print(json.dumps({"email": f"imported-{i}@example.com", "email_verified": True, "password_hash": hash_}))
PY
  DATABASE_URL="sqlite://$WORK_DIR/imported.db" "$BIN" import "$WORK_DIR/import.jsonl" --format authd > "$WORK_DIR/import.txt"
  tail -1 "$WORK_DIR/import.txt"
  seq 0 $((IMPORTED - 1)) | sed 's/.*/imported-&@example.com/' > "$WORK_DIR/imported-emails"
  start imported
  EMAILS="$WORK_DIR/imported-emails" ONCE=1 measure first-login-imported-argon2id 2 "$HERE/scale/login-many.lua" /v1/auth/login
  echo "hashes rewritten as bcrypt: $(sqlite3 "$WORK_DIR/imported.db" "SELECT count(*) FROM users WHERE password_hash LIKE '\$2%'") of $IMPORTED"
  stop
fi
echo "uptime after: $(uptime)" | tee -a "$WORK_DIR/uptime"

echo
echo "authd per vCPU ($CORES cores, $DURATION per scenario, concurrency 32)"
printf '%-31s %9s %11s %10s %12s %11s %8s %8s %6s\n' scenario 'req/s' 'authd cores' 'per vCPU' 'machine busy' "req/s÷$CORES" 'p50 ms' 'p99 ms' errors
while read -r name rps busy per machine plain p50 p99 errors; do
  printf '%-31s %9s %11s %10s %12s %11s %8s %8s %6s\n' "$name" "$rps" "$busy" "$per" "$machine" "$plain" "$p50" "$p99" "$errors"
done < "$WORK_DIR/results"
