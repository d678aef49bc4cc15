"""The clutch score: what a player did in the clutch against what was expected, on a 0-100 scale.

A player's clutch VALUE, in points, over a set of his clutch actions (one situation, or all his
situations of a game) is his points over expected (his shots' points minus the season shot model's
expected points) plus his other actions weighted as in John Hollinger's Game Score:

    value = POE + 1.0 steals + 0.7 assists + 0.7 blocks + 0.7 offensive rebounds
                + 0.3 defensive rebounds - 1.0 turnovers

The value is a plain sum, so it is volume-aware by construction: one made three adds about 1.9 points,
a game with many good actions adds more. It is put on a T-score-like scale with the season's mean and
standard deviation of values (``Scale``), squashed into 0-100 by a bounded, strictly increasing map:

    z = (value - mean) / sd,     clutch_score = 50 + 50 tanh(z / 5)

(about 50 + 10 z near the centre, as a T-score; 69 at z = 2, 88 at z = 5, never 0 or 100). The constants
are fixed here, fitted once on the 2022-23 regular season by ``benchmarks/clutch_score_constants.py``, so
a game's score depends on that game alone. The reasons, and why there is no volume shrinkage factor,
are in docs/clutch-score.md. Pure: pandas and numpy in, pandas and numpy out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

# Actions with an outcome (made or missed): the only ones that count as successful or not.
SHOT_TYPES = ("field_goal_made", "field_goal_missed", "free_throw")
# Written into calculation_method: names the formula and the season its constants come from.
METHOD = "clutch_value_v1_fit_2022_23"
SQUASH = 5.0  # z / SQUASH inside tanh: T-like (slope 10 points per sd) near the centre


@dataclass(frozen=True)
class Weights:
    """Points credited per action beside points over expected: Hollinger's Game Score weights."""

    steal: float = 1.0
    assist: float = 0.7
    block: float = 0.7
    offensive_rebound: float = 0.7
    defensive_rebound: float = 0.3  # also a rebound whose side the play-by-play does not tell
    turnover: float = 1.0  # subtracted


@dataclass(frozen=True)
class Scale:
    """The season's mean and standard deviation of the value, in points."""

    mean: float
    sd: float


WEIGHTS = Weights()
# Fitted on 2022-23 (regular season, the archive in ../shared/data/nba_2022_23: 1,229 games, 20,404
# clutch player actions) by benchmarks/clutch_score_constants.py on 2026-12-04: the population mean and
# sd of the value over 5,414 player-games and 7,403 player-situations. Scores with them: mean 49.96
# (sd 9.52) per game, 49.97 (sd 9.54) per situation.
GAME_SCALE = Scale(mean=0.4179, sd=1.6591)  # per player and game: all his clutch situations together
SITUATION_SCALE = Scale(mean=0.3057, sd=1.4140)  # per player and clutch situation

# What a tally holds per key, beside the key columns.
TALLY_COLUMNS = (
    "actions_total",
    "actions_successful",
    "shots",
    "points_scored",
    "assists",
    "turnovers",
    "rebounds",
    "offensive_rebounds",
    "steals",
    "blocks",
    "expected_points",
    "points_over_expected",
)


def clutch_value(tally: pd.DataFrame, weights: Weights = WEIGHTS) -> np.ndarray:
    """The value in points of each row of a tally (missing points over expected count as 0)."""
    poe = tally["points_over_expected"].astype("float64").fillna(0.0).to_numpy()
    defensive = tally["rebounds"].to_numpy() - tally["offensive_rebounds"].to_numpy()
    return (
        poe
        + weights.steal * tally["steals"].to_numpy()
        + weights.assist * tally["assists"].to_numpy()
        + weights.block * tally["blocks"].to_numpy()
        + weights.offensive_rebound * tally["offensive_rebounds"].to_numpy()
        + weights.defensive_rebound * defensive
        - weights.turnover * tally["turnovers"].to_numpy()
    )


def score_of_value(value: np.ndarray | float, scale: Scale) -> np.ndarray:
    """0-100, strictly increasing in the value, T-like near the centre (unrounded)."""
    z = (np.asarray(value, dtype="float64") - scale.mean) / scale.sd
    return 50.0 + 50.0 * np.tanh(z / SQUASH)


def clutch_scores(tally: pd.DataFrame, scale: Scale, weights: Weights = WEIGHTS) -> np.ndarray:
    """The stored clutch score of each row of a tally: 0-100, two decimals."""
    return np.round(score_of_value(clutch_value(tally, weights), scale), 2)


def tally(actions: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    """Counts per key of clutch player actions (columns as clutch_player_actions; ``keys`` among them).

    Success is defined for shots only (field goals and free throws, made or missed): actions_successful
    counts the made ones, ``shots`` the attempts; every action type counts in actions_total. Expected
    points and points over expected are sums over the actions that have them, NaN where none has.
    """
    kind = actions["action_type"]
    shot = kind.isin(SHOT_TYPES)
    frame = pd.DataFrame(
        {
            **{key: actions[key] for key in keys},
            "actions_total": 1,
            "actions_successful": (shot & actions["is_successful"].fillna(False).astype(bool)).astype(int),
            "shots": shot.astype(int),
            "points_scored": actions["points_scored"].fillna(0).astype(int),
            "assists": (kind == "assist").astype(int),
            "turnovers": (kind == "turnover").astype(int),
            "rebounds": (kind == "rebound").astype(int),
            "offensive_rebounds": ((kind == "rebound") & (actions["action_subtype"] == "offensive")).astype(
                int
            ),
            "steals": (kind == "steal").astype(int),
            "blocks": (kind == "block").astype(int),
            "expected_points": actions["expected_points"].astype("float64"),
            "points_over_expected": actions["points_over_expected"].astype("float64"),
        }
    )
    sums = frame.groupby(list(keys), sort=True).sum(min_count=1).reset_index()
    counts = [c for c in TALLY_COLUMNS if c not in ("expected_points", "points_over_expected")]
    sums[counts] = sums[counts].fillna(0).astype(int)
    return sums


def success_rate(tally: pd.DataFrame) -> pd.Series:
    """Made shots over shots attempted (field goals and free throws); NaN without a shot."""
    shots = tally["shots"].where(tally["shots"] > 0)
    return (tally["actions_successful"] / shots).round(4)


def fit_scale(values: np.ndarray) -> Scale:
    """The mean and (population) standard deviation of a season's values."""
    values = np.asarray(values, dtype="float64")
    return Scale(mean=float(values.mean()), sd=float(values.std()))


def percentiles_so_far(dates: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """For each score dated D: the share (0-100) of the scores dated on or before D that are at most it.

    The best score so far gets 100; a later date never changes an earlier one. One sort of the pool
    per distinct date and a binary search for that date's scores: O(dates x n log n), not O(n^2).
    """
    dates = np.asarray(dates)
    scores = np.asarray(scores, dtype="float64")
    result = np.empty(len(scores), dtype="float64")
    if len(scores) == 0:
        return result
    order = np.argsort(dates, kind="stable")
    sorted_dates, sorted_scores = dates[order], scores[order]
    _, starts = np.unique(sorted_dates, return_index=True)
    ends = np.append(starts[1:], len(sorted_dates))
    for start, end in zip(starts, ends, strict=True):
        pool = np.sort(sorted_scores[:end])
        at_most = np.searchsorted(pool, sorted_scores[start:end], side="right")
        result[order[start:end]] = np.round(100.0 * at_most / end, 2)
    return result


# The pregame context copied onto every score row: pregame_context's column -> the score tables'.
CONTEXT_COLUMNS = {
    "hrv_rmssd_pregame": "hrv_rmssd_pregame",
    "hrv_baseline_deviation": "hrv_baseline_deviation",
    "recovery_score_pregame": "recovery_score_pregame",
    "sleep_performance_pregame": "sleep_performance_pregame",
    "day_strain_previous": "day_strain_pregame",
    "wearables_quality_score": "wearables_quality_score",
}


def player_teams(actions: pd.DataFrame, game_players: pd.DataFrame) -> pd.DataFrame:
    """Each (game_id, player_id) of the actions with his team: nba_game_players' (the team he acted for
    most in the game), else the team his clutch actions name most."""
    acted = (
        actions.dropna(subset=["team_id"])
        .groupby(["game_id", "player_id", "team_id"])
        .size()
        .rename("n")
        .reset_index()
        .sort_values(["game_id", "player_id", "n"], ascending=[True, True, False])
        .drop_duplicates(["game_id", "player_id"])
        .rename(columns={"team_id": "acted_team_id"})[["game_id", "player_id", "acted_team_id"]]
    )
    who = actions[["game_id", "player_id"]].drop_duplicates()
    who = who.merge(
        game_players[["game_id", "player_id", "team_id"]], how="left", on=["game_id", "player_id"]
    )
    who = who.merge(acted, how="left", on=["game_id", "player_id"])
    who["team_id"] = who["team_id"].where(who["team_id"].notna(), who["acted_team_id"])
    return who.drop(columns="acted_team_id")


def _own_margin(rows: pd.DataFrame) -> pd.Series:
    """The situation's margin (home minus away at its start) from the player's side; NA without a team."""
    margin = rows["score_margin"].astype("Float64")
    own = margin.where(rows["team_id"] == rows["home_team_id"], -margin)
    known = (rows["team_id"] == rows["home_team_id"]) | (rows["team_id"] == rows["away_team_id"])
    return own.where(known & rows["team_id"].notna()).astype("Int64")


def _with_context(rows: pd.DataFrame, context: pd.DataFrame) -> pd.DataFrame:
    """NBA and wearables pregame context by (game, player); wearables NULL unless the context has them."""
    rows = rows.merge(context, how="left", on=["game_id", "player_id"], suffixes=("", "_context"))
    has = rows["has_wearables_data"].astype("boolean").fillna(False).astype(bool)
    rows["has_wearables_data"] = has
    for source, target in CONTEXT_COLUMNS.items():
        rows[target] = rows[source].astype("Float64").where(has)
    playoff_by_type = rows["season_type"] == "playoffs"
    rows["is_playoff"] = rows["is_playoff"].astype("boolean").fillna(playoff_by_type).astype(bool)
    rows["days_since_last_game"] = rows["days_since_last_game"].astype("Int64")
    return rows


def _finish(rows: pd.DataFrame, scale: Scale) -> pd.DataFrame:
    rows["success_rate"] = success_rate(rows)
    rows["actions_successful"] = rows["actions_successful"].where(rows["shots"] > 0).astype("Int64")
    rows["clutch_score"] = clutch_scores(rows, scale)
    return rows


def situation_scores(
    actions: pd.DataFrame, situations: pd.DataFrame, game_players: pd.DataFrame, context: pd.DataFrame
) -> pd.DataFrame:
    """One row per player and clutch situation he has actions in, with SITUATION_SCALE's score.

    ``situations``: situation_id, game_id, start_timestamp, window_number, score_margin (home minus
    away at the start), home_team_id, away_team_id, season, season_type, game_date. ``context``:
    pregame_context's rows of these games (may be empty).
    """
    rows = tally(actions, ["game_id", "situation_id", "player_id"])
    rows = rows.merge(situations.drop(columns="game_id"), how="left", on="situation_id")
    rows = rows.merge(player_teams(actions, game_players), how="left", on=["game_id", "player_id"])
    rows["score_margin"] = _own_margin(rows)
    return _finish(_with_context(rows, context), SITUATION_SCALE)


def game_scores(
    actions: pd.DataFrame, situations: pd.DataFrame, game_players: pd.DataFrame, context: pd.DataFrame
) -> pd.DataFrame:
    """One row per player and game: all his clutch actions of the game tallied together (the same
    formula, GAME_SCALE), the margin at the start of his first situation, his situations counted."""
    keys = ["game_id", "player_id"]
    rows = tally(actions, keys)
    his = (
        actions[[*keys, "situation_id"]]
        .drop_duplicates()
        .merge(situations.drop(columns="game_id"), how="left", on="situation_id")
        .sort_values([*keys, "start_timestamp", "window_number"])
    )
    counted = his.groupby(keys).size().rename("situations").reset_index()
    first = his.drop_duplicates(keys).drop(columns="situation_id")
    rows = rows.merge(counted, how="left", on=keys).merge(first, how="left", on=keys)
    rows = rows.merge(player_teams(actions, game_players), how="left", on=["game_id", "player_id"])
    rows["score_margin"] = _own_margin(rows)
    return _finish(_with_context(rows, context), GAME_SCALE)
