"""PostgreSQL advisory locks that serialize work on one device, one game, or the schema.

Dagster pools cap how much runs at once; they do not stop an hourly sync, a webhook-driven sync and a
backfill from working on the same device at the same moment. These locks do, across processes and
machines, because every worker shares the database. Keys are hashed with ``hashtext``: two keys that
collide only serialize more than needed, they never let two workers in at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from enum import IntEnum

import psycopg
from psycopg.pq import TransactionStatus


class LockScope(IntEnum):
    """The first half of the two-int advisory lock key, one per kind of thing locked."""

    SCHEMA = 1
    WHOOP_DEVICE = 2
    NBA_GAME = 3
    WHOOP_TOKEN = 4
    WHOOP_RATE_LIMIT = 5  # taken inside the SQL function whoop_take_request (sql/007_whoop_sync.sql)
    MAIN_JOB = 6  # one `clutch run` per database at a time


class LockBusy(RuntimeError):
    def __init__(self, scope: LockScope, key: str):
        super().__init__(f"{scope.name.lower()} {key} is locked by another worker")
        self.scope = scope
        self.key = key


@contextmanager
def advisory_lock(
    conn: psycopg.Connection, scope: LockScope, key: str, *, wait: bool = True
) -> Iterator[None]:
    """Hold a session-level advisory lock on (scope, key) for the ``with`` block.

    ``wait=False`` raises ``LockBusy`` at once instead of queueing behind the holder.
    """
    if wait:
        conn.execute("SELECT pg_advisory_lock(%s, hashtext(%s))", (int(scope), key))
    else:
        row = conn.execute("SELECT pg_try_advisory_lock(%s, hashtext(%s))", (int(scope), key)).fetchone()
        if not row[0]:
            raise LockBusy(scope, key)
    try:
        yield
    finally:
        if not conn.closed:  # a closed session has released its locks already
            if conn.info.transaction_status == TransactionStatus.INERROR:
                conn.rollback()
            conn.execute("SELECT pg_advisory_unlock(%s, hashtext(%s))", (int(scope), key))


def device_lock(conn: psycopg.Connection, device_id: str, *, wait: bool = True):
    """Serialize syncs, token refreshes and deletions of one wearables device."""
    return advisory_lock(conn, LockScope.WHOOP_DEVICE, str(device_id), wait=wait)


def token_lock(conn: psycopg.Connection, device_id: str, *, wait: bool = True):
    """Make token refreshes of one device single-flight: WHOOP rotates refresh tokens, so two workers
    spending the same one would lock the athlete out. Separate from ``device_lock`` because a sync that
    holds the device lock refreshes its token on the way."""
    return advisory_lock(conn, LockScope.WHOOP_TOKEN, str(device_id), wait=wait)


def game_lock(conn: psycopg.Connection, nba_game_id: str, *, wait: bool = True):
    """Serialize loads and rebuilds of one NBA game."""
    return advisory_lock(conn, LockScope.NBA_GAME, nba_game_id, wait=wait)
