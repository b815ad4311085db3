#!/usr/bin/env bash
# Load benchmark: four scenarios with wrk against a running server.
#
#   bench/run.sh BASE_URL
#
# The server must run with rate limits off and, for authd, without the
# verified-email requirement (the bench cannot read the server's mail):
#   AUTH_RATE_LIMITS=false AUTH_REQUIRE_VERIFIED_EMAIL=false
# Env: DURATION (10s), CONNECTIONS (32), SERVER_PID (else found by port),
#      LABEL (row label), PASSWORD, SETTLE (seconds between scenarios, 5),
#      SCENARIOS (which to run, in order; "me login refresh register").
# Prints one table: requests/s, p50, p99, errors (non-2xx + socket errors)
# per scenario, and the server's peak RSS (VmHWM, summed over its processes).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
BASE_URL="${1:?usage: bench/run.sh BASE_URL}"
BASE_URL="${BASE_URL%/}"
DURATION="${DURATION:-10s}"
CONNECTIONS="${CONNECTIONS:-32}"
LABEL="${LABEL:-$BASE_URL}"
PASSWORD="${PASSWORD:-correct-Horse-battery-9}"
RUN_ID="$(date +%s)$RANDOM"
export PASSWORD RUN_ID

if ! command -v wrk >/dev/null; then
  echo "installing wrk (Debian package)" >&2
  (apt-get install -y wrk >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y wrk >/dev/null; })
fi
command -v python3 >/dev/null || { echo "python3 is needed to read JSON" >&2; exit 1; }

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
post() { curl -fsS -X POST "$BASE_URL$1" -H 'Content-Type: application/json' -d "$2"; }

# --- preparation --------------------------------------------------------
EMAIL="bench-user-$RUN_ID@example.com"
export EMAIL
post /v1/auth/register "{\"email\":\"$EMAIL\",\"password\":\"$PASSWORD\"}" >/dev/null
TOKEN="$(post /v1/auth/login "{\"email\":\"$EMAIL\",\"password\":\"$PASSWORD\"}" | json '["access_token"]')"
export TOKEN
# Users for the login scenario, one per connection.
LOGIN_PREFIX="bench-login-$RUN_ID" LOGIN_USERS="$CONNECTIONS"
export LOGIN_PREFIX LOGIN_USERS
for i in $(seq 0 $((CONNECTIONS - 1))); do
  post /v1/auth/register "{\"email\":\"$LOGIN_PREFIX-$i@example.com\",\"password\":\"$PASSWORD\"}" >/dev/null &
  (( (i + 1) % 8 == 0 )) && wait
done
wait
export REFRESH_TOKENS="$WORK/refresh-tokens"
for _ in $(seq 1 "$CONNECTIONS"); do
  post /v1/auth/login "{\"email\":\"$EMAIL\",\"password\":\"$PASSWORD\"}" | json '["refresh_token"]'
done > "$REFRESH_TOKENS"

port="${BASE_URL##*:}"; port="${port%%/*}"
pids="${SERVER_PID:-}"
if [[ -z "$pids" ]]; then
  pids="$(ss -ltnpH "( sport = :$port )" 2>/dev/null | grep -o 'pid=[0-9]*' | cut -d= -f2 | sort -u | tr '\n' ' ')"
fi
# Include the children (gunicorn workers, for example).
all_pids() {
  local out="" p
  for p in $pids; do out="$out $p $(pgrep -P "$p" | tr '\n' ' ')"; done
  echo "$out" | tr ' ' '\n' | grep -v '^$' | sort -u | tr '\n' ' '
}

# --- scenarios ----------------------------------------------------------
# Parses wrk's summary into: req/s p50 p99 errors
summarise() {
  python3 - "$1" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
def unit(v):
    m = re.match(r"([\d.]+)(us|ms|s|m)", v)
    n, u = float(m.group(1)), m.group(2)
    return n * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[u]
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
p50 = unit(re.search(r"^\s+50%\s+(\S+)", text, re.M).group(1))
p99 = unit(re.search(r"^\s+99%\s+(\S+)", text, re.M).group(1))
errors = sum(int(x) for x in re.findall(r"(?:connect|read|write|timeout) (\d+)", text))
non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
errors += int(non2xx.group(1)) if non2xx else 0
print(f"{rps:.1f} {p50:.2f} {p99:.2f} {errors}")
PY
}

run() {
  local name=$1 method_path=$2 threads=$3
  local out="$WORK/$name.txt"
  wrk -t "$threads" -c "$CONNECTIONS" -d "$DURATION" --timeout 30s --latency \
      -s "$HERE/$name.lua" "$BASE_URL$method_path" > "$out" 2>&1 || { cat "$out" >&2; return 1; }
  printf '%s %s\n' "$name" "$(summarise "$out")" >> "$WORK/results"
}

threads=2
# Each scenario starts on an idle server: a bcrypt scenario ends with up to
# CONNECTIONS password checks still queued (about 4 s of work at cost 12 on
# 2 cores), which would otherwise answer the next scenario's first requests
# with 503 (a full bcrypt queue).
settle() { sleep "${SETTLE:-5}"; }
first=1
for scenario in ${SCENARIOS:-me login refresh register}; do
  [[ -n "$first" ]] || settle
  first=""
  case "$scenario" in
    me) run me /v1/me "$threads" ;;
    login) run login /v1/auth/login "$threads" ;;
    # One connection per thread, so each connection follows its own chain.
    refresh) run refresh /v1/auth/refresh "$CONNECTIONS" ;;
    register) run register /v1/auth/register "$threads" ;;
    *) echo "unknown scenario: $scenario" >&2; exit 2 ;;
  esac
done

rss_kb=0
for p in $(all_pids); do
  kb="$(awk '/^VmHWM:/ {print $2}' "/proc/$p/status" 2>/dev/null || echo 0)"
  rss_kb=$((rss_kb + ${kb:-0}))
done

printf '\n%s (concurrency %s, %s per scenario)\n' "$LABEL" "$CONNECTIONS" "$DURATION"
printf '%-9s %12s %10s %10s %8s\n' scenario 'req/s' 'p50 ms' 'p99 ms' errors
while read -r name rps p50 p99 errors; do
  printf '%-9s %12s %10s %10s %8s\n' "$name" "$rps" "$p50" "$p99" "$errors"
done < "$WORK/results"
printf 'peak RSS: %s MB (VmHWM over pids: %s)\n' "$((rss_kb / 1024))" "$(all_pids)"
# Machine-readable copy for compare.sh.
if [[ -n "${RESULTS_FILE:-}" ]]; then
  { cat "$WORK/results"; echo "rss_mb $((rss_kb / 1024))"; } > "$RESULTS_FILE"
fi
