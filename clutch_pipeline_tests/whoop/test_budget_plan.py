"""The WHOOP request-budget planner: pure, so plain values in and out."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from clutch_pipeline.whoop.budget_plan import (
    ALL_TYPES,
    CYCLE,
    DEGRADATION,
    PRE_TIPOFF,
    RECONCILIATION,
    WEBHOOK,
    AthleteDay,
    BudgetConfig,
    PendingWebhook,
    daily_budget,
    degradation_reason,
    plan_tick,
)
from clutch_pipeline_tests.whoop.budget_day import (
    ATHLETES,
    DAY,
    TONIGHT,
    H,
    M,
    athletes_at_midnight,
    schedule,
    team_of,
    webhook_arrivals,
)


def simulate(requests_at_start: int = 10_000, tick_minutes: int = 5):
    """A whole UTC day, one plan every ``tick_minutes``: the caller's side (pending events, tokens,
    watermarks) kept as the module docstring asks. Returns the record of what happened."""
    athletes = {a.nba_person_id: a for a in athletes_at_midnight()}
    arrivals = sorted(webhook_arrivals(), key=lambda e: e.received_at)
    pending: list[PendingWebhook] = []
    spent_by_kind: Counter[str] = Counter()
    per_tick: list[int] = []
    levels: list[int] = []
    cycle_syncs: dict[int, list[datetime]] = {p: [] for p in athletes}
    fetched_after: dict[int, list[timedelta]] = {p: [] for p in athletes}
    plans = []
    left = requests_at_start
    step = timedelta(minutes=tick_minutes)
    config = BudgetConfig(tick=step)
    now, i = DAY, 0
    while now < DAY + 24 * H:
        while i < len(arrivals) and arrivals[i].received_at <= now:
            pending.append(arrivals[i])
            i += 1
        plan = plan_tick(now, list(athletes.values()), pending, requests_left_today=left, config=config)
        plans.append(plan)
        levels.append(plan.level)
        per_tick.append(plan.estimated_requests)
        left -= plan.estimated_requests
        for kind, n in plan.requests_by_kind().items():
            spent_by_kind[kind] += n
        for sync in plan.syncs:
            person = sync.nba_person_id
            a = athletes[person]
            if sync.kind == WEBHOOK:
                fetched_after[person] += [now - e.received_at for e in pending if e.nba_person_id == person]
                pending = [e for e in pending if e.nba_person_id != person]
            if sync.token_refresh:
                a = replace(a, token_expires_at=now + H)
            if CYCLE in sync.record_types:
                a = replace(a, last_cycle_sync=now)
                cycle_syncs[person].append(now)
            if sync.reconciles:
                a = replace(a, last_reconciled=now)
            athletes[person] = a
        now += step
    return {
        "spent": requests_at_start - left,
        "by_kind": spent_by_kind,
        "per_tick": per_tick,
        "levels": levels,
        "cycle_syncs": cycle_syncs,
        "fetched_after": fetched_after,
        "pending": pending,
        "athletes": athletes,
        "plans": plans,
    }


@pytest.fixture(scope="module")
def day():
    return simulate()


# -- the arithmetic -----------------------------------------------------------------------------------


def test_the_naive_hourly_poll_serves_about_80_athletes():
    budget = daily_budget()
    assert budget.naive_per_athlete_day == 4 * 24 + 24
    assert budget.naive_capacity == 83


def test_the_schedule_puts_about_half_the_athletes_in_a_game_on_an_average_day():
    budget = daily_budget()
    assert budget.game_share == pytest.approx(82 / 170)
    assert budget.games_per_day == pytest.approx(7.24, abs=0.01)
    assert budget.athletes_playing == pytest.approx(241, abs=1)


def test_500_athletes_fit_in_the_day_with_headroom_even_on_a_full_slate():
    budget = daily_budget()
    assert budget.game_day.total == pytest.approx(18.8, abs=0.1)
    assert budget.off_day.total == pytest.approx(15.4, abs=0.1)
    assert budget.per_athlete_day == pytest.approx(17.0, abs=0.1)
    assert budget.total == pytest.approx(8514, abs=5)
    assert budget.headroom > 1_400
    assert budget.full_slate_total < 10_000  # every athlete playing: 15 games
    assert budget.capacity >= 580
    assert budget.off_day_batched.total < budget.off_day.total - 3  # degradation step 3 saves that much


# -- a whole simulated day ----------------------------------------------------------------------------


def test_a_simulated_day_of_500_athletes_stays_within_the_budget_and_the_minute_limit(day):
    assert day["spent"] < 10_000
    assert day["spent"] <= daily_budget().total  # token sharing does better than the arithmetic assumes
    assert max(day["per_tick"]) <= 90  # one tick's run fits in a minute of WHOOP's window, with margin
    assert set(day["levels"]) == {0}  # no degradation on an ordinary day
    assert not any(plan.dropped for plan in day["plans"])


def test_the_simulated_day_spends_requests_by_kind_as_planned(day):
    by_kind = day["by_kind"]
    playing_tonight = [p for p in range(1, ATHLETES + 1) if schedule(team_of(p))[1] in TONIGHT]
    merged = {
        p
        for p in playing_tonight
        for plan in day["plans"]
        for s in plan.syncs
        if s.nba_person_id == p and s.kind == PRE_TIPOFF and s.reconciles
    }
    pre_tipoffs = sum(1 for plan in day["plans"] for s in plan.syncs if s.kind == PRE_TIPOFF)
    reconciliations = sum(1 for plan in day["plans"] for s in plan.syncs if s.kind == RECONCILIATION)
    # tips up to 01:00 tomorrow open their window today; those up to 00:00 must be served today
    served_today = [p for p in playing_tonight if schedule(team_of(p))[1] <= DAY + 24 * H]
    assert len(served_today) <= pre_tipoffs <= len(playing_tonight)
    # everybody once, but athletes whose pre-tip-off window opens before midnight wait for it
    waiting = [p for p, a in day["athletes"].items() if a.last_reconciled < DAY]
    assert all(DAY + 24 * H < schedule(team_of(p))[1] < DAY + 26 * H for p in waiting)
    assert reconciliations + len(merged) == ATHLETES - len(waiting)
    assert by_kind[RECONCILIATION] == 4 * reconciliations
    assert by_kind[PRE_TIPOFF] == 4 * len(merged) + (pre_tipoffs - len(merged))
    arrivals = webhook_arrivals()
    assert by_kind[WEBHOOK] < sum(2 if e.record_type == "recovery" else 1 for e in arrivals)
    assert by_kind["token_refresh"] < ATHLETES * 8
    assert sum(by_kind.values()) == day["spent"]


def test_athletes_playing_tonight_get_their_cycle_in_the_two_hours_before_tipoff(day):
    for person in range(1, ATHLETES + 1):
        tip = schedule(team_of(person))[1]
        if tip not in TONIGHT or tip > DAY + 24 * H:
            continue
        before = [t for t in day["cycle_syncs"][person] if tip - 2 * H <= t < tip]
        assert len(before) == 1, person
        assert tip - before[0] >= 60 * M  # an hour before tip-off at the latest, even on a busy evening


def playing_delays(day) -> list[timedelta]:
    return sorted(
        delay
        for person, delays in day["fetched_after"].items()
        if schedule(team_of(person))[1] in TONIGHT or schedule(team_of(person))[0] >= DAY
        for delay in delays
    )


def test_webhooks_of_playing_athletes_are_fetched_within_minutes_and_nothing_is_left(day):
    config = BudgetConfig()
    delays = playing_delays(day)
    assert len(delays) > 1_500
    assert delays[len(delays) // 2] <= config.settle + config.tick
    assert delays[-1] <= config.settle + 4 * config.tick  # the per-tick cap queues a busy morning
    assert all(e.received_at > DAY + 24 * H - 30 * M for e in day["pending"])


def test_with_a_tick_a_minute_webhooks_of_playing_athletes_wait_only_their_settling_time():
    day = simulate(tick_minutes=1)
    assert day["spent"] < 10_000 and max(day["per_tick"]) <= 90 and set(day["levels"]) == {0}
    assert playing_delays(day)[-1] <= BudgetConfig().settle + M


def test_the_day_reconciles_every_athlete_not_left_for_a_pre_tipoff_after_midnight(day):
    for person, a in day["athletes"].items():
        if a.last_reconciled < DAY:
            assert schedule(team_of(person))[1] > DAY + 24 * H, person


def test_a_slightly_short_day_takes_only_the_first_steps():
    day = simulate(requests_at_start=8_000)
    assert day["spent"] <= 8_000
    assert set(day["levels"]) <= {0, 1, 2, 3}
    assert {reason for plan in day["plans"] for _, reason in plan.dropped} <= {
        degradation_reason(1),
        degradation_reason(2),
        degradation_reason(3),
    }


def test_a_short_day_degrades_in_order_and_never_drops_a_playing_athletes_webhooks():
    day = simulate(requests_at_start=6_000)
    assert day["spent"] <= 6_000
    assert max(day["levels"]) >= 4
    reasons = Counter(reason for plan in day["plans"] for _, reason in plan.dropped)
    assert reasons[degradation_reason(1)] > 0
    for plan in day["plans"]:
        for sync, reason in plan.dropped:
            assert sync.priority != 0
            step = int(reason.split(":")[0].removeprefix("degradation step "))
            assert 1 <= step <= plan.level
            assert reason == degradation_reason(step)
    config = BudgetConfig()
    for person, delays in day["fetched_after"].items():
        if schedule(team_of(person))[1] in TONIGHT or schedule(team_of(person))[0] >= DAY:
            assert max(delays, default=timedelta(0)) <= config.settle + 2 * config.tick, person


# -- single ticks -------------------------------------------------------------------------------------

NOON = DAY + 12 * H


def fresh(person: int, **changes) -> AthleteDay:
    """An athlete with nothing due: reconciled today, cycle just synced, token valid for 30 min."""
    base = AthleteDay(
        person,
        next_tipoff=None,
        last_tipoff=None,
        last_cycle_sync=NOON - H,
        last_reconciled=DAY + H,
        token_expires_at=NOON + 30 * M,
    )
    return replace(base, **changes)


def test_nothing_due_plans_nothing():
    plan = plan_tick(NOON, [fresh(1), fresh(2)], [], requests_left_today=5_000)
    assert plan.syncs == [] and plan.estimated_requests == 0 and plan.level == 0


def test_a_sleep_and_its_recovery_make_one_fetch_of_two_requests():
    events = [
        PendingWebhook(1, "sleep", "s1", NOON - 10 * M),
        PendingWebhook(1, "recovery", "s1", NOON - 9 * M),
        PendingWebhook(1, "sleep", "s1", NOON - 8 * M),  # a duplicate
        PendingWebhook(1, "workout", "w1", NOON - 7 * M),
        PendingWebhook(1, "sleep", "nap1", NOON - 7 * M),
    ]
    (sync,) = plan_tick(NOON, [fresh(1)], events, requests_left_today=5_000).syncs
    assert sync.kind == WEBHOOK
    assert sorted(sync.records) == ["recovery:s1", "sleep:nap1", "workout:w1"]
    assert sync.fetch_requests == 2 + 1 + 1 and not sync.token_refresh


def test_a_deleted_record_costs_nothing_and_wins_over_an_earlier_update():
    events = [
        PendingWebhook(1, "workout", "w1", NOON - 10 * M),
        PendingWebhook(1, "workout", "w1", NOON - 9 * M, deleted=True),
    ]
    (sync,) = plan_tick(NOON, [fresh(1)], events, requests_left_today=0).syncs
    assert sync.records == () and sync.deleted == ("workout:w1",) and sync.estimated_requests == 0


def test_an_expiring_token_costs_one_refresh_per_athlete_per_tick():
    athlete = fresh(1, token_expires_at=NOON + 4 * M, last_reconciled=DAY - H)
    events = [PendingWebhook(1, "workout", "w1", NOON - 10 * M)]
    plan = plan_tick(NOON, [athlete], events, requests_left_today=5_000)
    assert [s.kind for s in plan.syncs] == [WEBHOOK, RECONCILIATION]
    assert [s.token_refresh for s in plan.syncs] == [True, False]
    assert plan.estimated_requests == (1 + 1) + 4
    assert plan.requests_by_kind() == {"reconciliation": 4, "token_refresh": 1, "webhook": 1}
    unknown = plan_tick(
        NOON,
        [fresh(2, token_expires_at=None)],
        [PendingWebhook(2, "sleep", "s", NOON - H)],
        requests_left_today=5_000,
    )
    assert unknown.estimated_requests == 2


def test_events_of_athletes_without_consent_cost_nothing():
    events = [PendingWebhook(9, "workout", "w9", NOON - H)]
    assert plan_tick(NOON, [fresh(1)], events, requests_left_today=5_000).syncs == []


def test_events_settle_a_few_minutes_so_a_recovery_joins_its_sleep():
    events = [PendingWebhook(1, "sleep", "s1", NOON - 2 * M)]
    plan = plan_tick(NOON, [fresh(1)], events, requests_left_today=5_000)
    assert plan.syncs == [] and plan.deferred[0][1].startswith("settling")


def test_the_pre_tipoff_cycle_waits_for_a_fresh_token_until_an_hour_before():
    tip = NOON + 2 * H
    stale = fresh(1, next_tipoff=tip, token_expires_at=NOON - H)
    early = plan_tick(tip - 110 * M, [stale], [], requests_left_today=5_000)
    assert early.syncs == [] and early.deferred[0][0].kind == PRE_TIPOFF
    late = plan_tick(tip - 60 * M, [stale], [], requests_left_today=5_000)
    assert [(s.kind, s.record_types, s.estimated_requests) for s in late.syncs] == [
        (PRE_TIPOFF, ("cycle",), 2)
    ]
    warm = fresh(1, next_tipoff=tip, token_expires_at=tip)
    (sync,) = plan_tick(tip - 110 * M, [warm], [], requests_left_today=5_000).syncs
    assert sync.kind == PRE_TIPOFF and sync.estimated_requests == 1
    done = fresh(1, next_tipoff=tip, last_cycle_sync=tip - 100 * M)
    assert plan_tick(tip - 30 * M, [done], [], requests_left_today=5_000).syncs == []


def test_a_pre_tipoff_sync_is_the_days_reconciliation_when_it_is_still_due():
    tip = NOON + 90 * M
    athlete = fresh(1, next_tipoff=tip, last_reconciled=DAY - H)
    (sync,) = plan_tick(NOON, [athlete], [], requests_left_today=5_000).syncs
    assert sync.kind == PRE_TIPOFF and sync.record_types == ALL_TYPES and sync.reconciles
    # earlier in the day his reconciliation waits for it
    morning = plan_tick(DAY + 2 * H, [replace(athlete, last_cycle_sync=DAY)], [], requests_left_today=9_000)
    assert morning.syncs == []


def test_webhooks_of_athletes_playing_today_go_first_and_are_never_dropped():
    playing = [fresh(p, next_tipoff=NOON + 8 * H) for p in range(1, 201)]
    idle = [fresh(p, last_reconciled=DAY - H, last_cycle_sync=DAY - 20 * H) for p in range(201, 501)]
    events = [PendingWebhook(p, "workout", f"w{p}", NOON - 10 * M) for p in range(1, 501)]
    plan = plan_tick(NOON, playing + idle, events, requests_left_today=300)
    assert plan.level == 7
    assert all(s.priority == 0 for s in plan.syncs)
    assert len(plan.syncs) == 90  # the per-minute cap; the rest of them wait for the next tick
    assert all(sync.nba_person_id > 200 for sync, _ in plan.dropped)
    deferred_playing = [s for s, reason in plan.deferred if s.nba_person_id <= 200]
    assert deferred_playing and all(
        reason == "per-minute limit: next tick" for s, reason in plan.deferred if s.nba_person_id <= 200
    )


def short_day_tick(left: int):
    """Noon; 300 athletes off today, 100 playing tomorrow, 100 playing tonight; a workout event for one in
    five; reconciliations and 12 h cycle refreshes due for those not playing."""
    now = DAY + 12 * H
    off = [fresh(p, last_reconciled=DAY - H, last_cycle_sync=now - 13 * H) for p in range(1, 301)]
    tomorrow = [
        fresh(p, next_tipoff=now + 30 * H, last_reconciled=DAY - H, last_cycle_sync=now - 13 * H)
        for p in range(301, 401)
    ]
    tonight = [fresh(p, next_tipoff=now + 100 * M, last_reconciled=DAY - H) for p in range(401, 501)]
    events = [PendingWebhook(p, "workout", f"w{p}", now - 10 * M) for p in range(1, 501, 5)]
    return plan_tick(now, off + tomorrow + tonight, events, requests_left_today=left)


def test_the_degradation_steps_come_in_order_each_when_the_one_before_is_not_enough():
    needs = short_day_tick(10_000).needs
    assert list(needs) == sorted(needs, reverse=True) and len(set(needs)) == 8
    for level in range(8):
        plan = short_day_tick(needs[level])
        assert plan.level == level
        steps = {int(reason.split(":")[0].removeprefix("degradation step ")) for _, reason in plan.dropped}
        # a later step supersedes an earlier one on the same syncs: 5 drops what 2 thinned, 6 what 3 held
        assert steps == set(range(1, level + 1)) - ({2} if level >= 5 else set()) - (
            {3} if level >= 6 else set()
        )
        assert all(
            reason == degradation_reason(step)
            for step in steps
            for _, reason in plan.dropped
            if reason.startswith(f"degradation step {step}:")
        )
        assert all(sync.priority != 0 for sync, _ in plan.dropped)
        if level < 7:
            assert short_day_tick(needs[level] - 1).level == level + 1

    def kinds(plan):
        return Counter(s.kind for s in plan.syncs)

    level0 = short_day_tick(needs[0])
    assert kinds(level0) == {WEBHOOK: 20, PRE_TIPOFF: 17}  # the per-minute cap: 90 a tick
    assert [s.priority for s in level0.syncs] == sorted(s.priority for s in level0.syncs)
    assert all(s.reconciles for s in level0.syncs if s.kind == PRE_TIPOFF)
    assert {reason for _, reason in level0.deferred} == {"per-minute limit: next tick"}
    level4 = short_day_tick(needs[4])
    assert RECONCILIATION not in kinds(level4)
    assert all(s.record_types == ("cycle",) for s in level4.syncs if s.kind == PRE_TIPOFF)
    level7 = short_day_tick(needs[7])
    assert {s.kind for s in level7.syncs} == {WEBHOOK}
    assert all(s.nba_person_id > 400 for s in level7.syncs)
    assert len(DEGRADATION) == 7


def test_the_tick_spreads_discretionary_work_over_the_day():
    athletes = [fresh(p, last_reconciled=DAY - H, last_cycle_sync=DAY) for p in range(1, 501)]
    plan = plan_tick(DAY + H, athletes, [], requests_left_today=9_500)
    assert 0 < plan.estimated_requests <= plan.allowance <= 90
    assert all(s.kind == RECONCILIATION for s in plan.syncs)
    assert any(reason.startswith("pacing") for _, reason in plan.deferred)
    late = plan_tick(DAY + 23 * H + 55 * M, athletes, [], requests_left_today=9_500)
    assert late.estimated_requests == 90  # the last tick may spend everything, up to the minute cap


def test_the_plan_is_deterministic():
    """(How long a tick takes to plan is measured by benchmarks/whoop_budget_plan.py, not here.)"""
    athletes = athletes_at_midnight()
    events = [e for e in webhook_arrivals() if e.received_at <= DAY + 14 * H]
    now = DAY + 14 * H
    first = plan_tick(now, athletes, events, requests_left_today=6_000)
    again = plan_tick(now, list(reversed(athletes)), list(reversed(events)), requests_left_today=6_000)
    assert first == again
    assert first.metadata()["planned_requests"] == first.estimated_requests


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError):
        plan_tick(datetime(2025, 1, 15, 12), [], [], requests_left_today=10)
