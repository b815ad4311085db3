from http import HTTPStatus
from typing import Any, cast
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    factor_id: str,
    *,
    end_other_sessions: bool | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["end_other_sessions"] = end_other_sessions

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "delete",
        "url": "/v1/me/mfa/{factor_id}".format(
            factor_id=quote(str(factor_id), safe=""),
        ),
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Any | Problem | None:
    if response.status_code == 204:
        response_204 = cast(Any, None)
        return response_204

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

    if response.status_code == 503:
        response_503 = Problem.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Any | Problem]:
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
    end_other_sessions: bool | Unset = UNSET,
) -> Response[Any | Problem]:
    """Remove one of the caller's factors (`aal2` while they have MFA); a
    notice is mailed. Removing the last one also removes the recovery codes.

    Args:
        factor_id (str):
        end_other_sessions (bool | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | Problem]
    """

    kwargs = _get_kwargs(
        factor_id=factor_id,
        end_other_sessions=end_other_sessions,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    factor_id: str,
    *,
    client: AuthenticatedClient,
    end_other_sessions: bool | Unset = UNSET,
) -> Any | Problem | None:
    """Remove one of the caller's factors (`aal2` while they have MFA); a
    notice is mailed. Removing the last one also removes the recovery codes.

    Args:
        factor_id (str):
        end_other_sessions (bool | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | Problem
    """

    return sync_detailed(
        factor_id=factor_id,
        client=client,
        end_other_sessions=end_other_sessions,
    ).parsed


async def asyncio_detailed(
    factor_id: str,
    *,
    client: AuthenticatedClient,
    end_other_sessions: bool | Unset = UNSET,
) -> Response[Any | Problem]:
    """Remove one of the caller's factors (`aal2` while they have MFA); a
    notice is mailed. Removing the last one also removes the recovery codes.

    Args:
        factor_id (str):
        end_other_sessions (bool | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | Problem]
    """

    kwargs = _get_kwargs(
        factor_id=factor_id,
        end_other_sessions=end_other_sessions,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    factor_id: str,
    *,
    client: AuthenticatedClient,
    end_other_sessions: bool | Unset = UNSET,
) -> Any | Problem | None:
    """Remove one of the caller's factors (`aal2` while they have MFA); a
    notice is mailed. Removing the last one also removes the recovery codes.

    Args:
        factor_id (str):
        end_other_sessions (bool | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | Problem
    """

    return (
        await asyncio_detailed(
            factor_id=factor_id,
            client=client,
            end_other_sessions=end_other_sessions,
        )
    ).parsed
