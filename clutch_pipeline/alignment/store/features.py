"""SQL of the feature store: a season's player features read, computed and replaced in one transaction.

The inputs are read with COPY into pandas frames (a season is a few hundred thousand summary and score
rows: one COPY each, no query per player or date), the features computed by alignment/features.py, and
the result COPY'd into a staging table and inserted with one statement.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date, timedelta

import pandas as pd
import psycopg

from clutch_pipeline.alignment.features import FEATURE_NAMES, LONGEST_WINDOW_DAYS, player_features


@dataclass(frozen=True)
class FeatureCounts:
    """What a season's recompute did."""

    season: str
    players: int = 0
    as_of_dates: int = 0  # (player, game date) points
    rows_deleted: int = 0  # stored rows gone or changed
    rows_written: int = 0  # rows inserted (new or changed)
    rows_unchanged: int = 0  # computed rows already stored with the same value
    rows_with_wearables: int = 0  # of the computed rows
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

# The span's stored rows whose key is gone or whose value changed; then the computed rows not stored.
# Unchanged rows are not touched (a recompute after a day's change rewrites what that day moved).
_DELETE_STALE = """
DELETE FROM ml_features f
WHERE f.entity_type = 'player' AND f.feature_name = ANY(%(names)s)
  AND f.as_of_date BETWEEN %(first)s AND %(last)s
  AND NOT EXISTS (
      SELECT 1 FROM ml_features_stage s
      WHERE s.entity_id = f.entity_id AND s.feature_name = f.feature_name
        AND s.calculation_window = f.calculation_window AND s.as_of_date = f.as_of_date
        AND s.feature_value = f.feature_value AND s.uses_wearables = f.uses_wearables)
"""

_INSERT_NEW = """
INSERT INTO ml_features (entity_type, entity_id, feature_name, calculation_window, as_of_date,
                         feature_value, uses_wearables)
SELECT 'player', s.entity_id, s.feature_name, s.calculation_window, s.as_of_date, s.feature_value,
       s.uses_wearables
FROM ml_features_stage s
WHERE NOT EXISTS (
    SELECT 1 FROM ml_features f
    WHERE f.entity_type = 'player' AND f.entity_id = s.entity_id AND f.feature_name = s.feature_name
      AND f.calculation_window = s.calculation_window AND f.as_of_date = s.as_of_date)
ORDER BY s.entity_id, s.feature_name, s.calculation_window, s.as_of_date
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
        as_of = _read(conn, _AS_OF, {"season": season}, ["as_of_date"])
        rows = _compute(conn, season, first, as_of)
        deleted, written = _replace(conn, rows, {"names": list(FEATURE_NAMES), "first": first, "last": last})
        return _counts(season, as_of, rows, deleted, written)


def _compute(conn: psycopg.Connection, season: str, first: date, as_of: pd.DataFrame) -> pd.DataFrame:
    """The season's features from the summaries and scores dated before its last as-of date."""
    end = as_of["as_of_date"].max().date() if not as_of.empty else first
    span = {"first": first - timedelta(days=LONGEST_WINDOW_DAYS), "last": end, "season": season}
    summaries = _read(conn, _SUMMARIES, span, ["summary_date"])
    scores = _read(conn, _SCORES, span, ["game_date"])
    return player_features(summaries, scores, as_of, first)


def _read(conn: psycopg.Connection, statement: str, params: dict, dates: list[str]) -> pd.DataFrame:
    """A COPY ... TO STDOUT as a frame (NULL as NaN, booleans as bool, dates as datetimes)."""
    buffer = io.BytesIO()
    with conn.cursor().copy(statement, params) as copy:
        for block in copy:
            buffer.write(block)
    buffer.seek(0)
    return pd.read_csv(buffer, parse_dates=dates, true_values=["t"], false_values=["f"])


def _replace(conn: psycopg.Connection, rows: pd.DataFrame, span: dict) -> tuple[int, int]:
    """Make the span's stored rows equal ``rows``: (rows deleted or changed, rows inserted)."""
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
    conn.execute("ANALYZE ml_features_stage")  # a temporary table has no statistics until asked
    deleted = conn.execute(_DELETE_STALE, span).rowcount
    return deleted, conn.execute(_INSERT_NEW).rowcount


def _counts(
    season: str, as_of: pd.DataFrame, rows: pd.DataFrame, deleted: int, written: int
) -> FeatureCounts:
    by_feature = rows["feature_name"].value_counts()
    return FeatureCounts(
        season=season,
        players=as_of["player_id"].nunique(),
        as_of_dates=len(as_of),
        rows_deleted=deleted,
        rows_written=written,
        rows_unchanged=len(rows) - written,
        rows_with_wearables=int(rows["uses_wearables"].sum()),
        by_feature={name: int(by_feature.get(name, 0)) for name in FEATURE_NAMES},
    )
