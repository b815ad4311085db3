from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.user import User


T = TypeVar("T", bound="TokenPair")


@_attrs_define
class TokenPair:
    """
    Example:
        {'access_token': 'eyJhbGciOiJFZERTQSIs…', 'expires_in': 900, 'refresh_expires_in': 2592000, 'refresh_token':
            'eyJhbGciOiJFZERTQSIs…', 'token_type': 'Bearer', 'user': {'created_at': '2026-11-28T12:00:00Z', 'disabled':
            False, 'display_name': None, 'email': 'a@example.com', 'email_verified': True, 'id':
            '0192f5b8-6c4e-7d3a-9a51-3f1c2b7e8d90', 'last_login_at': '2026-11-28T12:05:00Z', 'roles': ['viewer'],
            'updated_at': '2026-11-28T12:00:00Z'}}

    Attributes:
        access_token (str):
        refresh_token (str):
        token_type (str): Always `Bearer`.
        expires_in (int): Seconds until the access token expires.
        refresh_expires_in (int): Seconds until the refresh token expires.
        user (User):  Example: {'created_at': '2026-11-28T12:00:00Z', 'disabled': False, 'display_name': None, 'email':
            'a@example.com', 'email_verified': True, 'id': '0192f5b8-6c4e-7d3a-9a51-3f1c2b7e8d90', 'last_login_at':
            '2026-11-28T12:05:00Z', 'roles': ['viewer'], 'updated_at': '2026-11-28T12:00:00Z'}.
    """

    access_token: str
    refresh_token: str
    token_type: str
    expires_in: int
    refresh_expires_in: int
    user: User
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        access_token = self.access_token

        refresh_token = self.refresh_token

        token_type = self.token_type

        expires_in = self.expires_in

        refresh_expires_in = self.refresh_expires_in

        user = self.user.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "access_token": access_token,
                "refresh_token": refresh_token,
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

        refresh_token = d.pop("refresh_token")

        token_type = d.pop("token_type")

        expires_in = d.pop("expires_in")

        refresh_expires_in = d.pop("refresh_expires_in")

        user = User.from_dict(d.pop("user"))

        token_pair = cls(
            access_token=access_token,
            refresh_token=refresh_token,
            token_type=token_type,
            expires_in=expires_in,
            refresh_expires_in=refresh_expires_in,
            user=user,
        )

        token_pair.additional_properties = d
        return token_pair

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
