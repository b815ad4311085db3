from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="RevokedSessionEntry")


@_attrs_define
class RevokedSessionEntry:
    """A revoked session: its access tokens are refused.

    Attributes:
        sid (str):
        sub (str):
        revoked_at (datetime.datetime):
        reason (str): `logout`, `logout_all`, `password_changed`, `password_reset`,
            `disabled`, `deleted`, `reuse`, `admin`, `session_limit`, `takeover`.
    """

    sid: str
    sub: str
    revoked_at: datetime.datetime
    reason: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        sid = self.sid

        sub = self.sub

        revoked_at = self.revoked_at.isoformat()

        reason = self.reason

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "sid": sid,
                "sub": sub,
                "revoked_at": revoked_at,
                "reason": reason,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        sid = d.pop("sid")

        sub = d.pop("sub")

        revoked_at = datetime.datetime.fromisoformat(d.pop("revoked_at"))

        reason = d.pop("reason")

        revoked_session_entry = cls(
            sid=sid,
            sub=sub,
            revoked_at=revoked_at,
            reason=reason,
        )

        revoked_session_entry.additional_properties = d
        return revoked_session_entry

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
