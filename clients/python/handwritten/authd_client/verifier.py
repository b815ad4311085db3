"""Verify authd access tokens offline, and refuse revoked ones within a second.

Hand-written: `generate.py` copies this file from
`clients/python/handwritten/authd_client/verifier.py` into the generated
package; edit that one and run `python generate.py`.

    from authd_client.verifier import Verifier, VerificationError

    with Verifier(
        issuer="https://auth.example.com",
        audience="authd",
        jwks_url="https://auth.example.com/.well-known/jwks.json",
        revocations_url="https://auth.example.com/v1/revocations",
        service_key=os.environ["AUTHD_SERVICE_KEY"],
    ) as verifier:
        verifier.wait_ready(10)
        claims = verifier.verify(access_token)     # or VerificationError(.reason)

`Verifier` reads the revocation feed (API.md §18) in a background thread;
`AsyncVerifier` does the same in an asyncio task. Signatures need the
`cryptography` package: `pip install "authd-client[verifier]"`.

What `verify` checks, in this order (the first failure is the `reason`):

- `malformed`: not a compact JWS with JSON header and claims, or a claim of
  the wrong type (`exp`, `sub`, `sid`).
- `wrong_type`: the JOSE `typ` is not `at+jwt` or the `typ` claim is not
  `access` (a refresh token, an ID token).
- `wrong_alg`: `alg` is not `EdDSA` (`none`, `HS256`, ...): the algorithm is
  pinned, never taken from the token.
- `unknown_kid`: no key in the JWKS has the token's `kid`, also after one
  refetch (at most one refetch per 10 s).
- `bad_signature`: the Ed25519 signature does not verify.
- `wrong_issuer`, `wrong_audience`, `expired` (`exp` plus `leeway` seconds
  is past; or `nbf` minus `leeway` is still ahead).
- `revoked`: the feed lists the `sid`, or the session started (the first 48
  bits of the UUIDv7 `sid`, in ms) at or before the user's `valid_after`.
- `feed_stale`: nothing was heard from the feed (no event, keepalive or
  successful poll) for `stale_after` seconds, or not yet at all; only
  unless `fail_open=True`.

The reasons before `revoked` are read from the token before its signature is
checked only to name why it is refused: nothing unverified ever lets a token
through.

The feed: one `GET /v1/revocations` (the full current list, `max_age`,
a cursor), then `GET /v1/revocations/stream` from that cursor
(`Last-Event-ID`), reconnected with backoff; while the stream is down, the
page is polled every second. Entries are kept until `max_age` after their
time (then the tokens they cover have expired anyway), so memory is bounded
by the revocations of the last `max_age` seconds (905 by default), not by
the number of users. The stream's keepalive comes every 15 s: keep
`stale_after` above that.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import math
import random
import socket
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Self

import httpx

try:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
except ImportError as missing:  # pragma: no cover - depends on the install
    raise ImportError(
        'authd_client.verifier needs the cryptography package: pip install "authd-client[verifier]"'
    ) from missing

__all__ = ["REASONS", "AsyncVerifier", "VerificationError", "Verifier"]

REASONS = (
    "malformed",
    "bad_signature",
    "unknown_kid",
    "wrong_alg",
    "wrong_issuer",
    "wrong_audience",
    "expired",
    "wrong_type",
    "revoked",
    "feed_stale",
)

#: An unknown `kid` refetches the JWKS at most this often (seconds).
JWKS_REFETCH_INTERVAL = 10.0
#: Known keys are refreshed this often (the JWKS' own `max-age`), so a
#: removed key stops verifying.
JWKS_MAX_AGE = 300.0
#: While the stream is down, the page is polled this often.
POLL_INTERVAL = 1.0
#: The stream's keepalive comes every 15 s: a read waits this long.
STREAM_READ_TIMEOUT = 20.0
#: How long a stream reconnect waits at most (it doubles from 0.25 s).
MAX_BACKOFF = 15.0
#: `max_age` until the feed says otherwise: 900 s access TTL + 5 s leeway.
DEFAULT_MAX_AGE = 905


class VerificationError(Exception):
    """The token is refused; `reason` is one of `REASONS`."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


class _FeedError(Exception):
    pass


# ---- tokens -----------------------------------------------------------------


def _b64url(part: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
    except (binascii.Error, ValueError) as error:
        raise VerificationError("malformed", "not base64url") from error


def _json_object(part: str, what: str) -> dict[str, Any]:
    try:
        value = json.loads(_b64url(part))
    except (ValueError, UnicodeDecodeError) as error:
        raise VerificationError("malformed", f"{what} is not JSON") from error
    if not isinstance(value, dict):
        raise VerificationError("malformed", f"{what} is not a JSON object")
    return value


@dataclass
class _Token:
    header: dict[str, Any]
    claims: dict[str, Any]
    signing_input: bytes
    signature: bytes
    kid: str


def _parse(token: object) -> _Token:
    """Splits a compact JWS and refuses, before any key is looked at, what
    can never be an access token of authd's (type, then algorithm)."""
    if not isinstance(token, str) or token.count(".") != 2:
        raise VerificationError("malformed", "not a compact JWS")
    head, body, signature = token.split(".")
    header = _json_object(head, "header")
    claims = _json_object(body, "claims")
    typ = header.get("typ")
    if not isinstance(typ, str) or typ.lower() not in ("at+jwt", "application/at+jwt"):
        raise VerificationError("wrong_type", f"JOSE typ {typ!r}, not at+jwt")
    if claims.get("typ") != "access":
        raise VerificationError("wrong_type", f"typ claim {claims.get('typ')!r}, not access")
    if header.get("alg") != "EdDSA":
        raise VerificationError("wrong_alg", f"alg {header.get('alg')!r}, only EdDSA is accepted")
    if "crit" in header:
        raise VerificationError("malformed", "unsupported crit header")
    kid = header.get("kid")
    if not isinstance(kid, str):
        raise VerificationError("unknown_kid", "no kid in the header")
    return _Token(header, claims, f"{head}.{body}".encode("ascii"), _b64url(signature), kid)


def _jwks_keys(document: Any) -> dict[str, Ed25519PublicKey]:
    """The Ed25519 keys of a JWKS by `kid`; other keys are skipped."""
    keys: dict[str, Ed25519PublicKey] = {}
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise _FeedError("the JWKS has no keys array")
    for jwk in document["keys"]:
        if not isinstance(jwk, dict) or jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
            continue
        if jwk.get("alg", "EdDSA") != "EdDSA" or jwk.get("use", "sig") != "sig":
            continue
        kid, x = jwk.get("kid"), jwk.get("x")
        if not isinstance(kid, str) or not isinstance(x, str):
            continue
        try:
            keys[kid] = Ed25519PublicKey.from_public_bytes(_b64url(x))
        except (ValueError, VerificationError):
            continue
    return keys


def _sid_key(sid: str) -> int | None:
    """The session id as a 128-bit int (the revoked-session dict's key: 44
    bytes where the string takes 85), or None if it is not a UUID."""
    if len(sid) != 36 or sid[8] != "-" or sid[13] != "-" or sid[18] != "-" or sid[23] != "-":
        return None
    try:
        return int(sid.replace("-", ""), 16)
    except ValueError:
        return None


def _started_ms(sid_key: int | None) -> int | None:
    """When a session started: the UUIDv7 timestamp (its first 48 bits, ms)."""
    if sid_key is None or (sid_key >> 76) & 0xF != 7:
        return None
    return sid_key >> 80


def _unix(text: Any) -> float:
    if not isinstance(text, str):
        raise TypeError("not a timestamp")
    return datetime.fromisoformat(text).timestamp()


# ---- what the feed said -----------------------------------------------------


class _Revocations:
    """Revoked sessions and users' `valid_after`, each kept until `max_age`
    after its time. Written by the feed reader only; `verify` only looks up
    keys, which is safe beside the writer under the GIL."""

    def __init__(self) -> None:
        # sid (int) -> when the entry may go (unix s). Insertion order is
        # time order (the feed sends entries sorted), so pruning stops at the
        # first entry still needed.
        self.sessions: dict[int, int] = {}
        # sub -> the newest valid_after (unix ms).
        self.users: dict[str, int] = {}
        self.max_age = DEFAULT_MAX_AGE
        self._seconds: dict[int, int] = {}  # one int object per expiry second

    def _until(self, at: float) -> int:
        second = math.ceil(at) + self.max_age
        return self._seconds.setdefault(second, second)

    def apply(self, entry: Any) -> None:
        """One entry of a page or an event; repeats change nothing."""
        if not isinstance(entry, dict):
            return
        try:
            if "sid" in entry:
                key = _sid_key(str(entry["sid"]))
                if key is not None and key not in self.sessions:
                    until = self._until(_unix(entry["revoked_at"]))
                    if until > time.time():  # else its tokens have expired
                        self.sessions[key] = until
            elif "valid_after" in entry and isinstance(entry.get("sub"), str):
                after = math.floor(_unix(entry["valid_after"]) * 1000)
                known = self.users.get(entry["sub"])
                if known is None or after > known:
                    self.users[entry["sub"]] = after
        except (ValueError, TypeError, OverflowError):
            return

    def is_revoked(self, sid: str, sub: str) -> bool:
        key = _sid_key(sid)
        if key is not None and key in self.sessions:
            return True
        after = self.users.get(sub)
        if after is None:
            return False
        started = _started_ms(key)
        return started is None or started <= after

    def prune(self, now: float) -> None:
        """Drops what is past `max_age` from the front (the oldest)."""
        gone = []
        for key, until in self.sessions.items():
            if until > now:
                break
            gone.append(key)
        for key in gone:
            del self.sessions[key]
        # Few users (one per log-out-everywhere, password change, disable in
        # max_age): a new dict, swapped in whole, so `verify` never sees one
        # half-pruned.
        oldest_ms = (now - self.max_age) * 1000
        if any(after <= oldest_ms for after in self.users.values()):
            self.users = {sub: after for sub, after in self.users.items() if after > oldest_ms}
        for second in [s for s in self._seconds if s <= now]:
            del self._seconds[second]


class _SseParser:
    """Server-Sent Events, line by line (the WHATWG rules authd uses: `id:`,
    `event:`, `data:`, comments starting with `:`)."""

    def __init__(self) -> None:
        self.event = ""
        self.data: list[str] = []
        self.id: str | None = None

    def feed(self, line: str) -> tuple[str | None, str, str] | None:
        """The event `(id, type, data)` a blank line completes, else None."""
        if line == "":
            if not self.data:
                self.event, self.id = "", None
                return None
            done = (self.id, self.event or "message", "\n".join(self.data))
            self.event, self.data, self.id = "", [], None
            return done
        if line.startswith(":"):
            return None
        field, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if field == "data":
            self.data.append(value)
        elif field == "event":
            self.event = value
        elif field == "id" and "\0" not in value:
            self.id = value
        return None


# ---- the parts both verifiers share -----------------------------------------


class _Core:
    def __init__(
        self,
        issuer: str,
        audience: str,
        jwks_url: str,
        revocations_url: str,
        service_key: str,
        fail_open: bool,
        stale_after: float,
        leeway: float,
    ) -> None:
        self.issuer = issuer
        self.audience = audience
        self.jwks_url = jwks_url
        self.revocations_url = revocations_url.rstrip("/")
        self.stream_url = self.revocations_url + "/stream"
        self._feed_headers = {"Authorization": f"Bearer {service_key}"}
        self.fail_open = fail_open
        self.stale_after = float(stale_after)
        self.leeway = float(leeway)
        self.keys: dict[str, Ed25519PublicKey] = {}
        self.keys_fetched_at: float | None = None  # monotonic, last success
        self.keys_tried_at = -math.inf  # monotonic, last refetch for an unknown kid
        self.revocations = _Revocations()
        self.cursor: str | None = None
        self.loaded = False  # the first full page is in
        self.last_news: float | None = None  # monotonic
        self.mode = "starting"
        self.stream_opened_at: float | None = None
        self.last_error: str | None = None
        self.events = 0
        self.polls = 0
        self.reconnects = 0

    # -- verification

    def check(self, token: _Token, key: Ed25519PublicKey) -> dict[str, Any]:
        try:
            key.verify(token.signature, token.signing_input)
        except InvalidSignature:
            raise VerificationError("bad_signature") from None
        claims = token.claims
        if claims.get("iss") != self.issuer:
            raise VerificationError("wrong_issuer", f"iss {claims.get('iss')!r}")
        aud = claims.get("aud")
        audiences = aud if isinstance(aud, list) else [aud]
        if self.audience not in audiences:
            raise VerificationError("wrong_audience", f"aud {aud!r}")
        exp, nbf, now = claims.get("exp"), claims.get("nbf"), time.time()
        if not isinstance(exp, (int, float)) or isinstance(exp, bool):
            raise VerificationError("malformed", "exp is not a number")
        if now > exp + self.leeway:
            raise VerificationError("expired", f"expired {now - exp:.0f} s ago")
        if isinstance(nbf, (int, float)) and now < nbf - self.leeway:
            raise VerificationError("expired", "not valid yet (nbf)")
        sid, sub = claims.get("sid"), claims.get("sub")
        if not isinstance(sid, str) or not isinstance(sub, str):
            raise VerificationError("malformed", "sid and sub must be strings")
        if self.revocations.is_revoked(sid, sub):
            raise VerificationError("revoked", f"session {sid}")
        if self.stale() and not self.fail_open:
            raise VerificationError("feed_stale", "no news from the revocation feed")
        return claims

    def stale(self) -> bool:
        return self.last_news is None or time.monotonic() - self.last_news > self.stale_after

    def may_refetch(self) -> bool:
        return time.monotonic() - self.keys_tried_at >= JWKS_REFETCH_INTERVAL

    def keys_old(self) -> bool:
        return self.keys_fetched_at is not None and time.monotonic() - self.keys_fetched_at > JWKS_MAX_AGE

    def took_keys(self, response: httpx.Response) -> None:
        if response.status_code != 200:
            raise _FeedError(f"JWKS: HTTP {response.status_code}")
        self.keys = _jwks_keys(response.json())
        self.keys_fetched_at = time.monotonic()

    # -- the feed

    def news(self) -> None:
        self.last_news = time.monotonic()

    def took_page(self, response: httpx.Response) -> bool:
        """Applies one page; True if `has_more` (ask again at once)."""
        if response.status_code != 200:
            raise _FeedError(f"{self.revocations_url}: HTTP {response.status_code}")
        page = response.json()
        if not isinstance(page, dict) or not isinstance(page.get("cursor"), str):
            raise _FeedError(f"{self.revocations_url}: not a revocations page")
        if isinstance(page.get("max_age"), int) and page["max_age"] > 0:
            self.revocations.max_age = page["max_age"]
        for entry in [*page.get("sessions", []), *page.get("users", [])]:
            self.revocations.apply(entry)
        self.cursor = page["cursor"]
        self.polls += 1
        if not page.get("has_more"):
            self.loaded = True
            self.news()
            return False
        return True

    def page_params(self) -> dict[str, str]:
        return {"since": self.cursor} if self.cursor else {}

    def stream_headers(self) -> dict[str, str]:
        headers = {**self._feed_headers, "Accept": "text/event-stream", "Cache-Control": "no-store"}
        if self.cursor:
            headers["Last-Event-ID"] = self.cursor
        return headers

    def took_line(self, parser: _SseParser, line: str) -> None:
        self.news()  # an event line or the keepalive comment: the feed is alive
        event = parser.feed(line)
        if event is None:
            return
        event_id, kind, data = event
        if kind == "revocation":
            try:
                self.revocations.apply(json.loads(data))
            except ValueError:
                pass
            self.events += 1
        if event_id:
            self.cursor = event_id

    def stream_opened(self, response: httpx.Response) -> None:
        if response.status_code != 200:
            raise _FeedError(f"{self.stream_url}: HTTP {response.status_code}")
        self.mode = "stream"
        self.last_error = None
        self.stream_opened_at = time.monotonic()
        self.news()

    def stream_lasted(self) -> bool:
        """The last stream stayed open a while: reconnect at once, not after
        a backoff. Asked once per ended stream."""
        opened, self.stream_opened_at = self.stream_opened_at, None
        return opened is not None and time.monotonic() - opened >= 10.0

    def failed(self, error: BaseException) -> None:
        self.last_error = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__

    def ready(self) -> bool:
        return self.loaded and bool(self.keys)

    def status(self) -> dict[str, Any]:
        age = None if self.last_news is None else round(time.monotonic() - self.last_news, 3)
        stale = self.stale()
        return {
            "ready": self.ready(),
            "state": "stale" if stale else "fresh",
            "refusing": stale and not self.fail_open,
            "fail_open": self.fail_open,
            "mode": self.mode,
            "last_news_seconds_ago": age,
            "stale_after": self.stale_after,
            "revoked_sessions": len(self.revocations.sessions),
            "users_with_valid_after": len(self.revocations.users),
            "max_age": self.revocations.max_age,
            "cursor": self.cursor,
            "keys": sorted(self.keys),
            "events": self.events,
            "polls": self.polls,
            "reconnects": self.reconnects,
            "last_error": self.last_error,
        }


def _backoff(attempt: int) -> float:
    return min(MAX_BACKOFF, 0.25 * 2**attempt) * random.uniform(0.8, 1.2)


def _shut_down(response: httpx.Response | None) -> None:
    """Shuts the socket of a stream being read in another thread down: closing
    it would not wake a thread blocked in recv(), a shutdown does."""
    if response is None:
        return
    stream = response.extensions.get("network_stream")
    sock = stream.get_extra_info("socket") if stream is not None else None
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


_STREAM_TIMEOUT = httpx.Timeout(10.0, read=STREAM_READ_TIMEOUT)
_REQUEST_TIMEOUT = httpx.Timeout(5.0)


# ---- sync ---------------------------------------------------------------------


class Verifier:
    """Verifies authd access tokens; a daemon thread reads the revocation feed.

    `verify(token)` returns the claims or raises `VerificationError`. Use it
    as a context manager or call `close()`. Thread-safe: `verify` may be
    called from many threads at once.
    """

    def __init__(
        self,
        issuer: str,
        audience: str,
        jwks_url: str,
        revocations_url: str,
        service_key: str,
        fail_open: bool = False,
        stale_after: float = 30.0,
        leeway: float = 5,
    ) -> None:
        self._core = _Core(issuer, audience, jwks_url, revocations_url, service_key, fail_open, stale_after, leeway)
        self._http = httpx.Client(timeout=_REQUEST_TIMEOUT)
        self._keys_lock = threading.Lock()
        self._closed = threading.Event()
        self._ready = threading.Event()
        self._stream_response: httpx.Response | None = None
        self._thread = threading.Thread(target=self._run, name="authd-verifier-feed", daemon=True)
        self._thread.start()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def verify(self, token: str) -> dict[str, Any]:
        """The token's claims, or `VerificationError` with its `.reason`."""
        parsed = _parse(token)
        return self._core.check(parsed, self._key(parsed.kid))

    def wait_ready(self, timeout: float | None = None) -> bool:
        """Waits until the keys and the first full revocation list are in."""
        return self._ready.wait(timeout)

    def status(self) -> dict[str, Any]:
        return self._core.status()

    def close(self) -> None:
        self._closed.set()
        _shut_down(self._stream_response)  # wakes the reader blocked in recv()
        self._http.close()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout=5)

    # -- keys

    def _key(self, kid: str) -> Ed25519PublicKey:
        core = self._core
        if core.keys_old() and self._keys_lock.acquire(blocking=False):
            try:
                self._fetch_keys()
            except (httpx.HTTPError, _FeedError, ValueError):
                pass  # keep the keys we have
            finally:
                self._keys_lock.release()
        key = core.keys.get(kid)
        if key is None:
            with self._keys_lock:
                key = core.keys.get(kid)
                if key is None and core.may_refetch():
                    core.keys_tried_at = time.monotonic()
                    try:
                        self._fetch_keys()
                    except (httpx.HTTPError, _FeedError, ValueError) as error:
                        core.failed(error)
                    key = core.keys.get(kid)
        if key is None:
            raise VerificationError("unknown_kid", f"kid {kid!r} is not in the JWKS")
        return key

    def _fetch_keys(self) -> None:
        self._core.took_keys(self._http.get(self._core.jwks_url))
        if self._core.ready():
            self._ready.set()

    # -- the feed

    def _sleep(self, seconds: float) -> bool:
        """False once closed."""
        return not self._closed.wait(seconds)

    def _run(self) -> None:
        core = self._core
        attempt = 0
        while not self._closed.is_set():
            try:
                if not core.keys:
                    # The keys' failure must not keep the feed from being read.
                    try:
                        with self._keys_lock:
                            self._fetch_keys()
                    except (httpx.HTTPError, _FeedError, ValueError) as error:
                        core.failed(error)
                while not core.loaded:
                    self._poll_once()
                if core.ready():
                    self._ready.set()
                self._stream()
            except Exception as error:  # noqa: BLE001 - any failure: back off, poll, retry
                core.failed(error)
            if self._closed.is_set():
                return
            attempt = 0 if core.stream_lasted() else attempt
            core.mode = "polling" if core.loaded else "starting"
            core.reconnects += 1
            # Until the next stream attempt, poll every second.
            until = time.monotonic() + _backoff(attempt)
            attempt += 1
            while core.loaded and time.monotonic() < until:
                if not self._sleep(min(POLL_INTERVAL, max(0.0, until - time.monotonic()))):
                    return
                try:
                    self._poll_once()
                except Exception as error:  # noqa: BLE001
                    core.failed(error)
            if not core.loaded and not self._sleep(max(0.0, until - time.monotonic())):
                return

    def _poll_once(self) -> None:
        core = self._core
        while core.took_page(
            self._http.get(core.revocations_url, params=core.page_params(), headers=core._feed_headers)
        ):
            pass
        core.revocations.prune(time.time())
        if core.ready():
            self._ready.set()

    def _stream(self) -> None:
        core = self._core
        with self._http.stream("GET", core.stream_url, headers=core.stream_headers(), timeout=_STREAM_TIMEOUT) as r:
            self._stream_response = r
            if self._closed.is_set():
                return
            core.stream_opened(r)
            parser = _SseParser()
            pruned = time.monotonic()
            for line in r.iter_lines():
                core.took_line(parser, line)
                if time.monotonic() - pruned >= 1.0:
                    core.revocations.prune(time.time())
                    pruned = time.monotonic()
                if self._closed.is_set():
                    return
        raise _FeedError("the stream ended")


# ---- asyncio ------------------------------------------------------------------


class AsyncVerifier:
    """The asyncio verifier: the same options and checks as `Verifier`, the
    feed read by a task of the running loop (started by the first `await`:
    `async with`, `wait_ready`, `verify`, or `start()`).
    """

    def __init__(
        self,
        issuer: str,
        audience: str,
        jwks_url: str,
        revocations_url: str,
        service_key: str,
        fail_open: bool = False,
        stale_after: float = 30.0,
        leeway: float = 5,
    ) -> None:
        self._core = _Core(issuer, audience, jwks_url, revocations_url, service_key, fail_open, stale_after, leeway)
        self._http: httpx.AsyncClient | None = None
        self._task: asyncio.Task[None] | None = None
        self._keys_lock: asyncio.Lock | None = None
        self._ready: asyncio.Event | None = None
        self._closed = False

    async def __aenter__(self) -> Self:
        self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def start(self) -> None:
        """Starts the feed task on the running loop (once)."""
        if self._task is None:
            if self._closed:
                raise RuntimeError("the verifier is closed")
            self._http = httpx.AsyncClient(timeout=_REQUEST_TIMEOUT)
            self._keys_lock = asyncio.Lock()
            self._ready = asyncio.Event()
            self._task = asyncio.get_running_loop().create_task(self._run(), name="authd-verifier-feed")

    async def verify(self, token: str) -> dict[str, Any]:
        """The token's claims, or `VerificationError` with its `.reason`."""
        self.start()
        parsed = _parse(token)
        return self._core.check(parsed, await self._key(parsed.kid))

    async def wait_ready(self, timeout: float | None = None) -> bool:
        self.start()
        assert self._ready is not None
        try:
            await asyncio.wait_for(self._ready.wait(), timeout)
            return True
        except TimeoutError:
            return False

    def status(self) -> dict[str, Any]:
        return self._core.status()

    async def close(self) -> None:
        self._closed = True
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
        if self._http is not None:
            await self._http.aclose()

    # -- keys

    async def _key(self, kid: str) -> Ed25519PublicKey:
        core = self._core
        assert self._keys_lock is not None
        if core.keys_old() and not self._keys_lock.locked():
            async with self._keys_lock:
                try:
                    await self._fetch_keys()
                except (httpx.HTTPError, _FeedError, ValueError):
                    pass
        key = core.keys.get(kid)
        if key is None:
            async with self._keys_lock:
                key = core.keys.get(kid)
                if key is None and core.may_refetch():
                    core.keys_tried_at = time.monotonic()
                    try:
                        await self._fetch_keys()
                    except (httpx.HTTPError, _FeedError, ValueError) as error:
                        core.failed(error)
                    key = core.keys.get(kid)
        if key is None:
            raise VerificationError("unknown_kid", f"kid {kid!r} is not in the JWKS")
        return key

    async def _fetch_keys(self) -> None:
        assert self._http is not None
        self._core.took_keys(await self._http.get(self._core.jwks_url))
        if self._core.ready() and self._ready is not None:
            self._ready.set()

    # -- the feed

    async def _run(self) -> None:
        core = self._core
        assert self._keys_lock is not None and self._ready is not None
        attempt = 0
        while True:
            try:
                if not core.keys:
                    try:
                        async with self._keys_lock:
                            await self._fetch_keys()
                    except (httpx.HTTPError, _FeedError, ValueError) as error:
                        core.failed(error)
                while not core.loaded:
                    await self._poll_once()
                if core.ready():
                    self._ready.set()
                await self._stream()
            except asyncio.CancelledError:
                raise
            except Exception as error:  # noqa: BLE001 - any failure: back off, poll, retry
                core.failed(error)
            attempt = 0 if core.stream_lasted() else attempt
            core.mode = "polling" if core.loaded else "starting"
            core.reconnects += 1
            until = time.monotonic() + _backoff(attempt)
            attempt += 1
            while core.loaded and time.monotonic() < until:
                await asyncio.sleep(min(POLL_INTERVAL, max(0.0, until - time.monotonic())))
                try:
                    await self._poll_once()
                except Exception as error:  # noqa: BLE001
                    core.failed(error)
            if not core.loaded:
                await asyncio.sleep(max(0.0, until - time.monotonic()))

    async def _poll_once(self) -> None:
        core = self._core
        assert self._http is not None and self._ready is not None
        while core.took_page(
            await self._http.get(core.revocations_url, params=core.page_params(), headers=core._feed_headers)
        ):
            pass
        core.revocations.prune(time.time())
        if core.ready():
            self._ready.set()

    async def _stream(self) -> None:
        core = self._core
        assert self._http is not None
        async with self._http.stream(
            "GET", core.stream_url, headers=core.stream_headers(), timeout=_STREAM_TIMEOUT
        ) as r:
            core.stream_opened(r)
            parser = _SseParser()
            pruned = time.monotonic()
            async for line in r.aiter_lines():
                core.took_line(parser, line)
                if time.monotonic() - pruned >= 1.0:
                    core.revocations.prune(time.time())
                    pruned = time.monotonic()
        raise _FeedError("the stream ended")
