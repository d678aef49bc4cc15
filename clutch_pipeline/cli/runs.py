"""``clutch runs``: the Dagster runs on the instance in use, and a way out of one that will never end."""

from __future__ import annotations

import click

from clutch_pipeline.cli.common import one_line_errors
from clutch_pipeline.db.connection import DatabaseUnreachable
from clutch_pipeline.settings import load_settings


def _instance():
    from clutch_pipeline.runs import open_instance

    with one_line_errors(DatabaseUnreachable):
        return open_instance(load_settings())


@click.group(invoke_without_command=True)
@click.option("--limit", default=20, show_default=True, type=int, help="How many recent runs to list.")
@click.pass_context
def runs(context: click.Context, limit: int) -> None:
    """List unfinished and recent runs: status, job, the process running it (alive or gone), pools.

    A run whose process was killed is failed and its pool slots freed first, so the list shows what
    really runs. `clutch runs cancel RUN_ID` ends a run that will never end.
    """
    if context.invoked_subcommand is not None:
        return
    from clutch_pipeline.operations import fail_dead_runs, recent_runs, runs_table, unfinished_runs

    opened = _instance()
    try:
        for dead in fail_dead_runs(opened.dagster):
            click.echo(f"failed a dead run: {dead.describe()}")
        unfinished = unfinished_runs(opened.dagster)
        shown = {r.run_id for r in unfinished}
        click.echo(f"Unfinished runs ({len(unfinished)}):")
        click.echo(runs_table(unfinished) if unfinished else "  none")
        finished = [r for r in recent_runs(opened.dagster, limit) if r.run_id not in shown]
        click.echo(f"\nRecent runs ({len(finished)}):")
        click.echo(runs_table(finished) if finished else "  none")
    finally:
        opened.dispose()


@runs.command("cancel")
@click.argument("run_id")
@click.option(
    "--force", is_flag=True, help="Cancel even though its process still runs (or cannot be checked)."
)
def runs_cancel(run_id: str, force: bool) -> None:
    """Cancel RUN_ID and free its pool slots. Refused while its process still runs, unless --force."""
    from clutch_pipeline.operations import CancelRefused, RunNotFound, cancel_run

    opened = _instance()
    try:
        with one_line_errors(CancelRefused, RunNotFound):
            cancellation = cancel_run(opened.dagster, run_id, force=force)
    finally:
        opened.dispose()
    click.echo(cancellation.describe())
