"""The physiology of one simulated NBA athlete: a deterministic WHOOP history from his schedule.

Pure: no database, no clock, no network. The input is one ``DayPlan`` per day (his team, the city he
is in, the game he plays that day if any) and an optional latent ``readiness`` per day; the output is
his cycles, sleeps, recoveries and workouts as WHOOP v2 would send them, plus the ground truth behind
them (``DayTruth``) so later stages can check what the pipeline recovers.

The model, per physiological day ``d`` (the cycle that starts when he falls asleep the night before
``d``; docs/whoop-simulator.md gives the published ranges behind the numbers):

- ``readiness[d]``: a latent state in standard-normal units. Unless supplied, it is a smooth random
  series (an exponentially weighted sum of daily shocks, unit variance, lag-1 correlation 0.6).
- ``load[d]``: what the schedule did to him: ``-0.30`` per hour asleep short of his usual quiet night
  at home (``+0.30`` per hour over it, up to one), ``-0.05`` per strain point of the previous day
  above 12, ``-0.15`` per hour of time-zone change overnight.
- ``state[d] = readiness[d] + load[d]`` drives the morning's recovery: HRV (RMSSD) rises
  ``exp(0.16)``-fold per unit, resting heart rate falls 2 bpm per unit, and the recovery score is a
  monotone function of HRV, resting heart rate and sleep performance relative to his own baselines.
- Nights after games start late (the game ends, then 2.3 to 3.3 h before sleep; a flight adds 1.2 to
  2.2 h) and are shorter; the night after the second game of a back-to-back is shorter still; a game
  morning's shootaround caps the night.
- Game days have a basketball workout from tip-off for about 2.5 h at high strain, often a morning
  shootaround and a pre-game nap; other days a practice, a lift, or rest.

Every random draw comes from a generator seeded with (seed, person id, date), so a day's values do not
depend on the range asked for (except through the days before it).
"""

from __future__ import annotations

import hashlib
import math
import random
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from clutch_pipeline.whoop.simulator.records import (
    CYCLE,
    RECOVERY,
    SLEEP,
    WORKOUT,
    SimRecord,
    iso,
    offset_text,
)
from clutch_pipeline.whoop.simulator.teams import team_zone

ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/clutch-pipeline/whoop-simulator")
EPOCH_DAY = date(2000, 1, 1)

# The background readiness: sqrt(1 - PHI**2) * sum(PHI**j * shock[d - j]), j < READINESS_LAGS.
PHI = 0.6
READINESS_LAGS = 14

# Effects on the morning state (standard-normal units), see the module docstring.
PER_HOUR_SHORT = -0.30
PER_STRAIN_POINT = -0.05
PER_TIMEZONE_HOUR = -0.15
HRV_LOG_PER_STATE = 0.16
RHR_PER_STATE = -2.0

UNSCORABLE_SHARE = 0.025
SCORING_DELAY_MINUTES = (30, 90)


@dataclass(frozen=True)
class GamePlan:
    """A game the athlete's team plays that day."""

    nba_game_id: str
    tipoff: datetime  # UTC
    home_team_id: int
    opponent_team_id: int
    home: bool
    played: bool  # False: he was with the team but took no part (no action of his in the game)
    back_to_back: bool  # his team also played the day before


@dataclass(frozen=True)
class DayPlan:
    """Where the athlete is on a day (the city he wakes up in and spends it in) and his game, if any."""

    day: date
    team_id: int | None
    location_team_id: int | None  # the team whose home city he is in
    game: GamePlan | None = None


@dataclass(frozen=True)
class DayTruth:
    """What drove a day's records: the ground truth later stages compare the pipeline with."""

    day: date
    readiness: float
    load: float
    state: float
    location_team_id: int | None
    nba_game_id: str | None
    played: bool
    back_to_back: bool
    travelled: bool  # slept in another city than the night before
    hours_asleep: float  # of the main sleep that starts the day's cycle
    day_strain: float
    recovery_score: float
    hrv_rmssd_milli: float
    resting_heart_rate: float


@dataclass
class History:
    cycles: list[SimRecord] = field(default_factory=list)
    sleeps: list[SimRecord] = field(default_factory=list)  # main sleeps and naps
    recoveries: list[SimRecord] = field(default_factory=list)
    workouts: list[SimRecord] = field(default_factory=list)
    days: list[DayTruth] = field(default_factory=list)
    body: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Baseline:
    """The athlete's own constants, drawn once from his person id and the seed."""

    hrv: float  # ms, RMSSD
    rhr: float  # bpm
    max_hr: int
    respiratory_rate: float
    skin_temp: float
    spo2: float
    sleep_need_hours: float
    efficiency: float  # percent
    bedtime_shift_hours: float
    height_m: float
    weight_kg: float


def draw_baseline(rng: random.Random) -> Baseline:
    height = _clip(rng.gauss(2.00, 0.08), 1.78, 2.24)
    return Baseline(
        hrv=_clip(math.exp(rng.gauss(math.log(80.0), 0.25)), 40.0, 170.0),
        rhr=_clip(rng.gauss(50.0, 4.0), 40.0, 60.0),
        max_hr=round(_clip(rng.gauss(196.0, 5.0), 182.0, 210.0)),
        respiratory_rate=_clip(rng.gauss(15.0, 1.0), 12.5, 18.0),
        skin_temp=_clip(rng.gauss(33.8, 0.4), 32.8, 34.8),
        spo2=_clip(rng.gauss(96.5, 0.7), 94.5, 98.5),
        sleep_need_hours=_clip(rng.gauss(8.2, 0.3), 7.5, 9.0),
        efficiency=_clip(rng.gauss(87.0, 3.0), 79.0, 94.0),
        bedtime_shift_hours=_clip(rng.gauss(0.0, 0.5), -1.0, 1.2),
        height_m=height,
        weight_kg=_clip(rng.gauss(24.5, 1.2), 22.0, 28.0) * height * height,
    )


def cycle_id(user_id: int, day: date) -> int:
    """A cycle's int64 id: unique per user and physiological day."""
    return user_id * 100_000 + (day - EPOCH_DAY).days


def activity_id(user_id: int, kind: str, day: date, index: int) -> str:
    """A sleep's or workout's UUID: ``uuid5(ID_NAMESPACE, "user/kind/day/index")``, spelled out (faster)."""
    name = f"{user_id}/{kind}/{day.isoformat()}/{index}".encode()
    h = hashlib.sha1(ID_NAMESPACE.bytes + name, usedforsecurity=False).hexdigest()
    return f"{h[:8]}-{h[8:12]}-5{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:32]}"


@dataclass
class _Night:
    day: date  # the morning it ends on
    onset: datetime
    wake: datetime
    zone_team: int | None
    post_game: bool
    travelled: bool
    back_to_back: bool
    efficiency: float


@dataclass
class _Activity:
    start: datetime
    end: datetime
    sport: str  # WHOOP sport name, or "nap"
    strain: float = 0.0


def simulate(
    person_id: int,
    user_id: int,
    plans: Mapping[date, DayPlan],
    start: date,
    end: date,
    *,
    readiness: Mapping[date, float] | None = None,
    seed: int = 0,
) -> History:
    """The athlete's records for the physiological days ``start`` to ``end`` inclusive.

    ``plans`` must cover ``start - 2`` to ``end + 1`` (a missing day is a rest day at home).
    ``readiness`` overrides the background latent readiness on the days it names.
    """
    base = draw_baseline(random.Random(f"{seed}:{person_id}:baseline"))
    usual_asleep = (base.sleep_need_hours + 0.4) * base.efficiency / 100  # a quiet night at home
    history = History(
        body={
            "height_meter": round(base.height_m, 4),
            "weight_kilogram": round(base.weight_kg, 4),
            "max_heart_rate": base.max_hr,
        }
    )
    first = start - timedelta(days=1)  # simulated, not emitted: gives the first day a previous day
    rngs = {
        first + timedelta(days=i): random.Random(f"{seed}:{person_id}:{first + timedelta(days=i)}")
        for i in range(-READINESS_LAGS, (end - first).days + 2)
    }
    background = _background_readiness([rng.gauss(0.0, 1.0) for rng in rngs.values()])  # first draws
    background_on = dict(zip(rngs, background, strict=True))
    supplied = readiness or {}

    def plan(day: date) -> DayPlan:
        return plans.get(day) or DayPlan(day, None, None)

    game_end: dict[date, datetime] = {}
    strain: dict[date, float] = {}
    nap_hours: dict[date, float] = {}
    onset_clock: dict[date, tuple[float, float]] = {}
    need_prev: dict[date, tuple[float, float]] = {}
    nights: dict[date, _Night] = {}
    drafts: list[_CycleDraft] = []

    day = first
    while day <= end + timedelta(days=1):
        rng = rngs[day]
        night = _night(day, plan(day - timedelta(days=1)), plan(day), game_end, base, rng)
        nights[day] = night
        if day > end:
            break
        sleep_rec, asleep_h = _main_sleep(
            night, user_id, base, rng, strain, nap_hours, need_prev, onset_clock
        )
        latent = supplied.get(day, background_on[day])
        prev_zone = team_zone(plan(day - timedelta(days=1)).location_team_id)
        zone = team_zone(night.zone_team)
        tz_shift = abs(_offset_hours(zone, night.onset) - _offset_hours(prev_zone, night.onset))
        load = (
            PER_HOUR_SHORT * _clip(usual_asleep - asleep_h, -1.0, 4.0)
            + PER_STRAIN_POINT * (strain.get(day - timedelta(days=1), 12.0) - 12.0)
            + PER_TIMEZONE_HOUR * tz_shift
        )
        state = latent + load
        recovery_score = _recovery(day, night, sleep_rec, user_id, base, state, rng)
        activities = _day_activities(day, plan(day), night, base, state, rng, game_end)
        nap_hours[day] = sum((a.end - a.start).total_seconds() / 3600 for a in activities if a.sport == "nap")
        workout_recs = _workouts(day, activities, night, user_id, base, rng)
        day_strain = _day_strain([a.strain for a in activities if a.sport != "nap"], rng)
        strain[day] = day_strain
        if day >= start:
            cycle_start = night.onset
            history.sleeps.append(sleep_rec.record)
            history.recoveries.append(recovery_score.record)
            history.workouts.extend(workout_recs)
            history.sleeps.extend(
                _nap(day, i, a, night, user_id, base, rng) for i, a in enumerate(_naps(activities), start=1)
            )
            history.days.append(
                DayTruth(
                    day=day,
                    readiness=latent,
                    load=load,
                    state=state,
                    location_team_id=plan(day).location_team_id,
                    nba_game_id=plan(day).game.nba_game_id if plan(day).game else None,
                    played=bool(plan(day).game and plan(day).game.played),
                    back_to_back=bool(plan(day).game and plan(day).game.back_to_back),
                    travelled=night.travelled,
                    hours_asleep=asleep_h,
                    day_strain=day_strain,
                    recovery_score=recovery_score.value,
                    hrv_rmssd_milli=recovery_score.hrv,
                    resting_heart_rate=recovery_score.rhr,
                )
            )
            drafts.append(_CycleDraft(day, cycle_start, night, day_strain, workout_recs, rng))
        day += timedelta(days=1)

    # A cycle ends when the next one starts: at the next night's sleep onset.
    history.cycles = [_cycle(d, nights[d.day + timedelta(days=1)].onset, user_id, base) for d in drafts]
    return history


# -- nights ------------------------------------------------------------------------------------------


def _night(
    day: date,
    before: DayPlan,
    today: DayPlan,
    game_end: dict[date, datetime],
    base: Baseline,
    rng: random.Random,
) -> _Night:
    """The main sleep that ends on the morning of ``day``, slept in the city of ``today``."""
    zone = team_zone(today.location_team_id)
    evening = day - timedelta(days=1)
    travelled = before.location_team_id != today.location_team_id
    post_game = before.game is not None
    back_to_back = post_game and before.game.back_to_back
    if post_game:
        ended = game_end.get(evening) or before.game.tipoff + timedelta(hours=2.5)
        onset = ended + timedelta(hours=rng.uniform(2.3, 3.3))
        if travelled:
            onset += timedelta(hours=rng.uniform(1.2, 2.2))
    else:
        local = datetime.combine(evening, time(23, 0), zone)
        shift = base.bedtime_shift_hours + rng.gauss(0.0, 0.5)
        shift += (-0.25 if today.game else 0.0) + (0.5 if travelled else 0.0)
        onset = local + timedelta(hours=shift)
    in_bed = base.sleep_need_hours + 0.4 + rng.gauss(0.0, 0.45)
    in_bed -= (0.7 if post_game else 0.0) + (0.9 if travelled else 0.0) + (0.9 if back_to_back else 0.0)
    if today.game is not None:  # a game morning: up for the shootaround
        wake_by = datetime.combine(day, time(9, 30), zone) + timedelta(minutes=rng.uniform(0, 30))
        in_bed = min(in_bed, (wake_by - onset).total_seconds() / 3600)
    in_bed = _clip(in_bed, 3.5, 11.0)
    efficiency = (
        base.efficiency + rng.gauss(0.0, 2.5) - (2.0 if post_game else 0.0) - (1.5 if travelled else 0.0)
    )
    onset = _whole_ms(onset)
    return _Night(
        day=day,
        onset=onset,
        wake=_whole_ms(onset + timedelta(hours=in_bed)),
        zone_team=today.location_team_id,
        post_game=post_game,
        travelled=travelled,
        back_to_back=back_to_back,
        efficiency=_clip(efficiency, 68.0, 97.0),
    )


@dataclass
class _SleepResult:
    record: SimRecord
    performance: float


def _main_sleep(
    night: _Night,
    user_id: int,
    base: Baseline,
    rng: random.Random,
    strain: dict[date, float],
    nap_hours: dict[date, float],
    need_prev: dict[date, tuple[float, float]],
    onset_clock: dict[date, tuple[float, float]],
) -> tuple[_SleepResult, float]:
    """The night's sleep record and hours asleep."""
    day = night.day
    yesterday = day - timedelta(days=1)
    baseline_h = base.sleep_need_hours
    prev_need, prev_asleep = need_prev.get(yesterday, (baseline_h, baseline_h))
    debt_h = _clip(0.5 * (prev_need - prev_asleep), 0.0, 2.0)
    strain_h = max(0.0, strain.get(yesterday, 12.0) - 10.0) * 4.0 / 60
    nap_h = -min(nap_hours.get(yesterday, 0.0), 1.5)
    need_h = baseline_h + debt_h + strain_h + nap_h
    summary = _stage_summary(night.wake - night.onset, night.efficiency, rng)
    asleep_h = _asleep_ms(summary) / 3_600_000
    need_prev[day] = (need_h, asleep_h)
    zone = team_zone(night.zone_team)
    clock = (_clock_hours(night.onset, zone), _clock_hours(night.wake, zone))
    previous_clock = onset_clock.get(yesterday, clock)
    onset_clock[day] = clock
    drift = (abs(clock[0] - previous_clock[0]) + abs(clock[1] - previous_clock[1])) / 2
    performance = _clip(100.0 * asleep_h / need_h, 0.0, 100.0)
    score = {
        "stage_summary": summary,
        "sleep_needed": {
            "baseline_milli": round(baseline_h * 3_600_000),
            "need_from_sleep_debt_milli": round(debt_h * 3_600_000),
            "need_from_recent_strain_milli": round(strain_h * 3_600_000),
            "need_from_recent_nap_milli": round(nap_h * 3_600_000),
        },
        "respiratory_rate": round(base.respiratory_rate + rng.gauss(0.0, 0.25), 4),
        "sleep_performance_percentage": float(round(performance)),
        "sleep_consistency_percentage": float(round(_clip(100.0 - 12.0 * drift, 20.0, 100.0))),
        "sleep_efficiency_percentage": round(
            100.0 * _asleep_ms(summary) / summary["total_in_bed_time_milli"], 4
        ),
    }
    sleep_id = activity_id(user_id, "sleep", day, 0)
    record = _activity_record(
        SLEEP,
        sleep_id,
        user_id,
        night.onset,
        night.wake,
        zone,
        rng,
        {"id": sleep_id, "cycle_id": cycle_id(user_id, day)},
        {"nap": False},
        score,
    )
    return _SleepResult(record, performance), asleep_h


def _stage_summary(in_bed: timedelta, efficiency: float, rng: random.Random) -> dict[str, int]:
    """Stage totals that add up: light + deep + REM + awake + no data = time in bed."""
    in_bed_ms = int(in_bed.total_seconds() * 1000)
    no_data_ms = int(rng.uniform(5, 25) * 60_000) if rng.random() < 0.05 else 0
    asleep_ms = int((in_bed_ms - no_data_ms) * efficiency / 100)
    awake_ms = in_bed_ms - no_data_ms - asleep_ms
    deep_ms = int(asleep_ms * rng.uniform(0.17, 0.22))
    rem_ms = int(asleep_ms * rng.uniform(0.20, 0.26))
    return {
        "total_in_bed_time_milli": in_bed_ms,
        "total_awake_time_milli": awake_ms,
        "total_no_data_time_milli": no_data_ms,
        "total_light_sleep_time_milli": asleep_ms - deep_ms - rem_ms,
        "total_slow_wave_sleep_time_milli": deep_ms,
        "total_rem_sleep_time_milli": rem_ms,
        "sleep_cycle_count": max(1, min(7, round(asleep_ms / 5_400_000))),
        "disturbance_count": max(2, round(rng.gauss(13.0, 3.5))),
    }


def _asleep_ms(summary: Mapping[str, int]) -> int:
    return (
        summary["total_light_sleep_time_milli"]
        + summary["total_slow_wave_sleep_time_milli"]
        + summary["total_rem_sleep_time_milli"]
    )


# -- recovery ----------------------------------------------------------------------------------------


@dataclass
class _RecoveryResult:
    record: SimRecord
    value: float
    hrv: float
    rhr: float


def _recovery(
    day: date,
    night: _Night,
    sleep: _SleepResult,
    user_id: int,
    base: Baseline,
    state: float,
    rng: random.Random,
) -> _RecoveryResult:
    """The morning's recovery: HRV up, resting heart rate down and recovery up with the state."""
    hrv = base.hrv * math.exp(HRV_LOG_PER_STATE * state + rng.gauss(0.0, 0.08))
    rhr = _clip(base.rhr + RHR_PER_STATE * state + rng.gauss(0.0, 1.2), 35.0, 90.0)
    z_hrv = math.log(hrv / base.hrv) / 0.18
    z_rhr = (base.rhr - rhr) / 2.4
    z_sleep = (sleep.performance - 85.0) / 12.0
    value = float(round(_clip(100.0 * _phi(0.45 + 0.35 * z_hrv + 0.15 * z_rhr + 0.15 * z_sleep), 1.0, 99.0)))
    rhr = float(round(rhr))
    hrv = round(hrv, 4)
    score = {
        "user_calibrating": False,
        "recovery_score": value,
        "resting_heart_rate": rhr,
        "hrv_rmssd_milli": hrv,
        "spo2_percentage": round(_clip(base.spo2 + rng.gauss(0.0, 0.6), 90.0, 100.0), 4),
        "skin_temp_celsius": round(base.skin_temp - 0.05 * state + rng.gauss(0.0, 0.15), 4),
    }
    sleep_record = sleep.record
    record = SimRecord(
        record_type=RECOVERY,
        record_id=sleep_record.record_id,
        user_id=user_id,
        start=sleep_record.start,
        end=sleep_record.end,
        visible_at=sleep_record.visible_at,
        scored_at=sleep_record.scored_at + timedelta(minutes=rng.randint(0, 3)),
        scorable=sleep_record.scorable,
        fields={
            "cycle_id": cycle_id(user_id, day),
            "sleep_id": sleep_record.record_id,
            "user_id": user_id,
            "created_at": iso(sleep_record.visible_at),
        },
        score=score,
    )
    return _RecoveryResult(record, value, hrv, rhr)


def _background_readiness(shocks: list[float]) -> list[float]:
    """sqrt(1 - PHI**2) * sum(PHI**j * shock[d - j] for j < READINESS_LAGS), for each day from the
    READINESS_LAGS-th on (earlier ones lack shocks; they are not used), in one pass."""
    scale, fading = math.sqrt(1 - PHI**2), PHI**READINESS_LAGS
    values, total = [], 0.0
    for i, shock in enumerate(shocks):
        total = PHI * total + shock - (fading * shocks[i - READINESS_LAGS] if i >= READINESS_LAGS else 0.0)
        values.append(scale * total)
    return values


# -- the day's activities ----------------------------------------------------------------------------


def _day_activities(
    day: date,
    today: DayPlan,
    night: _Night,
    base: Baseline,
    state: float,
    rng: random.Random,
    game_end: dict[date, datetime],
) -> list[_Activity]:
    """Workouts and naps between waking up and the game (or the evening), in time order."""
    zone = team_zone(today.location_team_id)
    activities: list[_Activity] = []
    cursor = night.wake + timedelta(minutes=45)

    def add(planned: datetime, minutes: float, sport: str, strain: float, deadline: datetime | None) -> None:
        nonlocal cursor
        begin = _whole_ms(max(planned, cursor))
        finish = _whole_ms(begin + timedelta(minutes=minutes))
        if deadline is not None and finish > deadline:
            return
        activities.append(_Activity(begin, finish, sport, strain))
        cursor = finish + timedelta(minutes=30)

    def at(hour: int, minute: int = 0) -> datetime:
        return datetime.combine(day, time(hour, minute), zone)

    game = today.game
    if game is not None:
        evening_game = game.tipoff.astimezone(zone).hour >= 17
        skip_shootaround = game.back_to_back and rng.random() < 0.7
        if evening_game and not skip_shootaround and rng.random() < 0.9:
            add(
                at(10, 30) + timedelta(minutes=rng.gauss(0, 8)),
                rng.uniform(45, 70),
                "basketball",
                _clip(rng.gauss(6.5, 0.8), 4.0, 9.0),
                game.tipoff - timedelta(hours=4),
            )
        if evening_game and rng.random() < 0.5:
            add(
                at(14, 0) + timedelta(minutes=rng.uniform(0, 45)),
                rng.uniform(40, 90),
                "nap",
                0.0,
                game.tipoff - timedelta(hours=2),
            )
        tip = _whole_ms(game.tipoff + timedelta(seconds=rng.uniform(-90, 90)))
        minutes = rng.uniform(135, 160)
        if game.played:
            game_strain = _clip(rng.gauss(16.6, 1.0) + 0.35 * state, 12.5, 20.8)
        else:
            game_strain = _clip(rng.gauss(9.5, 1.0), 6.0, 12.0)
        finish = _whole_ms(tip + timedelta(minutes=minutes))
        activities.append(_Activity(tip, finish, "basketball", game_strain))
        game_end[day] = finish
        return activities
    after_game = night.post_game
    practice_share = 0.35 if after_game else 0.6
    choice = rng.random()
    if choice < practice_share:
        add(
            at(11, 0) + timedelta(minutes=rng.gauss(0, 10)),
            rng.uniform(80, 120),
            "basketball",
            _clip(rng.gauss(11.5, 1.2), 8.0, 15.0),
            None,
        )
    if rng.random() < 0.12:
        add(at(14, 0) + timedelta(minutes=rng.uniform(0, 45)), rng.uniform(30, 80), "nap", 0.0, at(17, 30))
    if practice_share <= choice < practice_share + 0.25:
        add(
            at(17, 15) + timedelta(minutes=rng.gauss(0, 10)),
            rng.uniform(45, 70),
            "weightlifting",
            _clip(rng.gauss(8.0, 1.0), 5.0, 11.0),
            at(20, 30),
        )
    return activities


def _naps(activities: list[_Activity]) -> list[_Activity]:
    return [a for a in activities if a.sport == "nap"]


def _nap(
    day: date, index: int, nap: _Activity, night: _Night, user_id: int, base: Baseline, rng: random.Random
) -> SimRecord:
    zone = team_zone(night.zone_team)
    summary = _stage_summary(
        nap.end - nap.start, _clip(base.efficiency + rng.gauss(-4.0, 3.0), 60.0, 95.0), rng
    )
    summary["sleep_cycle_count"] = max(0, min(1, round(_asleep_ms(summary) / 5_400_000)))
    summary["disturbance_count"] = max(0, round(rng.gauss(2.0, 1.0)))
    asleep_ms = _asleep_ms(summary)
    score = {
        "stage_summary": summary,
        "sleep_needed": {
            "baseline_milli": round(base.sleep_need_hours * 3_600_000),
            "need_from_sleep_debt_milli": 0,
            "need_from_recent_strain_milli": 0,
            "need_from_recent_nap_milli": 0,
        },
        "respiratory_rate": round(base.respiratory_rate + rng.gauss(0.3, 0.3), 4),
        "sleep_performance_percentage": float(round(100.0 * asleep_ms / (base.sleep_need_hours * 3_600_000))),
        "sleep_consistency_percentage": float(round(rng.uniform(20.0, 60.0))),
        "sleep_efficiency_percentage": round(100.0 * asleep_ms / summary["total_in_bed_time_milli"], 4),
    }
    sleep_id = activity_id(user_id, "sleep", day, index)
    return _activity_record(
        SLEEP,
        sleep_id,
        user_id,
        nap.start,
        nap.end,
        zone,
        rng,
        {"id": sleep_id, "cycle_id": cycle_id(user_id, day)},
        {"nap": True},
        score,
    )


def _workouts(
    day: date, activities: list[_Activity], night: _Night, user_id: int, base: Baseline, rng: random.Random
) -> list[SimRecord]:
    zone = team_zone(night.zone_team)
    records: list[SimRecord] = []
    for index, workout in enumerate(a for a in activities if a.sport != "nap"):
        duration_ms = int((workout.end - workout.start).total_seconds() * 1000)
        reserve = base.max_hr - base.rhr
        average = round(base.rhr + reserve * (0.30 + 0.022 * workout.strain) + rng.gauss(0, 3))
        peak = round(min(base.max_hr, average + 25 + 1.5 * workout.strain + rng.gauss(0, 3)))
        kilojoule = duration_ms / 60_000 * max(average - 55, 10) * 0.45 * base.weight_kg / 100
        score = {
            "strain": round(workout.strain, 4),
            "average_heart_rate": int(average),
            "max_heart_rate": int(peak),
            "kilojoule": round(kilojoule, 4),
            "percent_recorded": 100.0 if rng.random() < 0.9 else round(rng.uniform(92.0, 99.9), 4),
            "zone_durations": _zones(average / base.max_hr, duration_ms),
        }
        workout_id = activity_id(user_id, "workout", day, index)
        records.append(
            _activity_record(
                WORKOUT,
                workout_id,
                user_id,
                workout.start,
                workout.end,
                zone,
                rng,
                {"id": workout_id},
                {"sport_name": workout.sport},
                score,
            )
        )
    return records


ZONE_NAMES = ("zero", "one", "two", "three", "four", "five")


def _zones(intensity: float, duration_ms: int) -> dict[str, int]:
    """Time per heart-rate zone (50-60-70-80-90 % of max), spread around the average intensity."""
    centres = (0.45, 0.55, 0.65, 0.75, 0.85, 0.95)
    weights = [math.exp(-(((c - intensity) / 0.09) ** 2)) for c in centres]
    total = sum(weights)
    parts = [int(duration_ms * w / total) for w in weights]
    parts[parts.index(max(parts))] += duration_ms - sum(parts)
    return {f"zone_{name}_milli": part for name, part in zip(ZONE_NAMES, parts, strict=True)}


def _day_strain(workout_strains: list[float], rng: random.Random) -> float:
    """Day strain from the workouts' strains on WHOOP's log-like 0-21 scale: never below the hardest
    workout, and two equal workouts add far less than double."""
    load = math.exp(_clip(rng.gauss(5.5, 0.8), 3.0, 8.0) / 4) - 1
    load += sum(math.exp(s / 4) - 1 for s in workout_strains)
    return _clip(4 * math.log1p(load), 0.0, 21.0)


# -- cycles ------------------------------------------------------------------------------------------


@dataclass
class _CycleDraft:
    day: date
    start: datetime
    night: _Night
    strain: float
    workouts: list[SimRecord]
    rng: random.Random


def _cycle(draft: _CycleDraft, end: datetime, user_id: int, base: Baseline) -> SimRecord:
    """The day's cycle, from sleep onset to the next sleep onset, summing its workouts."""
    rng = draft.rng
    zone = team_zone(draft.night.zone_team)
    hours = (end - draft.start).total_seconds() / 3600
    sleep_h = (draft.night.wake - draft.start).total_seconds() / 3600
    workout_h = 0.0
    weighted = 0.0
    peak = base.rhr + 60 + rng.gauss(0, 5)
    kilojoule = 0.0
    for workout in draft.workouts:
        duration_h = (workout.end - workout.start).total_seconds() / 3600
        workout_h += duration_h
        weighted += duration_h * workout.score["average_heart_rate"]
        peak = max(peak, workout.score["max_heart_rate"])
        kilojoule += workout.score["kilojoule"]
    weighted += sleep_h * (base.rhr + 5) + max(hours - sleep_h - workout_h, 0.0) * (base.rhr + 28)
    rest_h = max(hours - workout_h, 0.0)
    score = {
        "strain": round(draft.strain, 4),
        "kilojoule": round(rest_h * base.weight_kg * 4.184 * 1.3 + kilojoule, 4),
        "average_heart_rate": round(weighted / hours),
        "max_heart_rate": round(peak),
    }
    delay = timedelta(minutes=rng.uniform(*SCORING_DELAY_MINUTES))
    identifier = cycle_id(user_id, draft.day)
    return SimRecord(
        record_type=CYCLE,
        record_id=identifier,
        user_id=user_id,
        start=draft.start,
        end=end,
        visible_at=draft.start,
        scored_at=_whole_ms(end + delay),
        scorable=rng.random() >= UNSCORABLE_SHARE,
        fields={
            "id": identifier,
            "user_id": user_id,
            "created_at": iso(draft.start),
            "start": iso(draft.start),
            "end": iso(end),
            "timezone_offset": offset_text(zone, draft.start),
        },
        score=score,
    )


# -- helpers -----------------------------------------------------------------------------------------


def _activity_record(
    record_type: str,
    record_id: str,
    user_id: int,
    start: datetime,
    end: datetime,
    zone: Any,
    rng: random.Random,
    leading: dict[str, Any],
    trailing: dict[str, Any],
    score: dict[str, Any],
) -> SimRecord:
    """A sleep or workout: visible when it ends, scored 30-90 minutes later (or unscorable)."""
    delay = timedelta(minutes=rng.uniform(*SCORING_DELAY_MINUTES))
    fields = {
        **leading,
        "user_id": user_id,
        "created_at": iso(end),
        "start": iso(start),
        "end": iso(end),
        "timezone_offset": offset_text(zone, start),
        **trailing,
    }
    return SimRecord(
        record_type=record_type,
        record_id=record_id,
        user_id=user_id,
        start=start,
        end=end,
        visible_at=end,
        scored_at=_whole_ms(end + delay),
        scorable=rng.random() >= UNSCORABLE_SHARE,
        fields=fields,
        score=score,
    )


def _clip(value: float, low: float, high: float) -> float:
    return min(max(value, low), high)


def _phi(z: float) -> float:
    return 0.5 * (1 + math.erf(z / math.sqrt(2)))


def _whole_ms(moment: datetime) -> datetime:
    moment = moment.astimezone(UTC)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def _offset_hours(zone: Any, moment: datetime) -> float:
    offset = moment.astimezone(zone).utcoffset()
    return offset.total_seconds() / 3600 if offset is not None else 0.0


def _clock_hours(moment: datetime, zone: Any) -> float:
    """Local clock time in hours measured from noon (so 23:00 is 11, 02:00 is 14): bedtimes compare."""
    local = moment.astimezone(zone)
    return (local.hour + local.minute / 60 - 12) % 24
