"""The simulated physiology: deterministic, physically consistent, following the schedule and readiness."""

from __future__ import annotations

import itertools
import random
import statistics
from datetime import UTC, date, datetime, timedelta

import pytest

from clutch_pipeline.whoop.simulator import Game, Player, load_readiness_csv, simulate_athletes, user_id_for
from clutch_pipeline.whoop.simulator.athletes import email_for
from clutch_pipeline_tests.whoop.conftest import (
    BOS,
    BROWN,
    DNP_GAME,
    PHX,
    SIM_END,
    SIM_GAMES,
    SIM_PLAYERS,
    SIM_START,
    TATUM,
)

FAR_FUTURE = datetime(2030, 1, 1, tzinfo=UTC)


def boston_players(count: int) -> list[Player]:
    """``count`` made-up Celtics who play every Boston game of the fixture's schedule."""
    games = {g.nba_game_id: BOS for g in SIM_GAMES if BOS in (g.home_team_id, g.away_team_id)}
    return [Player(900_000 + i, "Test", f"Player{i}", games) for i in range(count)]


def payloads(athletes) -> list[dict]:
    return [
        r.payload(FAR_FUTURE)
        for a in athletes
        for records in (a.cycles, a.sleeps, a.recoveries, a.workouts)
        for r in records
    ]


def test_the_same_inputs_give_the_same_records_and_another_seed_others():
    first = simulate_athletes(SIM_PLAYERS, SIM_GAMES, SIM_START, SIM_END)
    again = simulate_athletes(SIM_PLAYERS, SIM_GAMES, SIM_START, SIM_END)
    other = simulate_athletes(SIM_PLAYERS, SIM_GAMES, SIM_START, SIM_END, seed=1)
    assert payloads(first) == payloads(again)
    assert [c.record_id for a in first for c in a.cycles] == [c.record_id for a in other for c in a.cycles]
    assert payloads(first) != payloads(other)


def test_user_ids_are_deterministic_distinct_int64_and_emails_ascii():
    ids = [user_id_for(p) for p in range(1, 200_000, 7)] + [user_id_for(1630000 + p) for p in range(5000)]
    assert len(set(ids)) == len(ids) and all(0 < i < 2**63 for i in ids)
    assert user_id_for(TATUM) == user_id_for(TATUM) != TATUM
    assert email_for(1629029, "Luka", "Dončić") == "luka.doncic.1629029@athletes.example.com"


def test_records_are_physically_consistent_and_linked():
    for athlete in simulate_athletes(SIM_PLAYERS + boston_players(10), SIM_GAMES, SIM_START, SIM_END):
        cycles = sorted(athlete.cycles, key=lambda c: c.start)
        assert [c.start.date() for c in cycles] and len(cycles) == (SIM_END - SIM_START).days + 1
        for before, after in itertools.pairwise(cycles):
            assert before.end == after.start  # a cycle ends when the next begins
        by_cycle = {c.record_id: c for c in cycles}
        for sleep in athlete.sleeps:
            cycle = by_cycle[sleep.fields["cycle_id"]]
            if sleep.fields["nap"]:
                assert cycle.start < sleep.start and sleep.end < cycle.end
            else:
                assert sleep.start == cycle.start  # the main sleep begins its cycle
            stages = sleep.score["stage_summary"]
            assert (
                stages["total_light_sleep_time_milli"]
                + stages["total_slow_wave_sleep_time_milli"]
                + stages["total_rem_sleep_time_milli"]
                + stages["total_awake_time_milli"]
                + stages["total_no_data_time_milli"]
                == stages["total_in_bed_time_milli"]
                == int((sleep.end - sleep.start).total_seconds() * 1000)
            )
            assert all(v >= 0 for v in stages.values())
            for name in (
                "sleep_performance_percentage",
                "sleep_consistency_percentage",
                "sleep_efficiency_percentage",
            ):
                assert 0 <= sleep.score[name] <= 100
            assert sleep.score["sleep_needed"]["need_from_recent_nap_milli"] <= 0
        sleeps = {s.record_id: s for s in athlete.sleeps}
        for recovery in athlete.recoveries:
            sleep = sleeps[recovery.fields["sleep_id"]]
            assert not sleep.fields["nap"] and recovery.fields["cycle_id"] == sleep.fields["cycle_id"]
            score = recovery.score
            assert 0 <= score["recovery_score"] <= 100 and 25 <= score["hrv_rmssd_milli"] <= 300
            assert 35 <= score["resting_heart_rate"] <= 90 and 90 <= score["spo2_percentage"] <= 100
        workouts = sorted(athlete.workouts, key=lambda w: w.start)
        for before, after in itertools.pairwise(workouts):
            assert before.end < after.start
        for cycle in cycles:
            inside = [w for w in workouts if cycle.start <= w.start < cycle.end]
            assert all(w.end < cycle.end for w in inside)
            assert 0 <= cycle.score["strain"] <= 21
            assert cycle.score["strain"] >= max((w.score["strain"] for w in inside), default=0)
            assert cycle.score["max_heart_rate"] >= max(
                (w.score["max_heart_rate"] for w in inside), default=0
            )
        for workout in workouts:
            score = workout.score
            assert 0 <= score["strain"] <= 21 and 0 <= score["percent_recorded"] <= 100
            assert score["average_heart_rate"] < score["max_heart_rate"] <= athlete.body["max_heart_rate"]
            assert sum(score["zone_durations"].values()) == int(
                (workout.end - workout.start).total_seconds() * 1000
            )


def test_a_game_day_has_a_basketball_workout_from_tipoff_hard_unless_he_sat_out():
    athletes = {a.person_id: a for a in simulate_athletes(SIM_PLAYERS, SIM_GAMES, SIM_START, SIM_END)}
    tipoffs = {g.nba_game_id: g.tipoff_at for g in SIM_GAMES}
    for athlete in athletes.values():
        game_days = [d for d in athlete.days if d.nba_game_id]
        assert len(game_days) >= 8
        for day in game_days:
            tipoff = tipoffs[day.nba_game_id]
            game = [w for w in athlete.workouts if abs(w.start - tipoff) <= timedelta(minutes=2)]
            assert len(game) == 1, (athlete.last_name, day)
            assert game[0].fields["sport_name"] == "basketball"
            assert timedelta(minutes=135) <= game[0].end - game[0].start <= timedelta(minutes=160)
            if day.played:
                assert game[0].score["strain"] >= 12.5
            else:
                assert game[0].score["strain"] < 12.5
    brown = {d.nba_game_id: d for d in athletes[BROWN].days if d.nba_game_id}
    assert brown[DNP_GAME].played is False and athletes[TATUM].days[7].played is True


def test_strain_peaks_on_game_days_and_nights_after_a_back_to_back_are_shortest():
    athletes = simulate_athletes(boston_players(40), SIM_GAMES, SIM_START, SIM_END)
    days = [d for a in athletes for d in a.days]
    game = statistics.mean(d.day_strain for d in days if d.nba_game_id)
    off = statistics.mean(d.day_strain for d in days if not d.nba_game_id)
    assert game > off + 4 and game > 15

    after_back_to_back, after_game, quiet = [], [], []
    for athlete in athletes:
        by_day = {d.day: d for d in athlete.days}
        for day in athlete.days:
            previous = by_day.get(day.day - timedelta(days=1))
            if previous is None:
                continue
            if previous.nba_game_id and previous.back_to_back:
                after_back_to_back.append(day.hours_asleep)
            elif previous.nba_game_id:
                after_game.append(day.hours_asleep)
            else:
                quiet.append(day.hours_asleep)
    assert statistics.mean(after_back_to_back) < statistics.mean(after_game) - 0.3
    assert statistics.mean(after_game) < statistics.mean(quiet) - 0.5
    assert 6.0 < statistics.mean(quiet) < 8.5


def test_readiness_from_outside_moves_recovery_and_hrv_up_and_resting_heart_rate_down():
    days = [SIM_START + timedelta(days=i) for i in range((SIM_END - SIM_START).days + 1)]
    ids = [p.person_id for p in SIM_PLAYERS]
    high = simulate_athletes(
        SIM_PLAYERS, SIM_GAMES, SIM_START, SIM_END, readiness={(p, d): 1.5 for p in ids for d in days}
    )
    low = simulate_athletes(
        SIM_PLAYERS, SIM_GAMES, SIM_START, SIM_END, readiness={(p, d): -1.5 for p in ids for d in days}
    )
    for up, down in zip(high, low, strict=True):
        assert all(d.readiness == 1.5 for d in up.days) and all(d.readiness == -1.5 for d in down.days)
        for a, b in zip(up.days, down.days, strict=True):
            assert a.hrv_rmssd_milli > b.hrv_rmssd_milli
            assert a.resting_heart_rate < b.resting_heart_rate
            assert a.recovery_score > b.recovery_score
        assert statistics.mean(d.recovery_score for d in up.days) > 30 + statistics.mean(
            d.recovery_score for d in down.days
        )

    draw = random.Random(7)
    planted = {(p.person_id, d): draw.gauss(0.0, 1.0) for p in boston_players(20) for d in days}
    athletes = simulate_athletes(boston_players(20), SIM_GAMES, SIM_START, SIM_END, readiness=planted)
    pairs = [(planted[(a.person_id, d.day)], d.recovery_score) for a in athletes for d in a.days]
    assert statistics.correlation(*zip(*pairs, strict=True)) > 0.6


def test_the_background_readiness_is_standard_normal_and_persistent():
    athletes = simulate_athletes(boston_players(60), SIM_GAMES, SIM_START, SIM_END)
    values = [d.readiness for a in athletes for d in a.days]
    assert abs(statistics.mean(values)) < 0.15 and 0.8 < statistics.stdev(values) < 1.2
    lagged = [
        (a.days[i].readiness, a.days[i + 1].readiness) for a in athletes for i in range(len(a.days) - 1)
    ]
    assert 0.45 < statistics.correlation(*zip(*lagged, strict=True)) < 0.75


def test_offsets_follow_daylight_saving_time_and_arizona():
    boston, phoenix = 1610612738, PHX
    games = [
        Game("0022200900", date(2023, 3, 10), datetime(2023, 3, 11, 0, 30, tzinfo=UTC), boston, phoenix),
        Game("0022200910", date(2023, 3, 14), datetime(2023, 3, 14, 23, 30, tzinfo=UTC), boston, phoenix),
    ]
    celtic = Player(1, "A", "Celtic", {g.nba_game_id: boston for g in games})
    sun = Player(2, "A", "Sun", {g.nba_game_id: phoenix for g in games})
    athletes = {
        a.person_id: a for a in simulate_athletes([celtic, sun], games, date(2023, 3, 8), date(2023, 3, 16))
    }
    offsets = {c.start.date(): c.fields["timezone_offset"] for c in athletes[1].cycles}
    assert offsets[date(2023, 3, 9)] == "-05:00" and offsets[date(2023, 3, 15)] == "-04:00"
    phoenix_home = {
        c.fields["timezone_offset"] for c in athletes[2].cycles if c.start.date() < date(2023, 3, 9)
    }
    assert phoenix_home == {"-07:00"}
    in_boston = [w for w in athletes[2].workouts if abs(w.start - games[1].tipoff_at) < timedelta(minutes=3)]
    assert in_boston[0].fields["timezone_offset"] == "-04:00"  # the away game's city, after the change


def test_a_readiness_csv_loads_and_a_bad_one_is_refused(tmp_path):
    good = tmp_path / "readiness.csv"
    good.write_text("person_id,date,readiness\n1628369,2023-01-03,1.25\n2544,2023-01-04,-0.5\n")
    assert load_readiness_csv(good) == {(1628369, date(2023, 1, 3)): 1.25, (2544, date(2023, 1, 4)): -0.5}
    bad = tmp_path / "bad.csv"
    bad.write_text("person,date,value\n1,2023-01-03,1\n")
    with pytest.raises(ValueError, match="missing column"):
        load_readiness_csv(bad)
    bad.write_text("person_id,date,readiness\n1,yesterday,1\n")
    with pytest.raises(ValueError, match="line 2"):
        load_readiness_csv(bad)
