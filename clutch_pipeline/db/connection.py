"""Which PostgreSQL to use, and connections to it.

``CLUTCH_DATABASE_URL`` selects a server; when it is unset an embedded one is started under
``CLUTCH_HOME``. Dagster's instance storage lives in its own database beside ours.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import psycopg

from clutch_pipeline.settings import Settings, load_settings


class DatabaseUnreachable(RuntimeError):
    """The configured PostgreSQL does not answer: one line for the user, no password in it."""


@dataclass(frozen=True)
class DatabaseUrls:
    app: str
    dagster: str
    embedded: bool


def resolve_database_urls(settings: Settings | None = None) -> DatabaseUrls:
    """The URLs in use, starting the embedded server when no server is configured."""
    settings = settings or load_settings()
    if settings.database_url:
        return DatabaseUrls(
            app=settings.database_url,
            dagster=settings.dagster_database_url or settings.database_url,
            embedded=False,
        )
    from clutch_pipeline.db.embedded import embedded_server

    server = embedded_server(settings.embedded_pgdata)
    return DatabaseUrls(
        app=server.get_uri("clutch"),
        dagster=settings.dagster_database_url or server.get_uri("dagster"),
        embedded=True,
    )


_SCHEME = re.compile(r"^postgres(?:ql)?(?:\+\w+)?://")


def psycopg2_url(url: str) -> str:
    """The ``postgresql+psycopg2://`` form dagster-postgres needs (see STACK_NOTES: the plain form
    maps to psycopg 3 under SQLAlchemy 2.1 and breaks dagster-postgres' NOTIFY)."""
    if not _SCHEME.match(url):
        raise ValueError("not a PostgreSQL URL (expected postgresql://...)")
    return _SCHEME.sub("postgresql+psycopg2://", url, count=1)


def redact(url: str) -> str:
    """The URL with any password replaced by ``***``, for logs and reports."""
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
        parts = parts._replace(netloc=netloc)
    return urlunsplit(parts)


def url_for_database(url: str, database: str) -> str:
    """The same server and credentials, another database."""
    return urlunsplit(urlsplit(url)._replace(path=f"/{database}"))


def connect(url: str, *, autocommit: bool = False) -> psycopg.Connection:
    """A psycopg 3 connection; the caller closes it (use it as a context manager)."""
    return psycopg.connect(url, autocommit=autocommit, connect_timeout=10, application_name="clutch")


def check_reachable(url: str, timeout_seconds: int = 5) -> None:
    """Fail at once, in one line, when ``url`` cannot be reached or refuses us: before Dagster's storage
    retries a bad URL for a minute with a traceback at each attempt."""
    try:
        with psycopg.connect(url, connect_timeout=timeout_seconds, application_name="clutch"):
            return
    except psycopg.OperationalError as exc:
        lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
        reason = "; ".join(lines) or type(exc).__name__
        raise DatabaseUnreachable(f"cannot connect to PostgreSQL at {redact(url)}: {reason}") from None
    except psycopg.ProgrammingError as exc:  # e.g. a malformed URL
        reason = str(exc).strip().splitlines()[0]
        raise DatabaseUnreachable(f"not a usable PostgreSQL URL ({redact(url)}): {reason}") from None
