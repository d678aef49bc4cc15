"""The simulator's OAuth 2.0 side: the authorize page, the token endpoint, grants and their tokens.

WHOOP's authorization-code flow with refresh-token rotation (WHOOP_V2_API.md sections 1-2):

    GET  /oauth/oauth2/auth?response_type=code&client_id=&redirect_uri=&scope=&state=&athlete=<person id>
    POST /oauth/oauth2/token            authorization_code and refresh_token grants (form body)

Choices where WHOOP's documents are silent:

- ``athlete`` (an NBA person id) on the authorize URL stands in for the member logging in and
  consenting to every requested scope. ``state`` must be at least 8 characters (WHOOP: "must be eight
  characters long") and comes back unchanged.
- A refresh rotates the pair: the refresh token is spent and the grant's access tokens die with it.
- A token without the endpoint's scope gets 403 ``{"error": "insufficient_scope"}`` (RFC 6750), never
  401, so a client does not mistake it for an expired token.

With ``state_path``, the client secret and the live grants (access tokens with their expiry, refresh
tokens, scopes, per user) survive a restart: they are read when the simulator is made and written,
atomically and readable by its owner only, whenever they change. So a second ``clutch run`` finds its
athletes still authorized instead of sending each through consent again. Authorization codes are not
kept: they live ten minutes and are spent at once.
"""

from __future__ import annotations

import logging
import os
import secrets
import tempfile
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qsl, urlencode

from pydantic import AwareDatetime, BaseModel

from clutch_pipeline.whoop.simulator.httpd import Answer

log = logging.getLogger(__name__)

AUTHORIZE_PATH = "/oauth/oauth2/auth"
TOKEN_PATH = "/oauth/oauth2/token"
READ_SCOPES = (
    "read:recovery",
    "read:cycles",
    "read:workout",
    "read:sleep",
    "read:profile",
    "read:body_measurement",
)
ALL_SCOPES = (*READ_SCOPES, "offline")
CODE_LIFETIME = timedelta(minutes=10)
MIN_STATE_LENGTH = 8

Reply = tuple[int, Any, dict[str, str]]


@dataclass
class _Grant:
    user_id: int
    scopes: tuple[str, ...]
    access_tokens: set[str] = field(default_factory=set)
    refresh_token: str | None = None


@dataclass
class _Access:
    grant: _Grant
    expires_at: datetime


@dataclass
class _Code:
    client_id: str
    redirect_uri: str
    scopes: tuple[str, ...]
    user_id: int
    expires_at: datetime
    used: bool = False


class OAuthServer:
    """One app's authorization server: codes, grants, and the tokens that open the API.

    ``members`` maps the NBA person id an authorize URL names to the athlete's WHOOP user id.
    ``client_secret`` None takes the one stored at ``state_path``, else a fresh random one.
    """

    def __init__(
        self,
        client_id: str,
        client_secret: str | None,
        members: Mapping[int, int],
        *,
        now: Callable[[], datetime],
        access_token_seconds: int = 3600,
        state_path: Path | None = None,
    ):
        self.client_id = client_id
        self.access_token_seconds = access_token_seconds
        self.state_path = Path(state_path) if state_path is not None else None
        self._members = dict(members)
        self._served = set(self._members.values())
        self._now = now
        self._lock = threading.RLock()
        self._codes: dict[str, _Code] = {}
        self._access: dict[str, _Access] = {}
        self._refresh: dict[str, _Grant] = {}
        self._authorized: set[int] = set()  # users with a live grant: they receive webhooks
        stored = _read_state(self.state_path, client_id) if self.state_path is not None else None
        if stored is not None:
            self._restore(stored)
        self.client_secret = client_secret or (stored and stored.client_secret) or secrets.token_urlsafe(24)
        if self.state_path is not None and (stored is None or stored.client_secret != self.client_secret):
            with self._lock:
                self._save()

    # -- the two endpoints ------------------------------------------------------------------------------

    def authorize(self, query: Mapping[str, str]) -> Reply:
        """The member logs in and consents: a redirect to ``redirect_uri`` with a code and the state."""
        if query.get("client_id") != self.client_id:
            raise Answer(400, "Invalid request: unknown client_id.")
        if query.get("response_type") != "code":
            raise Answer(400, "Invalid request: response_type must be 'code'.")
        redirect_uri = query.get("redirect_uri") or ""
        if not redirect_uri:
            raise Answer(400, "Invalid request: redirect_uri is required.")
        state = query.get("state") or ""
        if len(state) < MIN_STATE_LENGTH:
            raise Answer(400, f"Invalid request: state must be at least {MIN_STATE_LENGTH} characters.")
        scopes = tuple(dict.fromkeys((query.get("scope") or "").split()))
        unknown = [s for s in scopes if s not in ALL_SCOPES]
        if not scopes or unknown:
            raise Answer(400, f"Invalid request: unknown or missing scope {' '.join(unknown)}".rstrip() + ".")
        try:
            user_id = self._members[int(query.get("athlete") or "")]
        except (KeyError, ValueError):
            raise Answer(
                400, "No such athlete: pass athlete=<NBA person id> of a simulated member."
            ) from None
        code = secrets.token_urlsafe(24)
        with self._lock:
            self._codes[code] = _Code(
                self.client_id, redirect_uri, scopes, user_id, self._now() + CODE_LIFETIME
            )
        separator = "&" if "?" in redirect_uri else "?"
        location = (
            redirect_uri + separator + urlencode({"code": code, "scope": " ".join(scopes), "state": state})
        )
        return 302, None, {"Location": location}

    def token(self, body: bytes) -> Reply:
        """The token endpoint: a code exchanged once, or a refresh token spent for a new pair."""
        form = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        if form.get("client_id") != self.client_id or not secrets.compare_digest(
            form.get("client_secret", ""), self.client_secret
        ):
            raise Answer(
                401, {"error": "invalid_client", "error_description": "Client authentication failed."}
            )
        now = self._now()
        grant_type = form.get("grant_type")
        with self._lock:
            if grant_type == "authorization_code":
                answer = self._issue(self._spend_code(form, now), now)
            elif grant_type == "refresh_token":
                answer = self._issue(self._spend_refresh_token(form.get("refresh_token", "")), now)
            else:
                raise Answer(400, {"error": "unsupported_grant_type"})
        return 200, answer, {"Cache-Control": "no-store"}

    def _spend_code(self, form: Mapping[str, str], now: datetime) -> _Grant:
        code = self._codes.get(form.get("code", ""))
        if code is None or code.used or code.expires_at <= now or code.client_id != form["client_id"]:
            raise _invalid_grant("The authorization code is invalid, expired or already used.")
        if form.get("redirect_uri") != code.redirect_uri:
            raise _invalid_grant("redirect_uri does not match the authorization request.")
        code.used = True
        return _Grant(code.user_id, code.scopes)

    def _spend_refresh_token(self, refresh_token: str) -> _Grant:
        grant = self._refresh.pop(refresh_token, None)
        if grant is None:
            raise _invalid_grant("The refresh token is invalid, spent or revoked.")
        for token in grant.access_tokens:  # rotation: the old access token dies with it
            self._access.pop(token, None)
        grant.access_tokens.clear()
        grant.refresh_token = None
        return grant

    def issue_tokens(self, user_id: int, scopes: Sequence[str] = ALL_SCOPES) -> dict[str, Any]:
        """A token answer for a new grant, without the browser dance or the token endpoint."""
        with self._lock:
            return self._issue(_Grant(user_id, tuple(scopes)), self._now())

    def _issue(self, grant: _Grant, now: datetime) -> dict[str, Any]:
        access = secrets.token_urlsafe(32)
        self._access[access] = _Access(grant, now + timedelta(seconds=self.access_token_seconds))
        self._authorized.add(grant.user_id)
        grant.access_tokens.add(access)
        answer: dict[str, Any] = {"access_token": access, "expires_in": self.access_token_seconds}
        if "offline" in grant.scopes:
            refresh = secrets.token_urlsafe(32)
            self._refresh[refresh] = grant
            grant.refresh_token = refresh
            answer["refresh_token"] = refresh
        answer["scope"] = " ".join(grant.scopes)
        answer["token_type"] = "bearer"
        self._save()
        return answer

    # -- tokens at the API ------------------------------------------------------------------------------

    def user_of(self, access_token: str, now: datetime) -> int | None:
        """The user of a live access token, else None (the request log's ``user_id``)."""
        with self._lock:
            access = self._access.get(access_token)
            return access.grant.user_id if access is not None and access.expires_at > now else None

    def authenticate(self, access_token: str, now: datetime) -> tuple[int, tuple[str, ...]]:
        """The user and scopes of a live access token; 401 ``invalid_token`` otherwise, and for a
        user this simulator no longer serves (a grant kept from a run with other athletes)."""
        with self._lock:
            access = self._access.get(access_token)
            if access is None or access.expires_at <= now or access.grant.user_id not in self._served:
                raise Answer(
                    401, {"error": "invalid_token"}, {"WWW-Authenticate": 'Bearer error="invalid_token"'}
                )
            return access.grant.user_id, access.grant.scopes

    # -- revocation and test switches -------------------------------------------------------------------

    def revoke_user(self, user_id: int) -> None:
        """``DELETE /v2/user/access``: every token of the user dies and webhooks stop for him."""
        with self._lock:
            self._authorized.discard(user_id)
            for token, access in list(self._access.items()):
                if access.grant.user_id == user_id:
                    access.grant.access_tokens.discard(token)
                    del self._access[token]
            self._drop_refresh_tokens(user_id)
            self._save()

    def expire_access_tokens(self) -> None:
        """Every access token issued so far answers 401 from now on (refresh tokens still work)."""
        with self._lock:
            for access in self._access.values():
                access.grant.access_tokens.clear()
            self._access.clear()
            self._save()

    def revoke_refresh_tokens(self, user_id: int | None = None) -> None:
        """The next refresh with a current refresh token (of ``user_id``, or anyone's) is invalid_grant."""
        with self._lock:
            self._drop_refresh_tokens(user_id)
            self._save()

    def _drop_refresh_tokens(self, user_id: int | None) -> None:
        for token, grant in list(self._refresh.items()):
            if user_id is None or grant.user_id == user_id:
                del self._refresh[token]
                grant.refresh_token = None

    def is_authorized(self, user_id: int) -> bool:
        """Whether the user has a live grant (tokens were issued, access not revoked): webhooks go to it."""
        with self._lock:
            return user_id in self._authorized

    def holds_live_grant(self, user_id: int) -> bool:
        """Whether a token of the user still works: an unspent refresh token, or an access token that
        has not expired. A client holding that token needs no new consent."""
        now = self._now()
        with self._lock:
            return any(g.user_id == user_id for g in self._refresh.values()) or any(
                a.grant.user_id == user_id and a.expires_at > now for a in self._access.values()
            )

    # -- the state file ---------------------------------------------------------------------------------

    def _restore(self, stored: _SavedState) -> None:
        for saved in stored.grants:
            grant = _Grant(saved.user_id, tuple(saved.scopes), refresh_token=saved.refresh_token)
            for token, expires_at in saved.access_tokens.items():
                grant.access_tokens.add(token)
                self._access[token] = _Access(grant, expires_at)
            if grant.refresh_token is not None:
                self._refresh[grant.refresh_token] = grant
        self._authorized = set(stored.authorized)

    def _save(self) -> None:
        """Write the secret and every grant that still holds a token (under the lock, so writes are
        never reordered); a no-op without ``state_path``."""
        if self.state_path is None:
            return
        live = set(self._access)
        grants = {id(a.grant): a.grant for a in self._access.values()}
        grants |= {id(g): g for g in self._refresh.values()}
        state = _SavedState(
            client_id=self.client_id,
            client_secret=self.client_secret,
            authorized=sorted(self._authorized),
            grants=[
                _SavedGrant(
                    user_id=g.user_id,
                    scopes=list(g.scopes),
                    refresh_token=g.refresh_token,
                    access_tokens={t: self._access[t].expires_at for t in sorted(g.access_tokens & live)},
                )
                for g in sorted(grants.values(), key=lambda g: (g.user_id, g.refresh_token or ""))
            ],
        )
        _write_private(self.state_path, state.model_dump_json(indent=1))


class _SavedGrant(BaseModel):
    user_id: int
    scopes: list[str]
    refresh_token: str | None
    access_tokens: dict[str, AwareDatetime]  # token: expiry


class _SavedState(BaseModel):
    version: Literal[1] = 1
    client_id: str
    client_secret: str
    authorized: list[int]  # users whose access was granted and not revoked
    grants: list[_SavedGrant]


def _read_state(path: Path, client_id: str) -> _SavedState | None:
    """The stored state of this app, or None: no file yet, another app's (another client id), or a
    file that cannot be read (the simulator starts fresh and overwrites it; athletes consent again)."""
    try:
        stored = _SavedState.model_validate_json(path.read_bytes())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:  # pydantic's ValidationError is a ValueError
        log.warning("WHOOP simulator state %s unreadable (%s); starting fresh", path, type(exc).__name__)
        return None
    return stored if stored.client_id == client_id else None


def _write_private(path: Path, text: str) -> None:
    """Replace ``path`` atomically with a file only its owner can read (mode 600): a reader never
    sees half a file, and the tokens of even a local fake stay private. No fsync: it would triple the
    cost of each save, and a file lost to a machine crash only means the athletes consent again."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w") as out:  # mkstemp creates it with mode 600
            out.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _invalid_grant(description: str) -> Answer:
    return Answer(400, {"error": "invalid_grant", "error_description": description})
