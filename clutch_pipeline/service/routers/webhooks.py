"""``POST /api/webhooks/whoop``: WHOOP's signed events, verified over the raw body and stored once per
trace id; a sensor turns them into sync runs.

The endpoint is open (WHOOP cannot send our API key; the signature authenticates a delivery), so it
reads at most ``ServiceConfig.webhook_max_bytes`` of a body before anything else: a declared length
over the limit is refused unread, and a chunked body is cut off at the limit (413 either way).
Events of a WHOOP user whose athlete withdrew consent are answered 204 (WHOOP stops retrying) and
dropped.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.concurrency import run_in_threadpool

from clutch_pipeline.service.config import ServiceConfig
from clutch_pipeline.service.dependencies import Config, Whoop, open_database
from clutch_pipeline.whoop import store
from clutch_pipeline.whoop.webhooks import (
    MalformedWebhook,
    WebhookEvent,
    WebhookRejected,
    parse_event,
    verify,
)

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api/webhooks", tags=["webhooks"])


@router.post("/whoop", status_code=204)
async def whoop_webhook(request: Request, config: Config, whoop: Whoop) -> Response:
    body = await _read_body(request, config.webhook_max_bytes)  # the raw bytes WHOOP signed
    try:
        verify(
            whoop.client_secret,
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
    outcome = await run_in_threadpool(_store_event, config, event)
    if outcome is store.WebhookOutcome.CONSENT_REVOKED:
        log.info("WHOOP webhook %s dropped: the user's athlete withdrew consent", event.trace_id)
    elif outcome is store.WebhookOutcome.DUPLICATE:
        log.info("WHOOP webhook %s: duplicate, already stored", event.trace_id)
    elif not event.known:
        log.warning("WHOOP webhook of unknown type %r stored (trace %s)", event.event_type, event.trace_id)
    return Response(status_code=204)


async def _read_body(request: Request, limit: int) -> bytes:
    """The body, or a 413 as soon as it is known to be over ``limit`` bytes (before reading it when
    its declared length says so; otherwise at the first chunk past the limit)."""
    declared = request.headers.get("Content-Length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        _too_large(limit)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            _too_large(limit)
    return bytes(body)


def _too_large(limit: int) -> None:
    log.warning("WHOOP webhook refused: body over %d bytes", limit)
    raise HTTPException(413, f"body over {limit} bytes")


def _store_event(config: ServiceConfig, event: WebhookEvent) -> store.WebhookOutcome:
    with open_database(config) as conn:
        return store.store_webhook_event(conn, event, config.clock())
