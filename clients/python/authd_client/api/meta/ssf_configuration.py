from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.problem import Problem
from ...models.ssf_configuration_response_200 import SsfConfigurationResponse200
from ...types import Response


def _get_kwargs() -> dict[str, Any]:

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/.well-known/ssf-configuration",
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Problem | SsfConfigurationResponse200 | None:
    if response.status_code == 200:
        response_200 = SsfConfigurationResponse200.from_dict(response.json())

        return response_200

    if response.status_code == 404:
        response_404 = Problem.from_dict(response.json())

        return response_404

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Problem | SsfConfigurationResponse200]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
) -> Response[Problem | SsfConfigurationResponse200]:
    """The Shared Signals transmitter's metadata (SSF 1.0 §7.1): where the
    keys that sign its Security Event Tokens are, and which events and
    delivery method it offers. Receivers are configured by the operator
    (`AUTH_SSF_RECEIVERS`); there is no stream-management endpoint. 404
    when no receiver is configured.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | SsfConfigurationResponse200]
    """

    kwargs = _get_kwargs()

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
) -> Problem | SsfConfigurationResponse200 | None:
    """The Shared Signals transmitter's metadata (SSF 1.0 §7.1): where the
    keys that sign its Security Event Tokens are, and which events and
    delivery method it offers. Receivers are configured by the operator
    (`AUTH_SSF_RECEIVERS`); there is no stream-management endpoint. 404
    when no receiver is configured.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | SsfConfigurationResponse200
    """

    return sync_detailed(
        client=client,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
) -> Response[Problem | SsfConfigurationResponse200]:
    """The Shared Signals transmitter's metadata (SSF 1.0 §7.1): where the
    keys that sign its Security Event Tokens are, and which events and
    delivery method it offers. Receivers are configured by the operator
    (`AUTH_SSF_RECEIVERS`); there is no stream-management endpoint. 404
    when no receiver is configured.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | SsfConfigurationResponse200]
    """

    kwargs = _get_kwargs()

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
) -> Problem | SsfConfigurationResponse200 | None:
    """The Shared Signals transmitter's metadata (SSF 1.0 §7.1): where the
    keys that sign its Security Event Tokens are, and which events and
    delivery method it offers. Receivers are configured by the operator
    (`AUTH_SSF_RECEIVERS`); there is no stream-management endpoint. 404
    when no receiver is configured.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | SsfConfigurationResponse200
    """

    return (
        await asyncio_detailed(
            client=client,
        )
    ).parsed
