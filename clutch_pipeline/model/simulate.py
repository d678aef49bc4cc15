"""Player-games with known effects, shaped like the issue's cases, for tests and benchmarks.

Shapes: ``season(450, 25)`` (11,250 rows), ``season(450, 80)`` (36,000 rows) and ``main_job_like()``
(about 220 player-games over 155 players, most with one game, few with a device), as the main job's
sample looks. Effects are on each covariate's original unit.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from clutch_pipeline.model.data import ModelInput

TRUE_EFFECTS = {
    "hrv_baseline_deviation": 0.10,  # points per % of baseline
    "recovery_score_pregame": 0.08,  # points per recovery point
    "sleep_performance_pregame": 0.05,
    "score_margin": 0.50,
    "is_playoff": -2.0,
    "days_since_last_game": 0.30,
}
NO_EFFECTS = dict.fromkeys(TRUE_EFFECTS, 0.0)


@dataclass(frozen=True)
class Truth:
    league_mean: float = 50.0
    sigma_alpha: float = 6.0
    sigma: float = 10.0
    effects: dict[str, float] = field(default_factory=lambda: dict(TRUE_EFFECTS))


def _covariates(rng: np.random.Generator, rows: int, playoff_share: float) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "hrv_baseline_deviation": rng.normal(0, 15, rows).round(2),
            "recovery_score_pregame": rng.normal(65, 18, rows).clip(1, 99).round(0),
            "sleep_performance_pregame": rng.normal(80, 12, rows).clip(10, 100).round(0),
            "score_margin": rng.integers(-5, 6, rows).astype(float),
            "is_playoff": (rng.random(rows) < playoff_share).astype(float),
            "days_since_last_game": (1 + rng.poisson(1.0, rows)).astype(float),
        }
    )


def simulate(
    games_per_player: np.ndarray,
    truth: Truth | None = None,
    wearables_share: float = 1.0,
    playoff_share: float = 0.1,
    seed: int = 0,
) -> ModelInput:
    """Player ``j`` plays ``games_per_player[j]`` games; a ``wearables_share`` of players wear a device."""
    truth = truth or Truth()
    rng = np.random.default_rng(seed)
    players = len(games_per_player)
    player = np.repeat(np.arange(players), games_per_player)
    rows = len(player)
    frame = _covariates(rng, rows, playoff_share)
    alpha = truth.league_mean + truth.sigma_alpha * rng.standard_normal(players)
    centered = frame - frame.mean()
    mean = alpha[player] + sum(centered[c].to_numpy() * b for c, b in truth.effects.items())
    score = (mean + truth.sigma * rng.standard_normal(rows)).clip(0, 100).round(2)
    wears = (rng.random(players) < wearables_share)[player]
    for column in ("hrv_baseline_deviation", "recovery_score_pregame", "sleep_performance_pregame"):
        frame[column] = frame[column].where(wears)
    # Home or away, half and half, with no effect: from a generator of its own, so adding it left every
    # other simulated value as it was.
    frame["is_home"] = np.random.default_rng([seed, 1]).random(rows) < 0.5
    frame.insert(0, "player_id", [f"p{j:04d}" for j in player])
    frame.insert(1, "game_id", [f"g{i:06d}" for i in range(rows)])
    frame.insert(2, "clutch_score", score)
    frame.insert(3, "has_wearables_data", wears)
    frame["points_over_expected"] = (0.15 * (score - 50) + rng.normal(0, 1.5, rows)).round(3)
    return ModelInput.from_frame(frame)


def season(players: int = 450, games: int = 25, seed: int = 0, **kwargs) -> ModelInput:
    return simulate(np.full(players, games), seed=seed, **kwargs)


def main_job_like(seed: int = 0, **kwargs) -> ModelInput:
    """About 220 player-games over 155 players: 120 with one game, the rest with 2 to 4; regular season."""
    rng = np.random.default_rng(seed + 1)
    games = np.concatenate([np.ones(120, dtype=int), rng.integers(2, 5, 35)])
    kwargs.setdefault("wearables_share", 0.3)
    kwargs.setdefault("playoff_share", 0.0)
    return simulate(games, seed=seed, **kwargs)
