"""Revocation deletes an athlete's wearables data everywhere it went; retention ages it out; WHOOP's
deletions remove records and their readings. Real PostgreSQL and the WHOOP simulator."""

from __future__ import annotations

from datetime import UTC, datetime

import psycopg
import pytest
import requests

from clutch_pipeline.db.resources import PostgresResource
from clutch_pipeline.db.schedules import apply_wearables_retention
from clutch_pipeline.db.store import WEARABLES_DATA
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

WINDOW = (datetime(2023, 1, 2, tzinfo=UTC), datetime(2023, 1, 16, tzinfo=UTC))
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
    """Tatum and LeBron consented and synced over January 2023."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        for person_id in (TATUM, LEBRON):
            add_player(conn, person_id)
            consent_through_oauth(conn, app, simulator, person_id)
        with app.open(conn) as session:
            sync_devices(
                conn, session.api, session.tokens, store.syncable_devices(conn), clock=utc_now, window=WINDOW
            )
        yield conn


def rows_of(conn, person_id: int) -> dict[str, int]:
    player = conn.execute("SELECT player_id FROM players WHERE nba_person_id = %s", (person_id,)).fetchone()[
        0
    ]
    return {
        "readings": conn.execute(
            "SELECT count(*) FROM wearables_readings WHERE player_id = %s", (player,)
        ).fetchone()[0],
        "raw": conn.execute(
            "SELECT count(*) FROM wearables_raw_records WHERE player_id = %s", (player,)
        ).fetchone()[0],
        "watermarks": conn.execute(
            "SELECT count(*) FROM wearables_sync_state s JOIN wearables_devices d USING (device_id)"
            " WHERE d.player_id = %s",
            (player,),
        ).fetchone()[0],
    }


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


def test_revocation_deletes_every_wearables_row_of_the_player_and_keeps_the_consent_record(
    autocommit, app, simulator
):
    add_derived_rows(autocommit, TATUM)
    assert rows_of(autocommit, TATUM)["readings"] > 0
    with app.open(autocommit) as session:
        revoked = revoke_consent(autocommit, session, TATUM)
    assert revoked.whoop_told and simulator.count("/developer/v2/user/access") == 1
    assert rows_of(autocommit, TATUM) == {"readings": 0, "raw": 0, "watermarks": 0}
    assert derived_rows(autocommit, TATUM) == (0, 0, 0)
    assert rows_of(autocommit, LEBRON)["readings"] > 0  # the others keep theirs
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
    assert rows_of(autocommit, TATUM)["raw"] == 0


def test_revocation_deletes_even_when_whoop_does_not_answer(autocommit, app, simulator):
    simulator.fail("/v2/user/access", status=503, times=None)
    with app.open(autocommit) as session:
        session.api.retry = type(session.api.retry)(attempts=1)
        revoked = revoke_consent(autocommit, session, TATUM)
    assert not revoked.whoop_told
    assert rows_of(autocommit, TATUM)["readings"] == 0


def test_the_revoke_endpoint_needs_an_api_key_and_revokes(database_url, autocommit, app):
    config = ServiceConfig(database_url, app, api_keys=("key-1",))
    with serve_in_background(lambda _: create_app(config)) as base_url:
        url = f"{base_url}/api/players/{TATUM}/wearables/revoke-consent"
        assert requests.delete(url, timeout=10).status_code == 401
        answer = requests.delete(url, headers={"X-API-Key": "key-1"}, timeout=30)
    assert answer.status_code == 200
    assert (
        answer.json()["consent_granted"] is False and answer.json()["rows_deleted"]["wearables_readings"] > 0
    )
    assert rows_of(autocommit, TATUM)["readings"] == 0


def test_a_new_authorization_after_revocation_starts_clean(autocommit, app, simulator):
    with app.open(autocommit) as session:
        revoke_consent(autocommit, session, TATUM)
    consent_through_oauth(autocommit, app, simulator, TATUM)
    status = store.consent_status(autocommit, TATUM)
    assert status["consent_granted"] and status["consent_revoked_at"] is None
    assert rows_of(autocommit, TATUM) == {"readings": 0, "raw": 0, "watermarks": 0}


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


def test_retention_deletes_readings_older_than_the_devices_retention_and_what_derives_from_them(
    database_url, autocommit
):
    add_derived_rows(autocommit, TATUM)
    autocommit.execute("UPDATE wearables_devices SET data_retention_days = 1")  # January 2023 is old now
    result = apply_wearables_retention.execute_in_process(
        resources={"postgres": PostgresResource(database_url=database_url)}
    )
    assert result.success
    assert rows_of(autocommit, TATUM)["readings"] == 0 and rows_of(autocommit, LEBRON)["raw"] == 0
    assert derived_rows(autocommit, TATUM) == (0, 0, 0)


def test_retention_keeps_what_is_within_the_retention(database_url, autocommit):
    autocommit.execute("UPDATE wearables_devices SET data_retention_days = 36500")
    before = rows_of(autocommit, TATUM)
    apply_wearables_retention.execute_in_process(
        resources={"postgres": PostgresResource(database_url=database_url)}
    )
    assert rows_of(autocommit, TATUM) == before


def add_derived_rows(conn, person_id: int) -> None:
    """A daily summary, a wearables feature and a clutch score with wearables values, as later stages
    will write them."""
    player, device = conn.execute(
        "SELECT p.player_id, d.device_id FROM players p JOIN wearables_devices d USING (player_id)"
        " WHERE p.nba_person_id = %s",
        (person_id,),
    ).fetchone()
    conn.execute(
        "INSERT INTO wearables_daily_summary (device_id, player_id, summary_date, recovery_score)"
        " VALUES (%s, %s, '2023-01-05', 70)",
        (device, player),
    )
    conn.execute(
        "INSERT INTO ml_features (entity_type, entity_id, feature_name, feature_value, calculation_window,"
        " as_of_date, uses_wearables)"
        " VALUES ('player', %s, 'hrv_avg', 80, 'last_7_days', '2023-01-05', TRUE)",
        (player,),
    )


def derived_rows(conn, person_id: int) -> tuple[int, int, int]:
    player = conn.execute("SELECT player_id FROM players WHERE nba_person_id = %s", (person_id,)).fetchone()[
        0
    ]
    return (
        conn.execute(
            "SELECT count(*) FROM wearables_daily_summary WHERE player_id = %s", (player,)
        ).fetchone()[0],
        conn.execute(
            "SELECT count(*) FROM ml_features WHERE entity_id = %s AND uses_wearables", (player,)
        ).fetchone()[0],
        conn.execute(
            "SELECT count(*) FROM clutch_performance_scores WHERE player_id = %s AND has_wearables_data",
            (player,),
        ).fetchone()[0],
    )
