"""SQL of the model stage: its input from the join layer, its runs, its predictions."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime

import pandas as pd
import psycopg
from psycopg import sql

from clutch_pipeline.db.frames import rows_frame

# The model's input, one row per player and game, under the names of the CSV contract (docs/model.md).
# Players and games are named by the NBA's ids, which an analyst can look up.
_INPUT = """
SELECT p.nba_person_id AS player_id, g.nba_game_id AS game_id, s.game_date, s.season,
       s.clutch_score::float8 AS clutch_score,
       -- The model's wearables are these three: a row "has wearables" when one of them is there.
       (s.hrv_baseline_deviation IS NOT NULL OR s.recovery_score_pregame IS NOT NULL
        OR s.sleep_performance_pregame IS NOT NULL) AS has_wearables_data,
       s.hrv_baseline_deviation::float8 AS hrv_baseline_deviation,
       s.recovery_score_pregame::float8 AS recovery_score_pregame,
       s.sleep_performance_pregame::float8 AS sleep_performance_pregame,
       s.score_margin::float8 AS score_margin, s.is_playoff,
       s.days_since_last_game::float8 AS days_since_last_game,
       (s.team_id = g.home_team_id) AS is_home,  -- NULL where his team is unknown: the input refuses it
       s.points_over_expected::float8 AS points_over_expected
FROM clutch_game_scores s
JOIN players p USING (player_id)
JOIN games g USING (game_id)
WHERE s.season = ANY(%(seasons)s) AND (%(through)s::date IS NULL OR s.game_date <= %(through)s::date)
ORDER BY s.game_date, g.nba_game_id, p.nba_person_id
"""


def model_input(
    conn: psycopg.Connection, seasons: Sequence[str], through: date | None = None
) -> pd.DataFrame:
    """The game clutch scores of ``seasons`` (up to ``through``) with their pregame context."""
    return rows_frame(conn, _INPUT, {"seasons": list(seasons), "through": through})


def seasons_with_scores(conn: psycopg.Connection) -> list[str]:
    return [s for (s,) in conn.execute("SELECT DISTINCT season FROM clutch_game_scores ORDER BY 1")]


def last_game_day(conn: psycopg.Connection, seasons: Sequence[str]) -> date | None:
    """The latest day with game scores in ``seasons`` (the main job's backtest predicts it)."""
    return conn.execute(
        "SELECT max(game_date) FROM clutch_game_scores WHERE season = ANY(%s)", (list(seasons),)
    ).fetchone()[0]


def record_run(conn: psycopg.Connection, run: dict) -> None:
    """Insert or replace a model run (``run``: model_runs columns; JSON ones as dicts)."""
    row = {k: (json.dumps(v) if isinstance(v, dict) else v) for k, v in run.items()}
    names = [sql.Identifier(c) for c in row]
    query = sql.SQL(
        "INSERT INTO model_runs ({columns}) VALUES ({values}) ON CONFLICT (model_version) DO UPDATE SET {set}"
    ).format(
        columns=sql.SQL(", ").join(names),
        values=sql.SQL(", ").join(sql.Placeholder(c) for c in row),
        set=sql.SQL(", ").join(
            sql.SQL("{c} = EXCLUDED.{c}").format(c=sql.Identifier(c)) for c in row if c != "model_version"
        ),
    )
    conn.execute(query, row)


def latest_published(conn: psycopg.Connection) -> dict | None:
    """The latest published model run, as a dict of its columns."""
    cursor = conn.execute(
        "SELECT * FROM model_runs WHERE published ORDER BY published_at DESC, model_version DESC LIMIT 1"
    )
    row = cursor.fetchone()
    return None if row is None else dict(zip([c.name for c in cursor.description], row, strict=True))


def latest_run(conn: psycopg.Connection, purpose: str) -> dict | None:
    """The latest model run of a purpose ('publish' or 'backtest'), as a dict of its columns."""
    cursor = conn.execute(
        "SELECT * FROM model_runs WHERE purpose = %s ORDER BY started_at DESC, model_version DESC LIMIT 1",
        (purpose,),
    )
    row = cursor.fetchone()
    return None if row is None else dict(zip([c.name for c in cursor.description], row, strict=True))


def scores_changed_since(conn: psycopg.Connection, seasons: Sequence[str], when: datetime) -> bool:
    """Whether any game score of ``seasons`` was (re)computed after ``when``."""
    latest = conn.execute(
        "SELECT max(computed_at) FROM clutch_game_scores WHERE season = ANY(%s)", (list(seasons),)
    ).fetchone()[0]
    return latest is not None and latest > when


def upcoming_context(conn: psycopg.Connection, now: datetime) -> pd.DataFrame:
    """The pregame context of games not yet started (scheduled, tip-off after ``now``): what the
    predictions asset predicts."""
    return rows_frame(
        conn,
        """
        SELECT p.nba_person_id AS player_id, g.nba_game_id AS game_id, c.player_id AS player_uuid,
               c.game_id AS game_uuid, g.game_date, g.season,
               (c.hrv_baseline_deviation IS NOT NULL OR c.recovery_score_pregame IS NOT NULL
                OR c.sleep_performance_pregame IS NOT NULL) AS has_wearables_data,
               c.hrv_baseline_deviation::float8 AS hrv_baseline_deviation,
               c.recovery_score_pregame::float8 AS recovery_score_pregame,
               c.sleep_performance_pregame::float8 AS sleep_performance_pregame,
               NULL::float8 AS score_margin, c.is_playoff,
               c.days_since_last_game::float8 AS days_since_last_game,
               (c.team_id = g.home_team_id) AS is_home  -- NULL where his team is unknown
        FROM pregame_context c
        JOIN games g USING (game_id)
        JOIN players p ON p.player_id = c.player_id
        WHERE g.status = 'scheduled' AND (g.tipoff_at IS NULL OR g.tipoff_at > %s)
        ORDER BY g.game_date, g.nba_game_id, p.nba_person_id
        """,
        (now,),
    )


def player_game_context(conn: psycopg.Connection, nba_person_id: int, nba_game_id: str) -> pd.DataFrame:
    """One player's pregame context for one game (empty when the join layer has none)."""
    return rows_frame(
        conn,
        """
        SELECT p.nba_person_id AS player_id, g.nba_game_id AS game_id, c.player_id AS player_uuid,
               c.game_id AS game_uuid, g.game_date, g.season, g.status,
               (c.hrv_baseline_deviation IS NOT NULL OR c.recovery_score_pregame IS NOT NULL
                OR c.sleep_performance_pregame IS NOT NULL) AS has_wearables_data,
               c.hrv_baseline_deviation::float8 AS hrv_baseline_deviation,
               c.recovery_score_pregame::float8 AS recovery_score_pregame,
               c.sleep_performance_pregame::float8 AS sleep_performance_pregame,
               c.is_playoff, c.days_since_last_game::float8 AS days_since_last_game,
               (c.team_id = g.home_team_id) AS is_home
        FROM pregame_context c
        JOIN games g USING (game_id)
        JOIN players p ON p.player_id = c.player_id
        WHERE p.nba_person_id = %s AND g.nba_game_id = %s
        """,
        (nba_person_id, nba_game_id),
    )


def uuids_of(
    conn: psycopg.Connection, person_ids: Sequence[int], game_ids: Sequence[str]
) -> tuple[dict, dict]:
    """Our player and game ids for NBA person and game ids."""
    players = dict(
        conn.execute(
            "SELECT nba_person_id, player_id FROM players WHERE nba_person_id = ANY(%s)", (list(person_ids),)
        ).fetchall()
    )
    games = dict(
        conn.execute(
            "SELECT nba_game_id, game_id FROM games WHERE nba_game_id = ANY(%s)", (list(game_ids),)
        ).fetchall()
    )
    return players, games


_PREDICTION_COLUMNS = (
    "model_version",
    "player_id",
    "game_id",
    "purpose",
    "predicted_clutch_score",
    "interval_low",
    "interval_high",
    "prediction_confidence",
    "score_margin",
    "is_playoff",
    "days_since_last_game",
    "has_wearables_data",
    "hrv_baseline_deviation",
    "recovery_score_pregame",
    "sleep_performance_pregame",
    "observed_clutch_score",
)


def write_predictions(conn: psycopg.Connection, rows: Sequence[dict]) -> int:
    """Upsert predictions (one per model version, player, game and purpose) through COPY."""
    if not rows:
        return 0
    with conn.transaction():  # the staging table empties at commit: one transaction, whatever the mode
        return _write_predictions(conn, rows)


def _write_predictions(conn: psycopg.Connection, rows: Sequence[dict]) -> int:
    columns = sql.SQL(", ").join(sql.Identifier(c) for c in _PREDICTION_COLUMNS)
    conn.execute(
        "CREATE TEMP TABLE IF NOT EXISTS prediction_stage (LIKE clutch_predictions INCLUDING DEFAULTS)"
        " ON COMMIT DELETE ROWS"
    )
    copy_sql = sql.SQL("COPY prediction_stage ({columns}) FROM STDIN").format(columns=columns)
    with conn.cursor().copy(copy_sql) as copy:
        for row in rows:
            copy.write_row(tuple(row.get(c) for c in _PREDICTION_COLUMNS))
    updates = sql.SQL(", ").join(
        sql.SQL("{c} = EXCLUDED.{c}").format(c=sql.Identifier(c)) for c in _PREDICTION_COLUMNS[4:]
    )
    written = conn.execute(
        sql.SQL(
            "INSERT INTO clutch_predictions ({columns}) SELECT {columns} FROM prediction_stage"
            " ON CONFLICT (model_version, player_id, game_id, purpose) DO UPDATE SET {updates},"
            " predicted_at = now()"
        ).format(columns=columns, updates=updates)
    ).rowcount
    conn.execute("TRUNCATE prediction_stage")
    return written


def prediction_counts(conn: psycopg.Connection) -> dict[str, int]:
    """clutch_predictions rows by purpose ('upcoming', 'backtest', ...)."""
    rows = conn.execute("SELECT purpose, count(*) FROM clutch_predictions GROUP BY purpose ORDER BY 1")
    return {purpose: int(n) for purpose, n in rows.fetchall()}
