"""The FastAPI app behind ``clutch serve``, assembled from one router per area (``service/routers``):

- auth: ``GET /api/auth/whoop/callback?code=&state=``, where WHOOP sends an athlete after consent
  (open: the single-use state authenticates it); ``GET /api/players/{nba_person_id}/wearables/
  authorize``, a fresh WHOOP authorize URL for the player.
- wearables: ``GET .../wearables/consent-status`` (consent, sync status, last sync) and ``DELETE
  .../wearables/revoke-consent`` (withdraw consent, delete his data).
- webhooks: ``POST /api/webhooks/whoop``, WHOOP's signed events (open: the signature authenticates
  them), stored once per trace id; a sensor turns them into sync runs.
- health: ``GET /api/health``.

Every endpoint but the callback, the webhook and health needs ``X-API-Key`` (one of
``CLUTCH_API_KEYS``). The configuration lives on ``app.state.config``; routes get it, a database
connection and the key check as FastAPI dependencies (``service/dependencies.py``). The app calls the
WHOOP stage's functions and store, never Dagster.
"""

from __future__ import annotations

from fastapi import FastAPI

from clutch_pipeline.service.config import WEBHOOK_MAX_BYTES, ServiceConfig
from clutch_pipeline.service.routers import auth, health, pages, wearables, webhooks

__all__ = ["WEBHOOK_MAX_BYTES", "ServiceConfig", "create_app"]

ROUTERS = (auth.router, wearables.router, webhooks.router, health.router, pages.router)


def create_app(config: ServiceConfig) -> FastAPI:
    app = FastAPI(title="clutch-pipeline", summary="WHOOP consent for the clutch-pipeline data platform.")
    app.state.config = config
    for router in ROUTERS:
        app.include_router(router)
    pages.mount_static(app)
    return app
