"""The alignment stage's sensors and checks, on a real database holding each condition."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import dagster as dg
import pytest

from clutch_pipeline.alignment.checks import daily_summaries_fresh, pregame_measured_before_tipoff
from clutch_pipeline.alignment.sensors import wearables_summary_refresh
from clutch_pipeline.alignment.store.summaries import refresh_daily_summaries
from clutch_pipeline.db.resources import PostgresResource
from clutch_pipeline_tests.alignment import context_rows as rows

TIP = datetime(2023, 1, 10, 0, 30, tzinfo=UTC)


@pytest.fixture
def postgres(database_url) -> PostgresResource:
    return PostgresResource(database_url=database_url)


@pytest.fixture
def athlete(conn):
    player = rows.player(conn)
    return player, rows.device(conn, player)


def _queue(conn, device, player, day: date, consumer: str, at: datetime) -> None:
    conn.execute(
        "INSERT INTO wearables_changed_days (consumer, device_id, player_id, local_date, changed_at)"
        " VALUES (%s, %s, %s, %s, %s)",
        (consumer, device, player, day, at),
    )


def test_the_summary_sensor_asks_for_one_run_per_range_of_changed_days(conn, athlete, postgres):
    player, device = athlete
    now = datetime.now(UTC)
    for day in (date(2023, 1, 2), date(2023, 1, 3), date(2023, 2, 20)):
        _queue(conn, device, player, day, "daily_summary", now)
    with dg.instance_for_test() as instance:
        context = dg.build_sensor_context(instance=instance, resources={"postgres": postgres})
        requests = wearables_summary_refresh(context)
    ranges = [
        (r.tags["dagster/asset_partition_range_start"], r.tags["dagster/asset_partition_range_end"])
        for r in requests
    ]
    assert ranges == [("2023-01-02", "2023-01-03"), ("2023-02-20", "2023-02-20")]


def test_the_summary_sensor_skips_once_the_days_are_refreshed(conn, athlete, postgres):
    player, device = athlete
    _queue(conn, device, player, date(2023, 1, 2), "daily_summary", datetime.now(UTC) - timedelta(minutes=1))
    with conn.transaction():
        refresh_daily_summaries(conn, date(2023, 1, 2), date(2023, 1, 2), started_at=datetime.now(UTC))
    with dg.instance_for_test() as instance:
        context = dg.build_sensor_context(instance=instance, resources={"postgres": postgres})
        assert isinstance(wearables_summary_refresh(context), dg.SkipReason)


def test_summaries_are_stale_when_a_changed_day_waited_more_than_an_hour(conn, athlete, postgres):
    player, device = athlete
    assert daily_summaries_fresh(postgres=postgres).passed
    _queue(conn, device, player, date(2023, 1, 2), "daily_summary", datetime.now(UTC) - timedelta(hours=2))
    result = daily_summaries_fresh(postgres=postgres)
    assert not result.passed
    assert result.metadata["queued_days"].value == 1


def test_a_pregame_value_measured_after_tip_off_fails_the_blocking_check(conn, athlete, postgres):
    player, device = athlete
    game = rows.game(conn, rows.team(conn), rows.team(conn), TIP)
    insert = (
        "INSERT INTO pregame_context (game_id, player_id, tipoff_at, played, is_playoff, has_wearables_data,"
        " device_id, sleep_end_at, recovery_score_pregame, measured_until)"
        " VALUES (%s, %s, %s, TRUE, FALSE, TRUE, %s, %s, 60, %s)"
    )
    conn.execute(insert, (game, player, TIP, device, TIP - timedelta(hours=9), TIP - timedelta(hours=9)))
    assert pregame_measured_before_tipoff(postgres=postgres).passed
    conn.execute("UPDATE pregame_context SET measured_until = %s", (TIP + timedelta(minutes=1),))
    result = pregame_measured_before_tipoff(postgres=postgres)
    assert not result.passed
    assert result.metadata["examples"].value == [[rows.nba_game_id(conn, game), str(player)]]
