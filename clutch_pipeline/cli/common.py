"""What every command group shares: one console, errors in one line, reports of runs, the database."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import click
from rich.console import Console

console = Console(highlight=False, soft_wrap=True)


@contextmanager
def one_line_errors(*errors: type[BaseException]) -> Iterator[None]:
    """The user's mistakes and unreachable systems as one line (``Error: ...``), not a traceback."""
    try:
        yield
    except errors as exc:
        raise click.ClickException(str(exc)) from None


def print_run_report(report, done: str) -> None:
    """A launched run's materializations, and exit 1 when it failed."""
    for asset, facts in report.facts().items():
        console.print(f"  {asset}: {facts}")
    if not report.success:
        console.print(f"{done} FAILED after {report.seconds:.1f} s (run {report.run_id}): {report.error}")
        sys.exit(1)
    console.print(f"{done} finished in {report.seconds:.1f} s (run {report.run_id}).")


def progress_printer(shown: set[tuple[str, str]] | None = None) -> Callable:
    """An event callback for ``runs.launch_run`` that prints steps, materializations (once per asset,
    not once per partition), checks and failures as they happen."""
    shown = set() if shown is None else shown

    def on_event(entry) -> None:
        event = entry.dagster_event
        if event is None:
            return
        kind = event.event_type_value
        if kind == "STEP_START":
            console.print(f"  … {event.step_key}")
        elif kind == "ASSET_MATERIALIZATION":
            key = (entry.run_id, event.asset_key.to_user_string())
            if key not in shown:
                shown.add(key)
                console.print(f"  ✓ materialized {key[1]}")
        elif kind == "ASSET_CHECK_EVALUATION":
            evaluation = event.event_specific_data
            console.print(f"  {'✓' if evaluation.passed else '✗'} check {evaluation.check_name}")
        elif kind == "STEP_FAILURE":
            console.print(f"  ✗ {event.step_key} failed: {event.message}")

    return on_event


def migrated_database_url() -> str:
    """The application database's URL, with pending migrations applied (a no-op when there are none):
    every command that reads or writes tables starts here."""
    from clutch_pipeline.db.connection import DatabaseUnreachable, check_reachable, resolve_database_urls
    from clutch_pipeline.db.migrations import upgrade
    from clutch_pipeline.settings import load_settings

    with one_line_errors(DatabaseUnreachable):
        url = resolve_database_urls(load_settings()).app
        check_reachable(url)
    upgrade(url)
    return url


def whoop_app():
    """Our WHOOP app from the settings, or a clear error when its credentials are not set."""
    from clutch_pipeline.settings import load_settings
    from clutch_pipeline.whoop.app import WhoopApp, WhoopNotConfigured

    with one_line_errors(WhoopNotConfigured):
        return WhoopApp.from_settings(load_settings())
