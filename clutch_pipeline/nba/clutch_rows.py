"""The rows of ``clutch_situations`` and ``clutch_player_actions`` for one game.

From what clutch detection kept of the game (``Derived``: its windows, the player actions inside them
with their estimated UTC times) and its season's shot model (expected points). Pure: it reads and writes
nothing; the caller looks up the UUIDs of the game, teams and players, and writes the rows in the column
orders of ``store.SITUATION_COLUMNS`` and ``store.PLAYER_ACTION_COLUMNS``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from clutch_pipeline.game_clock import format_clock
from clutch_pipeline.nba.clutch import ClutchWindow, PlayerClutchAction
from clutch_pipeline.nba.parse import PlayAction
from clutch_pipeline.nba.shots import ShotCounts, ShotModel
from clutch_pipeline.nba.times import EventTime

_SCORED_TYPES = ("field_goal_made", "field_goal_missed", "free_throw")


@dataclass
class Derived:
    """What clutch rows need of one parsed game, kept while the rest of the run loads (small), and
    which raw load it was read from (recorded with the rows in ``nba_clutch_derivations``)."""

    game_id: str
    source: str
    windows: list[ClutchWindow]
    window_times: dict[int, tuple[EventTime, EventTime]]
    player_actions: list[tuple[PlayerClutchAction, PlayAction, EventTime]]
    teams: dict[int, str | None]
    players: dict[int, str]
    unresolved_assists: int
    shot_counts: ShotCounts  # every field goal of the game, counted for the season's shot model
    free_throws: tuple[int, int]  # made, attempted
    content_sha256: str | None = None
    raw_loaded_at: datetime | None = None  # nba_game_loads.loaded_at of the raw actions it was read from


@dataclass(frozen=True)
class References:
    """The UUIDs a game's clutch rows point at: the game's, its teams' and players' (by NBA id)."""

    game: uuid.UUID
    teams: dict[int, uuid.UUID]
    players: dict[int, uuid.UUID]


def clutch_rows(item: Derived, refs: References, model: ShotModel | None) -> tuple[list[tuple], list[tuple]]:
    """The game's window rows and player-action rows, each window with a new UUID."""
    situation_ids = {window.number: uuid.uuid4() for window in item.windows}
    situations = [_situation_row(item, window, situation_ids[window.number], refs) for window in item.windows]
    actions = [
        _player_action_row(item, entry, situation_ids[entry[0].window_number], refs, model)
        for entry in item.player_actions
    ]
    return situations, actions


def _situation_row(item: Derived, window: ClutchWindow, situation_id: uuid.UUID, refs: References) -> tuple:
    first, last = item.window_times[window.number]
    margin = window.home_before - window.away_before
    # The less certain end speaks for the window.
    less_certain = max(first, last, key=lambda t: t.error_seconds)
    return (
        situation_id,
        refs.game,
        "overtime" if window.overtime else "clutch_time",
        first.at,
        max(last.at, first.at),
        format_clock(window.start_clock),
        format_clock(window.end_clock),
        window.period,
        margin,
        abs(margin),
        window.home_before,
        window.away_before,
        True,
        window.intensity,
        item.game_id[2] == "4",  # a playoff game
        False,  # elimination: needs series standings, which no source here gives
        f"nba_{item.source}",
        window.number,
        window.home_after - window.away_after,
        window.home_after,
        window.away_after,
        less_certain.method,
        less_certain.error_seconds,
    )


def _expected_points(model: ShotModel | None, pa: PlayerClutchAction, action: PlayAction) -> float | None:
    if model is None or pa.action_type not in _SCORED_TYPES:
        return None
    return round(model.action_expected_points(action), 3)


def _player_action_row(
    item: Derived,
    entry: tuple[PlayerClutchAction, PlayAction, EventTime],
    situation_id: uuid.UUID,
    refs: References,
    model: ShotModel | None,
) -> tuple:
    pa, action, at = entry
    expected = _expected_points(model, pa, action)
    return (
        uuid.uuid4(),
        situation_id,
        refs.game,
        refs.players[pa.person_id],
        at.at,
        pa.action_type,
        pa.subtype,
        pa.is_successful,
        pa.points,
        pa.shot_distance,
        pa.x,
        pa.y,
        expected,
        None if expected is None else round(pa.points - expected, 3),
        f"nba_{item.source}",
        refs.teams.get(pa.team_id) if pa.team_id else None,
        item.source,
        action.action_key,
        action.period,
        format_clock(action.clock_seconds),
        pa.margin_before,
        at.method,
        at.error_seconds,
    )
