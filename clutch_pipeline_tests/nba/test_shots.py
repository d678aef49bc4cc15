"""The shot-quality model: zones, families, shrinkage, fallbacks, storage rows, and held-out calibration."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from clutch_pipeline.nba.archive import PlayByPlayArchive
from clutch_pipeline.nba.parse import parse_play_by_play
from clutch_pipeline.nba.shots import (
    FAMILIES,
    ROW_COLUMNS,
    Shot,
    ShotModel,
    add_counts,
    count_shots,
    shot_family,
    shot_from_action,
    shot_zone,
)

from .actions import made, v3

DATA = Path(__file__).parent / "data"
SEASON = Path(__file__).resolve().parents[3] / "shared" / "data" / "nba_2022_23"
SEASON_ARCHIVE = SEASON / "pbp_2022_23_regular_season_nbacom_v3.tar.xz"
SEASON_MANIFEST = SEASON / "manifest_2022_23.csv"


def shot(value=2, x=None, y=None, distance=None, family="jump_shot", made=True) -> Shot:
    return Shot(value=value, distance_feet=distance, x=x, y=y, family=family, made=made)


def shots(n: int, made: int, **kwargs) -> list[Shot]:
    return [shot(made=i < made, **kwargs) for i in range(n)]


RIM = {"x": 5.0, "y": 10.0, "distance": 1.0}
CORNER = {"value": 3, "x": -226.0, "y": 20.0, "distance": 22.0}
WING = {"value": 3, "x": 170.0, "y": 180.0, "distance": 24.0}


def test_restricted_area_is_under_four_feet_and_the_lane_beyond_it_is_the_paint():
    assert shot_zone(shot(x=0.0, y=0.0, distance=0.0)) == "restricted_area"
    assert shot_zone(shot(x=20.0, y=30.0, distance=3.0)) == "restricted_area"  # 3.6 ft
    assert shot_zone(shot(x=30.0, y=30.0, distance=4.0)) == "paint"  # 4.2 ft
    assert shot_zone(shot(x=-70.0, y=130.0, distance=14.0)) == "paint"
    assert shot_zone(shot(x=-90.0, y=60.0, distance=10.0)) == "mid_range"  # beside the lane
    assert shot_zone(shot(x=0.0, y=150.0, distance=15.0)) == "mid_range"  # past the free-throw line


def test_corner_three_is_below_the_break_and_above_the_break_is_the_rest():
    assert shot_zone(shot(**CORNER)) == "corner_3"
    assert shot_zone(shot(value=3, x=225.0, y=92.0, distance=24.0)) == "corner_3"
    assert shot_zone(shot(value=3, x=220.0, y=95.0, distance=24.0)) == "above_break_3"
    assert shot_zone(shot(**WING)) == "above_break_3"


def test_a_corner_three_with_v3s_zero_distance_is_placed_by_its_location():
    # The 2022-23 v3 archive gives shotDistance 0 to many corner threes; the location is right.
    assert shot_zone(shot(value=3, x=-229.0, y=1.0, distance=0.0)) == "corner_3"
    assert shot_zone(shot(value=3, distance=0.0)) is None  # no location: nothing to go on


def test_a_three_from_forty_feet_or_more_is_a_heave():
    assert shot_zone(shot(value=3, x=0.0, y=400.0, distance=40.0)) == "heave"
    assert shot_zone(shot(value=3, x=100.0, y=650.0, distance=66.0)) == "heave"
    assert shot_zone(shot(value=3, x=0.0, y=390.0, distance=39.0)) == "above_break_3"


def test_without_a_location_the_distance_decides_only_where_geometry_allows():
    assert shot_zone(shot(distance=2.0)) == "restricted_area"
    assert shot_zone(shot(distance=10.0)) is None  # paint or mid-range: cannot tell
    assert shot_zone(shot(distance=18.0)) == "mid_range"  # the lane is within 15.9 ft
    assert shot_zone(shot(value=3, distance=24.0)) is None  # corner or not: cannot tell
    assert shot_zone(shot(value=3, distance=28.0)) == "above_break_3"  # corners end at 26.7 ft
    assert shot_zone(shot(value=3, distance=45.0)) == "heave"
    assert shot_zone(shot()) is None


@pytest.mark.parametrize(
    ("sub_type", "family"),
    [
        ("Alley Oop Dunk Shot", "alley_oop_dunk"),
        ("Tip Dunk Shot", "putback_dunk"),
        ("Cutting Dunk Shot", "dunk"),
        ("Tip Layup Shot", "tip_layup"),
        ("Putback Layup Shot", "putback_layup"),
        ("Cutting Finger Roll Layup Shot", "cutting_layup"),
        ("Driving Layup Shot", "driving_layup"),
        ("Turnaround Bank Hook Shot", "bank_hook"),
        ("Driving Floating Jump Shot", "floater"),
        ("Driving Floating Bank Jump Shot", "bank_floater"),
        ("Running Pull-Up Jump Shot", "pullup_jump_shot"),
        ("Step Back Jump shot", "step_back_jump_shot"),
        ("Turnaround Fadeaway shot", "fadeaway_jump_shot"),
        ("Turnaround Bank shot", "bank_shot"),
        ("Jump Shot", "jump_shot"),
        ("", "other"),
    ],
)
def test_a_v3_subtype_names_the_family(sub_type, family):
    assert shot_family(sub_type) == family
    assert family in FAMILIES


def test_a_cdn_shot_takes_its_family_from_the_description_but_never_from_a_name():
    assert shot_family("Layup", "S. Curry cutting Layup (4 PTS) (K. Oubre Jr. 1 AST)", "S. Curry") == (
        "cutting_layup"
    )
    assert shot_family("Jump Shot", "MISS S. Curry 26' pullup 3PT", "S. Curry") == "pullup_jump_shot"
    assert shot_family("Jump Shot", "K. Tipton 20' Jump Shot (2 PTS) (D. Hook 1 AST)", "K. Tipton") == (
        "jump_shot"
    )


def test_every_cdn_shot_of_a_real_game_gets_a_family_and_a_zone():
    game = parse_play_by_play(json.loads((DATA / "playbyplay_0022000001.json").read_text()))
    found = [shot_from_action(a) for a in game.actions if a.kind == "field_goal"]
    assert len(found) > 150
    assert all(s is not None and s.family != "other" and shot_zone(s) is not None for s in found)


def test_a_parsed_field_goal_becomes_a_shot_and_other_actions_do_not():
    raw = made(1, home=3, away=0, value=3) | {"xLegacy": -229, "yLegacy": 1, "shotDistance": 0}
    actions = parse_play_by_play([raw, v3(2)], game_id="0022200552").actions
    assert shot_from_action(actions[0]) == Shot(3, 0.0, -229.0, 1.0, "jump_shot", True)
    assert shot_from_action(actions[1]) is None


@pytest.fixture
def model() -> ShotModel:
    # Restricted area: 98 layups (49 made) and 2 dunks (both made); one corner three in two.
    return ShotModel.fit(
        shots(98, 49, family="layup", **RIM) + shots(2, 2, family="dunk", **RIM) + shots(2, 1, **CORNER),
        free_throws_made=78,
        free_throws_attempted=100,
        prior_strength=20,
    )


def test_a_sparse_cell_is_shrunk_toward_its_zone_rate(model):
    zone = model.zone_probability("restricted_area")
    assert zone == pytest.approx((51 + 20 * 0.51) / (100 + 20))  # the zone, toward the 2s' rate
    dunk = model.probability(shot(family="dunk", **RIM))
    assert dunk == pytest.approx((2 + 20 * zone) / (2 + 20))
    assert zone < dunk < 1.0  # 2 of 2 made: better than the zone, far from certain


def test_an_unseen_cell_gets_its_zone_rate_and_a_shot_without_a_zone_its_values_rate(model):
    assert model.probability(shot(family="hook", **RIM)) == model.zone_probability("restricted_area")
    assert model.probability(shot(value=3, family="pullup_jump_shot", distance=None)) == 0.5  # 1 of 2
    assert model.probability(shot(value=2, distance=None)) == pytest.approx(0.51)
    assert model.zone_probability("mid_range") is None
    assert model.probability(shot(x=150.0, y=100.0, distance=18.0)) == pytest.approx(0.51)


def test_expected_points_are_the_value_times_the_make_probability(model):
    corner = shot(**CORNER)
    assert model.expected_points(corner) == pytest.approx(3 * model.probability(corner))
    rim = shot(family="layup", **RIM)
    assert model.expected_points(rim) == pytest.approx(2 * model.probability(rim))


def test_a_free_throw_is_worth_the_leagues_free_throw_percentage(model):
    assert model.free_throw_expected_points() == pytest.approx(0.78)
    free_throw = v3(
        1, action_type="Free Throw", sub_type="Free Throw 1 of 2", description="Mitchell Free Throw"
    )
    rebound = v3(2)
    actions = parse_play_by_play([free_throw, rebound], game_id="0022200552").actions
    assert model.action_expected_points(actions[0]) == pytest.approx(0.78)
    assert model.action_expected_points(actions[1]) is None


def test_rows_store_the_model_and_give_it_back(model):
    rows = model.to_rows()
    assert all(len(row) == len(ROW_COLUMNS) for row in rows)
    assert ("free_throw", "all", 100, 78, 0.78) in rows
    assert ("all_3pt", "all", 2, 1, 0.5) in rows
    assert ("restricted_area", "dunk", 2, 2, model.probability(shot(family="dunk", **RIM))) in rows
    again = ShotModel.from_rows(rows)
    assert again == model
    assert again.to_rows() == rows
    for probe in (shot(family="dunk", **RIM), shot(family="hook", **RIM), shot(**CORNER), shot(distance=9.0)):
        assert again.expected_points(probe) == model.expected_points(probe)


def test_rows_without_a_free_throw_row_or_with_an_unknown_zone_are_refused(model):
    rows = model.to_rows()
    with pytest.raises(ValueError, match="free-throw"):
        ShotModel.from_rows([r for r in rows if r[0] != "free_throw"])
    with pytest.raises(ValueError, match="unknown zone"):
        ShotModel.from_rows([*rows, ("downtown", "jump_shot", 1, 1, 1.0)])


def test_counts_of_games_counted_apart_add_up_to_the_same_model(model):
    first = count_shots(shots(98, 49, family="layup", **RIM))
    second = count_shots(shots(2, 2, family="dunk", **RIM) + shots(2, 1, **CORNER))

    together = ShotModel.from_counts(add_counts(first, second), 78, 100, prior_strength=20)

    assert together == model


def test_fitting_needs_shots_and_a_free_throw_rate():
    with pytest.raises(ValueError, match="no field goals"):
        ShotModel.fit([], 1, 2)
    with pytest.raises(ValueError, match="free throws"):
        ShotModel.fit(shots(2, 1, **RIM), 3, 2)


@pytest.fixture(scope="module")
def season() -> list[tuple[int, Shot]]:
    if not (SEASON_ARCHIVE.is_file() and SEASON_MANIFEST.is_file()):
        pytest.skip(f"the 2022-23 play-by-play archive is not at {SEASON} (a clone without ../shared)")
    archive = PlayByPlayArchive(SEASON_ARCHIVE, SEASON_MANIFEST)
    found = []
    for game in archive.read(archive.game_ids()):
        assert game.payload is not None, game.error
        # Only field goals are needed, and each action parses on its own.
        raw = [a for a in game.payload if a.get("actionType", "").strip() in ("Made Shot", "Missed Shot")]
        for action in parse_play_by_play(raw, game_id=game.entry.game_id).actions:
            found.append((int(game.entry.game_id), shot_from_action(action)))
    return found


def test_the_model_is_calibrated_on_held_out_games_and_beats_the_league_rate(season):
    train = [s for g, s in season if g % 2 == 0]
    test = [s for g, s in season if g % 2 == 1]
    assert len(train) > 100_000 and len(test) > 100_000
    model = ShotModel.fit(train, 1, 1)
    rate = {v: sum(s.made for s in train if s.value == v) / sum(s.value == v for s in train) for v in (2, 3)}

    def log_loss(p: float, made: bool) -> float:
        return -math.log(p if made else 1 - p)

    scored = sorted(
        ((model.probability(s), s.made) for s in test), key=lambda pair: pair[0]
    )  # ties: game order
    model_loss = sum(log_loss(p, m) for p, m in scored) / len(scored)
    league_loss = sum(log_loss(rate[s.value], s.made) for s in test) / len(test)
    assert model_loss < league_loss - 0.02  # 0.641 vs 0.675 in 2022-23
    decile = len(scored) // 10
    for start in range(0, decile * 10, decile):
        chunk = scored[start : start + decile]
        predicted = sum(p for p, _ in chunk) / len(chunk)
        observed = sum(m for _, m in chunk) / len(chunk)
        assert abs(predicted - observed) < 0.03, (start // decile, predicted, observed)
