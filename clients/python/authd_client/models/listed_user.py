from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="ListedUser")


@_attrs_define
class ListedUser:
    """A user as the admin list shows it: the user, and which kinds of second
    factor they have.

        Attributes:
            id (str):
            email (str):
            email_verified (bool):
            roles (list[str]):
            disabled (bool):
            created_at (datetime.datetime):
            updated_at (datetime.datetime):
            factors (list[str]): The kinds of the user's confirmed second factors (`passkey`,
                `totp`), each once; empty: none.
            display_name (None | str | Unset):
            locale (None | str | Unset): The language of the account's mail (BCP 47); `null`: the server's
                default (`AUTH_DEFAULT_LOCALE`).
            last_login_at (datetime.datetime | None | Unset):
    """

    id: str
    email: str
    email_verified: bool
    roles: list[str]
    disabled: bool
    created_at: datetime.datetime
    updated_at: datetime.datetime
    factors: list[str]
    display_name: None | str | Unset = UNSET
    locale: None | str | Unset = UNSET
    last_login_at: datetime.datetime | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        email = self.email

        email_verified = self.email_verified

        roles = self.roles

        disabled = self.disabled

        created_at = self.created_at.isoformat()

        updated_at = self.updated_at.isoformat()

        factors = self.factors

        display_name: None | str | Unset
        if isinstance(self.display_name, Unset):
            display_name = UNSET
        else:
            display_name = self.display_name

        locale: None | str | Unset
        if isinstance(self.locale, Unset):
            locale = UNSET
        else:
            locale = self.locale

        last_login_at: None | str | Unset
        if isinstance(self.last_login_at, Unset):
            last_login_at = UNSET
        elif isinstance(self.last_login_at, datetime.datetime):
            last_login_at = self.last_login_at.isoformat()
        else:
            last_login_at = self.last_login_at

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "email": email,
                "email_verified": email_verified,
                "roles": roles,
                "disabled": disabled,
                "created_at": created_at,
                "updated_at": updated_at,
                "factors": factors,
            }
        )
        if display_name is not UNSET:
            field_dict["display_name"] = display_name
        if locale is not UNSET:
            field_dict["locale"] = locale
        if last_login_at is not UNSET:
            field_dict["last_login_at"] = last_login_at

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        id = d.pop("id")

        email = d.pop("email")

        email_verified = d.pop("email_verified")

        roles = cast(list[str], d.pop("roles"))

        disabled = d.pop("disabled")

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        updated_at = datetime.datetime.fromisoformat(d.pop("updated_at"))

        factors = cast(list[str], d.pop("factors"))

        def _parse_display_name(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        display_name = _parse_display_name(d.pop("display_name", UNSET))

        def _parse_locale(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        locale = _parse_locale(d.pop("locale", UNSET))

        def _parse_last_login_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                last_login_at_type_0 = datetime.datetime.fromisoformat(data)

                return last_login_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        last_login_at = _parse_last_login_at(d.pop("last_login_at", UNSET))

        listed_user = cls(
            id=id,
            email=email,
            email_verified=email_verified,
            roles=roles,
            disabled=disabled,
            created_at=created_at,
            updated_at=updated_at,
            factors=factors,
            display_name=display_name,
            locale=locale,
            last_login_at=last_login_at,
        )

        listed_user.additional_properties = d
        return listed_user

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
