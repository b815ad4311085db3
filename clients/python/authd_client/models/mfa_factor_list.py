from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.mfa_factor import MfaFactor


T = TypeVar("T", bound="MfaFactorList")


@_attrs_define
class MfaFactorList:
    """
    Attributes:
        factors (list[MfaFactor]): Confirmed factors, oldest first.
        recovery_codes_remaining (int): Unspent recovery codes.
    """

    factors: list[MfaFactor]
    recovery_codes_remaining: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        factors = []
        for factors_item_data in self.factors:
            factors_item = factors_item_data.to_dict()
            factors.append(factors_item)

        recovery_codes_remaining = self.recovery_codes_remaining

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "factors": factors,
                "recovery_codes_remaining": recovery_codes_remaining,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.mfa_factor import MfaFactor

        d = dict(src_dict)
        factors = []
        _factors = d.pop("factors")
        for factors_item_data in _factors:
            factors_item = MfaFactor.from_dict(factors_item_data)

            factors.append(factors_item)

        recovery_codes_remaining = d.pop("recovery_codes_remaining")

        mfa_factor_list = cls(
            factors=factors,
            recovery_codes_remaining=recovery_codes_remaining,
        )

        mfa_factor_list.additional_properties = d
        return mfa_factor_list

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
