"""WHOOP's HTTP API v2 and OAuth endpoints, as WHOOP lays them out (WHOOP_V2_API.md sections 1-3).

Only HTTP here: no database. Each request first takes a permit from ``permit`` (the app-wide request
budget counted in PostgreSQL, see ``whoop/budget.py``), retries included, because WHOOP counts every
request it receives. Retries follow the project's one ``RetryPolicy``: a 429 waits for
``X-RateLimit-Reset``; 5xx, connection errors and timeouts back off exponentially with jitter.

Errors name the path and the status, never a token or a query string.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import requests

from clutch_pipeline.http_retry import DEFAULT_TIMEOUT, HttpGaveUp, RetryPolicy
from clutch_pipeline.whoop.tokens import TokenPair

API_ROOT = "/developer"
AUTHORIZE_PATH = "/oauth/oauth2/auth"
TOKEN_PATH = "/oauth/oauth2/token"
# Every read scope, plus `offline`, without which WHOOP issues no refresh token.
SCOPES = (
    "read:recovery",
    "read:cycles",
    "read:workout",
    "read:sleep",
    "read:profile",
    "read:body_measurement",
    "offline",
)
COLLECTION_PATHS = {
    "cycle": "/v2/cycle",
    "recovery": "/v2/recovery",
    "sleep": "/v2/activity/sleep",
    "workout": "/v2/activity/workout",
}
PAGE_LIMIT = 25  # WHOOP's maximum


class WhoopError(RuntimeError):
    """A WHOOP call that failed for a reason the caller handles."""


class InvalidGrant(WhoopError):
    """WHOOP refused a code or refresh token (spent, revoked, expired): the athlete must authorize
    again. Never retried: asking again with the same token gets the same answer."""


class Unauthorized(WhoopError):
    """401 on an API call: the access token is expired or was invalidated by a refresh."""


class NotFound(WhoopError):
    """404: the record does not exist (any more) or is not this user's."""


class WhoopPayloadError(WhoopError):
    """An answer that is not the JSON WHOOP documents."""


Permit = Callable[[str], None]


def _no_permit(kind: str) -> None:
    return None


def whoop_time(moment: datetime) -> str:
    """ISO-8601 in UTC with milliseconds, as WHOOP writes its own timestamps."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@dataclass(frozen=True)
class TokenGrant:
    """The token endpoint's answer."""

    access_token: str = field(repr=False)
    refresh_token: str | None = field(repr=False)
    expires_in: int
    scope: str

    def pair(self, now: datetime) -> TokenPair:
        return TokenPair(
            self.access_token, self.refresh_token, now + timedelta(seconds=self.expires_in), self.scope
        )


def authorization_url(
    base_url: str, client_id: str, redirect_uri: str, state: str, scopes: tuple[str, ...] = SCOPES
) -> str:
    """WHOOP's authorize page for one athlete: our app, our callback, the scopes, the state."""
    query = urlencode(
        {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "scope": " ".join(scopes),
            "state": state,
        }
    )
    return f"{base_url.rstrip('/')}{AUTHORIZE_PATH}?{query}"


class WhoopApi:
    """One app's view of WHOOP: OAuth for any athlete, API calls with an athlete's access token."""

    def __init__(
        self,
        base_url: str,
        client_id: str,
        client_secret: str,
        *,
        retry: RetryPolicy | None = None,
        permit: Permit = _no_permit,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
        session: requests.Session | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.client_id = client_id
        self._client_secret = client_secret
        self.retry = retry or RetryPolicy()
        self.permit = permit
        self.timeout = timeout
        self.session = session or requests.Session()
        self.session.headers["User-Agent"] = "clutch-pipeline (+https://github.com/clutch-pipeline)"

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> WhoopApi:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- OAuth ---------------------------------------------------------------------------------------

    def exchange_code(self, code: str, redirect_uri: str) -> TokenGrant:
        return self._token_call(
            {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
        )

    def refresh(self, refresh_token: str) -> TokenGrant:
        return self._token_call(
            {"grant_type": "refresh_token", "refresh_token": refresh_token, "scope": "offline"}
        )

    def _token_call(self, form: dict[str, str]) -> TokenGrant:
        body = {**form, "client_id": self.client_id, "client_secret": self._client_secret}
        try:
            response = self._send("token", "POST", self.base_url + TOKEN_PATH, data=body)
        except HttpGaveUp as exc:
            error = _oauth_error(exc.response)
            if error == "invalid_grant":
                raise InvalidGrant(f"WHOOP refused the {form['grant_type']} grant ({error})") from None
            raise
        data = _json_object(response, TOKEN_PATH)
        try:
            return TokenGrant(
                access_token=str(data["access_token"]),
                refresh_token=str(data["refresh_token"]) if data.get("refresh_token") else None,
                expires_in=int(data.get("expires_in") or 3600),
                scope=str(data.get("scope") or ""),
            )
        except (KeyError, TypeError, ValueError):
            raise WhoopPayloadError(f"POST {TOKEN_PATH}: answer without an access token") from None

    # -- API -----------------------------------------------------------------------------------------

    def get(self, kind: str, path: str, access_token: str, params: Mapping[str, Any] | None = None) -> dict:
        """GET ``/developer{path}`` as the token's athlete; ``kind`` names the request in the budget."""
        url = self.base_url + API_ROOT + path
        try:
            response = self._send(kind, "GET", url, params=params, headers=_bearer(access_token))
        except HttpGaveUp as exc:
            if exc.status == 401:
                raise Unauthorized(f"GET {API_ROOT}{path}: HTTP 401") from None
            if exc.status == 404:
                raise NotFound(f"GET {API_ROOT}{path}: HTTP 404") from None
            raise
        return _json_object(response, API_ROOT + path)

    def profile(self, access_token: str) -> dict:
        profile = self.get("profile", "/v2/user/profile/basic", access_token)
        if not isinstance(profile.get("user_id"), int):
            raise WhoopPayloadError("GET /developer/v2/user/profile/basic: no integer user_id")
        return profile

    def revoke_access(self, access_token: str) -> None:
        """``DELETE /v2/user/access``: WHOOP forgets the app's access for this athlete."""
        url = self.base_url + API_ROOT + "/v2/user/access"
        try:
            self._send("revoke", "DELETE", url, headers=_bearer(access_token))
        except HttpGaveUp as exc:
            if exc.status == 401:
                raise Unauthorized("DELETE /developer/v2/user/access: HTTP 401") from None
            raise

    def _send(self, kind: str, method: str, url: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", self.timeout)

        def attempt() -> requests.Response:
            self.permit(kind)
            return self.session.request(method, url, **kwargs)

        return self.retry.call(attempt, method, url)


Get = Callable[[str, str, Mapping[str, Any]], dict]


def collection_pages(get: Get, record_type: str, start: datetime, end: datetime) -> Iterator[list[dict]]:
    """Every page of a collection over [start, end), 25 records a page, following ``next_token``.

    ``get(kind, path, params)`` sends one request as the athlete (see ``access.DeviceClient``). The
    same ``start`` and ``end`` go with every page, as WHOOP's pagination page shows; the request takes
    camelCase ``nextToken``, the answer gives snake_case ``next_token``.
    """
    path = COLLECTION_PATHS[record_type]
    params: dict[str, Any] = {"limit": PAGE_LIMIT, "start": whoop_time(start), "end": whoop_time(end)}
    seen_tokens: set[str] = set()
    while True:
        page = get(record_type, path, params)
        records = page.get("records")
        if not isinstance(records, list):
            raise WhoopPayloadError(f"GET {API_ROOT}{path}: answer without a records list")
        yield records
        next_token = page.get("next_token")
        if not next_token:  # absent, null or "": the last page
            return
        if next_token in seen_tokens:
            raise WhoopPayloadError(f"GET {API_ROOT}{path}: next_token repeats; stopping")
        seen_tokens.add(next_token)
        params = {**params, "nextToken": next_token}


def _bearer(access_token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {access_token}"}


def _json_object(response: requests.Response, path: str) -> dict:
    try:
        data = response.json()
    except ValueError:
        raise WhoopPayloadError(f"{path}: answer is not JSON (HTTP {response.status_code})") from None
    if not isinstance(data, dict):
        raise WhoopPayloadError(f"{path}: answer is not a JSON object")
    return data


def _oauth_error(response: requests.Response | None) -> str | None:
    if response is None:
        return None
    try:
        data = response.json()
    except ValueError:
        return None
    return data.get("error") if isinstance(data, dict) else None
