from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="PasskeyRegistered")


@_attrs_define
class PasskeyRegistered:
    """A registered passkey; `recovery_codes` (shown this once) when it is the
    user's first factor.

        Attributes:
            id (str):
            type_ (str): `totp` or `passkey`.
            created_at (datetime.datetime):
            name (None | str | Unset):
            last_used_at (datetime.datetime | None | Unset):
            recovery_codes (list[str] | None | Unset):
    """

    id: str
    type_: str
    created_at: datetime.datetime
    name: None | str | Unset = UNSET
    last_used_at: datetime.datetime | None | Unset = UNSET
    recovery_codes: list[str] | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        type_ = self.type_

        created_at = self.created_at.isoformat()

        name: None | str | Unset
        if isinstance(self.name, Unset):
            name = UNSET
        else:
            name = self.name

        last_used_at: None | str | Unset
        if isinstance(self.last_used_at, Unset):
            last_used_at = UNSET
        elif isinstance(self.last_used_at, datetime.datetime):
            last_used_at = self.last_used_at.isoformat()
        else:
            last_used_at = self.last_used_at

        recovery_codes: list[str] | None | Unset
        if isinstance(self.recovery_codes, Unset):
            recovery_codes = UNSET
        elif isinstance(self.recovery_codes, list):
            recovery_codes = self.recovery_codes

        else:
            recovery_codes = self.recovery_codes

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "type": type_,
                "created_at": created_at,
            }
        )
        if name is not UNSET:
            field_dict["name"] = name
        if last_used_at is not UNSET:
            field_dict["last_used_at"] = last_used_at
        if recovery_codes is not UNSET:
            field_dict["recovery_codes"] = recovery_codes

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        id = d.pop("id")

        type_ = d.pop("type")

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        def _parse_name(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        name = _parse_name(d.pop("name", UNSET))

        def _parse_last_used_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                last_used_at_type_0 = datetime.datetime.fromisoformat(data)

                return last_used_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        last_used_at = _parse_last_used_at(d.pop("last_used_at", UNSET))

        def _parse_recovery_codes(data: object) -> list[str] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                recovery_codes_type_0 = cast(list[str], data)

                return recovery_codes_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[str] | None | Unset, data)

        recovery_codes = _parse_recovery_codes(d.pop("recovery_codes", UNSET))

        passkey_registered = cls(
            id=id,
            type_=type_,
            created_at=created_at,
            name=name,
            last_used_at=last_used_at,
            recovery_codes=recovery_codes,
        )

        passkey_registered.additional_properties = d
        return passkey_registered

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
