"""The season's clutch leaderboard (with the wearables correlation and its sample size) and predictions
from the latest published model, behind ``X-API-Key``."""

from __future__ import annotations

import threading

import psycopg
from fastapi import APIRouter, Depends, HTTPException, Query, Request

from clutch_pipeline.alignment.store import reads
from clutch_pipeline.model import store as model_store
from clutch_pipeline.model.publish import Posterior, latest_posterior, predict_one
from clutch_pipeline.model.trace_store import TraceStoreError, open_trace_store
from clutch_pipeline.service.config import ServiceConfig
from clutch_pipeline.service.dependencies import (
    Config,
    Database,
    checked_season,
    game_named,
    require_api_key,
    resolved_player,
)
from clutch_pipeline.service.schemas import ERRORS, Leaderboard, Prediction, PredictRequest

router = APIRouter(
    prefix="/api/analytics/clutch",
    tags=["analytics"],
    dependencies=[Depends(require_api_key)],
    responses=ERRORS,
)


@router.get("/leaderboard", response_model=Leaderboard)
def leaderboard(
    conn: Database,
    season: str | None = Query(None, description="The season, e.g. 2022-23; omitted: the latest."),
    min_games: int = Query(1, ge=1, le=200, description="Leave out players with fewer clutch games."),
    limit: int = Query(50, ge=1, le=500, description="Rows per page."),
    offset: int = Query(0, ge=0, description="Rows to skip (the previous page's next_offset)."),
) -> dict:
    """Players by mean game clutch score (ties share a rank), one page at a time, with each pregame
    wearables value's correlation with the clutch score over the same players' games, and its n."""
    season = checked_season(season) or reads.latest_season(conn)
    rows, total = reads.leaderboard(conn, season, min_games, limit, offset) if season else ([], 0)
    correlation = reads.wearables_correlation(conn, season, min_games) if season else []
    return {
        "season": season,
        "min_games": min_games,
        "total": total,
        "limit": limit,
        "offset": offset,
        "next_offset": offset + limit if offset + limit < total else None,
        "rows": rows,
        "correlation": correlation,
    }


_NO_MODEL = {503: {"description": "No model store configured, or no published model yet."}}
_WEARABLES_NAMES = {
    "recovery_score": "recovery_score_pregame",
    "hrv_baseline_deviation": "hrv_baseline_deviation",
    "sleep_performance": "sleep_performance_pregame",
}


@router.post("/predict", response_model=Prediction, responses=_NO_MODEL)
def predict(body: PredictRequest, request: Request, config: Config, conn: Database) -> dict:
    """A player's game clutch score predicted by the latest published model: for a named game (his
    stored pregame context) or a described one (``context``), with an optional wearables state. What
    is missing stays missing (the model's indicator), and the answer says which covariates were."""
    if (body.game is None) == (body.context is None):
        raise HTTPException(400, "name a game or describe one in context (one of the two)")
    posterior = _posterior(request, config, conn)
    player = resolved_player(body.player, conn)
    game, covariates, source = _covariates(conn, body, player)
    uses_home = "is_home" in posterior.scaling.names
    if uses_home and covariates["is_home"] is None:
        raise HTTPException(400, "this model uses home: say whether his team plays at home (context.home)")
    predicted = predict_one(posterior, player["nba_person_id"], covariates)
    return {
        "player": player,
        "game": game,
        "model_version": posterior.version,
        "interval_probability": 0.94,
        "wearables_source": source if predicted["wearables_used"] else None,
        "inputs": covariates,
        "unused_inputs": ["home"] if not uses_home and covariates["is_home"] is not None else [],
        **predicted,
    }


def _covariates(conn: psycopg.Connection, body: PredictRequest, player: dict) -> tuple:
    """The game (or None), the model's covariates, and where the wearables came from."""
    game = None
    if body.game is not None:
        game = game_named(conn, body.game)
        if game is None:
            raise HTTPException(404, f"no game {body.game}")
        stored = model_store.player_game_context(conn, player["nba_person_id"], game["nba_game_id"])
        if stored.empty:
            raise HTTPException(
                404, f"no pregame context for player {player['nba_person_id']} in game {game['nba_game_id']}"
            )
        row = stored.iloc[0]
        covariates = {
            "is_playoff": bool(row["is_playoff"]),
            "days_since_last_game": _whole(row["days_since_last_game"]),
            "is_home": _flag(row["is_home"]),
            **{name: _number(row[name]) for name in _WEARABLES_NAMES.values()},
        }
        source = "pregame_context"
    else:
        covariates = {
            "is_playoff": body.context.is_playoff,
            "days_since_last_game": body.context.days_since_last_game,
            "is_home": body.context.home,
            **dict.fromkeys(_WEARABLES_NAMES.values()),
        }
        source = None
    if body.wearables is not None:
        given = body.wearables.model_dump()
        covariates.update({_WEARABLES_NAMES[k]: v for k, v in given.items()})
        source = "request"
    covariates["score_margin"] = body.score_margin
    return game, covariates, source


def _number(value) -> float | None:
    return None if value is None or value != value else float(value)  # NaN != NaN


def _flag(value) -> bool | None:
    return None if value is None or value != value else bool(value)


def _whole(value) -> int | None:
    number = _number(value)
    return None if number is None else int(number)


_LOCK = threading.Lock()


def _posterior(request: Request, config: ServiceConfig, conn: psycopg.Connection) -> Posterior:
    """The latest published posterior, read from the model store once per model version."""
    if not config.model_store:
        raise HTTPException(503, "no model store is configured on this service (CLUTCH_MODEL_STORE)")
    run = model_store.latest_published(conn)
    if run is None:
        raise HTTPException(503, "no published model yet: run `clutch run` or `clutch model fit` first")
    cache: dict = request.app.state.posteriors
    with _LOCK:
        if run["model_version"] not in cache:
            try:
                trace_store = open_trace_store(
                    config.model_store, endpoint_url=config.s3_endpoint_url, region=config.s3_region
                )
                posterior = latest_posterior(conn, trace_store)
            except (TraceStoreError, ValueError) as exc:
                raise HTTPException(503, f"the published model could not be read: {exc}") from None
            if posterior is None:
                raise HTTPException(503, "no published model yet")
            cache.clear()
            cache[posterior.version] = posterior
        return cache.get(run["model_version"]) or next(iter(cache.values()))
