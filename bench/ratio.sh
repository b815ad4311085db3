#!/usr/bin/env bash
# The default configuration's share of the framework's ceiling, in one run
# (issue #35, item 1). GET /v1/me with wrk against three servers on this
# machine, RUNS rounds, each round running the four in turn (the order
# rotates from round to round):
#   bare     bench/bare-actix: actix-web verifying the same EdDSA token
#            (jsonwebtoken, every request) and answering from its claims
#   fixed    bench/bare-actix without a key: a fixed user, no token check
#            (the framework alone, as ../shared/peer-bare-actix)
#   default  authd as `authd serve` starts with no RUST_LOG and no
#            AUTH_LOG_FORMAT (info, one pretty line per request, to stdout,
#            here a file)
#   warn     authd with RUST_LOG=warn AUTH_LOG_FORMAT=json (no request line)
# Then the medians, the ratios of each round and their medians, the targets
# (default >= 0.6 x bare, default within 10 % of warn), and the peak RSS
# (VmHWM) of the default authd under this load (issue #35, item 2: 25 MiB).
#
#   bench/ratio.sh
#
# Env: RUNS (5), DURATION (10s), CONNECTIONS (32), THREADS (2),
#      MALLOC_ARENA_MAX (2, as the Dockerfile sets it), OUT (bench/ratio.json),
#      CARGO_TARGET_DIR (where both binaries are built; target/ by default),
#      AUTHD (an authd binary to measure instead of building this checkout's,
#      e.g. an older build for a before/after pair).
# The two authd differ only in RUST_LOG and AUTH_LOG_FORMAT; both run with
# AUTH_RATE_LIMITS=false AUTH_REQUIRE_VERIFIED_EMAIL=false, as bench/run.sh
# needs.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
RUNS="${RUNS:-5}"
DURATION="${DURATION:-10s}"
CONNECTIONS="${CONNECTIONS:-32}"
THREADS="${THREADS:-2}"
OUT="${OUT:-$HERE/ratio.json}"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
PASSWORD="correct-Horse-battery-9"
declare -A PORT=([bare]=18180 [default]=18181 [warn]=18182 [fixed]=18183)
WORK="$(mktemp -d)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

if ! command -v wrk >/dev/null; then
  echo "installing wrk (Debian package)" >&2
  (apt-get install -y wrk >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y wrk >/dev/null; })
fi

if [[ -z "${AUTHD:-}" ]]; then
  (cd "$ROOT" && CARGO_TARGET_DIR="$TARGET" cargo build --release --quiet --bin authd)
  AUTHD="$TARGET/release/authd"
fi
CARGO_TARGET_DIR="$TARGET" cargo build --release --quiet --manifest-path "$HERE/bare-actix/Cargo.toml"

wait_healthy() {
  for _ in $(seq 1 300); do
    curl -fsS "$1/healthz" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  echo "no answer from $1" >&2; return 1
}
post() { curl -fsS -X POST "$1" -H 'Content-Type: application/json' -d "$2"; }
json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }

# Starts one authd; the rest of the arguments are its extra environment.
declare -A PID TOKEN
start_authd() {
  local name=$1; shift
  local dir="$WORK/$name" base="http://127.0.0.1:${PORT[$name]}"
  mkdir -p "$dir"
  env -u RUST_LOG -u AUTH_LOG_FORMAT AUTH_BIND="127.0.0.1:${PORT[$name]}" \
    AUTH_RATE_LIMITS=false AUTH_REQUIRE_VERIFIED_EMAIL=false \
    MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}" \
    DATABASE_URL="sqlite://$dir/authd.db" AUTH_JWT_KEY_FILE="$WORK/key.pem" \
    AUTH_OUTBOX_DIR="$dir/outbox" "$@" \
    "$AUTHD" serve > "$WORK/$name.log" 2>&1 &
  PID[$name]=$!; pids+=("$!")
  wait_healthy "$base"
  local email="ratio-$name-$RANDOM@example.com"
  post "$base/v1/auth/register" "{\"email\":\"$email\",\"password\":\"$PASSWORD\"}" >/dev/null
  TOKEN[$name]="$(post "$base/v1/auth/login" "{\"email\":\"$email\",\"password\":\"$PASSWORD\"}" | json '["access_token"]')"
}

# The first authd writes the key file the other two read.
start_authd default
start_authd warn RUST_LOG=warn AUTH_LOG_FORMAT=json
claims="$(python3 -c "
import base64, json, sys
p = sys.argv[1].split('.')[1]
c = json.loads(base64.urlsafe_b64decode(p + '=' * (-len(p) % 4)))
print(c['iss'], c['aud'])" "${TOKEN[default]}")"
read -r issuer audience <<< "$claims"
"$TARGET/release/bare-actix" "${PORT[bare]}" "$WORK/key.pem" "$issuer" "$audience" > "$WORK/bare.log" 2>&1 &
PID[bare]=$!; pids+=("$!")
TOKEN[bare]="${TOKEN[default]}"
"$TARGET/release/bare-actix" "${PORT[fixed]}" > "$WORK/fixed.log" 2>&1 &
PID[fixed]=$!; pids+=("$!")
TOKEN[fixed]="${TOKEN[default]}"
for _ in $(seq 1 50); do
  curl -fsS -o /dev/null -H "Authorization: Bearer ${TOKEN[bare]}" "http://127.0.0.1:${PORT[bare]}/v1/me" 2>/dev/null \
    && curl -fsS -o /dev/null "http://127.0.0.1:${PORT[fixed]}/v1/me" 2>/dev/null && break
  sleep 0.2
done
code="$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer ${TOKEN[bare]}x" "http://127.0.0.1:${PORT[bare]}/v1/me")"
[[ "$code" == 401 ]] || { echo "bare: a bad token answered $code" >&2; exit 1; }
for name in bare fixed default warn; do
  code="$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer ${TOKEN[$name]}" "http://127.0.0.1:${PORT[$name]}/v1/me")"
  [[ "$code" == 200 ]] || { echo "$name: GET /v1/me answered $code" >&2; exit 1; }
done

# One wrk run: prints "req/s errors".
measure() {
  local name=$1 out="$WORK/wrk-$1.txt"
  TOKEN="${TOKEN[$name]}" wrk -t "$THREADS" -c "$CONNECTIONS" -d "$DURATION" --latency \
    -s "$HERE/me.lua" "http://127.0.0.1:${PORT[$name]}/v1/me" > "$out" 2>&1
  python3 - "$out" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
errors = sum(int(x) for x in re.findall(r"(?:connect|read|write|timeout) (\d+)", text))
m = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
print(f"{rps:.1f} {errors + (int(m.group(1)) if m else 0)}")
PY
}

load_before="$(uptime)"
order=(bare default warn fixed)
for round in $(seq 1 "$RUNS"); do
  for k in 0 1 2 3; do
    name="${order[$(( (round + k) % 4 ))]}"
    sleep 2
    read -r rps errors <<< "$(measure "$name")"
    echo "$round $name $rps $errors" >> "$WORK/results"
    printf 'round %s  %-8s %10s req/s  errors %s\n' "$round" "$name" "$rps" "$errors"
  done
done
load_after="$(uptime)"
rss_kb="$(awk '/^VmHWM:/ {print $2}' "/proc/${PID[default]}/status")"
rss_warn_kb="$(awk '/^VmHWM:/ {print $2}' "/proc/${PID[warn]}/status")"
log_lines="$(wc -l < "$WORK/default.log")"

python3 - "$WORK/results" "$rss_kb" "$rss_warn_kb" "$log_lines" "$OUT" "$load_before" "$load_after" "$(nproc)" <<'PY'
import datetime, json, os, statistics, sys
results, rss_kb, rss_warn_kb, log_lines, out, before, after, cores = sys.argv[1:9]
rounds = {}
errors = 0
for line in open(results):
    r, name, rps, err = line.split()
    rounds.setdefault(int(r), {})[name] = float(rps)
    errors += int(err)
NAMES = ["bare", "fixed", "default", "warn"]
med = {n: statistics.median(r[n] for r in rounds.values()) for n in NAMES}
to_bare = [r["default"] / r["bare"] for r in rounds.values()]
to_warn = [r["default"] / r["warn"] for r in rounds.values()]
warn_to_bare = [r["warn"] / r["bare"] for r in rounds.values()]
to_fixed = [r["default"] / r["fixed"] for r in rounds.values()]
print(f"\nGET /v1/me, {len(rounds)} rounds, wrk -t{os.environ.get('THREADS', '2')} "
      f"-c{os.environ.get('CONNECTIONS', '32')} -d{os.environ.get('DURATION', '10s')}, {cores} cores")
print(f"load before: {before.strip()}\nload after:  {after.strip()}")
for n in NAMES:
    runs = ", ".join(f"{r[n]:.0f}" for r in rounds.values())
    print(f"{n:<8} median {med[n]:>10.1f} req/s   ({runs})")
fmt = lambda xs: ", ".join(f"{x:.2f}" for x in xs)
r_bare, r_warn, r_wb, r_fixed = (statistics.median(x) for x in (to_bare, to_warn, warn_to_bare, to_fixed))
print(f"default / bare: median of rounds {r_bare:.2f}  ({fmt(to_bare)})")
print(f"default / warn: median of rounds {r_warn:.2f}  ({fmt(to_warn)})")
print(f"warn / bare:    median of rounds {r_wb:.2f}  ({fmt(warn_to_bare)})")
print(f"default / fixed (no token check): median of rounds {r_fixed:.2f}  ({fmt(to_fixed)})")
rss = int(rss_kb) / 1024
print(f"peak RSS (VmHWM): authd default {rss:.1f} MiB, authd warn {int(rss_warn_kb) / 1024:.1f} MiB; "
      f"default wrote {log_lines} log lines")
checks = []
def check(ok, text):
    checks.append({"ok": bool(ok), "check": text})
    print(("  ok   " if ok else "  MISS ") + text)
print("\nTargets (issue #35):")
check(r_bare >= 0.6, f"default >= 0.6 x bare: {r_bare:.2f}")
check(r_warn >= 0.9, f"default within 10 % of warn: {r_warn:.2f}")
check(errors == 0, f"errors (non-2xx and socket errors): {errors}")
check(rss <= 25, f"peak RSS of the default authd <= 25 MiB: {rss:.1f} MiB (item 2)")
doc = {
    "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    "cores": int(cores), "load_before": before.strip(), "load_after": after.strip(),
    "wrk": {"threads": int(os.environ.get("THREADS", "2")),
            "connections": int(os.environ.get("CONNECTIONS", "32")),
            "duration": os.environ.get("DURATION", "10s")},
    "rounds": [rounds[k] for k in sorted(rounds)],
    "median_rps": med,
    "ratios": {"default_to_bare": r_bare, "default_to_warn": r_warn, "warn_to_bare": r_wb,
               "default_to_fixed": r_fixed},
    "peak_rss_mib": {"default": rss, "warn": int(rss_warn_kb) / 1024},
    "checks": checks,
}
with open(out, "w") as f:
    json.dump(doc, f, indent=2)
print(f"\nwritten: {out}")
PY
