"""WHOOP's OAuth: the authorize URL we hand out for a player, and the callback WHOOP sends him back to.

The callback is open (WHOOP cannot send our API key): the single-use state is what authenticates it.
Its parameters are checked before anything touches the database, so junk gets a 400, not a 500.
"""

from __future__ import annotations

import logging
import re

import psycopg
from fastapi import APIRouter, Depends, HTTPException

from clutch_pipeline.http_retry import HttpGaveUp
from clutch_pipeline.service.config import ServiceConfig
from clutch_pipeline.service.dependencies import Config, Database, Whoop, open_database, require_api_key
from clutch_pipeline.whoop import store
from clutch_pipeline.whoop.app import WhoopApp
from clutch_pipeline.whoop.client import InvalidGrant, WhoopPayloadError
from clutch_pipeline.whoop.consent import (
    Authorization,
    InvalidState,
    authorization_url,
    complete_authorization,
)

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api", tags=["auth"])

# Ours are eight letters and digits; WHOOP's codes and errors are printable ASCII.
_STATE = re.compile(r"[A-Za-z0-9]{1,64}")
_CODE = re.compile(r"[\x21-\x7e]{1,2048}")
_ERROR = re.compile(r"[A-Za-z0-9_.-]{1,200}")


def _checked(name: str, value: str | None, pattern: re.Pattern[str]) -> str | None:
    """The parameter, or a 400 (logged once, without the value: it may be a secret)."""
    if value is not None and not pattern.fullmatch(value):
        log.warning("WHOOP callback refused: malformed %s", name)
        raise HTTPException(400, f"malformed {name}")
    return value


@router.get("/auth/whoop/callback")
def whoop_callback(
    config: Config, whoop: Whoop, code: str | None = None, state: str | None = None, error: str | None = None
) -> dict:
    state = _checked("state", state, _STATE)
    code = _checked("code", code, _CODE)
    error = _checked("error", error, _ERROR)
    if not state:
        raise HTTPException(400, "missing state")
    with open_database(config) as conn:
        if error or not code:
            # The athlete declined (or WHOOP sent no code): spend the state so it cannot be replayed.
            with conn.transaction():
                store.consume_oauth_state(conn, state, config.clock())
            raise HTTPException(400, f"authorization not granted ({error or 'no code'})")
        granted = _complete(conn, config, whoop, code, state)
    return {"status": "authorized", "whoop_user_id": granted.whoop_user_id, "scopes": granted.scopes.split()}


def _complete(
    conn: psycopg.Connection, config: ServiceConfig, whoop: WhoopApp, code: str, state: str
) -> Authorization:
    with whoop.open(conn, clock=config.clock) as session:
        try:
            return complete_authorization(conn, whoop, session, code, state)
        except InvalidState:
            raise HTTPException(400, "unknown, expired or already used state") from None
        except InvalidGrant:
            raise HTTPException(400, "WHOOP refused the authorization code; start again") from None
        except (store.AccountLinkedElsewhere, store.DeviceLinkedToAnotherAccount) as exc:
            raise HTTPException(409, str(exc)) from None
        except (HttpGaveUp, WhoopPayloadError) as exc:
            log.warning("WHOOP callback failed: %s", exc)
            raise HTTPException(502, "WHOOP did not answer as expected; try again") from None


@router.get("/players/{nba_person_id}/wearables/authorize", dependencies=[Depends(require_api_key)])
def whoop_authorize(nba_person_id: int, config: Config, whoop: Whoop, conn: Database) -> dict:
    """A fresh WHOOP authorize URL for the player (its state is single use, valid 15 minutes)."""
    try:
        url = authorization_url(conn, whoop, nba_person_id, config.clock())
    except store.UnknownPlayer:
        raise HTTPException(404, f"no player {nba_person_id}") from None
    return {"nba_person_id": nba_person_id, "authorization_url": url}
