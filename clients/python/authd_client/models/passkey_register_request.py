from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.passkey_register_request_credential import (
        PasskeyRegisterRequestCredential,
    )


T = TypeVar("T", bound="PasskeyRegisterRequest")


@_attrs_define
class PasskeyRegisterRequest:
    """A new passkey's registration response.

    Attributes:
        challenge_id (str):
        credential (PasskeyRegisterRequestCredential): The `PublicKeyCredential` from `navigator.credentials.create()`
            as
            JSON (binary fields base64url).
        name (None | str | Unset): A label for the list (at most 64 characters).
        end_other_sessions (bool | Unset): End every other session of the user (ASVS 7.4.3); this one stays.
    """

    challenge_id: str
    credential: PasskeyRegisterRequestCredential
    name: None | str | Unset = UNSET
    end_other_sessions: bool | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        challenge_id = self.challenge_id

        credential = self.credential.to_dict()

        name: None | str | Unset
        if isinstance(self.name, Unset):
            name = UNSET
        else:
            name = self.name

        end_other_sessions = self.end_other_sessions

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "challenge_id": challenge_id,
                "credential": credential,
            }
        )
        if name is not UNSET:
            field_dict["name"] = name
        if end_other_sessions is not UNSET:
            field_dict["end_other_sessions"] = end_other_sessions

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.passkey_register_request_credential import (
            PasskeyRegisterRequestCredential,
        )

        d = dict(src_dict)
        challenge_id = d.pop("challenge_id")

        credential = PasskeyRegisterRequestCredential.from_dict(d.pop("credential"))

        def _parse_name(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        name = _parse_name(d.pop("name", UNSET))

        end_other_sessions = d.pop("end_other_sessions", UNSET)

        passkey_register_request = cls(
            challenge_id=challenge_id,
            credential=credential,
            name=name,
            end_other_sessions=end_other_sessions,
        )

        passkey_register_request.additional_properties = d
        return passkey_register_request

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
