"""Hand-made WHOOP rows for the daily-summary tests, written with plain SQL as the WHOOP stage writes them
(whoop/store.py, write_records): a raw record with its payload, and its readings (only for a SCORED
record), replaced as a whole when the record changes. Offsets are WHOOP's strings ("-05:00")."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import psycopg

_persons = iter(range(1_000_001, 2_000_000))


@dataclass(frozen=True)
class Athlete:
    player_id: uuid.UUID
    device_id: uuid.UUID


def at(text: str) -> datetime:
    """'2024-03-01 23:30' as a UTC datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def minutes(offset: str) -> int:
    sign = -1 if offset.startswith("-") else 1
    return sign * (int(offset[1:3]) * 60 + int(offset[4:6]))


def athlete(conn: psycopg.Connection, *, consent: bool = True) -> Athlete:
    """A player with a WHOOP device; ``consent=False``: an athlete who revoked it (as revocation leaves
    the device row: no tokens, consent withdrawn)."""
    person = next(_persons)
    player_id = conn.execute(
        "INSERT INTO players (nba_person_id, full_name) VALUES (%s, %s) RETURNING player_id",
        (person, f"Player {person}"),
    ).fetchone()[0]
    device_id = conn.execute(
        """
        INSERT INTO wearables_devices (player_id, provider_user_id, consent_granted, consent_granted_at,
                                       consent_revoked_at, is_active)
        VALUES (%(player)s, %(user)s, %(consent)s, now() - interval '1 day',
                CASE WHEN NOT %(consent)s THEN now() END, %(consent)s)
        RETURNING device_id
        """,
        {"player": player_id, "user": str(person), "consent": consent},
    ).fetchone()[0]
    return Athlete(player_id, device_id)


def _write(
    conn: psycopg.Connection,
    who: Athlete,
    record_type: str,
    record_id: str,
    state: str,
    span: tuple[datetime, datetime | None],
    payload: dict,
    readings: dict[str, float],
    offset: int | None,
    quality: float = 1.0,
    session: str | None = None,
) -> None:
    start, end = span
    with conn.transaction():
        conn.execute(
            """
            INSERT INTO wearables_raw_records (device_id, player_id, record_type, record_id, score_state,
                record_start, record_end, source_updated_at, payload)
            VALUES (%s, %s, %s, %s, %s, %s, %s, clock_timestamp(), %s)
            ON CONFLICT (device_id, record_type, record_id) DO UPDATE SET
                score_state = EXCLUDED.score_state, record_start = EXCLUDED.record_start,
                record_end = EXCLUDED.record_end, source_updated_at = EXCLUDED.source_updated_at,
                payload = EXCLUDED.payload
            """,
            (who.device_id, who.player_id, record_type, record_id, state, start, end, json.dumps(payload)),
        )
        conn.execute(
            "DELETE FROM wearables_readings WHERE device_id = %s AND source_record_type = %s"
            " AND source_record_id = %s",
            (who.device_id, record_type, record_id),
        )
        if state != "SCORED":
            return
        with conn.cursor() as cur:
            cur.executemany(
                """
                INSERT INTO wearables_readings (device_id, player_id, source_record_type, source_record_id,
                    reading_timestamp, reading_end, timezone_offset, metric_type, metric_value,
                    quality_score, source_session_id)
                VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
                """,
                [
                    (
                        who.device_id,
                        who.player_id,
                        record_type,
                        record_id,
                        start,
                        end,
                        offset,
                        metric,
                        value,
                        quality,
                        session or record_id,
                    )
                    for metric, value in readings.items()
                ],
            )


def cycle(
    conn: psycopg.Connection,
    who: Athlete,
    cycle_id: int,
    start: datetime,
    end: datetime | None,
    offset: str,
    *,
    strain: float = 12.0,
    state: str = "SCORED",
) -> None:
    payload = {
        "id": cycle_id,
        "start": start.isoformat(),
        "end": end and end.isoformat(),
        "timezone_offset": offset,
        "score_state": state,
    }
    _write(
        conn,
        who,
        "cycle",
        str(cycle_id),
        state,
        (start, end),
        payload,
        {"day_strain": strain},
        minutes(offset),
    )


def sleep(
    conn: psycopg.Connection,
    who: Athlete,
    start: datetime,
    end: datetime,
    offset: str,
    *,
    nap: bool = False,
    performance: float = 90.0,
    efficiency: float = 92.0,
    respiratory: float = 15.5,
    total: float = 420.0,
    rem: float = 100.0,
    deep: float = 90.0,
    state: str = "SCORED",
    sleep_id: str | None = None,
) -> str:
    sleep_id = sleep_id or str(uuid.uuid4())
    payload = {
        "id": sleep_id,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "timezone_offset": offset,
        "nap": nap,
        "score_state": state,
    }
    readings = {
        "sleep_performance": performance,
        "sleep_efficiency": efficiency,
        "respiratory_rate": respiratory,
        "sleep_total_minutes": total,
        "sleep_rem_minutes": rem,
        "sleep_deep_minutes": deep,
    }
    _write(conn, who, "sleep", sleep_id, state, (start, end), payload, readings, minutes(offset))
    return sleep_id


def recovery(
    conn: psycopg.Connection,
    who: Athlete,
    sleep_id: str,
    wake: datetime,
    offset: str | None,
    *,
    hrv: float = 60.0,
    resting_hr: float = 50.0,
    score: float = 70.0,
    calibrating: bool = False,
    state: str = "SCORED",
) -> None:
    """A recovery is named by its sleep and timed by its sleep's end, with its sleep's offset (None:
    normalized without its sleep)."""
    payload = {"sleep_id": sleep_id, "score_state": state, "score": {"user_calibrating": calibrating}}
    readings = {"recovery_score": score, "resting_heart_rate": resting_hr, "hrv_rmssd": hrv}
    _write(
        conn,
        who,
        "recovery",
        sleep_id,
        state,
        (wake, None),
        payload,
        readings,
        None if offset is None else minutes(offset),
        0.5 if calibrating else 1.0,
    )


def night(
    conn: psycopg.Connection,
    who: Athlete,
    wake: datetime,
    offset: str = "-05:00",
    *,
    hours: float = 8.0,
    hrv: float = 60.0,
    cycle_id: int | None = None,
    **recovery_values: float,
) -> str:
    """A full WHOOP day: the night's sleep ending at ``wake`` (UTC), its recovery, and the cycle that
    started when the sleep did."""
    start = wake - timedelta(hours=hours)
    sleep_id = sleep(conn, who, start, wake, offset, total=hours * 60 - 30)
    recovery(conn, who, sleep_id, wake, offset, hrv=hrv, **recovery_values)
    if cycle_id is not None:
        cycle(conn, who, cycle_id, start, start + timedelta(hours=24), offset)
    return sleep_id


def delete_record(conn: psycopg.Connection, who: Athlete, record_type: str, record_id: str) -> None:
    conn.execute(
        "DELETE FROM wearables_raw_records WHERE device_id = %s AND record_type = %s AND record_id = %s",
        (who.device_id, record_type, record_id),
    )


def queued(conn: psycopg.Connection, consumer: str) -> list[tuple]:
    """The queue's (device, local date) rows of a consumer, sorted."""
    return conn.execute(
        "SELECT device_id, local_date FROM wearables_changed_days WHERE consumer = %s ORDER BY 1, 2",
        (consumer,),
    ).fetchall()


def summaries(conn: psycopg.Connection, who: Athlete) -> dict:
    """The athlete's summary rows by local date, as dicts of their columns."""
    cur = conn.execute(
        "SELECT * FROM wearables_daily_summary WHERE device_id = %s ORDER BY summary_date", (who.device_id,)
    )
    names = [d.name for d in cur.description]
    return {row[names.index("summary_date")]: dict(zip(names, row, strict=True)) for row in cur.fetchall()}


def now(conn: psycopg.Connection) -> datetime:
    return conn.execute("SELECT clock_timestamp()").fetchone()[0]
