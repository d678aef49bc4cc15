"""A planted wearables effect: each athlete's game-day readiness tied to his real clutch play that game.

The simulator's athletes are real NBA players whose physiology is otherwise independent of how they
played, so the honest result of the model on them is "no wearables effect". To check that the pipeline
finds an effect that is there, ``clutch run --plant-effect X`` makes one: on the day of each of his
games with a clutch action, an athlete's latent readiness (standard-normal units, what drives his
morning HRV and recovery in ``physiology.py``) is

    readiness = X * z + noise,    z = his clutch points over expected that game, standardized over
                                      every player-game given; noise ~ Normal(0, 1), seeded per
                                      (seed, person id, day)

so X is the readiness sds per sd of clutch points over expected, and X = 0 is an independent
readiness. Points over expected is what the NBA stage has written when WHOOP syncs (before any clutch
score exists) and the largest part of the clutch score, so a positive X shows up as a positive
recovery (and HRV) effect on the clutch score. Pure: data in, readiness map out.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from datetime import date

PLANTED_ON = "clutch points over expected that game (standardized)"


def planted_readiness(
    player_games: Sequence[tuple[int, date, float]],
    strength: float,
    *,
    seed: int = 0,
    base: Mapping[tuple[int, date], float] | None = None,
) -> dict[tuple[int, date], float]:
    """``(person id, game day) -> readiness`` for each (person id, game day, clutch POE) given, on top of
    ``base`` (a supplied readiness, kept on every other day). With fewer than two player-games, or no
    spread in their POE, there is nothing to standardize and ``base`` is returned as it is."""
    readiness = dict(base or {})
    values = [poe for _p, _d, poe in player_games]
    if len(values) < 2:
        return readiness
    mean = sum(values) / len(values)
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))
    if sd == 0:
        return readiness
    for person_id, day, poe in player_games:
        noise = random.Random(f"{seed}:{person_id}:{day.isoformat()}:planted").gauss(0.0, 1.0)
        readiness[(person_id, day)] = strength * (poe - mean) / sd + noise
    return readiness
