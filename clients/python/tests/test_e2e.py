"""End-to-end tests of the generated Python client against a running authd.

    AUTHD_URL=http://127.0.0.1:8080 AUTHD_OUTBOX_DIR=./data/outbox pytest

Every answer is also checked against its response schema in
openapi/openapi.json (status documented, media type, JSON body).
"""

from __future__ import annotations

from pathlib import Path

from authd_client import AuthenticatedClient, Client
from authd_client.api.auth import login, logout, refresh, register, verify_email
from authd_client.api.me import get_me
from authd_client.api.meta import jwks
from authd_client.api.ops import healthz, readyz
from authd_client.models import (
    Accepted,
    LoginRequest,
    Problem,
    RefreshRequest,
    RegisterRequest,
    TokenPair,
    TokenRequest,
    User,
)
from conftest import PASSWORD, Contract, unique_email, wait_for_verification_token


def authed(base_url: str, pair: TokenPair) -> AuthenticatedClient:
    return AuthenticatedClient(base_url=base_url, token=pair.access_token)


def test_health_readiness_and_jwks(base_url: str, contract: Contract) -> None:
    with Client(base_url=base_url) as client:
        health = healthz.sync_detailed(client=client)
        assert health.status_code == 200
        assert contract.check(health, "/healthz", "GET") == {"status": "ok"}

        ready = readyz.sync_detailed(client=client)
        assert ready.status_code == 200
        contract.check(ready, "/readyz", "GET")
        assert ready.parsed is not None and ready.parsed.status == "ok"

        keys = jwks.sync_detailed(client=client)
        assert keys.status_code == 200
        assert isinstance(contract.check(keys, "/.well-known/jwks.json", "GET")["keys"], list)


def test_register_verify_login_me_refresh_logout(base_url: str, outbox_dir: Path, contract: Contract) -> None:
    address = unique_email("flow")
    with Client(base_url=base_url) as client:
        # register → 202
        res = register.sync_detailed(client=client, body=RegisterRequest(email=address, password=PASSWORD))
        assert res.status_code == 202, res.content
        contract.check(res, "/v1/auth/register", "POST")
        assert isinstance(res.parsed, Accepted) and res.parsed.status == "verification_sent"

        # verify with the token of the mailed link → 200 user
        token = wait_for_verification_token(outbox_dir, address)
        res = verify_email.sync_detailed(client=client, body=TokenRequest(token=token))
        assert res.status_code == 200, res.content
        contract.check(res, "/v1/auth/verify-email", "POST")
        assert isinstance(res.parsed, User)
        user = res.parsed
        assert user.email == address and user.email_verified is True and user.roles == ["viewer"]

        # the token is single use
        res = verify_email.sync_detailed(client=client, body=TokenRequest(token=token))
        assert res.status_code == 400
        contract.check(res, "/v1/auth/verify-email", "POST")
        assert isinstance(res.parsed, Problem) and res.parsed.code == "token_used"

        # login → 200 token pair
        res = login.sync_detailed(client=client, body=LoginRequest(email=address, password=PASSWORD))
        assert res.status_code == 200, res.content
        contract.check(res, "/v1/auth/login", "POST")
        assert isinstance(res.parsed, TokenPair)
        first = res.parsed
        assert first.token_type == "Bearer"
        assert first.expires_in > 0 and first.refresh_expires_in > first.expires_in
        assert first.user.id == user.id and first.user.last_login_at is not None

    # me → 200 user
    with authed(base_url, first) as client:
        res = get_me.sync_detailed(client=client)
        assert res.status_code == 200, res.content
        contract.check(res, "/v1/me", "GET")
        assert isinstance(res.parsed, User) and res.parsed.id == user.id and res.parsed.email == address

    # refresh → 200 new pair; the refresh token rotated
    with Client(base_url=base_url) as client:
        res = refresh.sync_detailed(client=client, body=RefreshRequest(refresh_token=first.refresh_token))
        assert res.status_code == 200, res.content
        contract.check(res, "/v1/auth/refresh", "POST")
        assert isinstance(res.parsed, TokenPair)
        second = res.parsed
        assert second.refresh_token != first.refresh_token
        assert second.user.id == user.id

    with authed(base_url, second) as client:
        res = get_me.sync_detailed(client=client)
        assert res.status_code == 200 and isinstance(res.parsed, User)

        # logout → 204
        res = logout.sync_detailed(client=client)
        assert res.status_code == 204, res.content
        contract.check(res, "/v1/auth/logout", "POST")

        # me with the logged-out access token → 401
        res = get_me.sync_detailed(client=client)
        assert res.status_code == 401
        contract.check(res, "/v1/me", "GET")
        assert isinstance(res.parsed, Problem) and res.parsed.code == "unauthorized"

    # the whole session is gone: the first access token and the new refresh token too
    with authed(base_url, first) as client:
        assert get_me.sync_detailed(client=client).status_code == 401
    with Client(base_url=base_url) as client:
        res = refresh.sync_detailed(client=client, body=RefreshRequest(refresh_token=second.refresh_token))
        assert res.status_code == 401
        contract.check(res, "/v1/auth/refresh", "POST")


def test_weak_password_is_422_with_field_errors(base_url: str, contract: Contract) -> None:
    with Client(base_url=base_url) as client:
        res = register.sync_detailed(client=client, body=RegisterRequest(email=unique_email("weak"), password="short"))
        assert res.status_code == 422
        contract.check(res, "/v1/auth/register", "POST")
        assert isinstance(res.parsed, Problem) and res.parsed.code == "validation_failed"
        assert res.parsed.errors is not None
        assert res.parsed.errors.additional_properties["password"], "each failed rule is listed"


def test_wrong_password_is_401_invalid_credentials(base_url: str, outbox_dir: Path, contract: Contract) -> None:
    address = unique_email("badpw")
    with Client(base_url=base_url) as client:
        assert register.sync_detailed(client=client, body=RegisterRequest(email=address, password=PASSWORD)).status_code == 202
        token = wait_for_verification_token(outbox_dir, address)
        assert verify_email.sync_detailed(client=client, body=TokenRequest(token=token)).status_code == 200

        res = login.sync_detailed(client=client, body=LoginRequest(email=address, password="wrong-Password-42!"))
        assert res.status_code == 401
        contract.check(res, "/v1/auth/login", "POST")
        assert isinstance(res.parsed, Problem) and res.parsed.code == "invalid_credentials"


def test_refresh_token_is_not_an_access_token(base_url: str, outbox_dir: Path) -> None:
    address = unique_email("typ")
    with Client(base_url=base_url) as client:
        register.sync_detailed(client=client, body=RegisterRequest(email=address, password=PASSWORD))
        verify_email.sync_detailed(client=client, body=TokenRequest(token=wait_for_verification_token(outbox_dir, address)))
        pair = login.sync_detailed(client=client, body=LoginRequest(email=address, password=PASSWORD)).parsed
        assert isinstance(pair, TokenPair)

    with AuthenticatedClient(base_url=base_url, token=pair.refresh_token) as client:
        assert get_me.sync_detailed(client=client).status_code == 401
    with Client(base_url=base_url) as client:
        res = refresh.sync_detailed(client=client, body=RefreshRequest(refresh_token=pair.access_token))
        assert res.status_code == 401
