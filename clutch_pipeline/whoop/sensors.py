"""The WHOOP request planner as a sensor: every minute, what to sync within the app's request budget.

Each tick reads the consented athletes (token expiry, last cycle sync and reconciliation, their team's
tip-offs) and the webhook events not yet handed to a run, asks ``budget_plan.plan_tick`` what this
minute should spend, and requests ONE ``sync_whoop`` run naming exactly that: records to fetch or delete
(webhooks), collections to sync incrementally (a pre-tip-off cycle, a reconciliation). The events the
run names are marked planned; those the planner defers stay pending for a later tick.
"""

from datetime import UTC, datetime, timedelta

import dagster as dg

from clutch_pipeline.db.resources import PostgresResource
from clutch_pipeline.whoop import store
from clutch_pipeline.whoop.budget_plan import AthleteDay, BudgetConfig, PendingWebhook, Plan, plan_tick
from clutch_pipeline.whoop.partitions import whoop_days
from clutch_pipeline.whoop.resources import WhoopResource
from clutch_pipeline.whoop.schedules import WHOOP_SYNC_JOB
from clutch_pipeline.whoop.webhooks import KNOWN_TYPES

MAX_EVENTS_PER_TICK = 5_000
TICK = timedelta(minutes=1)


@dg.sensor(
    job_name=WHOOP_SYNC_JOB,
    minimum_interval_seconds=int(TICK.total_seconds()),
    default_status=dg.DefaultSensorStatus.STOPPED,
    description="Every minute (STOPPED by default: it calls api.prod.whoop.com): the request planner "
    "spends the app's WHOOP budget (webhook fetches, pre-tip-off cycles, daily reconciliation, in that "
    "order) in ONE targeted sync_whoop run.",
)
def whoop_sync_planner(context: dg.SensorEvaluationContext, postgres: PostgresResource, whoop: WhoopResource):
    now = datetime.now(UTC)
    plan, events, set_aside = plan_now(postgres, whoop, now)
    request = run_request(plan, now)
    with postgres.connection() as conn:
        if request is not None:
            store.mark_events_planned(conn, planned_event_ids(plan, events), now)
    if request is None:
        return dg.SkipReason(
            f"nothing to sync this minute ({len(plan.deferred)} deferred; set aside: {set_aside})"
        )
    return request


def plan_now(
    postgres: PostgresResource, whoop: WhoopResource, now: datetime
) -> tuple[Plan, list[store.PendingEvent], dict[str, int]]:
    """The plan for this minute, from the database's view of athletes, events and requests spent."""
    per_minute, per_day = whoop.limits()
    with postgres.connection() as conn:
        set_aside = store.set_aside_unplannable_events(conn, now)
        events = store.pending_events(conn, MAX_EVENTS_PER_TICK)
        athletes = [
            AthleteDay(
                nba_person_id=a.nba_person_id,
                next_tipoff=a.next_tipoff,
                last_tipoff=a.last_tipoff,
                last_cycle_sync=a.last_cycle_sync,
                last_reconciled=a.last_reconciled,
                token_expires_at=a.token_expires_at,
            )
            for a in store.athlete_states(conn, now)
        ]
        since_midnight = int((now - datetime.combine(now.date(), datetime.min.time(), UTC)).total_seconds())
        spent_today = store.requests_since(conn, now, seconds=since_midnight)
        spent_this_minute = store.requests_since(conn, now, seconds=60)
    webhooks = [
        PendingWebhook(
            nba_person_id=e.nba_person_id,
            record_type=KNOWN_TYPES[e.event_type][0],
            record_id=e.record_id,
            received_at=e.received_at,
            deleted=KNOWN_TYPES[e.event_type][1],
        )
        for e in events
    ]
    plan = plan_tick(
        now,
        athletes,
        webhooks,
        requests_left_today=max(per_day - spent_today, 0),
        requests_left_this_minute=max(per_minute - spent_this_minute, 0),
        config=BudgetConfig(per_day=per_day, per_minute=per_minute, tick=TICK),
    )
    return plan, events, set_aside


def run_request(plan: Plan, now: datetime) -> dg.RunRequest | None:
    """One run for the whole plan, or None when it plans nothing."""
    records, deleted, collections = [], [], []
    for sync in plan.syncs:
        records += [f"{sync.nba_person_id}:{ref}" for ref in sync.records]
        deleted += [f"{sync.nba_person_id}:{ref}" for ref in sync.deleted]
        collections += [f"{sync.nba_person_id}:{t}" for t in sync.record_types]
    if not (records or deleted or collections):
        return None
    today = now.date()
    return dg.RunRequest(
        run_key=f"whoop-plan-{now:%Y-%m-%dT%H:%M}",
        run_config={
            "ops": {
                "whoop_sync": {"config": {"records": records, "deleted": deleted, "collections": collections}}
            }
        },
        tags={
            "dagster/asset_partition_range_start": (today - timedelta(days=1)).strftime(whoop_days.fmt),
            "dagster/asset_partition_range_end": today.strftime(whoop_days.fmt),
            **{f"clutch/plan_{key}": str(value) for key, value in plan.metadata().items()},
        },
    )


def planned_event_ids(plan: Plan, events: list[store.PendingEvent]) -> list[int]:
    """The events a run of this plan handles: those whose record it fetches or deletes (a sleep event
    is handled by the fetch of its recovery, which goes through the sleep)."""
    named = {
        (sync.nba_person_id, ref.split(":", 1)[1])
        for sync in plan.syncs
        for ref in (*sync.records, *sync.deleted)
    }
    return [e.event_id for e in events if (e.nba_person_id, e.record_id) in named]
