"""The one PostgreSQL resource every asset uses."""

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from dagster import ConfigurableResource
from pydantic import Field

from clutch_pipeline.db.connection import connect, redact, resolve_database_urls


class PostgresResource(ConfigurableResource):
    """Connections to the application database.

    Left empty, ``database_url`` follows ``CLUTCH_DATABASE_URL``, or the embedded server under
    ``CLUTCH_HOME`` when that is unset; tests set it to their own database.
    """

    database_url: str | None = Field(
        default=None,
        description="PostgreSQL URL; empty means CLUTCH_DATABASE_URL or the embedded server.",
    )

    def url(self) -> str:
        return self.database_url or resolve_database_urls().app

    def display_url(self) -> str:
        return redact(self.url())

    @contextmanager
    def connection(self, *, autocommit: bool = False) -> Iterator[psycopg.Connection]:
        """A connection that commits when the block succeeds and rolls back when it raises."""
        with connect(self.url(), autocommit=autocommit) as conn:
            yield conn
