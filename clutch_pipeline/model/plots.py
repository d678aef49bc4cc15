"""The fit's figures as PNG bytes (run metadata): observed vs predicted, the fixed effects with their
94% intervals, and the player effects' shrinkage."""

from __future__ import annotations

import numpy as np

from clutch_pipeline.model.fit import FitResult
from clutch_pipeline.model.predict import fitted_means
from clutch_pipeline.plots import figure_png, new_figure


def observed_vs_predicted(result: FitResult) -> bytes:
    design = result.design
    predicted = fitted_means(result.values, design.x, design.player)
    figure, ax = new_figure(5.5, 4.0)
    ax.scatter(predicted, design.y, s=4, alpha=0.3)
    low, high = float(min(predicted.min(), design.y.min())), float(max(predicted.max(), design.y.max()))
    ax.plot([low, high], [low, high], color="black", linewidth=1)
    ax.set(
        xlabel="predicted clutch score (posterior mean)",
        ylabel="observed clutch score",
        title="Observed vs predicted, player-games",
    )
    return figure_png(figure)


def fixed_effects(result: FitResult) -> bytes:
    """Per standard deviation of each covariate, so effects of different units share one axis."""
    beta = result.values["beta"]
    names = result.design.scaling.names
    means = beta.mean(axis=(0, 1))
    low, high = np.quantile(beta.reshape(-1, len(names)), [0.03, 0.97], axis=0)
    figure, ax = new_figure(5.5, 0.5 + 0.45 * len(names))
    rows = np.arange(len(names))
    ax.errorbar(means, rows, xerr=[means - low, high - means], fmt="o", capsize=3)
    ax.axvline(0, color="grey", linewidth=1)
    ax.set_yticks(rows, names)
    ax.set(xlabel="points per sd of the covariate (94% interval)", title="Fixed effects")
    return figure_png(figure)


def shrinkage(result: FitResult) -> bytes:
    """Each player's raw mean score against their posterior intercept: few games, more shrinkage."""
    design = result.design
    games = np.bincount(design.player)
    raw = np.bincount(design.player, weights=design.y) / games
    alpha = result.values["alpha"].reshape(-1, len(games)).mean(axis=0)
    figure, ax = new_figure(5.5, 4.0)
    points = ax.scatter(raw, alpha, c=np.log(games), s=8, cmap="viridis")
    league = float(result.values["mu_alpha"].mean())
    ax.axhline(league, color="grey", linewidth=1)
    ax.plot([raw.min(), raw.max()], [raw.min(), raw.max()], color="black", linewidth=1)
    figure.colorbar(points, ax=ax, label="log games")
    ax.set(
        xlabel="player's mean observed score",
        ylabel="player intercept (posterior mean)",
        title="Shrinkage of player effects",
    )
    return figure_png(figure)


def all_plots(result: FitResult) -> dict[str, bytes]:
    return {
        "observed_vs_predicted": observed_vs_predicted(result),
        "fixed_effects": fixed_effects(result),
        "shrinkage": shrinkage(result),
    }
