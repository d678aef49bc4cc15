"""The SQL the simulator reads: which players played in which games, their teams, names and schedules.

Read only, parameterized. Who played for whom is ``nba_game_players``, which the NBA load writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import psycopg


@dataclass(frozen=True)
class GameRow:
    nba_game_id: str
    game_date: date
    tipoff_at: datetime | None
    home_team_id: int
    away_team_id: int
    has_actions: bool  # play-by-play is loaded: a player absent from it did not play


def person_ids_in_games(conn: psycopg.Connection, start: date, end: date) -> list[int]:
    """Every person id that played in a game dated ``start`` to ``end``."""
    rows = conn.execute(
        """
        SELECT DISTINCT p.nba_person_id
        FROM nba_game_players gp
        JOIN games g USING (game_id)
        JOIN players p USING (player_id)
        WHERE g.game_date BETWEEN %s AND %s
        ORDER BY p.nba_person_id
        """,
        (start, end),
    ).fetchall()
    return [row[0] for row in rows]


def player_game_teams(
    conn: psycopg.Connection, person_ids: list[int], start: date, end: date
) -> list[tuple[int, str, date, int]]:
    """(person id, game id, game date, team id) for each game of ``start`` to ``end`` a person played
    in, with the team he played for."""
    rows = conn.execute(
        """
        SELECT p.nba_person_id, g.nba_game_id, g.game_date, t.nba_team_id
        FROM nba_game_players gp
        JOIN games g USING (game_id)
        JOIN players p USING (player_id)
        JOIN teams t ON t.team_id = gp.team_id
        WHERE p.nba_person_id = ANY(%s) AND g.game_date BETWEEN %s AND %s
        ORDER BY p.nba_person_id, g.nba_game_id
        """,
        (person_ids, start, end),
    ).fetchall()
    return [(int(p), str(g), d, int(t)) for p, g, d, t in rows]


def team_games(conn: psycopg.Connection, team_ids: list[int], start: date, end: date) -> list[GameRow]:
    """The games of these teams dated ``start`` to ``end`` that were or will be played."""
    rows = conn.execute(
        """
        SELECT g.nba_game_id, g.game_date, g.tipoff_at, home.nba_team_id, away.nba_team_id,
               EXISTS (SELECT 1 FROM nba_game_players gp WHERE gp.game_id = g.game_id)
        FROM games g
        JOIN teams home ON home.team_id = g.home_team_id
        JOIN teams away ON away.team_id = g.away_team_id
        WHERE g.game_date BETWEEN %s AND %s
          AND (home.nba_team_id = ANY(%s) OR away.nba_team_id = ANY(%s))
          AND g.status NOT IN ('postponed', 'cancelled')
        ORDER BY g.game_date, g.nba_game_id
        """,
        (start, end, team_ids, team_ids),
    ).fetchall()
    return [GameRow(str(g), d, t, int(h), int(a), bool(x)) for g, d, t, h, a, x in rows]


def player_names(
    conn: psycopg.Connection, person_ids: list[int]
) -> dict[int, tuple[str | None, str | None, str]]:
    """(first name, last name, full name) by person id, for the players we know."""
    rows = conn.execute(
        """
        SELECT nba_person_id, first_name, last_name, full_name
        FROM players WHERE nba_person_id = ANY(%s)
        """,
        (person_ids,),
    ).fetchall()
    return {int(p): (first, last, full) for p, first, last, full in rows}


def clutch_poe_by_player_game(
    conn: psycopg.Connection, start: date, end: date
) -> list[tuple[int, date, float]]:
    """(person id, game date, his clutch points over expected that game) for every player-game of
    ``start`` to ``end`` with a clutch action, as the NBA stage wrote them (``clutch_player_actions``):
    what a planted readiness is tied to. Actions without a shot count 0."""
    rows = conn.execute(
        """
        SELECT p.nba_person_id, g.game_date, COALESCE(sum(a.points_over_expected), 0)::float8
        FROM clutch_player_actions a
        JOIN games g USING (game_id)
        JOIN players p USING (player_id)
        WHERE g.game_date BETWEEN %s AND %s
        GROUP BY p.nba_person_id, g.game_date
        ORDER BY p.nba_person_id, g.game_date
        """,
        (start, end),
    ).fetchall()
    return [(int(p), d, float(v)) for p, d, v in rows]


def any_device(conn: psycopg.Connection) -> bool:
    """Whether any athlete has a wearables device: WHOOP data may have been synced."""
    return bool(conn.execute("SELECT EXISTS (SELECT 1 FROM wearables_devices)").fetchone()[0])
