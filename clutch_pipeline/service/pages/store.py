"""The pages' own SQL: their server times (``page_timings``, sql/023, the page-load KPI), and the two
small facts the read queries (``alignment/store/reads.py``) do not give: the seasons we hold and a
player's data retention."""

from __future__ import annotations

from datetime import datetime, timedelta

import psycopg

TIMINGS_KEPT = timedelta(days=90)


def record_page_timing(conn: psycopg.Connection, page: str, served_at: datetime, seconds: float) -> None:
    """Store one page's server time, and drop the timings older than ``TIMINGS_KEPT`` (an indexed range
    delete: the table stays bounded without a schedule of its own)."""
    with conn.transaction():
        conn.execute(
            "INSERT INTO page_timings (page, served_at, seconds) VALUES (%s, %s, %s)",
            (page, served_at, seconds),
        )
        conn.execute("DELETE FROM page_timings WHERE served_at < %s", (served_at - TIMINGS_KEPT,))


def seasons(conn: psycopg.Connection) -> list[str]:
    """The seasons of our games, latest first (the leaderboard's choice and default)."""
    rows = conn.execute("SELECT DISTINCT season FROM games ORDER BY season DESC").fetchall()
    return [season for (season,) in rows]


def retention_days(conn: psycopg.Connection, nba_person_id: int) -> int:
    """How many days the athlete's wearables data is kept: his WHOOP device's ``data_retention_days``, or,
    before he has one, the default a new device row gets (the column's default in sql/002)."""
    row = conn.execute(
        """
        SELECT d.data_retention_days FROM wearables_devices d JOIN players p USING (player_id)
        WHERE p.nba_person_id = %s AND d.device_type = 'whoop'
        """,
        (nba_person_id,),
    ).fetchone()
    if row is not None:
        return int(row[0])
    default = conn.execute(
        """
        SELECT column_default FROM information_schema.columns
        WHERE table_name = 'wearables_devices' AND column_name = 'data_retention_days'
        """
    ).fetchone()
    return int(default[0])
