from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="MfaCodeRequest")


@_attrs_define
class MfaCodeRequest:
    """
    Example:
        {'code': '123456'}

    Attributes:
        code (str): The 6-digit code the authenticator app shows now.
        end_other_sessions (bool | Unset): End every other session of the user (ASVS 7.4.3); this one stays.
    """

    code: str
    end_other_sessions: bool | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        code = self.code

        end_other_sessions = self.end_other_sessions

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "code": code,
            }
        )
        if end_other_sessions is not UNSET:
            field_dict["end_other_sessions"] = end_other_sessions

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        code = d.pop("code")

        end_other_sessions = d.pop("end_other_sessions", UNSET)

        mfa_code_request = cls(
            code=code,
            end_other_sessions=end_other_sessions,
        )

        mfa_code_request.additional_properties = d
        return mfa_code_request

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
