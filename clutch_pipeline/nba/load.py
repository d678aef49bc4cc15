"""Loading games: parse, keep raw, upsert teams/players/games and who played, derive clutch rows, record
load status.

A bad game (malformed, truncated, unreadable) is recorded in ``nba_game_loads`` with its error and the
others load; each batch of good games is written in one transaction, so nothing is half-written.

Clutch rows are derived in the same pass over the parsed actions (``load_games``), or later from the raw
table alone (``derive_clutch``), without calling a source again. Either way in two phases: first every
game's raw actions (and what clutch detection needs of them, which is small), then, once the season's
shot model is fitted on all its loaded shots, the clutch rows with their expected points.
"""

from __future__ import annotations

import dataclasses
import gc
import multiprocessing
import os
import signal
import time
import uuid
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Sequence, Sized
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from clutch_pipeline.nba import store
from clutch_pipeline.nba.archive import decode_file
from clutch_pipeline.nba.clock import format_clock
from clutch_pipeline.nba.clutch import (
    ClutchWindow,
    GameClutch,
    PlayerClutchAction,
    detect_clutch,
    home_team_id,
)
from clutch_pipeline.nba.parse import (
    SOURCE_CDN,
    GamePlayByPlay,
    MalformedPlayByPlay,
    PlayAction,
    parse_play_by_play,
)
from clutch_pipeline.nba.schedule import ScheduledGame, season_of
from clutch_pipeline.nba.shots import (
    Shot,
    ShotCounts,
    ShotModel,
    add_counts,
    count_shots,
    shot_family,
    shot_from_action,
)
from clutch_pipeline.nba.times import EventTime, estimate_event_times, exact_anchors, wall_clock_anchors

BATCH_GAMES = 100
# Loads of at least this many games parse on every core (forked workers; Linux only), the rest in-process.
PARALLEL_MIN_GAMES = BATCH_GAMES
# A season's stored shot model is reused until its loaded games grow by more than this share.
SHOT_MODEL_STALE_SHARE = 0.02
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


@dataclass
class LoadReport:
    loaded: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    actions: int = 0
    situations: int = 0
    player_actions: int = 0
    unknown_actions: int = 0
    unresolved_assists: int = 0
    shot_models: dict[str, str] = field(default_factory=dict)  # season -> "reused" / "fitted on N games"
    seconds: float = 0.0

    def add(self, other: LoadReport) -> None:
        self.loaded += other.loaded
        self.unchanged += other.unchanged
        self.failed.update(other.failed)
        for name in ("actions", "situations", "player_actions", "unknown_actions", "unresolved_assists"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


ConnectionFactory = Callable[[], AbstractContextManager]


def _batches(items: Iterable, size: int) -> Iterator[list]:
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


@dataclass
class _Parsed:
    game: GameInput
    pbp: GamePlayByPlay
    game_date: date
    clutch: GameClutch | None = None  # only when deriving clutch rows
    times: list[EventTime] | None = None
    teams: dict[int, str | None] = field(default_factory=dict)  # team id -> tricode, from the actions
    players: dict[int, str] = field(default_factory=dict)  # person id -> name
    player_teams: dict[int, int] = field(default_factory=dict)  # person id -> team id in this game

    def derive(self) -> None:
        self.clutch = detect_clutch(self.pbp.actions)
        if not self.clutch.windows:
            self.times = []  # about half of all games never reach clutch time: no times are needed
            return
        try:
            self.times = estimate_event_times(self.pbp.actions, self.game_date)
        except ValueError as exc:
            raise MalformedPlayByPlay(self.game.game_id, f"event times: {exc}") from exc


def _tipoff(pbp: GamePlayByPlay, game_date: date) -> datetime | None:
    """The first period's start: exact on CDN actions, from its wall-clock label on v3."""
    anchors = (
        exact_anchors(pbp.actions) if pbp.source == SOURCE_CDN else wall_clock_anchors(pbp.actions, game_date)
    )
    for anchor in anchors:
        if pbp.actions[anchor.index].kind == "period_start":
            return anchor.at
    return None


def _is_final(parsed: _Parsed) -> bool:
    if parsed.game.final is not None:
        return parsed.game.final
    actions = parsed.pbp.actions
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


def scheduled_game_rows(games: Sequence[ScheduledGame]) -> tuple[dict[int, str | None], list[store.GameRow]]:
    """Teams and game rows for games a schedule or scoreboard announced."""
    teams: dict[int, str | None] = {}
    rows = []
    for game in games:
        teams[game.home_team_id] = game.home_tricode
        teams[game.away_team_id] = game.away_tricode
        rows.append(
            store.GameRow(
                nba_game_id=game.game_id,
                home_team=game.home_team_id,
                away_team=game.away_team_id,
                game_date=game.game_date,
                tipoff_at=game.tipoff_utc,
                status=game.status,
                home_score=game.home_score,
                away_score=game.away_score,
            )
        )
    return teams, rows


def register_games(conn, games: Sequence[ScheduledGame]) -> int:
    """Upsert announced games (and their teams), so their dates are known before play-by-play is."""
    teams, rows = scheduled_game_rows(games)
    store.upsert_games(conn, rows, store.upsert_teams(conn, teams))
    return len(rows)


def _game_row(parsed: _Parsed) -> store.GameRow:
    actions = parsed.pbp.actions
    home = home_team_id(actions)
    away = next((a.team_id for a in actions if a.location == "v" and a.team_id), None)
    if home is None or away is None:
        raise MalformedPlayByPlay(parsed.game.game_id, "cannot tell the home and away teams apart")
    last_scored = next((a for a in reversed(actions) if a.score_home is not None), None)
    return store.GameRow(
        nba_game_id=parsed.game.game_id,
        home_team=home,
        away_team=away,
        game_date=parsed.game_date,
        tipoff_at=_tipoff(parsed.pbp, parsed.game_date),
        status="final" if _is_final(parsed) else "in_progress",
        home_score=last_scored.score_home if last_scored else None,
        away_score=last_scored.score_away if last_scored else None,
    )


def _parse(game: GameInput, game_date: date | None, *, derive: bool) -> _Parsed:
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
    parsed = _Parsed(game, pbp, game_date)
    parsed.teams, parsed.players, parsed.player_teams = _people(pbp)
    if derive:
        parsed.derive()
    return parsed


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


@dataclass
class _Derived:
    """What clutch rows need of one parsed game, kept while the rest of the run loads (small)."""

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

    @classmethod
    def of(cls, parsed: _Parsed) -> _Derived:
        clutch, times, actions = parsed.clutch, parsed.times, parsed.pbp.actions
        teams, players = parsed.teams, parsed.players
        return cls(
            game_id=parsed.game.game_id,
            source=parsed.pbp.source,
            windows=clutch.windows,
            window_times={w.number: (times[w.first], times[w.last]) for w in clutch.windows},
            player_actions=[(pa, actions[pa.index], times[pa.index]) for pa in clutch.player_actions],
            teams=teams,
            players=players,
            unresolved_assists=len(clutch.unresolved_assists),
            shot_counts=count_shots(
                shot for a in actions if a.kind == "field_goal" and (shot := shot_from_action(a))
            ),
            free_throws=(
                sum(1 for a in actions if a.kind == "free_throw" and a.made),
                sum(1 for a in actions if a.kind == "free_throw"),
            ),
        )


def _expected_points(model: ShotModel | None, pa: PlayerClutchAction, action: PlayAction) -> float | None:
    if model is None or pa.action_type not in ("field_goal_made", "field_goal_missed", "free_throw"):
        return None
    return round(model.action_expected_points(action), 3)


def _clutch_rows(
    item: _Derived,
    game_uuid: uuid.UUID,
    model: ShotModel | None,
    team_ids: dict[int, uuid.UUID],
    player_ids: dict[int, uuid.UUID],
) -> tuple[list[tuple], list[tuple]]:
    data_source = f"nba_{item.source}"
    playoff = item.game_id[2] == "4"
    situations = []
    situation_ids = {}
    for window in item.windows:
        situation_id = uuid.uuid4()
        situation_ids[window.number] = situation_id
        first, last = item.window_times[window.number]
        margin = window.home_before - window.away_before
        situations.append(
            (
                situation_id,
                game_uuid,
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
                playoff,
                False,  # elimination: needs series standings, which no source here gives
                data_source,
                window.number,
                window.home_after - window.away_after,
                window.home_after,
                window.away_after,
                # The less certain end speaks for the window.
                max(first, last, key=lambda t: t.error_seconds).method,
                max(first.error_seconds, last.error_seconds),
            )
        )
    rows = []
    for pa, action, at in item.player_actions:
        expected = _expected_points(model, pa, action)
        rows.append(
            (
                uuid.uuid4(),
                situation_ids[pa.window_number],
                game_uuid,
                player_ids[pa.person_id],
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
                data_source,
                team_ids.get(pa.team_id) if pa.team_id else None,
                item.source,
                action.action_key,
                action.period,
                format_clock(action.clock_seconds),
                pa.margin_before,
                at.method,
                at.error_seconds,
            )
        )
    return situations, rows


@dataclass
class _Prepared:
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
    derived: _Derived | None = None


def _prepare(item: tuple[GameInput, date | None, bool, bool]) -> _Prepared:
    """Decode, parse and (with ``derive``) detect clutch time in one game: the CPU-heavy part of a load."""
    game, game_date, unchanged, derive = item
    bare = dataclasses.replace(game, payload=None, raw_texts=None, undecoded=None)
    if unchanged:
        return _Prepared(bare, unchanged=True)
    try:
        if game.undecoded is not None:
            payload, texts, error = decode_file(*game.undecoded)
            game = dataclasses.replace(game, payload=payload, raw_texts=texts, error=error, undecoded=None)
        parsed = _parse(game, game_date, derive=derive)
        game_row = _game_row(parsed)
    except MalformedPlayByPlay as exc:
        return _Prepared(bare, error=str(exc))
    pbp = parsed.pbp
    texts = game.raw_texts if pbp.raw_actions is game.payload else None
    return _Prepared(
        bare,
        source=pbp.source,
        actions=len(pbp.actions),
        unknown_actions=sum(1 for a in pbp.actions if a.kind == "unknown"),
        game_row=game_row,
        teams=parsed.teams,
        players=parsed.players,
        player_teams=parsed.player_teams,
        raw_rows=store.raw_action_rows(
            game.game_id, pbp.source, [a.action_key for a in pbp.actions], pbp.raw_actions, texts
        ),
        derived=_Derived.of(parsed) if derive else None,
    )


def _work(
    connection: ConnectionFactory, games: Iterable[GameInput], *, force: bool, derive: bool
) -> Iterator[tuple[GameInput, date | None, bool, bool]]:
    """What ``_prepare`` needs of each game: its date (the manifest's, else the stored game's) and
    whether it is unchanged since its last load, looked up a batch at a time."""
    for batch in _batches(games, BATCH_GAMES):
        ids = [g.game_id for g in batch]
        with connection() as conn:
            previous = {} if force else store.loaded_hashes(conn, ids)
            existing = store.games_by_id(conn, ids)
        for game in batch:
            unchanged = bool(game.content_sha256) and previous.get(game.game_id) == game.content_sha256
            game_date = game.game_date
            if game_date is None and game.game_id in existing:
                game_date = existing[game.game_id][1]
            yield game, game_date, unchanged, derive


def _prepare_batch(items: list[tuple[GameInput, date | None, bool, bool]]) -> list[_Prepared]:
    return [_prepare(item) for item in items]


def _worker_started() -> None:
    # A forked worker inherits the parent's signal handlers, and Dagster's turn SIGTERM into a deferred
    # interrupt: terminating the pool would then wait forever. Workers die on SIGTERM; Ctrl-C is the
    # parent's to handle.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@contextmanager
def _preparing(parallel: bool) -> Iterator[Callable[[Iterable], Iterator[list[_Prepared]]]]:
    """Batches of ``_prepare`` over work items, in order: on forked workers, one per core, when
    ``parallel`` and the platform forks; in this process otherwise. Workers are forked before any
    thread of the load starts, and only parse; two batches are in their hands at most."""
    processes = min(os.cpu_count() or 1, 4)
    if not parallel or processes < 2 or "fork" not in multiprocessing.get_all_start_methods():
        yield lambda work: map(_prepare_batch, _batches(work, BATCH_GAMES))
        return

    pool = multiprocessing.get_context("fork").Pool(processes, initializer=_worker_started)

    def prepared(work: Iterable) -> Iterator[list[_Prepared]]:
        ahead: deque = deque()
        for batch in _batches(work, BATCH_GAMES):
            # Split so that every worker has a share of each batch.
            chunks = [batch[i : i + 5] for i in range(0, len(batch), 5)]
            ahead.append(pool.map_async(_prepare_batch, chunks, chunksize=1))
            if len(ahead) == 2:
                yield [p for chunk in ahead.popleft().get() for p in chunk]
        while ahead:
            yield [p for chunk in ahead.popleft().get() for p in chunk]

    try:
        yield prepared
    except BaseException:
        pool.terminate()
        raise
    else:
        pool.close()
    finally:
        pool.join()


def load_games(
    connection: ConnectionFactory,
    games: Iterable[GameInput],
    *,
    force: bool = False,
    derive: bool = True,
    on_batch: Callable[[LoadReport], None] | None = None,
    parallel: bool | None = None,
) -> LoadReport:
    """Load games in batches; unchanged games (same content as their last load) are skipped unless forced.

    With ``derive``, the clutch rows of the loaded games are rebuilt once all of them are in.

    Three things overlap: games are parsed (on every core with ``parallel``; by default when ``games``
    is a sequence of at least PARALLEL_MIN_GAMES), each batch is written (in one transaction, on its own
    connection) by a writer thread while the next is parsed, and PostgreSQL ingests it.
    """
    if parallel is None:
        parallel = isinstance(games, Sized) and len(games) >= PARALLEL_MIN_GAMES
    started = time.perf_counter()
    total = LoadReport()
    derived: list[_Derived] = []
    in_flight: tuple[Future, LoadReport] | None = None

    def finish() -> None:
        future, report = in_flight
        future.result()
        total.add(report)
        if on_batch is not None:
            on_batch(report)

    with (
        _gc_paused(),
        _preparing(parallel) as prepare_all,  # first: workers fork before the load starts threads
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="nba-load-writer") as writer,
    ):
        for batch in prepare_all(_work(connection, games, force=force, derive=derive)):
            report = LoadReport()
            loaded: list[_Prepared] = []
            failures: list[store.LoadRow] = []
            for item in batch:
                game = item.game
                if item.unchanged:
                    report.unchanged.append(game.game_id)
                elif item.error is not None:
                    report.failed[game.game_id] = item.error
                    failures.append(
                        store.LoadRow(
                            game.game_id, "failed", None, game.origin, None, game.content_sha256, item.error
                        )
                    )
                else:
                    loaded.append(item)
                    if item.derived is not None:
                        derived.append(item.derived)
            if in_flight is not None:
                finish()  # one batch in flight: memory stays at a few batches
            in_flight = (writer.submit(_write_batch, connection, loaded, failures, report), report)
        if in_flight is not None:
            finish()
        if derived:
            _write_clutch(connection, derived, total)
    total.seconds = time.perf_counter() - started
    return total


def _write_batch(
    connection: ConnectionFactory, loaded: list[_Prepared], failures: list[store.LoadRow], report: LoadReport
) -> None:
    """One batch of games, all or nothing: raw actions and references of the loaded, status of all."""
    with connection() as conn:
        _write_raw(conn, loaded, report)
        store.record_loads(conn, failures)


@contextmanager
def _gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while a load runs: it builds hundreds of thousands of small acyclic
    objects (freed by reference counting), and each collection would walk all of those still alive."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _upsert_people(conn, items: Sequence[_Prepared | _Derived]) -> tuple[dict, dict]:
    """UUIDs of the teams and players these games name (by NBA id), inserting new ones."""
    teams: dict[int, str | None] = {}
    players: dict[int, str] = {}
    for item in items:
        for team_id, tricode in item.teams.items():
            teams[team_id] = teams.get(team_id) or tricode
        players.update(item.players)
    return store.upsert_teams(conn, teams), store.upsert_players(conn, players)


def _write_raw(conn, loaded: list[_Prepared], report: LoadReport) -> None:
    """Raw actions, teams, players, games, who played and load status of one batch of prepared games."""
    if not loaded:
        return
    team_ids, player_ids = _upsert_people(conn, loaded)
    game_ids = store.upsert_games(conn, [p.game_row for p in loaded], team_ids)
    report.actions += store.replace_raw_action_rows(
        conn, [(p.game.game_id, p.source) for p in loaded], (p.raw_rows for p in loaded)
    )
    store.replace_game_players(
        conn,
        [game_ids[p.game.game_id] for p in loaded],
        [
            (game_ids[p.game.game_id], player_ids[person], team_ids[team])
            for p in loaded
            for person, team in p.player_teams.items()
        ],
    )
    for item in loaded:
        report.loaded.append(item.game.game_id)
        report.unknown_actions += item.unknown_actions
    store.record_loads(
        conn,
        [
            store.LoadRow(
                p.game.game_id, "loaded", p.source, p.game.origin, p.actions, p.game.content_sha256, None
            )
            for p in loaded
        ],
    )


def _fit_shot_model(conn, season: str, in_run: Sequence[_Derived]) -> ShotModel | None:
    """Fit on every loaded shot of the season: this run's from memory, the other games' from raw (not
    read at all when this run holds every loaded game of the season, as a season backfill does)."""
    counts: ShotCounts = {}
    for item in in_run:
        add_counts(counts, item.shot_counts)
    made = sum(item.free_throws[0] for item in in_run)
    attempted = sum(item.free_throws[1] for item in in_run)
    exclude = sorted({item.game_id for item in in_run})
    if not store.loaded_games_outside(conn, season, exclude):
        return ShotModel.from_counts(counts, made, attempted) if counts else None
    count_shots(_stored_shots(conn, season, exclude), into=counts)
    stored_made, stored_attempted = store.season_free_throws(conn, season, exclude)
    if not counts:
        return None
    return ShotModel.from_counts(counts, made + stored_made, attempted + stored_attempted)


def _stored_shots(conn, season: str, exclude: Sequence[str]) -> Iterator[Shot]:
    """The season's field goals in the raw table, but for the games in ``exclude``."""
    for (
        source,
        action_type,
        sub_type,
        description,
        player,
        distance,
        x,
        y,
        value,
        result,
    ) in store.season_field_goals(conn, season, exclude):
        value = int(value or 0) or (3 if (action_type == "3pt" or "3PT" in (description or "")) else 2)
        yield Shot(
            value=value,
            distance_feet=float(distance) if distance not in (None, "") else None,
            x=float(x) if x not in (None, "") else None,
            y=float(y) if y not in (None, "") else None,
            # As shot_from_action reads a parsed action: v3 names the whole shot in subType.
            family=(
                shot_family(sub_type)
                if source != SOURCE_CDN and sub_type
                else shot_family(sub_type or "", description or "", player)
            ),
            made=result == "Made" if source == SOURCE_CDN else action_type == "Made Shot",
        )


def season_shot_model(
    conn, season: str, report: LoadReport, in_run: Sequence[_Derived] = ()
) -> ShotModel | None:
    """The season's shot model: the stored one while it is fresh, else fitted on its loaded games now."""
    rows, fitted_games = store.shot_model_rows(conn, season)
    games = store.loaded_games_in_season(conn, season)
    if rows and games <= fitted_games * (1 + SHOT_MODEL_STALE_SHARE):
        report.shot_models[season] = f"reused (fitted on {fitted_games} games)"
        return ShotModel.from_rows(rows)
    model = _fit_shot_model(conn, season, in_run)
    if model is not None:
        store.replace_shot_model(conn, season, model.to_rows(), games)
        report.shot_models[season] = f"fitted on {games} games"
    return model


def _write_clutch(connection: ConnectionFactory, derived: list[_Derived], report: LoadReport) -> None:
    """Clutch rows of every derived game, with expected points from its season's shot model: one
    transaction, so the clutch tables show all of a run's games or none of them."""
    models: dict[str, ShotModel | None] = {}
    with connection() as conn:
        for season in sorted({season_of(d.game_id) for d in derived}):
            in_run = [d for d in derived if season_of(d.game_id) == season]
            models[season] = season_shot_model(conn, season, report, in_run)
        for batch in _batches(derived, BATCH_GAMES):
            team_ids, player_ids = _upsert_people(conn, batch)
            known = store.games_by_id(conn, [d.game_id for d in batch])
            situations: list[tuple] = []
            actions: list[tuple] = []
            for item in batch:
                rows = _clutch_rows(
                    item, known[item.game_id][0], models[season_of(item.game_id)], team_ids, player_ids
                )
                situations += rows[0]
                actions += rows[1]
                report.unresolved_assists += item.unresolved_assists
            written = store.replace_clutch(conn, [known[d.game_id][0] for d in batch], situations, actions)
            report.situations += written[0]
            report.player_actions += written[1]


def derive_clutch(connection: ConnectionFactory, game_ids: Sequence[str]) -> LoadReport:
    """Rebuild the clutch rows of these games from their stored raw actions, calling no source."""
    with _gc_paused():
        return _derive_clutch(connection, game_ids)


def _derive_clutch(connection: ConnectionFactory, game_ids: Sequence[str]) -> LoadReport:
    started = time.perf_counter()
    total = LoadReport()
    derived: list[_Derived] = []
    for batch in _batches(game_ids, BATCH_GAMES):
        with connection() as conn:
            raw = store.raw_actions(conn, batch)
            known = store.games_by_id(conn, batch)
        for game_id in batch:
            if game_id not in raw or game_id not in known:
                total.failed[game_id] = f"game {game_id}: no raw play-by-play stored"
                continue
            source, payload = raw[game_id]
            game = GameInput(game_id, origin="nba_raw_actions", payload=payload, source=source)
            try:
                parsed = _parse(game, known[game_id][1], derive=True)
            except MalformedPlayByPlay as exc:
                total.failed[game_id] = str(exc)
                continue
            derived.append(_Derived.of(parsed))
            total.loaded.append(game_id)
    if derived:
        _write_clutch(connection, derived, total)
    total.seconds = time.perf_counter() - started
    return total
