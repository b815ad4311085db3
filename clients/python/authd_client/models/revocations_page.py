from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.revoked_session_entry import RevokedSessionEntry
    from ..models.valid_after_entry import ValidAfterEntry


T = TypeVar("T", bound="RevocationsPage")


@_attrs_define
class RevocationsPage:
    """One answer of `GET /v1/revocations`.

    Example:
        {'cursor': 'c.1796644802000', 'has_more': False, 'max_age': 905, 'sessions': [{'reason': 'logout', 'revoked_at':
            '2026-12-07T12:00:00.123Z', 'sid': '0193b3c4-6f1e-7d2a-9c1b-2f4e5a6b7c8d', 'sub':
            '0193b3c4-5e0d-7c19-8b0a-1e3d4c5b6a79'}], 'users': [{'sub': '0193b3c4-5e0d-7c19-8b0a-1e3d4c5b6a79',
            'valid_after': '2026-12-07T12:00:01.456Z'}]}

    Attributes:
        sessions (list[RevokedSessionEntry]):
        users (list[ValidAfterEntry]):
        cursor (str): Pass as `since` (or `Last-Event-ID`) to continue.
        max_age (int): Seconds an entry stays listed: the access-token lifetime plus the
            verification leeway (older tokens are dead anyway).
        has_more (bool): More entries wait: ask again with `cursor` at once.
    """

    sessions: list[RevokedSessionEntry]
    users: list[ValidAfterEntry]
    cursor: str
    max_age: int
    has_more: bool
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        sessions = []
        for sessions_item_data in self.sessions:
            sessions_item = sessions_item_data.to_dict()
            sessions.append(sessions_item)

        users = []
        for users_item_data in self.users:
            users_item = users_item_data.to_dict()
            users.append(users_item)

        cursor = self.cursor

        max_age = self.max_age

        has_more = self.has_more

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "sessions": sessions,
                "users": users,
                "cursor": cursor,
                "max_age": max_age,
                "has_more": has_more,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.revoked_session_entry import RevokedSessionEntry
        from ..models.valid_after_entry import ValidAfterEntry

        d = dict(src_dict)
        sessions = []
        _sessions = d.pop("sessions")
        for sessions_item_data in _sessions:
            sessions_item = RevokedSessionEntry.from_dict(sessions_item_data)

            sessions.append(sessions_item)

        users = []
        _users = d.pop("users")
        for users_item_data in _users:
            users_item = ValidAfterEntry.from_dict(users_item_data)

            users.append(users_item)

        cursor = d.pop("cursor")

        max_age = d.pop("max_age")

        has_more = d.pop("has_more")

        revocations_page = cls(
            sessions=sessions,
            users=users,
            cursor=cursor,
            max_age=max_age,
            has_more=has_more,
        )

        revocations_page.additional_properties = d
        return revocations_page

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
