"""The clutch model's fit time beside the seed's recipe and the exact posterior, on the same rows.

For 450 players x 25 games (11,250 rows) and x 80 games (36,000 rows), simulated with known effects:
- ours as a fresh process (``python -m clutch_pipeline.model CSV``: imports, loading the cached
  compiled model, sampling 4 chains x (1000 tune + 2000 draws), the exact posterior, the checks), with
  and without the holdout fit the CLI adds;
- the seed's recipe as a fresh process (section 4.1: centered, raw covariates, a Normal per row,
  PyMC's default sampler, ``pm.sample(2000, tune=1000)``);
- a refit in a warm process (the compiled model already loaded) and the exact posterior alone.
Medians over ``--repeat`` rounds for ours; the seed's recipe ``--seed-repeat`` times (it is slow).
Then the main job's shape (``simulate.main_job_like``: about 220 player-games over 155 players, most
with one game), ``--main-job-fits`` warm fits on as many simulated data sets and sampler seeds: the
worst R-hat and ESS, total divergences, how many passed every check, and, as evidence that checking
the sampled parameters suffices, the worst R-hat and ESS of the intercepts' own draws.

    python benchmarks/model_fit.py [--repeat 3 --seed-repeat 1 --games 25 80 --main-job-fits 10]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def seed_recipe(csv: str, draws: int, tune: int) -> None:
    """The seed's model and sampler call, as written in its section 4.1, on our CSV."""
    started = time.perf_counter()
    import arviz as az
    import pandas as pd
    import pymc as pm

    imported = time.perf_counter()
    df = pd.read_csv(csv)
    player_idx = pd.Categorical(df["player_id"]).codes
    with pm.Model():
        mu_alpha = pm.Normal("mu_alpha", mu=50, sigma=10)
        sigma_alpha = pm.HalfNormal("sigma_alpha", sigma=10)
        alpha = pm.Normal("alpha", mu=mu_alpha, sigma=sigma_alpha, shape=df["player_id"].nunique())
        terms = [
            ("hrv_baseline_deviation", 5),
            ("recovery_score_pregame", 5),
            ("sleep_performance_pregame", 5),
            ("score_margin", 2),
            ("is_playoff", 5),
            ("days_since_last_game", 2),
        ]
        mu = alpha[player_idx]
        for column, sd in terms:
            mu = mu + pm.Normal(f"beta_{column}", 0, sd) * df[column].astype(float).to_numpy()
        sigma = pm.HalfNormal("sigma", sigma=10)
        pm.Normal("y", mu=mu, sigma=sigma, observed=df["clutch_score"].to_numpy())
        trace = pm.sample(
            draws, tune=tune, random_seed=42, progressbar=False, compute_convergence_checks=False
        )
    sampled = time.perf_counter()
    summary = az.summary(trace, kind="diagnostics")
    print(
        json.dumps(
            {
                "imports_seconds": imported - started,
                "build_and_sample_seconds": sampled - imported,
                "max_rhat": float(summary["r_hat"].max()),
                "min_bulk_ess": float(summary["ess_bulk"].min()),
                "divergences": int(trace.sample_stats["diverging"].sum()),
            }
        )
    )


def _run(args: list[str]) -> tuple[float, dict]:
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-W", "ignore", *args], capture_output=True, text=True, check=True)
    return time.perf_counter() - started, json.loads(out.stdout)


def _ours(csv: str, holdout: bool) -> dict:
    wall, report = _run(["-m", "clutch_pipeline.model", csv, *([] if holdout else ["--no-holdout"])])
    checks = {c["name"]: c["value"] for c in report["diagnostics"]["checks"]}
    return {"wall": wall, **report["timings"], **checks, "passed": report["diagnostics"]["passed"]}


def _warm(csv: str, repeat: int) -> dict:
    from clutch_pipeline.model.data import ModelInput
    from clutch_pipeline.model.exact import exact_posterior
    from clutch_pipeline.model.fit import FitConfig, fit_model

    data = ModelInput.from_csv(csv)
    fit_model(data, FitConfig(holdout=False))  # loads the compiled model in this process
    refits, exact = [], []
    for i in range(repeat):
        started = time.perf_counter()
        result = fit_model(data, FitConfig(holdout=False, seed=i))
        refits.append(time.perf_counter() - started)
        exact.append(exact_posterior(result.sampled.stats, result.sampled.prior_sd).seconds)
    return {"refit_seconds": statistics.median(refits), "exact_seconds": statistics.median(exact)}


def _median(rows: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in rows)


def bench(games: int, repeat: int, seed_repeat: int, folder: Path) -> dict:
    from clutch_pipeline.model.simulate import season

    csv = str(folder / f"season_450x{games}.csv")
    season(450, games).frame.to_csv(csv, index=False)
    fits = [_ours(csv, holdout=False) for _ in range(repeat)]
    with_holdout = [_ours(csv, holdout=True) for _ in range(repeat)]
    seeds = []
    for _ in range(seed_repeat):
        wall, figures = _run([__file__, "--seed-recipe", csv])
        seeds.append({"wall": wall, **figures})
    ours = _median(fits, "wall")
    seed = _median(seeds, "wall") if seeds else float("nan")
    return {
        "rows": 450 * games,
        "ours_fresh_process_s": ours,
        "ours_with_holdout_s": _median(with_holdout, "wall"),
        "ours_imports_s": _median(fits, "imports_seconds"),
        "ours_sample_s": _median(fits, "sample_seconds"),
        "ours_checks_s": _median(fits, "checks_seconds"),
        "ours_max_rhat": max(f["max_rhat"] for f in fits),
        "ours_min_bulk_ess": min(f["min_bulk_ess"] for f in fits),
        "ours_ess_per_s": min(f["min_bulk_ess"] / f["wall"] for f in fits),
        "ours_all_checks_passed": all(f["passed"] for f in fits + with_holdout),
        "seed_fresh_process_s": seed,
        "seed_max_rhat": max((s["max_rhat"] for s in seeds), default=None),
        "seed_min_bulk_ess": min((s["min_bulk_ess"] for s in seeds), default=None),
        "seed_ess_per_s": min((s["min_bulk_ess"] / s["wall"] for s in seeds), default=None),
        "speedup_fresh_process": seed / ours,
        **_warm(csv, repeat),
    }


def main_job(fits: int) -> dict:
    import numpy as np

    from clutch_pipeline.model.diagnostics import rhat_and_bulk_ess
    from clutch_pipeline.model.fit import FitConfig, fit_model
    from clutch_pipeline.model.simulate import main_job_like

    rows = []
    for i in range(fits):
        result = fit_model(main_job_like(seed=i), FitConfig(holdout=False, seed=i))
        checks = {c.name: c.value for c in result.checks.items}
        alpha_rhat, alpha_ess = rhat_and_bulk_ess(np.moveaxis(result.values["alpha"], 2, 0))
        rows.append({**checks, "passed": result.checks.passed, "seconds": result.timings["fit_seconds"]})
        rows[-1].update(alpha_rhat=float(alpha_rhat.max()), alpha_ess=float(alpha_ess.min()))
    return {
        "main_job_shape_fits": fits,
        "all_checks_passed": sum(r["passed"] for r in rows),
        "max_rhat": max(r["max_rhat"] for r in rows),
        "min_bulk_ess": min(r["min_bulk_ess"] for r in rows),
        "divergences": sum(r["divergences"] for r in rows),
        "max_exact_mcse_distance": max(r["exact_posterior_agreement_mcse"] for r in rows),
        "intercepts_max_rhat": max(r["alpha_rhat"] for r in rows),
        "intercepts_min_bulk_ess": min(r["alpha_ess"] for r in rows),
        "median_fit_s": statistics.median(r["seconds"] for r in rows),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed-repeat", type=int, default=1)
    parser.add_argument("--games", type=int, nargs="+", default=[25, 80])
    parser.add_argument("--main-job-fits", type=int, default=10)
    parser.add_argument("--seed-recipe", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.seed_recipe:
        seed_recipe(args.seed_recipe, draws=2000, tune=1000)
        return
    with tempfile.TemporaryDirectory() as folder:
        for games in args.games:
            print(json.dumps(bench(games, args.repeat, args.seed_repeat, Path(folder)), indent=2), flush=True)
    if args.main_job_fits:
        print(json.dumps(main_job(args.main_job_fits), indent=2), flush=True)


if __name__ == "__main__":
    main()
