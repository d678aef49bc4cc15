"""The planted readiness: each athlete's game-day readiness tied to his clutch points over expected."""

from datetime import date, timedelta

import numpy as np

from clutch_pipeline.whoop.simulator.planted import planted_readiness

DAY = date(2022, 10, 18)


def _player_games(n: int = 400) -> list[tuple[int, date, float]]:
    rng = np.random.default_rng(0)
    return [(1000 + i % 40, DAY + timedelta(days=i // 40), float(rng.normal(0.4, 1.7))) for i in range(n)]


def _correlation(games, readiness) -> float:
    poe = [p for _person, _day, p in games]
    values = [readiness[(person, day)] for person, day, _p in games]
    return float(np.corrcoef(poe, values)[0, 1])


def test_a_positive_strength_makes_readiness_rise_with_clutch_points_over_expected():
    games = _player_games()

    readiness = planted_readiness(games, 2.0)

    # readiness = 2 z + noise: correlation 2 / sqrt(5), about 0.89
    assert 0.8 < _correlation(games, readiness) < 0.95


def test_strength_zero_leaves_readiness_independent_of_play():
    games = _player_games()

    assert abs(_correlation(games, planted_readiness(games, 0.0))) < 0.15


def test_the_same_seed_plants_the_same_readiness_and_another_seed_another():
    games = _player_games()

    assert planted_readiness(games, 1.0, seed=3) == planted_readiness(games, 1.0, seed=3)
    assert planted_readiness(games, 1.0, seed=3) != planted_readiness(games, 1.0, seed=4)


def test_a_supplied_readiness_is_kept_on_other_days_and_replaced_on_game_days():
    games = _player_games()
    base = {(1000, DAY - timedelta(days=1)): 0.7, (1000, DAY): -3.0}

    readiness = planted_readiness(games, 1.0, base=base)

    assert readiness[(1000, DAY - timedelta(days=1))] == 0.7
    assert readiness[(1000, DAY)] != -3.0


def test_too_few_player_games_to_standardize_plant_nothing():
    base = {(1000, DAY): 0.5}

    assert planted_readiness([(1000, DAY, 2.0)], 1.0, base=base) == base
