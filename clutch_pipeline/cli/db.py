"""``clutch db``: the application database: its URL, a shell, migrations, the embedded server."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import threading

import click

from clutch_pipeline.cli.common import console, one_line_errors
from clutch_pipeline.db.connection import DatabaseUnreachable, check_reachable, redact, resolve_database_urls
from clutch_pipeline.settings import load_settings


@click.group()
def db() -> None:
    """The application database: its URL, a psql shell, migrations, the embedded server."""


def _reachable_urls():
    with one_line_errors(DatabaseUnreachable):
        urls = resolve_database_urls(load_settings())
        check_reachable(urls.app)
    return urls


@db.command("url")
def db_url() -> None:
    """Print the URL of the application database in use (starts the embedded server if needed).

    The embedded server stops when the last clutch process exits: the URL works while `clutch dev`,
    `clutch db serve` or another clutch command keeps it up.
    """
    urls = _reachable_urls()
    click.echo(urls.app)
    if urls.embedded:
        click.echo(
            "(embedded: reachable while a clutch process runs; keep it up with `clutch db serve`)", err=True
        )


@db.command("shell")
@click.option("--dagster", is_flag=True, help="Dagster's own database instead of the application's.")
def db_shell(dagster: bool) -> None:
    """Open psql on the database in use (the embedded one included); SQL on standard input works too.

    Uses the psql that comes with the embedded PostgreSQL (pgserver), or the one on PATH for a
    configured server when pgserver's is missing.
    """
    urls = _reachable_urls()
    url = urls.dagster if dagster else urls.app
    sys.exit(subprocess.call([_psql(), url], stdin=sys.stdin))


def _psql() -> str:
    from pgserver._commands import POSTGRES_BIN_PATH

    bundled = POSTGRES_BIN_PATH / "psql"
    found = str(bundled) if bundled.exists() else shutil.which("psql")
    if found is None:
        raise click.ClickException("no psql: neither pgserver's nor one on PATH")
    return found


@db.command("serve")
def db_serve() -> None:
    """Keep the embedded PostgreSQL up until Ctrl-C, for other tools (psql, a notebook, a BI tool)."""
    settings = load_settings()
    if not settings.uses_embedded_database:
        raise click.ClickException("CLUTCH_DATABASE_URL is set: there is no embedded server to keep up")
    urls = _reachable_urls()
    console.print(f"embedded PostgreSQL up: {urls.app}\nDagster's database: {urls.dagster}\nCtrl-C stops it.")
    stop = threading.Event()
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, lambda _signum, _frame: stop.set())
    stop.wait()


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply pending migrations from sql/ (safe to run twice, or from two processes at once)."""
    from clutch_pipeline.db.migrations import upgrade

    url = _reachable_urls().app
    result = upgrade(url)
    for migration in result.applied:
        click.echo(f"applied {migration.label}")
    click.echo(
        f"{redact(url)}: {len(result.applied)} applied, {result.already_applied} already there "
        f"({result.seconds:.2f} s)"
    )


@db.command("status")
def db_status() -> None:
    """List every migration and when it was applied."""
    from clutch_pipeline.db.migrations import migration_states

    for state in migration_states(_reachable_urls().app):
        when = state.applied_at.isoformat(timespec="seconds") if state.applied_at else "pending"
        click.echo(f"{state.migration.label:30} {when}")


@db.command("stop")
def db_stop() -> None:
    """Stop the embedded PostgreSQL now, even if a clutch process still uses it (also after a crash
    left it running)."""
    from clutch_pipeline.db.embedded import stop_embedded_server

    stopped = stop_embedded_server(load_settings().embedded_pgdata)
    click.echo("stopped the embedded PostgreSQL" if stopped else "the embedded PostgreSQL was not running")
