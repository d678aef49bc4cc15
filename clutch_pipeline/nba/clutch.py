"""The NBA's clutch rule, clutch windows, and the player actions inside them.

The rule: an action is clutch when it happens in the 4th period or an overtime, with 5:00 or less on
the clock (5:00 included), and the score margin before it is 5 or less. The margin is taken from the
score BEFORE the action, carried forward from the last action that showed a score (stats v3 leaves the
score blank on non-scoring rows). Checked against the NBA's official 2022-23 totals (docs/nba.md).

A window is a run of consecutive clutch actions within one period: it opens with the first clutch
action and ends with the last one before the game leaves clutch time (or the period ends).

``clutch_intensity`` of a window is the largest, over its actions, of

    0.5 * (1 - clock_seconds / 300) + 0.5 * (1 - |margin| / 6)

so 0 time left in a tie scores 1.0, and 5:00 left with a 5-point margin scores 0.08.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from clutch_pipeline.game_clock import REGULATION_PERIODS
from clutch_pipeline.nba.parse import PlayAction

CLUTCH_SECONDS = 300.0
CLUTCH_MARGIN = 5


def is_clutch(period: int, clock_seconds: float, margin_before: int) -> bool:
    return (
        period >= REGULATION_PERIODS
        and clock_seconds <= CLUTCH_SECONDS
        and abs(margin_before) <= CLUTCH_MARGIN
    )


def intensity(clock_seconds: float, margin: int) -> float:
    time_part = 1 - min(clock_seconds, CLUTCH_SECONDS) / CLUTCH_SECONDS
    margin_part = 1 - min(abs(margin), CLUTCH_MARGIN + 1) / (CLUTCH_MARGIN + 1)
    return round(0.5 * time_part + 0.5 * margin_part, 2)


def scores_before(actions: Sequence[PlayAction]) -> list[tuple[int, int]]:
    """(home, away) before each action, carried from the last action that showed a score."""
    home = away = 0
    result = []
    for action in actions:
        result.append((home, away))
        if action.score_home is not None and action.score_away is not None:
            home, away = action.score_home, action.score_away
    return result


@dataclass
class ClutchWindow:
    number: int
    period: int
    first: int  # index of the first action in the window
    last: int  # index of the last
    start_clock: float
    end_clock: float
    home_before: int
    away_before: int
    home_after: int
    away_after: int
    intensity: float

    @property
    def overtime(self) -> bool:
        return self.period > REGULATION_PERIODS


@dataclass(frozen=True)
class PlayerClutchAction:
    window_number: int
    index: int  # of the source action in the game
    person_id: int
    team_id: int | None
    action_type: str  # the seed's vocabulary
    subtype: str | None
    is_successful: bool | None
    points: int
    margin_before: int  # the actor's team minus the opponent
    shot_distance: float | None = None
    x: float | None = None
    y: float | None = None


@dataclass
class GameClutch:
    windows: list[ClutchWindow]
    player_actions: list[PlayerClutchAction]
    home_team_id: int | None
    clutch_action_count: int = 0
    unresolved_assists: list[str] = field(default_factory=list)
    unknown_actions: int = 0


def home_team_id(actions: Sequence[PlayAction]) -> int | None:
    for action in actions:
        if action.location == "h" and action.team_id is not None:
            return action.team_id
    return None


def find_windows(actions: Sequence[PlayAction], before: Sequence[tuple[int, int]]) -> list[ClutchWindow]:
    windows: list[ClutchWindow] = []
    current: ClutchWindow | None = None
    for index, action in enumerate(actions):
        home, away = before[index]
        clutch = is_clutch(action.period, action.clock_seconds, home - away)
        if current is not None and (not clutch or action.period != current.period):
            windows.append(current)
            current = None
        if not clutch:
            continue
        if current is None:
            current = ClutchWindow(
                number=len(windows) + 1,
                period=action.period,
                first=index,
                last=index,
                start_clock=action.clock_seconds,
                end_clock=action.clock_seconds,
                home_before=home,
                away_before=away,
                home_after=home,
                away_after=away,
                intensity=0.0,
            )
        current.last = index
        current.end_clock = action.clock_seconds
        after = before[index + 1] if index + 1 < len(before) else _score_after(action, home, away)
        current.home_after, current.away_after = after
        current.intensity = max(current.intensity, intensity(action.clock_seconds, home - away))
    if current is not None:
        windows.append(current)
    return windows


def _score_after(action: PlayAction, home: int, away: int) -> tuple[int, int]:
    if action.score_home is not None and action.score_away is not None:
        return action.score_home, action.score_away
    return home, away


_SHOT_SUBTYPES = (
    ("dunk", "dunk"),
    ("layup", "layup"),
    ("hook", "hook_shot"),
    ("tip", "tip_shot"),
    ("alley oop", "alley_oop"),
    ("floating", "floater"),
    ("floater", "floater"),
    ("jump", "jump_shot"),
    ("fadeaway", "jump_shot"),
    ("pullup", "jump_shot"),
    ("step back", "jump_shot"),
)


def shot_subtype(action: PlayAction) -> str:
    if action.shot_value == 3:
        return "three_pointer"
    text = f"{action.sub_type} {action.description}".lower()
    for needle, subtype in _SHOT_SUBTYPES:
        if needle in text:
            return subtype
    return "other_shot"


def _snake(text: str) -> str | None:
    cleaned = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
    return cleaned or None


class _Roster:
    """Who played for whom in this game, to resolve v3 assists given only by surname."""

    def __init__(self, actions: Sequence[PlayAction]):
        # Assists name the player by surname ("Love"), or by initial and surname where the league has
        # two players of that surname ("D. Green"); player_name is the initial form.
        self.by_name: dict[tuple[int, str], set[int]] = defaultdict(set)
        self.assists: dict[int, int] = defaultdict(int)
        for action in actions:
            if action.person_id and action.team_id and not action.is_team_action and action.player_name:
                name = action.player_name.lower()
                self.by_name[(action.team_id, name)].add(action.person_id)
                self.by_name[(action.team_id, name.split(". ", 1)[-1])].add(action.person_id)

    def resolve(self, team_id: int, description: str, name: str) -> int | None:
        candidates = self.by_name.get((team_id, name.lower()), set())
        if len(candidates) > 1:
            # Two players of one surname: "(Holiday 3 AST)" names the assister's running total.
            match = re.search(rf"\({re.escape(name)} (\d+) AST\)", description)
            count = int(match.group(1)) if match else None
            candidates = {c for c in candidates if count is not None and self.assists[c] + 1 == count}
        if len(candidates) != 1:
            return None
        (person_id,) = candidates
        self.assists[person_id] += 1
        return person_id


def _team_margin(action_team: int | None, home_team: int | None, home: int, away: int) -> int:
    margin = home - away
    return margin if action_team is None or action_team == home_team else -margin


def _offensive(actions: Sequence[PlayAction], index: int) -> bool | None:
    rebound = actions[index]
    for previous in reversed(actions[max(0, index - 4) : index]):
        if previous.kind in ("field_goal", "free_throw") and previous.made is False:
            return previous.team_id == rebound.team_id
    return None


def detect_clutch(actions: Sequence[PlayAction]) -> GameClutch:
    """Windows and player actions of one game's actions (in game order)."""
    before = scores_before(actions)
    windows = find_windows(actions, before)
    home_team = home_team_id(actions)
    roster = _Roster(actions)
    result = GameClutch(windows=windows, player_actions=[], home_team_id=home_team)
    result.unknown_actions = sum(1 for a in actions if a.kind == "unknown")
    window_of = {i: w.number for w in windows for i in range(w.first, w.last + 1)}
    # Assists are credited in game order so running totals line up, clutch or not.
    for index, action in enumerate(actions):
        window = window_of.get(index)
        if window is not None:
            result.clutch_action_count += 1
        if action.kind == "field_goal" and action.made and action.assist_name and action.team_id:
            assister = roster.resolve(action.team_id, action.description, action.assist_name)
            if window is not None and assister is None:
                result.unresolved_assists.append(f"{action.action_key}: {action.assist_name}")
            elif window is not None:
                result.player_actions.append(
                    _player_action(actions, index, before, home_team, window, "assist", assister)
                )
        if window is None:
            continue
        if action.kind == "field_goal" and action.made and action.assist_person_id:
            result.player_actions.append(
                _player_action(actions, index, before, home_team, window, "assist", action.assist_person_id)
            )
        own = _own_action(actions, index, before, home_team, window)
        if own is not None:
            result.player_actions.append(own)
    return result


def _player_action(
    actions: Sequence[PlayAction],
    index: int,
    before: Sequence[tuple[int, int]],
    home_team: int | None,
    window: int,
    action_type: str,
    person_id: int,
    *,
    subtype: str | None = None,
    successful: bool | None = None,
    points: int = 0,
    shot: bool = False,
) -> PlayerClutchAction:
    action = actions[index]
    home, away = before[index]
    return PlayerClutchAction(
        window_number=window,
        index=index,
        person_id=person_id,
        team_id=action.team_id,
        action_type=action_type,
        subtype=subtype,
        is_successful=successful,
        points=points,
        margin_before=_team_margin(action.team_id, home_team, home, away),
        shot_distance=action.shot_distance if shot else None,
        x=action.x if shot else None,
        y=action.y if shot else None,
    )


def _own_action(
    actions: Sequence[PlayAction],
    index: int,
    before: Sequence[tuple[int, int]],
    home_team: int | None,
    window: int,
) -> PlayerClutchAction | None:
    """The action's own player action in the seed's vocabulary, or None (team actions, fouls, ...)."""
    action = actions[index]
    if not action.person_id or action.is_team_action:
        return None
    args = (actions, index, before, home_team, window)
    if action.kind == "field_goal":
        return _player_action(
            *args,
            "field_goal_made" if action.made else "field_goal_missed",
            action.person_id,
            subtype=shot_subtype(action),
            successful=bool(action.made),
            points=action.shot_value if action.made else 0,
            shot=True,
        )
    if action.kind == "free_throw":
        return _player_action(
            *args,
            "free_throw",
            action.person_id,
            subtype=_snake(action.sub_type),
            successful=bool(action.made),
            points=1 if action.made else 0,
        )
    if action.kind == "rebound":
        offensive = _offensive(actions, index)
        subtype = None if offensive is None else ("offensive" if offensive else "defensive")
        return _player_action(*args, "rebound", action.person_id, subtype=subtype)
    if action.kind == "turnover":
        return _player_action(*args, "turnover", action.person_id, subtype=_snake(action.sub_type))
    if action.kind in ("steal", "block"):
        return _player_action(*args, action.kind, action.person_id)
    return None
