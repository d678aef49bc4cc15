"""Where the app's 10,000 WHOOP requests a day go: a pure planner for 500 athletes with webhooks on.

Data in, data out: no Dagster, no database, no network, no clock (``now`` is an argument). A sensor
calls ``plan_tick`` every few minutes with the consented athletes, the webhook events not yet fetched
and the requests left, and runs what the plan says. The arithmetic behind the defaults is
``daily_budget()`` (docs/whoop-request-budget.md prints it).

What is spent, in priority order (lower first):

0. ``webhook`` fetches of athletes **playing today** (a tip-off in the next 24 h, or one less than 18 h
   ago: the game workout and the night's sleep and recovery after it). Never dropped: only the
   per-minute cap can push them to the next tick.
1. ``pre_tipoff``: the cycle (day strain; WHOOP sends no webhook for cycles) of an athlete playing today,
   refreshed once in the 2 h before tip-off: early in that window if his access token is still fresh
   (no refresh to pay), otherwise from tip-off - 90 min. When his reconciliation of the UTC day
   is still due it fetches all four collections and *is* that reconciliation.
2. ``webhook`` fetches of athletes with a game tomorrow (a tip-off 24-48 h ahead).
3. ``webhook`` fetches of the other athletes.
4. ``reconciliation`` (one incremental sync of the four collections, watermark - 48 h) of athletes with
   a game in the next 2 days, once per UTC day: it catches missed webhooks.
5. ``cycle`` refresh of athletes not playing today, every 12 h.
6. ``reconciliation`` of the other athletes.

Webhook refs are deduplicated: the latest event of a record wins (updated then deleted: deleted), and a
sleep beside a recovery of the same sleep is fetched once, through the recovery (2 requests: the sleep,
then ``/v2/cycle/{cycle_id}/recovery``). An athlete's events wait ``settle`` (5 min) after the oldest so a
sleep and its recovery, which WHOOP scores minutes apart, make one fetch. A sync costs one more request
when the athlete's access token expires within ``token_margin`` (5 min), once per athlete per tick;
lower-priority work goes first to athletes whose token is still fresh.

Degradation. Each tick projects what the rest of the UTC day needs; when that exceeds the requests
left, it takes the first of these steps that makes it fit, each including the ones before
(``DEGRADATION``): 1. drop reconciliation of athletes with no game in the next 2 days; 2. refresh the
cycle of off-day athletes every 24 h instead of 12 h; 3. batch the webhook fetches of athletes not
playing today (hold them up to ``batch_hold``, 100 min, so the "created" and "scored" events of a
record, 30-90 min apart, make one fetch and one token refresh); 4. drop reconciliation of athletes with
a game in the next 2 days; 5. drop the cycle refresh of off-day athletes; 6. hold the webhook fetches of
athletes not playing today (their events stay pending); 7. drop the pre-tip-off cycle refresh. Webhook
fetches of athletes playing today are never dropped. A dropped or deferred sync is not lost: the
planner is stateless, so it is offered again on the next tick (webhook events stay pending until a sync
that names them has run), and the next reconciliation's 48 h overlap covers what was skipped.

Pacing. Work of priority 2 and up shares an allowance per tick: the requests left today, less a
reserve for what the athletes playing today will still need (their expected webhook rate over the hours
left, and the pre-tip-off syncs still to come), spread over the ticks left in the UTC day (times
``burst``, 2, so a burst of wake-ups is absorbed). A tick never plans more than the per-minute limit
less a margin (90 of 100; a tick shorter than a minute gets its share), so one tick's run fits in one
minute of WHOOP's window. Tick every minute: with 5-minute ticks that cap, not the budget, is what
delays webhook fetches on a busy morning.

Inputs the caller keeps: ``requests_left_today`` is the UTC day's (``per_day`` - requests since 00:00
UTC), not the sliding 24 h count; an even pace makes the two agree. After a sync ran: drop the webhook
events it named from the pending ones, set ``last_cycle_sync`` when its ``record_types`` had ``cycle``,
``last_reconciled`` when ``reconciles``, and ``token_expires_at`` when it refreshed the token.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, time, timedelta

ALL_TYPES = ("cycle", "sleep", "recovery", "workout")
FETCH_COST = {"sleep": 1, "workout": 1, "recovery": 2}  # a recovery: its sleep, then its cycle's recovery

WEBHOOK = "webhook"
PRE_TIPOFF = "pre_tipoff"
CYCLE = "cycle"
RECONCILIATION = "reconciliation"

P_WEBHOOK_PLAYING = 0
P_PRE_TIPOFF = 1
P_WEBHOOK_TOMORROW = 2
P_WEBHOOK_OTHER = 3
P_RECONCILE_GAME_WINDOW = 4
P_CYCLE_OFF_DAY = 5
P_RECONCILE_OTHER = 6

DEGRADATION = (
    "reconciliation of athletes with no game in the next 2 days dropped",
    "cycle refresh of off-day athletes every 24 h instead of 12 h",
    "webhook fetches of athletes not playing today batched (held until their oldest event is old enough)",
    "reconciliation of athletes with a game in the next 2 days dropped",
    "cycle refresh of off-day athletes dropped",
    "webhook fetches of athletes not playing today held (their events stay pending)",
    "pre-tip-off cycle refresh dropped",
)
NEVER_DROPPED = "webhook fetches of athletes playing today"


def degradation_reason(step: int) -> str:
    return f"degradation step {step}: {DEGRADATION[step - 1]}"


# -- the arithmetic ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Assumptions:
    """What a day of 500 NBA athletes looks like. The activity odds are our simulator's
    (``simulator/physiology.py``: ``_activities``), which follow the published patterns that
    docs/whoop-simulator.md cites."""

    athletes: int = 500
    teams: int = 30
    games_per_team: int = 82
    season_days: int = 170  # late October to mid April
    back_to_backs_per_team: float = 13.3  # ESPN, 2018-19 (docs/whoop-simulator.md, source 16)
    per_day: int = 10_000
    events_per_record: int = 2  # announced when it appears (PENDING_SCORE) and again when scored
    scoring_delay_minutes: tuple[float, float] = (30.0, 90.0)  # WHOOP scores 30-90 min after the end
    token_usable_minutes: float = 55.0  # a 1 h access token, refreshed with 5 min left
    shootaround: float = 0.9  # evening game; skipped on 70% of second nights of back-to-backs
    shootaround_skipped_back_to_back: float = 0.7
    game_day_nap: float = 0.5
    practice_after_game: float = 0.35
    practice_otherwise: float = 0.6
    lift: float = 0.25
    off_day_nap: float = 0.12
    cycle_syncs_off_day: float = 1.0  # a 12 h cycle refresh beside the daily reconciliation's cycle


@dataclass(frozen=True)
class DayCost:
    """Requests one athlete costs in one day, by what they pay for."""

    webhook_fetches: float
    webhook_refreshes: float
    scheduled_fetches: float  # pre-tip-off, cycle and reconciliation pages
    scheduled_refreshes: float

    @property
    def total(self) -> float:
        return (
            self.webhook_fetches + self.webhook_refreshes + self.scheduled_fetches + self.scheduled_refreshes
        )

    @property
    def webhook_per_hour(self) -> float:
        return (self.webhook_fetches + self.webhook_refreshes) / 24


@dataclass(frozen=True)
class DailyBudget:
    naive_per_athlete_day: float  # four collections hourly, plus a token refresh an hour
    naive_capacity: int  # athletes that fit in the day at that rate
    game_share: float  # share of athlete-days with a game
    games_per_day: float
    athletes_playing: float  # on an average day, of ``athletes``
    records_game_day: float  # sleeps (with recovery), workouts and naps
    records_off_day: float
    game_day: DayCost
    off_day: DayCost
    off_day_batched: DayCost  # degradation step 3
    per_athlete_day: float  # the mix of game days and off days
    total: float  # for ``athletes``
    headroom: float  # ``per_day`` - ``total``
    full_slate_total: float  # every athlete plays (15 games)
    per_day: int

    @property
    def capacity(self) -> int:
        """Athletes that fit in the day at ``per_athlete_day``."""
        return int(self.per_day // self.per_athlete_day)


def daily_budget(assumptions: Assumptions | None = None) -> DailyBudget:
    """The budget arithmetic of docs/whoop-request-budget.md, as numbers (tests check the planner
    against it)."""
    a = assumptions or Assumptions()
    naive = 4 * 24 + 24
    game_share = a.games_per_team / a.season_days
    back_to_back_share = a.back_to_backs_per_team / a.games_per_team
    # an off day follows a game unless that game was the first night of a back-to-back
    after_game_share = min(
        (a.games_per_team - a.back_to_backs_per_team) / (a.season_days - a.games_per_team), 1
    )
    shootaround = a.shootaround * (1 - a.shootaround_skipped_back_to_back * back_to_back_share)
    practice = after_game_share * a.practice_after_game + (1 - after_game_share) * a.practice_otherwise
    low, high = a.scoring_delay_minutes
    # the "scored" event needs no refresh when it comes within the token's life after the "created" one
    shared = min(max((a.token_usable_minutes - low) / (high - low), 0.0), 1.0)
    refreshes_per_record = a.events_per_record - shared
    # the main sleep and its recovery: one recovery fetch (2 requests) per event pair
    sleep_fetches = a.events_per_record * FETCH_COST["recovery"]
    single_game = shootaround + a.game_day_nap + 1  # workouts and naps: 1 request each
    single_off = practice + a.lift + a.off_day_nap
    game_day = DayCost(
        webhook_fetches=sleep_fetches + a.events_per_record * single_game,
        webhook_refreshes=(1 + single_game) * refreshes_per_record,
        scheduled_fetches=4,  # the pre-tip-off sync fetches the four collections: it is the reconciliation
        scheduled_refreshes=1,
    )
    off_day = DayCost(
        webhook_fetches=sleep_fetches + a.events_per_record * single_off,
        webhook_refreshes=(1 + single_off) * refreshes_per_record,
        scheduled_fetches=4 + a.cycle_syncs_off_day,
        scheduled_refreshes=1 + a.cycle_syncs_off_day,
    )
    off_day_batched = DayCost(  # both events of a record in one fetch and one refresh
        webhook_fetches=FETCH_COST["recovery"] + single_off,
        webhook_refreshes=1 + single_off,
        scheduled_fetches=off_day.scheduled_fetches,
        scheduled_refreshes=off_day.scheduled_refreshes,
    )
    per_athlete_day = game_share * game_day.total + (1 - game_share) * off_day.total
    total = a.athletes * per_athlete_day
    return DailyBudget(
        naive_per_athlete_day=naive,
        naive_capacity=a.per_day // naive,
        game_share=game_share,
        games_per_day=a.teams * game_share / 2,
        athletes_playing=a.athletes * game_share,
        records_game_day=1 + single_game,
        records_off_day=1 + single_off,
        game_day=game_day,
        off_day=off_day,
        off_day_batched=off_day_batched,
        per_athlete_day=per_athlete_day,
        total=total,
        headroom=a.per_day - total,
        full_slate_total=a.athletes * game_day.total,
        per_day=a.per_day,
    )


# -- the planner ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BudgetConfig:
    per_day: int = 10_000
    per_minute: int = 100
    per_minute_margin: int = 10  # room for a 401's second refresh, retries, another run
    tick: timedelta = timedelta(minutes=5)
    playing_ahead: timedelta = timedelta(hours=24)  # "playing today": a tip-off this close ahead...
    playing_after: timedelta = timedelta(hours=18)  # ...or this recently (the night and recovery after)
    game_window: timedelta = timedelta(hours=48)  # "a game in the next 2 days"
    pre_tipoff_earliest: timedelta = timedelta(hours=2)
    pre_tipoff_deadline: timedelta = timedelta(minutes=90)  # due from then even if it costs a refresh
    cycle_interval: timedelta = timedelta(hours=12)
    cycle_interval_degraded: timedelta = timedelta(hours=24)
    settle: timedelta = timedelta(minutes=5)
    batch_hold: timedelta = timedelta(minutes=100)
    token_margin: timedelta = timedelta(minutes=5)
    burst: float = 2.0
    assumptions: Assumptions = field(default_factory=Assumptions)


@dataclass(frozen=True)
class AthleteDay:
    """One consented athlete as the planner sees him (times in UTC, aware)."""

    nba_person_id: int
    next_tipoff: datetime | None = None  # his next game's tip-off
    last_tipoff: datetime | None = None  # his latest game's tip-off (the game may be on)
    last_cycle_sync: datetime | None = None
    last_reconciled: datetime | None = None
    token_expires_at: datetime | None = None  # None: unknown, a refresh is costed


@dataclass(frozen=True)
class PendingWebhook:
    nba_person_id: int
    record_type: str  # sleep | recovery | workout (a recovery's id is its sleep's UUID)
    record_id: str
    received_at: datetime
    deleted: bool = False  # a *.deleted event: removed here, costs no request


@dataclass(frozen=True)
class PlannedSync:
    nba_person_id: int
    kind: str  # webhook | pre_tipoff | cycle | reconciliation
    priority: int
    record_types: tuple[str, ...] = ()  # collections to sync incrementally
    records: tuple[str, ...] = ()  # "<type>:<id>" to fetch by id (webhook)
    deleted: tuple[str, ...] = ()  # "<type>:<id>" to delete here (webhook)
    fetch_requests: int = 0
    token_refresh: bool = False

    @property
    def estimated_requests(self) -> int:
        return self.fetch_requests + int(self.token_refresh)

    @property
    def reconciles(self) -> bool:
        return set(self.record_types) == set(ALL_TYPES)


@dataclass(frozen=True)
class Plan:
    now: datetime
    level: int  # degradation steps taken (0: none)
    syncs: list[PlannedSync]
    dropped: list[tuple[PlannedSync, str]]  # by a degradation step, named in the reason
    deferred: list[tuple[PlannedSync, str]]  # to a later tick: settling, pacing, the per-minute cap
    allowance: int  # for priority 2 and up this tick
    reserve: int  # kept for the athletes playing today
    projected_need: int  # the rest of the UTC day, at ``level``
    needs: tuple[int, ...] = ()  # the projected need at each level, 0 to 7

    @property
    def estimated_requests(self) -> int:
        return sum(s.estimated_requests for s in self.syncs)

    @property
    def token_refreshes(self) -> int:
        return sum(s.token_refresh for s in self.syncs)

    def requests_by_kind(self) -> dict[str, int]:
        spent: Counter[str] = Counter()
        for s in self.syncs:
            spent[s.kind] += s.fetch_requests
            spent["token_refresh"] += int(s.token_refresh)
        return dict(sorted(spent.items()))

    def metadata(self) -> dict[str, int | str]:
        """Plain values for run metadata."""
        return {
            "budget_level": self.level,
            "budget_level_reason": degradation_reason(self.level) if self.level else "none",
            "planned_requests": self.estimated_requests,
            **{f"planned_{kind}": n for kind, n in self.requests_by_kind().items()},
            "planned_syncs": len(self.syncs),
            "dropped_syncs": len(self.dropped),
            "deferred_syncs": len(self.deferred),
            "allowance": self.allowance,
            "reserve": self.reserve,
            "projected_need": self.projected_need,
        }


def _needs_refresh(athlete: AthleteDay, now: datetime, config: BudgetConfig) -> bool:
    return athlete.token_expires_at is None or athlete.token_expires_at - now < config.token_margin


@dataclass
class _Athlete:
    day: AthleteDay
    playing: bool
    game_window: bool
    pre_tipoff_due: bool  # inside the window and not yet refreshed in it
    pre_tipoff_ready: bool
    pre_tipoff_later: bool  # the window opens later this UTC day
    reconcile_due: bool
    refresh: bool
    playing_until: datetime | None  # when "playing today" ends, if it starts before the day ends


def _classify(
    a: AthleteDay, now: datetime, day_start: datetime, day_end: datetime, c: BudgetConfig
) -> _Athlete:
    """What the planner asks of an athlete, worked out once per tick: whether he plays today, is due
    a pre-tip-off or reconciliation sync, and would cost a token refresh."""
    tips = [t for t in (a.next_tipoff, a.last_tipoff) if t is not None]
    playing = any(-c.playing_after <= t - now < c.playing_ahead for t in tips)
    window = any(-c.playing_after <= t - now < c.game_window for t in tips)
    # a tip-off less than 24 h after the day's end makes him "playing" before it ends
    until = [t + c.playing_after for t in tips if now - c.playing_after <= t < day_end + c.playing_ahead]
    refresh = _needs_refresh(a, now, c)
    due = ready = later = False
    tip = a.next_tipoff
    if tip is not None and now < tip:
        opens = tip - c.pre_tipoff_earliest
        if now >= opens:
            due = a.last_cycle_sync is None or a.last_cycle_sync < opens
            ready = due and (not refresh or now >= tip - c.pre_tipoff_deadline)
        else:
            later = opens < day_end
    reconcile_due = a.last_reconciled is None or a.last_reconciled < day_start
    return _Athlete(a, playing, window, due, ready, later, reconcile_due, refresh, max(until, default=None))


def _cycle_due(a: AthleteDay, now: datetime, interval: timedelta) -> bool:
    return a.last_cycle_sync is None or now - a.last_cycle_sync >= interval


def _cycles_left(a: AthleteDay, now: datetime, day_end: datetime, interval: timedelta) -> int:
    due = now if a.last_cycle_sync is None else max(a.last_cycle_sync + interval, now)
    return 0 if due >= day_end else 1 + int((day_end - due) / interval)


def _webhook_refs(events: list[PendingWebhook]) -> tuple[tuple[str, ...], tuple[str, ...], int]:
    """Deduplicated refs of one athlete's events: (to fetch, to delete, fetch requests)."""
    latest: dict[tuple[str, str], bool] = {}
    for e in events:  # oldest first: the latest event of a record wins
        key = (e.record_type, e.record_id)
        latest.pop(key, None)
        latest[key] = e.deleted
    recoveries = {i for (t, i), deleted in latest.items() if t == "recovery" and not deleted}
    fetch, delete, cost = [], [], 0
    for (record_type, record_id), deleted in latest.items():
        if deleted:
            delete.append(f"{record_type}:{record_id}")
        elif record_type == "sleep" and record_id in recoveries:
            continue  # fetching the recovery fetches its sleep
        else:
            fetch.append(f"{record_type}:{record_id}")
            cost += FETCH_COST.get(record_type, 1)
    return tuple(fetch), tuple(delete), cost


def plan_tick(
    now: datetime,
    athletes: Sequence[AthleteDay],
    webhooks: Sequence[PendingWebhook],
    *,
    requests_left_today: int,
    requests_left_this_minute: int | None = None,
    config: BudgetConfig | None = None,
) -> Plan:
    """What to sync in this tick. Deterministic: the same inputs (in any order) give the same plan.

    ``athletes``: the consented athletes (events of anyone else are ignored). ``webhooks``: the events
    not yet fetched. ``requests_left_today``: ``per_day`` less the requests since 00:00 UTC.
    ``requests_left_this_minute``: ``per_minute`` less the requests of the last 60 s, when known.

    Four steps, each its own function: classify the athletes and their events, project the day's
    need to pick the degradation level and the pacing allowance, list the candidate syncs (dropping
    what the level drops), then take candidates in priority order within the limits.
    """
    c = config or BudgetConfig()
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware (UTC)")
    day = _Day.of(now, c)
    infos = {
        a.nba_person_id: _classify(a, now, day.start, day.end, c)
        for a in sorted(athletes, key=lambda a: a.nba_person_id)
    }
    events = _events_by_athlete(webhooks, infos)
    refs = {person: _webhook_refs(evs) for person, evs in events.items()}
    budget = _day_budget(
        _day_needs(infos, refs, day, daily_budget(c.assumptions), c), day, requests_left_today, c
    )
    candidates = _Candidates()
    _webhook_candidates(candidates, infos, events, refs, budget.level, now, c)
    _scheduled_candidates(candidates, infos, budget.level, day, c)
    syncs = _select(candidates, infos, budget.allowance, requests_left_today, requests_left_this_minute, c)
    return Plan(
        now,
        budget.level,
        syncs,
        candidates.dropped,
        candidates.deferred,
        budget.allowance,
        budget.reserve,
        budget.needs[budget.level],
        budget.needs,
    )


@dataclass(frozen=True)
class _Day:
    """The UTC day a tick falls in: the planner spreads the day's budget over what is left of it."""

    now: datetime
    start: datetime
    end: datetime
    hours_left: float
    ticks_left: int

    @classmethod
    def of(cls, now: datetime, c: BudgetConfig) -> _Day:
        start = datetime.combine(now.date(), time(0), now.tzinfo)
        end = start + timedelta(days=1)
        ticks_left = max(math.ceil((end - now) / c.tick), 1)
        return cls(now, start, end, (end - now) / timedelta(hours=1), ticks_left)


def _events_by_athlete(
    webhooks: Sequence[PendingWebhook], infos: dict[int, _Athlete]
) -> dict[int, list[PendingWebhook]]:
    """Each consented athlete's pending events, oldest first (the order deduplication relies on);
    an athlete not in ``athletes`` has no consent, so no request is ever made for his events."""
    events: dict[int, list[PendingWebhook]] = defaultdict(list)
    for e in sorted(webhooks, key=lambda e: (e.received_at, e.nba_person_id, e.record_type, e.record_id)):
        if e.nba_person_id in infos:
            events[e.nba_person_id].append(e)
    return events


def _day_needs(
    infos: dict[int, _Athlete],
    refs: dict[int, tuple[tuple[str, ...], tuple[str, ...], int]],
    day: _Day,
    costs: DailyBudget,
    c: BudgetConfig,
) -> Counter[str]:
    """Requests the rest of the UTC day needs, by the part each degradation step can drop or shrink:
    ``_needed`` adds up the parts a level keeps, so the level is the first whose sum fits."""
    batching = costs.off_day_batched.webhook_per_hour / costs.off_day.webhook_per_hour
    need: Counter[str] = Counter()
    for person, info in infos.items():
        pending = refs[person][2] + 1 if person in refs and refs[person][2] else 0
        playing = min(info.playing_until, day.end) - day.now if info.playing_until else timedelta(0)
        playing_h = min(max(playing / timedelta(hours=1), 0.0), day.hours_left)
        other_h = day.hours_left - playing_h
        # the day's webhooks at the arithmetic's rate: a game day's if a tip-off falls in this UTC day
        tips = (info.day.next_tipoff, info.day.last_tipoff)
        game_today = any(day.start <= t < day.end for t in tips if t)
        rate = (costs.game_day if game_today else costs.off_day).webhook_per_hour
        need["protected"] += (pending if info.playing else 0) + rate * playing_h
        pending = 0 if info.playing else pending
        need["webhooks_other"] += pending + rate * other_h
        need["webhooks_other_batched"] += pending + rate * batching * other_h
        merges = info.reconcile_due and (info.pre_tipoff_due or info.pre_tipoff_later)
        if info.pre_tipoff_due or info.pre_tipoff_later:
            need["pre_tipoff"] += 2
            need["pre_tipoff_reconcile"] += 3 if merges else 0
        if info.reconcile_due and not merges:
            need["reconcile_window" if info.game_window else "reconcile_other"] += 5
        if not info.playing:
            need["cycle"] += 2 * _cycles_left(info.day, day.now, day.end, c.cycle_interval)
            need["cycle_degraded"] += 2 * _cycles_left(info.day, day.now, day.end, c.cycle_interval_degraded)
    return need


def _needed(need: Counter[str], level: int) -> float:
    """The day's projected need once the first ``level`` degradation steps are taken."""
    total = need["protected"]
    total += need["pre_tipoff"] if level < 7 else 0
    total += need["pre_tipoff_reconcile"] + need["reconcile_window"] if level < 4 else 0
    total += need["reconcile_other"] if level < 1 else 0
    total += (need["cycle"] if level < 2 else need["cycle_degraded"]) if level < 5 else 0
    if level < 3:
        total += need["webhooks_other"]
    elif level < 6:
        total += need["webhooks_other_batched"]
    return total


@dataclass(frozen=True)
class _Budget:
    level: int
    reserve: int
    allowance: int
    needs: tuple[int, ...]


def _day_budget(need: Counter[str], day: _Day, requests_left_today: int, c: BudgetConfig) -> _Budget:
    """The degradation level (the first that fits the requests left), what is kept back for the
    athletes playing today, and this tick's share of the rest: spreading it over the ticks left keeps a
    busy morning from spending the evening's requests."""
    level = next((k for k in range(8) if _needed(need, k) <= requests_left_today), 7)
    reserve = math.ceil(need["protected"] + (need["pre_tipoff"] if level < 7 else 0))
    if level < 4:
        reserve += need["pre_tipoff_reconcile"]
    spread = min(c.burst / day.ticks_left, 1.0)
    allowance = max(math.floor((requests_left_today - reserve) * spread), 0)
    return _Budget(level, reserve, allowance, tuple(math.ceil(_needed(need, k)) for k in range(8)))


@dataclass
class _Candidates:
    """Syncs offered this tick with their sort keys, and those dropped or deferred on the way."""

    offered: list[tuple[tuple, PlannedSync]] = field(default_factory=list)
    dropped: list[tuple[PlannedSync, str]] = field(default_factory=list)
    deferred: list[tuple[PlannedSync, str]] = field(default_factory=list)


def _webhook_candidates(
    out: _Candidates,
    infos: dict[int, _Athlete],
    events: dict[int, list[PendingWebhook]],
    refs: dict[int, tuple[tuple[str, ...], tuple[str, ...], int]],
    level: int,
    now: datetime,
    c: BudgetConfig,
) -> None:
    """One webhook sync per athlete with events, ranked by whether he plays: an athlete playing today
    is never dropped, the others are batched or held as the level says, and everyone's events settle
    a few minutes so a sleep and its recovery make one fetch."""
    for person, (fetch, delete, cost) in sorted(refs.items()):
        info = infos[person]
        if info.playing:
            priority = P_WEBHOOK_PLAYING
        else:
            priority = P_WEBHOOK_TOMORROW if info.game_window else P_WEBHOOK_OTHER
        oldest = events[person][0].received_at
        sync = PlannedSync(person, WEBHOOK, priority, records=fetch, deleted=delete, fetch_requests=cost)
        if not fetch:  # deletions only: no request
            out.offered.append(((priority, 0, oldest, person), sync))
            continue
        if priority != P_WEBHOOK_PLAYING and level >= 6:
            out.dropped.append((sync, degradation_reason(6)))
        elif priority != P_WEBHOOK_PLAYING and level >= 3 and now - oldest < c.batch_hold:
            out.dropped.append((sync, degradation_reason(3)))
        elif now - oldest < c.settle:
            out.deferred.append((sync, "settling: waiting for related events"))
        else:
            out.offered.append(((priority, 0, oldest, person), sync))


def _scheduled_candidates(
    out: _Candidates, infos: dict[int, _Athlete], level: int, day: _Day, c: BudgetConfig
) -> None:
    """The syncs due by the clock, per athlete: the pre-tip-off cycle (which stands in for his
    reconciliation and cycle refresh), else the day's reconciliation and the 12-hour cycle refresh."""
    for person, info in infos.items():
        if info.pre_tipoff_due:
            _pre_tipoff_candidate(out, person, info, level)
            continue  # the pre-tip-off sync does this athlete's cycle (and reconciliation)
        reconciling = _reconciliation_candidate(out, person, info, level, day)
        if not info.playing and not reconciling and _cycle_due(info.day, day.now, c.cycle_interval):
            _cycle_candidate(out, person, info, level, day, c)


def _pre_tipoff_candidate(out: _Candidates, person: int, info: _Athlete, level: int) -> None:
    """The cycle before tip-off, and all four collections when his reconciliation is still due (one
    sync instead of two); it waits for a fresh token until the deadline so it costs no refresh."""
    types = ALL_TYPES if info.reconcile_due and level < 4 else ("cycle",)
    sync = PlannedSync(person, PRE_TIPOFF, P_PRE_TIPOFF, record_types=types, fetch_requests=len(types))
    if level >= 7:
        out.dropped.append((sync, degradation_reason(7)))
    elif not info.pre_tipoff_ready:
        out.deferred.append((sync, "pre-tip-off: waiting for a fresh token until tip-off - 90 min"))
    else:
        out.offered.append(((P_PRE_TIPOFF, 0, info.day.next_tipoff, person), sync))


def _reconciliation_candidate(out: _Candidates, person: int, info: _Athlete, level: int, day: _Day) -> bool:
    """The day's reconciliation unless a pre-tip-off sync later today will do it; True when offered
    (it fetches the cycle too, so no separate cycle refresh is needed). Fresh tokens go first."""
    if not info.reconcile_due or info.pre_tipoff_later:
        return False
    priority = P_RECONCILE_GAME_WINDOW if info.game_window else P_RECONCILE_OTHER
    sync = PlannedSync(person, RECONCILIATION, priority, record_types=ALL_TYPES, fetch_requests=4)
    if priority == P_RECONCILE_OTHER and level >= 1:
        out.dropped.append((sync, degradation_reason(1)))
    elif level >= 4:
        out.dropped.append((sync, degradation_reason(4)))
    else:
        key = (priority, int(info.refresh), info.day.last_reconciled or day.start, person)
        out.offered.append((key, sync))
        return True
    return False


def _cycle_candidate(
    out: _Candidates, person: int, info: _Athlete, level: int, day: _Day, c: BudgetConfig
) -> None:
    """An off-day athlete's cycle refresh (WHOOP sends no webhook for cycles): every 12 h, every 24 h
    from degradation step 2, none from step 5."""
    sync = PlannedSync(person, CYCLE, P_CYCLE_OFF_DAY, record_types=("cycle",), fetch_requests=1)
    if level >= 5:
        out.dropped.append((sync, degradation_reason(5)))
    elif level >= 2 and not _cycle_due(info.day, day.now, c.cycle_interval_degraded):
        out.dropped.append((sync, degradation_reason(2)))
    else:
        key = (P_CYCLE_OFF_DAY, int(info.refresh), info.day.last_cycle_sync or day.start, person)
        out.offered.append((key, sync))


def _minute_cap(requests_left_this_minute: int | None, c: BudgetConfig) -> int:
    """Requests one tick may plan: the per-minute limit less a margin (a tick shorter than a minute
    gets its share), so one tick's run fits in one minute of WHOOP's window."""
    cap = math.floor((c.per_minute - c.per_minute_margin) * min(c.tick / timedelta(minutes=1), 1.0))
    if requests_left_this_minute is not None:
        cap = min(cap, requests_left_this_minute - c.per_minute_margin)
    return max(cap, 0)


def _select(
    candidates: _Candidates,
    infos: dict[int, _Athlete],
    allowance: int,
    requests_left_today: int,
    requests_left_this_minute: int | None,
    c: BudgetConfig,
) -> list[PlannedSync]:
    """Take the offered syncs in priority order until the minute is full (everything after waits for
    the next tick, so a lower priority never overtakes a higher one) and, from priority 2 on, until
    the pacing allowance is spent. An athlete's token refresh is costed on his first sync only."""
    minute_cap = _minute_cap(requests_left_this_minute, c)
    spent = discretionary = 0
    refreshed: set[int] = set()
    syncs: list[PlannedSync] = []
    minute_full = paced_out = False
    for _, sync in sorted(candidates.offered, key=lambda item: item[0]):
        person = sync.nba_person_id
        refresh = sync.fetch_requests > 0 and infos[person].refresh and person not in refreshed
        sync = replace(sync, token_refresh=refresh)
        cost = sync.estimated_requests
        if cost == 0:  # deletions only: no request
            syncs.append(sync)
            continue
        if minute_full or spent + cost > minute_cap:
            minute_full = True
            candidates.deferred.append((sync, "per-minute limit: next tick"))
            continue
        if sync.priority == P_PRE_TIPOFF and spent + cost > requests_left_today:
            candidates.deferred.append((sync, "no request left today"))
            continue
        if sync.priority >= P_WEBHOOK_TOMORROW and (paced_out or discretionary + cost > allowance):
            paced_out = True
            candidates.deferred.append((sync, "pacing: the day's budget spread over the ticks left"))
            continue
        spent += cost
        if sync.priority >= P_WEBHOOK_TOMORROW:
            discretionary += cost
        if refresh:
            refreshed.add(person)
        syncs.append(sync)
    return syncs
