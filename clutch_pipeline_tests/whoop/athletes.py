"""Players and WHOOP devices written straight into a test database, for tests that start mid-story."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import psycopg

from clutch_pipeline.whoop import store
from clutch_pipeline.whoop.tokens import TokenCipher


def add_player(conn: psycopg.Connection, nba_person_id: int, name: str = "Test Player") -> uuid.UUID:
    return conn.execute(
        "INSERT INTO players (nba_person_id, full_name) VALUES (%s, %s) RETURNING player_id",
        (nba_person_id, name),
    ).fetchone()[0]


def add_device(
    conn: psycopg.Connection,
    cipher: TokenCipher,
    nba_person_id: int,
    *,
    whoop_user_id: int,
    access_token: str = "access-1",
    refresh_token: str = "refresh-1",
    expires_at: datetime,
) -> store.Device:
    """A player with a consented WHOOP device holding the given (encrypted) tokens."""
    player_id = add_player(conn, nba_person_id)
    store.save_authorization(
        conn,
        player_id,
        str(whoop_user_id),
        cipher.encrypt(access_token),
        cipher.encrypt(refresh_token),
        expires_at,
        "offline read:recovery",
        expires_at - timedelta(hours=1),
    )
    (device,) = store.syncable_devices(conn, [nba_person_id])
    return device


def consent_through_oauth(
    conn: psycopg.Connection, app, simulator, person_id: int, clock=None
) -> store.Device:
    """The whole OAuth flow for a player already in ``players``: our state, the athlete's consent at
    the simulated WHOOP, our code exchange. ``conn`` in autocommit mode."""
    from clutch_pipeline.whoop.budget import utc_now
    from clutch_pipeline.whoop.consent import authorization_url, complete_authorization
    from clutch_pipeline_tests.whoop.conftest import authorize_code

    clock = clock or utc_now
    state = authorization_url(conn, app, person_id, clock()).split("state=")[1]
    code = authorize_code(simulator, person_id, state=state)
    with app.open(conn, clock=clock) as session:
        complete_authorization(conn, app, session, code, state)
    (device,) = store.syncable_devices(conn, [person_id])
    return device
