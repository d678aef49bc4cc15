"""Loading games, in two phases: raw, then clutch.

Phase one (``raw_writes.py``) writes each batch of games in one transaction: raw actions, the teams,
players and games they name, who played, and every game's load status. A bad game (malformed, truncated,
unreadable) is recorded in ``nba_game_loads`` with its error and the others load; a game whose content
did not change since its last load is skipped. Games are prepared (``prepare.py``) on worker processes
for big loads (``workers.py``) while a writer thread commits the batch before.

Phase two (``derive.py``), once every raw batch is in: each touched season's shot model, then the
clutch rows of the run's games, and of every other game of those seasons whose clutch rows do not
follow from its raw actions and that model (re-derived from the raw table), in one transaction.
``derive_clutch`` runs phase two alone.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence, Sized
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field

from clutch_pipeline.nba import store
from clutch_pipeline.nba.clutch_rows import Derived
from clutch_pipeline.nba.derive import ClutchWritten, seasons_of, write_clutch
from clutch_pipeline.nba.games import register_games
from clutch_pipeline.nba.prepare import GameInput, Prepared, Task
from clutch_pipeline.nba.raw_writes import RawWritten, write_batch
from clutch_pipeline.nba.workers import BATCH_GAMES, batches, preparing

# Loads of at least this many games parse on every core (forked workers; Linux only), the rest in-process.
PARALLEL_MIN_GAMES = BATCH_GAMES


@dataclass
class LoadReport:
    loaded: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    rederived: list[str] = field(default_factory=list)  # other games' clutch rows re-derived from raw
    rederive_failed: dict[str, str] = field(default_factory=dict)  # and those whose raw would not parse
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

    def add_clutch(self, written: ClutchWritten) -> None:
        self.situations += written.situations
        self.player_actions += written.player_actions
        self.unresolved_assists += written.unresolved_assists
        self.shot_models.update(written.shot_models)
        self.rederived += written.rederived
        self.rederive_failed.update(written.failed)


def load_games(
    connection: store.ConnectionFactory,
    games: Iterable[GameInput],
    *,
    force: bool = False,
    derive: bool = True,
    on_batch: Callable[[LoadReport], None] | None = None,
    parallel: bool | None = None,
    seasons: Collection[str] = (),
) -> LoadReport:
    """Load games in batches; unchanged games (same content as their last load) are skipped unless forced.

    With ``derive``, phase two follows for the seasons of the games and ``seasons``. ``on_batch`` is
    called after each batch is committed. ``parallel``: parse on worker processes (True), in this
    process (False), or on workers when there are at least PARALLEL_MIN_GAMES games to parse (None; the
    count of ``games`` is known when it is a sequence).
    """
    started = time.perf_counter()
    total = LoadReport()
    with _gc_paused(), preparing() as preparer:
        in_run_parallel = parallel
        if parallel is None:
            in_run_parallel = isinstance(games, Sized) and len(games) >= PARALLEL_MIN_GAMES
        tasks = _tasks(connection, games, force=force, derive=derive)
        derived = _load_raw(connection, preparer.batches(tasks, parallel=in_run_parallel), total, on_batch)
        if derive:
            seasons = seasons_of([*total.loaded, *total.unchanged, *total.failed]) | set(seasons)
            total.add_clutch(write_clutch(connection, derived, seasons, preparer, parallel=parallel))
    total.seconds = time.perf_counter() - started
    return total


def derive_clutch(
    connection: store.ConnectionFactory, game_ids: Sequence[str], *, parallel: bool | None = None
) -> LoadReport:
    """Rebuild the clutch rows of these games from their stored raw actions, calling no source (and
    any stale game of their seasons on the way)."""
    started = time.perf_counter()
    total = LoadReport()
    with _gc_paused(), preparing() as preparer:
        total.add_clutch(write_clutch(connection, [], (), preparer, parallel=parallel, rederive=game_ids))
    # The games asked for are this run's own: their failures are its failures.
    asked = set(game_ids)
    total.failed = {g: e for g, e in total.rederive_failed.items() if g in asked}
    total.rederive_failed = {g: e for g, e in total.rederive_failed.items() if g not in asked}
    total.rederived = [g for g in total.rederived if g not in asked]
    total.loaded = [g for g in game_ids if g not in total.failed]
    total.seconds = time.perf_counter() - started
    return total


def _tasks(
    connection: store.ConnectionFactory, games: Iterable[GameInput], *, force: bool, derive: bool
) -> Iterator[Task]:
    """What to do with each game: skip it when it is unchanged since its last load, else load it, dated
    by the manifest, else by the stored game; looked up a batch at a time."""
    for batch in batches(games):
        ids = [g.game_id for g in batch]
        with connection() as conn:
            previous = {} if force else store.loaded_hashes(conn, ids)
            existing = store.games_by_id(conn, ids)
        for game in batch:
            unchanged = bool(game.content_sha256) and previous.get(game.game_id) == game.content_sha256
            game_date = game.game_date
            if game_date is None and game.game_id in existing:
                game_date = existing[game.game_id][1]
            yield Task(game, game_date, raw=not unchanged, derive=derive and not unchanged)


def _load_raw(
    connection: store.ConnectionFactory,
    prepared: Iterable[list[Prepared]],
    total: LoadReport,
    on_batch: Callable[[LoadReport], None] | None,
) -> list[Derived]:
    """Phase one: write each prepared batch on a writer thread while the next is prepared (one batch
    in flight: memory stays at a few batches); what clutch rows need of the loaded games."""
    derived: list[Derived] = []
    in_flight: tuple[Future[RawWritten], LoadReport, list[Prepared]] | None = None

    def finish() -> None:
        future, report, loaded = in_flight
        written = future.result()
        report.actions += written.actions
        for item in loaded:
            report.loaded.append(item.game.game_id)
            report.unknown_actions += item.unknown_actions
            if item.derived is not None:
                item.derived.raw_loaded_at = written.loaded_at[item.game.game_id]
                derived.append(item.derived)
        total.add(report)
        if on_batch is not None:
            on_batch(report)

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="nba-load-writer") as writer:
        for batch in prepared:
            report = LoadReport()
            loaded, failures = _sorted_out(batch, report)
            if in_flight is not None:
                finish()
            in_flight = (writer.submit(write_batch, connection, loaded, failures), report, loaded)
        if in_flight is not None:
            finish()
    return derived


def _sorted_out(batch: list[Prepared], report: LoadReport) -> tuple[list[Prepared], list[store.LoadRow]]:
    """The batch's games to write, and the status rows of those that failed (named in ``report``, as
    are the unchanged)."""
    loaded: list[Prepared] = []
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
    return loaded, failures


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


# register_games: cli.py imports it from here.
__all__ = ["GameInput", "LoadReport", "derive_clutch", "load_games", "register_games"]
