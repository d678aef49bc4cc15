"""Game clocks."""

import pytest

from clutch_pipeline.game_clock import elapsed_game_seconds, format_clock, parse_clock


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("PT04M59.00S", 299.0),
        ("PT12M00.00S", 720.0),
        ("PT00M00.40S", 0.4),
        ("PT05M00.00S", 300.0),
        ("4:59", 299.0),
    ],
)
def test_clocks_parse_to_seconds_left(text, seconds):
    assert parse_clock(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "PT4:59", "five minutes", "PT04M"])
def test_a_malformed_clock_is_an_error(text):
    with pytest.raises(ValueError, match="not a game clock"):
        parse_clock(text)


def test_overtime_periods_last_five_minutes():
    assert elapsed_game_seconds(5, 300.0) == 4 * 720
    assert elapsed_game_seconds(6, 0.0) == 4 * 720 + 2 * 300


@pytest.mark.parametrize(
    ("seconds", "text"), [(299.0, "4:59"), (300.0, "5:00"), (24.6, "0:24.6"), (5.0, "0:05")]
)
def test_clocks_format_as_broadcasts_show_them(seconds, text):
    assert format_clock(seconds) == text
