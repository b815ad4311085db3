#!/usr/bin/env bash
# Mutation testing of the security core (issue #28): for each file,
# cargo-mutants changes the code one mutant at a time and runs the API
# tests that concern it on the embedded backend (SQLite + in-process
# store). A mutant "caught" made a test fail; "missed" passed every test.
#
#   ci-tools/mutants.sh                 # every file below (hours on 2 cores)
#   ci-tools/mutants.sh src/auth/lockout.rs src/auth/one_time.rs
#
# Runs in a scratch clone (--in-place there), so the work tree is never
# touched; results land in ./mutants-out/<file>/ of this checkout.
# Needs `cargo install --locked cargo-mutants`. Not part of .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

# The tests that exercise each file: a cargo test filter, applied to the
# API tests and to the unit tests (--lib) alike, so a file's own unit
# tests must match it too (auth::session::tests, say).
declare -A FILTER=(
  [src/auth/lockout.rs]="login:: unlock:: audit_log:: mfa::wrong mfa::parallel passkeys::refused takeover::second_factor"
  [src/auth/one_time.rs]="register:: password:: email_change:: ways_in:: audit::account_pre_hijacking"
  [src/auth/mfa/totp.rs]="mfa::"
  [src/auth/refresh.rs]="refresh:: sessions:: browser_mode:: audit::a_session faults_redis::a_refresh tokens:: expired::"
  [src/auth/guard.rs]="admin:: me:: tokens:: expired:: security_events:: mfa::required_roles mfa::a_required_role sessions:: logout"
  [src/auth/session.rs]="login:: sessions:: admin_sessions:: mfa:: passkeys:: auth::session::tests use_cases::a_login_whose use_cases::accounts security_events::step_up"
  [src/tokens/mod.rs]="tokens:: refresh:: expired:: mfa::required_roles login:: browser_mode:: email_login:: shared_signals::"
  [src/tokens/keys.rs]="tokens:: cli::keygen cli::an_unreadable_key_file refresh::refresh_tokens_survive_key_rotation"
)
# Files whose code has branches only the Redis store takes (the refresh
# token's spent mark and its give-back): their tests run on SQLite + the
# local Redis (REDIS_URL, default redis://127.0.0.1:6379), the others on
# the embedded backend.
declare -A ON_REDIS=([src/auth/refresh.rs]=1)
REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379}
FILES=("$@")
[ ${#FILES[@]} -gt 0 ] || FILES=("${!FILTER[@]}")

command -v cargo-mutants >/dev/null || { echo "cargo install --locked cargo-mutants" >&2; exit 1; }
SCRATCH=$(mktemp -d /tmp/authd-mutants.XXXXXX)
git clone --quiet "$ROOT" "$SCRATCH/authd"
mkdir -p "$ROOT/mutants-out"
cd "$SCRATCH/authd"
for file in "${FILES[@]}"; do
  filter=${FILTER[$file]:?"no test filter for $file"}
  out="$ROOT/mutants-out/$(echo "$file" | tr / _)"
  echo "==> $file (tests: $filter)"
  redis=(-u TEST_REDIS_URL)
  [ -z "${ON_REDIS[$file]:-}" ] || redis=("TEST_REDIS_URL=$REDIS_URL")
  # shellcheck disable=SC2086 # the filter is several words on purpose
  env -u TEST_DATABASE_URL "${redis[@]}" cargo mutants --in-place --no-shuffle \
    --test-tool cargo --timeout 300 -f "$file" --output "$out" \
    -- --lib --test api -- $filter || true
  tail -n 1 "$out/mutants.out/outcomes.json" >/dev/null 2>&1 || true
  for kind in caught missed unviable timeout; do
    printf '%s %s: %s\n' "$file" "$kind" "$(wc -l < "$out/mutants.out/$kind.txt" 2>/dev/null || echo 0)"
  done
done
rm -rf "$SCRATCH"
