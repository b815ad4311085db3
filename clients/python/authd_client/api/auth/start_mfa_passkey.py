from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.passkey_ceremony import PasskeyCeremony
from ...models.passkey_mfa_start_request import PasskeyMfaStartRequest
from ...models.problem import Problem
from ...types import Response


def _get_kwargs(
    *,
    body: PasskeyMfaStartRequest,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/auth/mfa/passkey/start",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> PasskeyCeremony | Problem | None:
    if response.status_code == 200:
        response_200 = PasskeyCeremony.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = Problem.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())

        return response_401

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
) -> Response[PasskeyCeremony | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: PasskeyMfaStartRequest,
) -> Response[PasskeyCeremony | Problem]:
    """Start the second step of a login with a passkey: the `mfa_token` from
    `POST /v1/auth/login`; hand `options` to `navigator.credentials.get()`.

    Args:
        body (PasskeyMfaStartRequest): The second step of a password login, by passkey.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[PasskeyCeremony | Problem]
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
    client: AuthenticatedClient | Client,
    body: PasskeyMfaStartRequest,
) -> PasskeyCeremony | Problem | None:
    """Start the second step of a login with a passkey: the `mfa_token` from
    `POST /v1/auth/login`; hand `options` to `navigator.credentials.get()`.

    Args:
        body (PasskeyMfaStartRequest): The second step of a password login, by passkey.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        PasskeyCeremony | Problem
    """

    return sync_detailed(
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: PasskeyMfaStartRequest,
) -> Response[PasskeyCeremony | Problem]:
    """Start the second step of a login with a passkey: the `mfa_token` from
    `POST /v1/auth/login`; hand `options` to `navigator.credentials.get()`.

    Args:
        body (PasskeyMfaStartRequest): The second step of a password login, by passkey.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[PasskeyCeremony | Problem]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    body: PasskeyMfaStartRequest,
) -> PasskeyCeremony | Problem | None:
    """Start the second step of a login with a passkey: the `mfa_token` from
    `POST /v1/auth/login`; hand `options` to `navigator.credentials.get()`.

    Args:
        body (PasskeyMfaStartRequest): The second step of a password login, by passkey.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        PasskeyCeremony | Problem
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
        )
    ).parsed
