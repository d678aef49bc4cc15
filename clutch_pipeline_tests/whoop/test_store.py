"""The WHOOP store: OAuth states, and records written raw with their readings, idempotently."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta

import pytest

from clutch_pipeline.whoop import store
from clutch_pipeline.whoop.normalize import normalize
from clutch_pipeline.whoop.tokens import TokenCipher, generate_key
from clutch_pipeline_tests.whoop.athletes import add_device, add_player
from clutch_pipeline_tests.whoop.test_normalize import CYCLE

NOW = datetime(2022, 10, 20, 12, tzinfo=UTC)


@pytest.fixture
def device(conn):
    return add_device(conn, TokenCipher([generate_key()]), 201, whoop_user_id=10129, expires_at=NOW)


def readings(conn) -> list[tuple]:
    return conn.execute(
        "SELECT source_record_id, metric_type, metric_value FROM wearables_readings ORDER BY 1, 2"
    ).fetchall()


def test_a_state_is_eight_characters_and_names_its_player(conn):
    player_id = add_player(conn, 201)
    state = store.create_oauth_state(conn, 201, NOW, timedelta(minutes=15))
    assert len(state) == 8 and state.isalnum()
    assert store.consume_oauth_state(conn, state, NOW + timedelta(minutes=1)) == player_id


def test_a_state_is_single_use(conn):
    add_player(conn, 201)
    state = store.create_oauth_state(conn, 201, NOW, timedelta(minutes=15))
    store.consume_oauth_state(conn, state, NOW)
    assert store.consume_oauth_state(conn, state, NOW) is None


def test_an_expired_state_is_refused(conn):
    add_player(conn, 201)
    state = store.create_oauth_state(conn, 201, NOW, timedelta(minutes=15))
    assert store.consume_oauth_state(conn, state, NOW + timedelta(minutes=16)) is None


def test_an_unknown_state_is_refused(conn):
    assert store.consume_oauth_state(conn, "ABCDEFGH", NOW) is None


def test_a_state_for_an_unknown_player_is_not_issued(conn):
    with pytest.raises(store.UnknownPlayer):
        store.create_oauth_state(conn, 999, NOW, timedelta(minutes=15))


def test_one_whoop_account_cannot_be_linked_to_two_players(conn, device):
    other = add_player(conn, 202)
    with pytest.raises(store.AccountLinkedElsewhere):
        store.save_authorization(conn, other, "10129", "a", "r", NOW, "offline", NOW)


def test_a_record_is_stored_raw_once_with_its_readings(conn, device):
    counts = store.write_records(conn, device, [normalize("cycle", CYCLE)])
    assert counts.records_changed == 1 and counts.readings_written == 4
    assert conn.execute("SELECT count(*) FROM wearables_raw_records").fetchone()[0] == 1
    assert {m for _, m, _ in readings(conn)} == {
        "day_strain",
        "cycle_kilojoules",
        "cycle_average_heart_rate",
        "cycle_max_heart_rate",
    }


def test_writing_the_same_records_again_changes_nothing(conn, device):
    store.write_records(conn, device, [normalize("cycle", CYCLE)])
    before = conn.execute("SELECT reading_id, ingested_at FROM wearables_readings ORDER BY 1").fetchall()
    counts = store.write_records(conn, device, [normalize("cycle", CYCLE)])
    assert counts.records_changed == 0 and counts.readings_written == 0
    assert (
        conn.execute("SELECT reading_id, ingested_at FROM wearables_readings ORDER BY 1").fetchall() == before
    )


def test_a_rescored_record_replaces_its_readings_as_a_whole(conn, device):
    store.write_records(conn, device, [normalize("cycle", CYCLE)])
    rescored = copy.deepcopy(CYCLE)
    rescored["updated_at"] = "2022-04-24T18:00:00.000Z"
    rescored["score"]["strain"] = 9.5
    counts = store.write_records(conn, device, [normalize("cycle", rescored)])
    assert counts.records_changed == 1 and counts.readings_written == 4
    assert ("93845", "day_strain", pytest.approx(9.5)) in [(r, m, float(v)) for r, m, v in readings(conn)]
    assert len(readings(conn)) == 4


def test_an_older_version_never_replaces_a_newer_one(conn, device):
    newer = copy.deepcopy(CYCLE)
    newer["updated_at"] = "2022-04-24T18:00:00.000Z"
    newer["score"]["strain"] = 9.5
    store.write_records(conn, device, [normalize("cycle", newer)])
    store.write_records(conn, device, [normalize("cycle", CYCLE)])
    assert ("93845", "day_strain", pytest.approx(9.5)) in [(r, m, float(v)) for r, m, v in readings(conn)]


def test_a_pending_record_is_kept_raw_without_readings_and_is_found_for_the_next_sync(conn, device):
    pending = {k: v for k, v in CYCLE.items() if k != "score"} | {"score_state": "PENDING_SCORE"}
    store.write_records(conn, device, [normalize("cycle", pending)])
    assert readings(conn) == []
    assert store.oldest_pending(conn, device.device_id) == {
        "cycle": datetime(2022, 4, 24, 2, 25, 44, 774000, UTC)
    }
    store.write_records(conn, device, [normalize("cycle", CYCLE)])  # scored later
    assert len(readings(conn)) == 4 and store.oldest_pending(conn, device.device_id) == {}


def test_a_watermark_only_moves_forward(conn, device):
    store.advance_watermarks(conn, device.device_id, {"sleep": NOW}, NOW)
    store.advance_watermarks(conn, device.device_id, {"sleep": NOW - timedelta(days=3)}, NOW)
    assert store.watermarks(conn, device.device_id) == {"sleep": NOW}


def test_devices_synced_recently_are_not_due(conn, device):
    store.set_sync_status(conn, device.device_id, "success", NOW)
    assert store.syncable_devices(conn, not_synced_since=NOW - timedelta(minutes=50)) == []
    assert len(store.syncable_devices(conn, not_synced_since=NOW + timedelta(minutes=10))) == 1


def test_a_device_needing_reauthorization_is_not_synced_and_holds_no_tokens(conn, device):
    store.mark_needs_reauthorization(conn, device.device_id, NOW, "invalid_grant")
    assert store.syncable_devices(conn) == []
    row = conn.execute(
        "SELECT access_token_encrypted, refresh_token_encrypted FROM wearables_devices"
    ).fetchone()
    assert row == (None, None)
