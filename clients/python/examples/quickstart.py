"""register → verify (the link from the outbox) → login (with the MFA step
if the account has one) → me → refresh → logout, with `authd.AuthdClient`.

    pip install ./clients/python
    cargo run --release -- serve          # in another terminal, from the repository
    python clients/python/examples/quickstart.py

AUTHD_URL (default http://127.0.0.1:8080) and AUTHD_OUTBOX_DIR (default
./data/outbox, where `serve` writes its mail without SMTP) say where authd is.
"""

from __future__ import annotations

import os
import re
import sys
import time
import uuid
from pathlib import Path

from authd import AuthdClient, AuthdError, InvalidCredentials, MfaRequired

URL = os.environ.get("AUTHD_URL", "http://127.0.0.1:8080")
OUTBOX = Path(os.environ.get("AUTHD_OUTBOX_DIR", "data/outbox"))
EMAIL = f"ada-{uuid.uuid4().hex[:8]}@example.com"
PASSWORD = "correct-Horse-battery-9"


def verification_token(address: str, timeout: float = 15.0) -> str:
    """The token of the verification mail to `address` (a link in its text)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for mail in sorted(OUTBOX.glob("*.eml"), reverse=True):
            text = mail.read_text(errors="replace")
            if f"To: {address}" in text and (match := re.search(r"verify-email\?token=([\w.~%-]+)", text)):
                return match.group(1)
        time.sleep(0.2)
    sys.exit(f"no verification mail to {address} in {OUTBOX}")


def main() -> None:
    with AuthdClient(URL, on_tokens=lambda pair: print("tokens:", "new pair" if pair else "forgotten")) as authd:
        print("register:", authd.register(EMAIL, PASSWORD, "Ada").status)
        print("verified:", authd.verify_email(verification_token(EMAIL)).email)
        try:
            authd.login(EMAIL, "not-the-password")
        except InvalidCredentials as e:
            print("wrong password:", e.status, e.code)
        try:
            authd.login(EMAIL, PASSWORD)
        except MfaRequired as challenge:  # only for an account with a second factor
            authd.verify_mfa(challenge.mfa_token, code=input("code from the authenticator app: "))
        me = authd.me()  # a 401 token_expired refreshes the pair once and retries
        print("me:", me.email, me.roles)
        print("refresh: expires in", authd.refresh().expires_in, "s")
        authd.logout()


if __name__ == "__main__":
    try:
        main()
    except AuthdError as e:
        sys.exit(f"authd: {e}")
