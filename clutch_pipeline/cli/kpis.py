"""``clutch kpis``: the seed's success metrics of the last days, computed now and printed as a table.

Computes through ``kpis.refresh`` (the same code as the ``kpi_daily`` asset, no Dagster run) and prints
``kpi_daily``: one line per day and KPI, the figure against its target, and why a figure is missing.
"""

from __future__ import annotations

from datetime import UTC, datetime

import click
from rich.table import Table

from clutch_pipeline.cli.common import console, migrated_database_url


def _value(value: float | None) -> str:
    return "not measured" if value is None else f"{value:.3f}".rstrip("0").rstrip(".")


def _note(figure) -> str:
    detail = figure.detail
    if "reason" in detail:
        return str(detail["reason"])
    if figure.kpi == "wearables_uptime":
        missing = {k: v for k, v in detail.get("missing", {}).items() if v}
        return ", ".join(f"{k} {v}" for k, v in missing.items()) or "none missing"
    if "model_version" in detail:
        return str(detail["model_version"])
    return ""


@click.command("kpis")
@click.option(
    "--days", type=click.IntRange(1, 400), default=7, show_default=True, help="UTC days, today included."
)
def kpis(days: int) -> None:
    """Compute and print the KPIs of the last N UTC days (docs/kpis.md): uptime, sync latency, model, page."""
    from clutch_pipeline.db.connection import connect
    from clutch_pipeline.kpis.refresh import refresh_kpis

    with connect(migrated_database_url()) as conn:
        figures = refresh_kpis(conn, days, now=datetime.now(UTC))
    table = Table()
    for column in ("day", "kpi", "value", "target", "ok", "n"):
        table.add_column(column, no_wrap=True)
    table.add_column("note")
    for f in figures:
        word = ">=" if f.direction == "at_least" else "<="
        ok = {True: "yes", False: "NO", None: "-"}[f.meets_target]
        n = "" if f.sample_size is None else str(f.sample_size)
        table.add_row(str(f.day), f.kpi, _value(f.value), f"{word} {f.target:g}", ok, n, _note(f))
    console.print(table)
