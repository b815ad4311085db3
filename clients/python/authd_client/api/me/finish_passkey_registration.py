from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.passkey_register_request import PasskeyRegisterRequest
from ...models.passkey_registered import PasskeyRegistered
from ...models.problem import Problem
from ...types import Response


def _get_kwargs(
    *,
    body: PasskeyRegisterRequest,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/me/passkeys/register/finish",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> PasskeyRegistered | Problem | None:
    if response.status_code == 201:
        response_201 = PasskeyRegistered.from_dict(response.json())

        return response_201

    if response.status_code == 400:
        response_400 = Problem.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = Problem.from_dict(response.json())

        return response_403

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

    if response.status_code == 503:
        response_503 = Problem.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[PasskeyRegistered | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    body: PasskeyRegisterRequest,
) -> Response[PasskeyRegistered | Problem]:
    """Finish registering a passkey with the authenticator's answer. The
    passkey is a confirmed factor at once (type `passkey`); the first factor
    also answers the 10 recovery codes (shown this once). The caller's
    session becomes `aal2` from its next refresh; a notice is mailed.

    Args:
        body (PasskeyRegisterRequest): A new passkey's registration response.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[PasskeyRegistered | Problem]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    body: PasskeyRegisterRequest,
) -> PasskeyRegistered | Problem | None:
    """Finish registering a passkey with the authenticator's answer. The
    passkey is a confirmed factor at once (type `passkey`); the first factor
    also answers the 10 recovery codes (shown this once). The caller's
    session becomes `aal2` from its next refresh; a notice is mailed.

    Args:
        body (PasskeyRegisterRequest): A new passkey's registration response.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        PasskeyRegistered | Problem
    """

    return sync_detailed(
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    body: PasskeyRegisterRequest,
) -> Response[PasskeyRegistered | Problem]:
    """Finish registering a passkey with the authenticator's answer. The
    passkey is a confirmed factor at once (type `passkey`); the first factor
    also answers the 10 recovery codes (shown this once). The caller's
    session becomes `aal2` from its next refresh; a notice is mailed.

    Args:
        body (PasskeyRegisterRequest): A new passkey's registration response.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[PasskeyRegistered | Problem]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    body: PasskeyRegisterRequest,
) -> PasskeyRegistered | Problem | None:
    """Finish registering a passkey with the authenticator's answer. The
    passkey is a confirmed factor at once (type `passkey`); the first factor
    also answers the 10 recovery codes (shown this once). The caller's
    session becomes `aal2` from its next refresh; a notice is mailed.

    Args:
        body (PasskeyRegisterRequest): A new passkey's registration response.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        PasskeyRegistered | Problem
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
        )
    ).parsed
