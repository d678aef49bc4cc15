"""Teams, players and games: the rows every other NBA table points at, from schedules and play-by-play."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Protocol

import psycopg

from clutch_pipeline.nba import store
from clutch_pipeline.nba.schedule import ScheduledGame


def scheduled_game_rows(games: Sequence[ScheduledGame]) -> tuple[dict[int, str | None], list[store.GameRow]]:
    """Teams and game rows for games a schedule or scoreboard announced."""
    teams: dict[int, str | None] = {}
    rows = []
    for game in games:
        teams[game.home_team_id] = game.home_tricode
        teams[game.away_team_id] = game.away_tricode
        rows.append(
            store.GameRow(
                nba_game_id=game.game_id,
                home_team=game.home_team_id,
                away_team=game.away_team_id,
                game_date=game.game_date,
                tipoff_at=game.tipoff_utc,
                status=game.status,
                home_score=game.home_score,
                away_score=game.away_score,
            )
        )
    return teams, rows


def register_games(conn: psycopg.Connection, games: Sequence[ScheduledGame]) -> int:
    """Upsert announced games (and their teams), so their dates are known before play-by-play is."""
    teams, rows = scheduled_game_rows(games)
    store.upsert_games(conn, rows, store.upsert_teams(conn, teams))
    return len(rows)


class NamesPeople(Protocol):
    teams: dict[int, str | None]  # NBA team id -> tricode
    players: dict[int, str]  # NBA person id -> name


def upsert_people(
    conn: psycopg.Connection, games: Iterable[NamesPeople]
) -> tuple[dict[int, uuid.UUID], dict[int, uuid.UUID]]:
    """UUIDs of the teams and players these games name (by NBA id), inserting new ones."""
    teams: dict[int, str | None] = {}
    players: dict[int, str] = {}
    for game in games:
        for team_id, tricode in game.teams.items():
            teams[team_id] = teams.get(team_id) or tricode
        players.update(game.players)
    return store.upsert_teams(conn, teams), store.upsert_players(conn, players)
