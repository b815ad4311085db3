from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.problem_errors_type_0 import ProblemErrorsType0


T = TypeVar("T", bound="Problem")


@_attrs_define
class Problem:
    """The problem document, as the contract shows it (and as OpenAPI documents
    every error).

        Example:
            {'code': 'invalid_credentials', 'detail': 'email or password is incorrect', 'status': 401, 'title':
                'Unauthorized', 'type': 'about:blank'}

        Attributes:
            type_ (str):
            title (str):
            status (int):
            detail (str):
            code (str): Stable machine-readable error code (API.md §8).
            errors (None | ProblemErrorsType0 | Unset): Field errors of a 422: field name → messages.
            error_id (None | str | Unset): Correlation id of a 500, also in the server log.
            retry_after (int | None | Unset): `account_locked` only: seconds until the lock ends, as in `Retry-After`.
                Example: 840.
            locked_until (None | str | Unset): `account_locked` only: when the lock ends (RFC 3339, UTC). Example:
                2026-01-01T12:15:00Z.
    """

    type_: str
    title: str
    status: int
    detail: str
    code: str
    errors: None | ProblemErrorsType0 | Unset = UNSET
    error_id: None | str | Unset = UNSET
    retry_after: int | None | Unset = UNSET
    locked_until: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.problem_errors_type_0 import ProblemErrorsType0

        type_ = self.type_

        title = self.title

        status = self.status

        detail = self.detail

        code = self.code

        errors: dict[str, Any] | None | Unset
        if isinstance(self.errors, Unset):
            errors = UNSET
        elif isinstance(self.errors, ProblemErrorsType0):
            errors = self.errors.to_dict()
        else:
            errors = self.errors

        error_id: None | str | Unset
        if isinstance(self.error_id, Unset):
            error_id = UNSET
        else:
            error_id = self.error_id

        retry_after: int | None | Unset
        if isinstance(self.retry_after, Unset):
            retry_after = UNSET
        else:
            retry_after = self.retry_after

        locked_until: None | str | Unset
        if isinstance(self.locked_until, Unset):
            locked_until = UNSET
        else:
            locked_until = self.locked_until

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "type": type_,
                "title": title,
                "status": status,
                "detail": detail,
                "code": code,
            }
        )
        if errors is not UNSET:
            field_dict["errors"] = errors
        if error_id is not UNSET:
            field_dict["error_id"] = error_id
        if retry_after is not UNSET:
            field_dict["retry_after"] = retry_after
        if locked_until is not UNSET:
            field_dict["locked_until"] = locked_until

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.problem_errors_type_0 import ProblemErrorsType0

        d = dict(src_dict)
        type_ = d.pop("type")

        title = d.pop("title")

        status = d.pop("status")

        detail = d.pop("detail")

        code = d.pop("code")

        def _parse_errors(data: object) -> None | ProblemErrorsType0 | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                errors_type_0 = ProblemErrorsType0.from_dict(data)

                return errors_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | ProblemErrorsType0 | Unset, data)

        errors = _parse_errors(d.pop("errors", UNSET))

        def _parse_error_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        error_id = _parse_error_id(d.pop("error_id", UNSET))

        def _parse_retry_after(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        retry_after = _parse_retry_after(d.pop("retry_after", UNSET))

        def _parse_locked_until(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        locked_until = _parse_locked_until(d.pop("locked_until", UNSET))

        problem = cls(
            type_=type_,
            title=title,
            status=status,
            detail=detail,
            code=code,
            errors=errors,
            error_id=error_id,
            retry_after=retry_after,
            locked_until=locked_until,
        )

        problem.additional_properties = d
        return problem

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
