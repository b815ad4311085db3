from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="OAuthCallbackRequest")


@_attrs_define
class OAuthCallbackRequest:
    """
    Example:
        {'code': 'SplxlOBeZQQYbYS6WxSbIA', 'state': 'af0ifjsldkj'}

    Attributes:
        code (str): `code` from the redirect's query string.
        state (str): `state` from the redirect's query string.
        iss (None | str | Unset): `iss` from the redirect's query string, when the provider sends it
            (RFC 9207): it must be the provider's issuer.
    """

    code: str
    state: str
    iss: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        code = self.code

        state = self.state

        iss: None | str | Unset
        if isinstance(self.iss, Unset):
            iss = UNSET
        else:
            iss = self.iss

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "code": code,
                "state": state,
            }
        )
        if iss is not UNSET:
            field_dict["iss"] = iss

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        code = d.pop("code")

        state = d.pop("state")

        def _parse_iss(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        iss = _parse_iss(d.pop("iss", UNSET))

        o_auth_callback_request = cls(
            code=code,
            state=state,
            iss=iss,
        )

        o_auth_callback_request.additional_properties = d
        return o_auth_callback_request

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
