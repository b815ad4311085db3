from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.mfa_factor_ref import MfaFactorRef


T = TypeVar("T", bound="MfaChallenge")


@_attrs_define
class MfaChallenge:
    """A correct password of a user with a second factor: no tokens yet.

    Example:
        {'factors': [{'id': '0192f5b8-6c4e-7d3a-9a51-3f1c2b7e8d91', 'type': 'totp'}], 'mfa_required': True, 'mfa_token':
            'q1w2e3…'}

    Attributes:
        mfa_required (bool): Always true.
        mfa_token (str): For `POST /v1/auth/mfa/verify`: single use, `AUTH_MFA_TOKEN_TTL` (300 s).
        factors (list[MfaFactorRef]):
    """

    mfa_required: bool
    mfa_token: str
    factors: list[MfaFactorRef]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        mfa_required = self.mfa_required

        mfa_token = self.mfa_token

        factors = []
        for factors_item_data in self.factors:
            factors_item = factors_item_data.to_dict()
            factors.append(factors_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "mfa_required": mfa_required,
                "mfa_token": mfa_token,
                "factors": factors,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.mfa_factor_ref import MfaFactorRef

        d = dict(src_dict)
        mfa_required = d.pop("mfa_required")

        mfa_token = d.pop("mfa_token")

        factors = []
        _factors = d.pop("factors")
        for factors_item_data in _factors:
            factors_item = MfaFactorRef.from_dict(factors_item_data)

            factors.append(factors_item)

        mfa_challenge = cls(
            mfa_required=mfa_required,
            mfa_token=mfa_token,
            factors=factors,
        )

        mfa_challenge.additional_properties = d
        return mfa_challenge

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
