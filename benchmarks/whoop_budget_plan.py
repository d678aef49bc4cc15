"""How long does the WHOOP request planner (``whoop.budget_plan.plan_tick``) take to plan one tick?

The inputs are the simulated day of the planner's tests (``clutch_pipeline_tests/whoop/budget_day.py``:
500 athletes on 30 teams, the webhook events WHOOP would send them over the UTC day 2025-01-15). Two
figures, each a median over ``--runs`` runs:

- the 14:00 tick (the day's events so far pending, 6,000 requests left), as the unit test once timed it;
- every 5-minute tick of the day (events up to that minute), the median and the slowest tick.

Beside them, a floor measured in the same run: sorting the same athletes and events once (a planner
must at least look at each), and the ratio of a tick to it. The sensor ticks every minute or so, so a
tick of a few tens of milliseconds is far within its budget.

    /work/main/.venv/bin/python benchmarks/whoop_budget_plan.py [--runs 20]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repository's test helpers

from clutch_pipeline.whoop.budget_plan import plan_tick
from clutch_pipeline_tests.whoop.budget_day import DAY, H, athletes_at_midnight, webhook_arrivals


def median_seconds(work: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="Runs per figure (the median is printed).")
    args = parser.parse_args()

    athletes, events = athletes_at_midnight(), webhook_arrivals()
    afternoon = DAY + 14 * H
    pending = [e for e in events if e.received_at <= afternoon]
    floor = median_seconds(
        lambda: (
            sorted(athletes, key=lambda a: a.nba_person_id),
            sorted(pending, key=lambda e: e.received_at),
        ),
        args.runs,
    )
    tick = median_seconds(
        lambda: plan_tick(afternoon, athletes, pending, requests_left_today=6_000), args.runs
    )
    print(f"{len(athletes)} athletes, {len(pending)} pending events at 14:00 UTC")
    print(f"  one tick at 14:00:   median {tick * 1000:7.2f} ms over {args.runs} runs")
    print(f"  floor (sort inputs): median {floor * 1000:7.2f} ms  -> tick / floor = {tick / floor:.0f}x")

    per_tick = []
    for minute in range(0, 24 * 60, 5):
        now = DAY + timedelta(minutes=minute)
        arrived = [e for e in events if e.received_at <= now]
        left = 10_000 - minute * 4  # spent through the day, as a plausible figure
        per_tick.append(
            median_seconds(
                lambda now=now, arrived=arrived, left=left: plan_tick(
                    now, athletes, arrived, requests_left_today=left
                ),
                max(1, args.runs // 5),
            )
        )
    print(
        f"  every 5-minute tick of the day ({len(per_tick)} ticks): median "
        f"{statistics.median(per_tick) * 1000:.2f} ms, slowest {max(per_tick) * 1000:.2f} ms"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
