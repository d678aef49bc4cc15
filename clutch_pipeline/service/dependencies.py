"""What the routes need, as FastAPI dependencies: the service's configuration (kept on ``app.state``
by ``create_app``), a database connection per request, the API key check, and players, games, seasons
and dates as users write them (a malformed one answers 400, an unknown player or game 404)."""

from __future__ import annotations

import hmac
import re
import uuid
from collections.abc import Iterator
from datetime import date
from typing import Annotated

import psycopg
from fastapi import Depends, HTTPException, Path, Request, Security
from fastapi.security import APIKeyHeader

from clutch_pipeline.alignment.store import reads
from clutch_pipeline.db.connection import connect
from clutch_pipeline.service.config import ServiceConfig
from clutch_pipeline.whoop.app import WhoopApp

_api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False)


def service_config(request: Request) -> ServiceConfig:
    return request.app.state.config


Config = Annotated[ServiceConfig, Depends(service_config)]


def whoop_app(config: Config) -> WhoopApp:
    """Our WHOOP app, or a 503 saying WHOOP is not configured (the routes that talk to WHOOP need it;
    nothing else does)."""
    if config.whoop is None:
        raise HTTPException(
            503, "WHOOP is not configured on this service (set WHOOP_CLIENT_ID and WHOOP_CLIENT_SECRET)"
        )
    return config.whoop


Whoop = Annotated[WhoopApp, Depends(whoop_app)]


def open_database(config: ServiceConfig) -> psycopg.Connection:
    """An autocommit connection (each statement commits; a transaction where a route opens one)."""
    return connect(config.database_url, autocommit=True)


def database(config: Config) -> Iterator[psycopg.Connection]:
    """One connection for the request, closed after it."""
    with open_database(config) as conn:
        yield conn


Database = Annotated[psycopg.Connection, Depends(database)]


def require_api_key(config: Config, key: str | None = Security(_api_key_header)) -> None:
    """Every read of athlete data is for the team's own tools: one of ``CLUTCH_API_KEYS`` in X-API-Key."""
    if not config.api_keys:
        raise HTTPException(503, "no API keys are configured (CLUTCH_API_KEYS)")
    if key is None or not any(hmac.compare_digest(key.encode(), k.encode()) for k in config.api_keys):
        raise HTTPException(401, "missing or wrong X-API-Key", headers={"WWW-Authenticate": "ApiKey"})


# ---------------------------------------------------------------------------------------------------
# Players, games and seasons as users name them: a malformed one is a 400, an unknown one a 404.

_SEASON = re.compile(r"(\d{4})-(\d{2})")


def resolved_player(
    player: Annotated[str, Path(description="The player: his NBA person id (e.g. 1628369) or our UUID.")],
    conn: Database,
) -> dict:
    """The ``{player}`` of the path: an NBA person id (digits) or our UUID."""
    if not re.fullmatch(r"[0-9]{1,18}", player) and not _is_uuid(player):
        raise HTTPException(400, f"not a player id: {player!r} (an NBA person id or a UUID)")
    found = reads.resolve_player(conn, player)
    if found is None:
        raise HTTPException(404, f"no player {player}")
    return found


def resolved_game(
    game: Annotated[str, Path(description="The game: its NBA game id (e.g. 0022200001) or our UUID.")],
    conn: Database,
) -> dict:
    """The ``{game}`` of the path: an NBA game id ('0022200001') or our UUID."""
    found = game_named(conn, game)
    if found is None:
        raise HTTPException(404, f"no game {game}")
    return found


def game_named(conn: psycopg.Connection, game: str) -> dict | None:
    """The game, None when unknown; a 400 when ``game`` is neither an NBA game id nor a UUID."""
    if not re.fullmatch(r"00[1-6][0-9]{7}", game) and not _is_uuid(game):
        raise HTTPException(400, f"not a game id: {game!r} (a ten-digit NBA game id or a UUID)")
    return reads.resolve_game(conn, game)


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def checked_season(season: str | None) -> str | None:
    """A season as the NBA writes it, '2022-23' (the second year the first's next), or a 400."""
    if season is None:
        return None
    match = _SEASON.fullmatch(season)
    if not match or (int(match[1]) + 1) % 100 != int(match[2]):
        raise HTTPException(400, f"not a season: {season!r} (write it as 2022-23)")
    return season


def checked_date(name: str, value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise HTTPException(400, f"{name}: not a date: {value!r} (write it as 2022-10-18)") from None


PlayerRef = Annotated[dict, Depends(resolved_player)]
GameRef = Annotated[dict, Depends(resolved_game)]
