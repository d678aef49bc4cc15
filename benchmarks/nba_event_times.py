"""How well do the v3 time estimators (``clutch_pipeline.nba.times``) place actions in real time?

Default (a second or two): the CDN game 0022000001 (GSW@BKN 2020-12-22), whose 610 actions all carry an
exact UTC ``timeActual``. Its times are hidden; the estimators only see what a stats v3 file would show,
the period start/end times rounded down to the minute (and read at mid-minute). Each action's estimate
is compared with its exact time. That game is a blowout with no clutch time: "late" is the last 5:00 of
the 4th period and overtime whatever the margin. It is also how the extrapolated (tip-off only)
figures are measured: anchored at the first period start alone.

``--archive DIR`` (about half a minute) also reads the 2022-23 v3 archive (``DIR`` holds the
``.tar.xz`` and ``manifest_2022_23.csv``) and prints where the stoppage costs come from: a
non-negative least-squares fit of each period's real length (start and end labels) minus its game
length on the counts of each stoppage class, the mean breaks between periods, the extrapolation rates,
and a held-out check on real games: each mid-period instant-replay label predicted from the period
labels alone, with costs fitted on the other half of the games.

    /work/venv/bin/python benchmarks/nba_event_times.py [--cdn FILE] [--archive DIR]
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import json
import statistics
import sys
import tarfile
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from clutch_pipeline.game_clock import period_seconds
from clutch_pipeline.nba.parse import PlayAction, parse_play_by_play
from clutch_pipeline.nba.times import (
    ANCHOR_LABEL,
    LINEAR,
    METHODS,
    STOPPAGE,
    STOPPAGE_COSTS,
    Anchor,
    consistent_anchors,
    cumulative_weights,
    estimate_from_anchors,
    stoppage_class,
    wall_clock_anchors,
)

ROOT = Path(__file__).resolve().parent.parent
CDN_GAME = ROOT / "clutch_pipeline_tests" / "nba" / "data" / "playbyplay_0022000001.json"
BREAKS = ("quarter_break", "halftime")


def is_late(action: PlayAction) -> bool:
    """Last 5:00 of the 4th period, or overtime: where clutch time can happen."""
    return action.period > 4 or (action.period == 4 and action.clock_seconds <= 300.0)


def percentile(values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile (as numpy's default), without numpy."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def summary(errors: Sequence[float]) -> tuple[float, float, float]:
    return statistics.median(errors), percentile(errors, 90), statistics.fmean(errors)


def minute_label_anchors(actions: Sequence[PlayAction], truth: Sequence[datetime]) -> list[Anchor]:
    """What a v3 file would show: period start/end times rounded down to the minute, read at mid-minute."""
    anchors = []
    for i, action in enumerate(actions):
        if action.kind in ("period_start", "period_end"):
            minute = truth[i].astimezone(UTC).replace(second=0, microsecond=0)
            anchors.append(
                Anchor(
                    i,
                    action.period,
                    action.clock_seconds,
                    minute + timedelta(seconds=30),
                    ANCHOR_LABEL,
                    minute.strftime("%H:%M"),
                )
            )
    return anchors


def cdn_errors(path: Path) -> dict:
    """Absolute errors in seconds per method, for both-ends anchors and for the tip-off anchor alone."""
    game = parse_play_by_play(json.loads(path.read_text()))
    truth = [a.time_actual for a in game.actions]
    if any(t is None for t in truth):
        raise SystemExit(f"{path}: every action needs timeActual")
    hidden = [dataclasses.replace(a, time_actual=None) for a in game.actions]
    anchors = minute_label_anchors(hidden, truth)
    result = {
        "actions": hidden,
        "anchor_errors": [abs((a.at - truth[a.index]).total_seconds()) for a in anchors],
    }
    for name, chosen in (("anchored", consistent_anchors(hidden, anchors)), ("tip_off", anchors[:1])):
        for method in METHODS:
            times = estimate_from_anchors(hidden, chosen, method)
            result[name, method] = [
                abs((t.at - x).total_seconds()) for t, x in zip(times, truth, strict=True)
            ]
    return result


def print_cdn(path: Path) -> None:
    result = cdn_errors(path)
    actions = result["actions"]
    late = [i for i, a in enumerate(actions) if is_late(a)]
    print(f"CDN game {path.name}: {len(actions)} actions with exact timeActual; {len(late)} late")
    print("(a blowout with no clutch time; late = last 5:00 of the 4th period and overtime, any margin)")
    errors = result["anchor_errors"]
    print(
        f"anchors: {len(errors)} period start/end at mid-minute, absolute error "
        f"mean {statistics.fmean(errors):.1f} s, max {max(errors):.1f} s\n"
    )
    print("absolute error, seconds     overall: median    p90   mean |  late: median    p90   mean")
    for name, title in (("anchored", "between period anchors"), ("tip_off", "tip-off anchor only")):
        rows = {}
        for method in METHODS:
            every = result[name, method]
            rows[method] = (summary(every), summary([every[i] for i in late]))
            (m, p, mean), (lm, lp, lmean) = rows[method]
            print(
                f"{title:22s} {method:9s}   {m:7.1f} {p:6.1f} {mean:6.1f} |  "
                f"      {lm:7.1f} {lp:6.1f} {lmean:6.1f}"
            )
        (lin, lin_late), (sto, sto_late) = rows[LINEAR], rows[STOPPAGE]
        ratios = [a / b for a, b in zip(lin + lin_late, sto + sto_late, strict=True)]
        print(
            f"{title:22s} linear/stoppage   {ratios[0]:5.2f}x {ratios[1]:5.2f}x {ratios[2]:5.2f}x |  "
            f"{ratios[3]:12.2f}x {ratios[4]:5.2f}x {ratios[5]:5.2f}x\n"
        )


# --------------------------------------------------------------------------------------------------
# The 2022-23 archive: where the costs come from, and a held-out check on real games.


def read_archive(folder: Path) -> list[tuple[date, list[PlayAction]]]:
    manifest = {row["file"]: row for row in csv.DictReader((folder / "manifest_2022_23.csv").open())}
    seen: set[str] = set()
    games = []
    archive = next(folder.glob("*.tar.xz"))
    with tarfile.open(archive) as tar:
        for member in tar:
            name = Path(member.name).name
            row = manifest.get(name)
            if not member.isfile() or row is None or row["actual_game_id"] in seen:
                continue
            seen.add(row["actual_game_id"])
            payload = json.load(tar.extractfile(member))
            game = parse_play_by_play(payload, game_id=row["actual_game_id"])
            games.append((date.fromisoformat(row["game_date"]), game.actions))
    return games


def period_labels(actions: Sequence[PlayAction], game_date: date) -> dict[tuple[int, str], Anchor]:
    anchors = consistent_anchors(actions, wall_clock_anchors(actions, game_date))
    return {
        (actions[a.index].period, actions[a.index].kind): a
        for a in anchors
        if actions[a.index].kind in ("period_start", "period_end")
    }


def fit_costs(games) -> tuple[dict[str, float], float, float]:
    """NNLS of (real - game) period length on class counts; returns costs, residual SD, constant-only SD."""
    import numpy as np  # only this mode needs them (both come with pymc)
    from scipy.optimize import nnls

    classes = [c for c in STOPPAGE_COSTS if c not in BREAKS]
    rows, targets = [], []
    for game_date, actions in games:
        labels = period_labels(actions, game_date)
        for (period, kind), start in labels.items():
            end = labels.get((period, "period_end"))
            if kind != "period_start" or end is None:
                continue
            counts = Counter(stoppage_class(a) for a in actions[start.index : end.index])
            rows.append([counts[c] for c in classes])
            targets.append((end.at - start.at).total_seconds() - period_seconds(period))
    x, y = np.array(rows, float), np.array(targets)
    coef, _ = nnls(x, y)
    residual = y - x @ coef
    return dict(zip(classes, (float(c) for c in coef), strict=True)), float(residual.std()), float(y.std())


def breaks(games) -> dict[str, float]:
    gaps: dict[str, list[float]] = {"quarter_break": [], "halftime": []}
    for game_date, actions in games:
        labels = period_labels(actions, game_date)
        for (period, kind), end in labels.items():
            start = labels.get((period + 1, "period_start"))
            if kind == "period_end" and start is not None:
                key = "halftime" if period == 2 else "quarter_break"
                gaps[key].append((start.at - end.at).total_seconds())
    return {k: statistics.fmean(v) for k, v in gaps.items()}


def extrapolation_rates(games, costs) -> dict[str, float]:
    """Real seconds from the first period start to the last period end, over the weights between them."""
    rates = {}
    for method in METHODS:
        real = weight = 0.0
        for game_date, actions in games:
            labels = period_labels(actions, game_date)
            starts = [a for (p, k), a in labels.items() if k == "period_start"]
            ends = [a for (p, k), a in labels.items() if k == "period_end"]
            if not starts or not ends:
                continue
            first, last = min(starts, key=lambda a: a.index), max(ends, key=lambda a: a.index)
            weights = cumulative_weights(actions, method, costs)
            real += (last.at - first.at).total_seconds()
            weight += weights[last.index] - weights[first.index]
        rates[method] = real / weight
    return rates


def replay_errors(games, costs) -> dict[str, tuple[list[float], list[float]]]:
    """Each mid-period replay label predicted from the period labels alone: (all, late) errors."""
    out: dict[str, tuple[list[float], list[float]]] = {m: ([], []) for m in METHODS}
    for game_date, actions in games:
        anchors = consistent_anchors(actions, wall_clock_anchors(actions, game_date))
        periods = [a for a in anchors if actions[a.index].kind != "replay"]
        replays = [a for a in anchors if actions[a.index].kind == "replay"]
        for method in METHODS:
            weights = cumulative_weights(actions, method, costs)
            for replay in replays:
                action = actions[replay.index]
                if action.clock_seconds in (0.0, period_seconds(action.period)):
                    continue  # reviews during a break, labelled at the break
                lo = max((a for a in periods if a.index < replay.index), key=lambda a: a.index, default=None)
                hi = min((a for a in periods if a.index > replay.index), key=lambda a: a.index, default=None)
                if lo is None or hi is None or actions[lo.index].period != action.period:
                    continue
                span = weights[hi.index] - weights[lo.index]
                share = (weights[replay.index] - weights[lo.index]) / span if span else 0.5
                error = abs((lo.at + (hi.at - lo.at) * share - replay.at).total_seconds())
                out[method][0].append(error)
                if is_late(action):
                    out[method][1].append(error)
    return out


def print_archive(folder: Path) -> None:
    games = read_archive(folder)
    costs, residual_sd, constant_sd = fit_costs(games)
    costs.update(breaks(games))
    print(f"archive: {len(games)} games")
    print(
        f"stoppage costs fitted on all games (s): residual SD {residual_sd:.0f} s/period vs {constant_sd:.0f}"
    )
    for name, value in costs.items():
        print(f"  {name:22s} {value:6.1f}   (module: {STOPPAGE_COSTS[name]:.0f})")
    rates = extrapolation_rates(games, STOPPAGE_COSTS)
    print(
        "extrapolation rates (real s per weight unit, module costs): "
        + ", ".join(f"{m} {r:.3f}" for m, r in rates.items())
    )
    halves = (games[0::2], games[1::2])
    pooled: dict[str, tuple[list[float], list[float]]] = {m: ([], []) for m in METHODS}
    for train, test in (halves, halves[::-1]):
        half_costs, _, _ = fit_costs(train)
        half_costs.update(breaks(train))
        for method, (every, late) in replay_errors(test, half_costs).items():
            pooled[method][0].extend(every)
            pooled[method][1].extend(late)
    print("\nmid-period replay labels predicted from period labels (costs fitted on the other half):")
    for method, (every, late) in pooled.items():
        m, p, mean = summary(every)
        lm, lp, lmean = summary(late)
        print(
            f"  {method:9s} n={len(every)} median {m:6.1f} p90 {p:6.1f} mean {mean:6.1f} | "
            f"late n={len(late)} median {lm:6.1f} p90 {lp:6.1f} mean {lmean:6.1f}"
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cdn", type=Path, default=CDN_GAME, help="a CDN liveData play-by-play file")
    parser.add_argument("--archive", type=Path, help="folder with the 2022-23 .tar.xz and its manifest")
    args = parser.parse_args(argv)
    print_cdn(args.cdn)
    if args.archive:
        print_archive(args.archive)
    return 0


if __name__ == "__main__":
    sys.exit(main())
