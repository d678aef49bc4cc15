"""Posterior predictions for player-games: the predictive mean, a 94% interval, and whether the
athlete's wearables were used.

A row without wearables is predicted with the wearables covariates at their mean and the
``wearables_missing`` indicator on, exactly as the model was fitted: no value is invented for it, and
the row says ``wearables_used = False``. A player the model has not seen gets an intercept drawn from
the league's distribution (mu_alpha, sigma_alpha), so their interval is honestly wider.

Works from plain posterior arrays, so a stored trace predicts without rebuilding or compiling a model.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from clutch_pipeline.model.data import CONTEXT, OPTIONAL, WEARABLES, ModelInputError, Scaling, standardize

INTERVAL = (0.03, 0.97)  # equal-tailed 94%


def prediction_frame(rows: pd.DataFrame, scaling: Scaling | None = None) -> pd.DataFrame:
    """The columns a prediction needs, typed; a context value the model uses must be present (none is
    invented). ``is_home`` may be absent or empty for a model fitted without it (``scaling``)."""
    needed = ("player_id", "has_wearables_data", *WEARABLES, *CONTEXT)
    missing = [c for c in needed if c not in rows.columns and c not in OPTIONAL]
    if missing:
        raise ModelInputError(f"missing columns for prediction: {', '.join(missing)}")
    out = rows.copy()
    for column in OPTIONAL:
        if column not in out.columns:
            out[column] = np.nan
    out["player_id"] = out["player_id"].astype(str)
    out["has_wearables_data"] = out["has_wearables_data"].astype(bool)
    for column in (*WEARABLES, *CONTEXT):
        out[column] = pd.to_numeric(out[column]).astype(float)
    used = CONTEXT if scaling is None else [c for c in CONTEXT if c in scaling.names or c not in OPTIONAL]
    empty = [c for c in used if c != "days_since_last_game" and out[c].isna().any()]
    if empty:
        raise ModelInputError(f"prediction rows need their game context: {', '.join(empty)} empty")
    out.loc[~out["has_wearables_data"], list(WEARABLES)] = np.nan
    return out


def _intercepts(draws: dict[str, np.ndarray], player_ids, rows: pd.DataFrame, rng) -> np.ndarray:
    """(samples, rows) intercepts: the player's own, or the league's distribution for a new player."""
    index = {p: i for i, p in enumerate(player_ids)}
    alpha = draws["alpha"].reshape(-1, len(player_ids))
    mu = draws["mu_alpha"].reshape(-1, 1)
    sa = draws["sigma_alpha"].reshape(-1, 1)
    known = np.array([index.get(p, -1) for p in rows["player_id"]])
    new = mu + sa * rng.standard_normal((len(mu), len(rows)))
    return np.where(known >= 0, alpha[:, np.maximum(known, 0)], new)


def predict(
    draws: dict[str, np.ndarray], player_ids, scaling: Scaling, rows: pd.DataFrame, seed: int = 0
) -> pd.DataFrame:
    """One output row per input row: predicted (mean), lower and upper (94%), wearables_used, known_player."""
    frame = prediction_frame(rows, scaling)
    rng = np.random.default_rng(seed)
    x = standardize(frame, scaling)
    beta = draws["beta"].reshape(-1, x.shape[1])
    mean = _intercepts(draws, player_ids, frame, rng) + beta @ x.T  # (samples, rows)
    sigma = draws["sigma"].reshape(-1, 1)
    predictive = mean + sigma * rng.standard_normal(mean.shape)
    lower, upper = np.quantile(predictive, INTERVAL, axis=0)
    used = frame[list(WEARABLES)].notna().any(axis=1) & any(w in scaling.names for w in WEARABLES)
    return pd.DataFrame(
        {
            "player_id": frame["player_id"].to_numpy(),
            "game_id": frame["game_id"].astype(str).to_numpy() if "game_id" in frame else None,
            "predicted": mean.mean(axis=0),
            "lower": lower,
            "upper": upper,
            "wearables_used": used.to_numpy(),
            "known_player": frame["player_id"].isin(set(player_ids)).to_numpy(),
        }
    )


def fitted_means(draws: dict[str, np.ndarray], x: np.ndarray, player: np.ndarray) -> np.ndarray:
    """Posterior mean of alpha_j + x beta for design rows (players by index): the holdout's predictions."""
    alpha = draws["alpha"].reshape(-1, draws["alpha"].shape[-1]).mean(axis=0)
    beta = draws["beta"].reshape(-1, x.shape[1]).mean(axis=0)
    return alpha[player] + x @ beta
