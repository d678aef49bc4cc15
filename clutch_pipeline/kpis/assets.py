"""The ``kpi_daily`` asset: the seed's success metrics of the last days, stored and plotted.

Unpartitioned on purpose: a day's figures keep changing after the day (a late recovery, a late fetch, a
newly published model), so each run recomputes the last ``days`` UTC days from scratch; the computation
is a few aggregate queries, and daily partitions back to 2021 would only hold figures nobody recomputes.
"""

import time
from datetime import UTC, datetime, timedelta

import dagster as dg
from pydantic import Field

from clutch_pipeline.db.resources import PostgresResource
from clutch_pipeline.kpis import store
from clutch_pipeline.kpis.measure import KPIS, KpiFigure
from clutch_pipeline.kpis.refresh import refresh_kpis
from clutch_pipeline.plots import line_png, png_markdown

KPI_ASSET = "kpi_daily"
# The plot's window: long enough to see a trend, whatever the run recomputed.
PLOT_DAYS = 90
# The tables it reads, by their owners' asset names (names only: no stage is imported).
UPSTREAM = ["whoop_recoveries", "whoop_sleeps", "wearables_daily_summary", "clutch_model"]


class KpiConfig(dg.Config):
    days: int = Field(default=7, ge=1, le=400, description="Recompute this many UTC days, today included.")


def _now() -> datetime:
    return datetime.now(UTC)


def _plots(figures: list[KpiFigure]) -> dict[str, dg.MetadataValue]:
    def series(*kpis: str) -> dict:
        found = {}
        for kpi in kpis:
            points = [(f.day, f.value) for f in figures if f.kpi == kpi and f.value is not None]
            if points:
                found[kpi] = ([d for d, _ in points], [v for _, v in points])
        return found

    charts = {
        "plot_uptime": (("wearables_uptime",), "Wearables data uptime (target 0.95)", "share"),
        "plot_sync_latency": (
            ("sync_latency_median_minutes", "sync_latency_p95_minutes"),
            "WHOOP sync latency (target 5 min)",
            "minutes",
        ),
        "plot_model": (("model_rmse",), "Holdout RMSE of the model in use (target 8)", "points"),
        "plot_page_load": (("page_load_seconds",), "Player page server time, p95 (target 2 s)", "seconds"),
    }
    return {
        name: dg.MetadataValue.md(png_markdown(line_png(series(*kpis), title=title, ylabel=ylabel), title))
        for name, (kpis, title, ylabel) in charts.items()
    }


def _latest(figure: KpiFigure | None) -> dg.MetadataValue:
    if figure is None:
        return dg.MetadataValue.text("not measured")
    return dg.MetadataValue.float(figure.value)


@dg.asset(
    name=KPI_ASSET,
    group_name="kpis",
    owners=["team:data-platform"],
    metadata={"dagster/table_name": "kpi_daily", "docs": "docs/kpis.md"},
    deps=UPSTREAM,
    kinds={"postgres"},
    description=(
        "The seed's technical KPIs (section 10) per UTC day: wearables uptime, WHOOP sync latency median "
        "and p95, the published model's holdout RMSE and POE-sign accuracy, the player page's server time "
        "(p95). Recomputes the last `days` days (docs/kpis.md)."
    ),
)
def kpi_daily(context: dg.AssetExecutionContext, config: KpiConfig, postgres: PostgresResource):
    now, began = _now(), time.perf_counter()
    with postgres.connection() as conn:
        figures = refresh_kpis(conn, config.days, now=now)
        history = store.read_figures(conn, now.date() - timedelta(days=PLOT_DAYS), now.date())
    latest = {f.kpi: f for f in figures if f.value is not None}
    context.log.info(f"{len(figures)} KPI figure(s) for the last {config.days} day(s)")
    return dg.MaterializeResult(
        metadata={
            "days": f"{figures[0].day} .. {figures[-1].day}",
            "rows": len(figures),
            "seconds": dg.MetadataValue.float(round(time.perf_counter() - began, 2)),
            **{
                f"latest_{kpi}": dg.MetadataValue.float(latest[kpi].value)
                if kpi in latest
                else "not measured"
                for kpi in KPIS
            },
            "figures": dg.MetadataValue.json(
                [
                    {"day": str(f.day), "kpi": f.kpi, "value": f.value, "meets_target": f.meets_target}
                    for f in figures
                ]
            ),
            **_plots(history),
        }
    )


KPI_ASSETS = [kpi_daily]
