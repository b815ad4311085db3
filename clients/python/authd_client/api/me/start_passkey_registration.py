from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.passkey_ceremony import PasskeyCeremony
from ...models.problem import Problem
from ...types import Response


def _get_kwargs() -> dict[str, Any]:

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/me/passkeys/register/start",
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> PasskeyCeremony | Problem | None:
    if response.status_code == 200:
        response_200 = PasskeyCeremony.from_dict(response.json())

        return response_200

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = Problem.from_dict(response.json())

        return response_403

    if response.status_code == 503:
        response_503 = Problem.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[PasskeyCeremony | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
) -> Response[PasskeyCeremony | Problem]:
    """Start registering a passkey: hand `options` to
    `navigator.credentials.create()`. The same rules as any enrolment: the
    first factor needs a login within `AUTH_REAUTH_MAX_AGE`, another one an
    `aal2` token. The challenge lives 5 minutes and is answered once.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[PasskeyCeremony | Problem]
    """

    kwargs = _get_kwargs()

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
) -> PasskeyCeremony | Problem | None:
    """Start registering a passkey: hand `options` to
    `navigator.credentials.create()`. The same rules as any enrolment: the
    first factor needs a login within `AUTH_REAUTH_MAX_AGE`, another one an
    `aal2` token. The challenge lives 5 minutes and is answered once.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        PasskeyCeremony | Problem
    """

    return sync_detailed(
        client=client,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
) -> Response[PasskeyCeremony | Problem]:
    """Start registering a passkey: hand `options` to
    `navigator.credentials.create()`. The same rules as any enrolment: the
    first factor needs a login within `AUTH_REAUTH_MAX_AGE`, another one an
    `aal2` token. The challenge lives 5 minutes and is answered once.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[PasskeyCeremony | Problem]
    """

    kwargs = _get_kwargs()

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
) -> PasskeyCeremony | Problem | None:
    """Start registering a passkey: hand `options` to
    `navigator.credentials.create()`. The same rules as any enrolment: the
    first factor needs a login within `AUTH_REAUTH_MAX_AGE`, another one an
    `aal2` token. The challenge lives 5 minutes and is answered once.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        PasskeyCeremony | Problem
    """

    return (
        await asyncio_detailed(
            client=client,
        )
    ).parsed
