"""A simulated UTC day of the request planner's inputs: 500 athletes on 30 teams (who played last night,
who plays tonight) and the webhook events WHOOP would send them. Shared by the planner's tests and
``benchmarks/whoop_budget_plan.py``."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from clutch_pipeline.whoop.budget_plan import AthleteDay, PendingWebhook

DAY = datetime(2025, 1, 15, tzinfo=UTC)  # a Wednesday in the season; the simulated UTC day
H = timedelta(hours=1)
M = timedelta(minutes=1)
TEAMS = 30
ATHLETES = 500
LAST_NIGHT = [DAY + t for t in (0 * H, 0 * H, 30 * M, 30 * M, H, 90 * M, 150 * M)]  # 7 games
# 8 games tonight (US evening): 23:00 and 23:30 UTC today, 00:00 to 02:00 UTC tomorrow
TONIGHT = [DAY + t for t in (23 * H, 23 * H, 23.5 * H, 23.5 * H, 24 * H, 24.5 * H, 25 * H, 26 * H)]
TOMORROW_NIGHT = DAY + 48.5 * H


def team_of(person: int) -> int:
    return (person - 1) % TEAMS


def schedule(team: int) -> tuple[datetime | None, datetime | None]:
    """(last tip-off, next tip-off): teams 0-13 played last night, 10-25 play tonight (10-13 on the second
    night of a back-to-back), 0-5 and 26-29 play tomorrow night, 6-9 later."""
    last = LAST_NIGHT[team // 2] if team < 14 else DAY - 40 * H
    if 10 <= team < 26:
        return last, TONIGHT[(team - 10) // 2]
    if team < 6 or team >= 26:
        return last, TOMORROW_NIGHT
    return last, DAY + 75 * H


def utc_offset(team: int) -> int:
    return -5 if team < 15 else -6 if team < 22 else -7 if team < 25 else -8


def athletes_at_midnight() -> list[AthleteDay]:
    rng = random.Random(7)
    out = []
    for person in range(1, ATHLETES + 1):
        last, nxt = schedule(team_of(person))
        out.append(
            AthleteDay(
                nba_person_id=person,
                next_tipoff=nxt,
                last_tipoff=last,
                last_cycle_sync=DAY - timedelta(hours=rng.uniform(1, 13)),
                last_reconciled=DAY - timedelta(hours=rng.uniform(1, 23)),
                token_expires_at=None,
            )
        )
    return out


def webhook_arrivals(seed: int = 11) -> list[PendingWebhook]:
    """Each record's events as our simulator sends them: "created" when it ends, "scored" 30-90 min later
    (a recovery 0-3 min after its sleep), with the simulator's odds for workouts and naps."""
    events: list[PendingWebhook] = []
    for person in range(1, ATHLETES + 1):
        rng = random.Random(seed * 100_003 + person)
        team = team_of(person)
        last, nxt = schedule(team)

        def local(hours: float, rng=rng, team=team) -> datetime:
            return DAY + timedelta(hours=hours - utc_offset(team) + rng.gauss(0, 0.3))

        def record(kind: str, ends: datetime, rng=rng, person=person, with_recovery=False) -> None:
            rid = f"{kind}-{person}-{ends:%H%M%S}"
            scored = ends + timedelta(minutes=rng.uniform(30, 90))
            events.append(PendingWebhook(person, kind, rid, ends + timedelta(seconds=rng.uniform(1, 20))))
            events.append(PendingWebhook(person, kind, rid, scored))
            if with_recovery:
                events.append(
                    PendingWebhook(person, "recovery", rid, ends + timedelta(seconds=rng.uniform(1, 20)))
                )
                events.append(
                    PendingWebhook(person, "recovery", rid, scored + timedelta(minutes=rng.uniform(0, 3)))
                )

        played_last_night = last is not None and last >= DAY
        if played_last_night:
            record("workout", last + timedelta(minutes=rng.uniform(135, 160)))
        record("sleep", local(10.0 if played_last_night else 8.5), with_recovery=True)
        if nxt in TONIGHT:
            if rng.random() < 0.8:
                record("workout", local(11.5))  # shootaround
            if rng.random() < 0.5:
                record("sleep", local(15.5))  # pre-game nap
        else:
            practice = rng.random()
            if practice < 0.4:
                record("workout", local(12.5))
            if rng.random() < 0.12:
                record("sleep", local(15.0))
            if 0.4 <= practice < 0.65:
                record("workout", local(18.2))
    return [e for e in events if DAY <= e.received_at < DAY + 24 * H]
