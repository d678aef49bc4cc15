"""The wearables_alerts sensor: each condition on a real database, one message per problem until it
changes or clears, delivered to a local webhook, never with a token or a health value."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import dagster as dg
import pytest

from clutch_pipeline.alerts.conditions import budget_alert
from clutch_pipeline.alerts.sensors import ALERT_SENSORS, wearables_alerts
from clutch_pipeline.db.resources import PostgresResource
from clutch_pipeline_tests.alerts.test_failure_sensor import AlertReceiver

PERSON_ID = 1628983
TOKEN = "gAAAAAB-ciphertext-of-a-whoop-token"


@pytest.fixture
def receiver(monkeypatch):
    server = AlertReceiver()
    monkeypatch.setenv("CLUTCH_ALERT_WEBHOOK_URL", server.url)
    yield server
    server.close()


@pytest.fixture
def tick(database_url):
    """One sensor evaluation against this test's database."""
    resources = {"postgres": PostgresResource(database_url=database_url)}
    with dg.instance_for_test() as instance:
        yield lambda: wearables_alerts(dg.build_sensor_context(instance=instance, resources=resources))


def _now() -> datetime:
    return datetime.now(UTC)


def _device(conn, **columns) -> str:
    """A consented WHOOP device of Shai Gilgeous-Alexander with a token, synced now unless told."""
    player = conn.execute(
        "INSERT INTO players (nba_person_id, full_name)"
        " VALUES (%s, 'Shai Gilgeous-Alexander') RETURNING player_id",
        (PERSON_ID,),
    ).fetchone()[0]
    values = {
        "player_id": player,
        "consent_granted": True,
        "consent_granted_at": _now() - timedelta(days=10),
        "access_token_encrypted": TOKEN,
        "refresh_token_encrypted": TOKEN,
        "sync_status": "success",
        "last_sync_at": _now(),
        **columns,
    }
    names = ", ".join(values)
    marks = ", ".join(["%s"] * len(values))
    return str(
        conn.execute(
            f"INSERT INTO wearables_devices ({names}) VALUES ({marks}) RETURNING device_id",
            list(values.values()),
        ).fetchone()[0]
    )


def _update_device(conn, device: str, **columns) -> None:
    sets = ", ".join(f"{name} = %s" for name in columns)
    conn.execute(f"UPDATE wearables_devices SET {sets} WHERE device_id = %s", [*columns.values(), device])


def _state(conn, key: str):
    return conn.execute(
        "SELECT fingerprint, announced_fingerprint, first_seen_at, last_sent_at, cleared_at"
        " FROM alert_state WHERE alert_key = %s",
        (key,),
    ).fetchone()


def test_the_alert_sensors_are_listed_and_running_by_default():
    assert wearables_alerts in ALERT_SENSORS
    assert wearables_alerts.default_status == dg.DefaultSensorStatus.RUNNING
    assert wearables_alerts.minimum_interval_seconds == 300


def test_a_device_needing_reauthorization_too_long_is_one_message_over_two_ticks(conn, receiver, tick):
    since = _now() - timedelta(hours=3)
    device = _device(conn, needs_reauthorization_at=since, sync_status="error", last_sync_at=since)

    tick()
    tick()

    assert len(receiver.received) == 1
    message = receiver.received[0]
    assert message["alert"] == f"device:{device}"
    assert message["problem"] == "needs_reauthorization"
    assert message["nba_person_id"] == PERSON_ID
    assert "Shai Gilgeous-Alexander" in message["text"]
    assert f"`clutch whoop authorize-url --player {PERSON_ID}`" in message["text"]
    assert datetime.fromisoformat(message["since"]) == since


def test_a_device_needing_reauthorization_for_less_than_the_setting_is_not_alerted(conn, receiver, tick):
    _device(conn, needs_reauthorization_at=_now() - timedelta(minutes=30), sync_status="error")

    tick()

    assert receiver.received == []


def test_the_device_problem_time_is_a_setting(conn, receiver, tick, monkeypatch):
    monkeypatch.setenv("CLUTCH_ALERT_DEVICE_PROBLEM_MINUTES", "20")
    _device(conn, needs_reauthorization_at=_now() - timedelta(minutes=30), sync_status="error")

    tick()

    assert [m["problem"] for m in receiver.received] == ["needs_reauthorization"]


def test_a_device_in_sync_error_too_long_is_alerted_with_the_runs_to_look_at(conn, receiver, tick):
    _device(conn, sync_status="error", last_sync_at=_now() - timedelta(hours=2, minutes=30))

    tick()

    assert [m["problem"] for m in receiver.received] == ["sync_error"]
    assert "`clutch runs`" in receiver.received[0]["text"]


def test_a_consented_device_silent_longer_than_its_cadence_is_alerted(conn, receiver, tick):
    _device(conn, last_sync_at=_now() - timedelta(hours=4))

    tick()

    assert [m["problem"] for m in receiver.received] == ["no_sync"]


def test_a_device_without_consent_is_never_alerted(conn, receiver, tick):
    _device(
        conn,
        consent_granted=False,
        access_token_encrypted=None,
        refresh_token_encrypted=None,
        last_sync_at=None,
    )

    tick()

    assert receiver.received == []


def test_a_changed_problem_sends_again(conn, receiver, tick):
    device = _device(conn, sync_status="error", last_sync_at=_now() - timedelta(hours=5))
    tick()
    _update_device(conn, device, needs_reauthorization_at=_now() - timedelta(hours=3))

    tick()

    assert [m["problem"] for m in receiver.received] == ["sync_error", "needs_reauthorization"]


def test_a_cleared_problem_is_closed_with_one_resolved_message(conn, receiver, tick):
    device = _device(conn, sync_status="error", last_sync_at=_now() - timedelta(hours=5))
    tick()
    _update_device(conn, device, sync_status="success", last_sync_at=_now())

    tick()
    tick()

    assert [m["status"] for m in receiver.received] == ["open", "resolved"]
    assert receiver.received[1]["text"].startswith("clutch-pipeline: resolved: WHOOP sync of Shai")
    assert _state(conn, f"device:{device}")[4] is not None


def test_a_problem_that_comes_back_after_clearing_is_a_new_problem(conn, receiver, tick):
    device = _device(conn, sync_status="error", last_sync_at=_now() - timedelta(hours=5))
    tick()
    first_seen = _state(conn, f"device:{device}")[2]
    _update_device(conn, device, sync_status="success", last_sync_at=_now())
    tick()
    _update_device(conn, device, sync_status="error", last_sync_at=_now() - timedelta(hours=5))

    tick()

    assert [m["status"] for m in receiver.received] == ["open", "resolved", "open"]
    fingerprint, announced, seen, _, cleared = _state(conn, f"device:{device}")
    assert (fingerprint, announced, cleared) == ("sync_error", "sync_error", None)
    assert seen > first_seen


def test_daily_summaries_waiting_more_than_an_hour_are_alerted(conn, receiver, tick):
    device = _device(conn)
    player = conn.execute(
        "SELECT player_id FROM wearables_devices WHERE device_id = %s", (device,)
    ).fetchone()[0]
    conn.execute(
        "INSERT INTO wearables_changed_days (consumer, device_id, player_id, local_date, changed_at)"
        " VALUES ('daily_summary', %s, %s, %s, %s)",
        (device, player, date(2026, 11, 20), _now() - timedelta(hours=2)),
    )

    tick()

    assert [m["alert"] for m in receiver.received] == ["summaries_stale"]
    assert receiver.received[0]["asset"] == "wearables_daily_summary"
    assert "`clutch runs`" in receiver.received[0]["text"]


def _game(conn, nba_game_id: str, status: str, tipoff_at: datetime) -> None:
    teams = [
        conn.execute(
            "INSERT INTO teams (nba_team_id, tricode) VALUES (%s, %s) RETURNING team_id", t
        ).fetchone()[0]
        for t in ((1610612760, "OKC"), (1610612743, "DEN"))
    ]
    conn.execute(
        "INSERT INTO games (nba_game_id, home_team_id, away_team_id, game_date, tipoff_at, status)"
        " VALUES (%s, %s, %s, %s, %s, %s)",
        (nba_game_id, *teams, tipoff_at.date(), tipoff_at, status),
    )


def test_a_game_in_progress_not_loaded_for_15_minutes_is_alerted_with_its_backfill(conn, receiver, tick):
    _game(conn, "0022600301", "in_progress", _now() - timedelta(hours=1))
    conn.execute(
        "INSERT INTO nba_game_loads (nba_game_id, status, attempted_at) VALUES ('0022600301', 'loaded', %s)",
        (_now() - timedelta(minutes=20),),
    )

    tick()

    assert [m["alert"] for m in receiver.received] == ["nba_live:0022600301"]
    assert "`clutch nba backfill --season 2026-27`" in receiver.received[0]["text"]


def test_a_game_in_progress_loaded_recently_is_not_alerted(conn, receiver, tick):
    _game(conn, "0022600301", "in_progress", _now() - timedelta(hours=1))
    conn.execute(
        "INSERT INTO nba_game_loads (nba_game_id, status, attempted_at) VALUES ('0022600301', 'loaded', %s)",
        (_now() - timedelta(minutes=2),),
    )

    tick()

    assert receiver.received == []


def _kpi(conn, day: date, kpi: str, value: float, target: float, meets: bool) -> None:
    conn.execute(
        "INSERT INTO kpi_daily (day, kpi, value, target, direction, meets_target)"
        " VALUES (%s, %s, %s, %s, 'at_least', %s)",
        (day, kpi, value, target, meets),
    )


def test_a_kpi_below_target_on_its_latest_day_is_alerted_once_per_day(conn, receiver, tick):
    _kpi(conn, date(2026, 12, 2), "wearables_uptime", 0.97, 0.95, True)
    _kpi(conn, date(2026, 12, 3), "wearables_uptime", 0.91, 0.95, False)
    _kpi(conn, date(2026, 12, 2), "poe_sign_accuracy", 0.6, 0.7, False)
    _kpi(conn, date(2026, 12, 3), "poe_sign_accuracy", 0.72, 0.7, True)
    tick()
    _kpi(conn, date(2026, 12, 4), "wearables_uptime", 0.90, 0.95, False)

    tick()

    assert [(m["alert"], m["day"]) for m in receiver.received] == [
        ("kpi:wearables_uptime", "2026-12-03"),
        ("kpi:wearables_uptime", "2026-12-04"),
    ]
    assert "0.91 (target: at least 0.95)" in receiver.received[0]["text"]


def test_a_whoop_budget_on_course_to_run_out_today_is_alerted(conn, receiver, tick, monkeypatch):
    monkeypatch.setenv("CLUTCH_WHOOP_REQUESTS_PER_DAY", "10")
    conn.execute(
        "INSERT INTO whoop_api_requests (requested_at, kind) SELECT %s, 'cycle' FROM generate_series(1, 11)",
        (_now(),),
    )

    tick()

    assert [m["alert"] for m in receiver.received] == ["whoop_budget"]
    assert receiver.received[0]["used_today"] == 11
    assert receiver.received[0]["limit"] == 10


def test_the_budget_projects_the_requests_so_far_to_the_end_of_the_utc_day():
    noon = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)

    assert budget_alert(5000, 10_000, noon) is None
    alert = budget_alert(5001, 10_000, noon)
    assert alert.subject["projected"] == 10_002
    assert alert.fingerprint == "2026-12-04"
    assert budget_alert(500, 10_000, datetime(2026, 12, 4, 0, 30, tzinfo=UTC)) is None


def test_without_a_webhook_problems_are_logged_and_recorded_so_a_later_url_is_not_flooded(
    conn, tick, monkeypatch
):
    monkeypatch.delenv("CLUTCH_ALERT_WEBHOOK_URL", raising=False)
    device = _device(conn, sync_status="error", last_sync_at=_now() - timedelta(hours=5))
    tick()
    assert _state(conn, f"device:{device}")[1] == "sync_error"
    late = AlertReceiver()
    monkeypatch.setenv("CLUTCH_ALERT_WEBHOOK_URL", late.url)
    try:
        tick()
    finally:
        late.close()

    assert late.received == []


def test_a_refused_message_is_sent_again_on_the_next_tick(conn, tick, monkeypatch):
    device = _device(conn, sync_status="error", last_sync_at=_now() - timedelta(hours=5))
    refusing = AlertReceiver(status=500)
    monkeypatch.setenv("CLUTCH_ALERT_WEBHOOK_URL", refusing.url)
    try:
        tick()
        assert _state(conn, f"device:{device}")[1] is None
        tick()
    finally:
        refusing.close()

    assert len(refusing.received) == 2


def test_no_message_holds_a_token_or_a_health_value(conn, receiver, tick):
    since = _now() - timedelta(hours=5)
    device = _device(conn, needs_reauthorization_at=since, sync_status="error", last_sync_at=since)
    player = conn.execute(
        "SELECT player_id FROM wearables_devices WHERE device_id = %s", (device,)
    ).fetchone()[0]
    conn.execute(
        "INSERT INTO wearables_daily_summary"
        " (device_id, player_id, summary_date, recovery_score, hrv_rmssd_avg)"
        " VALUES (%s, %s, %s, 63.25, 87.75)",
        (device, player, date(2026, 12, 3)),
    )
    conn.execute(
        "INSERT INTO wearables_changed_days (consumer, device_id, player_id, local_date, changed_at)"
        " VALUES ('daily_summary', %s, %s, %s, %s)",
        (device, player, date(2026, 12, 3), _now() - timedelta(hours=2)),
    )
    tick()
    _update_device(conn, device, needs_reauthorization_at=None, sync_status="success", last_sync_at=_now())
    conn.execute("DELETE FROM wearables_changed_days")
    tick()

    assert [m["status"] for m in receiver.received] == ["open", "open", "resolved", "resolved"]
    sent = json.dumps(receiver.received)
    for secret in (TOKEN, "63.25", "87.75"):
        assert secret not in sent
