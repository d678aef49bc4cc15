"""A model run from start to end: read the join layer's game scores, fit, check, record the run, and
publish its trace only when every blocking check passed and the upload was verified; predictions from
a fit or from the latest published trace. What the model's assets, the CLI and the main job call.

A failed check or a failed upload never raises here: the run is recorded with ``published`` false and
the reason, and the previous published model stays the latest. (An asset that wants the failure to show
as a failed check reads ``ModelRun.result.checks``.)
"""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from clutch_pipeline.model import store
from clutch_pipeline.model.data import COLUMNS, OPTIONAL, WEARABLES, ModelInput, ModelInputError
from clutch_pipeline.model.fit import FitConfig, FitResult, fit_model
from clutch_pipeline.model.report import posterior_from_storage, report, to_inference_data_for_storage
from clutch_pipeline.model.trace_store import TraceStore, TraceStoreError, trace_name

if TYPE_CHECKING:  # a connection is handed in; this module runs no SQL of its own
    import psycopg

log = logging.getLogger(__name__)

# Fewer player-games than this and a hierarchical fit says nothing: the run is recorded, not fitted.
MIN_ROWS = 20


@dataclass
class ModelRun:
    version: str
    row: dict
    result: FitResult | None = None
    published: bool = False
    reason: str | None = None
    report: dict = field(default_factory=dict)


def _run_row(version: str, purpose: str, seasons: list[str], frame: pd.DataFrame, started: datetime) -> dict:
    return {
        "model_version": version,
        "purpose": purpose,
        "started_at": started,
        "seasons": seasons,
        "data_first_date": frame["game_date"].min() if len(frame) else None,
        "data_last_date": frame["game_date"].max() if len(frame) else None,
        "rows": len(frame),
        "players": int(frame["player_id"].nunique()) if len(frame) else 0,
        "rows_with_wearables": int(frame["has_wearables_data"].sum()) if len(frame) else 0,
    }


def _fit_figures(result: FitResult, figures: dict) -> dict:
    timings = result.timings
    return {
        "dropped_covariates": sorted(result.design.scaling.dropped),
        "parameterization": _parameterization_name(figures),
        "sampler": result.sampled.draws.sampler,
        "chains": result.config.chains,
        "draws": result.config.draws,
        "tune": result.config.tune,
        "random_seed": result.config.seed,
        "compile_seconds": round(timings.get("load_seconds", 0.0), 3),
        "sampling_seconds": round(timings.get("sample_seconds", 0.0), 3),
        "total_seconds": round(timings.get("fit_seconds", 0.0), 3),
        "diagnostics": figures["diagnostics"],
        "checks_passed": result.checks.passed,
        "effects": {
            "per_unit": figures["effects_per_unit"],
            "scales": figures["scales"],
            "wearables_joint": figures["wearables_joint"],
        },
        "holdout": figures["holdout"] or {},
    }


def _parameterization_name(figures: dict) -> str:
    """How the player intercepts were handled ('marginalized': integrated out, drawn exactly)."""
    return str(figures.get("parameterization", {}).get("intercepts", "unknown"))


def _publish(result: FitResult, trace_store: TraceStore, version: str) -> dict:
    """Write the storable trace (no data groups) and publish it; the trace's columns of model_runs."""
    idata = to_inference_data_for_storage(result)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"{version}.nc"
        idata.to_netcdf(str(path))
        trace = trace_store.publish(path, name=f"{version}.nc", metadata={"model-version": version})
    return {
        "trace_uri": trace.location,
        "trace_sha256": trace.sha256,
        "trace_bytes": trace.size,
        "published": True,
        "published_at": trace.published_at,
    }


def run_model(
    conn: psycopg.Connection,
    trace_store: TraceStore | None,
    *,
    seasons: list[str],
    now: datetime,
    through: date | None = None,
    purpose: str = "publish",
    config: FitConfig | None = None,
) -> ModelRun:
    """Fit on the game scores of ``seasons`` (up to ``through``), record the run in ``model_runs``, and
    for ``purpose`` 'publish' upload its trace and make it the latest when every check passed."""
    version = trace_name(now).removesuffix(".nc")
    frame = store.model_input(conn, seasons, through)
    run = ModelRun(version, _run_row(version, purpose, seasons, frame, now))
    if len(frame) < MIN_ROWS:
        run.reason = f"{len(frame)} player-games with clutch scores: fewer than {MIN_ROWS}, nothing fitted"
    else:
        try:
            data = ModelInput.from_frame(frame[[*COLUMNS, *OPTIONAL]])
        except ModelInputError as exc:
            run.reason = f"the model's input is invalid: {exc}"
            data = None
        if data is not None:
            run.result = fit_model(data, config)
            run.report = report(run.result)
            run.row.update(_fit_figures(run.result, run.report))
            run.reason = _publish_or_why_not(run, trace_store, purpose)
    run.row["finished_at"] = datetime.now(now.tzinfo)
    run.row["not_published_reason"] = run.reason
    store.record_run(conn, run.row)
    return run


def _publish_or_why_not(run: ModelRun, trace_store: TraceStore | None, purpose: str) -> str | None:
    if not run.result.checks.passed:
        return "blocking checks failed: " + ", ".join(run.result.checks.failed)
    if purpose != "publish":
        return f"{purpose}: not published by design"
    if trace_store is None:
        return "no model store configured"
    try:
        run.row.update(_publish(run.result, trace_store, run.version))
    except TraceStoreError as exc:
        log.warning("model %s: trace not published: %s", run.version, exc)
        return f"trace upload failed: {exc}"
    run.published = True
    return None


# ---------------------------------------------------------------------------------------------------
# Predictions


@dataclass(frozen=True)
class Posterior:
    """What predicting needs: posterior draws, the players they know, the covariates' scaling."""

    version: str
    draws: dict[str, np.ndarray]
    player_ids: tuple[str, ...]
    scaling: object

    @classmethod
    def of_fit(cls, version: str, result: FitResult) -> Posterior:
        return cls(version, result.values, result.design.player_ids, result.design.scaling)

    def predict(self, rows: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
        from clutch_pipeline.model.predict import predict

        return predict(self.draws, self.player_ids, self.scaling, rows, seed)


def latest_posterior(conn: psycopg.Connection, trace_store: TraceStore) -> Posterior | None:
    """The latest published model's posterior, read back from its verified trace."""
    import arviz as az

    run = store.latest_published(conn)
    if run is None:
        return None
    trace = next((t for t in trace_store.list_traces() if t.name == f"{run['model_version']}.nc"), None)
    if trace is None:
        raise TraceStoreError(f"the published trace of {run['model_version']} is not in the model store")
    with tempfile.TemporaryDirectory() as folder:
        path = trace_store.download(trace, Path(folder))
        idata = az.from_netcdf(str(path))
        idata.load()
    draws, players, scaling = posterior_from_storage(idata)
    return Posterior(run["model_version"], draws, players, scaling)


def prediction_rows(
    posterior: Posterior, context: pd.DataFrame, purpose: str, ids: tuple[dict, dict]
) -> list[dict]:
    """clutch_predictions rows for ``context`` (player-games with their pregame context). A model that
    uses home/away cannot predict a player whose team is unknown (``is_home`` empty): he is left out."""
    if "is_home" in posterior.scaling.names and "is_home" in context:
        context = context[context["is_home"].notna()]
    if context.empty:
        return []
    predicted = posterior.predict(context)
    players, games = ids
    rows = []
    for (_, given), (_, out) in zip(context.iterrows(), predicted.iterrows(), strict=True):
        used = bool(out["wearables_used"])
        width = float(out["upper"] - out["lower"])
        rows.append(
            {
                "model_version": posterior.version,
                "player_id": players[int(given["player_id"])],
                "game_id": games[str(given["game_id"])],
                "purpose": purpose,
                "predicted_clutch_score": round(float(np.clip(out["predicted"], 0, 100)), 2),
                "interval_low": round(float(np.clip(out["lower"], 0, 100)), 2),
                "interval_high": round(float(np.clip(out["upper"], 0, 100)), 2),
                "prediction_confidence": round(max(0.0, 1.0 - width / 100.0), 2),
                "score_margin": _maybe_int(given["score_margin"]),
                "is_playoff": bool(given["is_playoff"]),
                "days_since_last_game": _maybe_int(given["days_since_last_game"]),
                "has_wearables_data": used,
                "hrv_baseline_deviation": _maybe(given["hrv_baseline_deviation"]) if used else None,
                "recovery_score_pregame": _maybe(given["recovery_score_pregame"]) if used else None,
                "sleep_performance_pregame": _maybe(given["sleep_performance_pregame"]) if used else None,
                "observed_clutch_score": _maybe(given.get("clutch_score")),
            }
        )
    return rows


def _maybe(value) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _maybe_int(value) -> int | None:
    return None if value is None or pd.isna(value) else int(value)


# ---------------------------------------------------------------------------------------------------
# The backtest (offline there are no upcoming games)


@dataclass
class Backtest:
    day: date | None
    run: ModelRun | None
    predictions: int = 0
    with_wearables: int = 0
    rmse: float | None = None
    baseline_rmse: float | None = None
    coverage: float | None = None
    reason: str | None = None

    def figures(self) -> dict:
        """The comparison with what happened, as stored in the run's ``holdout`` (``backtest_day``)."""
        return {
            "day": self.day.isoformat() if self.day else None,
            "predictions": self.predictions,
            "with_wearables": self.with_wearables,
            "rmse": self.rmse,
            "baseline_rmse": self.baseline_rmse,
            "coverage_94": self.coverage,
        }

    def summary(self) -> str:
        if self.reason:
            return f"backtest: {self.reason}"
        return (
            f"backtest: fitted on the games before {self.day}, predicted the {self.predictions} player-games "
            f"of {self.day} ({self.with_wearables} with wearables): RMSE {self.rmse:.1f} points "
            f"(the player's mean: {self.baseline_rmse:.1f}), {100 * self.coverage:.0f}% inside their 94% "
            f"interval"
        )


def backtest(
    conn: psycopg.Connection, *, seasons: list[str], now: datetime, config: FitConfig | None = None
) -> Backtest:
    """Fit on every day but the last, predict the last day's player-games, compare with what happened.
    The run and its predictions are recorded with purpose 'backtest'; nothing is published."""
    from datetime import timedelta

    day = store.last_game_day(conn, seasons)
    if day is None:
        return Backtest(None, None, reason="no game scores to backtest on")
    run = run_model(
        conn,
        None,
        seasons=seasons,
        now=now,
        through=day - timedelta(days=1),
        purpose="backtest",
        config=config,
    )
    if run.result is None:
        return Backtest(day, run, reason=run.reason)
    frame = store.model_input(conn, seasons, day)
    target = frame[frame["game_date"] == day].reset_index(drop=True)
    posterior = Posterior.of_fit(run.version, run.result)
    ids = store.uuids_of(conn, [int(p) for p in target["player_id"]], list(target["game_id"]))
    rows = prediction_rows(posterior, target, "backtest", ids)
    store.write_predictions(conn, rows)
    result = _compared(day, run, rows, frame[frame["game_date"] < day], target)
    # Kept with the run, so a report can give the backtest's figures without refitting.
    run.row["holdout"] = {**(run.row.get("holdout") or {}), "backtest_day": result.figures()}
    store.record_run(conn, run.row)
    return result


def _compared(day, run: ModelRun, rows: list[dict], train: pd.DataFrame, target: pd.DataFrame) -> Backtest:
    observed = target["clutch_score"].to_numpy(dtype=float)
    predicted = np.array([r["predicted_clutch_score"] for r in rows], dtype=float)
    inside = [r["interval_low"] <= o <= r["interval_high"] for r, o in zip(rows, observed, strict=True)]
    means = train.groupby("player_id")["clutch_score"].mean()
    baseline = target["player_id"].map(means).fillna(train["clutch_score"].mean()).to_numpy(dtype=float)
    return Backtest(
        day,
        run,
        predictions=len(rows),
        with_wearables=sum(r["has_wearables_data"] for r in rows),
        rmse=float(np.sqrt(np.mean((predicted - observed) ** 2))),
        baseline_rmse=float(np.sqrt(np.mean((baseline - observed) ** 2))),
        coverage=float(np.mean(inside)),
    )


# ---------------------------------------------------------------------------------------------------
# One prediction asked for (the service's POST /api/analytics/clutch/predict)


def predict_one(posterior: Posterior, nba_person_id: int, covariates: dict[str, float | bool | None]) -> dict:
    """One player-game predicted from ``covariates`` (the model's names: its wearables and context; a
    missing value is None and stays missing: the model's indicator rule, never a filled-in value).
    Returns the predictive mean and 94% interval (clipped to 0-100), whether wearables were used,
    whether the model knows the player, and which covariates were missing."""
    wearables = {name: covariates.get(name) for name in WEARABLES}
    row = {
        "player_id": str(nba_person_id),
        "has_wearables_data": any(v is not None for v in wearables.values()),
        **{name: np.nan if v is None else float(v) for name, v in wearables.items()},
        "score_margin": float(covariates["score_margin"]),
        "is_playoff": float(bool(covariates["is_playoff"])),
        "days_since_last_game": _nan_if_none(covariates.get("days_since_last_game")),
        "is_home": _nan_if_none(covariates.get("is_home")),  # a model that uses it refuses it empty
    }
    out = posterior.predict(pd.DataFrame([row])).iloc[0]
    missing = [n for n in (*WEARABLES, "days_since_last_game") if covariates.get(n) is None]
    return {
        "predicted_clutch_score": round(float(np.clip(out["predicted"], 0, 100)), 2),
        "interval_low": round(float(np.clip(out["lower"], 0, 100)), 2),
        "interval_high": round(float(np.clip(out["upper"], 0, 100)), 2),
        "wearables_used": bool(out["wearables_used"]),
        "known_player": bool(out["known_player"]),
        "missing_covariates": missing,
    }


def _nan_if_none(value) -> float:
    return np.nan if value is None or pd.isna(value) else float(value)
