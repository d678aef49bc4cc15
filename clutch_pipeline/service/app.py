"""The FastAPI app behind ``clutch serve``.

- ``GET /api/auth/whoop/callback?code=&state=``: where WHOOP sends an athlete after consent. Open (WHOOP
  cannot send our API key); the single-use state is what authenticates it.
- ``GET /api/players/{nba_person_id}/wearables/authorize``: a fresh WHOOP authorize URL for the player.
- ``GET /api/players/{nba_person_id}/wearables/consent-status``: consent, sync status, last sync.
- ``DELETE /api/players/{nba_person_id}/wearables/revoke-consent``: withdraw consent, delete his data.
- ``POST /api/webhooks/whoop``: WHOOP's signed events, verified over the raw body and stored once per
  trace id; a sensor turns them into sync runs. Open (WHOOP cannot send our API key); the signature
  authenticates it.
- ``GET /api/health``.

The consent endpoints need ``X-API-Key`` (one of ``CLUTCH_API_KEYS``). The app calls the WHOOP stage's
functions and store, never Dagster.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

import psycopg
from fastapi import Depends, FastAPI, HTTPException, Query, Request, Response, Security
from fastapi.concurrency import run_in_threadpool
from fastapi.security import APIKeyHeader

from clutch_pipeline.db.connection import connect
from clutch_pipeline.http_retry import HttpGaveUp
from clutch_pipeline.whoop import store
from clutch_pipeline.whoop.app import WhoopApp
from clutch_pipeline.whoop.budget import utc_now
from clutch_pipeline.whoop.client import InvalidGrant, WhoopPayloadError
from clutch_pipeline.whoop.consent import (
    InvalidState,
    authorization_url,
    complete_authorization,
    revoke_consent,
)
from clutch_pipeline.whoop.webhooks import (
    DEFAULT_TOLERANCE,
    MalformedWebhook,
    WebhookRejected,
    parse_event,
    verify,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ServiceConfig:
    database_url: str
    whoop: WhoopApp
    api_keys: tuple[str, ...]
    clock: Callable[[], datetime] = utc_now
    webhook_tolerance: timedelta = DEFAULT_TOLERANCE


_api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False)


def create_app(config: ServiceConfig) -> FastAPI:
    app = FastAPI(title="clutch-pipeline", summary="WHOOP consent for the clutch-pipeline data platform.")

    @contextmanager
    def database() -> Iterator[psycopg.Connection]:
        with connect(config.database_url, autocommit=True) as conn:
            yield conn

    def require_api_key(key: str | None = Security(_api_key_header)) -> None:
        if not config.api_keys:
            raise HTTPException(503, "no API keys are configured (CLUTCH_API_KEYS)")
        if key is None or not any(hmac.compare_digest(key.encode(), k.encode()) for k in config.api_keys):
            raise HTTPException(401, "missing or wrong X-API-Key", headers={"WWW-Authenticate": "ApiKey"})

    @app.get("/api/health")
    def health() -> dict:
        with database() as conn:
            conn.execute("SELECT 1")
        return {"status": "ok"}

    @app.get("/api/auth/whoop/callback")
    def whoop_callback(
        code: str | None = Query(default=None, max_length=2048),
        state: str | None = Query(default=None, max_length=64),
        error: str | None = Query(default=None, max_length=200),
    ) -> dict:
        if not state:
            raise HTTPException(400, "missing state")
        with database() as conn:
            if error or not code:
                # The athlete declined (or WHOOP sent no code): spend the state so it cannot be replayed.
                with conn.transaction():
                    store.consume_oauth_state(conn, state, config.clock())
                raise HTTPException(400, f"authorization not granted ({error or 'no code'})")
            with config.whoop.open(conn, clock=config.clock) as session:
                try:
                    granted = complete_authorization(conn, config.whoop, session, code, state)
                except InvalidState:
                    raise HTTPException(400, "unknown, expired or already used state") from None
                except InvalidGrant:
                    raise HTTPException(400, "WHOOP refused the authorization code; start again") from None
                except store.AccountLinkedElsewhere as exc:
                    raise HTTPException(409, str(exc)) from None
                except (HttpGaveUp, WhoopPayloadError) as exc:
                    log.warning("WHOOP callback failed: %s", exc)
                    raise HTTPException(502, "WHOOP did not answer as expected; try again") from None
        return {
            "status": "authorized",
            "whoop_user_id": granted.whoop_user_id,
            "scopes": granted.scopes.split(),
        }

    @app.get("/api/players/{nba_person_id}/wearables/authorize", dependencies=[Depends(require_api_key)])
    def whoop_authorize(nba_person_id: int) -> dict:
        with database() as conn:
            try:
                url = authorization_url(conn, config.whoop, nba_person_id, config.clock())
            except store.UnknownPlayer:
                raise HTTPException(404, f"no player {nba_person_id}") from None
        return {"nba_person_id": nba_person_id, "authorization_url": url}

    @app.get("/api/players/{nba_person_id}/wearables/consent-status", dependencies=[Depends(require_api_key)])
    def consent_status(nba_person_id: int) -> dict:
        with database() as conn:
            status = store.consent_status(conn, nba_person_id)
        if status is None:
            raise HTTPException(404, f"no player {nba_person_id}")
        return {
            "nba_person_id": nba_person_id,
            "device": "whoop" if status["has_device"] else None,
            "consent_granted": status["consent_granted"],
            "consent_granted_at": status["consent_granted_at"],
            "consent_revoked_at": status["consent_revoked_at"],
            "needs_reauthorization": bool(status["needs_reauthorization"]),
            "sync_status": status["sync_status"],
            "sync_error": status["sync_error_message"],
            "last_sync_at": status["last_sync_at"],
        }

    @app.delete(
        "/api/players/{nba_person_id}/wearables/revoke-consent", dependencies=[Depends(require_api_key)]
    )
    def revoke(nba_person_id: int) -> dict:
        with database() as conn, config.whoop.open(conn, clock=config.clock) as session:
            revoked = revoke_consent(conn, session, nba_person_id)
        if revoked is None:
            raise HTTPException(404, f"player {nba_person_id} has no WHOOP device")
        return {
            "nba_person_id": nba_person_id,
            "consent_granted": False,
            "whoop_access_revoked": revoked.whoop_told,
            "rows_deleted": revoked.rows_deleted,
        }

    @app.post("/api/webhooks/whoop", status_code=204)
    async def whoop_webhook(request: Request) -> Response:
        body = await request.body()  # the raw bytes WHOOP signed, never re-serialized
        try:
            verify(
                config.whoop.client_secret,
                body,
                request.headers.get("X-WHOOP-Signature"),
                request.headers.get("X-WHOOP-Signature-Timestamp"),
                config.clock(),
                config.webhook_tolerance,
            )
            event = parse_event(body)
        except WebhookRejected as exc:
            log.warning("WHOOP webhook refused: %s", exc)
            raise HTTPException(401, "invalid signature") from None
        except MalformedWebhook as exc:
            log.warning("WHOOP webhook malformed: %s", exc)
            raise HTTPException(400, str(exc)) from None
        stored = await run_in_threadpool(_store_event, event)
        if not event.known:
            log.warning(
                "WHOOP webhook of unknown type %r stored (trace %s)", event.event_type, event.trace_id
            )
        elif not stored:
            log.info("WHOOP webhook %s: duplicate, already stored", event.trace_id)
        return Response(status_code=204)

    def _store_event(event) -> bool:
        with database() as conn:
            return store.store_webhook_event(conn, event, config.clock())

    return app
