"""SQL of the pregame and concurrent context: reads a batch of games with everything they need in a
few set-based queries (one per table family, whatever the number of games, players or actions), hands
the frames to the pure rules (alignment/pregame.py, concurrent.py) and replaces the games' rows of
pregame_context and clutch_action_wearables (COPY into a staging table, then one INSERT ... SELECT).

Runs in the caller's transaction (or its own). Rules and reasons: docs/alignment.md.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import pandas as pd
import psycopg
from psycopg import sql

from clutch_pipeline.alignment.concurrent import ConcurrentRules, concurrent_context
from clutch_pipeline.alignment.pregame import (
    WEARABLES_COLUMNS,
    PregameRules,
    is_playoff,
    pregame_context,
    scheduled_roster,
)
from clutch_pipeline.db.frames import UTC_TIME, copy_frame

TIME = UTC_TIME

PREGAME_COLUMNS = [
    "game_id",
    "player_id",
    "team_id",
    "tipoff_at",
    "played",
    "is_playoff",
    "days_since_last_game",
    "has_wearables_data",
    *WEARABLES_COLUMNS,
    "computed_at",
]
ACTION_COLUMNS = [
    "game_id",
    "source",
    "source_action_key",
    "action_type",
    "player_id",
    "device_id",
    "action_timestamp",
    "time_error_seconds",
    "workout_record_id",
    "workout_match",
    "workout_gap_minutes",
    "workout_strain",
    "workout_average_heart_rate",
    "workout_max_heart_rate",
    "hrv_rmssd_interpolated",
    "resting_hr_interpolated",
    "interpolated",
    "has_wearables_data",
    "quality_score",
    "computed_at",
]


@dataclass(frozen=True)
class AlignCounts:
    games: int = 0
    pregame_rows: int = 0
    pregame_with_wearables: int = 0
    clutch_actions: int = 0  # clutch actions of the games
    action_rows: int = 0  # of them, with wearables context (rows of clutch_action_wearables)
    workout_contains: int = 0
    workout_nearest: int = 0
    interpolated: int = 0


# -- reading ---------------------------------------------------------------------------------------


def _games(conn: psycopg.Connection, game_ids: list[uuid.UUID]) -> pd.DataFrame:
    frame = copy_frame(
        conn,
        """SELECT g.game_id, g.game_date, g.tipoff_at, g.season_type, g.home_team_id, g.away_team_id,
                  EXISTS (SELECT 1 FROM nba_game_players p WHERE p.game_id = g.game_id) AS has_players
           FROM games g WHERE g.game_id = ANY(%(games)s)""",
        {"games": game_ids},
        times=["tipoff_at"],
        dates=["game_date"],
        bools=["has_players"],
    )
    frame["has_players"] = frame["has_players"].astype(bool)
    return frame


def _roster(conn: psycopg.Connection, games: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(roster, history): the played rows of games with play-by-play, the expected ones of the others."""
    history = copy_frame(
        conn,
        """SELECT p.game_id, p.player_id, p.team_id, g.game_date FROM nba_game_players p
           JOIN games g USING (game_id) WHERE g.game_date <= %(last)s""",
        {"last": games["game_date"].max().date()},
        dates=["game_date"],
    )
    played = history.loc[
        history["game_id"].isin(games.loc[games["has_players"], "game_id"]),
        ["game_id", "player_id", "team_id"],
    ].assign(played=True)
    expected = scheduled_roster(games.loc[~games["has_players"]], history).assign(played=False)
    roster = pd.concat([played, expected], ignore_index=True)
    roster = roster.merge(games[["game_id", "game_date", "tipoff_at", "season_type"]], on="game_id")
    roster["is_playoff"] = is_playoff(roster["season_type"])
    return roster, history[["player_id", "team_id", "game_date"]]


# Every raw record in scope with its local day (013's rule). A recovery's payload has no offset: its
# day is its sleep's, taken in pandas (same instant, same offset), which spares a self-join.
_RECORDS = """
    SELECT r.player_id, r.device_id, r.record_type, r.record_id, r.record_start AS start,
           r.record_end AS "end", r.score_state, coalesce((r.payload->>'nap')::boolean, false) AS nap,
           (r.payload #>> '{score,user_calibrating}')::boolean AS user_calibrating,
           wearables_local_day(r.record_type, r.record_start, r.record_end,
                               wearables_payload_offset(r.payload)) AS local_date
    FROM wearables_raw_records r
    WHERE r.player_id = ANY(%(players)s) AND r.record_start BETWEEN %(lo)s AND %(hi)s
"""
_READINGS = """
    SELECT device_id, source_record_type AS record_type, source_record_id AS record_id, metric_type,
           metric_value, quality_score
    FROM wearables_readings
    WHERE player_id = ANY(%(players)s) AND reading_timestamp BETWEEN %(lo)s AND %(hi)s
      AND metric_type = ANY(%(metrics)s)
"""
METRICS = {
    "sleep": ("sleep_performance",),
    "recovery": ("recovery_score", "hrv_rmssd", "resting_heart_rate"),
    "cycle": ("day_strain",),
    "workout": ("workout_strain", "workout_average_heart_rate", "workout_max_heart_rate"),
}
_KEY = ["device_id", "record_type", "record_id"]


def _records(conn: psycopg.Connection, scope: dict) -> pd.DataFrame:
    """One row per record in scope, with its readings of METRICS as columns and their lowest quality."""
    records = copy_frame(
        conn, _RECORDS, scope, times=["start", "end"], dates=["local_date"], bools=["nap", "user_calibrating"]
    )
    metrics = [m for names in METRICS.values() for m in names]
    readings = copy_frame(
        conn, _READINGS, {**scope, "metrics": metrics}, numbers=["metric_value", "quality_score"]
    )
    wide = readings.set_index([*_KEY, "metric_type"])["metric_value"].unstack("metric_type")
    wide = wide.reindex(columns=metrics).astype(float)
    wide["quality"] = readings.groupby(_KEY)["quality_score"].min()
    records = records.merge(wide.reset_index(), on=_KEY, how="left")
    sleep_days = records.loc[records["record_type"] == "sleep", ["device_id", "record_id", "local_date"]]
    is_recovery = records["record_type"] == "recovery"
    days = records.loc[is_recovery, ["device_id", "record_id"]].merge(sleep_days, how="left")
    records.loc[is_recovery, "local_date"] = days["local_date"].to_numpy()
    return records


def _wearables(conn: psycopg.Connection, players: list[str], lo: datetime, hi: datetime) -> dict:
    scope = {"players": players, "lo": lo, "hi": hi}
    records = _records(conn, scope)
    by_type = {t: records.loc[records["record_type"] == t].reset_index(drop=True) for t in METRICS}
    by_type["sleep"]["nap"] = by_type["sleep"]["nap"].astype(bool)
    recoveries = by_type["recovery"]
    recoveries["at"] = recoveries["start"]
    calibrating = (recoveries["quality"] <= 0.5) | recoveries["user_calibrating"].eq(True)
    recoveries["calibrating"] = calibrating.astype(object).where(recoveries["recovery_score"].notna())
    summaries = copy_frame(
        conn,
        """SELECT device_id, player_id, summary_date, hrv_baseline_deviation, data_completeness
           FROM wearables_daily_summary WHERE player_id = ANY(%(players)s)
             AND summary_date BETWEEN %(lo)s::date - 1 AND %(hi)s::date + 1""",
        scope,
        dates=["summary_date"],
        numbers=["hrv_baseline_deviation", "data_completeness"],
    )
    bad = records.loc[records["score_state"].isin(["UNSCORABLE", "PENDING_SCORE"])]
    unscored = bad.assign(at=bad["end"].fillna(bad["start"]))[["player_id", "at", "local_date"]]
    cycles = by_type["cycle"]
    return {
        "sleeps": by_type["sleep"],
        "recoveries": recoveries,
        "cycles": cycles.loc[cycles["end"].notna()],
        "workouts": by_type["workout"],
        "summaries": summaries,
        "unscored": unscored,
    }


def _actions(conn: psycopg.Connection, game_ids: list[uuid.UUID]) -> pd.DataFrame:
    """The games' clutch actions, of every player; only those with the reload-proof key can be kept."""
    return copy_frame(
        conn,
        """SELECT a.game_id, a.source, a.source_action_key, a.action_type, a.player_id,
                  a.action_timestamp, a.time_error_seconds
           FROM clutch_player_actions a
           WHERE a.game_id = ANY(%(games)s) AND a.source IS NOT NULL AND a.source_action_key IS NOT NULL""",
        {"games": game_ids},
        times=["action_timestamp"],
        numbers=["time_error_seconds"],
    )


def _devices(conn: psycopg.Connection, players: list[str]) -> pd.DataFrame:
    return copy_frame(
        conn,
        """SELECT player_id, device_id FROM wearables_devices
           WHERE player_id = ANY(%(players)s) AND consent_granted AND device_type = 'whoop'""",
        {"players": players},
    )


# -- aligning --------------------------------------------------------------------------------------


def align_games(
    conn: psycopg.Connection,
    game_ids: Sequence[uuid.UUID],
    *,
    now: datetime,
    window: timedelta = timedelta(hours=2),
    pregame_rules: PregameRules | None = None,
    bracket: timedelta = ConcurrentRules.bracket,
) -> AlignCounts:
    """Replace the pregame_context and clutch_action_wearables rows of these games with what the
    stored NBA and WHOOP rows say now. Idempotent: the same inputs give the same rows (but computed_at),
    whatever the UUIDs of the games' situations and actions (a reload re-creates them)."""
    ids = list(dict.fromkeys(game_ids))
    pregame_rules = pregame_rules or PregameRules()
    if not ids:
        return AlignCounts()
    with conn.transaction():  # a savepoint inside the caller's transaction, else its own
        games = _games(conn, ids)
        if games.empty:
            return AlignCounts()
        roster, history = _roster(conn, games)
        actions = _actions(conn, ids)
        frames = _read_wearables(conn, roster, actions, pregame_rules, window, bracket)
        pregame = pregame_context(roster, history, frames, pregame_rules)
        aligned = _concurrent(actions, games, pregame, frames, ConcurrentRules(window, bracket))
        _replace(conn, ids, pregame, aligned, now)
    return AlignCounts(
        games=len(games),
        pregame_rows=len(pregame),
        pregame_with_wearables=int(pregame["has_wearables_data"].sum()),
        clutch_actions=len(actions),
        action_rows=len(aligned),
        workout_contains=int((aligned["workout_match"] == "contains").sum()),
        workout_nearest=int((aligned["workout_match"] == "nearest").sum()),
        interpolated=int(aligned["interpolated"].sum()),
    )


def _read_wearables(
    conn: psycopg.Connection,
    roster: pd.DataFrame,
    actions: pd.DataFrame,
    rules: PregameRules,
    window: timedelta,
    bracket: timedelta,
) -> dict:
    """The WHOOP rows every rule may need: from the longest look-back before the first tip-off or
    action to the longest look-ahead after the last (one day of margin each side)."""
    devices = _devices(conn, sorted(set(roster["player_id"]) | set(actions["player_id"])))
    moments = pd.concat([roster["tipoff_at"], actions["action_timestamp"]]).dropna()
    if devices.empty or moments.empty:
        empty = _wearables(conn, [], datetime(2000, 1, 1), datetime(2000, 1, 1))
        return {**empty, "devices": devices}
    back = max(rules.sleep_span, rules.cycle_span, bracket, window) + timedelta(days=1)
    ahead = max(bracket, window) + timedelta(days=1)
    lo, hi = moments.min().to_pydatetime() - back, moments.max().to_pydatetime() + ahead
    return {**_wearables(conn, devices["player_id"].tolist(), lo, hi), "devices": devices}


def _concurrent(
    actions: pd.DataFrame, games: pd.DataFrame, pregame: pd.DataFrame, frames: dict, rules: ConcurrentRules
) -> pd.DataFrame:
    acts = actions.merge(frames["devices"], on="player_id")  # athletes with a device only
    context = pregame[["game_id", "player_id", "local_date", "recovery_calibrating", "has_wearables_data"]]
    acts = acts.merge(context, on=["game_id", "player_id"], how="left")
    acts = acts.merge(games[["game_id", "game_date"]], on="game_id")
    # The athlete's day: his wake-up's local date when known, else the NBA's game date.
    acts["local_date"] = acts["local_date"].where(acts["local_date"].notna(), acts["game_date"])
    acts = acts.rename(columns={"recovery_calibrating": "calibrating", "has_wearables_data": "has_pregame"})
    recoveries = frames["recoveries"]
    readings = recoveries.melt(
        id_vars=["player_id", "at"],
        value_vars=["hrv_rmssd", "resting_heart_rate"],
        var_name="metric_type",
        value_name="value",
    ).dropna(subset=["value", "at"])
    days = _days(frames)
    return concurrent_context(acts.drop(columns="game_date"), frames["workouts"], readings, days, rules)


def _days(frames: dict) -> pd.DataFrame:
    """Per athlete and local day: its summary's completeness and whether a record of it is unscored."""
    summaries = frames["summaries"].rename(columns={"summary_date": "local_date"})
    summaries = summaries[["player_id", "local_date", "data_completeness"]]
    unscored = (
        frames["unscored"][["player_id", "local_date"]].dropna().drop_duplicates().assign(unscored=True)
    )
    days = summaries.merge(unscored, on=["player_id", "local_date"], how="outer")
    days["unscored"] = days["unscored"].eq(True)
    return days.drop_duplicates(["player_id", "local_date"])


# -- writing ---------------------------------------------------------------------------------------


def _copy(conn: psycopg.Connection, table: str, frame: pd.DataFrame, columns: Sequence[str]) -> None:
    """COPY the frame's columns (as CSV: empty is NULL) into a staging table, then one INSERT."""
    stage = f"{table}_stage"
    conn.execute(
        sql.SQL("CREATE TEMP TABLE IF NOT EXISTS {} (LIKE {}) ON COMMIT DELETE ROWS").format(
            sql.Identifier(stage), sql.Identifier(table)
        )
    )
    conn.execute(sql.SQL("DELETE FROM {}").format(sql.Identifier(stage)))
    names = sql.SQL(", ").join(map(sql.Identifier, columns))
    text = frame[list(columns)].to_csv(index=False, header=False)
    statement = sql.SQL("COPY {} ({}) FROM STDIN WITH (FORMAT csv)").format(sql.Identifier(stage), names)
    with conn.cursor().copy(statement) as copy:
        copy.write(text)
    conn.execute(
        sql.SQL("INSERT INTO {t} ({c}) SELECT {c} FROM {s}").format(
            t=sql.Identifier(table), c=names, s=sql.Identifier(stage)
        )
    )


def _replace(
    conn: psycopg.Connection,
    ids: list[uuid.UUID],
    pregame: pd.DataFrame,
    aligned: pd.DataFrame,
    now: datetime,
) -> None:
    conn.execute("DELETE FROM pregame_context WHERE game_id = ANY(%s)", (ids,))
    conn.execute("DELETE FROM clutch_action_wearables WHERE game_id = ANY(%s)", (ids,))
    pregame = pregame.assign(computed_at=now.isoformat())
    pregame["days_since_last_game"] = pregame["days_since_last_game"].astype("Int64")
    pregame["local_date"] = pd.to_datetime(pregame["local_date"]).dt.strftime("%Y-%m-%d")
    _copy(conn, "pregame_context", pregame, PREGAME_COLUMNS)
    aligned = aligned.assign(computed_at=now.isoformat(), has_wearables_data=True)
    _copy(conn, "clutch_action_wearables", aligned, ACTION_COLUMNS)


def games_to_align(conn: psycopg.Connection, season: str) -> list[uuid.UUID]:
    """The season's games whose alignment is missing or stale: never aligned; reloaded since (their
    clutch derivation differs from the one aligned); with a queued ('alignment') wearables day of one
    of their players that feeds them (the game's date, the day before, the day after: see
    docs/alignment.md); and every scheduled game (its expected roster and latest nights move)."""
    rows = conn.execute(
        """
        SELECT g.game_id FROM games g
        LEFT JOIN alignment_games a ON a.game_id = g.game_id
        LEFT JOIN nba_clutch_derivations d ON d.nba_game_id = g.nba_game_id
        WHERE g.season = %(season)s AND (
              a.game_id IS NULL
           OR a.clutch_derived_at IS DISTINCT FROM d.derived_at
           OR g.status = 'scheduled'
           OR EXISTS (SELECT 1 FROM nba_game_players p
                      JOIN wearables_changed_days q ON q.player_id = p.player_id AND q.consumer = 'alignment'
                      WHERE p.game_id = g.game_id
                        AND q.local_date BETWEEN g.game_date - 1 AND g.game_date + 1))
        ORDER BY g.game_date, g.game_id
        """,
        {"season": season},
    ).fetchall()
    return [game_id for (game_id,) in rows]
