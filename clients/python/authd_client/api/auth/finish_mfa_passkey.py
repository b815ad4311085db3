from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.browser_token_pair import BrowserTokenPair
from ...models.passkey_finish_request import PasskeyFinishRequest
from ...models.problem import Problem
from ...models.token_pair import TokenPair
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    body: PasskeyFinishRequest,
    x_authd_transport: None | str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(x_authd_transport, Unset):
        headers["X-Authd-Transport"] = x_authd_transport

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/auth/mfa/passkey/finish",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> BrowserTokenPair | TokenPair | Problem | None:
    if response.status_code == 200:

        def _parse_response_200(data: object) -> BrowserTokenPair | TokenPair:
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_token_response_type_0 = TokenPair.from_dict(data)

                return componentsschemas_token_response_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not isinstance(data, dict):
                raise TypeError()
            componentsschemas_token_response_type_1 = BrowserTokenPair.from_dict(data)

            return componentsschemas_token_response_type_1

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
) -> Response[BrowserTokenPair | TokenPair | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: PasskeyFinishRequest,
    x_authd_transport: None | str | Unset = UNSET,
) -> Response[BrowserTokenPair | TokenPair | Problem]:
    """Finish the second step with the authenticator's assertion: starts an
    `aal2` session (`amr` `pwd`, `hwk` or `swk`, `mfa`). A refused assertion
    counts toward the account's lockout like a wrong code; the `mfa_token`
    stays usable for a new challenge.

    Args:
        x_authd_transport (None | str | Unset):
        body (PasskeyFinishRequest): The authenticator's answer to a ceremony.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[BrowserTokenPair | TokenPair | Problem]
    """

    kwargs = _get_kwargs(
        body=body,
        x_authd_transport=x_authd_transport,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
    body: PasskeyFinishRequest,
    x_authd_transport: None | str | Unset = UNSET,
) -> BrowserTokenPair | TokenPair | Problem | None:
    """Finish the second step with the authenticator's assertion: starts an
    `aal2` session (`amr` `pwd`, `hwk` or `swk`, `mfa`). A refused assertion
    counts toward the account's lockout like a wrong code; the `mfa_token`
    stays usable for a new challenge.

    Args:
        x_authd_transport (None | str | Unset):
        body (PasskeyFinishRequest): The authenticator's answer to a ceremony.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        BrowserTokenPair | TokenPair | Problem
    """

    return sync_detailed(
        client=client,
        body=body,
        x_authd_transport=x_authd_transport,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: PasskeyFinishRequest,
    x_authd_transport: None | str | Unset = UNSET,
) -> Response[BrowserTokenPair | TokenPair | Problem]:
    """Finish the second step with the authenticator's assertion: starts an
    `aal2` session (`amr` `pwd`, `hwk` or `swk`, `mfa`). A refused assertion
    counts toward the account's lockout like a wrong code; the `mfa_token`
    stays usable for a new challenge.

    Args:
        x_authd_transport (None | str | Unset):
        body (PasskeyFinishRequest): The authenticator's answer to a ceremony.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[BrowserTokenPair | TokenPair | Problem]
    """

    kwargs = _get_kwargs(
        body=body,
        x_authd_transport=x_authd_transport,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    body: PasskeyFinishRequest,
    x_authd_transport: None | str | Unset = UNSET,
) -> BrowserTokenPair | TokenPair | Problem | None:
    """Finish the second step with the authenticator's assertion: starts an
    `aal2` session (`amr` `pwd`, `hwk` or `swk`, `mfa`). A refused assertion
    counts toward the account's lockout like a wrong code; the `mfa_token`
    stays usable for a new challenge.

    Args:
        x_authd_transport (None | str | Unset):
        body (PasskeyFinishRequest): The authenticator's answer to a ceremony.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        BrowserTokenPair | TokenPair | Problem
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
            x_authd_transport=x_authd_transport,
        )
    ).parsed
