"""WHOOP v2 records to readings: the documented examples, score states, times, quality and bad payloads."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

import pytest

from clutch_pipeline.whoop.normalize import (
    METRICS,
    RECORD_TYPES,
    MalformedRecord,
    NormalizedRecord,
    _vocabulary_table,
    normalize,
    normalize_cycle,
    normalize_recovery,
    normalize_sleep,
    normalize_workout,
    parse_timezone_offset,
)

# The examples of WHOOP_V2_API.md section 5 (shared/reference/whoop), as documented.
CYCLE = {
    "id": 93845,
    "user_id": 10129,
    "created_at": "2022-04-24T11:25:44.774Z",
    "updated_at": "2022-04-24T14:25:44.774Z",
    "start": "2022-04-24T02:25:44.774Z",
    "end": "2022-04-24T10:25:44.774Z",
    "timezone_offset": "-05:00",
    "score_state": "SCORED",
    "score": {"strain": 5.2951527, "kilojoule": 8288.297, "average_heart_rate": 68, "max_heart_rate": 141},
}
RECOVERY = {
    "cycle_id": 93845,
    "sleep_id": "123e4567-e89b-12d3-a456-426614174000",
    "user_id": 10129,
    "created_at": "2022-04-24T11:25:44.774Z",
    "updated_at": "2022-04-24T14:25:44.774Z",
    "score_state": "SCORED",
    "score": {
        "user_calibrating": False,
        "recovery_score": 44,
        "resting_heart_rate": 64,
        "hrv_rmssd_milli": 31.813562,
        "spo2_percentage": 95.6875,
        "skin_temp_celsius": 33.7,
    },
}
SLEEP = {
    "id": "ecfc6a15-4661-442f-a9a4-f160dd7afae8",
    "cycle_id": 93845,
    "v1_id": 93845,
    "user_id": 10129,
    "created_at": "2022-04-24T11:25:44.774Z",
    "updated_at": "2022-04-24T14:25:44.774Z",
    "start": "2022-04-24T02:25:44.774Z",
    "end": "2022-04-24T10:25:44.774Z",
    "timezone_offset": "-05:00",
    "nap": False,
    "score_state": "SCORED",
    "score": {
        "stage_summary": {
            "total_in_bed_time_milli": 30272735,
            "total_awake_time_milli": 1403507,
            "total_no_data_time_milli": 0,
            "total_light_sleep_time_milli": 14905851,
            "total_slow_wave_sleep_time_milli": 6630370,
            "total_rem_sleep_time_milli": 5879573,
            "sleep_cycle_count": 3,
            "disturbance_count": 12,
        },
        "sleep_needed": {
            "baseline_milli": 27395716,
            "need_from_sleep_debt_milli": 352230,
            "need_from_recent_strain_milli": 208595,
            "need_from_recent_nap_milli": -12312,
        },
        "respiratory_rate": 16.11328125,
        "sleep_performance_percentage": 98,
        "sleep_consistency_percentage": 90,
        "sleep_efficiency_percentage": 91.69533848,
    },
}
WORKOUT = {
    "id": "ecfc6a15-4661-442f-a9a4-f160dd7afae8",
    "v1_id": 1043,
    "user_id": 9012,
    "created_at": "2022-04-24T11:25:44.774Z",
    "updated_at": "2022-04-24T14:25:44.774Z",
    "start": "2022-04-24T02:25:44.774Z",
    "end": "2022-04-24T10:25:44.774Z",
    "timezone_offset": "-05:00",
    "sport_name": "running",
    "score_state": "SCORED",
    "score": {
        "strain": 8.2463,
        "average_heart_rate": 123,
        "max_heart_rate": 146,
        "kilojoule": 1569.34033203125,
        "percent_recorded": 100,
        "distance_meter": 1772.77035916,
        "altitude_gain_meter": 46.64384460449,
        "altitude_change_meter": -0.781372010707855,
        "zone_durations": {
            "zone_zero_milli": 300000,
            "zone_one_milli": 600000,
            "zone_two_milli": 900000,
            "zone_three_milli": 900000,
            "zone_four_milli": 600000,
            "zone_five_milli": 300000,
        },
    },
}
EXAMPLES = {"cycle": CYCLE, "recovery": RECOVERY, "sleep": SLEEP, "workout": WORKOUT}

START = datetime(2022, 4, 24, 2, 25, 44, 774000, tzinfo=UTC)
END = datetime(2022, 4, 24, 10, 25, 44, 774000, tzinfo=UTC)
CREATED = datetime(2022, 4, 24, 11, 25, 44, 774000, tzinfo=UTC)


def example(record_type: str, **changes) -> dict:
    """A fresh copy of a documented example, with top-level keys changed (None: set to null)."""
    payload = copy.deepcopy(EXAMPLES[record_type])
    payload.update(changes)
    return payload


DROP = object()  # with_score(..., field=DROP) removes the field


def with_score(record_type: str, **changes) -> dict:
    """A documented example with score fields changed (None: set to null; DROP: removed)."""
    payload = example(record_type)
    for key, value in changes.items():
        if value is DROP:
            del payload["score"][key]
        else:
            payload["score"][key] = value
    return payload


def its_sleep(**changes) -> dict:
    """The documented sleep, as the documented recovery's own sleep."""
    return example("sleep", id=RECOVERY["sleep_id"], **changes)


def values(record: NormalizedRecord) -> dict[str, float]:
    return {reading.metric_type: reading.metric_value for reading in record.readings}


def all_examples() -> list[NormalizedRecord]:
    return [normalize(record_type, example(record_type)) for record_type in RECORD_TYPES]


# ---------------------------------------------------------------------------------------------------
# The documented examples


def test_documented_cycle_gives_day_strain_energy_and_heart_rates():
    record = normalize_cycle(example("cycle"))

    assert values(record) == {
        "day_strain": 5.2952,
        "cycle_kilojoules": 8288.297,
        "cycle_average_heart_rate": 68.0,
        "cycle_max_heart_rate": 141.0,
    }


def test_documented_cycle_readings_cover_the_cycle_in_its_offset():
    record = normalize_cycle(example("cycle"))

    assert {(r.reading_timestamp, r.reading_end, r.timezone_offset) for r in record.readings} == {
        (START, END, -300)
    }


def test_documented_recovery_gives_score_heart_rate_hrv_spo2_and_skin_temp():
    record = normalize_recovery(example("recovery"), its_sleep())

    assert values(record) == {
        "recovery_score": 44.0,
        "resting_heart_rate": 64.0,
        "hrv_rmssd": 31.8136,
        "spo2": 95.6875,
        "skin_temp": 33.7,
    }


def test_documented_sleep_gives_percentages_stage_minutes_and_counts():
    record = normalize_sleep(example("sleep"))

    assert values(record) == {
        "sleep_performance": 98.0,
        "sleep_efficiency": 91.6953,
        "sleep_consistency": 90.0,
        "respiratory_rate": 16.1133,
        "sleep_in_bed_minutes": 504.55,
        "sleep_awake_minutes": 23.39,
        "sleep_light_minutes": 248.43,
        "sleep_deep_minutes": 110.51,
        "sleep_rem_minutes": 97.99,
        "sleep_total_minutes": 456.93,  # light + slow wave + REM
        "sleep_need_minutes": 465.74,  # baseline + debt + strain + nap (negative)
        "sleep_cycles": 3.0,
        "sleep_disturbances": 12.0,
    }


def test_documented_workout_gives_strain_heart_rates_distance_and_zone_minutes():
    record = normalize_workout(example("workout"))

    assert values(record) == {
        "workout_strain": 8.2463,
        "workout_kilojoules": 1569.3403,
        "workout_average_heart_rate": 123.0,
        "workout_max_heart_rate": 146.0,
        "workout_distance_meters": 1772.7704,
        "workout_altitude_gain_meters": 46.6438,
        "workout_altitude_change_meters": -0.7814,
        "workout_zone_0_minutes": 5.0,
        "workout_zone_1_minutes": 10.0,
        "workout_zone_2_minutes": 15.0,
        "workout_zone_3_minutes": 15.0,
        "workout_zone_4_minutes": 10.0,
        "workout_zone_5_minutes": 5.0,
    }


@pytest.mark.parametrize(
    ("record_type", "record_id", "cycle_id", "user_id"),
    [
        ("cycle", "93845", "93845", 10129),
        ("recovery", "123e4567-e89b-12d3-a456-426614174000", "93845", 10129),
        ("sleep", "ecfc6a15-4661-442f-a9a4-f160dd7afae8", "93845", 10129),
        ("workout", "ecfc6a15-4661-442f-a9a4-f160dd7afae8", None, 9012),
    ],
)
def test_records_are_named_as_the_raw_records_table_names_them(record_type, record_id, cycle_id, user_id):
    record = normalize(record_type, example(record_type))

    assert (record.record_type, record.record_id, record.cycle_id, record.user_id) == (
        record_type,
        record_id,
        cycle_id,
        user_id,
    )


@pytest.mark.parametrize("record_type", RECORD_TYPES)
def test_the_payload_is_kept_exactly_as_received(record_type):
    payload = example(record_type)

    assert normalize(record_type, payload).payload is payload


@pytest.mark.parametrize("record_type", RECORD_TYPES)
def test_updated_at_is_the_source_version(record_type):
    record = normalize(record_type, example(record_type))

    assert record.source_updated_at == datetime(2022, 4, 24, 14, 25, 44, 774000, tzinfo=UTC)


@pytest.mark.parametrize(
    ("record_type", "activity_state"),
    [("cycle", "active"), ("recovery", "resting"), ("sleep", "sleeping"), ("workout", "exercising")],
)
def test_each_record_type_has_its_activity_state(record_type, activity_state):
    record = normalize(record_type, example(record_type))

    assert {reading.activity_state for reading in record.readings} == {activity_state}


def test_a_nap_is_sleeping_too():
    record = normalize_sleep(example("sleep", nap=True))

    assert {reading.activity_state for reading in record.readings} == {"sleeping"}


@pytest.mark.parametrize(
    ("record_type", "session"),
    [
        ("cycle", "93845"),
        ("recovery", "93845"),  # its cycle, to join a day's readings
        ("sleep", "ecfc6a15-4661-442f-a9a4-f160dd7afae8"),
        ("workout", "ecfc6a15-4661-442f-a9a4-f160dd7afae8"),
    ],
)
def test_readings_name_their_session(record_type, session):
    record = normalize(record_type, example(record_type))

    assert {reading.source_session_id for reading in record.readings} == {session}


def test_every_reading_is_in_the_vocabulary_with_its_unit_and_record_type():
    vocabulary = {metric.name: (metric.unit, metric.record_type) for metric in METRICS}

    for record in all_examples():
        for reading in record.readings:
            assert vocabulary[reading.metric_type] == (reading.metric_unit, record.record_type)


def test_every_metric_in_the_vocabulary_comes_from_a_documented_example():
    produced = {reading.metric_type for record in all_examples() for reading in record.readings}

    assert produced == {metric.name for metric in METRICS}


def test_no_example_strain_is_outside_0_to_21():
    strains = [
        r.metric_value for rec in all_examples() for r in rec.readings if r.metric_type.endswith("strain")
    ]

    assert strains and all(0 <= value <= 21 for value in strains)


def test_example_values_fit_decimal_12_4():
    for record in all_examples():
        for reading in record.readings:
            assert abs(reading.metric_value) < 10**8
            assert round(reading.metric_value, 4) == reading.metric_value


def test_every_reading_time_is_utc():
    for record in all_examples():
        for reading in record.readings:
            assert reading.reading_timestamp.utcoffset().total_seconds() == 0


# ---------------------------------------------------------------------------------------------------
# The vocabulary


def test_metric_names_are_unique():
    names = [metric.name for metric in METRICS]

    assert len(names) == len(set(names))


def test_only_strains_end_in_strain():
    assert {metric.unit for metric in METRICS if metric.name.endswith("strain")} == {"strain"}
    assert all(metric.name.endswith("strain") for metric in METRICS if metric.unit == "strain")


def test_the_percentages_the_database_checks_are_percent_metrics():
    units = {metric.name: metric.unit for metric in METRICS}

    for name in ("recovery_score", "sleep_performance", "sleep_efficiency", "sleep_consistency", "spo2"):
        assert units[name] == "%"


def test_the_seeds_ambiguous_strain_and_heart_rate_are_not_used():
    names = {metric.name for metric in METRICS}

    assert not names & {"strain", "heart_rate"}


def test_every_metric_belongs_to_a_record_type():
    assert {metric.record_type for metric in METRICS} == set(RECORD_TYPES)


def test_the_readme_table_has_a_row_per_metric():
    rows = _vocabulary_table().splitlines()[2:]

    assert [row.split("|")[1].strip(" `") for row in rows] == [metric.name for metric in METRICS]


# ---------------------------------------------------------------------------------------------------
# Score states and missing scores


@pytest.mark.parametrize("record_type", RECORD_TYPES)
def test_an_unscorable_record_is_returned_without_readings(record_type):
    record = normalize(record_type, example(record_type, score_state="UNSCORABLE", score=None))

    assert (record.unscorable, record.pending, record.readings) == (True, False, ())


@pytest.mark.parametrize("record_type", RECORD_TYPES)
def test_a_pending_record_is_returned_without_readings(record_type):
    payload = example(record_type, score_state="PENDING_SCORE")
    del payload["score"]

    record = normalize(record_type, payload)

    assert (record.pending, record.unscorable, record.readings) == (True, False, ())


@pytest.mark.parametrize("record_type", RECORD_TYPES)
def test_a_score_sent_with_a_pending_state_is_ignored(record_type):
    record = normalize(record_type, example(record_type, score_state="PENDING_SCORE"))

    assert record.readings == ()


@pytest.mark.parametrize("record_type", RECORD_TYPES)
def test_a_scored_record_without_score_has_no_readings(record_type):
    payload = example(record_type)
    del payload["score"]

    record = normalize(record_type, payload)

    assert (record.score_state, record.readings) == ("SCORED", ())


@pytest.mark.parametrize("record_type", RECORD_TYPES)
def test_a_scored_record_with_a_null_score_has_no_readings(record_type):
    record = normalize(record_type, example(record_type, score=None))

    assert (record.score_state, record.readings) == ("SCORED", ())


# ---------------------------------------------------------------------------------------------------
# Times


def test_a_cycle_without_end_is_the_current_cycle():
    payload = example("cycle")
    del payload["end"]

    record = normalize_cycle(payload)

    assert record.record_end is None
    assert {(r.reading_timestamp, r.reading_end) for r in record.readings} == {(START, None)}


def test_a_cycle_with_a_null_end_is_the_current_cycle():
    record = normalize_cycle(example("cycle", end=None))

    assert record.record_end is None
    assert {r.reading_end for r in record.readings} == {None}


@pytest.mark.parametrize("record_type", ["sleep", "workout"])
def test_a_sleep_or_workout_without_end_is_malformed(record_type):
    payload = example(record_type)
    del payload["end"]

    with pytest.raises(MalformedRecord, match=f"^{record_type} ecfc6a15-[-0-9a-f]+: end: missing$"):
        normalize(record_type, payload)


@pytest.mark.parametrize("record_type", ["cycle", "sleep", "workout"])
def test_an_interval_record_spans_start_to_end(record_type):
    record = normalize(record_type, example(record_type))

    assert (record.record_start, record.record_end) == (START, END)
    assert {(r.reading_timestamp, r.reading_end) for r in record.readings} == {(START, END)}


@pytest.mark.parametrize(("text", "minutes"), [("+05:30", 330), ("-05:00", -300), ("Z", 0), ("+14:00", 840)])
def test_timezone_offsets_are_minutes_east_of_utc(text, minutes):
    assert parse_timezone_offset(text) == minutes


@pytest.mark.parametrize("text", ["+5:30", "05:00", "+0530", "+05:60", "-12:30", "+14:30", "z", ""])
def test_timezone_offsets_outside_the_designator_format_are_refused(text):
    with pytest.raises(ValueError):
        parse_timezone_offset(text)


def test_a_record_carries_its_offset_on_its_readings():
    record = normalize_workout(example("workout", timezone_offset="+05:30"))

    assert {reading.timezone_offset for reading in record.readings} == {330}


def test_timestamps_with_an_offset_are_converted_to_utc():
    record = normalize_cycle(example("cycle", start="2022-04-23T21:25:44.774-05:00"))

    assert record.record_start == START and record.record_start.tzinfo == UTC


def test_timestamps_without_a_zone_are_utc():
    record = normalize_cycle(example("cycle", start="2022-04-24T02:25:44.774"))

    assert record.record_start == START


def test_a_recovery_is_timed_by_its_sleeps_end_and_offset():
    record = normalize_recovery(example("recovery"), its_sleep(timezone_offset="+05:30"))

    assert {(r.reading_timestamp, r.reading_end, r.timezone_offset) for r in record.readings} == {
        (END, None, 330)
    }
    assert (record.record_start, record.record_end) == (END, None)


def test_a_recovery_without_its_sleep_is_timed_by_its_creation_without_offset():
    record = normalize_recovery(example("recovery"), None)

    assert {(r.reading_timestamp, r.reading_end, r.timezone_offset) for r in record.readings} == {
        (CREATED, None, None)
    }


def test_normalize_finds_a_recoverys_sleep_by_its_uuid():
    record = normalize("recovery", example("recovery"), sleeps={RECOVERY["sleep_id"]: its_sleep()})

    assert {r.reading_timestamp for r in record.readings} == {END}


def test_normalize_falls_back_on_creation_when_the_sleep_is_not_given():
    record = normalize("recovery", example("recovery"), sleeps={SLEEP["id"]: example("sleep")})

    assert {(r.reading_timestamp, r.timezone_offset) for r in record.readings} == {(CREATED, None)}


def test_a_recovery_given_another_sleep_is_refused():
    with pytest.raises(MalformedRecord, match=r"^recovery 123e4567-.*: sleep\.id: .* is not this recovery's"):
        normalize_recovery(example("recovery"), example("sleep"))


# ---------------------------------------------------------------------------------------------------
# Optional fields and quality


def test_spo2_and_skin_temp_absent_give_no_readings():
    record = normalize_recovery(with_score("recovery", spo2_percentage=DROP, skin_temp_celsius=DROP), None)

    assert set(values(record)) == {"recovery_score", "resting_heart_rate", "hrv_rmssd"}


def test_spo2_and_skin_temp_null_give_no_readings():
    record = normalize_recovery(with_score("recovery", spo2_percentage=None, skin_temp_celsius=None), None)

    assert not set(values(record)) & {"spo2", "skin_temp"}


def test_sleep_percentages_and_respiratory_rate_absent_give_no_readings():
    record = normalize_sleep(
        with_score(
            "sleep",
            sleep_performance_percentage=DROP,
            sleep_consistency_percentage=None,
            sleep_efficiency_percentage=DROP,
            respiratory_rate=DROP,
        )
    )

    assert not set(values(record)) & {
        "sleep_performance",
        "sleep_consistency",
        "sleep_efficiency",
        "respiratory_rate",
    }
    assert "sleep_total_minutes" in values(record)


def test_workout_without_distance_or_altitude_gives_no_readings_for_them():
    record = normalize_workout(
        with_score("workout", distance_meter=DROP, altitude_gain_meter=None, altitude_change_meter=DROP)
    )

    assert not {name for name in values(record) if name.endswith("meters")}


@pytest.mark.parametrize("record_type", RECORD_TYPES)
def test_quality_is_full_for_the_documented_examples(record_type):
    record = normalize(record_type, example(record_type))

    assert {reading.quality_score for reading in record.readings} == {1.0}


def test_a_calibrating_user_halves_recovery_quality():
    record = normalize_recovery(with_score("recovery", user_calibrating=True), None)

    assert {reading.quality_score for reading in record.readings} == {0.5}


def test_workout_quality_is_the_share_of_heart_rate_recorded():
    record = normalize_workout(with_score("workout", percent_recorded=80))

    assert {reading.quality_score for reading in record.readings} == {0.8}


def test_workout_quality_is_clamped_to_one():
    record = normalize_workout(with_score("workout", percent_recorded=120))

    assert {reading.quality_score for reading in record.readings} == {1.0}


def test_sleep_quality_drops_with_the_share_of_no_data_time():
    payload = example("sleep")
    payload["score"]["stage_summary"]["total_no_data_time_milli"] = 30272735 // 4

    record = normalize_sleep(payload)

    assert {reading.quality_score for reading in record.readings} == {0.75}


def test_sleep_quality_is_zero_when_there_was_no_data_at_all():
    payload = example("sleep")
    payload["score"]["stage_summary"]["total_in_bed_time_milli"] = 0
    payload["score"]["stage_summary"]["total_no_data_time_milli"] = 600_000

    record = normalize_sleep(payload)

    assert {reading.quality_score for reading in record.readings} == {0.0}


# ---------------------------------------------------------------------------------------------------
# Malformed payloads


def test_malformed_record_is_a_value_error_with_its_parts():
    with pytest.raises(ValueError) as caught:
        normalize_cycle(with_score("cycle", strain="high"))

    assert (caught.value.record_type, caught.value.record_id, caught.value.field) == (
        "cycle",
        "93845",
        "score.strain",
    )


@pytest.mark.parametrize(("record_type", "field"), [("cycle", "id"), ("sleep", "id"), ("workout", "id")])
def test_a_missing_id_is_named(record_type, field):
    payload = example(record_type)
    del payload[field]

    with pytest.raises(MalformedRecord, match=f"^{record_type} \\?: id: missing$"):
        normalize(record_type, payload)


def test_a_recovery_without_sleep_id_is_named():
    payload = example("recovery")
    del payload["sleep_id"]

    with pytest.raises(MalformedRecord, match=r"^recovery \?: sleep_id: missing$"):
        normalize("recovery", payload)


def test_a_v1_integer_sleep_id_is_refused():
    with pytest.raises(
        MalformedRecord, match=r"^recovery \?: sleep_id: expected a UUID string, got int 10235$"
    ):
        normalize_recovery(example("recovery", sleep_id=10235), None)


def test_a_string_cycle_id_is_refused():
    with pytest.raises(MalformedRecord, match=r"^cycle \?: id: expected an integer, got str '93845'$"):
        normalize_cycle(example("cycle", id="93845"))


def test_a_bad_timestamp_is_named_with_the_record():
    with pytest.raises(MalformedRecord, match=r"^cycle 93845: start: expected an ISO-8601 timestamp"):
        normalize_cycle(example("cycle", start="yesterday"))


def test_a_null_updated_at_is_named():
    with pytest.raises(MalformedRecord, match=r"^workout ecfc6a15-.*: updated_at: is null$"):
        normalize_workout(example("workout", updated_at=None))


def test_an_end_before_start_is_refused():
    with pytest.raises(MalformedRecord, match=r"^sleep ecfc6a15-.*: end: .* is before start"):
        normalize_sleep(example("sleep", end="2022-04-24T01:00:00.000Z"))


@pytest.mark.parametrize("strain", ["5.2", True, None, [5.2], float("nan")])
def test_a_strain_of_the_wrong_type_is_named(strain):
    with pytest.raises(MalformedRecord, match=r"^cycle 93845: score\.strain: "):
        normalize_cycle(with_score("cycle", strain=strain))


def test_a_strain_above_21_is_refused():
    with pytest.raises(
        MalformedRecord, match=r"^workout ecfc6a15-.*: score\.strain: 21\.5 is outside 0\.\.21"
    ):
        normalize_workout(with_score("workout", strain=21.5))


def test_a_percentage_above_100_is_refused():
    with pytest.raises(
        MalformedRecord, match=r"^recovery 123e4567-.*: score\.recovery_score: .*outside 0\.\.100"
    ):
        normalize_recovery(with_score("recovery", recovery_score=101), None)


def test_a_missing_required_score_field_is_named():
    payload = example("sleep")
    del payload["score"]["stage_summary"]["total_rem_sleep_time_milli"]

    with pytest.raises(MalformedRecord, match=r"score\.stage_summary\.total_rem_sleep_time_milli: missing$"):
        normalize_sleep(payload)


def test_a_v1_workout_without_zone_durations_is_refused():
    payload = with_score("workout", zone_durations=DROP, zone_duration={})

    with pytest.raises(MalformedRecord, match=r"score\.zone_durations: missing$"):
        normalize_workout(payload)


def test_a_non_boolean_user_calibrating_is_named():
    with pytest.raises(MalformedRecord, match=r"score\.user_calibrating: expected true or false"):
        normalize_recovery(with_score("recovery", user_calibrating="no"), None)


def test_an_unknown_score_state_is_named():
    with pytest.raises(MalformedRecord, match=r"^cycle 93845: score_state: expected one of"):
        normalize_cycle(example("cycle", score_state="DONE"))


def test_a_missing_score_state_is_named():
    payload = example("cycle")
    del payload["score_state"]

    with pytest.raises(MalformedRecord, match=r"^cycle 93845: score_state: missing$"):
        normalize_cycle(payload)


def test_a_bad_timezone_offset_is_named():
    with pytest.raises(MalformedRecord, match=r"^cycle 93845: timezone_offset: expected '\+hh:mm'"):
        normalize_cycle(example("cycle", timezone_offset="EST"))


def test_a_score_that_is_not_an_object_is_named():
    with pytest.raises(MalformedRecord, match=r"^cycle 93845: score: expected an object, got list"):
        normalize_cycle(example("cycle", score=[]))


def test_a_payload_that_is_not_an_object_is_refused():
    with pytest.raises(MalformedRecord, match=r"^sleep \?: payload: expected a JSON object, got list"):
        normalize("sleep", [SLEEP])


def test_an_unknown_record_type_is_refused():
    with pytest.raises(MalformedRecord, match=r"^body \?: record_type: unknown record type 'body'") as caught:
        normalize("body", example("cycle"))

    assert caught.value.field == "record_type"
