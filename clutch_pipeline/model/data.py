"""The model's input: one row per player-game, validated, and turned into a standardized design.

The unit is the player-game, not the clutch situation: the wearables state is measured once per game
day, so the several clutch situations of one game are not independent observations of it. Counting
them as such would shrink every interval by the square root of the situations per game.

Missing wearables are never filled with invented values. A row without wearables keeps its wearables
covariates at their standardized mean (zero) and carries a ``wearables_missing`` indicator, so the
wearables effects are learned only from rows that have wearables (a zero contributes nothing to X'X or
X'y in that column) and a shift between games with and without a device goes to the indicator.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

WEARABLES = ("hrv_baseline_deviation", "recovery_score_pregame", "sleep_performance_pregame")
# is_home: whether the player's team is the home team. The schedule drives the simulated (and real)
# physiology, and home/away drives both sleep (a night at home) and play (home-court advantage): a
# backdoor from the schedule to the wearables effects that this covariate closes (docs/model.md,
# "Calibration": on the month, 60 simulator seeds, sleep performance's shared association with play falls
# from +0.29 to +0.24 points per sd with it). Optional in the CSV: without it the covariate is dropped.
CONTEXT = ("score_margin", "is_playoff", "days_since_last_game", "is_home")
BOOLEAN_CONTEXT = ("is_playoff", "is_home")
COLUMNS = ("player_id", "game_id", "clutch_score", "has_wearables_data", *WEARABLES, *CONTEXT[:3])
OPTIONAL = ("points_over_expected", "is_home")
MISSING_INDICATOR = "wearables_missing"
# Days since his last game is unknown for a player's first game in our data (no earlier game loaded):
# like missing wearables, the value sits at its mean and this indicator is on, so the rest effect is
# learned only from rows that know it and nothing is invented.
NO_EARLIER_GAME = "no_earlier_game"
MAY_BE_EMPTY = (*WEARABLES, "days_since_last_game")
COVARIATES = (*WEARABLES, *CONTEXT, MISSING_INDICATOR, NO_EARLIER_GAME)

# The seed's priors (section 4.1), on each covariate's original unit: Normal(0, sd) per unit.
SEED_PRIOR_SD = {
    "hrv_baseline_deviation": 5.0,
    "recovery_score_pregame": 5.0,
    "sleep_performance_pregame": 5.0,
    "score_margin": 2.0,
    "is_playoff": 5.0,
    "days_since_last_game": 2.0,
    MISSING_INDICATOR: 5.0,  # not in the seed: the size of its playoff prior, a 0/1 switch as well
    NO_EARLIER_GAME: 5.0,  # likewise
    # Not in the seed: home-court advantage is worth about 1-2 points of a game's score margin; on the
    # clutch score's 0-100 scale (sd about 10) Normal(0, 5) per 0/1 switch, as is_playoff, is weak.
    "is_home": 5.0,
}

_TRUE = {"true", "t", "1", "yes", "y", "1.0"}
_FALSE = {"false", "f", "0", "no", "n", "0.0"}


class ModelInputError(ValueError):
    """The input breaks the contract; the message names the column and the first offending rows."""


def _rows(mask: pd.Series) -> str:
    index = list(mask[mask].index[:5])
    more = int(mask.sum()) - len(index)
    return ", ".join(str(i + 2) for i in index) + (f" and {more} more" if more > 0 else "")


def _booleans(frame: pd.DataFrame, column: str) -> pd.Series:
    text = frame[column].astype("string").str.strip().str.lower()
    bad = ~text.isin(_TRUE | _FALSE)
    if bad.any():
        raise ModelInputError(f"{column} must be true or false: rows {_rows(bad)} (CSV line numbers)")
    return text.isin(_TRUE)


def _numbers(frame: pd.DataFrame, column: str) -> pd.Series:
    text = frame[column].astype(str).str.strip().replace({"": None, "nan": None, "None": None})
    values = pd.to_numeric(text, errors="coerce")
    bad = values.isna() & text.notna()
    if bad.any():
        raise ModelInputError(f"{column} must be a number: rows {_rows(bad)} (CSV line numbers)")
    return values.astype(float)


def _validated(frame: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise ModelInputError(f"missing columns: {', '.join(missing)} (expected {', '.join(COLUMNS)})")
    if len(frame) < 2:
        raise ModelInputError(f"need at least 2 player-games, got {len(frame)}")
    frame = frame.reset_index(drop=True)
    out = pd.DataFrame({"player_id": frame["player_id"].astype(str), "game_id": frame["game_id"].astype(str)})
    duplicated = out.duplicated(["player_id", "game_id"], keep=False)
    if duplicated.any():
        raise ModelInputError(f"one row per player-game: rows {_rows(duplicated)} repeat a pair")
    out["clutch_score"] = _numbers(frame, "clutch_score")
    bad = out["clutch_score"].isna() | ~out["clutch_score"].between(0, 100)
    if bad.any():
        raise ModelInputError(f"clutch_score must be a number from 0 to 100: rows {_rows(bad)}")
    out["has_wearables_data"] = _booleans(frame, "has_wearables_data")
    for column in (*WEARABLES, "score_margin", "days_since_last_game", "points_over_expected"):
        if column in frame.columns:
            out[column] = _numbers(frame, column)
    for column in BOOLEAN_CONTEXT:
        if column not in frame.columns:  # only is_home may be absent (OPTIONAL): then it is dropped
            out[column] = np.nan
            continue
        out[column] = _booleans(frame.fillna({column: "false"}), column).astype(float)
        out.loc[frame[column].isna(), column] = np.nan
    _check_wearables(out)
    return out


def _check_wearables(out: pd.DataFrame) -> None:
    values = out[list(WEARABLES)].notna()
    without = values.any(axis=1) & ~out["has_wearables_data"]
    if without.any():
        raise ModelInputError(
            f"wearables values in rows with has_wearables_data false: rows {_rows(without)}"
        )
    empty = ~values.any(axis=1) & out["has_wearables_data"]
    if empty.any():
        raise ModelInputError(f"has_wearables_data true but no wearables values: rows {_rows(empty)}")


@dataclass(frozen=True)
class ModelInput:
    """Validated player-games (the CSV contract of issue 23). Build with ``from_frame`` or ``from_csv``."""

    frame: pd.DataFrame

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> ModelInput:
        return cls(_validated(frame))

    @classmethod
    def from_csv(cls, path: str | Path) -> ModelInput:
        frame = pd.read_csv(path, dtype=str, keep_default_na=True)
        return cls.from_frame(frame)

    @property
    def rows(self) -> int:
        return len(self.frame)

    @property
    def players(self) -> int:
        return self.frame["player_id"].nunique()

    def subset(self, mask: np.ndarray) -> ModelInput:
        return ModelInput(self.frame[mask].reset_index(drop=True))


@dataclass(frozen=True)
class Scaling:
    """How the design was standardized: kept so effects are reported, and new rows scored, on the
    original scale. ``means``/``sds`` are aggregates (no athlete's single value)."""

    names: tuple[str, ...]
    means: tuple[float, ...]
    sds: tuple[float, ...]
    dropped: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {
            "names": list(self.names),
            "means": list(self.means),
            "sds": list(self.sds),
            "dropped": dict(self.dropped),
        }

    @classmethod
    def from_dict(cls, data: dict) -> Scaling:
        return cls(tuple(data["names"]), tuple(data["means"]), tuple(data["sds"]), dict(data["dropped"]))


@dataclass(frozen=True)
class Design:
    """The standardized design: ``x`` (rows x covariates), ``y``, each row's player index."""

    y: np.ndarray
    x: np.ndarray
    player: np.ndarray
    player_ids: tuple[str, ...]
    scaling: Scaling
    wearables_used: np.ndarray


def raw_covariates(frame: pd.DataFrame) -> pd.DataFrame:
    """The covariates on their original scale, with the missing-wearables indicator added."""
    raw = frame[list(WEARABLES + CONTEXT)].copy()
    raw[MISSING_INDICATOR] = (~frame["has_wearables_data"].astype(bool)).astype(float)
    raw[NO_EARLIER_GAME] = frame["days_since_last_game"].isna().astype(float)
    return raw


def _no_information(column: str, values: pd.Series) -> str | None:
    present = values.dropna()
    if present.empty:
        return "no values"
    if present.nunique() < 2:
        return f"constant ({present.iloc[0]:g})"
    if column not in MAY_BE_EMPTY and len(present) < len(values):
        raise ModelInputError(
            f"{column} is empty in {len(values) - len(present)} rows (only wearables and days since the "
            "last game may be)"
        )
    return None


def scaling_of(frame: pd.DataFrame) -> Scaling:
    """Drop covariates with no information, then standardize each over the rows that have it."""
    raw = raw_covariates(frame)
    names, means, sds, dropped = [], [], [], {}
    for column in COVARIATES:
        reason = _no_information(column, raw[column])
        if reason:
            dropped[column] = reason
            continue
        present = raw[column].dropna()
        names.append(column)
        means.append(float(present.mean()))
        sds.append(float(present.std(ddof=0)))
    return Scaling(tuple(names), tuple(means), tuple(sds), dropped)


def standardize(frame: pd.DataFrame, scaling: Scaling) -> np.ndarray:
    """Standardized covariates; a missing wearables value sits at its mean (0), never an invented value."""
    raw = raw_covariates(frame)[list(scaling.names)].to_numpy(dtype=float)
    x = (raw - np.array(scaling.means)) / np.array(scaling.sds)
    return np.nan_to_num(x, nan=0.0)


def design_of(data: ModelInput, scaling: Scaling | None = None) -> Design:
    frame = data.frame
    scaling = scaling or scaling_of(frame)
    codes, uniques = pd.factorize(frame["player_id"], sort=True)
    return Design(
        y=frame["clutch_score"].to_numpy(dtype=float),
        x=standardize(frame, scaling),
        player=codes.astype(np.int64),
        player_ids=tuple(str(u) for u in uniques),
        scaling=scaling,
        wearables_used=frame["has_wearables_data"].to_numpy(dtype=bool),
    )
