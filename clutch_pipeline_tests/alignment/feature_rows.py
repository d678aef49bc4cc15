"""Hand-made rows for the feature store's tests, inserted with plain SQL as the other stages write them:
teams, players, games, devices, daily summaries, pregame context and game clutch scores."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import count

import psycopg
from psycopg import sql

SEASON = "2022-23"
SEASON_CODE = "22"  # the id's two digits of the season's first year


@dataclass
class World:
    """Two teams and a counter of game ids: enough for players, games and their rows."""

    conn: psycopg.Connection
    home: uuid.UUID
    away: uuid.UUID
    numbers: count = field(default_factory=lambda: count(1))

    def player(self) -> uuid.UUID:
        number = next(self.numbers)
        return self.conn.execute(
            "INSERT INTO players (nba_person_id, full_name) VALUES (%s, %s) RETURNING player_id",
            (1000 + number, f"Player {number}"),
        ).fetchone()[0]

    def device(self, player: uuid.UUID) -> uuid.UUID:
        return self.conn.execute(
            "INSERT INTO wearables_devices (player_id, consent_granted, consent_granted_at)"
            " VALUES (%s, TRUE, now()) RETURNING device_id",
            (player,),
        ).fetchone()[0]

    def game(self, day: date, season_code: str = SEASON_CODE) -> uuid.UUID:
        nba_game_id = f"002{season_code}{next(self.numbers):05d}"
        return self.conn.execute(
            "INSERT INTO games (nba_game_id, home_team_id, away_team_id, game_date)"
            " VALUES (%s, %s, %s, %s) RETURNING game_id",
            (nba_game_id, self.home, self.away, day),
        ).fetchone()[0]


def new_world(conn: psycopg.Connection) -> World:
    teams = [
        conn.execute(
            "INSERT INTO teams (nba_team_id, tricode) VALUES (%s, %s) RETURNING team_id", (nba_id, code)
        ).fetchone()[0]
        for nba_id, code in ((1610612738, "BOS"), (1610612747, "LAL"))
    ]
    return World(conn, *teams)


def add_summary(
    conn: psycopg.Connection, device: uuid.UUID, player: uuid.UUID, day: date, **values: float | None
) -> None:
    """One daily summary; ``values`` names columns of wearables_daily_summary (hrv_rmssd_avg, ...)."""
    columns = ["device_id", "player_id", "summary_date", *values]
    statement = sql.SQL("INSERT INTO wearables_daily_summary ({}) VALUES ({})").format(
        sql.SQL(", ").join(map(sql.Identifier, columns)),
        sql.SQL(", ").join([sql.Placeholder()] * len(columns)),
    )
    conn.execute(statement, (device, player, day, *values.values()))


def add_context(conn: psycopg.Connection, game: uuid.UUID, player: uuid.UUID, played: bool = True) -> None:
    """The NBA part of a pregame_context row (the features read only which games a player has)."""
    conn.execute(
        "INSERT INTO pregame_context (game_id, player_id, played, is_playoff) VALUES (%s, %s, %s, FALSE)",
        (game, player, played),
    )


def add_score(
    conn: psycopg.Connection,
    game: uuid.UUID,
    player: uuid.UUID,
    day: date,
    clutch_score: float,
    with_wearables: bool,
) -> None:
    """A game clutch score, with its pregame_context row (every scored game has one)."""
    add_context(conn, game, player)
    conn.execute(
        "INSERT INTO clutch_game_scores (game_id, player_id, season, game_date, situations, actions_total,"
        " clutch_score, is_playoff, has_wearables_data, recovery_score_pregame)"
        " VALUES (%s, %s, %s, %s, 1, 3, %s, FALSE, %s, %s)",
        (game, player, SEASON, day, clutch_score, with_wearables, 70 if with_wearables else None),
    )


def days(first: date, n: int) -> list[date]:
    return [first + timedelta(days=i) for i in range(n)]


def features(conn: psycopg.Connection, player: uuid.UUID) -> dict[tuple[str, date], float]:
    """A player's stored features: (feature name, as-of date) -> value."""
    rows = conn.execute(
        "SELECT feature_name, as_of_date, feature_value FROM ml_features WHERE entity_id = %s", (player,)
    ).fetchall()
    return {(name, day): value for name, day, value in rows}


def add_synthetic_season(
    conn: psycopg.Connection, players: int, games: int, summary_days: int, first_game: date
) -> None:
    """A season-sized world in a few set-based statements: ``players`` players of two teams, each in
    every one of ``games`` games (every other day from ``first_game``), a device each, and
    ``summary_days`` daily summaries each ending the day of the last game. Values vary by player and day.
    """
    world = new_world(conn)
    conn.execute(
        "INSERT INTO players (nba_person_id, full_name)"
        " SELECT 5000 + i, 'P' || i FROM generate_series(1, %s) i",
        (players,),
    )
    conn.execute(
        "INSERT INTO wearables_devices (player_id, consent_granted) SELECT player_id, TRUE FROM players"
    )
    conn.execute(
        "INSERT INTO games (nba_game_id, home_team_id, away_team_id, game_date)"
        " SELECT '00222' || lpad(i::text, 5, '0'), %s, %s, %s::date + 2 * (i - 1)"
        " FROM generate_series(1, %s) i",
        (world.home, world.away, first_game, games),
    )
    last_game = first_game + timedelta(days=2 * (games - 1))
    conn.execute(
        """
        INSERT INTO wearables_daily_summary (device_id, player_id, summary_date, hrv_rmssd_avg,
            hrv_baseline_deviation, recovery_score, sleep_performance_score, day_strain)
        SELECT d.device_id, d.player_id, %(last)s::date - k,
               40 + (hashtext(d.player_id::text || k) & 63), (hashtext(k || d.player_id::text) %% 20),
               20 + (hashtext(d.device_id::text || k) & 63), 50 + (hashtext(k || d.device_id::text) & 31),
               5 + (hashtext(d.player_id::text || d.device_id::text || k) & 15)
        FROM wearables_devices d CROSS JOIN generate_series(0, %(n)s - 1) k
        """,
        {"last": last_game, "n": summary_days},
    )
    conn.execute(
        "INSERT INTO pregame_context (game_id, player_id, played, is_playoff)"
        " SELECT g.game_id, p.player_id, TRUE, FALSE FROM games g CROSS JOIN players p"
    )
    conn.execute(
        """
        INSERT INTO clutch_game_scores (game_id, player_id, season, game_date, situations, actions_total,
            clutch_score, is_playoff, has_wearables_data)
        SELECT g.game_id, p.player_id, g.season, g.game_date, 1, 3,
               30 + (hashtext(g.game_id::text || p.player_id::text) & 63), FALSE,
               hashtext(p.player_id::text || g.game_id::text) % 4 <> 0
        FROM games g CROSS JOIN players p
        """
    )
