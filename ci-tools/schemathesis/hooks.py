"""Schemathesis hooks for authd, loaded by run.sh through SCHEMATHESIS_HOOKS.

They keep the run's fixture accounts usable. They never change a fuzzed
request, a response, or a check result: every fuzzed request is sent as
generated and every response is checked as received.

Environment (set by run.sh):
  AUTHD_ADMIN_EMAIL, AUTHD_ADMIN_PASSWORD   the bootstrap admin (the only admin)
  AUTHD_ADMIN_ID                            its user id
  AUTHD_ADMIN_TOKEN                         optional: the token run.sh got
  AUTHD_EXAMPLE_EMAIL, AUTHD_EXAMPLE_PASSWORD
                                            the verified viewer that matches the
                                            OpenAPI examples (a@example.com)

1. Bearer auth with re-login. Every operation whose OpenAPI entry has
   `security` gets `Authorization: Bearer <admin access token>` (cases that
   Schemathesis generates with a deliberately missing or broken token stay as
   generated). POST /v1/auth/logout, POST /v1/auth/logout-all and
   DELETE /v1/auth/sessions/{id} end the token's session when they succeed;
   after any of them answers 2xx, and after any authenticated call answers
   401 `unauthorized` (the token itself was refused), the token is dropped and
   the next authenticated case logs in again. Every operation runs in one
   pass, and a killed token costs at most one case, whose 401 is documented.

   Schemathesis' own `[auth.dynamic.openapi]` re-login was tried and not used:
   it replays every 401, so each wrong-password login is sent twice (a
   fuzzed account locks after three cases), and once a 401 survives a
   re-login for an operation (wrong `current_password` on /password/change,
   wrong `password` on DELETE /v1/me) it stops re-logging in for that
   operation, whose remaining cases then all meet a dead token.

2. Lockout guard. Schemathesis harvests values from responses (the admin's
   email from GET /v1/me) and from the examples (a@example.com), and fuzzes
   POST /v1/auth/login with them. Five wrong passwords in a row lock an account
   for AUTH_LOCKOUT_DURATION (a correct, documented 429 `account_locked`);
   for the admin every later re-login would then fail. After each failed login
   for a fixture account the hook logs in once with the right password ("a
   success resets the count", API.md section 3), so its counter never reaches
   the threshold.

3. Only-admin guard. The admin is protected from the fuzzer by the server's
   own "last admin" rule (it cannot disable itself, drop its own admin role or
   delete itself while it is the only enabled admin). When a fuzzed
   PUT /v1/admin/users/{id}/roles gives the admin role to another user, the
   hook takes it away again right after the response was checked, so that
   rule keeps holding.

4. Example user kept enabled. When a fuzzed POST /v1/admin/users/{id}/disable
   disables the example user (a@example.com; its id is harvested from
   responses), the hook enables it again right away, so later logins with
   the examples' credentials keep reaching 200 (TokenPair is checked).
"""

from __future__ import annotations

import json
import os
import threading

import requests
import schemathesis

ADMIN_EMAIL = os.environ["AUTHD_ADMIN_EMAIL"].strip().lower()
ADMIN_PASSWORD = os.environ["AUTHD_ADMIN_PASSWORD"]
ADMIN_ID = os.environ.get("AUTHD_ADMIN_ID", "")
FIXTURE_PASSWORDS = {ADMIN_EMAIL: ADMIN_PASSWORD}
if os.environ.get("AUTHD_EXAMPLE_EMAIL"):
    FIXTURE_PASSWORDS[os.environ["AUTHD_EXAMPLE_EMAIL"].strip().lower()] = os.environ["AUTHD_EXAMPLE_PASSWORD"]

# Operations that end the caller's current session when they answer 2xx.
# (Password change and DELETE /v1/me would too, but they need the admin's
# password, which nothing in the run can learn.)
TOKEN_KILLERS = {
    ("POST", "/v1/auth/logout"),
    ("POST", "/v1/auth/logout-all"),
    ("DELETE", "/v1/auth/sessions/{id}"),
    ("POST", "/v1/auth/password/change"),
    ("DELETE", "/v1/me"),
}

_lock = threading.Lock()
_state = {"token": os.environ.get("AUTHD_ADMIN_TOKEN") or None}
_http = requests.Session()


def _key(case):
    op = case.operation
    return op.method.upper(), op.path


def _base_url(case) -> str:
    return case.operation.schema.get_base_url().rstrip("/")


def _login(base: str, email: str, password: str) -> requests.Response:
    return _http.post(f"{base}/v1/auth/login", json={"email": email, "password": password}, timeout=10)


@schemathesis.auth(refresh_interval=None)
class AdminBearer:
    """The admin's access token, for operations that declare `security`."""

    def get(self, case, ctx):
        if not case.operation.definition.raw.get("security"):
            return None
        with _lock:
            if _state["token"] is None:
                response = _login(_base_url(case), ADMIN_EMAIL, ADMIN_PASSWORD)
                if response.status_code != 200:
                    hint = (
                        " (run the server with AUTH_RATE_LIMITS=false)"
                        if response.status_code == 429 and "rate_limited" in response.text
                        else ""
                    )
                    raise RuntimeError(
                        f"re-login as {ADMIN_EMAIL} failed: {response.status_code} {response.text[:300]}{hint}"
                    )
                _state["token"] = response.json()["access_token"]
            return _state["token"]

    def set(self, case, data, ctx):
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Bearer {data}"


def _sent_token(case) -> str | None:
    value = (case.headers or {}).get("Authorization", "")
    return value[7:] if isinstance(value, str) and value.startswith("Bearer ") else None


def _json(content):
    try:
        return json.loads(content)
    except (ValueError, TypeError):
        return None


def _body_email(case) -> str | None:
    body = case.body
    if isinstance(body, (bytes, str)):
        body = _json(body)
    if isinstance(body, dict) and isinstance(body.get("email"), str):
        return body["email"].strip().lower()
    # The server also reads a JSON array positionally as {email, password}.
    if isinstance(body, list) and body and isinstance(body[0], str):
        return body[0].strip().lower()
    return None


@schemathesis.hook
def after_call(context, case, response):
    key = _key(case)
    status = response.status_code
    sent = _sent_token(case)

    # 1. Drop a token that the server ended or refused.
    if sent is not None:
        killed = key in TOKEN_KILLERS and 200 <= status < 300
        body = _json(response.content)
        refused = status == 401 and isinstance(body, dict) and body.get("code") == "unauthorized"
        if killed or refused:
            with _lock:
                if _state["token"] == sent:
                    _state["token"] = None

    # 2. Keep the fixture accounts' failed-login counters below the threshold.
    if key == ("POST", "/v1/auth/login") and status != 200:
        email = _body_email(case)
        if email in FIXTURE_PASSWORDS:
            _login(_base_url(case), email, FIXTURE_PASSWORDS[email])

    # 3. Keep the bootstrap admin the only admin.
    if key == ("PUT", "/v1/admin/users/{id}/roles") and status == 200 and sent is not None:
        user = _json(response.content)
        if isinstance(user, dict) and user.get("id") != ADMIN_ID and "admin" in (user.get("roles") or []):
            roles = [r for r in user["roles"] if r != "admin"]
            _http.put(
                f"{_base_url(case)}/v1/admin/users/{user['id']}/roles",
                json={"roles": roles},
                headers={"Authorization": f"Bearer {sent}"},
                timeout=10,
            )

    # 4. Keep the example user enabled.
    if key == ("POST", "/v1/admin/users/{id}/disable") and status == 200 and sent is not None:
        user = _json(response.content)
        if isinstance(user, dict) and str(user.get("email", "")).lower() in FIXTURE_PASSWORDS:
            _http.post(
                f"{_base_url(case)}/v1/admin/users/{user['id']}/enable",
                headers={"Authorization": f"Bearer {sent}"},
                timeout=10,
            )
