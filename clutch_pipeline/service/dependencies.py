"""What the routes need, as FastAPI dependencies: the service's configuration (kept on ``app.state``
by ``create_app``), a database connection per request, and the API key check."""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from typing import Annotated

import psycopg
from fastapi import Depends, HTTPException, Request, Security
from fastapi.security import APIKeyHeader

from clutch_pipeline.db.connection import connect
from clutch_pipeline.service.config import ServiceConfig
from clutch_pipeline.whoop.app import WhoopApp

_api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False)


def service_config(request: Request) -> ServiceConfig:
    return request.app.state.config


Config = Annotated[ServiceConfig, Depends(service_config)]


def whoop_app(config: Config) -> WhoopApp:
    """Our WHOOP app, or a 503 saying WHOOP is not configured (the routes that talk to WHOOP need it;
    nothing else does)."""
    if config.whoop is None:
        raise HTTPException(
            503, "WHOOP is not configured on this service (set WHOOP_CLIENT_ID and WHOOP_CLIENT_SECRET)"
        )
    return config.whoop


Whoop = Annotated[WhoopApp, Depends(whoop_app)]


def open_database(config: ServiceConfig) -> psycopg.Connection:
    """An autocommit connection (each statement commits; a transaction where a route opens one)."""
    return connect(config.database_url, autocommit=True)


def database(config: Config) -> Iterator[psycopg.Connection]:
    """One connection for the request, closed after it."""
    with open_database(config) as conn:
        yield conn


Database = Annotated[psycopg.Connection, Depends(database)]


def require_api_key(config: Config, key: str | None = Security(_api_key_header)) -> None:
    """The consent endpoints are for the team's own tools: one of ``CLUTCH_API_KEYS`` in X-API-Key."""
    if not config.api_keys:
        raise HTTPException(503, "no API keys are configured (CLUTCH_API_KEYS)")
    if key is None or not any(hmac.compare_digest(key.encode(), k.encode()) for k in config.api_keys):
        raise HTTPException(401, "missing or wrong X-API-Key", headers={"WWW-Authenticate": "ApiKey"})
