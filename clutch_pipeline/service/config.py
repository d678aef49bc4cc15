"""What the service runs with: built by the CLI from settings (``config_from_settings``), or by the main
job and tests directly."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from clutch_pipeline.service.signing import session_secret
from clutch_pipeline.settings import Settings
from clutch_pipeline.whoop.app import WhoopApp
from clutch_pipeline.whoop.budget import utc_now
from clutch_pipeline.whoop.webhooks import DEFAULT_TOLERANCE

# WHOOP's events are about 150 bytes; the webhook endpoint is open to anyone, so it reads no more.
WEBHOOK_MAX_BYTES = 64 * 1024


@dataclass(frozen=True)
class ServiceConfig:
    database_url: str
    # None when WHOOP's credentials are not configured: the consent, callback and webhook routes answer
    # 503 with a plain message, and every read of our own tables still works.
    whoop: WhoopApp | None
    api_keys: tuple[str, ...]
    clock: Callable[[], datetime] = utc_now
    webhook_tolerance: timedelta = DEFAULT_TOLERANCE
    webhook_max_bytes: int = WEBHOOK_MAX_BYTES
    # Where published model traces are (``model/trace_store.open_trace_store``): predictions read the
    # latest published one. None: predictions answer 503.
    model_store: str | None = None
    s3_endpoint_url: str | None = None
    s3_region: str | None = None
    # Signs staff sessions and athletes' consent links (HMAC); empty: the pages refuse every sign-in.
    session_secret: bytes = b""


def config_from_settings(
    settings: Settings, database_url: str, whoop: WhoopApp | None, api_keys: tuple[str, ...]
) -> ServiceConfig:
    """The service's configuration for ``clutch serve``: the caller resolves the database (embedded or
    not), WHOOP (None when unconfigured) and the API keys (configured, or the local one)."""
    return ServiceConfig(
        database_url=database_url,
        whoop=whoop,
        api_keys=api_keys,
        webhook_tolerance=timedelta(seconds=settings.whoop_webhook_tolerance_seconds),
        model_store=settings.model_store,
        s3_endpoint_url=settings.s3_endpoint_url,
        s3_region=settings.s3_region,
        session_secret=session_secret(settings),
    )
