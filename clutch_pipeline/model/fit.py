"""The public entry point: ``fit_model(data, config) -> FitResult``.

A fit standardizes the design (``data``), samples the model with its intercepts integrated out
(``spec``; ``sampler``: nutpie on cached callbacks, or PyMC), draws every intercept from its exact
conditional, computes the exact posterior of the fixed effects (``exact``), runs the blocking checks
(``checks``) and, unless switched off, the holdout (``holdout``: the same procedure on 80% of the
player-games).
"""

from __future__ import annotations

import dataclasses
import json
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from clutch_pipeline.model import checks as checks_module
from clutch_pipeline.model import holdout as holdout_module
from clutch_pipeline.model import sampler as sampler_module
from clutch_pipeline.model.data import SEED_PRIOR_SD, Design, ModelInput, design_of
from clutch_pipeline.model.exact import ExactPosterior, exact_posterior
from clutch_pipeline.model.predict import INTERVAL, predict
from clutch_pipeline.model.spec import (
    LEAGUE_MEAN_PRIOR,
    SIGMA_ALPHA_PRIOR,
    SIGMA_PRIOR,
    Statistics,
    data_values,
    draw_intercepts,
    statistics_of,
)

MODEL_VERSION = "clutch_model_v1"


@dataclass(frozen=True)
class FitConfig:
    """Draws as the seed's recipe (2000 draws, 1000 tune)."""

    draws: int = 2000
    tune: int = 1000
    chains: int = 4
    seed: int = 20231124
    sampler: str = "auto"  # "nutpie", "pymc", or "auto" (nutpie where installed)
    holdout: bool = True


@dataclass(frozen=True)
class Sampled:
    design: Design
    stats: Statistics
    prior_sd: np.ndarray
    draws: sampler_module.Draws


def prior_sd_of(design: Design) -> np.ndarray:
    """The seed's per-unit prior sds mapped onto the standardized scale (sd_std = sd_unit * sd_x)."""
    return np.array(
        [SEED_PRIOR_SD[n] * s for n, s in zip(design.scaling.names, design.scaling.sds, strict=True)]
    )


def sample_design(design: Design, config: FitConfig) -> Sampled:
    """Sample (mu_alpha, sigma_alpha, sigma, beta), then one exact intercept draw per posterior draw."""
    from clutch_pipeline.model import compiled

    stats = statistics_of(design.y, design.x, design.player, len(design.player_ids))
    prior_sd = prior_sd_of(design)
    values = data_values(stats, prior_sd)
    use_nutpie = config.sampler == "nutpie" or (
        config.sampler == "auto" and sampler_module.nutpie_available()
    )
    args = (config.draws, config.tune, config.chains, config.seed)
    if use_nutpie:
        buffer = compiled.pack(values, (*LEAGUE_MEAN_PRIOR, SIGMA_ALPHA_PRIOR, SIGMA_PRIOR))
        draws = sampler_module.sample_nutpie(buffer, len(prior_sd), *args)
    else:
        draws = sampler_module.sample_pymc(values, *args)
    alpha = draw_intercepts(stats, draws.values, config.seed)
    draws = dataclasses.replace(draws, values={**draws.values, "alpha": alpha})
    return Sampled(design, stats, prior_sd, draws)


@dataclass
class FitResult:
    data_rows: int
    sampled: Sampled
    exact: ExactPosterior
    checks: checks_module.Checks
    holdout: dict | None
    timings: dict[str, float]
    config: FitConfig
    extra: dict = field(default_factory=dict)

    @property
    def design(self) -> Design:
        return self.sampled.design

    @property
    def values(self) -> dict[str, np.ndarray]:
        return self.sampled.draws.values

    def effects(self) -> list[dict]:
        """Each covariate's effect in points per unit of its original scale (and per sd), 94% interval."""
        out = []
        beta = self.values["beta"]
        for i, (name, sd) in enumerate(zip(self.design.scaling.names, self.design.scaling.sds, strict=True)):
            per_unit = beta[:, :, i].ravel() / sd
            low, high = np.quantile(per_unit, INTERVAL)
            out.append(
                {
                    "covariate": name,
                    "mean": float(per_unit.mean()),
                    "interval_94": [float(low), float(high)],
                    "per_sd_mean": float(beta[:, :, i].mean()),
                    "unit_sd": sd,
                }
            )
        return out

    def wearables_joint(self) -> dict:
        """Whether the wearables effects together exclude zero (``calibration.joint_region``), with the
        covariates it looked at; the Mahalanobis distance is the same on any scale, so standardized."""
        from clutch_pipeline.model.calibration import joint_region
        from clutch_pipeline.model.data import WEARABLES

        names = list(self.design.scaling.names)
        used = [name for name in WEARABLES if name in names]
        beta = self.values["beta"].reshape(-1, len(names))[:, [names.index(n) for n in used]]
        return {**joint_region(beta), "names": used}

    def scales(self) -> dict:
        out = {}
        for name in ("mu_alpha", "sigma_alpha", "sigma"):
            draws = self.values[name].ravel()
            out[name] = {
                "mean": float(draws.mean()),
                "interval_94": [float(q) for q in np.quantile(draws, INTERVAL)],
            }
        return out

    def predict(self, rows: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
        return predict(self.values, self.design.player_ids, self.design.scaling, rows, seed)

    def to_dict(self) -> dict:
        from clutch_pipeline.model.report import report

        return report(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)


def _holdout(data: ModelInput, config: FitConfig) -> dict:
    started = time.perf_counter()
    train_mask = holdout_module.split(data, config.seed)
    train = design_of(data.subset(train_mask))
    sampled = sample_design(train, config)
    alpha = sampled.draws.values["alpha"].reshape(-1, len(train.player_ids)).mean(axis=0)
    beta = sampled.draws.values["beta"].reshape(-1, train.x.shape[1]).mean(axis=0)
    figures = holdout_module.evaluate(train, data.subset(~train_mask), alpha, beta)
    figures["seconds"] = time.perf_counter() - started
    return figures


def fit_model(data: ModelInput, config: FitConfig | None = None) -> FitResult:
    """Fit, check and (unless ``config.holdout`` is False) evaluate on held-out player-games."""
    config = config or FitConfig()
    started = time.perf_counter()
    design = design_of(data)
    sampled = sample_design(design, config)
    exact = exact_posterior(sampled.stats, sampled.prior_sd)
    checked = time.perf_counter()
    checks = checks_module.run_checks(sampled.draws.values, sampled.draws.divergences, exact)
    checks_seconds = time.perf_counter() - checked
    holdout = _holdout(data, config) if config.holdout else None
    timings = {
        "load_seconds": sampled.draws.load_seconds,
        "sample_seconds": sampled.draws.sample_seconds,
        "exact_seconds": exact.seconds,
        "checks_seconds": checks_seconds,
        "holdout_seconds": holdout["seconds"] if holdout else 0.0,
        "fit_seconds": time.perf_counter() - started,
    }
    return FitResult(data.rows, sampled, exact, checks, holdout, timings, config)
