"""The schema's constraints: what the database itself refuses, whatever code writes to it."""

from __future__ import annotations

import psycopg
import pytest
from psycopg.errors import CheckViolation, ForeignKeyViolation, UniqueViolation


def _team(conn, nba_team_id: int) -> str:
    return conn.execute(
        "INSERT INTO teams (nba_team_id, tricode) VALUES (%s, 'XYZ') RETURNING team_id", (nba_team_id,)
    ).fetchone()[0]


def _player(conn, nba_person_id: int = 1628378) -> str:
    return conn.execute(
        "INSERT INTO players (nba_person_id, full_name) VALUES (%s, 'Test Player') RETURNING player_id",
        (nba_person_id,),
    ).fetchone()[0]


def _device(conn, player_id: str, *, user_id: str = "10129", consent: bool = True, token: str | None = "ct"):
    return conn.execute(
        """INSERT INTO wearables_devices
               (player_id, provider_user_id, consent_granted, access_token_encrypted)
           VALUES (%s, %s, %s, %s) RETURNING device_id""",
        (player_id, user_id, consent, token),
    ).fetchone()[0]


def _raw_record(conn, device_id, player_id, record_id: str = "ecfc6a15-4661-442f-a9a4-f160dd7afae8"):
    conn.execute(
        """INSERT INTO wearables_raw_records
               (device_id, player_id, record_type, record_id, score_state, source_updated_at, payload)
           VALUES (%s, %s, 'sleep', %s, 'SCORED', now(), '{}')""",
        (device_id, player_id, record_id),
    )
    return record_id


def _reading(conn, device_id, player_id, record_id, metric: str = "hrv_rmssd", value: float = 48.2):
    conn.execute(
        """INSERT INTO wearables_readings (device_id, player_id, source_record_type, source_record_id,
                                           reading_timestamp, metric_type, metric_value)
           VALUES (%s, %s, 'sleep', %s, '2023-01-02T07:00:00Z', %s, %s)""",
        (device_id, player_id, record_id, metric, value),
    )


def _game(conn, nba_game_id: str) -> tuple:
    home, away = _team(conn, 1610612739), _team(conn, 1610612741)
    return conn.execute(
        """INSERT INTO games (nba_game_id, home_team_id, away_team_id, game_date)
           VALUES (%s, %s, %s, '2023-01-02') RETURNING game_id, season, season_type""",
        (nba_game_id, home, away),
    ).fetchone()


def test_a_token_without_consent_is_rejected(conn):
    player = _player(conn)

    with pytest.raises(CheckViolation):
        _device(conn, player, consent=False, token="ciphertext")


def test_a_refresh_token_without_consent_is_rejected(conn):
    player = _player(conn)

    with pytest.raises(CheckViolation):
        conn.execute(
            "INSERT INTO wearables_devices (player_id, consent_granted, refresh_token_encrypted)"
            " VALUES (%s, false, 'ciphertext')",
            (player,),
        )


def test_a_device_without_consent_and_without_tokens_is_accepted(conn):
    player = _player(conn)

    _device(conn, player, consent=False, token=None)


def test_a_second_device_row_for_the_same_whoop_user_is_rejected(conn):
    _device(conn, _player(conn, 1), user_id="10129")

    with pytest.raises(UniqueViolation):
        _device(conn, _player(conn, 2), user_id="10129")


def test_a_second_whoop_device_row_for_the_same_player_is_rejected(conn):
    player = _player(conn)
    _device(conn, player, user_id="10129")

    with pytest.raises(UniqueViolation):
        _device(conn, player, user_id="20000")


def test_duplicate_readings_are_rejected(conn):
    player = _player(conn)
    device = _device(conn, player)
    record = _raw_record(conn, device, player)
    _reading(conn, device, player, record)

    with pytest.raises(UniqueViolation):
        _reading(conn, device, player, record)


def test_a_reading_needs_its_raw_record(conn):
    player = _player(conn)
    device = _device(conn, player)

    with pytest.raises(ForeignKeyViolation):
        _reading(conn, device, player, "not-stored")


def test_a_reading_must_name_its_devices_own_player(conn):
    player, other = _player(conn, 1), _player(conn, 2)
    device = _device(conn, player)
    record = _raw_record(conn, device, player)

    with pytest.raises(ForeignKeyViolation):
        _reading(conn, device, other, record)


def test_deleting_a_raw_record_removes_its_readings(conn):
    player = _player(conn)
    device = _device(conn, player)
    record = _raw_record(conn, device, player)
    _reading(conn, device, player, record, "hrv_rmssd")
    _reading(conn, device, player, record, "respiratory_rate", 15.1)

    conn.execute("DELETE FROM wearables_raw_records WHERE record_id = %s", (record,))

    assert conn.execute("SELECT count(*) FROM wearables_readings").fetchone()[0] == 0


@pytest.mark.parametrize(
    ("metric", "value"),
    [("recovery_score", 100.5), ("recovery_score", -1), ("sleep_performance", 101), ("day_strain", 21.5)],
)
def test_readings_outside_their_scores_range_are_rejected(conn, metric, value):
    player = _player(conn)
    device = _device(conn, player)
    record = _raw_record(conn, device, player)

    with pytest.raises(CheckViolation):
        _reading(conn, device, player, record, metric, value)


@pytest.mark.parametrize(
    ("column", "value"),
    [("recovery_score", 101), ("day_strain", 22), ("sleep_efficiency", -3), ("data_completeness", 1.5)],
)
def test_daily_summaries_outside_their_scores_range_are_rejected(conn, column, value):
    player = _player(conn)
    device = _device(conn, player)

    with pytest.raises(CheckViolation):
        conn.execute(
            psycopg.sql.SQL(
                "INSERT INTO wearables_daily_summary (device_id, player_id, summary_date, {})"
                " VALUES (%s, %s, '2023-01-02', %s)"
            ).format(psycopg.sql.Identifier(column)),
            (device, player, value),
        )


@pytest.mark.parametrize(
    ("nba_game_id", "season", "season_type"),
    [
        ("0012200001", "2022-23", "preseason"),
        ("0022200552", "2022-23", "regular_season"),
        ("0032200001", "2022-23", "all_star"),
        ("0042200101", "2022-23", "playoffs"),
        ("0052200121", "2022-23", "play_in"),
        ("0062300001", "2023-24", "in_season_tournament_final"),
        ("0029900001", "1999-00", "regular_season"),
    ],
)
def test_season_and_season_type_come_from_the_game_id(conn, nba_game_id, season, season_type):
    _, got_season, got_type = _game(conn, nba_game_id)

    assert (got_season, got_type) == (season, season_type)


@pytest.mark.parametrize("nba_game_id", ["0072200001", "1022200001", "002220055", "00222005521"])
def test_a_malformed_game_id_is_rejected(conn, nba_game_id):
    # Rejected by the id's CHECK, its length, or the season type it cannot produce.
    with pytest.raises((psycopg.IntegrityError, psycopg.DataError)):
        _game(conn, nba_game_id)


def test_a_clutch_score_above_100_is_rejected(conn):
    game_id, *_ = _game(conn, "0022200552")
    player = _player(conn)
    situation = conn.execute(
        """INSERT INTO clutch_situations (game_id, situation_type, start_timestamp, end_timestamp, period)
           VALUES (%s, 'clutch_time', '2023-01-03T02:40:00Z', '2023-01-03T02:52:00Z', 4)
           RETURNING situation_id""",
        (game_id,),
    ).fetchone()[0]

    with pytest.raises(CheckViolation):
        conn.execute(
            """INSERT INTO clutch_performance_scores (player_id, game_id, situation_id, actions_total,
                                                      clutch_score) VALUES (%s, %s, %s, 3, 100.5)""",
            (player, game_id, situation),
        )


def test_ml_features_are_unique_per_entity_feature_window_and_date(conn):
    player = _player(conn)
    insert = """INSERT INTO ml_features (entity_type, entity_id, feature_name, feature_value,
                                         calculation_window, as_of_date)
                VALUES ('player', %s, 'hrv_avg', %s, %s, %s)"""
    conn.execute(insert, (player, 68.5, "last_7_days", "2025-11-01"))
    conn.execute(insert, (player, 70.1, "last_30_days", "2025-11-01"))
    conn.execute(insert, (player, 69.0, "last_7_days", "2025-11-02"))

    with pytest.raises(UniqueViolation):
        conn.execute(insert, (player, 99.9, "last_7_days", "2025-11-01"))


def test_updated_at_moves_when_a_row_changes(conn):
    player = _player(conn)
    device = _device(conn, player)
    before = conn.execute(
        "SELECT updated_at FROM wearables_devices WHERE device_id = %s", (device,)
    ).fetchone()

    conn.execute("UPDATE wearables_devices SET sync_status = 'success' WHERE device_id = %s", (device,))

    after = conn.execute(
        "SELECT updated_at FROM wearables_devices WHERE device_id = %s", (device,)
    ).fetchone()
    assert after[0] > before[0]


def test_deleting_a_player_removes_their_wearables_rows(conn):
    player = _player(conn)
    device = _device(conn, player)
    record = _raw_record(conn, device, player)
    _reading(conn, device, player, record)

    conn.execute("DELETE FROM players WHERE player_id = %s", (player,))

    for table in ("wearables_devices", "wearables_raw_records", "wearables_readings"):
        query = psycopg.sql.SQL("SELECT count(*) FROM {}").format(psycopg.sql.Identifier(table))
        assert conn.execute(query).fetchone()[0] == 0, table


def _raw_action(conn, nba_game_id: str, action_key: int = 1) -> None:
    conn.execute(
        """INSERT INTO nba_raw_actions (nba_game_id, source, action_key, action_order, payload)
           VALUES (%s, 'v3', %s, 0, '{}')""",
        (nba_game_id, action_key),
    )


def _raw_action_count(conn) -> int:
    return conn.execute("SELECT count(*) FROM nba_raw_actions").fetchone()[0]


def test_a_raw_action_of_an_unknown_game_is_rejected(conn):
    _game(conn, "0022200001")

    with pytest.raises(ForeignKeyViolation, match="0022200002"):
        _raw_action(conn, "0022200002")


def test_a_copy_of_raw_actions_naming_one_unknown_game_is_rejected_whole(conn):
    _game(conn, "0022200001")

    with (
        pytest.raises(ForeignKeyViolation, match="0022200002"),
        conn.cursor().copy(
            "COPY nba_raw_actions (nba_game_id, source, action_key, action_order, payload) FROM STDIN"
        ) as copy,
    ):
        copy.write_row(("0022200001", "v3", 1, 0, "{}"))
        copy.write_row(("0022200002", "v3", 1, 0, "{}"))


def test_moving_a_raw_action_to_an_unknown_game_is_rejected(conn):
    _game(conn, "0022200001")
    _raw_action(conn, "0022200001")

    with pytest.raises(ForeignKeyViolation):
        conn.execute("UPDATE nba_raw_actions SET nba_game_id = '0022200009'")


def test_deleting_a_game_removes_its_raw_actions(conn):
    _game(conn, "0022200001")
    _raw_action(conn, "0022200001", 1)
    _raw_action(conn, "0022200001", 2)

    conn.execute("DELETE FROM games WHERE nba_game_id = '0022200001'")

    assert _raw_action_count(conn) == 0


def test_a_game_id_that_raw_actions_name_cannot_change(conn):
    _game(conn, "0022200001")
    _raw_action(conn, "0022200001")

    with pytest.raises(ForeignKeyViolation, match="0022200001"):
        conn.execute("UPDATE games SET nba_game_id = '0022200009'")


def test_a_game_without_raw_actions_can_change_its_id(conn):
    _game(conn, "0022200001")

    conn.execute("UPDATE games SET nba_game_id = '0022200009'")

    assert conn.execute("SELECT nba_game_id FROM games").fetchone()[0] == "0022200009"
