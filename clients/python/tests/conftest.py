"""Fixtures of the end-to-end tests: a running authd and its mail outbox folder.

    AUTHD_URL=http://127.0.0.1:8080 AUTHD_OUTBOX_DIR=./data/outbox pytest
"""

from __future__ import annotations

import email
import email.policy
import json
import os
import re
import secrets
import time
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from authd_client.types import Response
from jsonschema import Draft202012Validator

# The document the answers are checked against: the repository's, unless
# AUTHD_OPENAPI_JSON names another (clients/check.sh runs these tests from a
# copy outside the repository, against the installed package).
SPEC = Path(os.environ.get("AUTHD_OPENAPI_JSON") or Path(__file__).resolve().parents[3] / "openapi" / "openapi.json")
PASSWORD = "correct-Horse-battery-9"
TOKEN_RE = re.compile(r"/verify-email\?token=([A-Za-z0-9._~%-]+)")


def _env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        pytest.fail(f"{name} is not set: the e2e tests need a running authd (see clients/README.md)", pytrace=False)
    return value


@pytest.fixture(scope="session")
def base_url() -> str:
    return _env("AUTHD_URL").rstrip("/")


@pytest.fixture(scope="session")
def outbox_dir() -> Path:
    return Path(_env("AUTHD_OUTBOX_DIR"))


def unique_email(tag: str) -> str:
    return f"py-{tag}-{int(time.time() * 1000)}-{secrets.token_hex(4)}@example.com"


def _verification_token(path: Path, want: str) -> str | None:
    try:
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    except FileNotFoundError:
        return None
    to = message["To"]
    if to is None or want not in {a.addr_spec.lower() for a in to.addresses}:
        return None
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            match = TOKEN_RE.search(part.get_content())
            if match:
                return unquote(match.group(1))
    return None


def wait_for_verification_token(outbox: Path, address: str, timeout: float = 15.0) -> str:
    """The token of the newest verification mail to `address` (files are
    `<timestamp>-<id>.eml`, written atomically: a name sort is a time sort)."""
    want = address.strip().lower()
    deadline = time.monotonic() + timeout
    while True:
        names = sorted(outbox.glob("*.eml"), reverse=True) if outbox.is_dir() else []
        for path in names:
            token = _verification_token(path, want)
            if token:
                return token
        if time.monotonic() > deadline:
            raise AssertionError(f"no verification mail for {address} in {outbox} after {timeout} s")
        time.sleep(0.1)


class Contract:
    """Checks real answers against the response schemas of openapi/openapi.json."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document

    def check(self, response: Response[Any], path: str, method: str) -> Any:
        """Assert that `response` (of the generated client) is documented for
        `method path`: its status, its media type and (JSON) its body against
        the schema. Returns the body."""
        operation = self.document["paths"][path][method.lower()]
        status = str(int(response.status_code))
        assert status in operation["responses"], f"{method} {path}: status {status} is not documented"
        documented = operation["responses"][status]
        content = documented.get("content")
        if not content:
            assert not response.content, f"{method} {path} {status}: undocumented body {response.content!r}"
            return None
        media = response.headers.get("content-type", "").split(";")[0].strip()
        assert media in content, f"{method} {path} {status}: content-type {media!r}, documented {sorted(content)}"
        body = json.loads(response.content)
        schema = {**content[media]["schema"], "components": self.document["components"]}
        errors = sorted(Draft202012Validator(schema).iter_errors(body), key=lambda e: list(e.absolute_path))
        assert not errors, f"{method} {path} {status}: body does not match its schema: " + "; ".join(
            f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}" for e in errors
        )
        return body


@pytest.fixture(scope="session")
def contract() -> Contract:
    return Contract(json.loads(SPEC.read_text(encoding="utf-8")))


def wait_for_mail_matching(
    outbox: Path, address: str, pattern: re.Pattern[str], skip: set[str] | None = None, timeout: float = 15.0
) -> tuple[re.Match[str], str]:
    """The newest mail to `address` (not one of the file names in `skip`)
    whose text/plain part matches `pattern`: the match and the file name."""
    want = address.strip().lower()
    skip = skip or set()
    deadline = time.monotonic() + timeout
    while True:
        names = sorted(outbox.glob("*.eml"), reverse=True) if outbox.is_dir() else []
        for path in names:
            if path.name in skip:
                continue
            try:
                message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            except FileNotFoundError:
                continue
            to = message["To"]
            if to is None or want not in {a.addr_spec.lower() for a in to.addresses}:
                continue
            for part in message.walk():
                if part.get_content_type() == "text/plain":
                    match = pattern.search(part.get_content())
                    if match:
                        return match, path.name
        if time.monotonic() > deadline:
            raise AssertionError(f"no mail matching {pattern.pattern} for {address} in {outbox} after {timeout} s")
        time.sleep(0.1)
