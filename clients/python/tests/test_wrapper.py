"""End-to-end tests of the hand-written `authd.AuthdClient` and
`authd.AsyncAuthdClient` against a running authd (see conftest.py):
register → verify (from the outbox) → login (with the MFA step) → me →
refresh on a refused access token, once → logout, and typed errors.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import re
import struct
import time
from pathlib import Path

import httpx
import pytest
from authd import (
    AsyncAuthdClient,
    AuthdClient,
    AuthdError,
    InvalidCredentials,
    InvalidMfaCode,
    MfaRequired,
    ValidationFailed,
)
from authd_client.models import TokenPair
from conftest import PASSWORD, unique_email, wait_for_mail_matching, wait_for_verification_token

LINK_RE = re.compile(r"/email-login#token=([A-Za-z0-9_-]+)")
CODE_RE = re.compile(r"enter this code:\s+(\d{6})\b")


def totp(secret: str, at: float | None = None) -> str:
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    digest = hmac.digest(key, struct.pack(">Q", int(at or time.time()) // 30), hashlib.sha1)
    offset = digest[-1] & 15
    return "%06d" % ((struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF) % 10**6)


def spoiled(pair: TokenPair) -> TokenPair:
    """The same pair with an access token authd refuses (401 unauthorized)."""
    refused = TokenPair.from_dict(pair.to_dict())
    refused.access_token = pair.access_token[:-4] + ("AAAA" if not pair.access_token.endswith("AAAA") else "BBBB")
    return refused


def test_sync_register_verify_login_me_refresh_logout(base_url: str, outbox_dir: Path) -> None:
    address = unique_email("wrap")
    seen: list[TokenPair | None] = []
    with AuthdClient(base_url, on_tokens=seen.append) as authd:
        assert authd.register(address, PASSWORD, "Ada", locale="de").status == "verification_sent"
        user = authd.verify_email(wait_for_verification_token(outbox_dir, address))
        assert user.email == address and user.email_verified
        assert user.locale == "de"

        with pytest.raises(InvalidCredentials) as wrong:
            authd.login(address, PASSWORD + "x")
        assert wrong.value.status == 401 and wrong.value.code == "invalid_credentials"

        pair = authd.login(address, PASSWORD)
        assert authd.tokens is pair and seen[-1] is pair
        assert authd.me().email == address
        changed = authd.update_me(locale="fr-CA")
        assert changed.locale == "fr-CA" and changed.display_name == "Ada"
        with pytest.raises(AuthdError) as invalid:
            authd.update_me(locale="not a tag")
        assert invalid.value.status == 422

        # A refused access token: one refresh, one retry, a new pair kept.
        authd.set_tokens(spoiled(pair))
        assert authd.me().email == address
        assert authd.tokens is not None and authd.tokens.refresh_token != pair.refresh_token

        # The spent refresh token, presented again after the grace window,
        # would end the session; within it the same successor comes back.
        fresh = authd.refresh()
        assert fresh.refresh_token != pair.refresh_token

        access = fresh.access_token
        authd.logout()
        assert authd.tokens is None and seen[-1] is None
    # The logged-out access token is refused.
    with AuthdClient(base_url) as other:
        other.set_tokens(TokenPair.from_dict({**fresh.to_dict(), "access_token": access}))
        with pytest.raises(AuthdError) as refused:
            other.me()  # 401, then its refresh: 401 session_revoked
        assert refused.value.status == 401
        assert other.tokens is None  # its refresh failed too: the pair is forgotten


def test_sync_validation_errors_are_typed(base_url: str) -> None:
    with AuthdClient(base_url) as authd, pytest.raises(ValidationFailed) as invalid:
        authd.register("not-an-email", "x")
    assert invalid.value.status == 422 and "email" in invalid.value.errors


def test_sync_login_with_the_mfa_step(base_url: str, outbox_dir: Path) -> None:
    address = unique_email("wrap-mfa")
    with AuthdClient(base_url) as authd:
        authd.register(address, PASSWORD)
        authd.verify_email(wait_for_verification_token(outbox_dir, address))
        pair = authd.login(address, PASSWORD)
        # Enrol TOTP with plain httpx (the wrapper covers the login side).
        bearer = {"authorization": f"Bearer {pair.access_token}"}
        enrolment = httpx.post(f"{base_url}/v1/me/mfa/totp", headers=bearer).json()
        confirmed = httpx.post(
            f"{base_url}/v1/me/mfa/totp/{enrolment['factor_id']}/confirm",
            headers=bearer,
            json={"code": totp(enrolment["secret"])},
        )
        assert confirmed.status_code == 200, confirmed.text
        recovery = confirmed.json()["recovery_codes"]

        with pytest.raises(MfaRequired) as challenge:
            authd.login(address, PASSWORD)
        assert [f.type_ for f in challenge.value.factors] == ["totp"]
        with pytest.raises(InvalidMfaCode):
            authd.verify_mfa(challenge.value.mfa_token, code="000000" if totp(enrolment["secret"]) != "000000" else "111111")
        pair = authd.verify_mfa(challenge.value.mfa_token, recovery_code=recovery[0])
        assert authd.tokens is pair
        assert authd.me().email == address
        authd.logout()


def test_async_register_verify_login_me_refresh_logout(base_url: str, outbox_dir: Path) -> None:
    async def flow() -> None:
        address = unique_email("wrap-async")
        async with AsyncAuthdClient(base_url) as authd:
            await authd.register(address, PASSWORD)
            token = await asyncio.to_thread(wait_for_verification_token, outbox_dir, address)
            assert (await authd.verify_email(token)).email_verified
            with pytest.raises(InvalidCredentials):
                await authd.login(address, "wrong-" + PASSWORD)
            pair = await authd.login(address, PASSWORD)
            assert (await authd.me()).email == address
            # Two calls with a refused token share one refresh.
            authd.set_tokens(spoiled(pair))
            first, second = await asyncio.gather(authd.me(), authd.me())
            assert first.email == second.email == address
            assert authd.tokens is not None and authd.tokens.refresh_token != pair.refresh_token
            await authd.refresh()
            await authd.logout()
            assert authd.tokens is None

    asyncio.run(flow())


def test_sync_email_sign_in_by_link_then_by_code(base_url: str, outbox_dir: Path) -> None:
    """API.md §15: sign-up through the mailed link (no password), then a
    sign-in with the mailed code, as typed on another device."""
    address = unique_email("email-login")
    with AuthdClient(base_url) as authd:
        assert authd.start_email_login(address).status == "email_sent"
        link, seen = wait_for_mail_matching(outbox_dir, address, LINK_RE)
        pair = authd.verify_email_login(token=link.group(1))
        assert pair.user.email == address and pair.user.email_verified
        assert authd.me().email == address
        with pytest.raises(AuthdError) as used:
            authd.verify_email_login(token=link.group(1))
        assert used.value.code == "invalid_token"

    async def by_code() -> None:
        async with AsyncAuthdClient(base_url) as client:
            await client.start_email_login(address)
            code, _ = await asyncio.to_thread(wait_for_mail_matching, outbox_dir, address, CODE_RE, {seen})
            pair = await client.verify_email_login(email=address, code=code.group(1))
            assert pair.user.email == address

    asyncio.run(by_code())
