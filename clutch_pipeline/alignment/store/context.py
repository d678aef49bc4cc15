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
from clutch_pipeline.alignment.pregame import PregameRules, is_playoff, pregame_context, scheduled_roster

TIME = "datetime64[ns, UTC]"

PREGAME_COLUMNS = [
    "game_id",
    "player_id",
    "team_id",
    "tipoff_at",
    "played",
    "is_playoff",
    "days_since_last_game",
    "has_wearables_data",
    "device_id",
    "sleep_record_id",
    "sleep_end_at",
    "local_date",
    "hrv_rmssd_pregame",
    "resting_hr_pregame",
    "recovery_score_pregame",
    "sleep_performance_pregame",
    "day_strain_previous",
    "hrv_baseline_deviation",
    "recovery_calibrating",
    "wearables_quality_score",
    "measured_until",
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


def _frame(
    conn: psycopg.Connection,
    query: str,
    params: dict,
    times: Sequence[str] = (),
    ids: Sequence[str] = (),
    numbers: Sequence[str] = (),
) -> pd.DataFrame:
    """A query's rows as a frame: ids as strings, times as UTC nanoseconds, numerics as floats."""
    cur = conn.execute(query, params)
    frame = pd.DataFrame(cur.fetchall(), columns=[d.name for d in cur.description], dtype=object)
    for column in ids:
        frame[column] = frame[column].map(lambda v: None if v is None else str(v)).astype("str")
    for column in times:
        frame[column] = pd.to_datetime(frame[column], utc=True).astype(TIME)
    for column in numbers:
        frame[column] = pd.to_numeric(frame[column].astype(float))
    return frame


def _games(conn: psycopg.Connection, game_ids: list[uuid.UUID]) -> pd.DataFrame:
    frame = _frame(
        conn,
        """SELECT g.game_id, g.game_date, g.tipoff_at, g.season_type, g.home_team_id, g.away_team_id,
                  EXISTS (SELECT 1 FROM nba_game_players p WHERE p.game_id = g.game_id) AS has_players
           FROM games g WHERE g.game_id = ANY(%(games)s)""",
        {"games": game_ids},
        times=["tipoff_at"],
        ids=["game_id", "home_team_id", "away_team_id"],
    )
    frame["game_date"] = pd.to_datetime(frame["game_date"]).astype("datetime64[ns]")
    return frame


def _roster(conn: psycopg.Connection, games: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(roster, history): the played rows of games with play-by-play, the expected ones of the others."""
    history = _frame(
        conn,
        """SELECT p.game_id, p.player_id, p.team_id, g.game_date FROM nba_game_players p
           JOIN games g USING (game_id) WHERE g.game_date <= %(last)s""",
        {"last": games["game_date"].max().date()},
        ids=["game_id", "player_id", "team_id"],
    )
    history["game_date"] = pd.to_datetime(history["game_date"]).astype("datetime64[ns]")
    played = history.loc[
        history["game_id"].isin(games.loc[games["has_players"], "game_id"]),
        ["game_id", "player_id", "team_id"],
    ].assign(played=True)
    expected = scheduled_roster(games.loc[~games["has_players"].astype(bool)], history).assign(played=False)
    roster = pd.concat([played, expected], ignore_index=True)
    roster = roster.merge(games[["game_id", "game_date", "tipoff_at", "season_type"]], on="game_id")
    roster["is_playoff"] = is_playoff(roster["season_type"])
    return roster, history[["player_id", "team_id", "game_date"]]


_PAYLOAD_OFFSET = "coalesce(wearables_payload_offset(r.payload), wearables_payload_offset(s.payload))"
_RECORDS = f"""
    FROM wearables_raw_records r
    LEFT JOIN wearables_raw_records s ON r.record_type = 'recovery' AND s.device_id = r.device_id
         AND s.record_type = 'sleep' AND s.record_id = r.record_id
    LEFT JOIN wearables_readings w ON w.device_id = r.device_id AND w.source_record_type = r.record_type
         AND w.source_record_id = r.record_id AND w.metric_type = ANY(%(metrics)s)
    CROSS JOIN LATERAL (SELECT wearables_local_day(r.record_type, r.record_start, r.record_end,
                                                   {_PAYLOAD_OFFSET}) AS local_date) d
    WHERE r.record_type = %(type)s AND r.player_id = ANY(%(players)s)
      AND r.record_start BETWEEN %(lo)s AND %(hi)s
    GROUP BY r.device_id, r.record_type, r.record_id, d.local_date
"""


def _records(
    conn: psycopg.Connection, record_type: str, metrics: Sequence[str], scope: dict, extra: str = ""
) -> pd.DataFrame:
    """One row per record of the type in scope, with its readings of ``metrics`` as columns."""
    pivot = sql.SQL("").join(
        sql.SQL(", max(w.metric_value) FILTER (WHERE w.metric_type = {}) AS {}").format(
            sql.Literal(metric), sql.Identifier(metric)
        )
        for metric in metrics
    )
    query = sql.SQL(
        """SELECT r.player_id, r.device_id, r.record_id, r.record_start AS start, r.record_end AS "end",
                  r.score_state, d.local_date, min(w.quality_score) AS quality{extra}{pivot}"""
    ).format(extra=sql.SQL(extra), pivot=pivot) + sql.SQL(_RECORDS)
    params = {**scope, "type": record_type, "metrics": list(metrics)}
    return _frame(
        conn,
        query,
        params,
        times=["start", "end"],
        ids=["player_id", "device_id"],
        numbers=[*metrics, "quality"],
    )


def _wearables(conn: psycopg.Connection, players: list[str], lo: datetime, hi: datetime) -> dict:
    scope = {"players": players, "lo": lo, "hi": hi}
    sleeps = _records(
        conn,
        "sleep",
        ["sleep_performance"],
        scope,
        ", bool_or(coalesce((r.payload->>'nap')::boolean, false)) AS nap",
    )
    recoveries = _records(
        conn,
        "recovery",
        ["recovery_score", "hrv_rmssd", "resting_heart_rate"],
        scope,
        ", bool_or((r.payload #>> '{score,user_calibrating}')::boolean) AS user_calibrating",
    )
    recoveries["at"] = recoveries["start"]
    recoveries["calibrating"] = (recoveries["quality"] <= 0.5) | recoveries["user_calibrating"].eq(True)
    recoveries["calibrating"] = recoveries["calibrating"].where(recoveries["recovery_score"].notna())
    cycles = _records(conn, "cycle", ["day_strain"], scope)
    workouts = _records(
        conn, "workout", ["workout_strain", "workout_average_heart_rate", "workout_max_heart_rate"], scope
    )
    summaries = _frame(
        conn,
        """SELECT device_id, player_id, summary_date, hrv_baseline_deviation, data_completeness
           FROM wearables_daily_summary WHERE player_id = ANY(%(players)s)
             AND summary_date BETWEEN %(lo)s::date - 1 AND %(hi)s::date + 1""",
        scope,
        ids=["device_id", "player_id"],
        numbers=["hrv_baseline_deviation", "data_completeness"],
    )
    every = pd.concat([sleeps, recoveries, cycles, workouts], ignore_index=True)
    bad = every.loc[every["score_state"].isin(["UNSCORABLE", "PENDING_SCORE"])]
    unscored = bad.assign(at=bad["end"].fillna(bad["start"]))[["player_id", "at", "local_date"]]
    return {
        "sleeps": sleeps,
        "recoveries": recoveries,
        "cycles": cycles.loc[cycles["end"].notna()],
        "workouts": workouts,
        "summaries": summaries,
        "unscored": unscored,
    }


def _actions(conn: psycopg.Connection, game_ids: list[uuid.UUID]) -> pd.DataFrame:
    """The games' clutch actions, of every player; only those with the reload-proof key can be kept."""
    return _frame(
        conn,
        """SELECT a.game_id, a.source, a.source_action_key, a.action_type, a.player_id,
                  a.action_timestamp, a.time_error_seconds
           FROM clutch_player_actions a
           WHERE a.game_id = ANY(%(games)s) AND a.source IS NOT NULL AND a.source_action_key IS NOT NULL""",
        {"games": game_ids},
        times=["action_timestamp"],
        ids=["game_id", "player_id"],
        numbers=["time_error_seconds"],
    )


def _devices(conn: psycopg.Connection, players: list[str]) -> pd.DataFrame:
    return _frame(
        conn,
        """SELECT player_id, device_id FROM wearables_devices
           WHERE player_id = ANY(%(players)s) AND consent_granted AND device_type = 'whoop'""",
        {"players": players},
        ids=["player_id", "device_id"],
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
    acts["local_date"] = acts["local_date"].where(acts["local_date"].notna(), acts["game_date"].dt.date)
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


def _rows(frame: pd.DataFrame, columns: Sequence[str]):
    """Plain Python values for COPY: NaN and NaT as None, numpy scalars as Python ones."""
    cells = [[None if pd.isna(v) else v for v in frame[c].tolist()] for c in columns]
    return zip(*cells, strict=True)


def _copy(conn: psycopg.Connection, table: str, frame: pd.DataFrame, columns: Sequence[str]) -> None:
    stage = f"{table}_stage"
    conn.execute(
        sql.SQL("CREATE TEMP TABLE IF NOT EXISTS {} (LIKE {}) ON COMMIT DELETE ROWS").format(
            sql.Identifier(stage), sql.Identifier(table)
        )
    )
    conn.execute(sql.SQL("DELETE FROM {}").format(sql.Identifier(stage)))
    names = sql.SQL(", ").join(map(sql.Identifier, columns))
    with conn.cursor().copy(sql.SQL("COPY {} ({}) FROM STDIN").format(sql.Identifier(stage), names)) as copy:
        for row in _rows(frame, columns):
            copy.write_row(row)
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
    pregame = pregame.assign(computed_at=now)
    pregame["days_since_last_game"] = pregame["days_since_last_game"].astype("Int64")
    _copy(conn, "pregame_context", pregame, PREGAME_COLUMNS)
    aligned = aligned.assign(computed_at=now, has_wearables_data=True)
    aligned["source_action_key"] = aligned["source_action_key"].astype("Int64")
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
