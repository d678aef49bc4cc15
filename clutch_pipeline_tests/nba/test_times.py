"""UTC times for actions: wall-clock labels, daylight saving, midnight, exact CDN times, the estimators."""

from __future__ import annotations

import dataclasses
import json
import statistics
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from pathlib import Path

import pytest

from clutch_pipeline.nba.parse import PlayAction, parse_play_by_play
from clutch_pipeline.nba.times import (
    ANCHOR_LABEL,
    ERROR_SECONDS,
    LINEAR,
    METHOD_EXACT,
    METHOD_EXTRAPOLATED_STOPPAGE,
    METHOD_LABEL,
    METHOD_LINEAR,
    METHOD_STOPPAGE,
    METHOD_TIP_OFF,
    METHODS,
    STOPPAGE,
    Anchor,
    NoTimeAnchors,
    consistent_anchors,
    estimate_event_times,
    estimate_from_anchors,
    parse_wall_clock_label,
    wall_clock_anchors,
)

DATA = Path(__file__).parent / "data"
CDN_GAME = DATA / "playbyplay_0022000001.json"  # GSW@BKN 2020-12-22, exact timeActual on every action
V3_GAME = DATA / "playbyplayv3_0022200552.json"  # CHI@CLE 2023-01-02, overtime, labels only
V3_GAME_DATE = date(2023, 1, 2)


def _load(path: Path) -> list[PlayAction]:
    return parse_play_by_play(json.loads(path.read_text())).actions


@pytest.fixture(scope="module")
def cdn_actions() -> list[PlayAction]:
    return _load(CDN_GAME)


@pytest.fixture(scope="module")
def v3_actions() -> list[PlayAction]:
    return _load(V3_GAME)


def _row(action_id: int, period: int, clock: str, action_type: str, description: str, sub_type="") -> dict:
    return {
        "actionNumber": action_id,
        "actionId": action_id,
        "clock": clock,
        "period": period,
        "teamId": 0,
        "personId": 0,
        "description": description,
        "actionType": action_type,
        "subType": sub_type,
        "location": "",
        "scoreHome": "",
        "scoreAway": "",
    }


def _game(*rows: tuple[int, str, str, str, str]) -> list[PlayAction]:
    """A v3 game from (period, clock, actionType, subType, description) rows."""
    raw = [_row(i + 1, p, c, t, d, s) for i, (p, c, t, s, d) in enumerate(rows)]
    return parse_play_by_play(raw, game_id="0022299999").actions


def _one_period(start: str, end: str, period: int = 4) -> list[PlayAction]:
    ordinal = {1: "1st", 2: "2nd", 3: "3rd", 4: "4th"}[period]
    return _game(
        (period, "PT12M00.00S", "period", "start", f"Start of {ordinal} Period ({start} EST)"),
        (period, "PT08M00.00S", "Foul", "Personal", "Doe P.FOUL (P1.T1)"),
        (period, "PT08M00.00S", "Timeout", "Regular", "Bulls Timeout: Regular (Reg.1 Short 0)"),
        (period, "PT04M00.00S", "Made Shot", "Jump Shot", "Doe 10' Jump Shot (2 PTS)"),
        (period, "PT00M00.00S", "period", "end", f"End of {ordinal} Period ({end} EST)"),
    )


# --- labels -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("description", "expected"),
    [
        ("Start of 1st Period (7:36 PM EST)", time(19, 36)),
        ("End of 2nd Period (8:08 PM EST)", time(20, 8)),
        ("Start of 3rd Period (8:24 PM EST)", time(20, 24)),
        ("End of 4th Period (9:52 PM EST)", time(21, 52)),
    ],
)
def test_label_of_a_regulation_period_row_is_read_as_local_time(description, expected):
    assert parse_wall_clock_label(description) == expected


@pytest.mark.parametrize(
    ("description", "expected"),
    [
        ("Start of 1st OT (9:48 PM EST)", time(21, 48)),
        ("End of 1st OT (10:02 PM EST)", time(22, 2)),
        ("Start of 2nd OT (12:07 AM EST)", time(0, 7)),
    ],
)
def test_label_of_an_overtime_row_is_read(description, expected):
    assert parse_wall_clock_label(description) == expected


def test_label_of_an_instant_replay_row_is_read():
    assert parse_wall_clock_label("Instant Replay3rd Period (8:31 PM EST)") == time(20, 31)


def test_twelve_pm_is_noon_and_twelve_am_is_midnight():
    assert parse_wall_clock_label("Start of 1st Period (12:10 PM EST)") == time(12, 10)
    assert parse_wall_clock_label("End of 4th Period (12:10 AM EST)") == time(0, 10)


@pytest.mark.parametrize(
    "description", ["Period Start", "Coach Challenge Overturn Ruling", "", "(25:99 PM EST)"]
)
def test_rows_without_a_label_have_none(description):
    assert parse_wall_clock_label(description) is None


def test_every_labelled_row_of_the_overtime_game_is_an_anchor_at_mid_minute_utc(v3_actions):
    anchors = wall_clock_anchors(v3_actions, V3_GAME_DATE)

    assert len(anchors) == 15  # 10 period starts/ends, 5 instant replays
    first, last = anchors[0], anchors[-1]
    # "Start of 1st Period (7:11 PM EST)" on 2023-01-02: EST is UTC-5, read at mid-minute.
    assert (first.index, first.at, first.source) == (
        0,
        datetime(2023, 1, 3, 0, 11, 30, tzinfo=UTC),
        ANCHOR_LABEL,
    )
    # "End of 1st OT (10:02 PM EST)"
    assert (last.period, last.clock_seconds, last.at) == (5, 0.0, datetime(2023, 1, 3, 3, 2, 30, tzinfo=UTC))


# --- daylight saving and midnight -------------------------------------------------------------------


def test_same_label_in_october_and_january_differs_by_one_hour_in_utc():
    actions = _one_period("7:36 PM", "8:05 PM")

    october = wall_clock_anchors(actions, date(2022, 10, 18))[0].at  # EDT, UTC-4, despite the "EST" text
    january = wall_clock_anchors(actions, date(2023, 1, 18))[0].at  # EST, UTC-5

    assert (october.hour, january.hour) == (23, 0)
    assert october == datetime(2022, 10, 18, 23, 36, 30, tzinfo=UTC)
    assert january == datetime(2023, 1, 19, 0, 36, 30, tzinfo=UTC)


def test_labels_after_midnight_belong_to_the_next_day():
    actions = _one_period("11:40 PM", "12:12 AM")

    start, end = wall_clock_anchors(actions, date(2023, 1, 18))

    assert start.at == datetime(2023, 1, 19, 4, 40, 30, tzinfo=UTC)
    assert end.at == datetime(2023, 1, 19, 5, 12, 30, tzinfo=UTC)
    times = estimate_event_times(actions, date(2023, 1, 18))
    assert [t.at for t in times] == sorted(t.at for t in times)


def test_a_replay_labelled_minutes_before_the_first_label_stays_on_the_same_day():
    actions = _game(
        (3, "PT12M00.00S", "period", "start", "Start of 3rd Period (10:00 PM EST)"),
        (3, "PT12M00.00S", "Instant Replay", "Replay Center", "Instant Replay3rd Period (9:52 PM EST)"),
        (3, "PT00M00.00S", "period", "end", "End of 3rd Period (10:28 PM EST)"),
    )

    replay = wall_clock_anchors(actions, date(2023, 3, 1))[1]

    assert replay.at == datetime(2023, 3, 2, 2, 52, 30, tzinfo=UTC)  # not the next day


def test_a_label_contradicting_its_neighbours_is_not_used():
    # 0022200929 of the archive: a review of the 2nd period's last play, placed after the 3rd's start.
    actions = _game(
        (3, "PT12M00.00S", "period", "start", "Start of 3rd Period (10:00 PM EST)"),
        (3, "PT12M00.00S", "Instant Replay", "Replay Center", "Instant Replay3rd Period (9:52 PM EST)"),
        (3, "PT06M00.00S", "Made Shot", "Jump Shot", "Doe 10' Jump Shot (2 PTS)"),
        (3, "PT00M00.00S", "period", "end", "End of 3rd Period (10:28 PM EST)"),
    )

    used = consistent_anchors(actions, wall_clock_anchors(actions, date(2023, 3, 1)))
    times = estimate_event_times(actions, date(2023, 3, 1))

    assert [a.index for a in used] == [0, 3]
    assert times[1].method == METHOD_STOPPAGE
    assert [t.at for t in times] == sorted(t.at for t in times)


def test_a_replay_label_contradicting_a_period_label_loses_to_it():
    # 0022200261 of the archive: the review of the 1st period's last play is labelled after its end.
    actions = _game(
        (1, "PT12M00.00S", "period", "start", "Start of 1st Period (7:12 PM EST)"),
        (1, "PT00M00.60S", "Instant Replay", "Support Ruling", "Instant Replay1st Period (7:37 PM EST)"),
        (1, "PT00M00.00S", "period", "end", "End of 1st Period (7:36 PM EST)"),
    )

    used = consistent_anchors(actions, wall_clock_anchors(actions, date(2022, 11, 19)))

    assert [a.index for a in used] == [0, 2]


# --- exact CDN times --------------------------------------------------------------------------------


def test_cdn_times_are_used_exactly_as_given(cdn_actions):
    times = estimate_event_times(cdn_actions, date(2020, 12, 22))

    assert [t.at for t in times] == [a.time_actual for a in cdn_actions]  # its 3 small inversions too
    assert {t.method for t in times} == {METHOD_EXACT}
    assert {t.error_seconds for t in times} == {0.0}


def test_a_cdn_action_without_time_is_estimated_between_its_timed_neighbours(cdn_actions):
    k = 300
    actions = list(cdn_actions)
    actions[k] = dataclasses.replace(actions[k], time_actual=None)

    times = estimate_event_times(actions, date(2020, 12, 22))

    assert times[k].method == METHOD_STOPPAGE
    assert actions[k - 1].time_actual <= times[k].at <= actions[k + 1].time_actual


# --- the estimators ---------------------------------------------------------------------------------


@pytest.mark.parametrize("method", METHODS)
def test_estimates_never_decrease_in_action_order(v3_actions, method):
    times = estimate_event_times(v3_actions, V3_GAME_DATE, method)

    assert len(times) == len(v3_actions)
    assert all(a.at <= b.at for a, b in pairwise(times))


@pytest.mark.parametrize("method", METHODS)
def test_estimates_pass_exactly_through_the_anchors(v3_actions, method):
    anchors = wall_clock_anchors(v3_actions, V3_GAME_DATE)

    times = estimate_event_times(v3_actions, V3_GAME_DATE, method)

    for anchor in anchors:
        assert times[anchor.index].at == anchor.at
        assert (times[anchor.index].method, times[anchor.index].error_seconds) == (METHOD_LABEL, 15.0)


def test_each_estimate_names_its_method_and_its_measured_error(v3_actions):
    linear = estimate_event_times(v3_actions, V3_GAME_DATE, LINEAR)
    stoppage = estimate_event_times(v3_actions, V3_GAME_DATE, STOPPAGE)

    assert (linear[50].method, linear[50].error_seconds) == (METHOD_LINEAR, ERROR_SECONDS[METHOD_LINEAR])
    assert (stoppage[50].method, stoppage[50].error_seconds) == (
        METHOD_STOPPAGE,
        ERROR_SECONDS[METHOD_STOPPAGE],
    )
    assert 0 < ERROR_SECONDS[METHOD_STOPPAGE] < ERROR_SECONDS[METHOD_LINEAR]


def test_linear_places_an_action_by_game_clock_alone():
    actions = _one_period("9:00 PM", "9:30 PM")  # 12:00 of game clock in 30:00 of real time

    times = estimate_event_times(actions, date(2023, 1, 18), LINEAR)

    # The shot at 4:00 left: 8:00 of 12:00 played, so two thirds of the way.
    assert times[3].at - times[0].at == timedelta(minutes=20)


def test_stoppage_puts_a_timeout_s_real_time_after_it():
    actions = _one_period("9:00 PM", "9:30 PM")

    linear = estimate_event_times(actions, date(2023, 1, 18), LINEAR)
    stoppage = estimate_event_times(actions, date(2023, 1, 18), STOPPAGE)

    # Foul and timeout at 8:00: the stoppage time after them pushes the 4:00 shot later than linear.
    assert stoppage[3].at > linear[3].at
    assert stoppage[2].at < linear[2].at


def _minute_labels(actions: list[PlayAction]) -> list[Anchor]:
    """What v3 would show for a CDN game: period start/end times rounded down to the minute."""
    anchors = []
    for i, a in enumerate(actions):
        if a.kind in ("period_start", "period_end"):
            minute = a.time_actual.replace(second=0, microsecond=0)
            anchors.append(Anchor(i, a.period, a.clock_seconds, minute + timedelta(seconds=30), ANCHOR_LABEL))
    return anchors


def _errors(cdn_actions: list[PlayAction], method: str) -> tuple[list[float], list[float]]:
    hidden = [dataclasses.replace(a, time_actual=None) for a in cdn_actions]
    times = estimate_from_anchors(hidden, consistent_anchors(hidden, _minute_labels(cdn_actions)), method)
    errors = [abs((t.at - a.time_actual).total_seconds()) for t, a in zip(times, cdn_actions, strict=True)]
    late = [e for e, a in zip(errors, cdn_actions, strict=True) if a.period == 4 and a.clock_seconds <= 300]
    return errors, late


def _p90(values: list[float]) -> float:
    return statistics.quantiles(values, n=10, method="inclusive")[-1]


def test_stoppage_beats_linear_on_the_held_out_cdn_game(cdn_actions):
    # Costs were fitted on the 2022-23 archive; this 2020-21 game was not used. Its times are hidden and
    # only minute-rounded period labels are given. Measured (benchmarks/nba_event_times.py), seconds:
    #   overall (610 actions) linear median 56.9, p90 143.5; stoppage median 27.6, p90 60.6
    #   last 5:00 of Q4 (49)  linear median 29.0, p90  80.9; stoppage median 29.3, p90 45.3
    # The game is a blowout with NO clutch time: late rows are garbage time, near the end anchor, so the
    # medians tie there; the archive's replay-label check (docstring of times.py) covers real late games.
    linear, linear_late = _errors(cdn_actions, LINEAR)
    stoppage, stoppage_late = _errors(cdn_actions, STOPPAGE)

    assert statistics.median(stoppage) * 2.0 <= statistics.median(linear)
    assert _p90(stoppage) * 2.2 <= _p90(linear)
    assert _p90(stoppage_late) * 1.6 <= _p90(linear_late)
    assert statistics.median(stoppage_late) <= statistics.median(linear_late) * 1.05


def test_stoppage_predicts_the_overtime_game_s_replay_labels_better_than_linear(v3_actions):
    # Each mid-period instant-replay label (Q3 9:24, Q4 7:00, Q4 3:26, OT 0:41) predicted from the period
    # labels alone; observed errors: linear 48, 235, 342, 64 s; stoppage 18, 92, 29, 5 s.
    anchors = wall_clock_anchors(v3_actions, V3_GAME_DATE)
    periods = [a for a in anchors if v3_actions[a.index].kind != "replay"]
    replays = [
        a for a in anchors if v3_actions[a.index].kind == "replay" and a.clock_seconds not in (0.0, 720.0)
    ]
    mean_error = {}
    for method in METHODS:
        times = estimate_from_anchors(v3_actions, periods, method)
        mean_error[method] = statistics.fmean(
            abs((times[r.index].at - r.at).total_seconds()) for r in replays
        )

    assert len(replays) == 4
    assert mean_error[STOPPAGE] * 3 <= mean_error[LINEAR]


# --- no anchors -------------------------------------------------------------------------------------


def _unlabelled() -> list[PlayAction]:
    return _game(
        (1, "PT12M00.00S", "period", "start", "Start of 1st Period"),
        (1, "PT11M00.00S", "Made Shot", "Jump Shot", "Doe 10' Jump Shot (2 PTS)"),
        (1, "PT10M00.00S", "Timeout", "Regular", "Bulls Timeout: Regular (Reg.1 Short 0)"),
        (1, "PT09M00.00S", "Made Shot", "Jump Shot", "Doe 10' Jump Shot (4 PTS)"),
    )


def test_a_game_without_labels_or_exact_times_raises_no_time_anchors():
    with pytest.raises(NoTimeAnchors, match="tip_off"):
        estimate_event_times(_unlabelled(), date(2023, 1, 18))


def test_a_game_without_labels_is_extrapolated_from_a_given_tip_off():
    tip_off = datetime(2023, 1, 19, 0, 40, tzinfo=UTC)

    times = estimate_event_times(_unlabelled(), date(2023, 1, 18), tip_off=tip_off)

    assert (times[0].at, times[0].method) == (tip_off, METHOD_TIP_OFF)
    assert {t.method for t in times[1:]} == {METHOD_EXTRAPOLATED_STOPPAGE}
    assert times[1].at == tip_off + timedelta(seconds=60)  # a minute of live play
    assert times[3].at == tip_off + timedelta(seconds=180 + 113)  # plus the timeout's cost
    assert times[1].error_seconds > ERROR_SECONDS[METHOD_STOPPAGE]


def test_an_unknown_method_is_refused(v3_actions):
    with pytest.raises(ValueError, match="unknown method"):
        estimate_event_times(v3_actions, V3_GAME_DATE, "quadratic")
