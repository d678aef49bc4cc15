"""Compute the KPIs of a range of UTC days from every stage's tables and store them in ``kpi_daily``:
what the ``kpi_daily`` asset, ``clutch kpis`` and the WHOOP day benchmark all call."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

from clutch_pipeline.kpis import measure, store

if TYPE_CHECKING:  # a connection is handed in; this module runs no SQL of its own
    import psycopg


def compute(conn: psycopg.Connection, first: date, last: date, *, now: datetime) -> list[measure.KpiFigure]:
    """Every KPI of every day of ``first..last``; a day is over (its uptime judged) once ``now`` has
    passed its end in UTC."""
    athletes = store.athlete_days(conn, first, last)
    events = store.webhook_events(conn, first, last) + store.polled_records(conn, first, last)
    models = store.published_models(conn)
    timings = store.player_page_timings(conn, first, last)
    figures: list[measure.KpiFigure] = []
    for day in measure.days_between(first, last):
        day_over = now >= measure.day_start(day + timedelta(days=1))
        figures.append(measure.uptime(day, athletes, day_over=day_over))
        figures.extend(measure.sync_latency(day, events))
        figures.extend(measure.model_quality(day, models))
        figures.append(measure.page_load(day, timings))
    return figures


def refresh_kpis(conn: psycopg.Connection, days: int, *, now: datetime) -> list[measure.KpiFigure]:
    """Recompute and store the last ``days`` UTC days, today included (a day's figures keep changing
    after it: late recoveries, late fetches, a newly published model)."""
    last = now.astimezone(UTC).date()
    first = last - timedelta(days=max(days, 1) - 1)
    figures = compute(conn, first, last, now=now)
    store.write_figures(conn, figures)
    return figures
