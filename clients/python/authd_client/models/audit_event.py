from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.audit_event_data import AuditEventData


T = TypeVar("T", bound="AuditEvent")


@_attrs_define
class AuditEvent:
    """One audit event (API.md §12).

    Example:
        {'actor_id': '0192f5b8-6c4e-7d3a-9a51-3f1c2b7e8d91', 'at': '2026-11-30T12:00:00Z', 'data': {'method':
            'password'}, 'id': '0192f5b8-6c4e-7d3a-9a51-3f1c2b7e8d90', 'ip': '203.0.113.7', 'session_id':
            '0192f5b8-6c4e-7d3a-9a51-3f1c2b7e8d92', 'type': 'login.succeeded', 'user_agent': 'Mozilla/5.0', 'user_id':
            '0192f5b8-6c4e-7d3a-9a51-3f1c2b7e8d91'}

    Attributes:
        id (str): A UUIDv7: events sort by it in time order.
        type_ (str):
        at (datetime.datetime):
        data (AuditEventData): Details; never a secret, token or password.
        actor_id (None | str | Unset): Who acted; null when nobody was authenticated (a failed login).
        user_id (None | str | Unset): Whom the event concerns.
        session_id (None | str | Unset):
        ip (None | str | Unset):
        user_agent (None | str | Unset):
    """

    id: str
    type_: str
    at: datetime.datetime
    data: AuditEventData
    actor_id: None | str | Unset = UNSET
    user_id: None | str | Unset = UNSET
    session_id: None | str | Unset = UNSET
    ip: None | str | Unset = UNSET
    user_agent: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        type_ = self.type_

        at = self.at.isoformat()

        data = self.data.to_dict()

        actor_id: None | str | Unset
        if isinstance(self.actor_id, Unset):
            actor_id = UNSET
        else:
            actor_id = self.actor_id

        user_id: None | str | Unset
        if isinstance(self.user_id, Unset):
            user_id = UNSET
        else:
            user_id = self.user_id

        session_id: None | str | Unset
        if isinstance(self.session_id, Unset):
            session_id = UNSET
        else:
            session_id = self.session_id

        ip: None | str | Unset
        if isinstance(self.ip, Unset):
            ip = UNSET
        else:
            ip = self.ip

        user_agent: None | str | Unset
        if isinstance(self.user_agent, Unset):
            user_agent = UNSET
        else:
            user_agent = self.user_agent

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "type": type_,
                "at": at,
                "data": data,
            }
        )
        if actor_id is not UNSET:
            field_dict["actor_id"] = actor_id
        if user_id is not UNSET:
            field_dict["user_id"] = user_id
        if session_id is not UNSET:
            field_dict["session_id"] = session_id
        if ip is not UNSET:
            field_dict["ip"] = ip
        if user_agent is not UNSET:
            field_dict["user_agent"] = user_agent

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.audit_event_data import AuditEventData

        d = dict(src_dict)
        id = d.pop("id")

        type_ = d.pop("type")

        at = datetime.datetime.fromisoformat(d.pop("at"))

        data = AuditEventData.from_dict(d.pop("data"))

        def _parse_actor_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        actor_id = _parse_actor_id(d.pop("actor_id", UNSET))

        def _parse_user_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        user_id = _parse_user_id(d.pop("user_id", UNSET))

        def _parse_session_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        session_id = _parse_session_id(d.pop("session_id", UNSET))

        def _parse_ip(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        ip = _parse_ip(d.pop("ip", UNSET))

        def _parse_user_agent(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        user_agent = _parse_user_agent(d.pop("user_agent", UNSET))

        audit_event = cls(
            id=id,
            type_=type_,
            at=at,
            data=data,
            actor_id=actor_id,
            user_id=user_id,
            session_id=session_id,
            ip=ip,
            user_agent=user_agent,
        )

        audit_event.additional_properties = d
        return audit_event

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
