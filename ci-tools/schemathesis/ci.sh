#!/usr/bin/env bash
# CI wrapper: starts a throwaway authd (own data dir, free loopback port,
# SQLite + in-process store), runs run.sh against it, stops it, cleans up.
#
#   ci-tools/schemathesis/ci.sh            # uses $AUTHD_BIN or the usual places
#
# AUTHD_DATABASE_URL (an existing, empty database, e.g. PostgreSQL) and
# AUTHD_REDIS_URL with AUTHD_REDIS_PREFIX run the server on those instead;
# the caller creates and drops them.
#
# The server must answer /readyz with the backends it was configured for
# (database,store: sqlite or postgres, memory or redis), or with
# AUTHD_EXPECT_BACKENDS when set; anything else fails before the run.
#
# The exit code and the last line are run.sh's
# (`schemathesis: N passed, 0 failed` on success), unless the server died
# or logged an ERROR other than the one Schemathesis' NUL-byte probe causes.
# Extra environment (SCHEMATHESIS_*) is passed through to run.sh.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)

if [[ -z ${AUTHD_BIN:-} ]]; then
  for candidate in "$REPO/target/release/authd" "$REPO/target/debug/authd" \
    "$(command -v authd || true)" /tmp/authd-bin/authd; do
    if [[ -n $candidate && -x $candidate ]]; then AUTHD_BIN=$candidate; break; fi
  done
fi
[[ -n ${AUTHD_BIN:-} && -x $AUTHD_BIN ]] || { echo "ci.sh: no authd binary; set AUTHD_BIN" >&2; exit 1; }
export AUTHD_BIN

DATA=$(mktemp -d "${TMPDIR:-/tmp}/authd-schemathesis-server.XXXXXX")
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
SERVER_PID=
# shellcheck disable=SC2329 # called by the EXIT trap
stop() {
  if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$DATA"
}
trap stop EXIT

export AUTH_BCRYPT_COST=4
DB_URL=${AUTHD_DATABASE_URL:-sqlite://$DATA/authd.db}
if [[ -n ${AUTHD_REDIS_URL:-} ]]; then
  export REDIS_URL=$AUTHD_REDIS_URL AUTH_REDIS_PREFIX=${AUTHD_REDIS_PREFIX:?AUTHD_REDIS_PREFIX is required with AUTHD_REDIS_URL}
else
  unset REDIS_URL
fi
# The fuzzer sends wrong passwords with the fixture accounts' tokens
# (password change, DELETE /v1/me), which count toward the lockout; a
# conformance run must not lock its own fixtures out.
AUTH_BIND=127.0.0.1:$PORT AUTH_RATE_LIMITS=false AUTH_LOCKOUT_THRESHOLD=1000000 \
  DATABASE_URL=$DB_URL AUTH_JWT_KEY_FILE=$DATA/key.pem AUTH_MFA_KEY_FILE=$DATA/mfa.key AUTH_OUTBOX_DIR=$DATA/outbox \
  AUTH_LOG_FORMAT=json "$AUTHD_BIN" serve >"$DATA/server.log" 2>&1 </dev/null &
SERVER_PID=$!
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break
  sleep 0.1
done
case $DB_URL in postgres*) want_db=postgres ;; *) want_db=sqlite ;; esac
[[ -n ${AUTHD_REDIS_URL:-} ]] && want_store=redis || want_store=memory
EXPECT=${AUTHD_EXPECT_BACKENDS:-$want_db,$want_store}
# Not inside echo "$(…)": echo's status would mask the pipeline's.
BACKENDS=$(curl -fsS "http://127.0.0.1:$PORT/readyz" |
  python3 -c 'import json, sys; b = json.load(sys.stdin)["backends"]; print(b["database"] + "," + b["store"])') ||
  { tail -n 20 "$DATA/server.log"; echo "ci.sh: the server did not start"; echo "schemathesis: 0 passed, 1 failed"; exit 1; }
echo "ci.sh: server backends: $BACKENDS"
if [[ $BACKENDS != "$EXPECT" ]]; then
  echo "ci.sh: the server runs on $BACKENDS, this run must be on $EXPECT"
  echo "schemathesis: 0 passed, 1 failed"
  exit 1
fi

PROBE_ERROR='"message":"stream error: request parse error: invalid Header provided"'
set +e -o pipefail
"$HERE/run.sh" "http://127.0.0.1:$PORT" "$DB_URL" 2>&1 | tee "$DATA/run.log"
rc=${PIPESTATUS[0]}
set -e
if ! kill -0 "$SERVER_PID" 2>/dev/null; then
  echo "ci.sh: the server died during the run; the end of its log:"
  tail -n 50 "$DATA/server.log"
  [[ $rc -eq 0 ]] && rc=1
  echo "schemathesis: 0 passed, 1 failed"
elif grep '"level":"ERROR"' "$DATA/server.log" | grep -qv "$PROBE_ERROR"; then
  # Expected, and the only ERROR allowed: the line from Schemathesis'
  # NUL-byte header probe (actix-http logs malformed request headers at
  # ERROR). Any other ERROR fails the run, with or without a 5xx.
  echo "ci.sh: the server logged errors:"
  grep '"level":"ERROR"' "$DATA/server.log" | grep -v "$PROBE_ERROR" | tail -n 20
  [[ $rc -eq 0 ]] && rc=1
  echo "schemathesis: the server logged errors; failed"
fi
exit "$rc"
