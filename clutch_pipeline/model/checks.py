"""The blocking checks of a fit: convergence (R-hat, bulk ESS), zero divergences, and agreement of the
sampled fixed effects with their exact posterior (``exact``) within Monte Carlo error. A fit whose
checks fail is reported, never published as the latest model.

Convergence is judged on what the Markov chain explores (``spec.SAMPLED``: mu_alpha, sigma_alpha, sigma,
each beta). The intercepts are not a chain of their own: each is an independent exact draw from its
conditional given one sampled draw, so any failure to mix is a failure of the sampled parameters.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from clutch_pipeline.model.diagnostics import rhat_and_bulk_ess
from clutch_pipeline.model.exact import ExactPosterior
from clutch_pipeline.model.spec import SAMPLED

MAX_RHAT = 1.01
MIN_BULK_ESS = 400
MAX_DIVERGENCES = 0
# |sampled mean - exact mean| in Monte Carlo standard errors, for each of the 1 + k fixed effects: a
# correct sampler exceeds 4 with probability 6e-5 per effect, a wrong model by far more.
MAX_MCSE_DISTANCE = 4.0


@dataclass(frozen=True)
class Check:
    name: str
    value: float
    threshold: float
    passed: bool
    detail: str = ""


@dataclass(frozen=True)
class Checks:
    items: tuple[Check, ...]

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.items)

    @property
    def failed(self) -> list[str]:
        return [c.name for c in self.items if not c.passed]

    def to_dict(self) -> dict:
        return {"passed": self.passed, "checks": [asdict(c) for c in self.items]}


def _quantities(values: dict[str, np.ndarray]) -> tuple[list[str], np.ndarray]:
    """Every scalar quantity (mu_alpha, beta[2], alpha[17], ...) as (quantities, chains, draws)."""
    names, arrays = [], []
    for name, array in values.items():
        if array.ndim == 2:
            names.append(name)
            arrays.append(array[None])
        else:
            names.extend(f"{name}[{i}]" for i in range(array.shape[2]))
            arrays.append(np.moveaxis(array, 2, 0))
    return names, np.concatenate(arrays)


def convergence(values: dict[str, np.ndarray]) -> tuple[dict[str, float], dict[str, float]]:
    """Rank-normalized split R-hat and bulk ESS of every sampled quantity (``spec.SAMPLED``)."""
    names, stacked = _quantities({name: values[name] for name in SAMPLED})
    rhats, ess = rhat_and_bulk_ess(stacked)
    return dict(zip(names, rhats.tolist(), strict=True)), dict(zip(names, ess.tolist(), strict=True))


def exact_distance(values: dict[str, np.ndarray], ess: dict[str, float], exact: ExactPosterior) -> np.ndarray:
    """(sampled mean - exact mean) / MCSE for mu_alpha and each beta; MCSE = exact sd / sqrt(ESS)."""
    sampled = np.concatenate([[values["mu_alpha"].mean()], values["beta"].mean(axis=(0, 1))])
    k = values["beta"].shape[2]
    n_eff = np.array([ess["mu_alpha"], *(ess[f"beta[{i}]"] for i in range(k))])
    return (sampled - exact.mean) / (exact.sd / np.sqrt(n_eff))


def run_checks(values: dict[str, np.ndarray], divergences: int, exact: ExactPosterior) -> Checks:
    rhat, ess = convergence(values)
    worst_r = max(rhat, key=rhat.get)
    worst_e = min(ess, key=ess.get)
    distance = exact_distance(values, ess, exact)
    worst_d = int(np.argmax(np.abs(distance)))
    names = ["mu_alpha", *(f"beta[{i}]" for i in range(len(distance) - 1))]
    return Checks(
        (
            Check("max_rhat", rhat[worst_r], MAX_RHAT, rhat[worst_r] <= MAX_RHAT, worst_r),
            Check("min_bulk_ess", ess[worst_e], MIN_BULK_ESS, ess[worst_e] >= MIN_BULK_ESS, worst_e),
            Check("divergences", float(divergences), MAX_DIVERGENCES, divergences <= MAX_DIVERGENCES),
            Check(
                "exact_posterior_agreement_mcse",
                float(abs(distance[worst_d])),
                MAX_MCSE_DISTANCE,
                bool(abs(distance[worst_d]) <= MAX_MCSE_DISTANCE),
                names[worst_d],
            ),
        )
    )
