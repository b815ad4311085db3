from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.mfa_factor import MfaFactor
from ...models.problem import Problem
from ...models.rename_factor_request import RenameFactorRequest
from ...types import Response


def _get_kwargs(
    factor_id: str,
    *,
    body: RenameFactorRequest,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "patch",
        "url": "/v1/me/mfa/{factor_id}".format(
            factor_id=quote(str(factor_id), safe=""),
        ),
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> MfaFactor | Problem | None:
    if response.status_code == 200:
        response_200 = MfaFactor.from_dict(response.json())

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
) -> Response[MfaFactor | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    factor_id: str,
    *,
    client: AuthenticatedClient,
    body: RenameFactorRequest,
) -> Response[MfaFactor | Problem]:
    """Rename one of the caller's factors (the label in the list: "Work
    laptop"). Only the label changes: no step-up, no notice mail.

    Args:
        factor_id (str):
        body (RenameFactorRequest): A new label for a factor. Example: {'name': 'Work laptop'}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[MfaFactor | Problem]
    """

    kwargs = _get_kwargs(
        factor_id=factor_id,
        body=body,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    factor_id: str,
    *,
    client: AuthenticatedClient,
    body: RenameFactorRequest,
) -> MfaFactor | Problem | None:
    """Rename one of the caller's factors (the label in the list: "Work
    laptop"). Only the label changes: no step-up, no notice mail.

    Args:
        factor_id (str):
        body (RenameFactorRequest): A new label for a factor. Example: {'name': 'Work laptop'}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        MfaFactor | Problem
    """

    return sync_detailed(
        factor_id=factor_id,
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    factor_id: str,
    *,
    client: AuthenticatedClient,
    body: RenameFactorRequest,
) -> Response[MfaFactor | Problem]:
    """Rename one of the caller's factors (the label in the list: "Work
    laptop"). Only the label changes: no step-up, no notice mail.

    Args:
        factor_id (str):
        body (RenameFactorRequest): A new label for a factor. Example: {'name': 'Work laptop'}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[MfaFactor | Problem]
    """

    kwargs = _get_kwargs(
        factor_id=factor_id,
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    factor_id: str,
    *,
    client: AuthenticatedClient,
    body: RenameFactorRequest,
) -> MfaFactor | Problem | None:
    """Rename one of the caller's factors (the label in the list: "Work
    laptop"). Only the label changes: no step-up, no notice mail.

    Args:
        factor_id (str):
        body (RenameFactorRequest): A new label for a factor. Example: {'name': 'Work laptop'}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        MfaFactor | Problem
    """

    return (
        await asyncio_detailed(
            factor_id=factor_id,
            client=client,
            body=body,
        )
    ).parsed
