from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="Index")


@_attrs_define
class Index:
    """
    Example:
        {'docs': '/docs', 'health': '/healthz', 'name': 'authd', 'openapi': '/openapi.json', 'ready': '/readyz'}

    Attributes:
        name (str):
        health (str): Liveness probe.
        ready (str): Readiness probe.
        docs (str | Unset): The interactive API docs; absent on the public listener when
            `AUTH_OPS_BIND` moves them to the operational one.
        openapi (str | Unset): The OpenAPI document; absent whenever `docs` is.
    """

    name: str
    health: str
    ready: str
    docs: str | Unset = UNSET
    openapi: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        name = self.name

        health = self.health

        ready = self.ready

        docs = self.docs

        openapi = self.openapi

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "name": name,
                "health": health,
                "ready": ready,
            }
        )
        if docs is not UNSET:
            field_dict["docs"] = docs
        if openapi is not UNSET:
            field_dict["openapi"] = openapi

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        name = d.pop("name")

        health = d.pop("health")

        ready = d.pop("ready")

        docs = d.pop("docs", UNSET)

        openapi = d.pop("openapi", UNSET)

        index = cls(
            name=name,
            health=health,
            ready=ready,
            docs=docs,
            openapi=openapi,
        )

        index.additional_properties = d
        return index

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
