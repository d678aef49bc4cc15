"""SQL of the clutch scores: clutch_performance_scores (per player and situation) and clutch_game_scores
(per player and game), computed by ``alignment.scores`` from the clutch rows of the NBA stage and the
pregame context. Runs in the caller's transaction."""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import psycopg

from clutch_pipeline.alignment import scores
from clutch_pipeline.db.frames import rows_frame

_COUNT_COLUMNS = (
    "actions_total",
    "actions_successful",
    "success_rate",
    "points_scored",
    "assists",
    "turnovers",
    "rebounds",
    "steals",
    "blocks",
    "expected_points",
    "points_over_expected",
    "clutch_score",
    "score_margin",
    "is_playoff",
    "days_since_last_game",
    "hrv_rmssd_pregame",
    "hrv_baseline_deviation",
    "recovery_score_pregame",
    "sleep_performance_pregame",
    "day_strain_pregame",
    "has_wearables_data",
    "wearables_quality_score",
)
SITUATION_COLUMNS = ("player_id", "game_id", "situation_id", "season", "game_date", *_COUNT_COLUMNS)
GAME_COLUMNS = ("game_id", "player_id", "team_id", "season", "game_date", "situations", *_COUNT_COLUMNS)


@dataclass(frozen=True)
class ScoreCounts:
    games: int
    situation_scores: int  # clutch_performance_scores rows written
    game_scores: int  # clutch_game_scores rows written
    game_scores_with_wearables: int
    seconds: float


def read_inputs(conn: psycopg.Connection, game_ids: Sequence[uuid.UUID]) -> dict[str, pd.DataFrame]:
    """The clutch actions, situations, who played and pregame context of these games."""
    params = {"games": list(game_ids)}
    return {
        "actions": rows_frame(
            conn,
            """
            SELECT game_id, situation_id, player_id, team_id, action_type, action_subtype, is_successful,
                   points_scored, expected_points::float8, points_over_expected::float8
            FROM clutch_player_actions WHERE game_id = ANY(%(games)s)
            """,
            params,
        ),
        "situations": rows_frame(
            conn,
            """
            SELECT s.situation_id, s.game_id, s.start_timestamp, s.window_number, s.score_margin,
                   g.home_team_id, g.away_team_id, g.season, g.season_type, g.game_date
            FROM clutch_situations s JOIN games g USING (game_id) WHERE s.game_id = ANY(%(games)s)
            """,
            params,
        ),
        "game_players": rows_frame(
            conn,
            "SELECT game_id, player_id, team_id FROM nba_game_players WHERE game_id = ANY(%(games)s)",
            params,
        ),
        "context": rows_frame(
            conn,
            """
            SELECT game_id, player_id, is_playoff, days_since_last_game, has_wearables_data,
                   hrv_rmssd_pregame::float8, hrv_baseline_deviation::float8, recovery_score_pregame::float8,
                   sleep_performance_pregame::float8, day_strain_previous::float8,
                   wearables_quality_score::float8
            FROM pregame_context WHERE game_id = ANY(%(games)s)
            """,
            params,
        ),
    }


def _records(rows: pd.DataFrame, columns: Sequence[str]) -> list[tuple]:
    """Rows as plain Python values (numpy scalars and pandas NA become int/float/bool and None)."""
    frame = rows[list(columns)].astype(object)
    frame = frame.where(frame.notna(), None)
    return [
        tuple(v.item() if isinstance(v, np.generic) else v for v in row) for row in frame.itertuples(False)
    ]


def _stage_and_insert(
    conn: psycopg.Connection, table: str, columns: Sequence[str], records: list[tuple]
) -> None:
    stage = f"{table}_stage"
    names = ", ".join(columns)
    # Fixed identifiers from this module, never values: the values travel by COPY.
    conn.execute(
        f"CREATE TEMP TABLE IF NOT EXISTS {stage} (LIKE {table} INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
    )
    conn.execute(f"TRUNCATE {stage}")
    with conn.cursor().copy(f"COPY {stage} ({names}) FROM STDIN") as copy:
        for record in records:
            copy.write_row(record)
    conn.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM {stage}")
    conn.execute(f"TRUNCATE {stage}")


def score_games(conn: psycopg.Connection, game_ids: Sequence[uuid.UUID]) -> ScoreCounts:
    """Replace both score tables' rows of these games (a game without clutch actions ends with none).

    Percentiles are left NULL: ``update_percentiles`` sets them for the season afterwards.
    """
    started = time.perf_counter()
    game_ids = list(dict.fromkeys(game_ids))
    inputs = read_inputs(conn, game_ids)
    situation_rows = game_rows = pd.DataFrame()
    if len(inputs["actions"]):
        situation_rows = scores.situation_scores(**inputs)
        game_rows = scores.game_scores(**inputs)
    with conn.transaction():
        params = {"games": game_ids}
        conn.execute("DELETE FROM clutch_performance_scores WHERE game_id = ANY(%(games)s)", params)
        conn.execute("DELETE FROM clutch_game_scores WHERE game_id = ANY(%(games)s)", params)
        if len(situation_rows):
            situation_rows["calculation_method"] = scores.METHOD
            columns = (*SITUATION_COLUMNS, "calculation_method")
            _stage_and_insert(conn, "clutch_performance_scores", columns, _records(situation_rows, columns))
            _stage_and_insert(conn, "clutch_game_scores", GAME_COLUMNS, _records(game_rows, GAME_COLUMNS))
    return ScoreCounts(
        games=len(game_ids),
        situation_scores=len(situation_rows),
        game_scores=len(game_rows),
        game_scores_with_wearables=int(game_rows["has_wearables_data"].sum()) if len(game_rows) else 0,
        seconds=time.perf_counter() - started,
    )


def update_percentiles(conn: psycopg.Connection, season: str) -> int:
    """Set clutch_percentile of the season's rows of both tables, each table among its own rows: the
    share of the season's scores dated on or before the row's game date that are at most its score.
    Returns how many rows changed (rows whose percentile was already right are not rewritten)."""
    changed = 0
    with conn.transaction():
        for table, key in (
            ("clutch_performance_scores", "score_id"),
            ("clutch_game_scores", "game_id, player_id"),
        ):
            changed += _update_table_percentiles(conn, table, key, season)
    return changed


def _update_table_percentiles(conn: psycopg.Connection, table: str, key: str, season: str) -> int:
    # Fixed identifiers from this module, never values.
    rows = rows_frame(
        conn,
        f"SELECT {key}, game_date, clutch_score::float8 FROM {table}"
        " WHERE season = %(season)s AND clutch_score IS NOT NULL AND game_date IS NOT NULL",
        {"season": season},
    )
    if rows.empty:
        return 0
    rows["percentile"] = scores.percentiles_so_far(
        rows["game_date"].to_numpy(), rows["clutch_score"].to_numpy()
    )
    keys = [k.strip() for k in key.split(",")]
    stage = f"{table}_percentile_stage"
    conn.execute(
        f"CREATE TEMP TABLE IF NOT EXISTS {stage} AS"
        f" SELECT {key}, clutch_percentile FROM {table} WITH NO DATA"
    )
    conn.execute(f"TRUNCATE {stage}")
    with conn.cursor().copy(f"COPY {stage} ({key}, clutch_percentile) FROM STDIN") as copy:
        for record in _records(rows, [*keys, "percentile"]):
            copy.write_row(record)
    match = " AND ".join(f"t.{k} = s.{k}" for k in keys)
    updated = conn.execute(
        f"UPDATE {table} t SET clutch_percentile = s.clutch_percentile FROM {stage} s"
        f" WHERE {match} AND t.clutch_percentile IS DISTINCT FROM s.clutch_percentile"
    ).rowcount
    conn.execute(f"TRUNCATE {stage}")
    return updated
