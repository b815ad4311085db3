"""Typed errors for authd's problem answers (RFC 9457, a stable `code`).

Every non-2xx answer raises an `AuthdError`; its subclass says which kind
(`InvalidCredentials`, `AccountLocked`, `ValidationFailed`, ...), and
`.code`, `.status`, `.detail` and `.problem` (the whole document) carry the
rest. The codes are listed in the book, docs/reference/errors.md.
"""

from __future__ import annotations

from typing import Any

from authd_client.models import MfaChallenge, MfaFactorRef


class AuthdError(Exception):
    """An error answer of authd, or a transport failure (`status` 0, no code)."""

    def __init__(self, status: int, problem: dict[str, Any] | None, fallback: str = "") -> None:
        self.status = status
        self.problem: dict[str, Any] = problem or {}
        self.code: str | None = self.problem.get("code")
        self.detail: str = self.problem.get("detail") or fallback
        super().__init__(f"{status} {self.code}: {self.detail}" if self.code else (fallback or f"authd answered {status}"))


class MalformedRequest(AuthdError):
    """400 `malformed_request`."""


class ValidationFailed(AuthdError):
    """422 `validation_failed`: `.errors` maps each failing field to its messages."""

    @property
    def errors(self) -> dict[str, list[str]]:
        return self.problem.get("errors") or {}


class Unauthorized(AuthdError):
    """401 `unauthorized`: no valid bearer token (the client refreshes once first)."""


class InvalidCredentials(AuthdError):
    """401 `invalid_credentials`: wrong email or password."""


class InvalidMfaCode(AuthdError):
    """401 (422 when enrolling) `invalid_mfa_code`."""


class TokenError(AuthdError):
    """`invalid_token`, `token_expired`, `token_used`: 401 for access and
    refresh tokens, 400 for one-time (mail link) tokens."""


class SessionEnded(AuthdError):
    """401 `session_revoked` or `refresh_token_reused`: log in again."""


class EmailNotVerified(AuthdError):
    """403 `email_not_verified`."""


class AccountDisabled(AuthdError):
    """403 `account_disabled`."""


class Forbidden(AuthdError):
    """403 `forbidden`, `mfa_required` (step-up) or `reauthentication_required`."""


class NotFound(AuthdError):
    """404 `not_found`."""


class Conflict(AuthdError):
    """409 `conflict` or `account_exists`."""


class AccountLocked(AuthdError):
    """429 `account_locked`: `.retry_after` seconds, until `.locked_until`."""

    @property
    def retry_after(self) -> int | None:
        return self.problem.get("retry_after")

    @property
    def locked_until(self) -> str | None:
        return self.problem.get("locked_until")


class RateLimited(AuthdError):
    """429 `rate_limited`: `.retry_after` seconds (the `Retry-After` header)."""

    retry_after: int | None = None


class ServiceUnavailable(AuthdError):
    """503 `service_unavailable`: try again in a moment (`Retry-After: 1`)."""


class InternalError(AuthdError):
    """500 `internal_error`: `.error_id` is in the server log next to the cause."""

    @property
    def error_id(self) -> str | None:
        return self.problem.get("error_id")


_BY_CODE: dict[str, type[AuthdError]] = {
    "malformed_request": MalformedRequest,
    "payload_too_large": MalformedRequest,
    "unsupported_media_type": MalformedRequest,
    "method_not_allowed": MalformedRequest,
    "oauth_failed": MalformedRequest,
    "validation_failed": ValidationFailed,
    "unauthorized": Unauthorized,
    "invalid_credentials": InvalidCredentials,
    "invalid_mfa_code": InvalidMfaCode,
    "invalid_token": TokenError,
    "token_expired": TokenError,
    "token_used": TokenError,
    "session_revoked": SessionEnded,
    "refresh_token_reused": SessionEnded,
    "email_not_verified": EmailNotVerified,
    "account_disabled": AccountDisabled,
    "forbidden": Forbidden,
    "mfa_required": Forbidden,
    "reauthentication_required": Forbidden,
    "not_found": NotFound,
    "conflict": Conflict,
    "account_exists": Conflict,
    "account_locked": AccountLocked,
    "rate_limited": RateLimited,
    "service_unavailable": ServiceUnavailable,
    "internal_error": InternalError,
}


def error_for(status: int, body: Any, headers: Any = None, fallback: str = "") -> AuthdError:
    """The typed error for an answer (its JSON body already decoded, or None)."""
    problem = body if isinstance(body, dict) and isinstance(body.get("code"), str) else None
    cls = _BY_CODE.get(problem["code"], AuthdError) if problem else AuthdError
    error = cls(status, problem, fallback or f"authd answered {status}")
    if isinstance(error, RateLimited) and headers is not None:
        retry = headers.get("retry-after")
        error.retry_after = int(retry) if retry and retry.isdigit() else None
    return error


class MfaRequired(Exception):
    """The password was right and the account has a second factor: finish
    with `verify_mfa(e.mfa_token, code=...)` (or `recovery_code=...`)."""

    def __init__(self, challenge: MfaChallenge) -> None:
        self.mfa_token: str = challenge.mfa_token
        self.factors: list[MfaFactorRef] = challenge.factors
        super().__init__("a second factor is required: call verify_mfa with the mfa_token")
