"""End-to-end tests of `authd_client.verifier` (API.md §18) against a
running authd (see conftest.py) that has a service key: `AUTHD_SERVICE_KEY`
holds its secret (authd's `AUTH_SERVICE_KEYS=name:<secret>`).

Real access tokens are verified with the server's JWKS and its revocation
feed; tokens a real server cannot be made to issue (expired, unknown key)
are signed with a local Ed25519 key whose JWKS a small HTTP server of the
test publishes.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import PASSWORD, unique_email, wait_for_verification_token

from authd import AsyncAuthdClient, AuthdClient

SERVICE_KEY = os.environ.get("AUTHD_SERVICE_KEY", "")
if not SERVICE_KEY:
    pytest.skip(
        "AUTHD_SERVICE_KEY is not set: the verifier tests read authd's revocation feed; start authd with "
        "AUTH_SERVICE_KEYS=tests:<secret of 32+ bytes> and set AUTHD_SERVICE_KEY=<secret>",
        allow_module_level=True,
    )

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

import authd_client
from authd_client.verifier import AsyncVerifier, VerificationError, Verifier

AUDIENCE = os.environ.get("AUTHD_AUDIENCE") or "authd"
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "verifier_service.py"
#: The contract: a revocation is refused within 1 s of its answer.
WITHIN = 1.0


# ---- helpers ------------------------------------------------------------------


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def parts(token: str) -> tuple[dict[str, Any], dict[str, Any], str]:
    head, body, signature = token.split(".")
    pad = lambda s: s + "=" * (-len(s) % 4)
    return (
        json.loads(base64.urlsafe_b64decode(pad(head))),
        json.loads(base64.urlsafe_b64decode(pad(body))),
        signature,
    )


def uuid7() -> str:
    ms = int(time.time() * 1000)
    value = (ms << 80) | (0x7 << 76) | (secrets.randbits(12) << 64) | (0b10 << 62) | secrets.randbits(62)
    return str(uuid.UUID(int=value))


class LocalKey:
    """An Ed25519 key of the test's own, to sign tokens authd would not issue."""

    def __init__(self) -> None:
        self.private = Ed25519PrivateKey.generate()
        self.kid = "test-" + secrets.token_hex(6)

    def jwk(self) -> dict[str, str]:
        raw = self.private.public_key().public_bytes_raw()
        return {"kty": "OKP", "crv": "Ed25519", "alg": "EdDSA", "use": "sig", "kid": self.kid, "x": b64url(raw)}

    def sign(self, claims: dict[str, Any], header: dict[str, Any] | None = None) -> str:
        header = {"alg": "EdDSA", "typ": "at+jwt", "kid": self.kid, **(header or {})}
        signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"
        return f"{signing_input}.{b64url(self.private.sign(signing_input.encode()))}"


class JwksServer:
    """Publishes `keys` at /jwks.json and counts the fetches."""

    def __init__(self) -> None:
        self.keys: list[dict[str, str]] = []
        self.fetches = 0
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                owner.fetches += 1
                data = json.dumps({"keys": owner.keys}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/jwks.json"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class FeedRelay:
    """Relays `GET /v1/revocations` (the page) to authd, byte for byte, and
    answers the stream with 503, so the verifier must poll; `all_down`
    answers everything with 503 (the feed falls silent)."""

    def __init__(self, upstream: str) -> None:
        self.all_down = False
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if owner.all_down or self.path.startswith("/v1/revocations/stream"):
                    self.send_response(503)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                answer = httpx.get(
                    upstream + self.path, headers={"Authorization": self.headers.get("Authorization", "")}
                )
                self.send_response(answer.status_code)
                self.send_header("Content-Type", answer.headers.get("content-type", "application/json"))
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1/revocations"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class TcpRelay:
    """Forwards TCP connections to authd byte for byte; `cut()` drops every
    open connection (as a restart or a proxy would), and `requests` keeps
    the head of each request, to see what the verifier sent."""

    def __init__(self, upstream: str) -> None:
        host, port = httpx.URL(upstream).host, httpx.URL(upstream).port
        self.upstream = (host, port)
        self.requests: list[str] = []
        self.open: list[socket.socket] = []
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.upstream)
            self.open += [client, server]
            threading.Thread(target=self._pipe, args=(client, server, True), daemon=True).start()
            threading.Thread(target=self._pipe, args=(server, client, False), daemon=True).start()

    def _pipe(self, source: socket.socket, target: socket.socket, request: bool) -> None:
        try:
            while data := source.recv(65536):
                if request:
                    self.requests.append(data.decode("latin-1"))
                target.sendall(data)
        except OSError:
            pass
        for end in (source, target):
            try:
                end.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def cut(self) -> None:
        for end in self.open:
            try:
                end.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.open = []

    def close(self) -> None:
        self.cut()
        self.listener.close()


def closed_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def refusal(verify: Callable[[str], Any], token: str) -> VerificationError:
    with pytest.raises(VerificationError) as refused:
        verify(token)
    return refused.value


def seconds_until_refused(verify: Callable[[str], Any], token: str, since: float, reason: str = "revoked") -> float:
    """Calls `verify(token)` every 5 ms until it refuses; the seconds from `since`."""
    while True:
        try:
            verify(token)
        except VerificationError as refused:
            assert refused.reason == reason, refused
            return time.monotonic() - since
        if time.monotonic() - since > 5 * WITHIN:
            raise AssertionError(f"still accepted {5 * WITHIN} s after the revocation")
        time.sleep(0.005)


# ---- fixtures -----------------------------------------------------------------


@pytest.fixture(scope="module")
def account(base_url: str, outbox_dir: Path) -> str:
    """A verified account's address (password PASSWORD)."""
    address = unique_email("verifier")
    with AuthdClient(base_url) as authd:
        authd.register(address, PASSWORD)
        authd.verify_email(wait_for_verification_token(outbox_dir, address))
    return address


@pytest.fixture(scope="module")
def issuer(base_url: str, account: str) -> str:
    """authd's AUTH_ISSUER: AUTHD_ISSUER, else what its tokens carry (the
    checks below still fail a verifier built with another one)."""
    if os.environ.get("AUTHD_ISSUER"):
        return os.environ["AUTHD_ISSUER"]
    with AuthdClient(base_url) as authd:
        return parts(authd.login(account, PASSWORD).access_token)[1]["iss"]


def options(base_url: str, issuer: str, **changes: Any) -> dict[str, Any]:
    return {
        "issuer": issuer,
        "audience": AUDIENCE,
        "jwks_url": f"{base_url}/.well-known/jwks.json",
        "revocations_url": f"{base_url}/v1/revocations",
        "service_key": SERVICE_KEY,
        **changes,
    }


@pytest.fixture(scope="module")
def verifier(base_url: str, issuer: str) -> Iterator[Verifier]:
    with Verifier(**options(base_url, issuer)) as v:
        assert v.wait_ready(10), v.status()
        yield v


@pytest.fixture
def login(base_url: str, account: str) -> Iterator[Callable[[], AuthdClient]]:
    """Logs `account` in, a new session per call, each its own client."""
    clients: list[AuthdClient] = []

    def new_session() -> AuthdClient:
        authd = AuthdClient(base_url)
        authd.login(account, PASSWORD)
        clients.append(authd)
        return authd

    yield new_session
    for authd in clients:
        authd.close()


@pytest.fixture
def jwks() -> Iterator[JwksServer]:
    server = JwksServer()
    yield server
    server.close()


# ---- what verifies ------------------------------------------------------------


def test_a_fresh_access_token_verifies_with_its_claims(verifier: Verifier, login: Callable[[], AuthdClient]) -> None:
    authd = login()
    claims = verifier.verify(authd.tokens.access_token)
    assert claims["sub"] == authd.tokens.user.id
    assert claims["typ"] == "access" and claims["aud"] == AUDIENCE
    status = verifier.status()
    assert status["ready"] and status["state"] == "fresh" and status["mode"] == "stream", status


def test_the_async_verifier_verifies_a_fresh_access_token(
    base_url: str, issuer: str, login: Callable[[], AuthdClient]
) -> None:
    authd = login()

    async def run() -> dict[str, Any]:
        async with AsyncVerifier(**options(base_url, issuer)) as v:
            assert await v.wait_ready(10), v.status()
            claims = await v.verify(authd.tokens.access_token)
            with pytest.raises(VerificationError) as refused:
                await v.verify(authd.tokens.refresh_token)
            assert refused.value.reason == "wrong_type"
            return claims

    assert asyncio.run(run())["sub"] == authd.tokens.user.id


# ---- what is refused, and why -------------------------------------------------


def test_a_tampered_signature_or_payload_is_bad_signature(verifier: Verifier, login: Callable[[], AuthdClient]) -> None:
    token = login().tokens.access_token
    head, body, signature = token.split(".")
    raw = bytearray(base64.urlsafe_b64decode(signature + "=="))
    raw[10] ^= 0x01
    assert refusal(verifier.verify, f"{head}.{body}.{b64url(bytes(raw))}").reason == "bad_signature"

    claims = parts(token)[1]
    claims["roles"] = ["admin"]
    forged = f"{head}.{b64url(json.dumps(claims).encode())}.{signature}"
    assert refusal(verifier.verify, forged).reason == "bad_signature"


def test_a_verifier_of_another_audience_or_issuer_refuses(
    base_url: str, issuer: str, login: Callable[[], AuthdClient]
) -> None:
    token = login().tokens.access_token
    with Verifier(**options(base_url, issuer, audience="orders")) as other:
        assert other.wait_ready(10), other.status()
        assert refusal(other.verify, token).reason == "wrong_audience"
    with Verifier(**options(base_url, "https://not-authd.example.com")) as other:
        assert other.wait_ready(10), other.status()
        assert refusal(other.verify, token).reason == "wrong_issuer"


def test_a_refresh_token_is_never_an_access_token(verifier: Verifier, login: Callable[[], AuthdClient]) -> None:
    refresh = login().tokens.refresh_token
    assert refusal(verifier.verify, refresh).reason == "wrong_type"


def test_alg_none_and_hs256_are_wrong_alg(verifier: Verifier, login: Callable[[], AuthdClient]) -> None:
    token = login().tokens.access_token
    header, claims, _ = parts(token)
    body = b64url(json.dumps(claims).encode())
    for alg in ("none", "None", "HS256"):
        head = b64url(json.dumps({**header, "alg": alg}).encode())
        # HS256 "signed" with the public key as the secret: the classic confusion.
        secret = json.dumps(httpx.get(verifier._core.jwks_url).json()).encode()
        signature = (
            "" if alg.lower() == "none" else b64url(hmac.digest(secret, f"{head}.{body}".encode(), hashlib.sha256))
        )
        assert refusal(verifier.verify, f"{head}.{body}.{signature}").reason == "wrong_alg", alg


def test_garbage_is_malformed(verifier: Verifier) -> None:
    for token in ("", "abc", "a.b", "a.b.c", "e30.bm90IGpzb24.", "!!!.###.$$$"):
        assert refusal(verifier.verify, token).reason == "malformed", token


def test_expiry_has_the_leeway_and_no_more(base_url: str, issuer: str, jwks: JwksServer) -> None:
    key = LocalKey()
    jwks.keys = [key.jwk()]
    now = int(time.time())
    claims = {"iss": issuer, "aud": AUDIENCE, "sub": str(uuid.uuid4()), "sid": uuid7(), "typ": "access"}
    with Verifier(**options(base_url, issuer, jwks_url=jwks.url, leeway=5)) as v:
        assert v.wait_ready(10), v.status()
        assert v.verify(key.sign({**claims, "iat": now - 900, "exp": now - 2}))["sid"] == claims["sid"]
        expired = key.sign({**claims, "iat": now - 960, "exp": now - 60})
        assert refusal(v.verify, expired).reason == "expired"
        assert refusal(v.verify, key.sign({**claims, "iat": now})).reason == "malformed"  # no exp


def test_an_unknown_kid_refetches_the_jwks_once_per_ten_seconds(base_url: str, issuer: str, jwks: JwksServer) -> None:
    old, new, stranger = LocalKey(), LocalKey(), LocalKey()
    jwks.keys = [old.jwk()]
    now = int(time.time())
    claims = {
        "iss": issuer,
        "aud": AUDIENCE,
        "sub": str(uuid.uuid4()),
        "sid": uuid7(),
        "typ": "access",
        "exp": now + 60,
    }
    with Verifier(**options(base_url, issuer, jwks_url=jwks.url)) as v:
        assert v.wait_ready(10), v.status()
        assert v.verify(old.sign(claims))
        fetched = jwks.fetches
        jwks.keys = [old.jwk(), new.jwk()]  # a key rotation at authd
        assert v.verify(new.sign(claims))["sid"] == claims["sid"]
        assert jwks.fetches == fetched + 1
        for _ in range(3):
            assert refusal(v.verify, stranger.sign(claims)).reason == "unknown_kid"
        assert jwks.fetches == fetched + 1, "an unknown kid refetched the JWKS again within 10 s"
        # A known key does not make a token of another type an access token.
        assert refusal(v.verify, new.sign(claims, {"typ": "JWT"})).reason == "wrong_type"


# ---- revocations --------------------------------------------------------------


def test_logout_is_refused_within_a_second(verifier: Verifier, login: Callable[[], AuthdClient]) -> None:
    authd = login()
    token = authd.tokens.access_token
    other = login().tokens.access_token  # another session of the same user
    assert verifier.verify(token)
    authd.logout()
    elapsed = seconds_until_refused(verifier.verify, token, time.monotonic())
    assert elapsed < WITHIN, f"refused after {elapsed:.3f} s"
    assert verifier.verify(other)["sub"], "a logout ended another session"


def test_logout_everywhere_is_refused_within_a_second(verifier: Verifier, login: Callable[[], AuthdClient]) -> None:
    first, second = login(), login()
    tokens = [first.tokens.access_token, second.tokens.access_token]
    for token in tokens:
        assert verifier.verify(token)
    first.logout_all()
    answered = time.monotonic()
    for token in tokens:
        elapsed = seconds_until_refused(verifier.verify, token, answered)
        assert elapsed < WITHIN, f"refused after {elapsed:.3f} s"
    assert verifier.verify(login().tokens.access_token), "a session after the logout-all is refused"


def test_a_password_change_refuses_the_other_sessions_within_a_second(
    base_url: str, account: str, verifier: Verifier, login: Callable[[], AuthdClient]
) -> None:
    changing, other = login(), login()
    stale = other.tokens.access_token
    assert verifier.verify(stale)
    answer = httpx.post(
        f"{base_url}/v1/auth/password/change",
        json={"current_password": PASSWORD, "new_password": PASSWORD},
        headers={"Authorization": f"Bearer {changing.tokens.access_token}"},
    )
    assert answer.status_code == 204, answer.text
    elapsed = seconds_until_refused(verifier.verify, stale, time.monotonic())
    assert elapsed < WITHIN, f"refused after {elapsed:.3f} s"
    assert verifier.verify(changing.tokens.access_token), "the session that changed the password was ended"


def test_the_async_verifier_refuses_a_logout_within_a_second(base_url: str, issuer: str, account: str) -> None:
    async def run() -> float:
        async with AsyncVerifier(**options(base_url, issuer)) as v, AsyncAuthdClient(base_url) as authd:
            assert await v.wait_ready(10), v.status()
            await authd.login(account, PASSWORD)
            token = authd.tokens.access_token
            assert await v.verify(token)
            await authd.logout()
            answered = time.monotonic()
            while True:
                try:
                    await v.verify(token)
                except VerificationError as refused:
                    assert refused.reason == "revoked", refused
                    return time.monotonic() - answered
                assert time.monotonic() - answered < 5 * WITHIN, "still accepted"
                await asyncio.sleep(0.005)

    elapsed = asyncio.run(run())
    assert elapsed < WITHIN, f"refused after {elapsed:.3f} s"


def test_a_new_verifier_learns_earlier_revocations_from_the_full_list(
    base_url: str, issuer: str, login: Callable[[], AuthdClient]
) -> None:
    authd = login()
    token = authd.tokens.access_token
    authd.logout()
    time.sleep(0.3)  # past the feed's 250 ms
    with Verifier(**options(base_url, issuer)) as v:
        assert v.wait_ready(10), v.status()
        assert refusal(v.verify, token).reason == "revoked"


def test_a_dropped_stream_resumes_with_last_event_id_and_misses_nothing(
    base_url: str, issuer: str, login: Callable[[], AuthdClient]
) -> None:
    relay = TcpRelay(base_url)
    try:
        with Verifier(**options(base_url, issuer, revocations_url=f"{relay.url}/v1/revocations")) as v:
            assert v.wait_ready(10), v.status()
            first = login()
            token = first.tokens.access_token
            first.logout()  # an event on the stream: its id is the cursor to resume from
            seconds_until_refused(v.verify, token, time.monotonic())

            second = login()
            token = second.tokens.access_token
            cursor = v.status()["cursor"]
            assert v.status()["mode"] == "stream" and cursor, v.status()
            relay.cut()
            second.logout()  # while the stream is down
            elapsed = seconds_until_refused(v.verify, token, time.monotonic())
            assert elapsed < WITHIN, f"refused after {elapsed:.3f} s across a reconnect"
            assert v.status()["reconnects"] >= 1, v.status()
            # The reconnect resumes from the last event's id, or from a newer
            # cursor a poll during the backoff gave (the cursor is opaque to
            # the verifier; this test knows authd's `c.<ms>`).
            deadline = time.monotonic() + 5  # the refusal may have come from a poll before it
            while not (resumed := [r for r in relay.requests if r.startswith("GET /v1/revocations/stream")][1:]):
                assert time.monotonic() < deadline, "the stream was not reopened"
                time.sleep(0.05)
            sent = [
                line.split(":", 1)[1].strip()
                for line in resumed[0].splitlines()
                if line.lower().startswith("last-event-id:")
            ]
            assert sent and sent[0].startswith("c.") and int(sent[0][2:]) >= int(cursor[2:]), (cursor, resumed[0])
    finally:
        relay.close()


# ---- a silent feed ------------------------------------------------------------


def test_an_unreachable_feed_is_feed_stale_unless_fail_open(
    base_url: str, issuer: str, login: Callable[[], AuthdClient]
) -> None:
    token = login().tokens.access_token
    nowhere = f"http://127.0.0.1:{closed_port()}/v1/revocations"
    with Verifier(**options(base_url, issuer, revocations_url=nowhere, stale_after=1)) as closed:
        assert not closed.wait_ready(1.5)
        assert refusal(closed.verify, token).reason == "feed_stale"
        status = closed.status()
        assert status["state"] == "stale" and status["refusing"] and status["last_error"], status
    with Verifier(**options(base_url, issuer, revocations_url=nowhere, stale_after=1, fail_open=True)) as open_:
        time.sleep(0.5)
        assert open_.verify(token)["sid"]
        assert open_.status()["state"] == "stale" and not open_.status()["refusing"]
        # fail_open never lets a bad token through.
        assert refusal(open_.verify, token[:-6] + "AAAAAA").reason == "bad_signature"


def test_a_wrong_service_key_is_feed_stale(base_url: str, issuer: str, login: Callable[[], AuthdClient]) -> None:
    token = login().tokens.access_token
    with Verifier(**options(base_url, issuer, service_key="x" * 40, stale_after=1)) as v:
        assert not v.wait_ready(1.5)
        assert refusal(v.verify, token).reason == "feed_stale"
        assert "401" in (v.status()["last_error"] or ""), v.status()


def test_without_the_stream_the_verifier_polls_and_still_refuses_a_logout(
    base_url: str, issuer: str, login: Callable[[], AuthdClient]
) -> None:
    relay = FeedRelay(base_url)
    try:
        with Verifier(**options(base_url, issuer, revocations_url=relay.url, stale_after=3)) as v:
            assert v.wait_ready(10), v.status()
            authd = login()
            token = authd.tokens.access_token
            assert v.verify(token)
            time.sleep(0.5)
            assert v.status()["mode"] == "polling", v.status()
            authd.logout()
            elapsed = seconds_until_refused(v.verify, token, time.monotonic())
            # A poll a second, and the feed's own 250 ms.
            assert elapsed < 1.5, f"refused after {elapsed:.3f} s while polling"

            # The feed falls silent: after stale_after, every token is refused;
            # when it answers again, they are accepted again.
            other = login().tokens.access_token
            assert v.verify(other)
            relay.all_down = True
            silent = time.monotonic()
            # The last poll came up to a second (and a poll's time) before.
            assert 3 - 1.5 <= seconds_until_refused(v.verify, other, silent, "feed_stale") <= 3 + 0.5
            assert v.status()["refusing"]
            relay.all_down = False
            deadline = time.monotonic() + 5
            while v.status()["state"] != "fresh":
                assert time.monotonic() < deadline, v.status()
                time.sleep(0.05)
            assert v.verify(other)["sid"]
    finally:
        relay.close()


# ---- the example service ------------------------------------------------------


def test_the_example_service_answers_check_and_refuses_a_logout(
    base_url: str, issuer: str, login: Callable[[], AuthdClient]
) -> None:
    # The package the tests import (from this folder, or installed).
    package_root = str(Path(authd_client.__file__).resolve().parents[1])
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")])),
        "AUTHD_URL": base_url,
        "AUTHD_ISSUER": issuer,
        "AUTHD_SERVICE_KEY": SERVICE_KEY,
        "PORT": "0",
    }
    service = subprocess.Popen(
        [sys.executable, str(EXAMPLE)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        line = service.stdout.readline()
        if not line.startswith("listening "):
            service.kill()
            raise AssertionError(f"{EXAMPLE.name} printed {line!r}: {service.communicate(timeout=10)[1]}")
        url = f"http://127.0.0.1:{int(line.split()[1])}"
        authd = login()
        token = authd.tokens.access_token
        with httpx.Client(base_url=url, timeout=5) as http:
            ok = http.get("/check", headers={"Authorization": f"Bearer {token}"})
            assert ok.status_code == 200 and ok.json() == {
                "sub": authd.tokens.user.id,
                "sid": parts(token)[1]["sid"],
            }, ok.text
            assert http.get("/check").json() == {"error": "malformed"}
            assert http.get("/status").json()["state"] == "fresh"
            authd.logout()
            answered = time.monotonic()
            while (answer := http.get("/check", headers={"Authorization": f"Bearer {token}"})).status_code == 200:
                assert time.monotonic() - answered < 5 * WITHIN, "still accepted"
            assert answer.status_code == 401 and answer.json() == {"error": "revoked"}
            assert time.monotonic() - answered < WITHIN
    finally:
        service.terminate()
        service.wait(timeout=10)
