"""Revocation deletes an athlete's wearables data everywhere it went; retention ages it out; WHOOP's
deletions remove records and their readings. Real PostgreSQL and the WHOOP simulator.

The fixture holds rows of two athletes in every table of the privacy list (``privacy_rows``), on both
sides of a retention cutoff; each table is checked for the athlete concerned and for the other, and
the rows each table's own statement removed are compared with the rows that were there (a readings
statement that matched nothing would otherwise be hidden by the raw records' cascade)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import psycopg
import pytest
import requests

from clutch_pipeline.db.resources import PostgresResource
from clutch_pipeline.db.schedules import apply_wearables_retention
from clutch_pipeline.db.store import WEARABLES_DATA, delete_expired_wearables
from clutch_pipeline.service.app import ServiceConfig, create_app
from clutch_pipeline.service.server import serve_in_background
from clutch_pipeline.whoop import store
from clutch_pipeline.whoop.app import WhoopApp
from clutch_pipeline.whoop.budget import utc_now
from clutch_pipeline.whoop.consent import revoke_consent
from clutch_pipeline.whoop.sync import by_player, sync_devices
from clutch_pipeline.whoop.tokens import TokenCipher, generate_key
from clutch_pipeline_tests.whoop.athletes import add_player, consent_through_oauth
from clutch_pipeline_tests.whoop.conftest import (
    LEBRON,
    REDIRECT_URI,
    TATUM,
    WHOOP_CLIENT_ID,
    WHOOP_CLIENT_SECRET,
)
from clutch_pipeline_tests.whoop.privacy_rows import add_rows_of_every_table, rows_of

WINDOW = (datetime(2023, 1, 2, tzinfo=UTC), datetime(2023, 1, 16, tzinfo=UTC))
# Days of the derived rows (the middle one exactly at the cutoff), and a retention whose cutoff splits
# the synced fortnight: ten days before NOW is 2023-01-09 00:00 UTC.
DAYS = (date(2023, 1, 5), date(2023, 1, 9), date(2023, 1, 12))
CUTOFF = datetime(2023, 1, 9, tzinfo=UTC)
RETENTION_DAYS = 10
NOW = CUTOFF + timedelta(days=RETENTION_DAYS)
# Tables that reference a player but hold no wearables data: consent machinery, not data.
NOT_WEARABLES_DATA = {"wearables_devices", "whoop_oauth_states"}


@pytest.fixture
def simulator(make_whoop_simulator):
    return make_whoop_simulator(clock=utc_now)


@pytest.fixture
def app(simulator) -> WhoopApp:
    return WhoopApp(
        base_url=simulator.base_url,
        client_id=WHOOP_CLIENT_ID,
        client_secret=WHOOP_CLIENT_SECRET,
        redirect_uri=REDIRECT_URI,
        cipher=TokenCipher([generate_key()]),
    )


@pytest.fixture
def autocommit(database_url, app, simulator):
    """Tatum and LeBron consented and synced over January 2023, with rows in every table of the
    privacy list."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        for person_id in (TATUM, LEBRON):
            add_player(conn, person_id)
            consent_through_oauth(conn, app, simulator, person_id)
        with app.open(conn) as session:
            sync_devices(
                conn, session.api, session.tokens, store.syncable_devices(conn), clock=utc_now, window=WINDOW
            )
        add_rows_of_every_table(conn, (TATUM, LEBRON), DAYS)
        yield conn


def none_left(conn, person_id: int) -> bool:
    return set(rows_of(conn, person_id).values()) == {0}


def test_the_privacy_list_names_every_table_that_holds_wearables_data(conn):
    tables = {
        name
        for (name,) in conn.execute(
            """
            SELECT DISTINCT table_name FROM information_schema.columns
            WHERE table_schema = 'public'
              AND (table_name LIKE 'wearables%%' OR table_name LIKE 'whoop%%'
                   OR column_name IN ('uses_wearables', 'has_wearables_data'))
              AND table_name <> 'whoop_api_requests'  -- counts requests; no player, no user
            """
        )
    }
    assert tables - NOT_WEARABLES_DATA == {entry.table for entry in WEARABLES_DATA}


def test_both_athletes_have_rows_in_every_table_of_the_privacy_list_on_both_sides_of_the_cutoff(
    autocommit,
):
    for person_id in (TATUM, LEBRON):
        everything, old = rows_of(autocommit, person_id), rows_of(autocommit, person_id, older_than=CUTOFF)
        assert set(everything) == {entry.table for entry in WEARABLES_DATA}
        assert all(count > 0 for count in everything.values()), everything
        assert all(0 < old[table] < everything[table] for table in old), (everything, old)


def test_revocation_deletes_every_wearables_row_of_the_athlete_and_no_one_elses(autocommit, app, simulator):
    lebron = rows_of(autocommit, LEBRON)
    with app.open(autocommit) as session:
        revoked = revoke_consent(autocommit, session, TATUM)
    assert revoked.whoop_told and simulator.count("/developer/v2/user/access") == 1
    assert none_left(autocommit, TATUM)
    assert rows_of(autocommit, LEBRON) == lebron


def test_revocation_clears_each_table_with_its_own_statement(autocommit, app):
    """Rows a cascade removed would not count: each table's statement must find all of his rows."""
    before = rows_of(autocommit, TATUM)
    with app.open(autocommit) as session:
        revoked = revoke_consent(autocommit, session, TATUM)
    assert revoked.rows_deleted == before


def test_revocation_keeps_the_device_row_as_the_record_without_tokens(autocommit, app):
    with app.open(autocommit) as session:
        revoke_consent(autocommit, session, TATUM)
    status = store.consent_status(autocommit, TATUM)
    assert status["has_device"] and not status["consent_granted"] and status["consent_revoked_at"]
    tokens = autocommit.execute(
        "SELECT access_token_encrypted, refresh_token_encrypted FROM wearables_devices d"
        " JOIN players p USING (player_id) WHERE p.nba_person_id = %s",
        (TATUM,),
    ).fetchone()
    assert tokens == (None, None)


def test_nothing_is_synced_for_a_player_after_revocation(autocommit, app, simulator):
    with app.open(autocommit) as session:
        revoke_consent(autocommit, session, TATUM)
    tatum = simulator.athlete(TATUM).user_id
    before = simulator.count(user_id=tatum)
    with app.open(autocommit) as session:
        sync_devices(
            autocommit,
            session.api,
            session.tokens,
            store.syncable_devices(autocommit),
            clock=utc_now,
            window=WINDOW,
        )
    assert simulator.count(user_id=tatum) == before
    assert none_left(autocommit, TATUM)


def test_revocation_deletes_even_when_whoop_does_not_answer(autocommit, app, simulator):
    simulator.fail("/v2/user/access", status=503, times=None)
    with app.open(autocommit) as session:
        session.api.retry = type(session.api.retry)(attempts=1)
        revoked = revoke_consent(autocommit, session, TATUM)
    assert not revoked.whoop_told
    assert none_left(autocommit, TATUM)


def test_the_revoke_endpoint_needs_an_api_key_and_revokes(database_url, autocommit, app):
    before = rows_of(autocommit, TATUM)
    config = ServiceConfig(database_url, app, api_keys=("key-1",))
    with serve_in_background(lambda _: create_app(config)) as base_url:
        url = f"{base_url}/api/players/{TATUM}/wearables/revoke-consent"
        assert requests.delete(url, timeout=10).status_code == 401
        answer = requests.delete(url, headers={"X-API-Key": "key-1"}, timeout=30)
    assert answer.status_code == 200
    assert answer.json()["consent_granted"] is False and answer.json()["rows_deleted"] == before
    assert none_left(autocommit, TATUM)


def test_a_new_authorization_after_revocation_starts_clean(autocommit, app, simulator):
    with app.open(autocommit) as session:
        revoke_consent(autocommit, session, TATUM)
    consent_through_oauth(autocommit, app, simulator, TATUM)
    status = store.consent_status(autocommit, TATUM)
    assert status["consent_granted"] and status["consent_revoked_at"] is None
    assert none_left(autocommit, TATUM)


def test_deleted_records_take_their_readings_with_them(autocommit, app, simulator):
    sleep = next(s for s in simulator.athlete(TATUM).sleeps if s.scorable)
    gone = by_player([f"{TATUM}:sleep:{sleep.record_id}", f"{TATUM}:recovery:{sleep.record_id}"])
    with app.open(autocommit) as session:
        (result,) = sync_devices(
            autocommit,
            session.api,
            session.tokens,
            store.syncable_devices(autocommit, [TATUM]),
            clock=utc_now,
            records={},
            deleted=gone,
        )
    assert result.records_deleted == 2
    left = autocommit.execute(
        "SELECT count(*) FROM wearables_readings WHERE source_record_id = %s", (sleep.record_id,)
    ).fetchone()[0]
    assert left == 0


def test_retention_deletes_everything_older_than_the_devices_retention_in_every_table_with_a_time(
    database_url, autocommit
):
    autocommit.execute("UPDATE wearables_devices SET data_retention_days = 1")  # January 2023 is old now
    result = apply_wearables_retention.execute_in_process(
        resources={"postgres": PostgresResource(database_url=database_url)}
    )
    assert result.success
    for person_id in (TATUM, LEBRON):
        left = rows_of(autocommit, person_id)
        aged = {e.table for e in WEARABLES_DATA if e.expire is not None}
        assert {table: left[table] for table in aged} == dict.fromkeys(aged, 0)


def test_retention_keeps_what_is_within_the_retention(database_url, autocommit):
    autocommit.execute("UPDATE wearables_devices SET data_retention_days = 36500")
    before = {person_id: rows_of(autocommit, person_id) for person_id in (TATUM, LEBRON)}
    apply_wearables_retention.execute_in_process(
        resources={"postgres": PostgresResource(database_url=database_url)}
    )
    assert {person_id: rows_of(autocommit, person_id) for person_id in (TATUM, LEBRON)} == before


def test_retention_at_a_cutoff_inside_the_data_deletes_the_older_rows_only_and_only_of_that_device(
    autocommit,
):
    """Tatum's device keeps ten days, LeBron's a century: at NOW, Tatum's rows before CUTOFF go (a row
    exactly at the cutoff stays), each by its own table's statement; LeBron keeps all of his."""
    before, old = rows_of(autocommit, TATUM), rows_of(autocommit, TATUM, older_than=CUTOFF)
    lebron = rows_of(autocommit, LEBRON)
    autocommit.execute("UPDATE wearables_devices SET data_retention_days = 36500")
    autocommit.execute(
        "UPDATE wearables_devices d SET data_retention_days = %s FROM players p"
        " WHERE p.player_id = d.player_id AND p.nba_person_id = %s",
        (RETENTION_DAYS, TATUM),
    )
    deleted = delete_expired_wearables(autocommit, NOW)
    assert deleted == old
    assert rows_of(autocommit, TATUM) == {table: n - old.get(table, 0) for table, n in before.items()}
    assert rows_of(autocommit, LEBRON) == lebron
