#!/usr/bin/env bash
# Side-by-side: authd (release build) and the Flask peer on the same machine,
# RUNS times each (medians), then the ratios against the issue's targets.
#
#   bench/compare.sh              # authd on embedded defaults (SQLite, in-process store)
#   bench/compare.sh --postgres   # authd on PostgreSQL + Redis (127.0.0.1 defaults)
#
# Env: RUNS (3), DURATION (10s), CONNECTIONS (32), COST (bcrypt cost, 12),
#      PEER_DIR (../shared/peer-flask beside the checkout), SKIP_PEER=1.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
RUNS="${RUNS:-3}"
COST="${COST:-12}"
PEER_DIR="${PEER_DIR:-$ROOT/../shared/peer-flask}"
MODE="${1:-}"
AUTHD_PORT=18080
PEER_PORT=18090
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

wait_healthy() {
  for _ in $(seq 1 300); do
    curl -fsS "$1/healthz" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  echo "no answer from $1" >&2; return 1
}

(cd "$ROOT" && cargo build --release --quiet && cargo build --release --quiet --example bcrypt_ceiling)

env_vars=(AUTH_BIND=127.0.0.1:$AUTHD_PORT AUTH_RATE_LIMITS=false AUTH_REQUIRE_VERIFIED_EMAIL=false
  AUTH_BCRYPT_COST="$COST" RUST_LOG=warn AUTH_LOG_FORMAT=json
  DATABASE_URL="sqlite://$WORK/authd/authd.db" AUTH_JWT_KEY_FILE="$WORK/authd/key.pem"
  AUTH_OUTBOX_DIR="$WORK/authd/outbox")
label="authd (SQLite + in-process store)"
if [[ "$MODE" == "--postgres" ]]; then
  db_name="authd_bench_$RANDOM$RANDOM"
  psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE \"$db_name\"" postgres
  env_vars+=(DATABASE_URL="postgres://postgres@127.0.0.1:5432/$db_name" REDIS_URL=redis://127.0.0.1:6379
    AUTH_REDIS_PREFIX="$db_name:")
  label="authd (PostgreSQL + Redis)"
fi
mkdir -p "$WORK/authd"
env "${env_vars[@]}" "$ROOT/target/release/authd" serve > "$WORK/authd.log" 2>&1 &
authd_pid=$!; pids+=("$authd_pid")
wait_healthy "http://127.0.0.1:$AUTHD_PORT"

if [[ -z "${SKIP_PEER:-}" ]]; then
  AUTH_BCRYPT_COST="$COST" "$PEER_DIR/run.sh" "$PEER_PORT" "$WORK/peer" > "$WORK/peer.log" 2>&1 &
  pids+=("$!")
  wait_healthy "http://127.0.0.1:$PEER_PORT"
fi

# One bcrypt verification, before and after the load (the faster counts:
# the ceiling is the best the machine can do).
verify_before="$("$ROOT/target/release/examples/bcrypt_ceiling" "$COST")"

for i in $(seq 1 "$RUNS"); do
  RESULTS_FILE="$WORK/authd-$i" SERVER_PID="$authd_pid" LABEL="$label, run $i" \
    "$HERE/run.sh" "http://127.0.0.1:$AUTHD_PORT"
  if [[ -z "${SKIP_PEER:-}" ]]; then
    RESULTS_FILE="$WORK/peer-$i" LABEL="Flask peer, run $i" "$HERE/run.sh" "http://127.0.0.1:$PEER_PORT"
  fi
done

verify_after="$("$ROOT/target/release/examples/bcrypt_ceiling" "$COST")"
verify_secs="$(python3 -c "print(min($verify_before, $verify_after))")"
cores="$(nproc)"

python3 - "$WORK" "$RUNS" "$verify_secs" "$cores" "$label" "${SKIP_PEER:-}" <<'PY'
import statistics, sys
work, runs, verify, cores, label, skip_peer = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), sys.argv[5], sys.argv[6]
def load(who):
    rows = {}
    for i in range(1, runs + 1):
        for line in open(f"{work}/{who}-{i}"):
            name, *vals = line.split()
            rows.setdefault(name, []).append([float(v) for v in vals])
    return {k: [statistics.median(col) for col in zip(*v)] for k, v in rows.items()}
a = load("authd")
p = None if skip_peer else load("peer")
ceiling = cores / verify
print(f"\nMedians of {runs} runs. bcrypt ceiling: {cores} cores / {verify*1000:.1f} ms = {ceiling:.2f}/s")
print(f"{'scenario':<9} {'':<6} {'req/s':>10} {'p50 ms':>9} {'p99 ms':>9} {'errors':>7}")
for name in ["me", "login", "refresh", "register"]:
    for who, rows in [("authd", a), ("peer", p)]:
        if rows is None: continue
        rps, p50, p99, err = rows[name]
        print(f"{name:<9} {who:<6} {rps:>10.1f} {p50:>9.2f} {p99:>9.2f} {int(err):>7}")
print(f"peak RSS: authd {a['rss_mb'][0]:.0f} MB" + ("" if p is None else f", peer {p['rss_mb'][0]:.0f} MB"))
print(f"\nTargets ({label}):")
def line(ok, text): print(("  ok   " if ok else "  MISS ") + text)
for name in ["login", "register"]:
    r = a[name][0] / ceiling
    line(r >= 0.95, f"{name}: {a[name][0]:.2f}/s = {r:.2f} x bcrypt ceiling (>= 0.95)")
if p:
    for name in ["me", "refresh"]:
        r = a[name][0] / p[name][0]
        line(r >= 10, f"{name}: {r:.1f} x peer (>= 10)")
line(a["me"][2] < 10, f"me p99: {a['me'][2]:.2f} ms (< 10)")
line(a["rss_mb"][0] <= 32, f"peak RSS: {a['rss_mb'][0]:.0f} MB (<= 32)")
errs = sum(int(a[n][3]) for n in ["me", "login", "refresh", "register"])
line(errs == 0, f"errors across scenarios: {errs}")
PY
