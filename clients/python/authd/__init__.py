"""authd's hand-written Python client: `AuthdClient` (sync) and
`AsyncAuthdClient` (asyncio), over the generated `authd_client` models.

    from authd import AuthdClient, MfaRequired, InvalidCredentials

    with AuthdClient("http://127.0.0.1:8080") as authd:
        authd.login("ada@example.com", "correct-Horse-battery-9")
        print(authd.me().email)   # a 401 token_expired refreshes once, then retries
"""

from .client import AsyncAuthdClient, AuthdClient
from .errors import (
    AccountDisabled,
    AccountLocked,
    AuthdError,
    Conflict,
    EmailNotVerified,
    Forbidden,
    InternalError,
    InvalidCredentials,
    InvalidMfaCode,
    MalformedRequest,
    MfaRequired,
    NotFound,
    RateLimited,
    ServiceUnavailable,
    SessionEnded,
    TokenError,
    Unauthorized,
    ValidationFailed,
)

__all__ = [
    "AccountDisabled",
    "AccountLocked",
    "AsyncAuthdClient",
    "AuthdClient",
    "AuthdError",
    "Conflict",
    "EmailNotVerified",
    "Forbidden",
    "InternalError",
    "InvalidCredentials",
    "InvalidMfaCode",
    "MalformedRequest",
    "MfaRequired",
    "NotFound",
    "RateLimited",
    "ServiceUnavailable",
    "SessionEnded",
    "TokenError",
    "Unauthorized",
    "ValidationFailed",
]
