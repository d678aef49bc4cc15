"""Play-by-play payloads (stats ``playbyplayv3``, nba.com bare arrays, CDN liveData) to typed actions.

Parsing happens at the edge: a malformed payload fails here with the game, the action's position and
the field's name. The two formats name things differently; ``PlayAction.kind`` is one vocabulary for
both, and anything else is kept with ``kind == "unknown"`` (counted by callers, never dropped).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from clutch_pipeline.game_clock import parse_clock

TEAM_ID_MIN, TEAM_ID_MAX = 1610612700, 1610612799
SOURCE_V3 = "v3"
SOURCE_CDN = "cdn"

KINDS = (
    "field_goal",
    "free_throw",
    "rebound",
    "turnover",
    "foul",
    "steal",
    "block",
    "substitution",
    "timeout",
    "jump_ball",
    "violation",
    "replay",
    "ejection",
    "stoppage",
    "period_start",
    "period_end",
    "game_end",
    "unknown",
)

_V3_KINDS = {
    "Made Shot": "field_goal",
    "Missed Shot": "field_goal",
    "Free Throw": "free_throw",
    "Rebound": "rebound",
    "Turnover": "turnover",
    "Foul": "foul",
    "Substitution": "substitution",
    "Timeout": "timeout",
    "Jump Ball": "jump_ball",
    "Violation": "violation",
    "Instant Replay": "replay",
    "Ejection": "ejection",
}

_CDN_KINDS = {
    "2pt": "field_goal",
    "3pt": "field_goal",
    "freethrow": "free_throw",
    "rebound": "rebound",
    "turnover": "turnover",
    "foul": "foul",
    "steal": "steal",
    "block": "block",
    "substitution": "substitution",
    "timeout": "timeout",
    "jumpball": "jump_ball",
    "violation": "violation",
    "instantreplay": "replay",
    "ejection": "ejection",
    "stoppage": "stoppage",
    "game": "game_end",
}

# "(Love 1 AST)" at the end of a made shot's description: the assist, by surname only.
_ASSIST = re.compile(r"\(([^()]+?) \d+ AST\)\s*$")


class MalformedPlayByPlay(ValueError):
    """A payload that cannot be read; the message names the game, the action and the field."""

    def __init__(self, game_id: str | None, message: str):
        super().__init__(f"game {game_id or '?'}: {message}")
        self.game_id = game_id


# Not frozen: a season builds 600,000 of these, and a frozen dataclass's __init__ costs three times as
# much (every field through object.__setattr__). Nothing changes an action once it is parsed.
@dataclass(slots=True)
class PlayAction:
    source: str  # "v3" or "cdn"
    action_key: int  # the source's unique key: actionId (v3), actionNumber (CDN)
    order: int  # position in the game's sequence, from 0
    period: int
    clock_seconds: float  # seconds left in the period
    kind: str  # one of KINDS
    raw_type: str  # the source's actionType, stripped
    sub_type: str
    description: str
    team_id: int | None
    person_id: int | None
    player_name: str | None
    location: str | None  # "h" home, "v" visitor (v3); derived from the team on CDN actions
    score_home: int | None  # None where the source leaves it blank
    score_away: int | None
    made: bool | None  # field goals and free throws
    shot_value: int  # 3, 2, 1 (free throw), 0
    shot_distance: float | None
    x: float | None
    y: float | None
    time_actual: datetime | None  # UTC, CDN only
    assist_person_id: int | None = None  # CDN names them; v3 gives only assist_name
    assist_name: str | None = None
    steal_person_id: int | None = None
    block_person_id: int | None = None

    @property
    def is_team_action(self) -> bool:
        """Team rebounds, turnovers and timeouts carry the team's id where a player's would be (v3 then
        leaves teamId 0). NBA team ids are 16106127xx; no person id is in that range."""
        return self.person_id is not None and (
            self.person_id == self.team_id or TEAM_ID_MIN <= self.person_id <= TEAM_ID_MAX
        )


@dataclass(frozen=True)
class GamePlayByPlay:
    game_id: str
    source: str
    actions: list[PlayAction]
    raw_actions: list[dict]  # as they came, aligned with ``actions``


def loads_with_texts(data: bytes | str) -> tuple[object, list[str] | None]:
    """``json.loads(data)``, and when the document is an array of objects whose only braces are their own
    (nba.com's bare arrays of flat actions), the text of each object as it stands in the document, so
    the raw table can store each action as it came instead of serializing it again. Raises what
    ``json.loads`` raises on the same input.

    When every ``{`` and ``}`` of a valid document delimits one of the array's objects (as many of each
    as objects: no nested object, no brace inside a string), the objects' texts are exactly what lies
    between each ``{`` and the next ``}``. Otherwise (None) the caller serializes the parsed objects."""
    text = data.decode(json.detect_encoding(data), "surrogatepass") if isinstance(data, bytes) else data
    items = json.loads(text)
    if not (
        isinstance(items, list)
        and text.count("{") == len(items) == text.count("}")
        and all(type(item) is dict for item in items)
    ):
        return items, None
    return items, [part[part.index("{") :] + "}" for part in text.split("}")[:-1]]


def _int_or_none(value) -> int | None:
    if value in (None, ""):
        return None
    number = int(value)
    return number or None


def _score(value) -> int | None:
    if value in (None, ""):
        return None
    return int(value)


def _float_or_none(value) -> float | None:
    if value in (None, ""):
        return None
    return float(value)


def _v3_action(raw: dict, order: int) -> PlayAction:
    # Hot path: a season is 600,000 of these, so fields are read once and without helper calls.
    raw_type = raw["actionType"].strip()
    description = raw["description"] or ""
    sub_type = raw.get("subType") or ""
    kind = _V3_KINDS.get(raw_type)
    if kind is None:
        if raw_type == "period":
            kind = "period_start" if sub_type.strip() == "start" else "period_end"
        elif raw_type == "" and "STEAL" in description:
            kind = "steal"
        elif raw_type == "" and "BLOCK" in description:
            kind = "block"
        else:
            kind = "unknown"
    made: bool | None = None
    shot_value = 0
    assist_name = None
    shot_distance = x = y = None
    if kind == "field_goal":
        made = raw_type == "Made Shot"
        shot_value = int(raw.get("shotValue") or 0) or (3 if "3PT" in description else 2)
        if made and "AST)" in description:
            match = _ASSIST.search(description)
            assist_name = match.group(1) if match else None
        shot_distance = _float_or_none(raw.get("shotDistance"))
        x = _float_or_none(raw.get("xLegacy"))
        y = _float_or_none(raw.get("yLegacy"))
    elif kind == "free_throw":
        made = not description.startswith("MISS")
        shot_value = 1
    team_id = raw.get("teamId") or None
    person_id = raw.get("personId") or None
    score_home = raw.get("scoreHome")
    score_away = raw.get("scoreAway")
    return PlayAction(
        source=SOURCE_V3,
        action_key=int(raw["actionId"]),
        order=order,
        period=int(raw["period"]),
        clock_seconds=parse_clock(raw["clock"]),
        kind=kind,
        raw_type=raw_type,
        sub_type=sub_type.strip(),
        description=description,
        team_id=int(team_id) if team_id is not None else None,
        person_id=int(person_id) if person_id is not None else None,
        player_name=(raw.get("playerNameI") or raw.get("playerName") or None),
        location=raw.get("location") or None,
        score_home=int(score_home) if score_home not in (None, "") else None,
        score_away=int(score_away) if score_away not in (None, "") else None,
        made=made,
        shot_value=shot_value,
        shot_distance=shot_distance,
        x=x,
        y=y,
        time_actual=None,
        assist_name=assist_name,
    )


def _cdn_action(raw: dict, order: int, home_team_id: int | None) -> PlayAction:
    raw_type = (raw.get("actionType") or "").strip()
    sub_type = (raw.get("subType") or "").strip()
    kind = _CDN_KINDS.get(raw_type)
    if kind is None and raw_type == "period":
        kind = "period_start" if sub_type == "start" else "period_end"
    kind = kind or "unknown"
    made: bool | None = None
    shot_value = 0
    if kind in ("field_goal", "free_throw"):
        made = raw.get("shotResult") == "Made"
        shot_value = 1 if kind == "free_throw" else (3 if raw_type == "3pt" else 2)
    team_id = _int_or_none(raw.get("teamId"))
    location = None
    if team_id is not None and home_team_id is not None:
        location = "h" if team_id == home_team_id else "v"
    time_actual = raw.get("timeActual")
    return PlayAction(
        source=SOURCE_CDN,
        action_key=int(raw["actionNumber"]),
        order=order,
        period=int(raw["period"]),
        clock_seconds=parse_clock(raw["clock"]),
        kind=kind,
        raw_type=raw_type,
        sub_type=sub_type,
        description=raw.get("description") or "",
        team_id=team_id,
        person_id=_int_or_none(raw.get("personId")),
        player_name=raw.get("playerNameI") or raw.get("playerName") or None,
        location=location,
        score_home=_score(raw.get("scoreHome")),
        score_away=_score(raw.get("scoreAway")),
        made=made,
        shot_value=shot_value,
        shot_distance=_float_or_none(raw.get("shotDistance")),
        x=_float_or_none(raw.get("xLegacy")),
        y=_float_or_none(raw.get("yLegacy")),
        time_actual=datetime.fromisoformat(time_actual.replace("Z", "+00:00")) if time_actual else None,
        assist_person_id=_int_or_none(raw.get("assistPersonId")),
        steal_person_id=_int_or_none(raw.get("stealPersonId")),
        block_person_id=_int_or_none(raw.get("blockPersonId")),
    )


def _actions_of(payload, game_id: str | None) -> tuple[str | None, list]:
    if isinstance(payload, list):
        return game_id, payload
    if isinstance(payload, dict) and isinstance(payload.get("game"), dict):
        game = payload["game"]
        actions = game.get("actions")
        if not isinstance(actions, list):
            raise MalformedPlayByPlay(game_id, "field 'game.actions' is missing or not a list")
        found = str(game.get("gameId") or "") or None
        if game_id and found and found != game_id:
            raise MalformedPlayByPlay(game_id, f"payload is for game {found}")
        return game_id or found, actions
    raise MalformedPlayByPlay(game_id, "expected a list of actions or an object with 'game.actions'")


def _detect_source(actions: Sequence[dict]) -> str:
    for raw in actions:
        if isinstance(raw, dict):
            return SOURCE_CDN if "timeActual" in raw or "orderNumber" in raw else SOURCE_V3
    return SOURCE_V3


def _cdn_home_team(actions: Iterable[dict]) -> int | None:
    # CDN actions name the team but not the side; the home team is the one whose scoring moves scoreHome.
    previous = 0
    for raw in actions:
        try:
            home = int(raw.get("scoreHome") or 0)
        except (TypeError, ValueError):
            continue
        if home > previous and raw.get("teamId"):
            return int(raw["teamId"])
        previous = home
    return None


def parse_play_by_play(payload, *, game_id: str | None = None, source: str | None = None) -> GamePlayByPlay:
    """Parse one game's play-by-play; ``game_id`` is required for bare arrays, which do not carry it."""
    game_id, raw_actions = _actions_of(payload, game_id)
    if not game_id:
        raise MalformedPlayByPlay(None, "no game id: bare action arrays need one from the manifest")
    if not raw_actions:
        raise MalformedPlayByPlay(game_id, "no actions")
    source = source or _detect_source(raw_actions)
    home_team = _cdn_home_team(raw_actions) if source == SOURCE_CDN else None
    actions = []
    for order, raw in enumerate(raw_actions):
        if not isinstance(raw, dict):
            raise MalformedPlayByPlay(game_id, f"action #{order} is not an object")
        try:
            if source == SOURCE_CDN:
                actions.append(_cdn_action(raw, order, home_team))
            else:
                actions.append(_v3_action(raw, order))
        except KeyError as exc:
            raise MalformedPlayByPlay(game_id, f"action #{order}: field {exc.args[0]!r} is missing") from None
        except (TypeError, ValueError) as exc:
            raise MalformedPlayByPlay(game_id, f"action #{order}: {exc}") from None
    keys = [a.action_key for a in actions]
    if len(set(keys)) != len(keys):
        raise MalformedPlayByPlay(game_id, f"repeated {source} action keys")
    return GamePlayByPlay(game_id=game_id, source=source, actions=actions, raw_actions=raw_actions)
