from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.user import User


T = TypeVar("T", bound="BrowserTokenPair")


@_attrs_define
class BrowserTokenPair:
    """A token pair in browser mode (`X-Authd-Transport: cookie`): the refresh
    token travels in the `__Host-authd_refresh` cookie instead. No other
    field may appear (`additionalProperties: false`), so exactly one branch
    of `TokenResponse` matches any answer.

        Attributes:
            access_token (str):
            token_type (str): Always `Bearer`.
            expires_in (int): Seconds until the access token expires.
            refresh_expires_in (int): Seconds until the refresh token (the cookie) expires.
            user (User):  Example: {'created_at': '2026-11-28T12:00:00Z', 'disabled': False, 'display_name': None, 'email':
                'a@example.com', 'email_verified': True, 'id': '0192f5b8-6c4e-7d3a-9a51-3f1c2b7e8d90', 'last_login_at':
                '2026-11-28T12:05:00Z', 'roles': ['viewer'], 'updated_at': '2026-11-28T12:00:00Z'}.
    """

    access_token: str
    token_type: str
    expires_in: int
    refresh_expires_in: int
    user: User

    def to_dict(self) -> dict[str, Any]:
        access_token = self.access_token

        token_type = self.token_type

        expires_in = self.expires_in

        refresh_expires_in = self.refresh_expires_in

        user = self.user.to_dict()

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "access_token": access_token,
                "token_type": token_type,
                "expires_in": expires_in,
                "refresh_expires_in": refresh_expires_in,
                "user": user,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.user import User

        d = dict(src_dict)
        access_token = d.pop("access_token")

        token_type = d.pop("token_type")

        expires_in = d.pop("expires_in")

        refresh_expires_in = d.pop("refresh_expires_in")

        user = User.from_dict(d.pop("user"))

        browser_token_pair = cls(
            access_token=access_token,
            token_type=token_type,
            expires_in=expires_in,
            refresh_expires_in=refresh_expires_in,
            user=user,
        )

        return browser_token_pair
