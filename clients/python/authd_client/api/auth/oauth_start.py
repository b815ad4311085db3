from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.o_auth_start_request import OAuthStartRequest
from ...models.o_auth_start_response import OAuthStartResponse
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    provider: str,
    *,
    body: OAuthStartRequest,
    x_authd_transport: None | str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(x_authd_transport, Unset):
        headers["X-Authd-Transport"] = x_authd_transport

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/auth/oauth/{provider}/start".format(
            provider=quote(str(provider), safe=""),
        ),
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> OAuthStartResponse | Problem | None:
    if response.status_code == 200:
        response_200 = OAuthStartResponse.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = Problem.from_dict(response.json())

        return response_400

    if response.status_code == 404:
        response_404 = Problem.from_dict(response.json())

        return response_404

    if response.status_code == 413:
        response_413 = Problem.from_dict(response.json())

        return response_413

    if response.status_code == 415:
        response_415 = Problem.from_dict(response.json())

        return response_415

    if response.status_code == 422:
        response_422 = Problem.from_dict(response.json())

        return response_422

    if response.status_code == 503:
        response_503 = Problem.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[OAuthStartResponse | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    provider: str,
    *,
    client: AuthenticatedClient | Client,
    body: OAuthStartRequest,
    x_authd_transport: None | str | Unset = UNSET,
) -> Response[OAuthStartResponse | Problem]:
    """Start a social login: the provider's authorization URL (authorization
    code with PKCE S256). `redirect_uri` must be one of
    `AUTH_OAUTH_REDIRECT_URIS`; the page there posts the `code` and `state`
    it receives to the callback within 10 minutes.

    Args:
        provider (str):
        x_authd_transport (None | str | Unset):
        body (OAuthStartRequest):  Example: {'redirect_uri':
            'https://app.example.com/oauth/callback'}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[OAuthStartResponse | Problem]
    """

    kwargs = _get_kwargs(
        provider=provider,
        body=body,
        x_authd_transport=x_authd_transport,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    provider: str,
    *,
    client: AuthenticatedClient | Client,
    body: OAuthStartRequest,
    x_authd_transport: None | str | Unset = UNSET,
) -> OAuthStartResponse | Problem | None:
    """Start a social login: the provider's authorization URL (authorization
    code with PKCE S256). `redirect_uri` must be one of
    `AUTH_OAUTH_REDIRECT_URIS`; the page there posts the `code` and `state`
    it receives to the callback within 10 minutes.

    Args:
        provider (str):
        x_authd_transport (None | str | Unset):
        body (OAuthStartRequest):  Example: {'redirect_uri':
            'https://app.example.com/oauth/callback'}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        OAuthStartResponse | Problem
    """

    return sync_detailed(
        provider=provider,
        client=client,
        body=body,
        x_authd_transport=x_authd_transport,
    ).parsed


async def asyncio_detailed(
    provider: str,
    *,
    client: AuthenticatedClient | Client,
    body: OAuthStartRequest,
    x_authd_transport: None | str | Unset = UNSET,
) -> Response[OAuthStartResponse | Problem]:
    """Start a social login: the provider's authorization URL (authorization
    code with PKCE S256). `redirect_uri` must be one of
    `AUTH_OAUTH_REDIRECT_URIS`; the page there posts the `code` and `state`
    it receives to the callback within 10 minutes.

    Args:
        provider (str):
        x_authd_transport (None | str | Unset):
        body (OAuthStartRequest):  Example: {'redirect_uri':
            'https://app.example.com/oauth/callback'}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[OAuthStartResponse | Problem]
    """

    kwargs = _get_kwargs(
        provider=provider,
        body=body,
        x_authd_transport=x_authd_transport,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    provider: str,
    *,
    client: AuthenticatedClient | Client,
    body: OAuthStartRequest,
    x_authd_transport: None | str | Unset = UNSET,
) -> OAuthStartResponse | Problem | None:
    """Start a social login: the provider's authorization URL (authorization
    code with PKCE S256). `redirect_uri` must be one of
    `AUTH_OAUTH_REDIRECT_URIS`; the page there posts the `code` and `state`
    it receives to the callback within 10 minutes.

    Args:
        provider (str):
        x_authd_transport (None | str | Unset):
        body (OAuthStartRequest):  Example: {'redirect_uri':
            'https://app.example.com/oauth/callback'}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        OAuthStartResponse | Problem
    """

    return (
        await asyncio_detailed(
            provider=provider,
            client=client,
            body=body,
            x_authd_transport=x_authd_transport,
        )
    ).parsed
