from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.problem import Problem
from ...models.revocations_page import RevocationsPage
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    since: None | str | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    json_since: None | str | Unset
    if isinstance(since, Unset):
        json_since = UNSET
    else:
        json_since = since
    params["since"] = json_since

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/revocations",
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Problem | RevocationsPage | None:
    if response.status_code == 200:
        response_200 = RevocationsPage.from_dict(response.json())

        return response_200

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())

        return response_401

    if response.status_code == 503:
        response_503 = Problem.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Problem | RevocationsPage]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    since: None | str | Unset = UNSET,
) -> Response[Problem | RevocationsPage]:
    """Revocations since a cursor: the sessions revoked and the users whose
    tokens all died, within the last `max_age` seconds.

     A token is revoked when its `sid` is listed, or when its session started
    (the `sid`'s UUIDv7 time) at or before its user's `valid_after`. Each
    answer repeats the last 5 s before the cursor (ignore repeats).

    Args:
        since (None | str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | RevocationsPage]
    """

    kwargs = _get_kwargs(
        since=since,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    since: None | str | Unset = UNSET,
) -> Problem | RevocationsPage | None:
    """Revocations since a cursor: the sessions revoked and the users whose
    tokens all died, within the last `max_age` seconds.

     A token is revoked when its `sid` is listed, or when its session started
    (the `sid`'s UUIDv7 time) at or before its user's `valid_after`. Each
    answer repeats the last 5 s before the cursor (ignore repeats).

    Args:
        since (None | str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | RevocationsPage
    """

    return sync_detailed(
        client=client,
        since=since,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    since: None | str | Unset = UNSET,
) -> Response[Problem | RevocationsPage]:
    """Revocations since a cursor: the sessions revoked and the users whose
    tokens all died, within the last `max_age` seconds.

     A token is revoked when its `sid` is listed, or when its session started
    (the `sid`'s UUIDv7 time) at or before its user's `valid_after`. Each
    answer repeats the last 5 s before the cursor (ignore repeats).

    Args:
        since (None | str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | RevocationsPage]
    """

    kwargs = _get_kwargs(
        since=since,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    since: None | str | Unset = UNSET,
) -> Problem | RevocationsPage | None:
    """Revocations since a cursor: the sessions revoked and the users whose
    tokens all died, within the last `max_age` seconds.

     A token is revoked when its `sid` is listed, or when its session started
    (the `sid`'s UUIDv7 time) at or before its user's `valid_after`. Each
    answer repeats the last 5 s before the cursor (ignore repeats).

    Args:
        since (None | str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | RevocationsPage
    """

    return (
        await asyncio_detailed(
            client=client,
            since=since,
        )
    ).parsed
