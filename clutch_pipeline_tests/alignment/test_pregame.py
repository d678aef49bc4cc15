"""Pregame context (pregame_context): the night before a game, measured strictly before tip-off."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from clutch_pipeline.alignment.store.context import align_games
from clutch_pipeline_tests.alignment import context_rows as rows

# 19:30 US Eastern on 9 January 2023. The night before: 23:00-08:00 Eastern.
TIP = datetime(2023, 1, 10, 0, 30, tzinfo=UTC)
NIGHT_START = datetime(2023, 1, 9, 4, 0, tzinfo=UTC)
WAKE = datetime(2023, 1, 9, 13, 0, tzinfo=UTC)
NOW = datetime(2023, 6, 1, tzinfo=UTC)


@pytest.fixture
def world(conn):
    home, away = rows.team(conn), rows.team(conn)
    athlete = rows.player(conn)
    game = rows.game(conn, home, away, TIP)
    rows.played(conn, game, athlete, home)
    return {
        "conn": conn,
        "home": home,
        "away": away,
        "player": athlete,
        "game": game,
        "device": rows.device(conn, athlete),
    }


def _context(conn, game, player) -> dict:
    cur = conn.execute("SELECT * FROM pregame_context WHERE game_id = %s AND player_id = %s", (game, player))
    found = cur.fetchone()
    assert found is not None
    return dict(zip([d.name for d in cur.description], found, strict=True))


def _align(w) -> dict:
    align_games(w["conn"], [w["game"]], now=NOW)
    return _context(w["conn"], w["game"], w["player"])


def test_the_nights_main_sleep_its_recovery_and_the_previous_days_strain_are_the_context(world):
    conn, dev, pl = world["conn"], world["device"], world["player"]
    sleep_id = rows.night(conn, dev, pl, NIGHT_START, WAKE, score=66, hrv=81.5, resting_hr=48)
    rows.cycle(conn, dev, pl, NIGHT_START - timedelta(hours=24), NIGHT_START, strain=14.2)
    rows.cycle(conn, dev, pl, NIGHT_START, None, strain=3.0)  # today's, still open: not "previous"

    context = _align(world)

    assert context["has_wearables_data"] is True
    assert context["sleep_record_id"] == sleep_id
    assert context["sleep_end_at"] == WAKE
    assert context["local_date"] == date(2023, 1, 9)
    assert (context["hrv_rmssd_pregame"], context["resting_hr_pregame"]) == (
        Decimal("81.50"),
        Decimal("48.00"),
    )
    assert context["recovery_score_pregame"] == Decimal("66.00")
    assert context["sleep_performance_pregame"] == Decimal("90.00")
    assert context["day_strain_previous"] == Decimal("14.20")
    assert context["recovery_calibrating"] is False
    assert context["measured_until"] == WAKE
    assert context["wearables_quality_score"] == Decimal("1.00")


def test_a_pregame_nap_is_not_taken_as_the_night(world):
    conn, dev, pl = world["conn"], world["device"], world["player"]
    night_id = rows.night(conn, dev, pl, NIGHT_START, WAKE)
    rows.sleep(conn, dev, pl, TIP - timedelta(hours=6), TIP - timedelta(hours=4), nap=True, performance=30)

    context = _align(world)

    assert context["sleep_record_id"] == night_id
    assert context["sleep_performance_pregame"] == Decimal("90.00")
    assert context["measured_until"] == WAKE


def test_nothing_measured_after_tip_off_is_used_even_when_later_data_exists(world):
    conn, dev, pl = world["conn"], world["device"], world["player"]
    # He wore nothing last night; the night after the game and its recovery are stored.
    rows.night(conn, dev, pl, TIP + timedelta(hours=4), TIP + timedelta(hours=13), score=99, hrv=120)
    rows.cycle(conn, dev, pl, NIGHT_START, TIP + timedelta(hours=4), strain=20.0)  # ends after tip-off

    align_games(conn, [world["game"]], now=NOW)

    context = _context(conn, world["game"], pl)
    assert context["has_wearables_data"] is False
    assert context["sleep_record_id"] is None and context["hrv_rmssd_pregame"] is None
    assert context["day_strain_previous"] is None and context["measured_until"] is None


def test_a_missing_morning_recovery_stays_missing_and_is_not_the_next_days(world):
    conn, dev, pl = world["conn"], world["device"], world["player"]
    rows.sleep(conn, dev, pl, NIGHT_START, WAKE, performance=77)  # scored sleep, no recovery stored
    rows.night(conn, dev, pl, TIP + timedelta(hours=4), TIP + timedelta(hours=13), score=99)

    context = _align(world)

    assert context["sleep_performance_pregame"] == Decimal("77.00")
    assert context["recovery_score_pregame"] is None and context["hrv_rmssd_pregame"] is None
    assert context["recovery_calibrating"] is None
    assert context["measured_until"] == WAKE
    assert context["wearables_quality_score"] < Decimal("1.00")  # two of three inputs


def test_a_sleep_that_ended_more_than_twenty_hours_before_tip_off_is_not_the_night(world):
    conn, dev, pl = world["conn"], world["device"], world["player"]
    rows.night(conn, dev, pl, TIP - timedelta(hours=30), TIP - timedelta(hours=21))

    context = _align(world)

    assert context["has_wearables_data"] is False and context["sleep_record_id"] is None


def test_a_late_wake_up_after_a_night_game_is_the_night(world):
    conn, dev, pl = world["conn"], world["device"], world["player"]
    late = rows.night(conn, dev, pl, TIP - timedelta(hours=16), TIP - timedelta(hours=6))  # 03:30 to 13:30

    assert _align(world)["sleep_record_id"] == late


def test_the_baseline_deviation_is_the_wake_up_days_summary(world):
    conn, dev, pl = world["conn"], world["device"], world["player"]
    rows.night(conn, dev, pl, NIGHT_START, WAKE)
    rows.summary(conn, dev, pl, date(2023, 1, 8), deviation=-30.0)
    rows.summary(conn, dev, pl, date(2023, 1, 9), deviation=-12.5)

    assert _align(world)["hrv_baseline_deviation"] == Decimal("-12.50")


def test_a_calibrating_recovery_is_flagged_and_lowers_the_quality(world):
    conn, dev, pl = world["conn"], world["device"], world["player"]
    rows.night(conn, dev, pl, NIGHT_START, WAKE, calibrating=True)
    rows.cycle(conn, dev, pl, NIGHT_START - timedelta(hours=24), NIGHT_START)

    context = _align(world)

    assert context["recovery_calibrating"] is True
    assert context["wearables_quality_score"] == Decimal("0.80")


def test_an_unscorable_record_before_tip_off_lowers_the_quality(world):
    conn, dev, pl = world["conn"], world["device"], world["player"]
    rows.night(conn, dev, pl, NIGHT_START, WAKE)
    rows.cycle(conn, dev, pl, NIGHT_START - timedelta(hours=24), NIGHT_START)
    rows.workout(conn, dev, pl, WAKE + timedelta(hours=2), WAKE + timedelta(hours=3), state="UNSCORABLE")

    assert _align(world)["wearables_quality_score"] == Decimal("0.80")


def test_a_game_without_a_tip_off_time_gets_no_wearables_context(conn):
    home, away, pl = rows.team(conn), rows.team(conn), rows.player(conn)
    game = rows.game(conn, home, away, None, game_date=date(2023, 1, 9))
    rows.played(conn, game, pl, home)
    dev = rows.device(conn, pl)
    rows.night(conn, dev, pl, NIGHT_START, WAKE)

    align_games(conn, [game], now=NOW)

    context = _context(conn, game, pl)
    assert context["has_wearables_data"] is False and context["tipoff_at"] is None
    assert context["played"] is True


def test_days_since_the_last_game_and_the_playoff_flag(world):
    conn, pl, home, away = world["conn"], world["player"], world["home"], world["away"]
    earlier = rows.game(conn, home, away, TIP - timedelta(days=3))
    rows.played(conn, earlier, pl, home)
    playoff = rows.game(conn, home, away, TIP + timedelta(days=100), season_type_digit=4)
    play_in = rows.game(conn, home, away, TIP + timedelta(days=90), season_type_digit=5)
    for g in (playoff, play_in):
        rows.played(conn, g, pl, home)

    align_games(conn, [earlier, world["game"], playoff, play_in], now=NOW)

    assert _context(conn, earlier, pl)["days_since_last_game"] is None
    assert _context(conn, world["game"], pl)["days_since_last_game"] == 3
    assert _context(conn, play_in, pl)["is_playoff"] is False
    assert _context(conn, playoff, pl)["is_playoff"] is True
    assert _context(conn, playoff, pl)["days_since_last_game"] == 10


def test_a_scheduled_game_gets_the_players_whose_latest_team_plays_it(world):
    conn, home, away = world["conn"], world["home"], world["away"]
    traded, stays, other_team = rows.player(conn), rows.player(conn), rows.team(conn)
    for p in (traded, stays):
        rows.played(conn, world["game"], p, home)
    later = rows.game(conn, other_team, away, TIP + timedelta(days=2))
    rows.played(conn, later, traded, other_team)  # traded after the first game
    scheduled = rows.game(conn, home, away, TIP + timedelta(days=5), status="scheduled")

    align_games(conn, [scheduled], now=NOW)

    found = conn.execute(
        "SELECT player_id, team_id, played FROM pregame_context WHERE game_id = %s", (scheduled,)
    ).fetchall()
    assert sorted(found) == sorted([(world["player"], home, False), (stays, home, False)])


def test_a_player_without_wearables_gets_nba_context_only(world):
    conn = world["conn"]
    other = rows.player(conn)
    rows.played(conn, world["game"], other, world["away"])

    align_games(conn, [world["game"]], now=NOW)

    context = _context(conn, world["game"], other)
    assert context["has_wearables_data"] is False and context["device_id"] is None
    assert context["team_id"] == world["away"] and context["is_playoff"] is False


def test_a_device_with_no_records_in_range_gives_no_wearables_context(world):
    conn, dev, pl = world["conn"], world["device"], world["player"]
    rows.night(conn, dev, pl, TIP - timedelta(days=40), TIP - timedelta(days=40) + timedelta(hours=8))

    assert _align(world)["has_wearables_data"] is False
