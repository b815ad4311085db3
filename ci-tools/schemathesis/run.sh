#!/usr/bin/env bash
# Schema-conformance run of a live authd against its own OpenAPI document.
#
#   ci-tools/schemathesis/run.sh BASE_URL DATABASE_URL
#
# BASE_URL      the running server, e.g. http://127.0.0.1:18282
# DATABASE_URL  the same database the server uses (for `authd create-admin`)
#
# The server should run with AUTH_RATE_LIMITS=false (the per-IP limits would
# turn most of the run into 429s) and a low AUTH_BCRYPT_COST (4) for speed.
#
# What it does:
#   1. Makes a venv in a temp dir (or reuses $SCHEMATHESIS_VENV, creating it
#      there if missing) and installs requirements.txt.
#   2. Bootstraps the fixture accounts:
#      - the admin ($AUTHD_ADMIN_EMAIL, default admin@example.com) with
#        `authd create-admin`, then logs in and checks GET /v1/me;
#      - a verified viewer that matches the OpenAPI examples
#        (a@example.com / correct-Horse-battery-9), so the examples phase (and
#        later the fuzzing and stateful phases) get 200 from /v1/auth/login
#        and the TokenPair schema is checked.
#        It is registered through the API, verified by `create-admin` (which
#        also makes it an admin) and put back to ["viewer"] by the admin.
#      The admin password is deliberately NOT the example password: the
#      fuzzer combines harvested emails with example passwords, and with the
#      admin's password it could change it or delete the account.
#   3. Runs Schemathesis against BASE_URL/openapi.json: every operation the
#      served document lists (24 in the binary this was written against),
#      phases examples, coverage, fuzzing and stateful, checks
#      not_a_server_error, status_code_conformance, content_type_conformance,
#      response_schema_conformance, $SCHEMATHESIS_MAX_EXAMPLES examples per
#      operation, fixed seed, one worker, no example database, so a run is
#      repeatable. Bearer auth comes from hooks.py (re-login whenever a
#      token-killing operation ended the session; see its docstring).
#   4. Prints `schemathesis: N passed, F failed` (N = operations tested, from
#      the JUnit report) and exits non-zero on any failure or error, and
#      when an operation of the served document was skipped or not tested
#      (F counts those too).
#
# Environment knobs (all optional):
#   SCHEMATHESIS_VENV          venv to reuse (created there if missing)
#   SCHEMATHESIS_MAX_EXAMPLES  examples per operation (default 100)
#   SCHEMATHESIS_SEED          seed (default 20261128)
#   SCHEMATHESIS_CHECKS        comma-separated checks (default: the four above)
#   SCHEMATHESIS_REPORT_DIR    keep reports here (default: a temp dir, removed)
#   SCHEMATHESIS_REPORTS       report formats (default junit; e.g. junit,har)
#   SCHEMATHESIS_TIMEOUT       hard cap in seconds for the Schemathesis step
#                              (default 900)
#   SCHEMATHESIS_EXTRA_ARGS    extra arguments passed to `schemathesis run`
#   SCHEMATHESIS_CONFIG        a schemathesis.toml to pass as --config-file
#   AUTHD_BIN                  authd binary (default: target/release, then
#                              target/debug, then authd on PATH, then
#                              /tmp/authd-bin/authd)
#   AUTHD_ADMIN_EMAIL, AUTHD_ADMIN_PASSWORD  the fixture admin
#   AUTH_BCRYPT_COST           cost used by create-admin (default 4)
#   PYTHON                     interpreter for the venv (default python3)
set -euo pipefail

if [[ $# -ne 2 ]]; then
  echo "usage: $0 BASE_URL DATABASE_URL" >&2
  exit 2
fi
BASE_URL=${1%/}
DB_URL=$2
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)

MAX_EXAMPLES=${SCHEMATHESIS_MAX_EXAMPLES:-100}
SEED=${SCHEMATHESIS_SEED:-20261128}
CHECKS=${SCHEMATHESIS_CHECKS:-not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance}
REPORTS=${SCHEMATHESIS_REPORTS:-junit}
[[ ,$REPORTS, == *,junit,* ]] || REPORTS+=,junit # the summary line is read from it
ST_TIMEOUT=${SCHEMATHESIS_TIMEOUT:-900}
PYTHON=${PYTHON:-python3}
ADMIN_EMAIL=${AUTHD_ADMIN_EMAIL:-admin@example.com}
ADMIN_PASSWORD=${AUTHD_ADMIN_PASSWORD:-Zebra-lantern-harbor-8214!}
# These two must match the LoginRequest / RegisterRequest examples in the spec.
EXAMPLE_EMAIL=a@example.com
EXAMPLE_PASSWORD=correct-Horse-battery-9

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'run.sh: %s\n' "$*" >&2; exit 1; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/authd-schemathesis.XXXXXX")
# shellcheck disable=SC2329 # called by the EXIT trap
cleanup() { rm -rf "$WORK"; }
trap cleanup EXIT

# --- authd binary -----------------------------------------------------------
if [[ -z ${AUTHD_BIN:-} ]]; then
  for candidate in "$REPO/target/release/authd" "$REPO/target/debug/authd" \
    "$(command -v authd || true)" /tmp/authd-bin/authd; do
    if [[ -n $candidate && -x $candidate ]]; then AUTHD_BIN=$candidate; break; fi
  done
fi
[[ -n ${AUTHD_BIN:-} && -x $AUTHD_BIN ]] || die "no authd binary found; set AUTHD_BIN"

# --- venv -------------------------------------------------------------------
VENV=${SCHEMATHESIS_VENV:-$WORK/venv}
STAMP="$VENV/.authd-requirements.sha256"
WANT=$(sha256sum "$HERE/requirements.txt" | cut -d' ' -f1)
if [[ ! -x $VENV/bin/python ]]; then
  log "creating venv $VENV"
  "$PYTHON" -m venv "$VENV"
fi
if [[ ! -f $STAMP || $(cat "$STAMP") != "$WANT" ]]; then
  log "installing requirements into $VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$HERE/requirements.txt"
  echo "$WANT" >"$STAMP"
fi
PY=$VENV/bin/python
ST=$VENV/bin/schemathesis
"$ST" --version >&2

# --- helpers ----------------------------------------------------------------
# api METHOD PATH [JSON] [TOKEN] -> prints "STATUS BODY"
api() {
  local method=$1 path=$2 data=${3:-} token=${4:-}
  local args=(-sS -o "$WORK/body" -w '%{http_code}' -X "$method" --max-time 15)
  [[ -n $data ]] && args+=(-H 'Content-Type: application/json' --data-binary "$data")
  [[ -n $token ]] && args+=(-H "Authorization: Bearer $token")
  local status
  rm -f "$WORK/body"
  status=$(curl "${args[@]}" "$BASE_URL$path") || status=000
  printf '%s %s\n' "$status" "$(tr -d '\n' <"$WORK/body" 2>/dev/null)"
}
# jget KEY... : prints stdin JSON's value at that key path, e.g. jget user id
jget() { "$PY" -c 'import functools,json,sys; print(functools.reduce(lambda v, k: v[k], sys.argv[1:], json.load(sys.stdin)))' "$@"; }
jstr() { "$PY" -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$1"; }

# --- wait for the server ----------------------------------------------------
for _ in $(seq 1 60); do
  curl -sf --max-time 2 "$BASE_URL/healthz" >/dev/null 2>&1 && break
  sleep 0.5
done
curl -sf --max-time 5 "$BASE_URL/healthz" >/dev/null || die "$BASE_URL/healthz does not answer"

# --- fixture admin ----------------------------------------------------------
log "bootstrapping admin $ADMIN_EMAIL"
printf '%s\n' "$ADMIN_PASSWORD" |
  DATABASE_URL=$DB_URL AUTH_BCRYPT_COST=${AUTH_BCRYPT_COST:-4} "$AUTHD_BIN" create-admin --email "$ADMIN_EMAIL" >&2 ||
  die "authd create-admin failed"
read -r status body < <(api POST /v1/auth/login "{\"email\":$(jstr "$ADMIN_EMAIL"),\"password\":$(jstr "$ADMIN_PASSWORD")}")
[[ $status == 200 ]] || die "admin login failed ($status): $body
(an existing $ADMIN_EMAIL keeps its old password: use a fresh database or set AUTHD_ADMIN_PASSWORD)"
TOKEN=$(jget access_token <<<"$body")
ADMIN_ID=$(jget user id <<<"$body")
read -r status body < <(api GET /v1/me "" "$TOKEN")
[[ $status == 200 ]] || die "GET /v1/me with the admin token failed ($status): $body"
jget roles <<<"$body" | grep -q "'admin'" || die "$ADMIN_EMAIL has no admin role: $body"

# --- example user (verified viewer with the spec's example credentials) ------
log "bootstrapping example user $EXAMPLE_EMAIL"
read -r status body < <(api POST /v1/auth/register \
  "{\"email\":\"$EXAMPLE_EMAIL\",\"password\":\"$EXAMPLE_PASSWORD\",\"display_name\":\"Ada\"}")
[[ $status == 202 ]] || die "registering $EXAMPLE_EMAIL failed ($status): $body"
# create-admin on a never-verified account takes it over with the password
# given on stdin (the same example password), marks it verified and adds the
# admin role, taken away again just below.
printf '%s\n' "$EXAMPLE_PASSWORD" |
  DATABASE_URL=$DB_URL AUTH_BCRYPT_COST=${AUTH_BCRYPT_COST:-4} "$AUTHD_BIN" create-admin --email "$EXAMPLE_EMAIL" >&2 ||
  die "verifying $EXAMPLE_EMAIL with create-admin failed"
read -r status body < <(api GET "/v1/admin/users?email=$EXAMPLE_EMAIL" "" "$TOKEN")
[[ $status == 200 ]] || die "listing users failed ($status): $body"
EXAMPLE_ID=$("$PY" -c 'import json,sys; print(next(u["id"] for u in json.load(sys.stdin)["users"] if u["email"] == sys.argv[1]))' "$EXAMPLE_EMAIL" <<<"$body")
read -r status body < <(api PUT "/v1/admin/users/$EXAMPLE_ID/roles" '{"roles":["viewer"]}' "$TOKEN")
[[ $status == 200 ]] || die "demoting $EXAMPLE_EMAIL failed ($status): $body"
read -r status body < <(api POST "/v1/admin/users/$EXAMPLE_ID/enable" "" "$TOKEN")
[[ $status == 200 ]] || die "enabling $EXAMPLE_EMAIL failed ($status): $body"
read -r status body < <(api POST /v1/auth/login "{\"email\":\"$EXAMPLE_EMAIL\",\"password\":\"$EXAMPLE_PASSWORD\"}")
# Without this login the examples phase never reaches a 200 from
# /v1/auth/login and TokenPair is never checked: a failure, not a warning.
[[ $status == 200 ]] || die "$EXAMPLE_EMAIL cannot log in ($status): $body (it keeps an older password? use a fresh database)"

# --- schemathesis -----------------------------------------------------------
# The operations the run must cover, read from the document it tests.
curl -fsS --max-time 15 "$BASE_URL/openapi.json" -o "$WORK/openapi.json" || die "GET $BASE_URL/openapi.json failed"
REPORT_DIR=${SCHEMATHESIS_REPORT_DIR:-$WORK/report}
mkdir -p "$REPORT_DIR"
JUNIT=$REPORT_DIR/junit.xml
rm -f "$JUNIT"
log "schemathesis: $BASE_URL/openapi.json, checks $CHECKS, max-examples $MAX_EXAMPLES, seed $SEED"
set +e
(
  cd "$WORK"
  export SCHEMATHESIS_HOOKS=$HERE/hooks.py
  export AUTHD_ADMIN_EMAIL=$ADMIN_EMAIL AUTHD_ADMIN_PASSWORD=$ADMIN_PASSWORD
  export AUTHD_ADMIN_ID=$ADMIN_ID AUTHD_ADMIN_TOKEN=$TOKEN
  export AUTHD_EXAMPLE_EMAIL=$EXAMPLE_EMAIL AUTHD_EXAMPLE_PASSWORD=$EXAMPLE_PASSWORD
  config=()
  [[ -n ${SCHEMATHESIS_CONFIG:-} ]] && config=(--config-file "$SCHEMATHESIS_CONFIG")
  # shellcheck disable=SC2086 # SCHEMATHESIS_EXTRA_ARGS is split on purpose
  timeout --kill-after=30 "$ST_TIMEOUT" "$ST" "${config[@]}" run "$BASE_URL/openapi.json" \
    --checks "$CHECKS" \
    --phases examples,coverage,fuzzing,stateful \
    --max-examples "$MAX_EXAMPLES" \
    --seed "$SEED" \
    --workers 1 \
    --generation-database none \
    --request-timeout 15 \
    --suppress-health-check all \
    --no-color \
    --report "$REPORTS" --report-dir "$REPORT_DIR" --report-junit-path "$JUNIT" \
    ${SCHEMATHESIS_EXTRA_ARGS:-}
)
rc=$?
set -e
[[ $rc -eq 124 || $rc -eq 137 ]] && echo "run.sh: schemathesis exceeded ${ST_TIMEOUT}s" >&2

# --- summary from JUnit ------------------------------------------------------
# Every operation the served document lists must have passed: a skipped
# operation, or one missing from the report, is a failure (it was not
# checked), as is a failed one.
summary=$("$PY" - "$JUNIT" "$WORK/openapi.json" <<'EOF'
import json
import sys
import xml.etree.ElementTree as ET

METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
try:
    doc = json.load(open(sys.argv[2]))
    operations = {f"{m.upper()} {p}" for p, item in doc["paths"].items() for m in item if m in METHODS}
    # Schemathesis does not test the operation serving the document it was
    # loaded from ("55 selected / 55 total" of 56).
    operations.discard("GET /openapi.json")
except (OSError, ValueError, KeyError) as exc:
    print(f"0 0 0 0 no-document ({exc})")
    sys.exit(0)
try:
    root = ET.parse(sys.argv[1]).getroot()
except (OSError, ET.ParseError) as exc:
    print(f"0 0 0 {len(operations)} no-JUnit-report ({exc})")
    sys.exit(0)
passed, failed, skipped = set(), [], []
for case in root.iter("testcase"):
    name = case.get("name", "")
    if case.find("failure") is not None or case.find("error") is not None:
        failed.append(name)  # a failed stateful suite counts as failed
    elif name == "Stateful tests":
        continue
    elif case.find("skipped") is not None:
        skipped.append(name)
    else:
        passed.add(name)
missing = sorted(operations - passed - set(failed) - set(skipped))
bad = [f"failed: {n}" for n in failed] + [f"skipped: {n}" for n in skipped] + [f"not run: {n}" for n in missing]
print(len(passed & operations), len(failed), len(skipped), len(missing), "; ".join(bad))
EOF
)
read -r passed failed skipped missing bad <<<"$summary"
[[ -n ${bad:-} ]] && echo "run.sh: $bad" >&2
if [[ $rc -eq 0 && $failed -eq 0 && $skipped -eq 0 && $missing -eq 0 && $passed -gt 0 ]]; then
  echo "schemathesis: $passed passed, 0 failed"
  exit 0
fi
[[ $rc -eq 0 ]] && rc=1
failed=$((failed + skipped + missing))
[[ $failed -eq 0 ]] && failed=1 # no operation tested
echo "schemathesis: $passed passed, $failed failed"
exit "$rc"
