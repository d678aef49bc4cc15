"""The alerts' SQL: the rows their conditions read, and ``alert_state`` (sql/022), what was said.

Reads only columns that hold no token or health value: ids, names, statuses, timestamps, KPI figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import psycopg
from psycopg.types.json import Jsonb

from clutch_pipeline.alerts.conditions import Device, KpiMiss, LiveGame


def consented_devices(conn: psycopg.Connection) -> list[Device]:
    """Every active device with consent: the ones that should be syncing."""
    rows = conn.execute(
        """
        SELECT d.device_id::text, p.nba_person_id, p.full_name, d.sync_status, d.needs_reauthorization_at,
               d.last_sync_at, d.consent_granted_at, d.created_at
        FROM wearables_devices d JOIN players p ON p.player_id = d.player_id
        WHERE d.consent_granted AND d.is_active
        ORDER BY p.nba_person_id
        """
    ).fetchall()
    return [Device(*row) for row in rows]


def games_in_progress(conn: psycopg.Connection) -> list[LiveGame]:
    """Games in progress with their last play-by-play load attempt (NULL: never attempted)."""
    rows = conn.execute(
        """
        SELECT g.nba_game_id, g.season, g.tipoff_at, l.attempted_at
        FROM games g LEFT JOIN nba_game_loads l ON l.nba_game_id = g.nba_game_id
        WHERE g.status = 'in_progress'
        ORDER BY g.nba_game_id
        """
    ).fetchall()
    return [LiveGame(*row) for row in rows]


def oldest_summary_queue(conn: psycopg.Connection) -> tuple[datetime | None, int]:
    """When the oldest changed day still waiting for its daily summary was queued, and how many wait."""
    row = conn.execute(
        "SELECT min(changed_at), count(*) FROM wearables_changed_days WHERE consumer = 'daily_summary'"
    ).fetchone()
    return row[0], row[1]


def kpi_misses(conn: psycopg.Connection) -> list[KpiMiss]:
    """Each KPI whose latest measured day is below its target."""
    rows = conn.execute(
        """
        SELECT kpi, day::text, value, target, direction
        FROM (SELECT DISTINCT ON (kpi) kpi, day, value, target, direction, meets_target
              FROM kpi_daily ORDER BY kpi, day DESC) latest
        WHERE meets_target = false
        ORDER BY kpi
        """
    ).fetchall()
    return [KpiMiss(*row) for row in rows]


def whoop_requests_since(conn: psycopg.Connection, since: datetime) -> int:
    """WHOOP requests sent (API and token calls) since ``since``."""
    return conn.execute(
        "SELECT count(*) FROM whoop_api_requests WHERE requested_at >= %s", (since,)
    ).fetchone()[0]


@dataclass(frozen=True)
class OpenAlert:
    key: str
    fingerprint: str
    announced_fingerprint: str | None
    message: dict


def open_alerts(conn: psycopg.Connection) -> dict[str, OpenAlert]:
    """The problems open after the last tick, by key."""
    rows = conn.execute(
        "SELECT alert_key, fingerprint, announced_fingerprint, message"
        " FROM alert_state WHERE cleared_at IS NULL"
    ).fetchall()
    return {row[0]: OpenAlert(*row) for row in rows}


def record_open(
    conn: psycopg.Connection, key: str, fingerprint: str, message: dict, now: datetime, *, announced: bool
) -> None:
    """Record an open problem; a cleared one coming back is a new problem (first seen now).

    ``announced`` is False when the webhook refused the message: the next tick tries again."""
    conn.execute(
        """
        INSERT INTO alert_state AS s (alert_key, fingerprint, announced_fingerprint, message, first_seen_at,
                                      last_sent_at)
        VALUES (%(key)s, %(fingerprint)s, CASE WHEN %(announced)s THEN %(fingerprint)s END, %(message)s,
                %(now)s, CASE WHEN %(announced)s THEN %(now)s::timestamptz END)
        ON CONFLICT (alert_key) DO UPDATE SET
            fingerprint = EXCLUDED.fingerprint,
            first_seen_at = CASE WHEN s.cleared_at IS NULL THEN s.first_seen_at
                                 ELSE EXCLUDED.first_seen_at END,
            announced_fingerprint = CASE WHEN %(announced)s THEN EXCLUDED.fingerprint
                                         WHEN s.cleared_at IS NULL THEN s.announced_fingerprint END,
            last_sent_at = CASE WHEN %(announced)s THEN EXCLUDED.last_sent_at ELSE s.last_sent_at END,
            message = EXCLUDED.message,
            cleared_at = NULL
        """,
        {
            "key": key,
            "fingerprint": fingerprint,
            "announced": announced,
            "message": Jsonb(message),
            "now": now,
        },
    )


def record_cleared(conn: psycopg.Connection, key: str, now: datetime) -> None:
    conn.execute("UPDATE alert_state SET cleared_at = %s WHERE alert_key = %s", (now, key))
