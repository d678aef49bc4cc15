"""The clutch score's properties, on plain values (alignment/scores.py; docs/clutch-score.md)."""

from __future__ import annotations

import itertools
import uuid
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from clutch_pipeline.alignment import scores

INGREDIENTS = {  # ingredient -> +1 when more of it must raise the score, -1 when it must lower it
    "points_over_expected": +1,
    "assists": +1,
    "steals": +1,
    "blocks": +1,
    "offensive_rebounds": +1,
    "rebounds": +1,  # a defensive rebound (offensive_rebounds unchanged)
    "turnovers": -1,
}


def tallies(**columns) -> pd.DataFrame:
    """Tally rows: every count 0 unless given (arrays of one length)."""
    n = len(next(iter(columns.values())))
    frame = pd.DataFrame({c: np.zeros(n, dtype=int) for c in scores.TALLY_COLUMNS})
    frame["expected_points"] = 0.0
    frame["points_over_expected"] = 0.0
    for name, values in columns.items():
        frame[name] = values
    return frame


def grid() -> pd.DataFrame:
    """Every combination of a few levels of each ingredient (poe from -6 to +8)."""
    levels = {
        "points_over_expected": [-6.0, -1.5, 0.0, 0.4, 2.0, 8.0],
        "assists": [0, 1, 4],
        "steals": [0, 2],
        "blocks": [0, 1],
        "offensive_rebounds": [0, 2],
        "rebounds": [0, 3],
        "turnovers": [0, 1, 5],
    }
    rows = list(itertools.product(*levels.values()))
    frame = tallies(**{name: [row[i] for row in rows] for i, name in enumerate(levels)})
    frame["rebounds"] += frame["offensive_rebounds"]
    return frame


@pytest.mark.parametrize("scale", [scores.GAME_SCALE, scores.SITUATION_SCALE], ids=["game", "situation"])
@pytest.mark.parametrize("ingredient", INGREDIENTS)
def test_the_score_moves_strictly_with_each_ingredient_everywhere_on_a_grid(ingredient, scale):
    base = grid()
    more = base.copy()
    step = 0.5 if ingredient == "points_over_expected" else 1
    more[ingredient] = more[ingredient] + step
    if ingredient == "offensive_rebounds":
        more["rebounds"] += 1  # an offensive rebound is a rebound too
    before = scores.score_of_value(scores.clutch_value(base), scale)
    after = scores.score_of_value(scores.clutch_value(more), scale)
    assert np.all(INGREDIENTS[ingredient] * (after - before) > 0)


def test_an_offensive_rebound_counts_more_than_a_defensive_one():
    offensive = scores.clutch_value(tallies(rebounds=[1], offensive_rebounds=[1]))
    defensive = scores.clutch_value(tallies(rebounds=[1]))
    assert offensive[0] > defensive[0] > 0


def test_the_score_stays_strictly_inside_0_and_100_even_for_absurd_games():
    extreme = tallies(points_over_expected=[-500.0, 500.0], assists=[0, 300], turnovers=[300, 0])
    stored = scores.clutch_scores(extreme, scores.GAME_SCALE)
    assert 0 <= stored[0] < 1 and 99 < stored[1] <= 100
    unrounded = scores.score_of_value(np.linspace(-50, 50, 1001), scores.GAME_SCALE)
    assert np.all((unrounded > 0) & (unrounded < 100)) and np.all(np.diff(unrounded) > 0)


def test_an_average_game_scores_50_and_one_sd_more_about_60():
    scale = scores.GAME_SCALE
    at_mean = scores.score_of_value(scale.mean, scale)
    one_sd = scores.score_of_value(scale.mean + scale.sd, scale)
    assert at_mean == pytest.approx(50.0)
    assert one_sd == pytest.approx(60.0, abs=0.2)  # T-like near the centre: 10 points per sd


def test_one_made_three_alone_stays_far_from_the_top():
    # A made three of 1.05 expected points: +1.95 points over expected, nothing else.
    one_three = scores.clutch_scores(tallies(points_over_expected=[1.95]), scores.GAME_SCALE)[0]
    # Six of them (the same shot, more volume) in one game.
    six_threes = scores.clutch_scores(tallies(points_over_expected=[6 * 1.95]), scores.GAME_SCALE)[0]
    assert one_three < 62 < 90 < six_threes


def test_success_counts_made_shots_and_free_throws_over_attempts_only():
    actions = action_frame(
        [
            ("field_goal_made", None, True, 2, 1.0),
            ("field_goal_missed", None, False, 0, 1.1),
            ("free_throw", None, True, 1, 0.78),
            ("free_throw", None, False, 0, 0.78),
            ("assist", None, None, 0, None),
            ("rebound", "offensive", None, 0, None),
        ]
    )
    row = scores.tally(actions, ["game_id", "player_id"]).iloc[0]
    assert (row["actions_total"], row["actions_successful"], row["shots"]) == (6, 2, 4)
    assert scores.success_rate(scores.tally(actions, ["game_id", "player_id"])).iloc[0] == 0.5
    assert row["expected_points"] == pytest.approx(3.66)
    assert row["points_over_expected"] == pytest.approx(3 - 3.66)


def test_without_a_shot_there_is_no_success_rate_and_no_expected_points():
    tally = scores.tally(action_frame([("assist", None, None, 0, None)]), ["game_id", "player_id"])
    assert np.isnan(scores.success_rate(tally).iloc[0]) and np.isnan(tally["expected_points"].iloc[0])
    # ... and the score counts the assist alone, its missing points over expected as zero.
    assert scores.clutch_value(tally)[0] == pytest.approx(scores.WEIGHTS.assist)


GAME, PLAYER, TEAM = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()


def action_frame(rows, situation: uuid.UUID | None = None) -> pd.DataFrame:
    """Actions of one player: (action_type, subtype, is_successful, points, expected_points)."""
    situation = situation or uuid.uuid4()
    return pd.DataFrame(
        [
            {
                "game_id": GAME,
                "situation_id": situation,
                "player_id": PLAYER,
                "team_id": TEAM,
                "action_type": kind,
                "action_subtype": subtype,
                "is_successful": successful,
                "points_scored": points,
                "expected_points": expected,
                "points_over_expected": None if expected is None else points - expected,
            }
            for kind, subtype, successful, points, expected in rows
        ]
    )


# -- Percentiles within the season so far ----------------------------------------------------------------


def test_a_percentile_counts_only_scores_dated_on_or_before_its_own_day():
    dates = np.array([date(2022, 10, 20), date(2022, 10, 20), date(2022, 10, 22), date(2022, 10, 25)])
    values = np.array([40.0, 60.0, 50.0, 99.0])
    percentiles = scores.percentiles_so_far(dates, values)
    # 20 Oct: among {40, 60}; 22 Oct: 50 among {40, 60, 50}; the 99 of 25 Oct changes none of them.
    assert percentiles.tolist() == [50.0, 100.0, pytest.approx(66.67), 100.0]
    earlier = scores.percentiles_so_far(dates[:3], values[:3])
    assert earlier.tolist() == percentiles[:3].tolist()


def test_percentiles_so_far_equal_the_definition_counted_one_by_one():
    rng = np.random.default_rng(7)
    dates = np.array([date(2022, 10, 18) + timedelta(days=int(d)) for d in rng.integers(0, 40, 600)])
    values = np.round(rng.normal(50, 10, 600), 2)
    values[:50] = 50.0  # ties
    fast = scores.percentiles_so_far(dates, values)
    slow = [100 * np.mean(values[dates <= d] <= v) for d, v in zip(dates, values, strict=True)]
    assert fast == pytest.approx(np.round(slow, 2))
