"""SQL of the WHOOP stage: OAuth states, devices and their encrypted tokens, sync watermarks, the
request log, and the raw records with their readings.

Tokens pass through here only as Fernet ciphertexts. Record writes happen in the caller's transaction:
a device's batch of records is all or nothing, and writing the same records twice changes nothing.
"""

from __future__ import annotations

import json
import secrets
import string
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum

import psycopg
from psycopg.rows import dict_row

from clutch_pipeline.whoop.normalize import NormalizedRecord

DEVICE_TYPE = "whoop"
_STATE_ALPHABET = string.ascii_letters + string.digits


class UnknownPlayer(LookupError):
    def __init__(self, nba_person_id: int) -> None:
        super().__init__(f"no player with NBA person id {nba_person_id} (load his games first)")
        self.nba_person_id = nba_person_id


class AccountLinkedElsewhere(RuntimeError):
    """The WHOOP account is already linked to another player's device."""


class DeviceLinkedToAnotherAccount(RuntimeError):
    """The player's device belongs to another WHOOP account, whose data it may hold: one athlete's
    device never mixes two people's records, so the link changes only after a revocation (which
    deletes the old account's data)."""

    def __init__(self) -> None:
        super().__init__(
            "this player's WHOOP device is linked to another WHOOP account; revoke his consent first"
            " (which deletes that account's data), then authorize the new account"
        )


# -- OAuth states ----------------------------------------------------------------------------------


def player_uuid(conn: psycopg.Connection, nba_person_id: int) -> uuid.UUID:
    row = conn.execute("SELECT player_id FROM players WHERE nba_person_id = %s", (nba_person_id,)).fetchone()
    if row is None:
        raise UnknownPlayer(nba_person_id)
    return row[0]


def known_players(conn: psycopg.Connection, nba_person_ids: Sequence[int]) -> list[int]:
    """Those of the ids that are players in our tables (consent can only be asked of them)."""
    rows = conn.execute(
        "SELECT nba_person_id FROM players WHERE nba_person_id = ANY(%s) ORDER BY 1", (list(nba_person_ids),)
    ).fetchall()
    return [person_id for (person_id,) in rows]


def create_oauth_state(conn: psycopg.Connection, nba_person_id: int, now: datetime, ttl: timedelta) -> str:
    """A new eight-character state bound to the player, valid for ``ttl``."""
    player_id = player_uuid(conn, nba_person_id)
    while True:
        state = "".join(secrets.choice(_STATE_ALPHABET) for _ in range(8))
        row = conn.execute(
            """
            INSERT INTO whoop_oauth_states (state, player_id, created_at, expires_at)
            VALUES (%s, %s, %s, %s) ON CONFLICT (state) DO NOTHING RETURNING state
            """,
            (state, player_id, now, now + ttl),
        ).fetchone()
        if row is not None:
            return state


def consume_oauth_state(conn: psycopg.Connection, state: str, now: datetime) -> uuid.UUID | None:
    """The player a state was issued for, marking it used; None when it is unknown, expired or used."""
    row = conn.execute(
        """
        UPDATE whoop_oauth_states SET used_at = %(now)s
        WHERE state = %(state)s AND used_at IS NULL AND expires_at > %(now)s
        RETURNING player_id
        """,
        {"state": state, "now": now},
    ).fetchone()
    return row[0] if row else None


def delete_expired_states(conn: psycopg.Connection, now: datetime) -> int:
    return conn.execute(
        "DELETE FROM whoop_oauth_states WHERE expires_at < %s - interval '1 day'", (now,)
    ).rowcount


# -- Devices and tokens ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Device:
    device_id: uuid.UUID
    player_id: uuid.UUID
    nba_person_id: int
    provider_user_id: str | None
    last_sync_at: datetime | None


@dataclass(frozen=True)
class StoredTokens:
    access_token_encrypted: str | None
    refresh_token_encrypted: str | None
    token_expires_at: datetime | None


def save_authorization(
    conn: psycopg.Connection,
    player_id: uuid.UUID,
    provider_user_id: str,
    access_encrypted: str,
    refresh_encrypted: str | None,
    expires_at: datetime,
    scopes: str,
    now: datetime,
) -> uuid.UUID:
    """Grant consent and store the tokens on the athlete's WHOOP device row (created if needed).

    The same WHOOP account may authorize again at any time (new tokens, same data). Another account
    may take over the device only once consent was revoked, since revocation deleted the old
    account's data; otherwise ``DeviceLinkedToAnotherAccount`` and nothing changes. The check is part
    of the upsert, so two callbacks racing for one athlete cannot both win.
    """
    try:
        with conn.transaction():
            row = conn.execute(
                """
                INSERT INTO wearables_devices (
                    player_id, device_type, provider_user_id, access_token_encrypted,
                    refresh_token_encrypted, token_expires_at, granted_scopes, consent_granted,
                    consent_granted_at)
                VALUES (%(player)s, %(type)s, %(user)s, %(access)s, %(refresh)s, %(expires)s, %(scopes)s,
                        TRUE, %(now)s)
                ON CONFLICT (player_id, device_type) DO UPDATE SET
                    provider_user_id = EXCLUDED.provider_user_id,
                    access_token_encrypted = EXCLUDED.access_token_encrypted,
                    refresh_token_encrypted = EXCLUDED.refresh_token_encrypted,
                    token_expires_at = EXCLUDED.token_expires_at,
                    granted_scopes = EXCLUDED.granted_scopes,
                    consent_granted = TRUE,
                    consent_granted_at = EXCLUDED.consent_granted_at,
                    consent_revoked_at = NULL,
                    needs_reauthorization_at = NULL,
                    is_active = TRUE,
                    sync_status = 'pending',
                    sync_error_message = NULL
                WHERE wearables_devices.provider_user_id IS NOT DISTINCT FROM EXCLUDED.provider_user_id
                   OR wearables_devices.provider_user_id IS NULL
                   OR NOT wearables_devices.consent_granted
                RETURNING device_id
                """,
                {
                    "player": player_id,
                    "type": DEVICE_TYPE,
                    "user": provider_user_id,
                    "access": access_encrypted,
                    "refresh": refresh_encrypted,
                    "expires": expires_at,
                    "scopes": scopes,
                    "now": now,
                },
            ).fetchone()
    except psycopg.errors.UniqueViolation:
        raise AccountLinkedElsewhere(
            f"WHOOP user {provider_user_id} is already linked to another player's device"
        ) from None
    if row is None:
        raise DeviceLinkedToAnotherAccount()
    return row[0]


def stored_tokens(conn: psycopg.Connection, device_id: uuid.UUID) -> StoredTokens | None:
    row = conn.execute(
        """
        SELECT access_token_encrypted, refresh_token_encrypted, token_expires_at FROM wearables_devices
        WHERE device_id = %s AND consent_granted AND needs_reauthorization_at IS NULL
        """,
        (device_id,),
    ).fetchone()
    return StoredTokens(*row) if row else None


def store_tokens(
    conn: psycopg.Connection,
    device_id: uuid.UUID,
    access_encrypted: str,
    refresh_encrypted: str | None,
    expires_at: datetime,
) -> None:
    """Replace the token pair in one statement: a rotated pair is never half written."""
    conn.execute(
        """
        UPDATE wearables_devices
        SET access_token_encrypted = %s, refresh_token_encrypted = %s, token_expires_at = %s
        WHERE device_id = %s AND consent_granted
        """,
        (access_encrypted, refresh_encrypted, expires_at, device_id),
    )


def mark_needs_reauthorization(
    conn: psycopg.Connection, device_id: uuid.UUID, now: datetime, reason: str
) -> None:
    """Stop syncing the device until the athlete authorizes again; its dead tokens are dropped."""
    conn.execute(
        """
        UPDATE wearables_devices
        SET needs_reauthorization_at = %s, access_token_encrypted = NULL, refresh_token_encrypted = NULL,
            token_expires_at = NULL, sync_status = 'error', sync_error_message = %s
        WHERE device_id = %s
        """,
        (now, reason, device_id),
    )


def all_encrypted_tokens(conn: psycopg.Connection) -> list[tuple[uuid.UUID, str | None, str | None]]:
    return conn.execute(
        """
        SELECT device_id, access_token_encrypted, refresh_token_encrypted FROM wearables_devices
        WHERE access_token_encrypted IS NOT NULL OR refresh_token_encrypted IS NOT NULL
        ORDER BY device_id FOR UPDATE
        """
    ).fetchall()


def replace_encrypted_tokens(
    conn: psycopg.Connection,
    device_id: uuid.UUID,
    access_encrypted: str | None,
    refresh_encrypted: str | None,
) -> None:
    conn.execute(
        "UPDATE wearables_devices SET access_token_encrypted = %s, refresh_token_encrypted = %s "
        "WHERE device_id = %s",
        (access_encrypted, refresh_encrypted, device_id),
    )


def syncable_devices(
    conn: psycopg.Connection,
    nba_person_ids: Sequence[int] | None = None,
    *,
    not_synced_since: datetime | None = None,
) -> list[Device]:
    """Devices with consent and live tokens: all, those of the given players, or those not synced
    successfully since a moment (never-synced ones first)."""
    rows = conn.execute(
        """
        SELECT d.device_id, d.player_id, p.nba_person_id, d.provider_user_id, d.last_sync_at
        FROM wearables_devices d JOIN players p USING (player_id)
        WHERE d.device_type = 'whoop' AND d.consent_granted AND d.is_active
          AND d.needs_reauthorization_at IS NULL AND d.refresh_token_encrypted IS NOT NULL
          AND (%(ids)s::bigint[] IS NULL OR p.nba_person_id = ANY(%(ids)s))
          AND (%(since)s::timestamptz IS NULL OR d.last_sync_at IS NULL OR d.last_sync_at <= %(since)s)
        ORDER BY d.last_sync_at NULLS FIRST, p.nba_person_id
        """,
        {"ids": list(nba_person_ids) if nba_person_ids is not None else None, "since": not_synced_since},
    ).fetchall()
    return [Device(*row) for row in rows]


def set_sync_status(
    conn: psycopg.Connection, device_id: uuid.UUID, status: str, now: datetime, message: str | None = None
) -> None:
    """'syncing', 'success' (stamps last_sync_at) or 'error' with its message."""
    conn.execute(
        """
        UPDATE wearables_devices
        SET sync_status = %(status)s::varchar, sync_error_message = %(message)s,
            last_sync_at = CASE WHEN %(status)s::varchar = 'success' THEN %(now)s ELSE last_sync_at END
        WHERE device_id = %(device)s
        """,
        {"status": status, "message": message, "now": now, "device": device_id},
    )


def consent_status(conn: psycopg.Connection, nba_person_id: int) -> dict | None:
    """The player's WHOOP consent and sync state, or None for an unknown player."""
    with conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute(
            """
            SELECT p.nba_person_id, d.device_id IS NOT NULL AS has_device,
                   COALESCE(d.consent_granted, FALSE) AS consent_granted, d.consent_granted_at,
                   d.consent_revoked_at, d.needs_reauthorization_at IS NOT NULL AS needs_reauthorization,
                   d.sync_status, d.sync_error_message, d.last_sync_at
            FROM players p
            LEFT JOIN wearables_devices d ON d.player_id = p.player_id AND d.device_type = 'whoop'
            WHERE p.nba_person_id = %s
            """,
            (nba_person_id,),
        ).fetchone()
    return row


# -- Sync watermarks ---------------------------------------------------------------------------------


def watermarks(conn: psycopg.Connection, device_id: uuid.UUID) -> dict[str, datetime]:
    rows = conn.execute(
        "SELECT record_type, synced_through FROM wearables_sync_state WHERE device_id = %s", (device_id,)
    ).fetchall()
    return dict(rows)


def oldest_pending(conn: psycopg.Connection, device_id: uuid.UUID) -> dict[str, datetime]:
    """Per record type, where a window must start to fetch again the records still PENDING_SCORE.

    WHOOP's collections filter on a record's start, and recoveries on their sleep's start, so a
    pending recovery is located by its sleep (stored under the same id); a day earlier when that
    sleep is missing.
    """
    rows = conn.execute(
        """
        SELECT r.record_type,
               min(CASE WHEN r.record_type = 'recovery'
                        THEN COALESCE(s.record_start, r.record_start - interval '1 day')
                        ELSE COALESCE(r.record_start, r.source_updated_at) END)
        FROM wearables_raw_records r
        LEFT JOIN wearables_raw_records s
               ON r.record_type = 'recovery' AND s.device_id = r.device_id AND s.record_type = 'sleep'
              AND s.record_id = r.record_id
        WHERE r.device_id = %s AND r.score_state = 'PENDING_SCORE'
        GROUP BY r.record_type
        """,
        (device_id,),
    ).fetchall()
    return dict(rows)


def advance_watermarks(
    conn: psycopg.Connection, device_id: uuid.UUID, through: dict[str, datetime], now: datetime
) -> None:
    """Move the watermarks of the given record types forward (never back), in one statement;
    ``updated_at`` is the sync's own time (the request planner reads it)."""
    conn.execute(
        """
        INSERT INTO wearables_sync_state (device_id, record_type, synced_through, updated_at)
        SELECT %s, t, s, %s FROM unnest(%s::text[], %s::timestamptz[]) AS w(t, s)
        ON CONFLICT (device_id, record_type) DO UPDATE
            SET synced_through = greatest(wearables_sync_state.synced_through, EXCLUDED.synced_through),
                updated_at = EXCLUDED.updated_at
        """,
        (device_id, now, list(through), list(through.values())),
    )


# -- The request budget --------------------------------------------------------------------------------


def take_request(conn: psycopg.Connection, kind: str, now: datetime, per_minute: int, per_day: int) -> float:
    """0 when a request may go (it is recorded), else the seconds to wait for a free slot."""
    row = conn.execute(
        "SELECT whoop_take_request(%s, %s, %s, %s)", (kind, now, per_minute, per_day)
    ).fetchone()
    return float(row[0])


def requests_since(conn: psycopg.Connection, now: datetime, *, seconds: int) -> int:
    row = conn.execute(
        "SELECT count(*) FROM whoop_api_requests WHERE requested_at > %s - make_interval(secs => %s)",
        (now, seconds),
    ).fetchone()
    return row[0]


# -- Records and readings ------------------------------------------------------------------------------


def raw_payloads(
    conn: psycopg.Connection, device_id: uuid.UUID, record_type: str, record_ids: Iterable[str]
) -> dict[str, dict]:
    rows = conn.execute(
        """
        SELECT record_id, payload FROM wearables_raw_records
        WHERE device_id = %s AND record_type = %s AND record_id = ANY(%s)
        """,
        (device_id, record_type, list(record_ids)),
    ).fetchall()
    return dict(rows)


@dataclass(frozen=True)
class WriteCounts:
    """What a write changed, by record type (each WHOOP asset reports its own)."""

    changed: dict[str, int] = field(default_factory=dict)  # records new or changed
    readings: dict[str, int] = field(default_factory=dict)  # readings written for them

    @property
    def records_changed(self) -> int:
        return sum(self.changed.values())

    @property
    def readings_written(self) -> int:
        return sum(self.readings.values())


def write_records(
    conn: psycopg.Connection, device: Device, records: Sequence[NormalizedRecord]
) -> WriteCounts:
    """Store records raw and replace the readings of every record that is new or changed.

    A record whose payload is unchanged is left alone (a re-sync writes nothing); an older version
    than the one stored (a slow request racing a newer one) never replaces it. Runs in the caller's
    transaction (or its own; the staging tables need one).
    """
    if not records:
        return WriteCounts()
    with conn.transaction():  # a savepoint inside the caller's transaction, else its own
        return _write_records(conn, device, records)


def _write_records(
    conn: psycopg.Connection, device: Device, records: Sequence[NormalizedRecord]
) -> WriteCounts:
    latest: dict[tuple[str, str], NormalizedRecord] = {}
    for record in records:
        key = (record.record_type, record.record_id)
        if key not in latest or record.source_updated_at >= latest[key].source_updated_at:
            latest[key] = record
    conn.execute(
        """
        CREATE TEMP TABLE IF NOT EXISTS whoop_raw_stage (
            record_type TEXT, record_id TEXT, score_state TEXT, record_start TIMESTAMPTZ,
            record_end TIMESTAMPTZ, source_updated_at TIMESTAMPTZ, payload JSONB)
        ON COMMIT DELETE ROWS;
        CREATE TEMP TABLE IF NOT EXISTS whoop_readings_stage (
            record_type TEXT, record_id TEXT, reading_timestamp TIMESTAMPTZ, reading_end TIMESTAMPTZ,
            timezone_offset INTEGER, metric_type TEXT, metric_value NUMERIC, metric_unit TEXT,
            quality_score NUMERIC, activity_state TEXT, source_session_id TEXT)
        ON COMMIT DELETE ROWS;
        CREATE TEMP TABLE IF NOT EXISTS whoop_changed (record_type TEXT, record_id TEXT)
        ON COMMIT DELETE ROWS;
        """
    )
    with conn.cursor().copy(
        "COPY whoop_raw_stage (record_type, record_id, score_state, record_start, record_end, "
        "source_updated_at, payload) FROM STDIN"
    ) as copy:
        for r in latest.values():
            copy.write_row(
                (
                    r.record_type,
                    r.record_id,
                    r.score_state,
                    r.record_start,
                    r.record_end,
                    r.source_updated_at,
                    json.dumps(r.payload, separators=(",", ":")),
                )
            )
    with conn.cursor().copy(
        "COPY whoop_readings_stage (record_type, record_id, reading_timestamp, reading_end, timezone_offset, "
        "metric_type, metric_value, metric_unit, quality_score, activity_state, source_session_id) FROM STDIN"
    ) as copy:
        for r in latest.values():
            for g in r.readings:
                copy.write_row(
                    (
                        r.record_type,
                        r.record_id,
                        g.reading_timestamp,
                        g.reading_end,
                        g.timezone_offset,
                        g.metric_type,
                        g.metric_value,
                        g.metric_unit,
                        g.quality_score,
                        g.activity_state,
                        g.source_session_id,
                    )
                )
    params = {"device": device.device_id, "player": device.player_id}
    conn.execute(
        """
        WITH upserted AS (
            INSERT INTO wearables_raw_records (device_id, player_id, record_type, record_id, score_state,
                record_start, record_end, source_updated_at, payload)
            SELECT %(device)s, %(player)s, record_type, record_id, score_state, record_start, record_end,
                   source_updated_at, payload
            FROM whoop_raw_stage
            ON CONFLICT (device_id, record_type, record_id) DO UPDATE SET
                score_state = EXCLUDED.score_state, record_start = EXCLUDED.record_start,
                record_end = EXCLUDED.record_end, source_updated_at = EXCLUDED.source_updated_at,
                payload = EXCLUDED.payload, fetched_at = now()
            WHERE wearables_raw_records.payload IS DISTINCT FROM EXCLUDED.payload
              AND wearables_raw_records.source_updated_at <= EXCLUDED.source_updated_at
            RETURNING record_type, record_id
        )
        INSERT INTO whoop_changed SELECT * FROM upserted
        """,
        params,
    )
    conn.execute(
        """
        DELETE FROM wearables_readings r USING whoop_changed c
        WHERE r.device_id = %(device)s AND r.source_record_type = c.record_type
          AND r.source_record_id = c.record_id
        """,
        params,
    )
    written = conn.execute(
        """
        WITH written AS (
            INSERT INTO wearables_readings (device_id, player_id, source_record_type, source_record_id,
                reading_timestamp, reading_end, timezone_offset, metric_type, metric_value, metric_unit,
                quality_score, activity_state, source_session_id)
            SELECT %(device)s, %(player)s, s.record_type, s.record_id, s.reading_timestamp, s.reading_end,
                   s.timezone_offset, s.metric_type, s.metric_value, s.metric_unit, s.quality_score,
                   s.activity_state, s.source_session_id
            FROM whoop_readings_stage s JOIN whoop_changed c USING (record_type, record_id)
            RETURNING source_record_type
        )
        SELECT source_record_type, count(*) FROM written GROUP BY 1
        """,
        params,
    ).fetchall()
    changed = conn.execute("SELECT record_type, count(*) FROM whoop_changed GROUP BY 1").fetchall()
    conn.execute("TRUNCATE whoop_raw_stage, whoop_readings_stage, whoop_changed")
    return WriteCounts(dict(changed), dict(written))


# -- Webhook events ------------------------------------------------------------------------------------


class WebhookOutcome(Enum):
    STORED = "stored"
    DUPLICATE = "duplicate"  # WHOOP delivered the trace id before
    CONSENT_REVOKED = "consent revoked"  # the user's athlete withdrew consent: dropped, not stored


def store_webhook_event(conn: psycopg.Connection, event, now: datetime) -> WebhookOutcome:
    """Keep a verified event once per trace id, unless its WHOOP user's device has consent withdrawn.

    The device row is share-locked, so an event racing a revocation waits for it and is then dropped
    (rather than slipping in after the revocation deleted the user's events).
    """
    row = conn.execute(
        """
        WITH device AS (
            SELECT consent_granted FROM wearables_devices
            WHERE device_type = 'whoop' AND provider_user_id = %(user_text)s
            FOR KEY SHARE
        ),
        inserted AS (
            INSERT INTO whoop_webhook_events (trace_id, whoop_user_id, event_type, record_id, known_type,
                                              payload, received_at)
            SELECT %(trace)s, %(user)s::bigint, %(type)s, %(record)s, %(known)s, %(payload)s::jsonb, %(now)s
            WHERE NOT EXISTS (SELECT 1 FROM device WHERE NOT consent_granted)
            ON CONFLICT (trace_id) DO NOTHING
            RETURNING event_id
        )
        SELECT EXISTS (SELECT 1 FROM device WHERE NOT consent_granted), EXISTS (SELECT 1 FROM inserted)
        """,
        {
            "trace": event.trace_id,
            "user": event.user_id,
            "user_text": str(event.user_id) if event.user_id is not None else None,
            "type": event.event_type,
            "record": event.record_id,
            "known": event.known,
            "payload": json.dumps(event.payload),
            "now": now,
        },
    ).fetchone()
    revoked, inserted = row
    if revoked:
        return WebhookOutcome.CONSENT_REVOKED
    return WebhookOutcome.STORED if inserted else WebhookOutcome.DUPLICATE


@dataclass(frozen=True)
class StoredEvent:
    event_id: int
    whoop_user_id: int | None
    event_type: str
    record_id: str | None
    known_type: bool


def webhook_events_after(conn: psycopg.Connection, event_id: int, limit: int) -> list[StoredEvent]:
    rows = conn.execute(
        """
        SELECT event_id, whoop_user_id, event_type, record_id, known_type FROM whoop_webhook_events
        WHERE event_id > %s ORDER BY event_id LIMIT %s
        """,
        (event_id, limit),
    ).fetchall()
    return [StoredEvent(*row) for row in rows]


def syncable_devices_of_users(conn: psycopg.Connection, whoop_user_ids: Sequence[int]) -> dict[int, Device]:
    """Consented devices by WHOOP user id (users without one are absent: nothing is synced for them)."""
    rows = conn.execute(
        """
        SELECT d.device_id, d.player_id, p.nba_person_id, d.provider_user_id, d.last_sync_at
        FROM wearables_devices d JOIN players p USING (player_id)
        WHERE d.device_type = 'whoop' AND d.provider_user_id = ANY(%s::text[])
          AND d.consent_granted AND d.is_active AND d.needs_reauthorization_at IS NULL
        """,
        ([str(u) for u in whoop_user_ids],),
    ).fetchall()
    return {int(row[3]): Device(*row) for row in rows}


def delete_records(
    conn: psycopg.Connection, device: Device, refs: Iterable[tuple[str, str]]
) -> dict[str, int]:
    """Remove records WHOOP deleted; their readings go with them (foreign key cascade). How many
    records went, by record type."""
    refs = list(refs)
    if not refs:
        return {}
    rows = conn.execute(
        """
        WITH gone AS (
            DELETE FROM wearables_raw_records r
            USING unnest(%s::text[], %s::text[]) AS gone(record_type, record_id)
            WHERE r.device_id = %s AND r.record_type = gone.record_type AND r.record_id = gone.record_id
            RETURNING r.record_type
        )
        SELECT record_type, count(*) FROM gone GROUP BY 1
        """,
        ([t for t, _ in refs], [i for _, i in refs], device.device_id),
    ).fetchall()
    return dict(rows)


# -- Revocation ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConsentRecord:
    device_id: uuid.UUID
    player_id: uuid.UUID
    provider_user_id: str | None
    consent_granted: bool
    access_token_encrypted: str | None


def consent_record(conn: psycopg.Connection, nba_person_id: int) -> ConsentRecord | None:
    """The player's WHOOP device row, locked for the caller's transaction."""
    row = conn.execute(
        """
        SELECT d.device_id, d.player_id, d.provider_user_id, d.consent_granted, d.access_token_encrypted
        FROM wearables_devices d JOIN players p USING (player_id)
        WHERE p.nba_person_id = %s AND d.device_type = 'whoop'
        FOR UPDATE OF d
        """,
        (nba_person_id,),
    ).fetchone()
    return ConsentRecord(*row) if row else None


def record_revocation(conn: psycopg.Connection, device_id: uuid.UUID, now: datetime) -> None:
    """Keep the device row as the record of consent: revoked, no tokens, nothing to sync."""
    conn.execute(
        """
        UPDATE wearables_devices
        SET consent_granted = FALSE, consent_revoked_at = %s, access_token_encrypted = NULL,
            refresh_token_encrypted = NULL, token_expires_at = NULL, granted_scopes = NULL,
            needs_reauthorization_at = NULL, sync_status = 'pending', sync_error_message = NULL,
            last_sync_at = NULL
        WHERE device_id = %s
        """,
        (now, device_id),
    )


# -- The request planner's view ------------------------------------------------------------------------


def set_aside_unplannable_events(conn: psycopg.Connection, now: datetime) -> dict[str, int]:
    """Mark pending events that ask for nothing as handled: unknown types, users without consent."""
    unknown = conn.execute(
        "UPDATE whoop_webhook_events SET planned_at = %s WHERE planned_at IS NULL AND NOT known_type",
        (now,),
    ).rowcount
    orphan = conn.execute(
        """
        UPDATE whoop_webhook_events e SET planned_at = %s
        WHERE e.planned_at IS NULL AND NOT EXISTS (
            SELECT 1 FROM wearables_devices d
            WHERE d.device_type = 'whoop' AND d.provider_user_id = e.whoop_user_id::text
              AND d.consent_granted AND d.is_active AND d.needs_reauthorization_at IS NULL)
        """,
        (now,),
    ).rowcount
    return {"unknown event type": unknown, "no consented device for the user": orphan}


@dataclass(frozen=True)
class PendingEvent:
    event_id: int
    nba_person_id: int
    event_type: str
    record_id: str
    received_at: datetime


def pending_events(conn: psycopg.Connection, limit: int) -> list[PendingEvent]:
    """Known events of consented athletes not yet handed to a sync run, oldest first."""
    rows = conn.execute(
        """
        SELECT e.event_id, p.nba_person_id, e.event_type, e.record_id, e.received_at
        FROM whoop_webhook_events e
        JOIN wearables_devices d ON d.device_type = 'whoop' AND d.provider_user_id = e.whoop_user_id::text
        JOIN players p ON p.player_id = d.player_id
        WHERE e.planned_at IS NULL AND e.known_type AND d.consent_granted
        ORDER BY e.event_id LIMIT %s
        """,
        (limit,),
    ).fetchall()
    return [PendingEvent(*row) for row in rows]


def mark_events_planned(conn: psycopg.Connection, event_ids: Sequence[int], now: datetime) -> None:
    conn.execute(
        "UPDATE whoop_webhook_events SET planned_at = %s WHERE event_id = ANY(%s)", (now, list(event_ids))
    )


@dataclass(frozen=True)
class AthleteState:
    nba_person_id: int
    token_expires_at: datetime | None
    last_cycle_sync: datetime | None
    last_reconciled: datetime | None
    last_tipoff: datetime | None
    next_tipoff: datetime | None


def athlete_states(conn: psycopg.Connection, now: datetime) -> list[AthleteState]:
    """Each consented athlete: token expiry, when his cycle and all four collections were last synced
    incrementally, and his team's latest and next tip-off (his team: the one he played for in his
    latest game of the last 60 days, from ``nba_game_players``)."""
    rows = conn.execute(
        """
        WITH athletes AS (
            SELECT d.device_id, p.player_id, p.nba_person_id, d.token_expires_at
            FROM wearables_devices d JOIN players p USING (player_id)
            WHERE d.device_type = 'whoop' AND d.consent_granted AND d.is_active
              AND d.needs_reauthorization_at IS NULL AND d.refresh_token_encrypted IS NOT NULL
        ),
        marks AS (
            SELECT s.device_id,
                   max(s.updated_at) FILTER (WHERE s.record_type = 'cycle') AS last_cycle_sync,
                   CASE WHEN count(*) = 4 THEN min(s.updated_at) END AS last_reconciled
            FROM wearables_sync_state s JOIN athletes a USING (device_id)
            GROUP BY s.device_id
        ),
        team_of AS (
            SELECT DISTINCT ON (a.nba_person_id) a.nba_person_id AS person, t.nba_team_id AS team
            FROM athletes a
            JOIN nba_game_players gp ON gp.player_id = a.player_id
            JOIN games g ON g.game_id = gp.game_id
            JOIN teams t ON t.team_id = gp.team_id
            WHERE g.game_date BETWEEN (%(now)s - interval '60 days')::date AND %(now)s::date
            ORDER BY a.nba_person_id, g.game_date DESC, g.tipoff_at DESC NULLS LAST
        ),
        near AS (
            SELECT gm.tipoff_at, h.nba_team_id AS home, w.nba_team_id AS away
            FROM games gm
            JOIN teams h ON h.team_id = gm.home_team_id
            JOIN teams w ON w.team_id = gm.away_team_id
            WHERE gm.tipoff_at BETWEEN %(now)s - interval '2 days' AND %(now)s + interval '3 days'
        ),
        tipoffs AS (
            SELECT t.person,
                   max(g.tipoff_at) FILTER (WHERE g.tipoff_at <= %(now)s) AS last_tipoff,
                   min(g.tipoff_at) FILTER (WHERE g.tipoff_at > %(now)s) AS next_tipoff
            FROM team_of t JOIN near g ON t.team IN (g.home, g.away)
            GROUP BY t.person
        )
        SELECT a.nba_person_id, a.token_expires_at, m.last_cycle_sync, m.last_reconciled,
               o.last_tipoff, o.next_tipoff
        FROM athletes a
        LEFT JOIN marks m USING (device_id)
        LEFT JOIN tipoffs o ON o.person = a.nba_person_id
        ORDER BY a.nba_person_id
        """,
        {"now": now},
    ).fetchall()
    return [AthleteState(*row) for row in rows]
