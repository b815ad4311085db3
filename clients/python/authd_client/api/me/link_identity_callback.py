from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.identity import Identity
from ...models.o_auth_callback_request import OAuthCallbackRequest
from ...models.problem import Problem
from ...types import Response


def _get_kwargs(
    provider: str,
    *,
    body: OAuthCallbackRequest,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/me/identities/{provider}/callback".format(
            provider=quote(str(provider), safe=""),
        ),
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Identity | Problem | None:
    if response.status_code == 200:
        response_200 = Identity.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = Problem.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = Problem.from_dict(response.json())

        return response_403

    if response.status_code == 404:
        response_404 = Problem.from_dict(response.json())

        return response_404

    if response.status_code == 409:
        response_409 = Problem.from_dict(response.json())

        return response_409

    if response.status_code == 413:
        response_413 = Problem.from_dict(response.json())

        return response_413

    if response.status_code == 415:
        response_415 = Problem.from_dict(response.json())

        return response_415

    if response.status_code == 422:
        response_422 = Problem.from_dict(response.json())

        return response_422

    if response.status_code == 429:
        response_429 = Problem.from_dict(response.json())

        return response_429

    if response.status_code == 503:
        response_503 = Problem.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Identity | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    provider: str,
    *,
    client: AuthenticatedClient,
    body: OAuthCallbackRequest,
) -> Response[Identity | Problem]:
    """Finish linking: the provider's `code` and `state`. A notice is mailed.
    An identity already linked to another user answers 409 `conflict`.

    Args:
        provider (str):
        body (OAuthCallbackRequest):  Example: {'code': 'SplxlOBeZQQYbYS6WxSbIA', 'state':
            'af0ifjsldkj'}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Identity | Problem]
    """

    kwargs = _get_kwargs(
        provider=provider,
        body=body,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    provider: str,
    *,
    client: AuthenticatedClient,
    body: OAuthCallbackRequest,
) -> Identity | Problem | None:
    """Finish linking: the provider's `code` and `state`. A notice is mailed.
    An identity already linked to another user answers 409 `conflict`.

    Args:
        provider (str):
        body (OAuthCallbackRequest):  Example: {'code': 'SplxlOBeZQQYbYS6WxSbIA', 'state':
            'af0ifjsldkj'}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Identity | Problem
    """

    return sync_detailed(
        provider=provider,
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    provider: str,
    *,
    client: AuthenticatedClient,
    body: OAuthCallbackRequest,
) -> Response[Identity | Problem]:
    """Finish linking: the provider's `code` and `state`. A notice is mailed.
    An identity already linked to another user answers 409 `conflict`.

    Args:
        provider (str):
        body (OAuthCallbackRequest):  Example: {'code': 'SplxlOBeZQQYbYS6WxSbIA', 'state':
            'af0ifjsldkj'}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Identity | Problem]
    """

    kwargs = _get_kwargs(
        provider=provider,
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    provider: str,
    *,
    client: AuthenticatedClient,
    body: OAuthCallbackRequest,
) -> Identity | Problem | None:
    """Finish linking: the provider's `code` and `state`. A notice is mailed.
    An identity already linked to another user answers 409 `conflict`.

    Args:
        provider (str):
        body (OAuthCallbackRequest):  Example: {'code': 'SplxlOBeZQQYbYS6WxSbIA', 'state':
            'af0ifjsldkj'}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Identity | Problem
    """

    return (
        await asyncio_detailed(
            provider=provider,
            client=client,
            body=body,
        )
    ).parsed
