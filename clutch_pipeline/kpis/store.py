"""SQL of the KPIs: what every stage's tables say about the seed's metrics, and ``kpi_daily``.

Reads the WHOOP stage's tables (devices, raw records, webhook events), the alignment stage's daily
summaries and the model stage's runs, without importing any stage: tables are the contract. Writes
``kpi_daily`` (sql/020) through COPY into a staging table and one upsert on (day, kpi).
"""

from __future__ import annotations

import json
from datetime import date, timedelta

import psycopg

from clutch_pipeline.kpis.measure import (
    AthleteDay,
    KpiFigure,
    PageTiming,
    PublishedModel,
    SyncEvent,
    day_start,
)


def athlete_days(conn: psycopg.Connection, first: date, last: date) -> list[AthleteDay]:
    """Each athlete consented (now, and granted before the day ended) on each day of ``first..last``:
    whether his daily summary of that local date has a recovery score, his device's state, and the
    score states of his raw recovery records of that local date (sql/013's ``wearables_local_day``,
    with the offset of the recovery's sleep). An athlete who revoked consent is left out: revocation
    deleted his data, so his past days cannot be judged."""
    rows = conn.execute(
        """
        SELECT d.day,
               s.recovery_score IS NOT NULL,
               dv.needs_reauthorization_at IS NOT NULL
                   AND dv.needs_reauthorization_at < (d.day + 1)::timestamp AT TIME ZONE 'UTC',
               dv.sync_status = 'error',
               coalesce(r.states, '{}')
        FROM (SELECT g.day::date
              FROM generate_series(%(first)s::date, %(last)s::date, interval '1 day') AS g(day)) d
        JOIN wearables_devices dv
          ON dv.device_type = 'whoop' AND dv.consent_granted
         AND coalesce(dv.consent_granted_at, '-infinity') < (d.day + 1)::timestamp AT TIME ZONE 'UTC'
        LEFT JOIN wearables_daily_summary s ON s.device_id = dv.device_id AND s.summary_date = d.day
        LEFT JOIN LATERAL (
            SELECT array_agg(rec.score_state::text) AS states
            FROM wearables_raw_records rec
            LEFT JOIN wearables_raw_records sl
                   ON sl.device_id = rec.device_id AND sl.record_type = 'sleep'
                  AND sl.record_id = rec.record_id
            WHERE rec.player_id = dv.player_id AND rec.device_id = dv.device_id
              AND rec.record_type = 'recovery'
              AND rec.record_start >= (d.day - 1)::timestamp AT TIME ZONE 'UTC'
              AND rec.record_start < (d.day + 2)::timestamp AT TIME ZONE 'UTC'
              AND wearables_local_day('recovery', rec.record_start, rec.record_end,
                                      coalesce(wearables_payload_offset(sl.payload), interval '0')) = d.day
        ) r ON TRUE
        ORDER BY d.day
        """,
        {"first": first, "last": last},
    ).fetchall()
    return [
        AthleteDay(day, scored, reauth, error, tuple(states)) for day, scored, reauth, error, states in rows
    ]


def webhook_events(conn: psycopg.Connection, first: date, last: date) -> list[SyncEvent]:
    """WHOOP's ``*.updated`` webhook events received on ``first..last`` for consented devices, each with
    the fetch that answered it. An event names its record by user, type and id (a recovery by its sleep's
    id, as the raw recovery record is named); the record's ``fetched_at`` answers it when the fetch came
    at or after the event and no later event of the same record arrived between the event's planning and
    that fetch (then the fetch we see answered the later event, and this one's fetch was overwritten)."""
    rows = conn.execute(
        """
        SELECT e.received_at, e.planned_at IS NOT NULL, split_part(e.event_type, '.', 1),
               CASE WHEN r.fetched_at >= e.received_at AND NOT EXISTS (
                   SELECT 1 FROM whoop_webhook_events l
                   WHERE l.whoop_user_id = e.whoop_user_id AND l.event_type = e.event_type
                     AND l.record_id = e.record_id AND l.event_id <> e.event_id
                     AND l.received_at > coalesce(e.planned_at, r.fetched_at)
                     AND l.received_at <= r.fetched_at)
               THEN r.fetched_at END
        FROM whoop_webhook_events e
        JOIN wearables_devices dv
          ON dv.device_type = 'whoop' AND dv.consent_granted AND dv.provider_user_id = e.whoop_user_id::text
        LEFT JOIN wearables_raw_records r
               ON r.device_id = dv.device_id AND r.record_type = split_part(e.event_type, '.', 1)
              AND r.record_id = e.record_id
        WHERE e.known_type AND e.event_type LIKE '%%.updated' AND e.record_id IS NOT NULL
          AND e.received_at >= %(start)s AND e.received_at < %(end)s
        """,
        {"start": day_start(first), "end": day_start(last + timedelta(days=1))},
    ).fetchall()
    return [SyncEvent("webhook", at, fetched, planned, kind) for at, planned, kind, fetched in rows]


def polled_records(conn: psycopg.Connection, first: date, last: date) -> list[SyncEvent]:
    """Raw records WHOOP updated on ``first..last`` that no webhook event named, timed from their
    ``source_updated_at`` to their ``fetched_at``. Records updated before the athlete's consent are
    history a first sync backfilled, not sync latency, and are left out. A PENDING_SCORE record is
    counted but not timed: its updated_at stays at its creation while its payload changes (a current
    cycle gains its end), so it does not date the change we fetched."""
    rows = conn.execute(
        """
        SELECT r.source_updated_at,
               CASE WHEN r.score_state IS DISTINCT FROM 'PENDING_SCORE' THEN r.fetched_at END,
               r.record_type
        FROM wearables_raw_records r
        JOIN wearables_devices dv ON dv.device_id = r.device_id AND dv.consent_granted
        WHERE r.source_updated_at >= %(start)s AND r.source_updated_at < %(end)s
          AND r.source_updated_at >= coalesce(dv.consent_granted_at, '-infinity')
          AND NOT EXISTS (
              SELECT 1 FROM whoop_webhook_events e
              WHERE e.whoop_user_id::text = dv.provider_user_id
                AND e.event_type = r.record_type || '.updated' AND e.record_id = r.record_id)
        """,
        {"start": day_start(first), "end": day_start(last + timedelta(days=1))},
    ).fetchall()
    return [SyncEvent("record", updated, fetched, False, kind) for updated, fetched, kind in rows]


def published_models(conn: psycopg.Connection) -> list[PublishedModel]:
    """Every published run (purpose 'publish'), oldest first: what predictions used, in turn."""
    rows = conn.execute(
        """
        SELECT model_version, published_at, holdout FROM model_runs
        WHERE published AND purpose = 'publish' AND published_at IS NOT NULL
        ORDER BY published_at
        """
    ).fetchall()
    return [PublishedModel(version, at, holdout or {}) for version, at, holdout in rows]


def player_page_timings(conn: psycopg.Connection, first: date, last: date) -> list[PageTiming]:
    """The player page's server times (``page_timings``, sql/023, written by the service's pages) of the
    UTC days ``first..last``."""
    rows = conn.execute(
        """
        SELECT served_at, seconds FROM page_timings
        WHERE page = 'player' AND served_at >= %(start)s AND served_at < %(end)s
        """,
        {"start": day_start(first), "end": day_start(last + timedelta(days=1))},
    ).fetchall()
    return [PageTiming(served_at, seconds) for served_at, seconds in rows]


def write_figures(conn: psycopg.Connection, figures: list[KpiFigure]) -> int:
    """Upsert the figures into ``kpi_daily`` on (day, kpi), in one transaction; ``computed_at`` is now."""
    columns = "day, kpi, value, target, direction, meets_target, sample_size, detail"
    with conn.transaction():
        conn.execute("CREATE TEMP TABLE kpi_stage (LIKE kpi_daily INCLUDING DEFAULTS) ON COMMIT DROP")
        with conn.cursor().copy(f"COPY kpi_stage ({columns}) FROM STDIN") as copy:
            for f in figures:
                row = (f.day, f.kpi, f.value, f.target, f.direction, f.meets_target, f.sample_size)
                copy.write_row((*row, json.dumps(f.detail)))
        _upsert(conn, columns)
        conn.execute("DROP TABLE kpi_stage")
    return len(figures)


def _upsert(conn: psycopg.Connection, columns: str) -> None:
    conn.execute(
        f"""
        INSERT INTO kpi_daily ({columns}, computed_at)
        SELECT {columns}, now() FROM kpi_stage
        ON CONFLICT (day, kpi) DO UPDATE SET
            value = EXCLUDED.value, target = EXCLUDED.target, direction = EXCLUDED.direction,
            meets_target = EXCLUDED.meets_target, sample_size = EXCLUDED.sample_size,
            detail = EXCLUDED.detail, computed_at = EXCLUDED.computed_at
        """
    )


def _figure(row) -> KpiFigure:
    day, kpi, value, sample_size, detail = row
    return KpiFigure(day, kpi, value, sample_size, detail)


def read_figures(conn: psycopg.Connection, first: date, last: date) -> list[KpiFigure]:
    """The rows of ``kpi_daily`` for ``first..last``, by day and KPI."""
    rows = conn.execute(
        """
        SELECT day, kpi, value, sample_size, detail FROM kpi_daily
        WHERE day BETWEEN %(first)s AND %(last)s ORDER BY day, kpi
        """,
        {"first": first, "last": last},
    ).fetchall()
    return [_figure(row) for row in rows]


def latest_figure(conn: psycopg.Connection, kpi: str) -> KpiFigure | None:
    """The KPI's latest measured day, or its latest row when no day was measured (None: no row)."""
    row = conn.execute(
        """
        SELECT day, kpi, value, sample_size, detail FROM kpi_daily
        WHERE kpi = %(kpi)s ORDER BY value IS NULL, day DESC LIMIT 1
        """,
        {"kpi": kpi},
    ).fetchone()
    return None if row is None else _figure(row)
