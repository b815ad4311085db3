"""`AuthdClient` (sync) and `AsyncAuthdClient` (asyncio): a small hand-written
wrapper over authd's HTTP API, beside the generated `authd_client`.

They keep the token pair in memory (`on_tokens` is told of every change, to
persist it; `tokens=` restores one). A call that needs the bearer token and
answers 401 `token_expired` or `unauthorized` refreshes the pair once and is
retried once; `login` and `refresh` are never retried. Error answers raise
the typed errors of `authd.errors`; a login that needs a second factor
raises `MfaRequired`. Results are the generated models (`User`, `TokenPair`).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

import httpx
from authd_client.models import Accepted, MfaChallenge, TokenPair, User

from .errors import AuthdError, MfaRequired, error_for

TokensCallback = Callable[[TokenPair | None], None]
RETRY_CODES = frozenset({"token_expired", "unauthorized"})


def _json(response: httpx.Response) -> Any:
    try:
        return response.json() if response.content else None
    except ValueError:
        return None


def _checked(response: httpx.Response) -> Any:
    """The JSON body of a 2xx answer; a typed error otherwise."""
    body = _json(response)
    if response.is_success:
        return body
    raise error_for(response.status_code, body, response.headers, f"authd answered {response.status_code} {response.reason_phrase}".strip())


def _wants_refresh(response: httpx.Response) -> bool:
    if response.status_code != 401:
        return False
    body = _json(response)
    return isinstance(body, dict) and body.get("code") in RETRY_CODES


def _login_result(body: Any) -> TokenPair:
    if isinstance(body, dict) and body.get("mfa_required"):
        raise MfaRequired(MfaChallenge.from_dict(body))
    return TokenPair.from_dict(body)


def _email_login_body(token: str | None, email: str | None, code: str | None) -> dict[str, str]:
    if token is not None and email is None and code is None:
        return {"token": token}
    if token is None and email is not None and code is not None:
        return {"email": email, "code": code}
    raise ValueError("give either token, or email and code")


def _changes(display_name: str | None, locale: str | None) -> dict[str, str]:
    body = {}
    if display_name is not None:
        body["display_name"] = display_name
    if locale is not None:
        body["locale"] = locale
    return body


def _start_body(email: str, locale: str | None) -> dict[str, str]:
    body = {"email": email}
    if locale is not None:
        body["locale"] = locale
    return body


def _mfa_body(mfa_token: str, code: str | None, recovery_code: str | None) -> dict[str, str]:
    if (code is None) == (recovery_code is None):
        raise ValueError("give exactly one of code and recovery_code")
    if code is not None:
        return {"mfa_token": mfa_token, "code": code}
    return {"mfa_token": mfa_token, "recovery_code": recovery_code or ""}


class _Tokens:
    """The pair and its listener, shared by both clients."""

    def __init__(self, tokens: TokenPair | None, on_tokens: TokensCallback | None) -> None:
        self._tokens = tokens
        self._on_tokens = on_tokens

    @property
    def tokens(self) -> TokenPair | None:
        """The current pair, or None when logged out."""
        return self._tokens

    def set_tokens(self, tokens: TokenPair | None) -> None:
        """Replace the pair (restore it from storage; None forgets it)."""
        self._tokens = tokens
        if self._on_tokens is not None:
            self._on_tokens(tokens)

    def _bearer(self) -> dict[str, str]:
        if self._tokens is None:
            raise AuthdError(401, None, "not logged in: no access token")
        return {"authorization": f"Bearer {self._tokens.access_token}"}

    def _refresh_body(self) -> dict[str, str]:
        if self._tokens is None:
            raise AuthdError(401, None, "not logged in: no refresh token")
        return {"refresh_token": self._tokens.refresh_token}


class AuthdClient(_Tokens):
    """The synchronous client. Use it as a context manager, or call `close()`.

    `http` may be an `httpx.Client` of your own (proxies, timeouts, a test
    transport); its `base_url` is then used and `base_url` may be omitted.
    """

    def __init__(
        self,
        base_url: str = "",
        *,
        tokens: TokenPair | None = None,
        on_tokens: TokensCallback | None = None,
        timeout: float = 10.0,
        http: httpx.Client | None = None,
    ) -> None:
        super().__init__(tokens, on_tokens)
        if http is None and not base_url:
            raise ValueError("AuthdClient: base_url is required")
        self._http = http or httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout)
        self._lock = threading.Lock()

    def __enter__(self) -> AuthdClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def _post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        return _checked(self._http.post(path, json=body))

    def _authed(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        sent_with = self._tokens
        response = self._http.request(method, path, json=body, headers=self._bearer())
        if _wants_refresh(response):
            with self._lock:
                # Another thread may have refreshed meanwhile: use its pair.
                if self._tokens is sent_with:
                    self.refresh()
            response = self._http.request(method, path, json=body, headers=self._bearer())
        return _checked(response)

    def register(
        self, email: str, password: str, display_name: str | None = None, locale: str | None = None
    ) -> Accepted:
        """`POST /v1/auth/register` → 202 `verification_sent` (also for a taken email).

        `locale` (BCP 47) is the language of the user's mail; without it authd
        takes the request's `Accept-Language`, then its default."""
        body = {"email": email, "password": password, **_changes(display_name, locale)}
        return Accepted.from_dict(self._post("/v1/auth/register", body))

    def verify_email(self, token: str) -> User:
        """`POST /v1/auth/verify-email` with the token of the mailed link → the user."""
        return User.from_dict(self._post("/v1/auth/verify-email", {"token": token}))

    def login(self, email: str, password: str) -> TokenPair:
        """`POST /v1/auth/login`; keeps the pair. Raises `MfaRequired` for an
        account with a second factor: finish with `verify_mfa`."""
        pair = _login_result(self._post("/v1/auth/login", {"email": email, "password": password}))
        self.set_tokens(pair)
        return pair

    def start_email_login(self, email: str, locale: str | None = None) -> Accepted:
        """`POST /v1/auth/email-login/start`: one mail with a sign-in link (the
        token in the URL fragment) and a 6-digit code → 202 `email_sent`,
        whatever the address."""
        return Accepted.from_dict(self._post("/v1/auth/email-login/start", _start_body(email, locale)))

    def verify_email_login(
        self, *, token: str | None = None, email: str | None = None, code: str | None = None
    ) -> TokenPair:
        """`POST /v1/auth/email-login/verify` with the link's `token`, or the
        `email` and the mailed `code`; keeps the pair. Raises `MfaRequired`
        for an account with a second factor."""
        body = _email_login_body(token, email, code)
        pair = _login_result(self._post("/v1/auth/email-login/verify", body))
        self.set_tokens(pair)
        return pair

    def verify_mfa(self, mfa_token: str, *, code: str | None = None, recovery_code: str | None = None) -> TokenPair:
        """`POST /v1/auth/mfa/verify` with a TOTP `code` or a `recovery_code`; keeps the pair."""
        pair = TokenPair.from_dict(self._post("/v1/auth/mfa/verify", _mfa_body(mfa_token, code, recovery_code)))
        self.set_tokens(pair)
        return pair

    def refresh(self) -> TokenPair:
        """`POST /v1/auth/refresh`; keeps the new pair. A 401 forgets the pair."""
        try:
            pair = TokenPair.from_dict(self._post("/v1/auth/refresh", self._refresh_body()))
        except AuthdError as e:
            if e.status == 401:
                self.set_tokens(None)
            raise
        self.set_tokens(pair)
        return pair

    def me(self) -> User:
        """`GET /v1/me` → the caller."""
        return User.from_dict(self._authed("GET", "/v1/me"))

    def update_me(self, *, display_name: str | None = None, locale: str | None = None) -> User:
        """`PATCH /v1/me` with the fields given (at least one) → the caller."""
        return User.from_dict(self._authed("PATCH", "/v1/me", _changes(display_name, locale)))

    def logout(self) -> None:
        """`POST /v1/auth/logout`: ends this session and forgets the pair."""
        self._authed("POST", "/v1/auth/logout")
        self.set_tokens(None)

    def logout_all(self) -> None:
        """`POST /v1/auth/logout-all`: ends every session of the user."""
        self._authed("POST", "/v1/auth/logout-all")
        self.set_tokens(None)


class AsyncAuthdClient(_Tokens):
    """The asyncio client: the same calls as `AuthdClient`, awaited. Use it as
    an async context manager, or call `await aclose()`."""

    def __init__(
        self,
        base_url: str = "",
        *,
        tokens: TokenPair | None = None,
        on_tokens: TokensCallback | None = None,
        timeout: float = 10.0,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        super().__init__(tokens, on_tokens)
        if http is None and not base_url:
            raise ValueError("AsyncAuthdClient: base_url is required")
        self._http = http or httpx.AsyncClient(base_url=base_url.rstrip("/"), timeout=timeout)
        self._lock = asyncio.Lock()

    async def __aenter__(self) -> AsyncAuthdClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        return _checked(await self._http.post(path, json=body))

    async def _authed(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        sent_with = self._tokens
        response = await self._http.request(method, path, json=body, headers=self._bearer())
        if _wants_refresh(response):
            async with self._lock:
                # Concurrent calls share one refresh (refresh tokens are single use).
                if self._tokens is sent_with:
                    await self.refresh()
            response = await self._http.request(method, path, json=body, headers=self._bearer())
        return _checked(response)

    async def register(
        self, email: str, password: str, display_name: str | None = None, locale: str | None = None
    ) -> Accepted:
        body = {"email": email, "password": password, **_changes(display_name, locale)}
        return Accepted.from_dict(await self._post("/v1/auth/register", body))

    async def verify_email(self, token: str) -> User:
        return User.from_dict(await self._post("/v1/auth/verify-email", {"token": token}))

    async def login(self, email: str, password: str) -> TokenPair:
        pair = _login_result(await self._post("/v1/auth/login", {"email": email, "password": password}))
        self.set_tokens(pair)
        return pair

    async def start_email_login(self, email: str, locale: str | None = None) -> Accepted:
        return Accepted.from_dict(await self._post("/v1/auth/email-login/start", _start_body(email, locale)))

    async def verify_email_login(
        self, *, token: str | None = None, email: str | None = None, code: str | None = None
    ) -> TokenPair:
        body = _email_login_body(token, email, code)
        pair = _login_result(await self._post("/v1/auth/email-login/verify", body))
        self.set_tokens(pair)
        return pair

    async def verify_mfa(
        self, mfa_token: str, *, code: str | None = None, recovery_code: str | None = None
    ) -> TokenPair:
        body = _mfa_body(mfa_token, code, recovery_code)
        pair = TokenPair.from_dict(await self._post("/v1/auth/mfa/verify", body))
        self.set_tokens(pair)
        return pair

    async def refresh(self) -> TokenPair:
        try:
            pair = TokenPair.from_dict(await self._post("/v1/auth/refresh", self._refresh_body()))
        except AuthdError as e:
            if e.status == 401:
                self.set_tokens(None)
            raise
        self.set_tokens(pair)
        return pair

    async def me(self) -> User:
        return User.from_dict(await self._authed("GET", "/v1/me"))

    async def update_me(self, *, display_name: str | None = None, locale: str | None = None) -> User:
        return User.from_dict(await self._authed("PATCH", "/v1/me", _changes(display_name, locale)))

    async def logout(self) -> None:
        await self._authed("POST", "/v1/auth/logout")
        self.set_tokens(None)

    async def logout_all(self) -> None:
        await self._authed("POST", "/v1/auth/logout-all")
        self.set_tokens(None)
