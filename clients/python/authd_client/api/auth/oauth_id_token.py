from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.browser_token_pair import BrowserTokenPair
from ...models.mfa_challenge import MfaChallenge
from ...models.o_auth_id_token_request import OAuthIdTokenRequest
from ...models.problem import Problem
from ...models.token_pair import TokenPair
from ...types import UNSET, Response, Unset


def _get_kwargs(
    provider: str,
    *,
    body: OAuthIdTokenRequest,
    x_authd_transport: None | str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(x_authd_transport, Unset):
        headers["X-Authd-Transport"] = x_authd_transport

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/auth/oauth/{provider}/id-token".format(
            provider=quote(str(provider), safe=""),
        ),
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> BrowserTokenPair | MfaChallenge | TokenPair | Problem | None:
    if response.status_code == 200:

        def _parse_response_200(
            data: object,
        ) -> BrowserTokenPair | MfaChallenge | TokenPair:
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_login_response_type_0 = TokenPair.from_dict(data)

                return componentsschemas_login_response_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_login_response_type_1 = BrowserTokenPair.from_dict(
                    data
                )

                return componentsschemas_login_response_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not isinstance(data, dict):
                raise TypeError()
            componentsschemas_login_response_type_2 = MfaChallenge.from_dict(data)

            return componentsschemas_login_response_type_2

        response_200 = _parse_response_200(response.json())

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
) -> Response[BrowserTokenPair | MfaChallenge | TokenPair | Problem]:
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
    body: OAuthIdTokenRequest,
    x_authd_transport: None | str | Unset = UNSET,
) -> Response[BrowserTokenPair | MfaChallenge | TokenPair | Problem]:
    """Log in with an ID token a native app got from the provider's SDK (Sign
    in with Google/Apple on the device). Its audience may be any of the
    provider's client ids; `nonce` is required and accepted once.

    Args:
        provider (str):
        x_authd_transport (None | str | Unset):
        body (OAuthIdTokenRequest):  Example: {'id_token': 'eyJhbGciOiJSUzI1NiIsImtpZCI6…',
            'nonce': 'n-0S6_WzA2Mj'}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[BrowserTokenPair | MfaChallenge | TokenPair | Problem]
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
    body: OAuthIdTokenRequest,
    x_authd_transport: None | str | Unset = UNSET,
) -> BrowserTokenPair | MfaChallenge | TokenPair | Problem | None:
    """Log in with an ID token a native app got from the provider's SDK (Sign
    in with Google/Apple on the device). Its audience may be any of the
    provider's client ids; `nonce` is required and accepted once.

    Args:
        provider (str):
        x_authd_transport (None | str | Unset):
        body (OAuthIdTokenRequest):  Example: {'id_token': 'eyJhbGciOiJSUzI1NiIsImtpZCI6…',
            'nonce': 'n-0S6_WzA2Mj'}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        BrowserTokenPair | MfaChallenge | TokenPair | Problem
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
    body: OAuthIdTokenRequest,
    x_authd_transport: None | str | Unset = UNSET,
) -> Response[BrowserTokenPair | MfaChallenge | TokenPair | Problem]:
    """Log in with an ID token a native app got from the provider's SDK (Sign
    in with Google/Apple on the device). Its audience may be any of the
    provider's client ids; `nonce` is required and accepted once.

    Args:
        provider (str):
        x_authd_transport (None | str | Unset):
        body (OAuthIdTokenRequest):  Example: {'id_token': 'eyJhbGciOiJSUzI1NiIsImtpZCI6…',
            'nonce': 'n-0S6_WzA2Mj'}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[BrowserTokenPair | MfaChallenge | TokenPair | Problem]
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
    body: OAuthIdTokenRequest,
    x_authd_transport: None | str | Unset = UNSET,
) -> BrowserTokenPair | MfaChallenge | TokenPair | Problem | None:
    """Log in with an ID token a native app got from the provider's SDK (Sign
    in with Google/Apple on the device). Its audience may be any of the
    provider's client ids; `nonce` is required and accepted once.

    Args:
        provider (str):
        x_authd_transport (None | str | Unset):
        body (OAuthIdTokenRequest):  Example: {'id_token': 'eyJhbGciOiJSUzI1NiIsImtpZCI6…',
            'nonce': 'n-0S6_WzA2Mj'}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        BrowserTokenPair | MfaChallenge | TokenPair | Problem
    """

    return (
        await asyncio_detailed(
            provider=provider,
            client=client,
            body=body,
            x_authd_transport=x_authd_transport,
        )
    ).parsed
