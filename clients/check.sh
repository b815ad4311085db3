#!/usr/bin/env bash
# Checks both generated clients against a running authd:
#
#   bash clients/check.sh AUTHD_URL OUTBOX_DIR
#   bash clients/check.sh http://127.0.0.1:8080 ./data/outbox
#
# The server must run with AUTH_RATE_LIMITS=false (the tests register more
# users than the default 10 per hour and IP) and the default
# AUTH_REQUIRE_VERIFIED_EMAIL=true, and write its mail as .eml files to
# OUTBOX_DIR (AUTH_OUTBOX_DIR, no AUTH_SMTP_URL). The verifier tests need
# the secret of one of its AUTH_SERVICE_KEYS in the environment as
# AUTHD_SERVICE_KEY (without it they are skipped, which fails this script);
# AUTHD_ISSUER (its AUTH_ISSUER) is read from its tokens when unset.
#
# Versions: package.json and pyproject.toml must carry info.version of
# openapi/openapi.json.
# TypeScript (clients/typescript): a copy as a fresh clone has it is installed
# into a new project (`npm init -y && npm install <path>`); then npm ci here,
# regenerate src/schema.d.ts and fail if it differs from the checked-in one,
# build; the node e2e tests run from the new project against the installed
# package.
# Python (clients/python): a venv with requirements-dev.txt regenerates the
# package into a temp dir and fails if it differs from authd_client/; a second
# fresh venv gets `pip install <path>`, and the pytest e2e tests (the
# generated client's and the hand-written `authd.AuthdClient`'s) and the two
# examples run from a folder outside the repository against the installed
# package.
#
# The verifier tests (authd_client.verifier) read the revocation feed: the
# server must have a service key (AUTH_SERVICE_KEYS=name:SECRET) and
# AUTHD_SERVICE_KEY=SECRET must be set here; without it they are skipped,
# which fails the run.
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

# ---- versions ---------------------------------------------------------------
SPEC="$(cd "$CLIENTS/.." && pwd)/openapi/openapi.json"
step "versions: both clients follow the API version (info.version)"
python3 - "$SPEC" "$CLIENTS/typescript/package.json" "$CLIENTS/python/pyproject.toml" <<'PY' \
  || die "a client's version differs from info.version of openapi/openapi.json: set it in clients/typescript/package.json and clients/python/pyproject.toml"
import json, sys, tomllib
api = json.load(open(sys.argv[1]))["info"]["version"]
ts = json.load(open(sys.argv[2]))["version"]
py = tomllib.load(open(sys.argv[3], "rb"))["project"]["version"]
print(f"API {api}, @authd/client {ts}, authd-client {py}")
sys.exit(0 if api == ts == py else 1)
PY

# ---- TypeScript -------------------------------------------------------------
# As a user would: a copy of the folder as a fresh clone has it (no
# node_modules/, no dist/), installed into a new project with
# `npm install <path>` (its `prepare` script installs the build tools and
# builds dist/), and the e2e tests run from that project against the package.
step "typescript: npm init -y && npm install <clients/typescript as cloned> in a fresh project"
TS_SOURCE="$WORK/ts-source"
TS_PROJECT="$WORK/ts-project"
mkdir -p "$TS_SOURCE" "$TS_PROJECT/test"
tar -C "$CLIENTS/typescript" --exclude=./node_modules --exclude=./dist -cf - . | tar -C "$TS_SOURCE" -xf -
# An && chain: a subshell on the left of || runs without errexit (even with
# set -e inside), so each step's failure must stop it explicitly.
(
  cd "$TS_PROJECT" \
    && npm init -y >/dev/null \
    && npm install --no-audit --no-fund --loglevel=error "$TS_SOURCE" \
    && node --input-type=module -e 'const m = await import("@authd/client"); if (typeof m.AuthdClient !== "function") process.exit(1);'
) || die "npm install of clients/typescript into a fresh project failed"
echo "@authd/client installed and importable in $TS_PROJECT"

cd "$CLIENTS/typescript"
step "typescript: npm ci"
npm ci --prefer-offline --no-audit --no-fund --loglevel=error --ignore-scripts

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

step "typescript: build (type check)"
npm run --silent build

step "typescript: e2e tests (node --test) in the fresh project"
cp test/*.mjs "$TS_PROJECT/test/"
# test/verifier-service.test.mjs runs the example service beside its tests.
mkdir -p "$TS_PROJECT/examples"
cp examples/verifier-service.mjs "$TS_PROJECT/examples/"
cd "$TS_PROJECT"
node_rc=0
node --test --test-reporter=spec test/*.test.mjs 2>&1 | tee "$WORK/node.log" || node_rc=$?
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

# The copy-paste example of the TypeScript client, as a user runs it.
step "typescript: the example (clients/typescript/examples/quickstart.mjs) in the fresh project"
cp "$CLIENTS/typescript/examples/quickstart.mjs" "$TS_PROJECT/"
(cd "$TS_PROJECT" && node quickstart.mjs) || die "clients/typescript/examples/quickstart.mjs failed"

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

# As a user would: a fresh venv, `pip install <clients/python>` (its
# pyproject.toml), and the e2e tests run from a project folder outside the
# repository, importing the installed package.
step "python: fresh venv, pip install clients/python, e2e tests (pytest) from a fresh project"
PY_PROJECT="$WORK/py-project"
mkdir -p "$PY_PROJECT"
python3 -m venv "$PY_PROJECT/.venv"
test_pins=$(grep -E '^(pytest|jsonschema)==' requirements-dev.txt)
# shellcheck disable=SC2086 # one pin per word
"$PY_PROJECT/.venv/bin/python" -m pip install --quiet --disable-pip-version-check "$CLIENTS/python[verifier]" $test_pins \
  || die "pip install of clients/python into a fresh venv failed"
cp -r tests "$PY_PROJECT/tests"
cp -r "$CLIENTS/python/examples" "$PY_PROJECT/examples" # test_verifier.py runs verifier_service.py
printf '[pytest]\ntestpaths = tests\naddopts = -p no:cacheprovider\n' >"$PY_PROJECT/pytest.ini"
cd "$PY_PROJECT"
.venv/bin/python - <<'PY' || die "authd_client is not imported from the installed package"
import authd, authd_client, sysconfig
for package in (authd_client, authd):
    where = package.__file__
    assert where.startswith(sysconfig.get_path("purelib")), where
    print(f"{package.__name__} from {where}")
PY
py_rc=0
AUTHD_OPENAPI_JSON="$SPEC" .venv/bin/python -m pytest -p no:cacheprovider --junitxml="$WORK/pytest.xml" || py_rc=$?
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

# The copy-paste examples of the hand-written client, as a user runs them.
step "python: the examples (clients/python/examples) against the installed package"
for example in quickstart.py quickstart_async.py; do
  (cd "$PY_PROJECT/examples" && ../.venv/bin/python "$example" </dev/null) \
    || die "clients/python/examples/$example failed"
done

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
