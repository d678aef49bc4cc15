"""WHOOP as a Dagster resource: our app's credentials, limits and retry policy."""

from datetime import timedelta

import dagster as dg
from pydantic import Field

from clutch_pipeline.http_retry import RetryPolicy
from clutch_pipeline.settings import load_settings
from clutch_pipeline.whoop.app import WhoopApp
from clutch_pipeline.whoop.sync import SyncOptions


class WhoopResource(dg.ConfigurableResource):
    """Empty fields follow the environment (WHOOP_*, CLUTCH_WHOOP_*, CLUTCH_TOKEN_KEYS); tests and the
    main job point ``base_url`` at the WHOOP simulator."""

    base_url: str | None = Field(default=None, description="Empty: WHOOP_BASE_URL.")
    client_id: str | None = Field(default=None, description="Empty: WHOOP_CLIENT_ID.")
    client_secret: str | None = Field(default=None, description="Empty: WHOOP_CLIENT_SECRET.")
    requests_per_minute: int | None = Field(
        default=None, description="Empty: CLUTCH_WHOOP_REQUESTS_PER_MINUTE."
    )
    requests_per_day: int | None = Field(default=None, description="Empty: CLUTCH_WHOOP_REQUESTS_PER_DAY.")
    first_sync_days: int | None = Field(default=None, description="Empty: CLUTCH_WHOOP_FIRST_SYNC_DAYS.")
    overlap_hours: float = Field(default=48.0, description="How far back an incremental sync looks again.")
    timeout_seconds: float = Field(default=30.0, description="Read timeout of one request.")
    retry_attempts: int = Field(default=5, description="Attempts per request (429, 5xx, timeouts).")
    retry_base_seconds: float = Field(default=1.0, description="First backoff; doubles, with jitter.")

    def app(self) -> WhoopApp:
        settings = load_settings()
        return WhoopApp.from_settings(
            settings,
            base_url=self.base_url,
            client_id=self.client_id,
            client_secret=self.client_secret,
            per_minute=self.requests_per_minute,
            per_day=self.requests_per_day,
            retry=RetryPolicy(attempts=self.retry_attempts, base_seconds=self.retry_base_seconds),
            timeout=(3.05, self.timeout_seconds),
        )

    def limits(self) -> tuple[int, int]:
        """The app's requests per minute and per day (no credentials or keys needed)."""
        settings = load_settings()
        return (
            self.requests_per_minute or settings.whoop_requests_per_minute,
            self.requests_per_day or settings.whoop_requests_per_day,
        )

    def sync_options(self) -> SyncOptions:
        days = self.first_sync_days or load_settings().whoop_first_sync_days
        return SyncOptions(first_sync_days=days, overlap=timedelta(hours=self.overlap_hours))
