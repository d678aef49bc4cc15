"""The FastAPI app behind ``clutch serve``, assembled from one router per area (``service/routers``):

- auth: ``GET /api/auth/whoop/callback?code=&state=``, where WHOOP sends an athlete after consent
  (open: the single-use state authenticates it); ``GET /api/players/{nba_person_id}/wearables/
  authorize``, a fresh WHOOP authorize URL for the player.
- wearables: ``GET .../wearables/latest`` (his latest 24 h of readings), ``GET .../wearables/summary
  ?start=&end=`` (daily summaries), ``GET .../wearables/consent-status`` (consent, sync status, last
  sync) and ``DELETE .../wearables/revoke-consent`` (withdraw consent, delete his data).
- clutch: ``GET /api/players/{player}/clutch-performance?season=`` and ``GET /api/games/{game}/
  clutch-situations``.
- analytics: ``GET /api/analytics/clutch/leaderboard?season=&min_games=&limit=&offset=`` (with the
  wearables correlation and its n) and ``POST /api/analytics/clutch/predict`` (latest published model).
- webhooks: ``POST /api/webhooks/whoop``, WHOOP's signed events (open: the signature authenticates
  them), stored once per trace id; a sensor turns them into sync runs.
- health: ``GET /api/health``.

A player is named by his NBA person id or our UUID, a game by its NBA game id or our UUID. Every
endpoint but the callback, the webhook and health needs ``X-API-Key`` (one of ``CLUTCH_API_KEYS``).
Errors are ``{"detail": "<plain message>"}``: 400 for a malformed id, date or season, 404 for an unknown
player or game, 422 for a parameter out of range or a malformed body. The routes get the configuration
(``app.state.config``), a database connection and the key check as FastAPI dependencies
(``service/dependencies.py``); they call the stages' functions and stores, never Dagster. The full
reference is docs/api.md.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from clutch_pipeline.service.config import WEBHOOK_MAX_BYTES, ServiceConfig
from clutch_pipeline.service.routers import analytics, auth, clutch, health, pages, wearables, webhooks

__all__ = ["WEBHOOK_MAX_BYTES", "ServiceConfig", "create_app"]

ROUTERS = (
    auth.router,
    wearables.router,
    clutch.router,
    analytics.router,
    webhooks.router,
    health.router,
    pages.router,
)


def plain_message(exc: RequestValidationError) -> str:
    """FastAPI's validation errors as one plain sentence: where, and what is wrong there."""
    parts = []
    for error in exc.errors():
        where = " ".join(str(part) for part in error.get("loc", ()))
        parts.append(f"{where}: {error.get('msg', 'invalid')}")
    return "; ".join(parts) or "invalid request"


async def _validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
    return JSONResponse({"detail": plain_message(exc)}, status_code=422)


def create_app(config: ServiceConfig) -> FastAPI:
    app = FastAPI(
        title="clutch-pipeline",
        summary="Clutch performance and wearables: the read API, WHOOP consent and webhooks.",
    )
    app.state.config = config
    app.state.posteriors = {}  # the latest published model's posterior, read once per version
    app.add_exception_handler(RequestValidationError, _validation_error)
    for router in ROUTERS:
        app.include_router(router)
    pages.mount_static(app)
    return app
