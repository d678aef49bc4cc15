"""Parsing play-by-play at the edge: both formats, and clear errors for bad payloads."""

import json
from pathlib import Path

import pytest

from clutch_pipeline.nba.parse import MalformedPlayByPlay, loads_with_texts, parse_play_by_play

from .actions import made, v3

REFERENCE = Path(__file__).resolve().parents[2].parent / "shared" / "reference" / "nba"
DATA = Path(__file__).parent / "data"


def _sample(name: str) -> dict:
    for folder in (DATA, REFERENCE):
        if (folder / name).exists():
            return json.loads((folder / name).read_text())
    pytest.skip(f"{name} is in neither {DATA} nor {REFERENCE}")


def test_a_stats_v3_response_is_parsed_with_its_game_id():
    game = parse_play_by_play(_sample("playbyplayv3_0022200552.json"))

    assert (game.game_id, game.source, len(game.actions)) == ("0022200552", "v3", 560)
    assert game.actions[0].kind == "period_start"
    assert game.actions[-1].kind == "period_end" and game.actions[-1].period == 5


def test_v3_repeated_action_numbers_are_keyed_by_action_id():
    game = parse_play_by_play(_sample("playbyplayv3_0022200552.json"))
    numbers = [raw["actionNumber"] for raw in game.raw_actions]

    assert len(set(numbers)) < len(numbers)
    assert len({a.action_key for a in game.actions}) == len(game.actions)


def test_a_cdn_game_is_parsed_with_exact_utc_times_and_sides():
    game = parse_play_by_play(_sample("playbyplay_0022000001.json"))

    assert game.source == "cdn"
    assert all(
        a.time_actual is not None and a.time_actual.utcoffset().total_seconds() == 0 for a in game.actions
    )
    shots = [a for a in game.actions if a.kind == "field_goal"]
    assert {a.location for a in shots} == {"h", "v"}
    assert any(a.assist_person_id for a in shots)


def test_a_bare_array_needs_a_game_id():
    with pytest.raises(MalformedPlayByPlay, match="no game id"):
        parse_play_by_play([made(1, home=2, away=0)])


def test_padded_action_types_are_stripped():
    raw = v3(1, action_type="Foul                                    ", description="Mitchell P.FOUL")

    assert parse_play_by_play([raw], game_id="0022200001").actions[0].kind == "foul"


def test_a_missing_field_is_named_with_the_game_and_the_action():
    raw = made(1, home=2, away=0)
    del raw["clock"]

    with pytest.raises(MalformedPlayByPlay, match=r"game 0022200001: action #0: field 'clock' is missing"):
        parse_play_by_play([raw], game_id="0022200001")


def test_a_bad_clock_is_named():
    raw = v3(1, clock="soon")

    with pytest.raises(MalformedPlayByPlay, match="not a game clock"):
        parse_play_by_play([raw], game_id="0022200001")


@pytest.mark.parametrize("payload", [{}, {"game": {}}, "text", [1, 2]])
def test_payloads_of_the_wrong_shape_are_rejected(payload):
    with pytest.raises(MalformedPlayByPlay):
        parse_play_by_play(payload, game_id="0022200001")


def test_a_payload_for_another_game_is_rejected():
    with pytest.raises(MalformedPlayByPlay, match="is for game 0022200552"):
        parse_play_by_play(_sample("playbyplayv3_0022200552.json"), game_id="0022200001")


def test_free_throw_misses_are_known_from_the_description():
    made_ft = v3(1, action_type="Free Throw", description="Mitchell Free Throw 1 of 2 (1 PTS)")
    missed_ft = v3(2, action_type="Free Throw", description="MISS Mitchell Free Throw 2 of 2")

    actions = parse_play_by_play([made_ft, missed_ft], game_id="0022200001").actions

    assert [a.made for a in actions] == [True, False]


def test_three_pointers_are_known_without_shot_value():
    raw = made(1, home=3, away=0, value=3)
    raw.pop("shotValue")

    assert parse_play_by_play([raw], game_id="0022200001").actions[0].shot_value == 3


@pytest.mark.parametrize(
    ("document", "texts"),
    [
        ('[\n  {"a": 1},\n  {"b": "x\\\\y"}\n]\n', ['{"a": 1}', '{"b": "x\\\\y"}']),
        ("[]", []),
        ('[{"a": "\\u00e9"}, {}]', ['{"a": "\\u00e9"}', "{}"]),
        # Braces that do not delimit the array's objects: no texts, the caller serializes.
        ('[{"a": "}"}]', None),
        ('[{"a": {}}]', None),
        ('[1, {"a": 2}]', None),
        ('{"game": {"actions": []}}', None),
    ],
)
def test_each_actions_text_is_kept_as_it_stands_in_the_document(document, texts):
    parsed, found = loads_with_texts(document.encode())

    assert parsed == json.loads(document)
    assert found == texts


@pytest.mark.parametrize("document", ["[1, 2", "[1] x", "", '[{"a": 1},]'])
def test_a_document_that_is_not_json_fails_as_json_loads_fails(document):
    with pytest.raises(json.JSONDecodeError) as theirs:
        json.loads(document)
    with pytest.raises(json.JSONDecodeError) as ours:
        loads_with_texts(document.encode())
    assert str(ours.value) == str(theirs.value)
