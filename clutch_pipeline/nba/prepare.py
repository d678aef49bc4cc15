"""One game, from what a source delivered to what a load writes: the CPU-heavy part of a load.

``prepare`` decodes and parses a game, then builds what its writes need: the ``games`` row, the teams
and players it names and who played for which team, its raw actions as COPY rows, and (when clutch rows
are wanted) what they need of it (``clutch_rows.Derived``). It reads and writes no table, and takes and
returns plain data, so it runs on worker processes for big loads (``workers.py``).
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from clutch_pipeline.nba import store
from clutch_pipeline.nba.archive import decode_file
from clutch_pipeline.nba.clutch import detect_clutch, home_team_id
from clutch_pipeline.nba.clutch_rows import Derived
from clutch_pipeline.nba.parse import SOURCE_CDN, GamePlayByPlay, MalformedPlayByPlay, parse_play_by_play
from clutch_pipeline.nba.shots import count_shots, shot_from_action
from clutch_pipeline.nba.times import estimate_event_times, exact_anchors, wall_clock_anchors

EASTERN = ZoneInfo("America/New_York")
# Kinds whose actor is a player on the court (fouls and technicals can name coaches).
_PLAYER_KINDS = {
    "field_goal",
    "free_throw",
    "rebound",
    "turnover",
    "steal",
    "block",
    "substitution",
    "jump_ball",
}


@dataclass(frozen=True)
class GameInput:
    """One game as a source delivered it: the parsed JSON, or why it could not be read."""

    game_id: str
    origin: str
    payload: object | None
    game_date: date | None = None
    final: bool | None = None  # None: read it from the actions (the game-end row, or a decided 4th+)
    error: str | None = None
    content_sha256: str | None = None
    source: str | None = None  # "v3" or "cdn"; detected from the payload when None
    # When the payload is a bare array: each action's text as read, stored in the raw table as it is
    # instead of serializing the parsed action again.
    raw_texts: list[str] | None = None
    undecoded: tuple[str, bytes] | None = None  # (file name, bytes) of JSON the loader decodes


@dataclass(frozen=True)
class Task:
    """What a load does with one game: with ``raw``, build its raw rows, game row and who played (to
    write them); with ``derive``, what its clutch rows need. Neither: it is unchanged since its last
    load, and there is nothing to do."""

    game: GameInput
    game_date: date | None  # the manifest's, else the stored game's; None: read from CDN actions
    raw: bool = True
    derive: bool = True


@dataclass
class Prepared:
    """One game ready to write, from a worker: everything the writes and clutch rows need, and no
    parsed action beyond the few clutch rows keep (small to send between processes)."""

    game: GameInput  # without its payload
    unchanged: bool = False
    error: str | None = None
    source: str | None = None
    actions: int = 0
    unknown_actions: int = 0
    game_row: store.GameRow | None = None
    teams: dict[int, str | None] = field(default_factory=dict)
    players: dict[int, str] = field(default_factory=dict)
    player_teams: dict[int, int] = field(default_factory=dict)
    raw_rows: bytes = b""  # COPY rows of nba_raw_actions
    derived: Derived | None = None


def prepare(task: Task) -> Prepared:
    """Decode and parse one game, and build what its ``task`` asks for; a game that cannot be read or
    parsed comes back with its error."""
    game = task.game
    bare = dataclasses.replace(game, payload=None, raw_texts=None, undecoded=None)
    if not (task.raw or task.derive):
        return Prepared(bare, unchanged=True)
    try:
        if game.undecoded is not None:
            payload, texts, error = decode_file(*game.undecoded)
            game = dataclasses.replace(game, payload=payload, raw_texts=texts, error=error, undecoded=None)
        pbp, game_date = _parse(game, task.game_date)
        game_row = _game_row(game, pbp, game_date) if task.raw else None
        derived = _derived(game, pbp, game_date) if task.derive else None
    except MalformedPlayByPlay as exc:
        return Prepared(bare, error=str(exc))
    teams, players, player_teams = _people(pbp)
    if derived is not None:
        derived.teams, derived.players = teams, players
    raw_rows = b""
    if task.raw:
        texts = game.raw_texts if pbp.raw_actions is game.payload else None
        keys = [a.action_key for a in pbp.actions]
        raw_rows = store.raw_action_rows(game.game_id, pbp.source, keys, pbp.raw_actions, texts)
    return Prepared(
        bare,
        source=pbp.source,
        actions=len(pbp.actions),
        unknown_actions=sum(1 for a in pbp.actions if a.kind == "unknown"),
        game_row=game_row,
        teams=teams,
        players=players,
        player_teams=player_teams,
        raw_rows=raw_rows,
        derived=derived,
    )


def _parse(game: GameInput, game_date: date | None) -> tuple[GamePlayByPlay, date]:
    if game.error:
        raise MalformedPlayByPlay(game.game_id, game.error)
    pbp = parse_play_by_play(game.payload, game_id=game.game_id, source=game.source)
    if game_date is None:
        # CDN actions carry UTC times: the game's date is the US-Eastern date of its first action.
        first = next((a.time_actual for a in pbp.actions if a.time_actual), None)
        game_date = first.astimezone(EASTERN).date() if first else None
    if game_date is None:
        raise MalformedPlayByPlay(
            game.game_id, "game date unknown: add game_date to the manifest, or load the schedule first"
        )
    if home_team_id(pbp.actions) is None:
        raise MalformedPlayByPlay(game.game_id, "no action names the home team")
    return pbp, game_date


def _tipoff(pbp: GamePlayByPlay, game_date: date) -> datetime | None:
    """The first period's start: exact on CDN actions, from its wall-clock label on v3."""
    anchors = (
        exact_anchors(pbp.actions) if pbp.source == SOURCE_CDN else wall_clock_anchors(pbp.actions, game_date)
    )
    for anchor in anchors:
        if pbp.actions[anchor.index].kind == "period_start":
            return anchor.at
    return None


def _is_final(game: GameInput, pbp: GamePlayByPlay) -> bool:
    if game.final is not None:
        return game.final
    actions = pbp.actions
    if any(a.kind == "game_end" for a in actions):
        return True
    last = actions[-1]
    scored = next((a for a in reversed(actions) if a.score_home is not None), None)
    return (
        last.kind == "period_end"
        and last.period >= 4
        and scored is not None
        and scored.score_home != scored.score_away
    )


def _game_row(game: GameInput, pbp: GamePlayByPlay, game_date: date) -> store.GameRow:
    actions = pbp.actions
    home = home_team_id(actions)
    away = next((a.team_id for a in actions if a.location == "v" and a.team_id), None)
    if home is None or away is None:
        raise MalformedPlayByPlay(game.game_id, "cannot tell the home and away teams apart")
    last_scored = next((a for a in reversed(actions) if a.score_home is not None), None)
    return store.GameRow(
        nba_game_id=game.game_id,
        home_team=home,
        away_team=away,
        game_date=game_date,
        tipoff_at=_tipoff(pbp, game_date),
        status="final" if _is_final(game, pbp) else "in_progress",
        home_score=last_scored.score_home if last_scored else None,
        away_score=last_scored.score_away if last_scored else None,
    )


def _derived(game: GameInput, pbp: GamePlayByPlay, game_date: date) -> Derived:
    """Clutch time detected, its actions timed in UTC, the game's shots counted (teams and players are
    filled in by the caller)."""
    actions = pbp.actions
    clutch = detect_clutch(actions)
    times = []  # about half of all games never reach clutch time: no times are needed
    if clutch.windows:
        try:
            times = estimate_event_times(actions, game_date)
        except ValueError as exc:
            raise MalformedPlayByPlay(game.game_id, f"event times: {exc}") from exc
    return Derived(
        game_id=game.game_id,
        source=pbp.source,
        windows=clutch.windows,
        window_times={w.number: (times[w.first], times[w.last]) for w in clutch.windows},
        player_actions=[(pa, actions[pa.index], times[pa.index]) for pa in clutch.player_actions],
        teams={},
        players={},
        unresolved_assists=len(clutch.unresolved_assists),
        shot_counts=count_shots(
            shot for a in actions if a.kind == "field_goal" and (shot := shot_from_action(a))
        ),
        free_throws=(
            sum(1 for a in actions if a.kind == "free_throw" and a.made),
            sum(1 for a in actions if a.kind == "free_throw"),
        ),
        content_sha256=game.content_sha256,
    )


def _people(pbp: GamePlayByPlay) -> tuple[dict[int, str | None], dict[int, str], dict[int, int]]:
    """Teams (id -> tricode) and players (id -> name) the game's actions name, and each player's team
    in the game: the one he acted for most (the lower id on a tie), as 011_nba_game_players.sql reads
    it from stored raw actions."""
    teams: dict[int, str | None] = {}
    for raw in pbp.raw_actions:
        if raw.get("teamId"):
            team_id = int(raw["teamId"])
            teams[team_id] = teams.get(team_id) or raw.get("teamTricode") or None
    players: dict[int, str] = {}
    acted: Counter[tuple[int, int]] = Counter()  # (person, team) -> actions, in one pass with players
    for action in pbp.actions:
        if action.person_id and action.team_id:
            acted[action.person_id, action.team_id] += 1
            if action.kind in _PLAYER_KINDS and not action.is_team_action:
                players.setdefault(action.person_id, action.player_name or str(action.person_id))
    player_teams: dict[int, int] = {}
    for (person, team), _ in sorted(acted.items(), key=lambda item: (-item[1], item[0][1])):
        if person in players:
            player_teams.setdefault(person, team)
    return teams, players, player_teams
