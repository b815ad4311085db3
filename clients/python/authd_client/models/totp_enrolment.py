from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="TotpEnrolment")


@_attrs_define
class TotpEnrolment:
    """A TOTP factor waiting for its first code.

    Example:
        {'factor_id': '0192f5b8-6c4e-7d3a-9a51-3f1c2b7e8d91', 'otpauth_uri': 'otpauth://totp/authd:a@example.com?secret=
            JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=authd&algorithm=SHA1&digits=6&period=30', 'secret':
            'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP'}

    Attributes:
        factor_id (str):
        secret (str): The secret in base32, for typing into an authenticator app.
        otpauth_uri (str): The same as an `otpauth://` URI (show it as a QR code).
    """

    factor_id: str
    secret: str
    otpauth_uri: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        factor_id = self.factor_id

        secret = self.secret

        otpauth_uri = self.otpauth_uri

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "factor_id": factor_id,
                "secret": secret,
                "otpauth_uri": otpauth_uri,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        factor_id = d.pop("factor_id")

        secret = d.pop("secret")

        otpauth_uri = d.pop("otpauth_uri")

        totp_enrolment = cls(
            factor_id=factor_id,
            secret=secret,
            otpauth_uri=otpauth_uri,
        )

        totp_enrolment.additional_properties = d
        return totp_enrolment

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
