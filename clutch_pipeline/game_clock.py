"""Game clocks: ``PT04M59.00S`` (v3 and CDN) or ``4:59`` (legacy) to seconds, and period lengths.

Regulation periods last 12:00 and overtimes 5:00 (periods 5, 6, ...), as pbpstats hard-codes them.
"""

from __future__ import annotations

import re

REGULATION_PERIODS = 4
REGULATION_PERIOD_SECONDS = 720.0
OVERTIME_PERIOD_SECONDS = 300.0

_ISO = re.compile(r"^PT(\d+)M(\d+(?:\.\d+)?)S$")
_LEGACY = re.compile(r"^(\d+):(\d+(?:\.\d+)?)$")


def parse_clock(text: str) -> float:
    """Seconds left in the period: ``PT04M59.00S`` -> 299.0, ``PT00M00.40S`` -> 0.4, ``4:59`` -> 299.0."""
    if len(text) == 11 and text[:2] == "PT" and text[4] == "M" and text[10] == "S":
        try:  # the one shape both feeds use, read without a regex (a season has 600,000 of them)
            return int(text[2:4]) * 60 + float(text[5:10])
        except ValueError:
            pass
    match = _ISO.match(text) or _LEGACY.match(text)
    if not match:
        raise ValueError(f"not a game clock: {text!r}")
    return int(match.group(1)) * 60 + float(match.group(2))


def format_clock(seconds: float) -> str:
    """``299.0`` -> ``4:59``; tenths under a minute, as broadcasts show them (``0:24.6``)."""
    if seconds >= 60:
        minutes, rest = divmod(round(seconds), 60)
        return f"{minutes}:{rest:02d}"
    return f"0:{seconds:04.1f}" if seconds != int(seconds) else f"0:{int(seconds):02d}"


def period_seconds(period: int) -> float:
    return REGULATION_PERIOD_SECONDS if period <= REGULATION_PERIODS else OVERTIME_PERIOD_SECONDS


def elapsed_game_seconds(period: int, clock_seconds: float) -> float:
    """Seconds of game time played before this moment, across periods (for ordering and time models)."""
    regulation = min(period - 1, REGULATION_PERIODS)
    overtimes = max(period - 1 - REGULATION_PERIODS, 0)
    played = regulation * REGULATION_PERIOD_SECONDS + overtimes * OVERTIME_PERIOD_SECONDS
    return played + period_seconds(period) - clock_seconds
