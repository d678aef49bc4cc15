"""The player features of the feature store (`ml_features`), from daily summaries and game scores.

Point in time: a feature as of day D reads only rows dated before D (a summary's local date < D, a game's
date < D), so the model fitted on a game of day D and a prediction made on the morning of D see the same
history, and nothing from the game itself or after it. The game day's own pregame values (the morning's
recovery, measured before tip-off by its own rule) live in `pregame_context`, not here.

Vectorized: each input becomes a per-player daily grid of prefix sums (sums of values, counts, squares,
products with the day), so the sum over any window of days [a, b) is two array lookups, and a whole
season's features are a handful of numpy expressions whatever the number of players and dates.
Every formula and its reasons: docs/features.md.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Feature:
    """One feature: its name and window (the table's key), and what it needs to exist."""

    name: str
    window: str
    uses_wearables: str  # "yes", "no", or when it depends on the player
    minimum: str  # the fewest days or games before D it needs: fewer, and it has no row
    unit: str
    definition: str


FEATURES = (
    Feature(
        "hrv_avg_last_7_days",
        "last_7_days",
        "yes",
        "3 days",
        "ms",
        "mean of the daily HRV (RMSSD) of the 7 days D-7..D-1",
    ),
    Feature(
        "hrv_trend_slope",
        "last_30_days",
        "yes",
        "10 days",
        "ms per day",
        "least-squares slope of daily HRV against the day, over D-30..D-1",
    ),
    Feature(
        "hrv_delta_pregame_vs_baseline",
        "last_7_days",
        "yes",
        "3 days",
        "%",
        "mean of the daily `hrv_baseline_deviation` (each morning against his own 30-day baseline) "
        "over D-7..D-1",
    ),
    Feature(
        "recovery_score_avg",
        "season",
        "yes",
        "3 days",
        "%",
        "mean daily recovery score from the season's first game date to D-1",
    ),
    Feature(
        "sleep_quality_variance",
        "last_14_days",
        "yes",
        "5 days",
        "points²",
        "sample variance (n-1) of the nightly sleep performance over D-14..D-1",
    ),
    Feature(
        "strain_vs_recovery_ratio",
        "season",
        "yes",
        "7 days",
        "ratio",
        "sum of day strain / (sum of recovery score x 21/100), over the season's days before D "
        "that have both",
    ),
    Feature(
        "fatigue_index",
        "last_7_vs_28_days",
        "yes",
        "4 of 7 days and 14 of 28 days",
        "ratio",
        "mean day strain over D-7..D-1 / mean day strain over D-28..D-1 (acute:chronic load)",
    ),
    Feature(
        "clutch_score_with_wearables",
        "season",
        "yes",
        "3 games",
        "score (0-100)",
        "mean game clutch score of his games of the season before D that had wearables data",
    ),
    Feature(
        "clutch_score_without_wearables",
        "season",
        "when he has a game with wearables before D",
        "3 games",
        "score (0-100)",
        "mean game clutch score of his games of the season before D without wearables data",
    ),
)
FEATURE_NAMES = tuple(f.name for f in FEATURES)

# The minimums of the table above, as numbers.
HRV_AVG_MIN_DAYS = 3
HRV_TREND_MIN_DAYS = 10
HRV_DELTA_MIN_DAYS = 3
RECOVERY_AVG_MIN_DAYS = 3
SLEEP_VARIANCE_MIN_DAYS = 5
STRAIN_RATIO_MIN_DAYS = 7
FATIGUE_ACUTE_MIN_DAYS = 4
FATIGUE_CHRONIC_MIN_DAYS = 14
CLUTCH_MIN_GAMES = 3
# WHOOP's day strain runs 0-21 and recovery 0-100%: 21/100 puts recovery on strain's scale.
STRAIN_PER_RECOVERY_POINT = 21 / 100
LONGEST_WINDOW_DAYS = 30

SUMMARY_COLUMNS = (
    "hrv_rmssd_avg",
    "hrv_baseline_deviation",
    "recovery_score",
    "sleep_performance_score",
    "day_strain",
)
OUTPUT_COLUMNS = (
    "entity_id",
    "feature_name",
    "calculation_window",
    "as_of_date",
    "feature_value",
    "uses_wearables",
)


def feature_table() -> str:
    """The features as the Markdown table docs/features.md shows (a test keeps the page in step)."""
    lines = [
        "| feature | `calculation_window` | uses wearables | needs at least | unit | definition (as of D) |",
        "|---|---|---|---|---|---|",
    ]
    lines += [
        f"| `{f.name}` | `{f.window}` | {f.uses_wearables} | {f.minimum} | {f.unit} | {f.definition} |"
        for f in FEATURES
    ]
    return "\n".join(lines)


def _day_numbers(values: pd.Series) -> np.ndarray:
    """Dates (date objects or datetime64) as whole days since 1970-01-01."""
    return pd.to_datetime(values).to_numpy().astype("datetime64[D]").astype(np.int64)


class _PrefixSums:
    """Per player and day, the running sum of a series over the days before each day.

    ``sums[p, k]`` is the sum over days ``first .. first + k - 1``, so the sum over days [a, b) is
    ``sums[p, b - first] - sums[p, a - first]``: a prefix up to D never contains a value dated D or later,
    which is what makes the features point in time by construction.
    """

    def __init__(self, players: int, first: int, days: int) -> None:
        self.players, self.first, self.days = players, first, days
        self.series: dict[str, np.ndarray] = {}

    def add(self, name: str, player: np.ndarray, day: np.ndarray, values: np.ndarray) -> None:
        keep = (day >= self.first) & (day < self.first + self.days) & ~np.isnan(values)
        cell = player[keep] * (self.days + 1) + (day[keep] - self.first) + 1
        daily = np.bincount(cell, weights=values[keep], minlength=self.players * (self.days + 1))
        self.series[name] = np.cumsum(daily.reshape(self.players, self.days + 1), axis=1)

    def window(self, name: str, player: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
        """Sum of the series over days [start, end) for each (player, start, end)."""
        hi = np.clip(end - self.first, 0, self.days)
        lo = np.clip(start - self.first, 0, hi)
        sums = self.series[name]
        return sums[player, hi] - sums[player, lo]


def _daily_summaries(summaries: pd.DataFrame) -> pd.DataFrame:
    """One row per player and local date (the mean over his devices, if two recorded the same day)."""
    frame = summaries[["player_id", "summary_date", *SUMMARY_COLUMNS]].copy()
    for column in SUMMARY_COLUMNS:
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float)
    return frame.groupby(["player_id", "summary_date"], as_index=False, sort=False).mean()


def _add_summaries(grid: _PrefixSums, codes: pd.Index, summaries: pd.DataFrame) -> None:
    daily = _daily_summaries(summaries)
    player = codes.get_indexer(daily["player_id"])
    known = player >= 0
    daily, player = daily[known], player[known]
    day = _day_numbers(daily["summary_date"])
    x = (day - grid.first).astype(float)
    hrv = daily["hrv_rmssd_avg"].to_numpy()
    sleep = daily["sleep_performance_score"].to_numpy()
    strain = daily["day_strain"].to_numpy()
    recovery = daily["recovery_score"].to_numpy()
    paired = ~np.isnan(strain) & ~np.isnan(recovery)
    series = {
        "hrv": hrv,
        "hrv_n": _ones(hrv),
        "hrv_x": _ones(hrv) * x,
        "hrv_xx": _ones(hrv) * x * x,
        "hrv_xy": hrv * x,
        "deviation": daily["hrv_baseline_deviation"].to_numpy(),
        "deviation_n": _ones(daily["hrv_baseline_deviation"].to_numpy()),
        "recovery": recovery,
        "recovery_n": _ones(recovery),
        "sleep": sleep,
        "sleep_n": _ones(sleep),
        "sleep_ss": sleep * sleep,
        "strain": strain,
        "strain_n": _ones(strain),
        "pair_strain": np.where(paired, strain, np.nan),
        "pair_recovery": np.where(paired, recovery, np.nan),
        "pair_n": np.where(paired, 1.0, np.nan),
    }
    for name, values in series.items():
        grid.add(name, player, day, values)


def _ones(values: np.ndarray) -> np.ndarray:
    """1 where a value is present, NaN (not counted) where it is missing."""
    return np.where(np.isnan(values), np.nan, 1.0)


def _add_scores(grid: _PrefixSums, codes: pd.Index, scores: pd.DataFrame) -> None:
    player = codes.get_indexer(scores["player_id"])
    known = player >= 0
    player = player[known]
    day = _day_numbers(scores["game_date"][known])
    score = pd.to_numeric(scores["clutch_score"][known], errors="coerce").to_numpy(dtype=float)
    with_wearables = scores["has_wearables_data"][known].to_numpy(dtype=bool)
    grid.add("with", player, day, np.where(with_wearables, score, np.nan))
    grid.add("with_n", player, day, np.where(with_wearables & ~np.isnan(score), 1.0, np.nan))
    grid.add("without", player, day, np.where(with_wearables, np.nan, score))
    grid.add("without_n", player, day, np.where(~with_wearables & ~np.isnan(score), 1.0, np.nan))


@dataclass(frozen=True)
class _AsOf:
    """The as-of points (player code and day), and window sums over the days before each."""

    grid: _PrefixSums
    player: np.ndarray
    day: np.ndarray
    season_start: int

    def last(self, name: str, days: int) -> np.ndarray:
        return self.grid.window(name, self.player, self.day - days, self.day)

    def season(self, name: str) -> np.ndarray:
        return self.grid.window(name, self.player, np.full_like(self.day, self.season_start), self.day)


def _ratio(numerator: np.ndarray, denominator: np.ndarray, ok: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """numerator / denominator where ``ok`` and the denominator is not zero; the mask of those."""
    ok = ok & (denominator != 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(ok, numerator / np.where(ok, denominator, 1.0), np.nan), ok


def _wearables_features(at: _AsOf) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Each summary feature's values and the mask of the as-of points where it exists."""
    n7 = at.last("hrv_n", 7)
    n30, sx, sy = at.last("hrv_n", 30), at.last("hrv_x", 30), at.last("hrv", 30)
    slope = _ratio(
        n30 * at.last("hrv_xy", 30) - sx * sy,
        n30 * at.last("hrv_xx", 30) - sx * sx,
        n30 >= HRV_TREND_MIN_DAYS,
    )
    deviation_n = at.last("deviation_n", 7)
    recovery_n = at.season("recovery_n")
    sleep_n, sleep_sum = at.last("sleep_n", 14), at.last("sleep", 14)
    sleep_ok = sleep_n >= SLEEP_VARIANCE_MIN_DAYS
    variance = _ratio(
        at.last("sleep_ss", 14) - sleep_sum * _ratio(sleep_sum, sleep_n, sleep_ok)[0], sleep_n - 1, sleep_ok
    )
    pair_n = at.season("pair_n")
    strain_ratio = _ratio(
        at.season("pair_strain"),
        at.season("pair_recovery") * STRAIN_PER_RECOVERY_POINT,
        pair_n >= STRAIN_RATIO_MIN_DAYS,
    )
    acute_n, chronic_n = at.last("strain_n", 7), at.last("strain_n", 28)
    acute = _ratio(at.last("strain", 7), acute_n, acute_n >= FATIGUE_ACUTE_MIN_DAYS)
    chronic = _ratio(at.last("strain", 28), chronic_n, chronic_n >= FATIGUE_CHRONIC_MIN_DAYS)
    return {
        "hrv_avg_last_7_days": _ratio(at.last("hrv", 7), n7, n7 >= HRV_AVG_MIN_DAYS),
        "hrv_trend_slope": slope,
        "hrv_delta_pregame_vs_baseline": _ratio(
            at.last("deviation", 7), deviation_n, deviation_n >= HRV_DELTA_MIN_DAYS
        ),
        "recovery_score_avg": _ratio(at.season("recovery"), recovery_n, recovery_n >= RECOVERY_AVG_MIN_DAYS),
        "sleep_quality_variance": (np.maximum(variance[0], 0.0), variance[1]),  # never below 0 by rounding
        "strain_vs_recovery_ratio": strain_ratio,
        "fatigue_index": _ratio(acute[0], chronic[0], acute[1] & chronic[1]),
    }


def _clutch_features(at: _AsOf) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    with_n, without_n = at.season("with_n"), at.season("without_n")
    return {
        "clutch_score_with_wearables": _ratio(at.season("with"), with_n, with_n >= CLUTCH_MIN_GAMES),
        "clutch_score_without_wearables": _ratio(
            at.season("without"), without_n, without_n >= CLUTCH_MIN_GAMES
        ),
    }


def player_features(
    summaries: pd.DataFrame, scores: pd.DataFrame, as_of: pd.DataFrame, season_start: object
) -> pd.DataFrame:
    """The season's player features, one row per player, as-of date and feature that can be computed.

    summaries: player_id, summary_date and SUMMARY_COLUMNS (NaN / None where NULL), any dates;
    scores: player_id, game_date, clutch_score, has_wearables_data, the season's games only;
    as_of: player_id, as_of_date (his game dates); season_start: the season's first game date.
    Returns OUTPUT_COLUMNS; a feature that cannot be computed (too few days or games) has no row.
    """
    points = as_of[["player_id", "as_of_date"]].drop_duplicates()
    if points.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in OUTPUT_COLUMNS})
    codes = pd.Index(points["player_id"].unique())
    day = _day_numbers(points["as_of_date"])
    start = int(_day_numbers(pd.Series([season_start]))[0])
    first = int(min(day.min() - LONGEST_WINDOW_DAYS, start))
    grid = _PrefixSums(len(codes), first, int(day.max()) - first)
    _add_summaries(grid, codes, summaries)
    _add_scores(grid, codes, scores)
    at = _AsOf(grid, codes.get_indexer(points["player_id"]), day, start)
    computed = {**_wearables_features(at), **_clutch_features(at)}
    any_wearables_game = at.season("with_n") > 0
    frames = []
    for feature in FEATURES:
        values, ok = computed[feature.name]
        uses = np.ones_like(ok) if feature.uses_wearables == "yes" else any_wearables_game
        frames.append(
            pd.DataFrame(
                {
                    "entity_id": codes[at.player[ok]],
                    "feature_name": feature.name,
                    "calculation_window": feature.window,
                    "as_of_date": day[ok].astype("datetime64[D]"),
                    "feature_value": values[ok],
                    "uses_wearables": uses[ok].astype(bool),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)
