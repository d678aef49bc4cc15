"""WHOOP v2 records (cycle, recovery, sleep, workout), as received, to raw-record rows and readings.

Pure functions: no database, no network, no Dagster. Parsing happens at the edge: a payload that breaks
the v2 contract (``shared/reference/whoop``) fails here with ``MalformedRecord``, whose message names the
record type, the record's id when it is known and the field, never with a KeyError later on.

The vocabulary (``METRICS``) is the one place that names what a reading measures. It starts from the
seed's names (``recovery_score``, ``hrv_rmssd``, ``spo2``, ``skin_temp``, ``sleep_performance``,
``respiratory_rate``) and makes explicit the ones that were ambiguous: WHOOP reports a strain and heart
rates for both a cycle (a physiological day) and a workout, and a resting heart rate on the recovery, so
the seed's plain ``strain`` and ``heart_rate`` are not used; ``day_strain`` and ``workout_strain``,
``cycle_*_heart_rate``, ``workout_*_heart_rate`` and ``resting_heart_rate`` are. Durations are minutes,
named ``*_minutes``. A name ending in ``strain`` is always WHOOP's 0-21 strain (the database checks it),
and the five percentages the database checks (recovery_score, sleep_performance, sleep_efficiency,
sleep_consistency, spo2) keep exactly those names. ``python -m clutch_pipeline.whoop.normalize`` prints
the vocabulary as the markdown table of docs/whoop-readings.md.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NoReturn

RECORD_TYPES = ("cycle", "recovery", "sleep", "workout")

_SCORE_STATES = ("SCORED", "PENDING_SCORE", "UNSCORABLE")

# Every reading of a record type has the same activity state.
_ACTIVITY_STATE = {"cycle": "active", "recovery": "resting", "sleep": "sleeping", "workout": "exercising"}

# WHOOP's recovery while "the user is still calibrating and not enough data is available ... to provide an
# accurate recovery" (its own words): kept, but with half the weight of a calibrated one.
_CALIBRATING_QUALITY = 0.5


@dataclass(frozen=True, slots=True)
class Metric:
    name: str  # metric_type in wearables_readings
    unit: str  # metric_unit
    record_type: str  # the WHOOP record it comes from
    source_field: str  # where in that record, e.g. "score.hrv_rmssd_milli"
    meaning: str


def _metrics(record_type: str, *rows: tuple[str, str, str, str]) -> tuple[Metric, ...]:
    return tuple(Metric(name, unit, record_type, field, meaning) for name, unit, field, meaning in rows)


_STAGE = "score.stage_summary."
_ZONE = "score.zone_durations."
_NEED = "score.sleep_needed."

METRICS: tuple[Metric, ...] = (
    # A cycle is one physiological day, from falling asleep to falling asleep the next night.
    *_metrics(
        "cycle",
        ("day_strain", "strain", "score.strain", "WHOOP strain (cardiovascular load) of the day, 0-21"),
        ("cycle_kilojoules", "kJ", "score.kilojoule", "Energy expended over the day"),
        ("cycle_average_heart_rate", "bpm", "score.average_heart_rate", "Average heart rate of the day"),
        ("cycle_max_heart_rate", "bpm", "score.max_heart_rate", "Maximum heart rate of the day"),
    ),
    # A recovery is computed from the cycle's main sleep.
    *_metrics(
        "recovery",
        ("recovery_score", "%", "score.recovery_score", "WHOOP recovery: readiness for strain, 0-100"),
        ("resting_heart_rate", "bpm", "score.resting_heart_rate", "Resting heart rate during the sleep"),
        ("hrv_rmssd", "ms", "score.hrv_rmssd_milli", "Heart-rate variability (RMSSD) during the sleep"),
        ("spo2", "%", "score.spo2_percentage", "Blood oxygen saturation; WHOOP 4.0 or later only"),
        ("skin_temp", "celsius", "score.skin_temp_celsius", "Skin temperature; WHOOP 4.0 or later only"),
    ),
    # A sleep or a nap.
    *_metrics(
        "sleep",
        ("sleep_performance", "%", "score.sleep_performance_percentage", "Sleep obtained over sleep needed"),
        ("sleep_efficiency", "%", "score.sleep_efficiency_percentage", "Time asleep over time in bed"),
        (
            "sleep_consistency",
            "%",
            "score.sleep_consistency_percentage",
            "Bed/wake times vs the previous day",
        ),
        ("respiratory_rate", "breaths/min", "score.respiratory_rate", "Respiratory rate during the sleep"),
        ("sleep_in_bed_minutes", "min", _STAGE + "total_in_bed_time_milli", "Time in bed"),
        ("sleep_awake_minutes", "min", _STAGE + "total_awake_time_milli", "Time awake in bed"),
        ("sleep_light_minutes", "min", _STAGE + "total_light_sleep_time_milli", "Light sleep"),
        ("sleep_deep_minutes", "min", _STAGE + "total_slow_wave_sleep_time_milli", "Slow-wave (deep) sleep"),
        ("sleep_rem_minutes", "min", _STAGE + "total_rem_sleep_time_milli", "REM sleep"),
        ("sleep_total_minutes", "min", "score.stage_summary: light + slow wave + REM", "Time asleep"),
        ("sleep_need_minutes", "min", "score.sleep_needed: sum of all", "Sleep needed before this sleep"),
        ("sleep_cycles", "count", _STAGE + "sleep_cycle_count", "Sleep cycles"),
        ("sleep_disturbances", "count", _STAGE + "disturbance_count", "Disturbances"),
    ),
    *_metrics(
        "workout",
        ("workout_strain", "strain", "score.strain", "WHOOP strain of the workout, 0-21"),
        ("workout_kilojoules", "kJ", "score.kilojoule", "Energy expended during the workout"),
        ("workout_average_heart_rate", "bpm", "score.average_heart_rate", "Average heart rate"),
        ("workout_max_heart_rate", "bpm", "score.max_heart_rate", "Maximum heart rate"),
        ("workout_distance_meters", "m", "score.distance_meter", "Distance; only when one was recorded"),
        ("workout_altitude_gain_meters", "m", "score.altitude_gain_meter", "Altitude climbed; when recorded"),
        ("workout_altitude_change_meters", "m", "score.altitude_change_meter", "Altitude at end minus start"),
        ("workout_zone_0_minutes", "min", _ZONE + "zone_zero_milli", "Heart-rate zone 0 (very light)"),
        ("workout_zone_1_minutes", "min", _ZONE + "zone_one_milli", "Heart-rate zone 1 (light)"),
        ("workout_zone_2_minutes", "min", _ZONE + "zone_two_milli", "Heart-rate zone 2 (moderate)"),
        ("workout_zone_3_minutes", "min", _ZONE + "zone_three_milli", "Heart-rate zone 3 (hard)"),
        ("workout_zone_4_minutes", "min", _ZONE + "zone_four_milli", "Heart-rate zone 4 (very hard)"),
        ("workout_zone_5_minutes", "min", _ZONE + "zone_five_milli", "Heart-rate zone 5 (maximum effort)"),
    ),
)

_METRIC = {metric.name: metric for metric in METRICS}

# What the database accepts: DECIMAL(12, 4) everywhere, and CHECKs on percentages and strains.
_DECIMAL_MAX = 99_999_999.9999
_UNIT_RANGE = {"%": (0.0, 100.0), "strain": (0.0, 21.0)}


@dataclass(frozen=True, slots=True)
class Reading:
    metric_type: str  # a name in METRICS
    metric_value: float  # rounded to 4 decimals, as DECIMAL(12, 4) stores it
    metric_unit: str
    reading_timestamp: datetime  # UTC
    reading_end: datetime | None
    timezone_offset: int | None  # minutes east of UTC
    quality_score: float | None  # 0..1, rounded to 2 decimals, as DECIMAL(3, 2) stores it
    activity_state: str  # 'active' (cycle), 'resting' (recovery), 'sleeping' (sleep), 'exercising' (workout)
    source_session_id: str  # the cycle id (cycle and recovery), the sleep or workout uuid


@dataclass(frozen=True)
class NormalizedRecord:
    record_type: str  # one of RECORD_TYPES
    record_id: str  # cycle: its id; sleep, workout: its uuid; recovery: its sleep's uuid
    user_id: int  # WHOOP's user_id
    score_state: str | None  # SCORED | PENDING_SCORE | UNSCORABLE
    record_start: datetime | None  # recovery: the time its readings carry
    record_end: datetime | None  # None for the current cycle and for a recovery
    source_updated_at: datetime
    payload: Mapping[str, Any]  # the record exactly as received
    readings: tuple[Reading, ...]
    cycle_id: str | None  # the cycle the record belongs to; None for a workout

    @property
    def pending(self) -> bool:
        """WHOOP is still scoring it: nothing is stored from it, fetch it again later."""
        return self.score_state == "PENDING_SCORE"

    @property
    def unscorable(self) -> bool:
        """WHOOP could not score it (too little data): kept raw, no readings."""
        return self.score_state == "UNSCORABLE"


class MalformedRecord(ValueError):
    """A WHOOP record that breaks the v2 contract; the message names the record type, id and field."""

    def __init__(self, record_type: str, record_id: str | None, field: str, problem: str):
        super().__init__(f"{record_type} {record_id or '?'}: {field}: {problem}")
        self.record_type = record_type
        self.record_id = record_id
        self.field = field


_OFFSET = re.compile(r"([+-])(\d\d):(\d\d)", re.ASCII)
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.ASCII | re.IGNORECASE)


def parse_timezone_offset(value: str) -> int:
    """WHOOP's Time Zone Designator ('+hh:mm', '-hh:mm' or 'Z') in minutes east of UTC: '-05:00' is -300."""
    if value == "Z":
        return 0
    match = _OFFSET.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise ValueError(f"expected '+hh:mm', '-hh:mm' or 'Z', got {_describe(value)}")
    sign, hours, minutes = match.groups()
    if int(minutes) >= 60:
        raise ValueError(f"minutes out of range in {value!r}")
    offset = int(hours) * 60 + int(minutes)
    offset = -offset if sign == "-" else offset
    if not -720 <= offset <= 840:
        raise ValueError(f"{value!r} is outside -12:00..+14:00")
    return offset


def _describe(value: Any) -> str:
    text = repr(value)
    return f"{type(value).__name__} {text[:40] + '...' if len(text) > 40 else text}"


class _Fields:
    """Reads one record's fields; every failure names the record and the field's path."""

    __slots__ = ("record_id", "record_type")

    def __init__(self, record_type: str, payload: Any):
        self.record_type = record_type
        self.record_id: str | None = None
        if not isinstance(payload, Mapping):
            self.fail("payload", f"expected a JSON object, got {_describe(payload)}")

    def fail(self, field: str, problem: str) -> NoReturn:
        raise MalformedRecord(self.record_type, self.record_id, field, problem)

    def required(self, obj: Mapping, key: str, prefix: str) -> Any:
        value = obj.get(key)
        if value is None:
            self.fail(prefix + key, "missing" if key not in obj else "is null")
        return value

    def object(self, obj: Mapping, key: str, prefix: str) -> Mapping:
        value = self.required(obj, key, prefix)
        if not isinstance(value, Mapping):
            self.fail(prefix + key, f"expected an object, got {_describe(value)}")
        return value

    def integer(self, obj: Mapping, key: str, prefix: str = "") -> int:
        value = self.required(obj, key, prefix)
        if type(value) is not int:  # a bool is not an id
            self.fail(prefix + key, f"expected an integer, got {_describe(value)}")
        return value

    def uuid(self, obj: Mapping, key: str, prefix: str = "") -> str:
        """Lower-cased, so the sleep's id and its recovery's sleep_id always compare equal."""
        value = self.required(obj, key, prefix)
        if not isinstance(value, str) or _UUID.fullmatch(value) is None:
            self.fail(prefix + key, f"expected a UUID string, got {_describe(value)}")
        return value.lower()

    def boolean(self, obj: Mapping, key: str, prefix: str) -> bool:
        value = self.required(obj, key, prefix)
        if type(value) is not bool:
            self.fail(prefix + key, f"expected true or false, got {_describe(value)}")
        return value

    def number(self, obj: Mapping, key: str, prefix: str) -> float:
        return self._number(self.required(obj, key, prefix), prefix + key)

    def optional_number(self, obj: Mapping, key: str, prefix: str) -> float | None:
        value = obj.get(key)
        return None if value is None else self._number(value, prefix + key)

    def _number(self, value: Any, field: str) -> float:
        if type(value) is float and math.isfinite(value):
            return value
        if type(value) is int and abs(value) < 2**63:  # a bool is not a number either
            return float(value)
        self.fail(field, f"expected a number, got {_describe(value)}")

    def timestamp(self, obj: Mapping, key: str, prefix: str = "") -> datetime:
        return self._timestamp(self.required(obj, key, prefix), prefix + key)

    def optional_timestamp(self, obj: Mapping, key: str) -> datetime | None:
        value = obj.get(key)
        return None if value is None else self._timestamp(value, key)

    def _timestamp(self, value: Any, field: str) -> datetime:
        try:
            moment = datetime.fromisoformat(value)
        except (TypeError, ValueError):
            self.fail(field, f"expected an ISO-8601 timestamp, got {_describe(value)}")
        # WHOOP: "Timezone handling standardized to UTC when not specified".
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)

    def offset(self, obj: Mapping, key: str, prefix: str = "") -> int:
        value = self.required(obj, key, prefix)
        try:
            return parse_timezone_offset(value)
        except ValueError as error:
            self.fail(prefix + key, str(error))

    def interval_record(
        self, payload: Mapping, end_required: bool
    ) -> tuple[int, datetime, datetime | None, int, datetime, str, Mapping | None]:
        """What every cycle, sleep and workout has: user, start and end, offset, version, score."""
        start, end = self.interval(payload, end_required)
        user_id = self.integer(payload, "user_id")
        offset = self.offset(payload, "timezone_offset")
        state, score = self.score(payload)
        return user_id, start, end, offset, self.timestamp(payload, "updated_at"), state, score

    def interval(self, payload: Mapping, end_required: bool) -> tuple[datetime, datetime | None]:
        start = self.timestamp(payload, "start")
        end = self.timestamp(payload, "end") if end_required else self.optional_timestamp(payload, "end")
        if end is not None and end < start:
            self.fail("end", f"{payload['end']!r} is before start {payload['start']!r}")
        return start, end

    def score(self, payload: Mapping) -> tuple[str, Mapping | None]:
        """The score state, and the score when there are readings to take from it: only a SCORED record
        that carries a score object (WHOOP sends none, or null, otherwise)."""
        state = self.required(payload, "score_state", "")
        if state not in _SCORE_STATES:
            self.fail("score_state", f"expected one of {', '.join(_SCORE_STATES)}, got {_describe(state)}")
        score = payload.get("score")
        if state != "SCORED" or score is None:
            return state, None
        if not isinstance(score, Mapping):
            self.fail("score", f"expected an object, got {_describe(score)}")
        return state, score


class _Readings:
    """Collects one record's readings, which share their times, quality, activity and session."""

    __slots__ = ("end", "fields", "items", "offset", "quality", "session_id", "start", "state")

    def __init__(
        self,
        fields: _Fields,
        start: datetime,
        end: datetime | None,
        offset: int | None,
        quality: float,
        session_id: str,
    ):
        self.fields = fields
        self.start = start
        self.end = end
        self.offset = offset
        self.quality = round(min(1.0, max(0.0, quality)), 2)
        self.state = _ACTIVITY_STATE[fields.record_type]
        self.session_id = session_id
        self.items: list[Reading] = []

    def add(self, name: str, value: float | None) -> None:
        """A reading of ``value``, unless it is None (an optional field WHOOP left out)."""
        if value is None:
            return
        metric = _METRIC[name]
        value = round(value, 4)
        low, high = _UNIT_RANGE.get(metric.unit, (-_DECIMAL_MAX, _DECIMAL_MAX))
        if not low <= value <= high:
            self.fields.fail(metric.source_field, f"{value} is outside {low:g}..{high:g} ({metric.unit})")
        self.items.append(
            Reading(
                name,
                value,
                metric.unit,
                self.start,
                self.end,
                self.offset,
                self.quality,
                self.state,
                self.session_id,
            )
        )


def _minutes(milliseconds: float) -> float:
    return round(milliseconds / 60_000, 2)


def normalize_cycle(payload: Mapping) -> NormalizedRecord:
    """A cycle is a physiological day; one without ``end`` (absent or null) is the current one."""
    fields = _Fields("cycle", payload)
    cycle_id = str(fields.integer(payload, "id"))
    fields.record_id = cycle_id
    user_id, start, end, offset, updated_at, state, score = fields.interval_record(
        payload, end_required=False
    )
    readings: tuple[Reading, ...] = ()
    if score is not None:
        out = _Readings(fields, start, end, offset, 1.0, cycle_id)
        out.add("day_strain", fields.number(score, "strain", "score."))
        out.add("cycle_kilojoules", fields.number(score, "kilojoule", "score."))
        out.add("cycle_average_heart_rate", fields.number(score, "average_heart_rate", "score."))
        out.add("cycle_max_heart_rate", fields.number(score, "max_heart_rate", "score."))
        readings = tuple(out.items)
    return NormalizedRecord(
        "cycle", cycle_id, user_id, state, start, end, updated_at, payload, readings, cycle_id=cycle_id
    )


def normalize_sleep(payload: Mapping) -> NormalizedRecord:
    """A sleep or a nap (``payload["nap"]`` tells them apart; their readings are named alike)."""
    fields = _Fields("sleep", payload)
    sleep_id = fields.uuid(payload, "id")
    fields.record_id = sleep_id
    cycle_id = str(fields.integer(payload, "cycle_id"))
    user_id, start, end, offset, updated_at, state, score = fields.interval_record(payload, end_required=True)
    readings: tuple[Reading, ...] = ()
    if score is not None:
        stages = fields.object(score, "stage_summary", "score.")
        in_bed = fields.number(stages, "total_in_bed_time_milli", _STAGE)
        awake = fields.number(stages, "total_awake_time_milli", _STAGE)
        no_data = fields.number(stages, "total_no_data_time_milli", _STAGE)
        light = fields.number(stages, "total_light_sleep_time_milli", _STAGE)
        deep = fields.number(stages, "total_slow_wave_sleep_time_milli", _STAGE)
        rem = fields.number(stages, "total_rem_sleep_time_milli", _STAGE)
        needed = fields.object(score, "sleep_needed", "score.")
        need = (
            fields.number(needed, "baseline_milli", _NEED)
            + fields.number(needed, "need_from_sleep_debt_milli", _NEED)
            + fields.number(needed, "need_from_recent_strain_milli", _NEED)
            + fields.number(needed, "need_from_recent_nap_milli", _NEED)
        )
        # Time in bed without data from the strap makes every figure of the sleep less certain.
        # (The max() guards a zero time in bed; clamped to 0..1 by _Readings.)
        quality = 1.0 - no_data / max(in_bed, no_data, 1.0)
        out = _Readings(fields, start, end, offset, quality, sleep_id)
        out.add("sleep_performance", fields.optional_number(score, "sleep_performance_percentage", "score."))
        out.add("sleep_efficiency", fields.optional_number(score, "sleep_efficiency_percentage", "score."))
        out.add("sleep_consistency", fields.optional_number(score, "sleep_consistency_percentage", "score."))
        out.add("respiratory_rate", fields.optional_number(score, "respiratory_rate", "score."))
        out.add("sleep_in_bed_minutes", _minutes(in_bed))
        out.add("sleep_awake_minutes", _minutes(awake))
        out.add("sleep_light_minutes", _minutes(light))
        out.add("sleep_deep_minutes", _minutes(deep))
        out.add("sleep_rem_minutes", _minutes(rem))
        out.add("sleep_total_minutes", _minutes(light + deep + rem))
        out.add("sleep_need_minutes", _minutes(need))
        out.add("sleep_cycles", fields.number(stages, "sleep_cycle_count", _STAGE))
        out.add("sleep_disturbances", fields.number(stages, "disturbance_count", _STAGE))
        readings = tuple(out.items)
    return NormalizedRecord(
        "sleep", sleep_id, user_id, state, start, end, updated_at, payload, readings, cycle_id=cycle_id
    )


def normalize_workout(payload: Mapping) -> NormalizedRecord:
    """A workout; its quality is the share of heart-rate data WHOOP received (percent_recorded)."""
    fields = _Fields("workout", payload)
    workout_id = fields.uuid(payload, "id")
    fields.record_id = workout_id
    user_id, start, end, offset, updated_at, state, score = fields.interval_record(payload, end_required=True)
    readings: tuple[Reading, ...] = ()
    if score is not None:
        quality = fields.number(score, "percent_recorded", "score.") / 100
        zones = fields.object(score, "zone_durations", "score.")
        out = _Readings(fields, start, end, offset, quality, workout_id)
        out.add("workout_strain", fields.number(score, "strain", "score."))
        out.add("workout_kilojoules", fields.number(score, "kilojoule", "score."))
        out.add("workout_average_heart_rate", fields.number(score, "average_heart_rate", "score."))
        out.add("workout_max_heart_rate", fields.number(score, "max_heart_rate", "score."))
        out.add("workout_distance_meters", fields.optional_number(score, "distance_meter", "score."))
        out.add(
            "workout_altitude_gain_meters", fields.optional_number(score, "altitude_gain_meter", "score.")
        )
        out.add(
            "workout_altitude_change_meters", fields.optional_number(score, "altitude_change_meter", "score.")
        )
        for zone, word in enumerate(("zero", "one", "two", "three", "four", "five")):
            milliseconds = fields.number(zones, f"zone_{word}_milli", _ZONE)
            out.add(f"workout_zone_{zone}_minutes", _minutes(milliseconds))
        readings = tuple(out.items)
    return NormalizedRecord(
        "workout", workout_id, user_id, state, start, end, updated_at, payload, readings, cycle_id=None
    )


def normalize_recovery(payload: Mapping, sleep: Mapping | None) -> NormalizedRecord:
    """A recovery has no time of its own: WHOOP computes it when its sleep ends, so its readings carry
    that sleep's ``end`` and ``timezone_offset``. Without the sleep (None), they carry the recovery's
    ``created_at`` and no offset. Named by its sleep's uuid; its readings' session is its cycle."""
    fields = _Fields("recovery", payload)
    sleep_id = fields.uuid(payload, "sleep_id")
    fields.record_id = sleep_id
    cycle_id = str(fields.integer(payload, "cycle_id"))
    user_id = fields.integer(payload, "user_id")
    updated_at = fields.timestamp(payload, "updated_at")
    if sleep is None:
        at = fields.timestamp(payload, "created_at")
        offset = None
    else:
        if not isinstance(sleep, Mapping):
            fields.fail("sleep", f"expected the sleep's JSON object, got {_describe(sleep)}")
        if fields.uuid(sleep, "id", "sleep.") != sleep_id:
            fields.fail("sleep.id", f"{sleep['id']!r} is not this recovery's sleep")
        at = fields.timestamp(sleep, "end", "sleep.")
        offset = fields.offset(sleep, "timezone_offset", "sleep.")
    state, score = fields.score(payload)
    readings: tuple[Reading, ...] = ()
    if score is not None:
        calibrating = fields.boolean(score, "user_calibrating", "score.")
        out = _Readings(fields, at, None, offset, _CALIBRATING_QUALITY if calibrating else 1.0, cycle_id)
        out.add("recovery_score", fields.number(score, "recovery_score", "score."))
        out.add("resting_heart_rate", fields.number(score, "resting_heart_rate", "score."))
        out.add("hrv_rmssd", fields.number(score, "hrv_rmssd_milli", "score."))
        out.add("spo2", fields.optional_number(score, "spo2_percentage", "score."))
        out.add("skin_temp", fields.optional_number(score, "skin_temp_celsius", "score."))
        readings = tuple(out.items)
    return NormalizedRecord(
        "recovery", sleep_id, user_id, state, at, None, updated_at, payload, readings, cycle_id=cycle_id
    )


_NORMALIZERS: dict[str, Callable[[Mapping], NormalizedRecord]] = {
    "cycle": normalize_cycle,
    "sleep": normalize_sleep,
    "workout": normalize_workout,
}


def normalize(
    record_type: str, payload: Mapping, *, sleeps: Mapping[str, Mapping] | None = None
) -> NormalizedRecord:
    """Any record by its type. ``sleeps`` maps sleep uuids to sleep payloads, so that a recovery is timed
    by its sleep; a recovery whose sleep is not in it falls back on its own ``created_at``."""
    if record_type == "recovery":
        sleep = None
        if sleeps is not None and isinstance(payload, Mapping) and isinstance(payload.get("sleep_id"), str):
            sleep = sleeps.get(payload["sleep_id"])
        return normalize_recovery(payload, sleep)
    normalizer = _NORMALIZERS.get(record_type) if isinstance(record_type, str) else None
    if normalizer is None:
        raise MalformedRecord(
            str(record_type),
            None,
            "record_type",
            f"unknown record type {record_type!r}, expected one of {', '.join(RECORD_TYPES)}",
        )
    return normalizer(payload)


def _vocabulary_table() -> str:
    """The table of METRICS in docs/whoop-readings.md, in markdown."""
    lines = ["| metric_type | unit | record | WHOOP field | meaning |", "|---|---|---|---|---|"]
    for metric in METRICS:
        cells = (
            f"`{metric.name}`",
            metric.unit,
            metric.record_type,
            f"`{metric.source_field}`",
            metric.meaning,
        )
        lines.append(f"| {' | '.join(cells)} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(_vocabulary_table())
