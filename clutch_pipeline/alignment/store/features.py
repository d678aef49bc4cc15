"""SQL of the feature store: a season's player features read, computed and replaced in one transaction.

The inputs are read with COPY into pandas frames (a season is a few hundred thousand summary and score
rows: one COPY each, no query per player or date), the features computed by alignment/features.py, and
the result COPY'd into a staging table and inserted with one statement.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import timedelta

import pandas as pd
import psycopg

from clutch_pipeline.alignment.features import FEATURE_NAMES, LONGEST_WINDOW_DAYS, player_features


@dataclass(frozen=True)
class FeatureCounts:
    """What a season's recompute did."""

    season: str
    players: int = 0
    as_of_dates: int = 0  # (player, game date) points
    rows_deleted: int = 0
    rows_written: int = 0
    rows_with_wearables: int = 0
    by_feature: dict[str, int] = field(default_factory=dict)


# The season's span in `games`: its first game date starts the 'season' windows, and the span is what a
# recompute replaces (seasons never overlap, so the span holds this season's as-of dates only).
_SEASON_SPAN = "SELECT min(game_date), max(game_date) FROM games WHERE season = %(season)s"

# Each player's game dates of the season, played or scheduled: what the model and predictions read.
_AS_OF = """
COPY (
    SELECT pc.player_id, g.game_date AS as_of_date
    FROM pregame_context pc JOIN games g ON g.game_id = pc.game_id
    WHERE g.season = %(season)s
    UNION
    SELECT player_id, game_date FROM clutch_game_scores WHERE season = %(season)s
) TO STDOUT WITH (FORMAT csv, HEADER)
"""

_SUMMARIES = """
COPY (
    SELECT player_id, summary_date, hrv_rmssd_avg, hrv_baseline_deviation, recovery_score,
           sleep_performance_score, day_strain
    FROM wearables_daily_summary
    WHERE summary_date >= %(first)s AND summary_date < %(last)s
) TO STDOUT WITH (FORMAT csv, HEADER)
"""

_SCORES = """
COPY (
    SELECT player_id, game_date, clutch_score, has_wearables_data
    FROM clutch_game_scores
    WHERE season = %(season)s AND game_date < %(last)s
) TO STDOUT WITH (FORMAT csv, HEADER)
"""

_DELETE = """
DELETE FROM ml_features
WHERE entity_type = 'player' AND feature_name = ANY(%(names)s)
  AND as_of_date BETWEEN %(first)s AND %(last)s
"""


def compute_features(conn: psycopg.Connection, season: str) -> FeatureCounts:
    """Replace the season's player features (the ones alignment/features.py defines) in ml_features.

    As of each player's game dates of the season, from the tables as they are now; idempotent. Runs in
    the caller's transaction (a savepoint) or its own.
    """
    with conn.transaction():
        first, last = conn.execute(_SEASON_SPAN, {"season": season}).fetchone()
        if first is None:
            return FeatureCounts(season)
        deleted = conn.execute(_DELETE, {"names": list(FEATURE_NAMES), "first": first, "last": last}).rowcount
        as_of = _read(conn, _AS_OF, {"season": season}, ["as_of_date"])
        if as_of.empty:
            return FeatureCounts(season, rows_deleted=deleted)
        end = as_of["as_of_date"].max().date()
        span = {"first": first - timedelta(days=LONGEST_WINDOW_DAYS), "last": end, "season": season}
        summaries = _read(conn, _SUMMARIES, span, ["summary_date"])
        scores = _read(conn, _SCORES, span, ["game_date"])
        rows = player_features(summaries, scores, as_of, first)
        _write(conn, rows)
        return _counts(season, as_of, rows, deleted)


def _read(conn: psycopg.Connection, statement: str, params: dict, dates: list[str]) -> pd.DataFrame:
    """A COPY ... TO STDOUT as a frame (NULL as NaN, booleans as bool, dates as datetimes)."""
    buffer = io.BytesIO()
    with conn.cursor().copy(statement, params) as copy:
        for block in copy:
            buffer.write(block)
    buffer.seek(0)
    return pd.read_csv(buffer, parse_dates=dates, true_values=["t"], false_values=["f"])


def _write(conn: psycopg.Connection, rows: pd.DataFrame) -> None:
    conn.execute(
        """
        CREATE TEMP TABLE IF NOT EXISTS ml_features_stage (
            entity_id UUID, feature_name TEXT, calculation_window TEXT, as_of_date DATE,
            feature_value DOUBLE PRECISION, uses_wearables BOOLEAN)
        ON COMMIT DELETE ROWS
        """
    )
    text = rows.to_csv(index=False, header=False, date_format="%Y-%m-%d")
    with conn.cursor().copy(
        "COPY ml_features_stage (entity_id, feature_name, calculation_window, as_of_date, feature_value,"
        " uses_wearables) FROM STDIN WITH (FORMAT csv)"
    ) as copy:
        copy.write(text)
    conn.execute(
        """
        INSERT INTO ml_features (entity_type, entity_id, feature_name, calculation_window, as_of_date,
                                 feature_value, uses_wearables)
        SELECT 'player', entity_id, feature_name, calculation_window, as_of_date, feature_value,
               uses_wearables
        FROM ml_features_stage
        """
    )


def _counts(season: str, as_of: pd.DataFrame, rows: pd.DataFrame, deleted: int) -> FeatureCounts:
    by_feature = rows["feature_name"].value_counts()
    return FeatureCounts(
        season=season,
        players=as_of["player_id"].nunique(),
        as_of_dates=len(as_of),
        rows_deleted=deleted,
        rows_written=len(rows),
        rows_with_wearables=int(rows["uses_wearables"].sum()),
        by_feature={name: int(by_feature.get(name, 0)) for name in FEATURE_NAMES},
    )
