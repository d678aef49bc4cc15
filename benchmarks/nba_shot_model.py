"""How good is the shot-quality model (``clutch_pipeline.nba.shots``) on shots it has not seen?

Reads the 2022-23 v3 archive once (the ``.tar.xz`` and ``manifest_2022_23.csv``; the manifest's
``actual_game_id`` mends the misnamed file and the repeated game, so 1,229 games), fits on the
even-numbered games and scores the odd ones: log loss and Brier score of the make probability for

    (a) the league rate per shot value,
    (b) 1-ft distance buckets per value (distance from the location; also from the reported
        ``shotDistance``, which is 0 for many corner threes in this archive),
    (c) zones only, and zone x family as shipped, with a sweep of the prior strength,

the calibration of (c) by predicted-probability decile, expected vs real points, and the time to fit
and to score 600k shots.

    /work/venv/bin/python benchmarks/nba_shot_model.py [--data DIR]
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

from clutch_pipeline.nba.archive import PlayByPlayArchive
from clutch_pipeline.nba.parse import PlayAction, parse_play_by_play
from clutch_pipeline.nba.shots import Shot, ShotModel, shot_from_action, shot_zone

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "nba_2022_23"
ARCHIVE = "pbp_2022_23_regular_season_nbacom_v3.tar.xz"
MANIFEST = "manifest_2022_23.csv"
SHOT_TYPES = {"Made Shot", "Missed Shot", "Free Throw"}


def load_season(data: Path) -> tuple[list[tuple[int, Shot]], dict[int, tuple[int, int]], list[PlayAction]]:
    """(game number, shot) for every field goal, (made, attempted) free throws per game, and the
    parsed shot and free-throw actions themselves."""
    archive = PlayByPlayArchive(data / ARCHIVE, data / MANIFEST)
    shots: list[tuple[int, Shot]] = []
    actions: list[PlayAction] = []
    free_throws: dict[int, tuple[int, int]] = {}
    for game in archive.read(archive.game_ids()):
        if game.payload is None:
            raise SystemExit(game.error)
        # Only shots are needed; each action parses on its own, so the rest is left out (3x faster).
        raw = [a for a in game.payload if (a.get("actionType") or "").strip() in SHOT_TYPES]
        number = int(game.entry.game_id)
        made = attempted = 0
        for action in parse_play_by_play(raw, game_id=game.entry.game_id).actions:
            actions.append(action)
            if action.kind == "free_throw":
                made += bool(action.made)
                attempted += 1
            elif (shot := shot_from_action(action)) is not None:
                shots.append((number, shot))
        free_throws[number] = (made, attempted)
    return shots, free_throws, actions


def log_loss(p: np.ndarray, made: np.ndarray) -> float:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return float(-np.mean(made * np.log(p) + (1 - made) * np.log(1 - p)))


def brier(p: np.ndarray, made: np.ndarray) -> float:
    return float(np.mean((p - made) ** 2))


def location_feet(shot: Shot) -> float | None:
    if shot.x is None or shot.y is None:
        return shot.distance_feet
    return math.hypot(shot.x, shot.y) / 10.0


def bucket_model(train: list[Shot], test: list[Shot], feet) -> np.ndarray:
    """Rate per (value, whole feet up to 40); the value's rate where a bucket is empty."""
    tally: Counter = Counter()
    makes: Counter = Counter()
    for shot in train:
        for key in ((shot.value, min(int(feet(shot) or 0), 40)), shot.value):
            tally[key] += 1
            makes[key] += shot.made
    out = []
    for shot in test:
        key = (shot.value, min(int(feet(shot) or 0), 40))
        key = key if tally[key] else shot.value
        out.append(makes[key] / tally[key])
    return np.array(out)


def calibration(
    p: np.ndarray, made: np.ndarray, bins: int = 10
) -> list[tuple[int, float, float, float, float]]:
    order = np.argsort(p, kind="stable")
    rows = []
    for chunk in np.array_split(order, bins):
        rows.append(
            (
                len(chunk),
                float(p[chunk].min()),
                float(p[chunk].max()),
                float(p[chunk].mean()),
                float(made[chunk].mean()),
            )
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--data", type=Path, default=DEFAULT_DATA, help="folder with the archive and manifest"
    )
    args = parser.parse_args(argv)
    if not (args.data / ARCHIVE).is_file():
        print(f"no {ARCHIVE} in {args.data}", file=sys.stderr)
        return 2

    started = time.perf_counter()
    season, free_throws, actions = load_season(args.data)
    print(
        f"read {len(free_throws)} games, {len(season):,} field goals in {time.perf_counter() - started:.1f} s"
    )
    train = [s for g, s in season if g % 2 == 0]
    test = [s for g, s in season if g % 2 == 1]
    ft_made = sum(m for g, (m, _) in free_throws.items() if g % 2 == 0)
    ft_attempted = sum(a for g, (_, a) in free_throws.items() if g % 2 == 0)
    train_games = sum(1 for g in free_throws if g % 2 == 0)
    test_games = len(free_throws) - train_games
    print(
        f"train: {train_games} even games, {len(train):,} shots; test: {test_games} odd games, {len(test):,}"
    )
    made = np.array([s.made for s in test], dtype=float)
    values = np.array([s.value for s in test], dtype=float)

    zones = Counter(shot_zone(s) for _, s in season)
    zone_makes = Counter(shot_zone(s) for _, s in season if s.made)
    print("\nzones (whole season): attempts, FG%")
    for zone, n in zones.most_common():
        print(f"  {zone!s:16} {n:7,} {zone_makes[zone] / n:6.1%}")
    ft_all = sum(m for m, _ in free_throws.values()), sum(a for _, a in free_throws.values())
    print(f"  free throws      {ft_all[1]:7,} {ft_all[0] / ft_all[1]:6.1%}")

    print(f"\n{'held-out make probability':40} log loss   Brier")
    rate = {v: np.mean([s.made for s in train if s.value == v]) for v in (2, 3)}
    results = [("(a) league rate per value", np.where(values == 3, rate[3], rate[2]))]
    results.append(("(b) distance buckets (location)", bucket_model(train, test, location_feet)))
    results.append(
        ("(b') distance buckets (shotDistance)", bucket_model(train, test, lambda s: s.distance_feet))
    )
    zone_only = ShotModel.fit(
        [Shot(s.value, s.distance_feet, s.x, s.y, "any", s.made) for s in train], ft_made, ft_attempted
    )
    results.append(("(c0) zones only", np.array([zone_only.probability(s) for s in test])))
    for k in (0.0, 5.0, 10.0, 20.0, 50.0, 100.0):
        model = ShotModel.fit(train, ft_made, ft_attempted, prior_strength=k)
        results.append((f"(c) zone x family, k = {k:g}", np.array([model.probability(s) for s in test])))
    for name, p in results:
        print(f"  {name:38} {log_loss(p, made):.4f}   {brier(p, made):.4f}")

    started = time.perf_counter()
    model = ShotModel.fit(train, ft_made, ft_attempted)
    fit_half = time.perf_counter() - started
    p = np.array([model.probability(s) for s in test])
    print(f"\ncalibration of (c), k = {model.prior_strength:g}, by predicted decile")
    print("      n    p from - to     mean p   made")
    worst = 0.0
    for n, low, high, mean_p, rate_made in calibration(p, made):
        worst = max(worst, abs(mean_p - rate_made))
        print(f"  {n:6,}  {low:.3f} - {high:.3f}   {mean_p:.3f}   {rate_made:.3f}")
    print(f"  largest |mean p - made|: {worst:.3f}")
    expected = float(np.sum(values * p))
    real = float(np.sum(values * made))
    print(f"expected points of the test shots {expected:,.0f}, real {real:,.0f} ({real / expected - 1:+.2%})")
    print(f"free-throw expected points (train) {model.free_throw_expected_points():.4f}")
    print(f"{len(model.cells)} cells, {len(model.to_rows())} rows")

    started = time.perf_counter()
    season_model = ShotModel.fit((s for _, s in season), *ft_all)
    fit_season = time.perf_counter() - started
    many = (test * (600_000 // len(test) + 1))[:600_000]
    started = time.perf_counter()
    for shot in many:
        season_model.expected_points(shot)
    score = time.perf_counter() - started
    print(f"\nfit: {fit_half:.3f} s on {len(train):,} shots, {fit_season:.3f} s on {len(season):,}")
    print(f"expected_points: {score:.3f} s for {len(many):,} shots ({score / len(many) * 1e6:.2f} us each)")
    many_actions = (actions * (600_000 // len(actions) + 1))[:600_000]
    started = time.perf_counter()
    for action in many_actions:
        season_model.action_expected_points(action)
    score = time.perf_counter() - started
    print(
        f"action_expected_points (family from the text, then the model): {score:.3f} s for "
        f"{len(many_actions):,} field-goal and free-throw actions"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
