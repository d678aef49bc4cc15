"""WHOOP data by UTC day: a backfill of a date range from the UI syncs exactly those days, in one run."""

import dagster as dg

# WHOOP's v2 API serves a member's history; nothing we pair it with starts before the 2021-22 season.
FIRST_DAY = "2021-01-01"

whoop_days = dg.DailyPartitionsDefinition(start_date=FIRST_DAY, timezone="UTC", end_offset=1)
