"""What the service runs with: built by the CLI (from settings) or by the main job and tests."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

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
