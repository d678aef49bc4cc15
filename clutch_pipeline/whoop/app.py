"""Our registered WHOOP app: where WHOOP is, our client credentials, our limits, and the pieces built
from them (the HTTP client, the shared request budget, the token store) for the CLI, the service and
the Dagster resource alike."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

import psycopg

from clutch_pipeline.http_retry import RetryPolicy
from clutch_pipeline.settings import Settings
from clutch_pipeline.whoop.access import AccessTokens
from clutch_pipeline.whoop.budget import RequestBudget, utc_now
from clutch_pipeline.whoop.client import WhoopApi
from clutch_pipeline.whoop.tokens import TokenCipher, cipher_from_settings


class WhoopNotConfigured(RuntimeError):
    pass


@dataclass(frozen=True)
class WhoopApp:
    base_url: str
    client_id: str
    client_secret: str = field(repr=False)
    redirect_uri: str
    cipher: TokenCipher = field(repr=False)
    per_minute: int = 100
    per_day: int = 10_000
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    timeout: tuple[float, float] = (3.05, 30.0)

    @classmethod
    def from_settings(cls, settings: Settings, **overrides) -> WhoopApp:
        client_id = overrides.pop("client_id", None) or settings.whoop_client_id
        client_secret = overrides.pop("client_secret", None) or settings.whoop_client_secret
        if not client_id or not client_secret:
            raise WhoopNotConfigured("WHOOP_CLIENT_ID and WHOOP_CLIENT_SECRET must be set")
        values = {
            "base_url": settings.whoop_base_url,
            "redirect_uri": settings.whoop_redirect_uri,
            "per_minute": settings.whoop_requests_per_minute,
            "per_day": settings.whoop_requests_per_day,
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        cipher = values.pop("cipher", None) or cipher_from_settings(settings)
        return cls(client_id=client_id, client_secret=client_secret, cipher=cipher, **values)

    @contextmanager
    def open(
        self,
        conn: psycopg.Connection,
        *,
        clock: Callable[[], datetime] = utc_now,
        sleep: Callable[[float], None] = time.sleep,
    ) -> Iterator[WhoopSession]:
        """The client, budget and tokens on ``conn`` (autocommit), closed at the end of the block."""
        budget = RequestBudget(
            conn, per_minute=self.per_minute, per_day=self.per_day, clock=clock, sleep=sleep
        )
        api = WhoopApi(
            self.base_url,
            self.client_id,
            self.client_secret,
            retry=self.retry,
            permit=budget.take,
            timeout=self.timeout,
        )
        try:
            yield WhoopSession(api, budget, AccessTokens(conn, api, self.cipher, clock), clock)
        finally:
            api.close()


@dataclass(frozen=True)
class WhoopSession:
    api: WhoopApi
    budget: RequestBudget
    tokens: AccessTokens
    clock: Callable[[], datetime]
