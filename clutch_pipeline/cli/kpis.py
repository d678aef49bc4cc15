"""``clutch kpis``: the seed's success metrics of the last days, computed now and printed as a table.

Computes through ``kpis.refresh`` (the same code as the ``kpi_daily`` asset, no Dagster run) and prints
``kpi_daily``: one line per day and KPI (plain lines, not a table: the note can be long and a terminal
wraps a line rather than squeezing a column), the figure against its target, and why a figure is missing.
"""

from __future__ import annotations

from datetime import UTC, datetime

import click

from clutch_pipeline.cli.common import console, migrated_database_url


def _value(value: float | None) -> str:
    return "not measured" if value is None else f"{value:.3f}".rstrip("0").rstrip(".")


def _figures(figures: dict) -> str:
    return f"rmse {_value(figures.get('rmse'))}, poe sign {_value(figures.get('poe_sign_accuracy'))}"


def _note(figure) -> str:
    detail = figure.detail
    if "reason" in detail:
        return str(detail["reason"])
    if figure.kpi == "wearables_uptime":
        missing = {k: v for k, v in detail.get("missing", {}).items() if v}
        return ", ".join(f"{k} {v}" for k, v in missing.items()) or "none missing"
    if "model_version" in detail:
        previous = detail.get("previous")
        before = "none" if previous is None else f"{previous['model_version']} ({_figures(previous)})"
        return f"{detail['model_version']}; baseline {_figures(detail['baseline'])}; previous {before}"
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
    console.print(f"{'day':10s}  {'kpi':28s} {'value':>12s}  {'target':8s} {'met':3s}  {'n':>5s}  note")
    for f in figures:
        word = ">=" if f.direction == "at_least" else "<="
        met = {True: "yes", False: "NO", None: "-"}[f.meets_target]
        n = "" if f.sample_size is None else str(f.sample_size)
        target = f"{word} {f.target:g}"
        console.print(
            f"{f.day!s:10s}  {f.kpi:28s} {_value(f.value):>12s}  {target:8s} {met:3s}  {n:>5s}  {_note(f)}",
            markup=False,
        )
