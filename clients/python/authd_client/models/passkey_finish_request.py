from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.passkey_finish_request_credential import (
        PasskeyFinishRequestCredential,
    )


T = TypeVar("T", bound="PasskeyFinishRequest")


@_attrs_define
class PasskeyFinishRequest:
    """The authenticator's answer to a ceremony.

    Attributes:
        challenge_id (str):
        credential (PasskeyFinishRequestCredential): The `PublicKeyCredential` as JSON (binary fields base64url).
    """

    challenge_id: str
    credential: PasskeyFinishRequestCredential
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        challenge_id = self.challenge_id

        credential = self.credential.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "challenge_id": challenge_id,
                "credential": credential,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.passkey_finish_request_credential import (
            PasskeyFinishRequestCredential,
        )

        d = dict(src_dict)
        challenge_id = d.pop("challenge_id")

        credential = PasskeyFinishRequestCredential.from_dict(d.pop("credential"))

        passkey_finish_request = cls(
            challenge_id=challenge_id,
            credential=credential,
        )

        passkey_finish_request.additional_properties = d
        return passkey_finish_request

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
