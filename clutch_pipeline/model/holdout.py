"""The holdout: 80/20 split of player-games stratified by player, the model's RMSE and POE-sign accuracy
on the held-out games, beside a baseline (each player's own training mean) so the model's value shows.

Stratified by player: each player with n >= 2 games holds out about 20% of them (randomized rounding of
0.2 n, never all), so every held-out game belongs to a player the model has seen; a player with one
game stays in training. POE sign: the share of held-out player-games (with a nonzero
``points_over_expected``) where the predicted score's side of the league mean (50) matches the sign of
the observed points over expected; the seed's targets are RMSE under 8 and POE sign over 70%.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from clutch_pipeline.model.data import Design, ModelInput, standardize

SHARE = 0.2
LEAGUE_MEAN = 50.0


def split(data: ModelInput, seed: int = 0) -> np.ndarray:
    """A boolean mask over rows: True for training, False for held out."""
    rng = np.random.default_rng(seed)
    train = np.ones(data.rows, dtype=bool)
    for _, rows in data.frame.groupby("player_id", sort=True).indices.items():
        n = len(rows)
        if n < 2:
            continue
        held = min(n - 1, int(np.floor(SHARE * n + rng.random())))
        train[rng.choice(rows, size=held, replace=False)] = False
    return train


def _sign_accuracy(predicted: np.ndarray, poe: np.ndarray) -> tuple[float | None, int]:
    usable = np.isfinite(poe) & (poe != 0)
    if not usable.any():
        return None, 0
    agree = np.sign(predicted[usable] - LEAGUE_MEAN) == np.sign(poe[usable])
    return float(agree.mean()), int(usable.sum())


def _figures(predicted: np.ndarray, observed: np.ndarray, poe: np.ndarray) -> dict:
    accuracy, counted = _sign_accuracy(predicted, poe)
    return {
        "rmse": float(np.sqrt(np.mean((predicted - observed) ** 2))),
        "poe_sign_accuracy": accuracy,
        "poe_sign_rows": counted,
    }


def evaluate(train: Design, test: ModelInput, alpha_mean: np.ndarray, beta_mean: np.ndarray) -> dict:
    """The model's and the baseline's figures on ``test``, from the training fit's posterior means."""
    frame = test.frame
    index = {p: i for i, p in enumerate(train.player_ids)}
    player = frame["player_id"].map(index).to_numpy()
    x = standardize(frame, train.scaling)
    predicted = alpha_mean[player] + x @ beta_mean
    train_means = pd.Series(train.y).groupby(train.player).mean().to_numpy()
    observed = frame["clutch_score"].to_numpy()
    column = (
        frame["points_over_expected"] if "points_over_expected" in frame else pd.Series(np.nan, frame.index)
    )
    poe = column.to_numpy(dtype=float)
    return {
        "train_rows": len(train.y),
        "test_rows": test.rows,
        "model": _figures(predicted, observed, poe),
        "player_mean_baseline": _figures(train_means[player], observed, poe),
        "targets": {"rmse_below": 8.0, "poe_sign_above": 0.70},
        "poe_column": "points_over_expected" in frame,
    }
