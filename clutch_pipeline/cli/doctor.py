"""``clutch doctor``: is this installation ready? One line per check, and what to do when it is not."""

from __future__ import annotations

import sys
from collections import Counter

import click

from clutch_pipeline.cli.common import console


@click.command()
@click.option(
    "--online", is_flag=True, help="Also check that the NBA sources (stats.nba.com, the CDN) answer."
)
def doctor(online: bool) -> None:
    """Check the configuration, the database and its migrations, the Dagster instance, the model store,
    WHOOP's credentials, the token and API keys (and with --online the NBA sources): OK, WARN or FAIL,
    each with what to do. Exits 1 when a check fails."""
    from clutch_pipeline.doctor import failed, run_checks

    checks = run_checks(online=online)
    for check in checks:
        console.print(f"{check.status:5} {check.name}: {check.found}", markup=False)
        if check.todo and check.status != "OK":
            console.print(f"      what to do: {check.todo}", markup=False)
    counts = Counter(check.status for check in checks)
    summary = ", ".join(f"{counts[s]} {s}" for s in ("OK", "WARN", "FAIL", "SKIP") if counts[s])
    console.print(f"clutch doctor: {summary}", markup=False)
    if failed(checks):
        sys.exit(1)
