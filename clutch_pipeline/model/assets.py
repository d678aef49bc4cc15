"""The model stage's assets: thin wiring of ``model.publish`` to the database and the model store.

- ``clutch_model``: fit the hierarchical model on the game clutch scores, run its blocking checks
  (R-hat, bulk ESS, divergences, agreement with the exact posterior), record the run in ``model_runs``
  and publish its trace (S3 / R2 / folder) as the latest only when every check passed. With
  ``backtest``, fit on every day but the last and predict the last day instead (nothing published).
- ``clutch_predictions``: the upcoming games' predictions from the latest published model.
"""

import time
from datetime import UTC, datetime

import dagster as dg
from pydantic import Field

from clutch_pipeline.db.resources import PostgresResource
from clutch_pipeline.model import store
from clutch_pipeline.model.fit import FitConfig
from clutch_pipeline.model.plots import all_plots
from clutch_pipeline.model.publish import ModelRun, backtest, latest_posterior, prediction_rows, run_model
from clutch_pipeline.model.resources import ModelStoreResource
from clutch_pipeline.plots import png_markdown

MODEL_ASSET = "clutch_model"
PREDICTIONS_ASSET = "clutch_predictions"
CHECKS = {
    "max_rhat": "Max R-hat of the sampled parameters <= 1.01",
    "min_bulk_ess": "Min bulk ESS >= 400",
    "divergences": "Zero divergent transitions",
    "exact_posterior_agreement_mcse": "Sampled fixed-effect means within 4 Monte Carlo standard errors of "
    "the exact posterior (the check that catches a wrong model)",
}


class ModelConfig(dg.Config):
    seasons: list[str] = Field(
        default_factory=list, description="Seasons of game scores to fit on; empty: every season scored."
    )
    backtest: bool = Field(
        default=False,
        description="Fit on every day but the last and predict the last day (nothing is published).",
    )
    draws: int = Field(default=FitConfig.draws, description="Draws per chain after tuning.")
    tune: int = Field(default=FitConfig.tune, description="Tuning steps per chain.")


@dg.asset(
    name=MODEL_ASSET,
    group_name="model",
    owners=["team:model"],
    metadata={
        "dagster/table_name": "model_runs",
        "trace": "published to the model store (CLUTCH_MODEL_STORE)",
        "docs": "docs/model.md",
    },
    deps=["clutch_game_scores"],
    kinds={"pymc", "s3"},
    description="The hierarchical Bayesian clutch model fitted on game clutch scores with their pregame "
    "wearables context; every fit recorded in model_runs, its trace published to the model store only when "
    "its blocking checks pass (docs/model.md).",
    check_specs=[
        dg.AssetCheckSpec(name, asset=MODEL_ASSET, blocking=True, description=d) for name, d in CHECKS.items()
    ],
)
def clutch_model(
    context: dg.AssetExecutionContext,
    config: ModelConfig,
    postgres: PostgresResource,
    model_store: ModelStoreResource,
):
    began, now = time.perf_counter(), datetime.now(UTC)
    config_fit = FitConfig(draws=config.draws, tune=config.tune)
    with postgres.connection(autocommit=True) as conn:
        seasons = config.seasons or store.seasons_with_scores(conn)
        if config.backtest:
            result = backtest(conn, seasons=seasons, now=now, config=config_fit)
            run, extra = result.run, {"backtest": result.summary()}
        else:
            run, extra = run_model(conn, model_store.store(), seasons=seasons, now=now, config=config_fit), {}
    context.log.info(
        f"model {run.version if run else '-'}: {extra.get('backtest') or run.reason or 'published'}"
    )
    yield dg.MaterializeResult(
        metadata={**_metadata(run), **extra, "seconds": round(time.perf_counter() - began, 2)}
    )
    # A backtest's model is never published, so its failed checks block nothing: they warn.
    severity = dg.AssetCheckSeverity.WARN if config.backtest else dg.AssetCheckSeverity.ERROR
    yield from _check_results(run, severity)


def _metadata(run: ModelRun | None) -> dict:
    if run is None:
        return {"fitted": False}
    row = run.row
    metadata = {
        "model_version": run.version,
        "published": run.published,
        "not_published_reason": run.reason or "",
        "rows": row["rows"],
        "players": row["players"],
        "rows_with_wearables": row["rows_with_wearables"],
    }
    if run.result is not None:
        metadata.update(
            {
                "dropped_covariates": ", ".join(row["dropped_covariates"]) or "none",
                "sampler": row["sampler"],
                "sampling_seconds": row["sampling_seconds"],
                "fit_seconds": row["total_seconds"],
                "effects": dg.MetadataValue.json(row["effects"]),
                "holdout": dg.MetadataValue.json(row["holdout"]),
                **{
                    name: dg.MetadataValue.md(png_markdown(png, name))
                    for name, png in all_plots(run.result).items()
                },
            }
        )
    return metadata


def _check_results(run: ModelRun | None, severity: dg.AssetCheckSeverity):
    """One result per blocking check; a run that fitted nothing passes none of them."""
    items = {c.name: c for c in run.result.checks.items} if run and run.result else {}
    for name in CHECKS:
        check = items.get(name)
        yield dg.AssetCheckResult(
            check_name=name,
            asset_key=MODEL_ASSET,
            passed=bool(check and check.passed),
            severity=severity,
            description=(
                f"{check.value:.4g} against {check.threshold:.4g}"
                if check
                else (run.reason if run else "not fitted")
            ),
            metadata={
                "value": float(check.value) if check else 0.0,
                "threshold": float(check.threshold) if check else 0.0,
            },
        )


@dg.asset(
    name=PREDICTIONS_ASSET,
    group_name="model",
    owners=["team:model"],
    metadata={"dagster/table_name": "clutch_predictions", "docs": "docs/model.md"},
    deps=[MODEL_ASSET, "pregame_context"],
    kinds={"postgres"},
    description="Predicted clutch scores (94% interval, model version, whether wearables were used) for the "
    "players of upcoming games, from the latest published model and their pregame context; a scheduled "
    "game has no clutch margin yet, so it is predicted for a tied game (margin 0), which the row records.",
)
def clutch_predictions(
    context: dg.AssetExecutionContext, postgres: PostgresResource, model_store: ModelStoreResource
):
    began = time.perf_counter()
    with postgres.connection() as conn:
        posterior = latest_posterior(conn, model_store.store())
        if posterior is None:
            return dg.MaterializeResult(metadata={"predictions": 0, "reason": "no published model"})
        upcoming = store.upcoming_context(conn, datetime.now(UTC))
        upcoming["score_margin"] = 0.0
        ids = (
            {int(p): u for p, u in zip(upcoming["player_id"], upcoming["player_uuid"], strict=True)},
            {str(g): u for g, u in zip(upcoming["game_id"], upcoming["game_uuid"], strict=True)},
        )
        rows = prediction_rows(posterior, upcoming, "upcoming", ids)
        written = store.write_predictions(conn, rows)
    context.log.info(f"{written} predictions from {posterior.version}")
    return dg.MaterializeResult(
        metadata={
            "model_version": posterior.version,
            "predictions": written,
            "with_wearables": sum(r["has_wearables_data"] for r in rows),
            "seconds": round(time.perf_counter() - began, 2),
        }
    )
