"""An athlete's consent, through WHOOP's OAuth authorization-code flow.

1. ``authorization_url``: a single-use eight-character ``state`` bound to the player, stored with an
   expiry, and WHOOP's authorize URL with every read scope plus ``offline``.
2. WHOOP sends the athlete back to our callback with ``code`` and ``state``; ``complete_authorization``
   checks and spends the state, exchanges the code, reads the WHOOP user id from the basic profile, and
   stores the tokens encrypted, with consent granted, on the athlete's device row.
3. ``revoke_consent`` withdraws it and deletes his wearables data everywhere it went.

One athlete, one WHOOP account. Whoever follows an authorize URL logs in at WHOOP as whomever he
likes, so the state says which athlete, not which WHOOP account. The first account to authorize links
the athlete's device; later authorizations must come from that same account (new tokens, same data).
Another account is refused (``store.DeviceLinkedToAnotherAccount``, HTTP 409) and nothing is stored:
its tokens are dropped, the device keeps the first account's tokens and data. To move an athlete to
another WHOOP account, revoke his consent first (which deletes the old account's data; its webhook
events are dropped while the device stays revoked); the next authorization may then come from any
account not linked to another athlete.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import psycopg

from clutch_pipeline.db.locks import device_lock
from clutch_pipeline.db.store import delete_player_wearables
from clutch_pipeline.http_retry import HttpGaveUp
from clutch_pipeline.whoop import client, store
from clutch_pipeline.whoop.access import NeedsReauthorization
from clutch_pipeline.whoop.app import WhoopApp, WhoopSession
from clutch_pipeline.whoop.client import WhoopError
from clutch_pipeline.whoop.tokens import TokenKeyError

log = logging.getLogger(__name__)

STATE_TTL = timedelta(minutes=15)


class InvalidState(ValueError):
    """The state is unknown, expired or already used: nothing is stored."""


@dataclass(frozen=True)
class Authorization:
    device_id: uuid.UUID
    player_id: uuid.UUID
    whoop_user_id: int
    scopes: str


def authorization_url(
    conn: psycopg.Connection, app: WhoopApp, nba_person_id: int, now: datetime, ttl: timedelta = STATE_TTL
) -> str:
    """WHOOP's authorize URL for the player, with a fresh state (committed before it is handed out)."""
    with conn.transaction():
        state = store.create_oauth_state(conn, nba_person_id, now, ttl)
    return client.authorization_url(app.base_url, app.client_id, app.redirect_uri, state)


def complete_authorization(
    conn: psycopg.Connection, app: WhoopApp, session: WhoopSession, code: str, state: str
) -> Authorization:
    """Spend the state, exchange the code and store the athlete's tokens.

    Raises ``InvalidState`` (nothing stored), ``client.InvalidGrant`` (WHOOP refused the code: the
    state is spent, the athlete starts again), ``store.AccountLinkedElsewhere`` (the WHOOP account is
    another athlete's), ``store.DeviceLinkedToAnotherAccount`` (this athlete's device is another WHOOP
    account's), or ``HttpGaveUp``. In the two refusals the state is spent and nothing else stored.
    """
    now = session.clock()
    with conn.transaction():
        player_id = store.consume_oauth_state(conn, state, now)
    if player_id is None:
        raise InvalidState("unknown, expired or already used state")
    grant = session.api.exchange_code(code, app.redirect_uri)
    profile = session.api.profile(grant.access_token)
    pair = grant.pair(session.clock())
    try:
        device_id = store.save_authorization(
            conn,
            player_id,
            str(profile["user_id"]),
            app.cipher.encrypt(pair.access_token),
            app.cipher.encrypt(pair.refresh_token) if pair.refresh_token else None,
            pair.expires_at,
            pair.scope,
            now,
        )
    except (store.AccountLinkedElsewhere, store.DeviceLinkedToAnotherAccount) as exc:
        log.warning(
            "player %s: authorization by WHOOP user %s refused: %s", player_id, profile["user_id"], exc
        )
        raise
    if pair.refresh_token is None:
        log.warning("device %s: WHOOP gave no refresh token (was `offline` granted?)", device_id)
    log.info("device %s: consent granted by WHOOP user %s", device_id, profile["user_id"])
    return Authorization(device_id, player_id, int(profile["user_id"]), pair.scope)


@dataclass(frozen=True)
class Revocation:
    device_id: uuid.UUID
    whoop_told: bool
    rows_deleted: dict[str, int]


def revoke_consent(conn: psycopg.Connection, session: WhoopSession, nba_person_id: int) -> Revocation | None:
    """Withdraw an athlete's consent: tell WHOOP (best effort), delete every wearables row of his (the
    one list in ``db/store.py``), and keep his device row as the record, revoked and without tokens.

    ``conn`` must be in autocommit mode. The device lock waits for a sync of his to finish, so none
    writes after the deletion; afterwards no sync selects him. None when he has no WHOOP device.
    """
    record = store.consent_record(conn, nba_person_id)
    if record is None:
        return None
    with device_lock(conn, str(record.device_id)):
        whoop_told = False
        if record.consent_granted and record.access_token_encrypted:
            try:
                session.api.revoke_access(session.tokens.current(record.device_id))
                whoop_told = True
            except (HttpGaveUp, WhoopError, NeedsReauthorization, TokenKeyError) as exc:
                log.warning("device %s: WHOOP was not told of the revocation: %s", record.device_id, exc)
        with conn.transaction():
            record = store.consent_record(conn, nba_person_id)  # locked until the deletion commits
            # Revoked first: the raw records' deletion then queues no day to refresh (the triggers of
            # sql/013 skip devices without consent), and nothing is left behind in the queue.
            store.record_revocation(conn, record.device_id, session.clock())
            deleted = delete_player_wearables(
                conn, record.player_id, record.device_id, record.provider_user_id
            )
    log.info("device %s: consent revoked; rows deleted: %s", record.device_id, deleted)
    return Revocation(record.device_id, whoop_told, deleted)
