from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.accepted import Accepted
from ...models.email_login_start_request import EmailLoginStartRequest
from ...models.problem import Problem
from ...types import Response


def _get_kwargs(
    *,
    body: EmailLoginStartRequest,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/auth/email-login/start",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Accepted | Problem | None:
    if response.status_code == 202:
        response_202 = Accepted.from_dict(response.json())

        return response_202

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
) -> Response[Accepted | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: EmailLoginStartRequest,
) -> Response[Accepted | Problem]:
    """Mail a sign-in link and code: the same 202, in the same time, for every
    address.

     One mail (`email_login`) carries a link `{AUTH_FRONTEND_URL}/email-login#token=…`
    (the token in the fragment) and a 6-digit code for another device; both
    live `AUTH_EMAIL_LOGIN_TTL` and a newer start ends them. An address with
    no account is signed up by the same mail (`AUTH_EMAIL_LOGIN_SIGNUP`);
    with sign-up off it gets nothing. Past the per-address mail quota
    nothing is sent and the older pair stays.

    Args:
        body (EmailLoginStartRequest): Starts a passwordless sign-in (API.md §15). Example:
            {'email': 'a@example.com'}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Accepted | Problem]
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
    body: EmailLoginStartRequest,
) -> Accepted | Problem | None:
    """Mail a sign-in link and code: the same 202, in the same time, for every
    address.

     One mail (`email_login`) carries a link `{AUTH_FRONTEND_URL}/email-login#token=…`
    (the token in the fragment) and a 6-digit code for another device; both
    live `AUTH_EMAIL_LOGIN_TTL` and a newer start ends them. An address with
    no account is signed up by the same mail (`AUTH_EMAIL_LOGIN_SIGNUP`);
    with sign-up off it gets nothing. Past the per-address mail quota
    nothing is sent and the older pair stays.

    Args:
        body (EmailLoginStartRequest): Starts a passwordless sign-in (API.md §15). Example:
            {'email': 'a@example.com'}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Accepted | Problem
    """

    return sync_detailed(
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: EmailLoginStartRequest,
) -> Response[Accepted | Problem]:
    """Mail a sign-in link and code: the same 202, in the same time, for every
    address.

     One mail (`email_login`) carries a link `{AUTH_FRONTEND_URL}/email-login#token=…`
    (the token in the fragment) and a 6-digit code for another device; both
    live `AUTH_EMAIL_LOGIN_TTL` and a newer start ends them. An address with
    no account is signed up by the same mail (`AUTH_EMAIL_LOGIN_SIGNUP`);
    with sign-up off it gets nothing. Past the per-address mail quota
    nothing is sent and the older pair stays.

    Args:
        body (EmailLoginStartRequest): Starts a passwordless sign-in (API.md §15). Example:
            {'email': 'a@example.com'}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Accepted | Problem]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    body: EmailLoginStartRequest,
) -> Accepted | Problem | None:
    """Mail a sign-in link and code: the same 202, in the same time, for every
    address.

     One mail (`email_login`) carries a link `{AUTH_FRONTEND_URL}/email-login#token=…`
    (the token in the fragment) and a 6-digit code for another device; both
    live `AUTH_EMAIL_LOGIN_TTL` and a newer start ends them. An address with
    no account is signed up by the same mail (`AUTH_EMAIL_LOGIN_SIGNUP`);
    with sign-up off it gets nothing. Past the per-address mail quota
    nothing is sent and the older pair stays.

    Args:
        body (EmailLoginStartRequest): Starts a passwordless sign-in (API.md §15). Example:
            {'email': 'a@example.com'}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Accepted | Problem
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
        )
    ).parsed
