"""A season's refresh as a whole: which games it realigns, what it records, the queue it consumes, and
the sensor that asks for it. Real PostgreSQL, rows as the NBA and WHOOP stages write them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import dagster as dg
import pytest

from clutch_pipeline.alignment import refresh
from clutch_pipeline.alignment.refresh import refresh_season
from clutch_pipeline.alignment.sensors import alignment_refresh
from clutch_pipeline.alignment.store import games as game_store
from clutch_pipeline.db.resources import PostgresResource
from clutch_pipeline_tests.alignment import context_rows as rows

TIP = datetime(2023, 1, 10, 0, 30, tzinfo=UTC)  # 2023-01-09 19:30 Eastern
CLUTCH = TIP + timedelta(hours=2, minutes=5)
NOW = datetime(2023, 6, 1, tzinfo=UTC)
SEASON = "2022-23"


@pytest.fixture
def world(conn):
    """Two played games of one athlete with a WHOOP device, a night's sleep before the first."""
    home, away, athlete = rows.team(conn), rows.team(conn), rows.player(conn)
    games = [rows.game(conn, home, away, TIP + timedelta(days=d)) for d in (0, 2)]
    dev = rows.device(conn, athlete)
    rows.night(conn, dev, athlete, TIP - timedelta(hours=20), TIP - timedelta(hours=11), hrv=70)
    for number, game in enumerate(games):
        rows.played(conn, game, athlete, home)
        situation = rows.situation(conn, game, CLUTCH + timedelta(days=2 * number) - timedelta(minutes=3))
        rows.action(conn, situation, game, athlete, CLUTCH + timedelta(days=2 * number), 100 + number)
        rows.derivation(conn, game, NOW - timedelta(days=30))
    return {"conn": conn, "games": games, "athlete": athlete, "device": dev}


def _aligned(conn) -> dict:
    return dict(conn.execute("SELECT game_id, aligned_at FROM alignment_games").fetchall())


def test_a_first_refresh_aligns_scores_and_records_every_game(world):
    conn, games = world["conn"], world["games"]
    report = refresh_season(conn, SEASON, now=NOW)
    assert report.games == 2
    assert set(_aligned(conn)) == set(games)
    scored = conn.execute("SELECT count(*), count(clutch_percentile) FROM clutch_game_scores").fetchone()
    assert scored == (2, 2)
    with_wearables = conn.execute(
        "SELECT g.game_id FROM pregame_context g WHERE has_wearables_data"
    ).fetchall()
    assert with_wearables == [(games[0],)]


def test_a_second_refresh_with_nothing_changed_realigns_nothing(world):
    conn = world["conn"]
    refresh_season(conn, SEASON, now=NOW)
    assert refresh_season(conn, SEASON, now=NOW + timedelta(minutes=5)).games == 0
    assert game_store.seasons_needing_alignment(conn) == {}


def test_a_game_rederived_by_the_nba_stage_is_realigned_alone(world):
    conn, games = world["conn"], world["games"]
    refresh_season(conn, SEASON, now=NOW)
    rows.derivation(conn, games[1], NOW + timedelta(minutes=1))  # a reload
    assert list(game_store.seasons_needing_alignment(conn)) == [SEASON]
    report = refresh_season(conn, SEASON, now=NOW + timedelta(minutes=2))
    assert report.games == 1
    assert _aligned(conn)[games[1]] == NOW + timedelta(minutes=2)
    assert _aligned(conn)[games[0]] == NOW


def test_a_queued_wearables_day_realigns_its_games_and_is_consumed(world):
    conn, games = world["conn"], world["games"]
    refresh_season(conn, SEASON, now=NOW)
    conn.execute(
        "INSERT INTO wearables_changed_days (consumer, device_id, player_id, local_date, changed_at)"
        " VALUES ('alignment', %s, %s, %s, %s)",
        (world["device"], world["athlete"], (TIP - timedelta(hours=5)).date(), NOW + timedelta(minutes=1)),
    )
    report = refresh_season(conn, SEASON, now=NOW + timedelta(minutes=2))
    assert report.games >= 1 and games[0] in {g for g, at in _aligned(conn).items() if at > NOW}
    assert report.queue_consumed == 1
    assert (
        conn.execute("SELECT count(*) FROM wearables_changed_days WHERE consumer = 'alignment'").fetchone()[0]
        == 0
    )


def test_a_day_queued_after_the_refresh_started_stays_queued(world):
    conn = world["conn"]
    conn.execute(
        "INSERT INTO wearables_changed_days (consumer, device_id, player_id, local_date, changed_at)"
        " VALUES ('alignment', %s, %s, %s, %s)",
        (world["device"], world["athlete"], (TIP - timedelta(hours=5)).date(), NOW + timedelta(minutes=1)),
    )
    assert refresh_season(conn, SEASON, now=NOW).queue_consumed == 0
    assert (
        conn.execute("SELECT count(*) FROM wearables_changed_days WHERE consumer = 'alignment'").fetchone()[0]
        == 1
    )


def test_games_are_aligned_in_batches_each_recorded_when_it_commits(world, monkeypatch):
    """A batch that fails leaves the batches before it done and recorded, and itself not recorded, so
    the next refresh completes exactly what is missing."""
    conn, games = world["conn"], world["games"]
    monkeypatch.setattr(refresh, "BATCH_GAMES", 1)
    calls = []

    def second_batch_fails(conn, batch):
        calls.append(batch)
        if len(calls) == 2:
            raise RuntimeError("killed")
        return real_score_games(conn, batch)

    real_score_games = refresh.score_games
    monkeypatch.setattr(refresh, "score_games", second_batch_fails)
    with pytest.raises(RuntimeError):
        refresh_season(conn, SEASON, now=NOW)
    assert set(_aligned(conn)) == {games[0]}
    assert conn.execute(
        "SELECT count(*) FROM pregame_context WHERE game_id = %s", (games[1],)
    ).fetchone() == (0,)
    monkeypatch.setattr(refresh, "score_games", real_score_games)
    assert refresh_season(conn, SEASON, now=NOW).games == 1
    assert set(_aligned(conn)) == set(games)


def test_the_sensor_asks_for_one_run_of_a_season_that_needs_it_and_nothing_after(world, database_url):
    conn = world["conn"]
    resources = {"postgres": PostgresResource(database_url=database_url)}
    with dg.instance_for_test() as instance:
        requests = alignment_refresh(dg.build_sensor_context(instance=instance, resources=resources))
        assert [r.partition_key for r in requests] == [SEASON]
        again = alignment_refresh(dg.build_sensor_context(instance=instance, resources=resources))
        assert [r.run_key for r in again] == [r.run_key for r in requests]  # the same request: deduplicated
        refresh_season(conn, SEASON, now=NOW)
        skipped = alignment_refresh(dg.build_sensor_context(instance=instance, resources=resources))
    assert isinstance(skipped, dg.SkipReason)
