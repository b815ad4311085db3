#!/usr/bin/env bash
# Side-by-side: authd (release build) and the Flask peer on the same machine,
# RUNS times each (medians), on the embedded defaults (SQLite + in-process
# store) and on PostgreSQL + Redis, then the ratios against the targets of
# issue #19. Prints a table and writes the same figures as JSON.
#
#   bench/compare.sh                 # both authd backends and the peer
#   bench/compare.sh --embedded      # only the embedded defaults (and the peer)
#   bench/compare.sh --postgres      # only PostgreSQL + Redis (127.0.0.1 defaults)
#
# Env: RUNS (3), DURATION (10s), CONNECTIONS (32), COST (bcrypt cost, 12),
#      HASH (AUTH_PASSWORD_HASH of authd: bcrypt or argon2id; the password
#      ceiling is cores / one verification with it), SCENARIOS (bench/run.sh's,
#      all four by default; e.g. "login" for a login ceiling alone),
#      PEER_DIR (../shared/peer-flask beside the checkout), SKIP_PEER=1,
#      OUT (bench/result.json), DATABASE_POOL_SIZE (authd's pool; default 8),
#      MALLOC_ARENA_MAX (2, as the Dockerfile sets it), CARGO_TARGET_DIR.
#
#   HASH=argon2id SCENARIOS=login SKIP_PEER=1 bench/compare.sh --embedded
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
RUNS="${RUNS:-3}"
COST="${COST:-12}"
HASH="${HASH:-bcrypt}"
case "$HASH" in bcrypt|argon2id) ;; *) echo "HASH: bcrypt or argon2id" >&2; exit 2 ;; esac
export SCENARIOS="${SCENARIOS:-me login refresh register}"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
PEER_DIR="${PEER_DIR:-$ROOT/../shared/peer-flask}"
OUT="${OUT:-$HERE/result.json}"
MODE="${1:-}"
case "$MODE" in
  "") backends=(embedded postgres) ;;
  --embedded) backends=(embedded) ;;
  --postgres) backends=(postgres) ;;
  *) echo "usage: bench/compare.sh [--embedded|--postgres]" >&2; exit 2 ;;
esac
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

(cd "$ROOT" && export CARGO_TARGET_DIR="$TARGET" && cargo build --release --quiet --bin authd \
  && cargo build --release --quiet --example "${HASH}_ceiling")

# Starts authd on one backend; sets authd_pid.
start_authd() {
  local backend=$1 dir="$WORK/authd-$1"
  mkdir -p "$dir"
  local env_vars=(AUTH_BIND=127.0.0.1:$AUTHD_PORT AUTH_RATE_LIMITS=false AUTH_REQUIRE_VERIFIED_EMAIL=false
    AUTH_BCRYPT_COST="$COST" AUTH_PASSWORD_HASH="$HASH" RUST_LOG=warn AUTH_LOG_FORMAT=json
    AUTH_DATABASE_POOL_SIZE="${DATABASE_POOL_SIZE:-8}"
    MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}"
    DATABASE_URL="sqlite://$dir/authd.db" AUTH_JWT_KEY_FILE="$dir/key.pem"
    AUTH_OUTBOX_DIR="$dir/outbox")
  if [[ "$backend" == postgres ]]; then
    db_name="authd_bench_$RANDOM$RANDOM"
    psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE \"$db_name\"" postgres
    env_vars+=(DATABASE_URL="postgres://postgres@127.0.0.1:5432/$db_name" REDIS_URL=redis://127.0.0.1:6379
      AUTH_REDIS_PREFIX="$db_name:")
  fi
  env "${env_vars[@]}" "$TARGET/release/authd" serve > "$WORK/authd-$backend.log" 2>&1 &
  authd_pid=$!; pids+=("$authd_pid")
  wait_healthy "http://127.0.0.1:$AUTHD_PORT"
}

stop_authd() {
  kill "$authd_pid" 2>/dev/null || true
  wait "$authd_pid" 2>/dev/null || true
}

if [[ -z "${SKIP_PEER:-}" ]]; then
  AUTH_BCRYPT_COST="$COST" "$PEER_DIR/run.sh" "$PEER_PORT" "$WORK/peer" > "$WORK/peer.log" 2>&1 &
  pids+=("$!")
  wait_healthy "http://127.0.0.1:$PEER_PORT"
fi

# One password verification, before and after the load (the faster counts:
# the ceiling is the best the machine can do).
load_before="$(uptime)"
verify_before="$("$TARGET/release/examples/${HASH}_ceiling" "$COST")"

for backend in "${backends[@]}"; do
  start_authd "$backend"
  for i in $(seq 1 "$RUNS"); do
    RESULTS_FILE="$WORK/$backend-$i" SERVER_PID="$authd_pid" LABEL="authd ($backend), run $i" \
      "$HERE/run.sh" "http://127.0.0.1:$AUTHD_PORT"
    # The peer runs beside the embedded authd, alternating, so both see the
    # same machine.
    if [[ -z "${SKIP_PEER:-}" && ( "$backend" == embedded || ${#backends[@]} -eq 1 ) ]]; then
      RESULTS_FILE="$WORK/peer-$i" LABEL="Flask peer, run $i" "$HERE/run.sh" "http://127.0.0.1:$PEER_PORT"
    fi
  done
  stop_authd
done

verify_after="$("$TARGET/release/examples/${HASH}_ceiling" "$COST")"
verify_secs="$(python3 -c "print(min($verify_before, $verify_after))")"
load_after="$(uptime)"

python3 - "$WORK" "$RUNS" "$verify_secs" "$(nproc)" "${SKIP_PEER:-}" "$OUT" "$HASH" "$load_before" "$load_after" "${backends[@]}" <<'PY'
import datetime, json, os, statistics, sys
work, runs, verify, cores, skip_peer, out = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), sys.argv[5], sys.argv[6]
hash_name, load_before, load_after = sys.argv[7], sys.argv[8].strip(), sys.argv[9].strip()
backends = sys.argv[10:]
SCENARIOS = os.environ["SCENARIOS"].split()
def load(who):
    rows = {}
    for i in range(1, runs + 1):
        for line in open(f"{work}/{who}-{i}"):
            name, *vals = line.split()
            rows.setdefault(name, []).append([float(v) for v in vals])
    return {k: [statistics.median(col) for col in zip(*v)] for k, v in rows.items()}
results = {b: load(b) for b in backends}
peer = None if skip_peer else load("peer")
ceiling = cores / verify
# Issue #19's targets. PostgreSQL + Redis: at least twice the figures
# measured before it (me 12.4k, refresh 2.2k req/s).
PG_BEFORE = {"me": 12400, "refresh": 2200}
print(f"\nMedians of {runs} runs, concurrency {os.environ.get('CONNECTIONS', '32')}. "
      f"{hash_name} ceiling: {cores} cores / {verify*1000:.1f} ms = {ceiling:.2f}/s")
print(f"load before: {load_before}\nload after:  {load_after}")
print(f"{'scenario':<9} {'':<9} {'req/s':>10} {'p50 ms':>9} {'p99 ms':>9} {'errors':>7} {'x peer':>7}")
table = [("peer", peer)] + [(b, results[b]) for b in backends]
for name in SCENARIOS:
    for who, rows in table:
        if rows is None: continue
        rps, p50, p99, err = rows[name]
        ratio = f"{rps / peer[name][0]:.1f}" if peer and who != "peer" else ""
        print(f"{name:<9} {who:<9} {rps:>10.1f} {p50:>9.2f} {p99:>9.2f} {int(err):>7} {ratio:>7}")
print("peak RSS: " + ", ".join(f"{who} {rows['rss_mb'][0]:.0f} MB" for who, rows in table if rows))
checks = []
def check(ok, text):
    checks.append({"ok": bool(ok), "check": text})
    print(("  ok   " if ok else "  MISS ") + text)
print("\nTargets (issue #19):")
for b in backends:
    a = results[b]
    for name in [n for n in ["login", "register"] if n in a]:
        r = a[name][0] / ceiling
        check(r >= 0.95, f"{b} {name}: {a[name][0]:.2f}/s = {r:.2f} x {hash_name} ceiling (>= 0.95)")
    errs = sum(int(a[n][3]) for n in SCENARIOS)
    check(errs == 0, f"{b}: errors across scenarios: {errs}")
if "embedded" in results:
    a = results["embedded"]
    if peer:
        for name, target in [(n, t) for n, t in [("me", 25), ("refresh", 15)] if n in a]:
            r = a[name][0] / peer[name][0]
            check(r >= target, f"embedded {name}: {r:.1f} x peer (>= {target})")
    if "me" in a:
        check(a["me"][2] < 5, f"embedded me p99: {a['me'][2]:.2f} ms (< 5)")
    check(a["rss_mb"][0] <= 25, f"embedded peak RSS: {a['rss_mb'][0]:.0f} MB (<= 25)")
if "postgres" in results:
    a = results["postgres"]
    for name, before in [(n, v) for n, v in PG_BEFORE.items() if n in a]:
        check(a[name][0] >= 2 * before, f"postgres {name}: {a[name][0]:.0f} req/s (>= 2 x {before})")
def as_dict(rows):
    if rows is None: return None
    d = {n: dict(zip(["rps", "p50_ms", "p99_ms", "errors"], rows[n])) for n in SCENARIOS}
    d["peak_rss_mb"] = rows["rss_mb"][0]
    return d
doc = {
    "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    "runs": runs, "duration": os.environ.get("DURATION", "10s"),
    "connections": int(os.environ.get("CONNECTIONS", "32")), "cores": cores,
    "load_before": load_before, "load_after": load_after,
    "password_hash": hash_name, "bcrypt_cost": int(os.environ.get("COST", "12")),
    "password_ceiling_per_s": ceiling, "verification_s": verify,
    "peer": as_dict(peer), "authd": {b: as_dict(results[b]) for b in backends},
    "checks": checks,
}
with open(out, "w") as f:
    json.dump(doc, f, indent=2)
print(f"\nwritten: {out}")
PY
