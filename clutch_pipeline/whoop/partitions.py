"""WHOOP data by UTC day: a backfill of a date range from the UI syncs exactly those days, in one run."""

from datetime import UTC, date, datetime, timedelta

import dagster as dg

# WHOOP's v2 API serves a member's history; nothing we pair it with starts before the 2021-22 season.
FIRST_DAY = "2021-01-01"

whoop_days = dg.DailyPartitionsDefinition(start_date=FIRST_DAY, timezone="UTC", end_offset=1)


def whoop_day_range(since: date | None, until: date | None, today: date | None = None) -> tuple[str, str]:
    """The WHOOP day partitions of a sync: ``since``..``until`` (default today), or for an incremental
    sync (no ``since``) yesterday and today, which the hourly schedule records it against."""
    today = today or datetime.now(UTC).date()
    last = until or today
    first = since or today - timedelta(days=1)
    if first > last:
        raise ValueError(f"--since {first} is after --until {last}")
    if first < date.fromisoformat(FIRST_DAY):
        raise ValueError(f"WHOOP days start at {FIRST_DAY}")
    return first.isoformat(), last.isoformat()
