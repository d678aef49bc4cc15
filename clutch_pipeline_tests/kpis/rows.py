"""Hand-made rows of the tables the KPIs read, in plain SQL, with the times each test needs."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import psycopg

_persons = iter(range(3_000_001, 4_000_000))


@dataclass(frozen=True)
class Athlete:
    player_id: uuid.UUID
    device_id: uuid.UUID
    whoop_user_id: int


def at(text: str) -> datetime:
    """'2024-03-01 23:30' as a UTC datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def athlete(
    conn: psycopg.Connection,
    *,
    consented_at: datetime,
    consent: bool = True,
    sync_status: str = "success",
    needs_reauthorization_at: datetime | None = None,
) -> Athlete:
    person = next(_persons)
    player_id = conn.execute(
        "INSERT INTO players (nba_person_id, full_name) VALUES (%s, %s) RETURNING player_id",
        (person, f"Player {person}"),
    ).fetchone()[0]
    device_id = conn.execute(
        """
        INSERT INTO wearables_devices (player_id, provider_user_id, consent_granted, consent_granted_at,
                                       sync_status, needs_reauthorization_at)
        VALUES (%s, %s, %s, %s, %s, %s) RETURNING device_id
        """,
        (player_id, str(person), consent, consented_at, sync_status, needs_reauthorization_at),
    ).fetchone()[0]
    return Athlete(player_id, device_id, person)


def summary(conn: psycopg.Connection, who: Athlete, day, recovery: float | None) -> None:
    conn.execute(
        "INSERT INTO wearables_daily_summary (device_id, player_id, summary_date, recovery_score)"
        " VALUES (%s, %s, %s, %s)",
        (who.device_id, who.player_id, day, recovery),
    )


def record(
    conn: psycopg.Connection,
    who: Athlete,
    record_type: str,
    record_id: str,
    *,
    updated_at: datetime,
    fetched_at: datetime,
    state: str = "SCORED",
    start: datetime | None = None,
    end: datetime | None = None,
    offset: str = "+00:00",
) -> None:
    payload = {"id": record_id, "timezone_offset": offset, "score_state": state}
    conn.execute(
        """
        INSERT INTO wearables_raw_records (device_id, player_id, record_type, record_id, score_state,
            record_start, record_end, source_updated_at, payload, fetched_at)
        VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
        """,
        (
            who.device_id,
            who.player_id,
            record_type,
            record_id,
            state,
            start or updated_at,
            end,
            updated_at,
            json.dumps(payload),
            fetched_at,
        ),
    )


def webhook(
    conn: psycopg.Connection,
    who: Athlete,
    event_type: str,
    record_id: str,
    *,
    received_at: datetime,
    planned_at: datetime | None = None,
) -> None:
    conn.execute(
        """
        INSERT INTO whoop_webhook_events (trace_id, whoop_user_id, event_type, record_id, known_type,
                                          payload, received_at, planned_at)
        VALUES (%s, %s, %s, %s, TRUE, '{}', %s, %s)
        """,
        (str(uuid.uuid4()), who.whoop_user_id, event_type, record_id, received_at, planned_at),
    )


def holdout(rmse: float, sign: float | None, *, baseline_rmse: float = 10.0) -> dict:
    return {
        "train_rows": 80,
        "test_rows": 20,
        "model": {"rmse": rmse, "poe_sign_accuracy": sign, "poe_sign_rows": 18},
        "player_mean_baseline": {"rmse": baseline_rmse, "poe_sign_accuracy": 0.55, "poe_sign_rows": 18},
    }


def model_run(
    conn: psycopg.Connection, version: str, *, published_at: datetime | None, figures: dict, purpose="publish"
) -> None:
    published = published_at is not None
    conn.execute(
        """
        INSERT INTO model_runs (model_version, purpose, started_at, finished_at, seasons, rows, players,
            rows_with_wearables, checks_passed, holdout, trace_uri, trace_sha256, published, published_at,
            not_published_reason)
        VALUES (%s, %s, %s, %s, '{2022-23}', 100, 10, 0, %s, %s, %s, %s, %s, %s, %s)
        """,
        (
            version,
            purpose,
            published_at or at("2024-01-01 00:00"),
            published_at or at("2024-01-01 00:00"),
            published,
            json.dumps(figures),
            "file:///t" if published else None,
            "ab" if published else None,
            published,
            published_at,
            None if published else "checks failed",
        ),
    )
