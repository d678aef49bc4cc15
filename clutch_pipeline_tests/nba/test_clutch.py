"""The clutch rule, margins before the action, windows, and player actions."""

import pytest

from clutch_pipeline.nba.clutch import detect_clutch, intensity, is_clutch, scores_before
from clutch_pipeline.nba.parse import parse_play_by_play

from .actions import AWAY, HOME, made, v3


def _actions(raw: list[dict]):
    return parse_play_by_play(raw, game_id="0022200552").actions


@pytest.mark.parametrize(
    ("period", "clock", "margin", "clutch"),
    [
        (4, 300.0, 5, True),  # 5:00 itself is included
        (4, 300.1, 0, False),
        (4, 120.0, -5, True),
        (4, 120.0, 6, False),
        (4, 120.0, -6, False),  # 6 points down is as far from clutch as 6 up
        (3, 10.0, 0, False),
        (5, 300.0, 0, True),  # overtime starts tied: always clutch
        (6, 12.0, -3, True),
    ],
)
def test_the_nba_clutch_rule(period, clock, margin, clutch):
    assert is_clutch(period, clock, margin) is clutch


def test_the_score_before_an_action_is_carried_from_the_last_known_score():
    actions = _actions(
        [
            made(1, home=2, away=0),
            v3(2),  # a rebound: v3 leaves the score blank
            made(3, team=AWAY, home=2, away=3, value=3),
            v3(4),
        ]
    )

    assert scores_before(actions) == [(0, 0), (2, 0), (2, 0), (2, 3)]


def test_the_margin_is_taken_before_the_action_not_after():
    # 6 points up: the basket that makes it 4 is not clutch, the next action is.
    actions = _actions(
        [
            made(1, home=10, away=4, period=3, clock="PT01M00.00S"),
            made(2, team=AWAY, home=10, away=6, clock="PT04M30.00S"),
            v3(3, clock="PT04M10.00S"),
        ]
    )

    windows = detect_clutch(actions).windows

    assert [(w.first, w.last) for w in windows] == [(2, 2)]


def test_a_game_can_open_and_close_clutch_windows_several_times():
    actions = _actions(
        [
            made(1, home=100, away=96, clock="PT04M50.00S"),  # before: 0-0, clutch
            made(2, home=103, away=96, clock="PT04M20.00S", value=3),  # before: 100-96, clutch; after +7
            v3(3, clock="PT04M00.00S"),  # before: +7, not clutch
            made(4, team=AWAY, home=103, away=99, clock="PT03M30.00S", value=3),  # before +7, not clutch
            v3(5, clock="PT03M10.00S"),  # before +4: clutch again
        ]
    )

    windows = detect_clutch(actions).windows

    assert [(w.number, w.first, w.last) for w in windows] == [(1, 0, 1), (2, 4, 4)]
    assert (windows[0].home_after, windows[0].away_after) == (103, 96)


def test_overtime_is_clutch_from_its_first_action_when_tied():
    actions = _actions(
        [
            made(1, home=110, away=110, period=4, clock="PT00M30.00S"),
            v3(2, period=5, clock="PT05M00.00S"),
            made(3, period=5, clock="PT04M40.00S", home=112, away=110),
        ]
    )

    windows = detect_clutch(actions).windows

    assert [(w.period, w.first, w.last, w.overtime) for w in windows] == [(4, 0, 0, False), (5, 1, 2, True)]


def test_windows_do_not_span_periods():
    actions = _actions([v3(1, period=4, clock="PT00M01.00S"), v3(2, period=5, clock="PT05M00.00S")])

    assert [w.period for w in detect_clutch(actions).windows] == [4, 5]


def test_intensity_grows_as_time_runs_out_and_the_margin_closes():
    assert intensity(0.0, 0) == 1.0
    assert intensity(300.0, 5) == pytest.approx(0.08, abs=0.005)
    assert intensity(60.0, 2) > intensity(240.0, 2) > intensity(240.0, 4)


def test_intensity_is_the_same_for_the_side_behind_and_the_side_ahead():
    assert intensity(60.0, -2) == intensity(60.0, 2)
    assert intensity(0.0, -6) == intensity(0.0, 6) == 0.5


def test_made_shots_free_throws_and_points_become_player_actions():
    actions = _actions(
        [
            made(1, home=3, away=0, value=3),
            v3(
                2,
                action_type="Free Throw",
                sub_type="Free Throw 1 of 2",
                description="Mitchell Free Throw 1 of 2 (4 PTS)",
                home=4,
                away=0,
            ),
            v3(
                3,
                action_type="Free Throw",
                sub_type="Free Throw 2 of 2",
                description="MISS Mitchell Free Throw 2 of 2",
            ),
        ]
    )

    got = [
        (a.action_type, a.subtype, a.is_successful, a.points) for a in detect_clutch(actions).player_actions
    ]

    assert got == [
        ("field_goal_made", "three_pointer", True, 3),
        ("free_throw", "free_throw_1_of_2", True, 1),
        ("free_throw", "free_throw_2_of_2", False, 0),
    ]


def test_steals_and_blocks_are_known_from_their_description():
    actions = _actions(
        [
            v3(
                1,
                action_type="",
                description="Smart STEAL (1 STL)",
                team=AWAY,
                person=203935,
                name="M. Smart",
            ),
            v3(
                2,
                action_type="",
                description="Brown BLOCK (1 BLK)",
                team=AWAY,
                person=1627759,
                name="J. Brown",
            ),
        ]
    )

    got = [(a.action_type, a.person_id) for a in detect_clutch(actions).player_actions]

    assert got == [("steal", 203935), ("block", 1627759)]


def test_team_rebounds_are_not_a_players():
    actions = _actions([v3(1, action_type="Rebound", description="CLE Rebound", person=HOME, name="")])

    assert detect_clutch(actions).player_actions == []


def test_an_assist_is_resolved_against_the_scorers_team():
    actions = _actions(
        [
            v3(1, period=1, person=201, name="K. Love", action_type="Rebound"),
            made(2, home=2, away=0, assist="Love"),
        ]
    )

    assists = [a for a in detect_clutch(actions).player_actions if a.action_type == "assist"]

    assert [(a.person_id, a.team_id) for a in assists] == [(201, HOME)]


def test_two_teammates_of_one_surname_are_told_apart_by_their_assist_count():
    # Give player 301 an earlier assist by initial, so "(Holiday 2 AST)" can only be him.
    raw = [
        v3(1, period=1, person=301, name="J. Holiday"),
        v3(2, period=1, person=302, name="A. Holiday"),
        made(3, period=1, home=2, away=0, assist="J. Holiday"),
        made(4, home=4, away=0, assist="Holiday"),
    ]
    raw[3]["description"] = raw[3]["description"].replace("(Holiday 1 AST)", "(Holiday 2 AST)")
    actions = _actions(raw)

    result = detect_clutch(actions)

    assists = [a for a in result.player_actions if a.action_type == "assist"]
    assert [a.person_id for a in assists] == [301]
    assert result.unresolved_assists == []


def test_an_assist_that_cannot_be_resolved_is_counted():
    actions = _actions([made(1, home=2, away=0, assist="Nobody")])

    result = detect_clutch(actions)

    assert result.unresolved_assists == ["1: Nobody"]
    assert [a.action_type for a in result.player_actions] == ["field_goal_made"]


def test_unknown_action_types_are_counted_not_dropped():
    actions = _actions([v3(1, action_type="Coach Challenge Dance")])

    assert detect_clutch(actions).unknown_actions == 1
    assert actions[0].kind == "unknown"


def test_the_margin_before_is_from_the_actors_side():
    actions = _actions([made(1, home=10, away=8), made(2, team=AWAY, home=10, away=10)])

    margins = [a.margin_before for a in detect_clutch(actions).player_actions]

    assert margins == [0, -2]


def test_team_actions_with_no_team_id_are_known_by_their_team_person_id():
    # v3 puts the team's id in personId and leaves teamId 0: "PISTONS Rebound".
    actions = _actions(
        [v3(1, action_type="Rebound", description="PISTONS Rebound", team=0, person=1610612765)]
    )

    assert actions[0].is_team_action
    assert detect_clutch(actions).player_actions == []
