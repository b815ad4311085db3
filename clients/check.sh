#!/usr/bin/env bash
# Checks both generated clients against a running authd:
#
#   bash clients/check.sh AUTHD_URL OUTBOX_DIR
#   bash clients/check.sh http://127.0.0.1:8080 ./data/outbox
#
# The server must run with AUTH_RATE_LIMITS=false (the tests register more
# users than the default 10 per hour and IP) and the default
# AUTH_REQUIRE_VERIFIED_EMAIL=true, and write its mail as .eml files to
# OUTBOX_DIR (AUTH_OUTBOX_DIR, no AUTH_SMTP_URL).
#
# TypeScript (clients/typescript): npm ci, regenerate src/schema.d.ts and fail
# if it differs from the checked-in one, build, run the node e2e tests.
# Python (clients/python): a fresh venv in a temp dir, pip install -r
# requirements-dev.txt, regenerate the package into a temp dir and fail if it
# differs from the checked-in authd_client/, run the pytest e2e tests.
#
# Last line when everything passed: `clients: N passed, 0 failed`.
# Exit status non-zero on any failure.
set -euo pipefail

if [ $# -ne 2 ]; then
  echo "usage: bash clients/check.sh AUTHD_URL OUTBOX_DIR" >&2
  exit 2
fi

started=$SECONDS
CLIENTS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export AUTHD_URL="${1%/}"
export AUTHD_OUTBOX_DIR
AUTHD_OUTBOX_DIR="$(realpath -m -- "$2")"
export PYTHONDONTWRITEBYTECODE=1
export npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false

WORK="$(mktemp -d "${TMPDIR:-/tmp}/authd-clients-check.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

step() { printf '\n==> %s\n' "$*"; }
die() {
  printf '\nclients/check.sh: FAILED: %s\n' "$*" >&2
  exit 1
}

step "authd at $AUTHD_URL (outbox $AUTHD_OUTBOX_DIR)"
command -v node >/dev/null || die "node is not installed (Node 20 or newer is needed)"
command -v npm >/dev/null || die "npm is not installed"
command -v python3 >/dev/null || die "python3 is not installed (3.11 or newer is needed)"
node -e 'process.exit(+process.versions.node.split(".")[0] >= 20 ? 0 : 1)' \
  || die "node $(node --version) is too old: Node 20 or newer is needed"
python3 -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' \
  || die "$(python3 --version) is too old: the generated client needs Python 3.11 or newer"
python3 - "$AUTHD_URL" <<'PY' || die "authd does not answer GET $AUTHD_URL/readyz with 200"
import sys, urllib.request
with urllib.request.urlopen(sys.argv[1] + "/readyz", timeout=10) as r:
    print(r.status, r.read().decode())
PY

# ---- TypeScript -------------------------------------------------------------
cd "$CLIENTS/typescript"

step "typescript: npm ci"
npm ci --prefer-offline --no-audit --no-fund --loglevel=error

step "typescript: regenerate src/schema.d.ts from openapi/openapi.json"
cp src/schema.d.ts "$WORK/schema.d.ts.checked-in"
npm run --silent generate
if ! diff -u --label "checked-in src/schema.d.ts" --label "regenerated src/schema.d.ts" \
    "$WORK/schema.d.ts.checked-in" src/schema.d.ts >"$WORK/schema.diff"; then
  head -n 60 "$WORK/schema.diff"
  cp "$WORK/schema.d.ts.checked-in" src/schema.d.ts
  die "clients/typescript/src/schema.d.ts is stale: openapi/openapi.json changed. Run 'npm run generate' in clients/typescript and commit the result."
fi
echo "src/schema.d.ts is up to date"

step "typescript: build"
npm run --silent build

step "typescript: e2e tests (node --test)"
node_rc=0
npm run --silent test:e2e 2>&1 | tee "$WORK/node.log" || node_rc=$?
count() { # count WORD FILE: the number after "ℹ WORD" or "# WORD" in a node test summary
  sed -n -E "s/^(ℹ|#) $1 ([0-9]+)\$/\\2/p" "$2" | tail -n 1
}
node_pass="$(count pass "$WORK/node.log")"
node_fail="$(count fail "$WORK/node.log")"
node_other=0
for what in cancelled skipped todo; do
  n="$(count "$what" "$WORK/node.log")"
  node_other=$(( node_other + ${n:-0} ))
done
[ -n "$node_pass" ] && [ -n "$node_fail" ] || die "could not read the node test summary (exit $node_rc)"

# ---- Python -----------------------------------------------------------------
cd "$CLIENTS/python"

step "python: venv and pip install -r requirements-dev.txt"
python3 -m venv "$WORK/venv"
"$WORK/venv/bin/python" -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt

step "python: regenerate authd_client from openapi/openapi.json"
"$WORK/venv/bin/python" generate.py --output "$WORK/authd_client"
if ! diff -r -u --exclude=__pycache__ authd_client "$WORK/authd_client" >"$WORK/python.diff"; then
  head -n 60 "$WORK/python.diff"
  die "clients/python/authd_client is stale: openapi/openapi.json or the generator changed. Run 'python generate.py' in clients/python (in a venv with requirements-dev.txt) and commit the result."
fi
echo "authd_client/ is up to date"

step "python: e2e tests (pytest)"
py_rc=0
"$WORK/venv/bin/python" -m pytest -p no:cacheprovider --junitxml="$WORK/pytest.xml" || py_rc=$?
read -r py_tests py_fail py_skip < <("$WORK/venv/bin/python" - "$WORK/pytest.xml" <<'PY' || echo "x x x"
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
total = lambda k: sum(int(s.get(k, 0)) for s in suites)
print(total("tests"), total("failures") + total("errors"), total("skipped"))
PY
)
[[ "$py_tests" =~ ^[0-9]+$ ]] || die "could not read the pytest results (exit $py_rc)"
py_pass=$(( py_tests - py_fail - py_skip ))

# ---- summary ----------------------------------------------------------------
passed=$(( node_pass + py_pass ))
failed=$(( node_fail + py_fail ))
elapsed=$(( SECONDS - started ))
printf '\nnode: %s passed, %s failed; pytest: %s passed, %s failed, %s skipped; %ss\n' \
  "$node_pass" "$node_fail" "$py_pass" "$py_fail" "$py_skip" "$elapsed"
if [ "$node_rc" -ne 0 ] || [ "$py_rc" -ne 0 ] || [ "$failed" -ne 0 ]; then
  die "$failed test(s) failed (node exit $node_rc, pytest exit $py_rc)"
fi
if [ "$node_pass" -eq 0 ] || [ "$py_pass" -eq 0 ] || [ "$node_other" -ne 0 ] || [ "$py_skip" -ne 0 ]; then
  die "some tests did not run (skipped, cancelled or none collected)"
fi
echo "clients: $passed passed, 0 failed"
