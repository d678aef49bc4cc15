"""What a player's body said before a game, measured strictly before tip-off (pregame_context).

Pure: pandas frames in, one frame out, every step vectorized over all games and players at once
(``merge_asof`` by player), never a loop over them. The rules and their reasons are in
docs/alignment.md ("Pregame context"). Frames carry ids as strings and times as UTC timestamps.

Inputs (columns):
- roster: game_id, player_id, team_id, played, is_playoff, tipoff_at (NaT allowed), game_date
- history: player_id, team_id, game_date (every game a player played, from nba_game_players)
- sleeps: player_id, device_id, record_id, start, end, score_state, nap, local_date, sleep_performance
- recoveries: player_id, record_id (its sleep's id), at, score_state, calibrating, recovery_score,
  hrv_rmssd, resting_heart_rate
- cycles: player_id, device_id, record_id, end, score_state, day_strain (complete cycles only)
- summaries: device_id, summary_date, hrv_baseline_deviation
- unscored: player_id, at (end of each UNSCORABLE / PENDING_SCORE record; a recovery: its time)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pandas as pd

from clutch_pipeline.alignment.quality import pregame_quality

PLAYOFF_SEASON_TYPES = ("playoffs",)  # play_in is not: see docs/alignment.md

WEARABLES_COLUMNS = (
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
)
VALUE_COLUMNS = (
    "hrv_rmssd_pregame",
    "resting_hr_pregame",
    "recovery_score_pregame",
    "sleep_performance_pregame",
    "day_strain_previous",
    "hrv_baseline_deviation",
)


@dataclass(frozen=True)
class PregameRules:
    # The night's main sleep ended at most this long before tip-off. 20 h: after a night game an
    # athlete may wake at 13:00 for a 19:00 tip-off the next day (6 h), and a 12:30 matinee after a
    # 05:00 wake-up is 7.5 h; a sleep that ended more than 20 h before tip-off is yesterday's night.
    sleep_span: timedelta = timedelta(hours=20)
    # The previous day's cycle ended (when the night's sleep began) at most this long before tip-off:
    # the sleep span plus the longest night.
    cycle_span: timedelta = timedelta(hours=36)


def days_since_last_game(roster: pd.DataFrame, history: pd.DataFrame) -> pd.Series:
    """Days from the player's previous game (strictly earlier date) to this one; NaN for none."""
    left = roster[["player_id", "game_date"]].reset_index().sort_values("game_date")
    right = history[["player_id", "game_date"]].drop_duplicates()
    right = right.assign(previous=right["game_date"]).sort_values("game_date")
    merged = pd.merge_asof(
        left, right, on="game_date", by="player_id", direction="backward", allow_exact_matches=False
    )
    days = (merged["game_date"] - merged["previous"]).dt.days
    return pd.Series(days.to_numpy(), index=merged["index"]).reindex(roster.index)


def scheduled_roster(games: pd.DataFrame, history: pd.DataFrame) -> pd.DataFrame:
    """The players expected in games without play-by-play: those whose latest team before the game's
    date is its home or away team. ``games``: game_id, game_date, home_team_id, away_team_id."""
    sides = pd.concat(
        [
            games[["game_id", "game_date", "home_team_id"]].rename(columns={"home_team_id": "team_id"}),
            games[["game_id", "game_date", "away_team_id"]].rename(columns={"away_team_id": "team_id"}),
        ]
    )
    ever = history[["player_id", "team_id"]].drop_duplicates()
    candidates = sides.merge(ever, on="team_id")[["game_id", "game_date", "player_id"]].drop_duplicates()
    latest = pd.merge_asof(
        candidates.sort_values("game_date"),
        history[["player_id", "team_id", "game_date"]].sort_values("game_date"),
        on="game_date",
        by="player_id",
        direction="backward",
        allow_exact_matches=False,
    )
    latest = latest.merge(sides, on=["game_id", "game_date", "team_id"])  # his latest team plays it
    return latest[["game_id", "player_id", "team_id"]].reset_index(drop=True)


def _asof(left: pd.DataFrame, right: pd.DataFrame, right_on: str, span: timedelta) -> pd.DataFrame:
    """For each left row, the right row of the same player with the latest ``right_on`` strictly
    before its tip-off and within ``span``."""
    return pd.merge_asof(
        left.sort_values("tipoff_at"),
        right.sort_values(right_on),
        left_on="tipoff_at",
        right_on=right_on,
        by="player_id",
        direction="backward",
        allow_exact_matches=False,
        tolerance=pd.Timedelta(span),
    )


def _main_sleep(timed: pd.DataFrame, sleeps: pd.DataFrame, rules: PregameRules) -> pd.DataFrame:
    nights = sleeps.loc[
        ~sleeps["nap"].astype(bool),
        ["player_id", "device_id", "record_id", "end", "local_date", "sleep_performance"],
    ]
    nights = nights.rename(
        columns={"device_id": "sleep_device_id", "record_id": "sleep_record_id", "end": "sleep_end_at"}
    )
    return _asof(timed, nights, "sleep_end_at", rules.sleep_span)


def _recovery(frame: pd.DataFrame, recoveries: pd.DataFrame) -> pd.DataFrame:
    rec = recoveries.rename(columns={"record_id": "sleep_record_id", "at": "recovery_at"})
    rec = rec[
        [
            "player_id",
            "sleep_record_id",
            "recovery_at",
            "calibrating",
            "recovery_score",
            "hrv_rmssd",
            "resting_heart_rate",
        ]
    ]
    out = frame.merge(rec, on=["player_id", "sleep_record_id"], how="left")
    late = ~(out["recovery_at"] < out["tipoff_at"])  # never a value timed at or after tip-off
    for column in ("recovery_at", "calibrating", "recovery_score", "hrv_rmssd", "resting_heart_rate"):
        out[column] = out[column].where(~late)
    return out


def _deviation(frame: pd.DataFrame, sleeps: pd.DataFrame, summaries: pd.DataFrame) -> pd.Series:
    """The summary's baseline deviation of the wake-up's local date, unless a main sleep of that same
    local date ended at or after tip-off (its HRV would be in the day's figure)."""
    nights = sleeps.loc[~sleeps["nap"].astype(bool)]
    last_end = nights.groupby(["player_id", "local_date"])["end"].max().rename("day_last_sleep_end")
    out = frame.merge(last_end.reset_index(), on=["player_id", "local_date"], how="left")
    out = out.merge(
        summaries[["device_id", "summary_date", "hrv_baseline_deviation"]].rename(
            columns={"device_id": "sleep_device_id", "summary_date": "local_date"}
        ),
        on=["sleep_device_id", "local_date"],
        how="left",
    )
    clean = out["day_last_sleep_end"] < out["tipoff_at"]
    return out["hrv_baseline_deviation"].where(clean).set_axis(frame.index)


def _unscored_in_span(frame: pd.DataFrame, unscored: pd.DataFrame, rules: PregameRules) -> pd.Series:
    marks = unscored[["player_id", "at"]].assign(unscored_at=unscored["at"]).drop(columns="at")
    found = _asof(frame[["player_id", "tipoff_at"]].reset_index(), marks, "unscored_at", rules.sleep_span)
    return found.set_index("index")["unscored_at"].notna().reindex(frame.index)


def pregame_context(
    roster: pd.DataFrame,
    history: pd.DataFrame,
    wearables: dict[str, pd.DataFrame],
    rules: PregameRules = PregameRules(),
) -> pd.DataFrame:
    """One row per roster row: its NBA context and, where the athlete has values measured before
    tip-off, his wearables context. ``wearables`` holds the frames sleeps, recoveries, cycles,
    summaries and unscored."""
    out = roster.reset_index(drop=True).copy()
    out["days_since_last_game"] = days_since_last_game(out, history)
    timed = out.loc[out["tipoff_at"].notna(), ["game_id", "player_id", "tipoff_at"]]
    found = _wearables(timed, wearables, rules)
    out = out.merge(found, on=["game_id", "player_id"], how="left")
    out["has_wearables_data"] = out["has_wearables_data"].fillna(False).astype(bool)
    for column in WEARABLES_COLUMNS:  # the schema's CHECK: nothing without data
        out[column] = out[column].where(out["has_wearables_data"])
    return out


def _wearables(timed: pd.DataFrame, frames: dict[str, pd.DataFrame], rules: PregameRules) -> pd.DataFrame:
    frame = _main_sleep(timed, frames["sleeps"], rules)
    frame = _recovery(frame, frames["recoveries"])
    cycles = frames["cycles"].rename(columns={"device_id": "cycle_device_id", "end": "cycle_end"})
    cycles = cycles[["player_id", "cycle_device_id", "cycle_end", "day_strain"]]
    frame = _asof(frame, cycles, "cycle_end", rules.cycle_span).reset_index(drop=True)
    frame["hrv_baseline_deviation"] = _deviation(frame, frames["sleeps"], frames["summaries"])
    frame = frame.rename(
        columns={
            "hrv_rmssd": "hrv_rmssd_pregame",
            "resting_heart_rate": "resting_hr_pregame",
            "recovery_score": "recovery_score_pregame",
            "sleep_performance": "sleep_performance_pregame",
            "day_strain": "day_strain_previous",
        }
    )
    frame["has_wearables_data"] = frame[list(VALUE_COLUMNS)].notna().any(axis=1)
    frame["device_id"] = frame["sleep_device_id"].where(
        frame["sleep_device_id"].notna(), frame["cycle_device_id"]
    )
    frame["recovery_calibrating"] = frame["calibrating"].where(frame["recovery_score_pregame"].notna())
    ends = pd.concat(
        [
            frame["sleep_end_at"],
            frame["recovery_at"],
            frame["cycle_end"].where(frame["day_strain_previous"].notna()),
        ],
        axis=1,
    )
    frame["measured_until"] = ends.max(axis=1)
    inputs = frame[["sleep_performance_pregame", "recovery_score_pregame", "day_strain_previous"]]
    frame["wearables_quality_score"] = pregame_quality(
        inputs.notna().sum(axis=1),
        frame["recovery_calibrating"],
        _unscored_in_span(frame, frames["unscored"], rules),
    )
    frame["wearables_quality_score"] = frame["wearables_quality_score"].where(frame["has_wearables_data"])
    keep = ["game_id", "player_id", "has_wearables_data", *WEARABLES_COLUMNS]
    return frame[keep]


def is_playoff(season_type: pd.Series) -> pd.Series:
    return season_type.isin(PLAYOFF_SEASON_TYPES)
