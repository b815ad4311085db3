from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.pending_email import PendingEmail


T = TypeVar("T", bound="EmailStatus")


@_attrs_define
class EmailStatus:
    """The caller's address, and a change of it waiting for confirmation.

    Example:
        {'email': 'a@example.com', 'email_verified': True, 'pending': {'email': 'new@example.com', 'expires_at':
            '2026-11-29T12:00:00Z'}}

    Attributes:
        email (str):
        email_verified (bool):
        pending (None | PendingEmail | Unset):
    """

    email: str
    email_verified: bool
    pending: None | PendingEmail | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.pending_email import PendingEmail

        email = self.email

        email_verified = self.email_verified

        pending: dict[str, Any] | None | Unset
        if isinstance(self.pending, Unset):
            pending = UNSET
        elif isinstance(self.pending, PendingEmail):
            pending = self.pending.to_dict()
        else:
            pending = self.pending

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "email": email,
                "email_verified": email_verified,
            }
        )
        if pending is not UNSET:
            field_dict["pending"] = pending

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.pending_email import PendingEmail

        d = dict(src_dict)
        email = d.pop("email")

        email_verified = d.pop("email_verified")

        def _parse_pending(data: object) -> None | PendingEmail | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                pending_type_0 = PendingEmail.from_dict(data)

                return pending_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | PendingEmail | Unset, data)

        pending = _parse_pending(d.pop("pending", UNSET))

        email_status = cls(
            email=email,
            email_verified=email_verified,
            pending=pending,
        )

        email_status.additional_properties = d
        return email_status

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
