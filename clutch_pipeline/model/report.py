"""What a fit reports and stores: the JSON that ``clutch model fit`` prints, and the InferenceData that
may be published.

The stored trace holds parameters and aggregates only: the posterior draws, the sampler's statistics,
and as attributes the covariates' means and sds (over many rows) and the player ids. No observed or
constant data group, so no athlete's wearables values: revocation never needs to rewrite a trace.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from clutch_pipeline.model.data import ModelInput, Scaling
from clutch_pipeline.model.fit import MODEL_VERSION, FitConfig, FitResult, fit_model

INTERCEPTS = "marginalized"


def _parameterization(result: FitResult) -> dict:
    games = result.sampled.stats.n_games
    return {
        "intercepts": INTERCEPTS,
        "rule": "player intercepts integrated out of the sampled density (no funnel, so no centered or "
        "non-centered choice), then drawn exactly from their Gaussian conditional per posterior draw",
        "players_with_one_game": int((games == 1).sum()),
        "median_games_per_player": float(np.median(games)),
    }


def report(result: FitResult) -> dict:
    design = result.design
    return {
        "model_version": MODEL_VERSION,
        "rows": result.data_rows,
        "players": len(design.player_ids),
        "rows_with_wearables": int(design.wearables_used.sum()),
        "covariates": list(design.scaling.names),
        "dropped_covariates": dict(design.scaling.dropped),
        "sampler": result.sampled.draws.sampler,
        "draws": {
            "chains": result.config.chains,
            "tune": result.config.tune,
            "draws": result.config.draws,
            "seed": result.config.seed,
        },
        "parameterization": _parameterization(result),
        "diagnostics": result.checks.to_dict(),
        "published_allowed": result.checks.passed,
        "effects_per_unit": result.effects(),
        "wearables_joint": result.wearables_joint(),
        "scales": result.scales(),
        "exact_posterior": {"mean": result.exact.mean.tolist(), "sd": result.exact.sd.tolist()},
        "holdout": result.holdout,
        "timings": {k: round(v, 3) for k, v in result.timings.items()},
        **result.extra,
    }


def fit_csv(path: str | Path, config: FitConfig | None = None) -> dict:
    """Fit from a CSV of the model's input (issue 23's columns, plus optional ``points_over_expected``)."""
    return report(fit_model(ModelInput.from_csv(path), config))


def to_inference_data_for_storage(result: FitResult):
    """The InferenceData to publish: posterior and sample statistics only (no data groups)."""
    import arviz as az

    design = result.design
    values = result.values
    chains, draws = values["mu_alpha"].shape
    divergences = np.zeros((chains, draws), dtype=bool)
    idata = az.from_dict(
        posterior=dict(values),
        sample_stats={"diverging": divergences},
        coords={"covariate": list(design.scaling.names), "player": list(design.player_ids)},
        dims={"beta": ["covariate"], "alpha": ["player"]},
    )
    idata.attrs.update(
        {
            "model_version": MODEL_VERSION,
            "scaling": json.dumps(design.scaling.to_dict()),
            "checks": json.dumps(result.checks.to_dict()),
            "divergences": int(result.sampled.draws.divergences),
            "sampler": result.sampled.draws.sampler,
            "intercepts": INTERCEPTS,
        }
    )
    return idata


def posterior_from_storage(idata) -> tuple[dict[str, np.ndarray], tuple[str, ...], Scaling]:
    """What ``predict.predict`` needs, from a stored trace."""
    values = {
        name: idata.posterior[name].to_numpy()
        for name in ("mu_alpha", "sigma_alpha", "sigma", "beta", "alpha")
    }
    players = tuple(str(p) for p in idata.posterior["player"].to_numpy())
    return values, players, Scaling.from_dict(json.loads(idata.attrs["scaling"]))


__all__ = [
    "fit_csv",
    "posterior_from_storage",
    "report",
    "to_inference_data_for_storage",
]
