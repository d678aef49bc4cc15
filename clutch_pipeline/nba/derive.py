"""Phase two of a load: the clutch tables of every season a run touched, and what they come from.

Expected points need the season's shot model, fitted on all of its loaded shots, so clutch rows wait
until every raw batch of the run is in. Then, in ONE transaction: each season's shot model (reused or
refitted), the clutch rows of the run's games, and each game's derivation stamp
(``nba_clutch_derivations``: the raw load and the shot model its rows come from).

Every other loaded game of those seasons whose stamp does not name its last raw load and the season's
model is re-derived in the same transaction, from the raw table (no source is called): a load killed
between its raw and clutch writes, a run of the raw asset alone, rows scored with an older fit of the
model. So the clutch tables follow from the raw tables whatever was interrupted, and running anything
again repairs them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import psycopg

from clutch_pipeline.nba import store
from clutch_pipeline.nba.clutch_rows import Derived, References, clutch_rows
from clutch_pipeline.nba.games import upsert_people
from clutch_pipeline.nba.prepare import GameInput, Task
from clutch_pipeline.nba.schedule import ScheduleError, season_of
from clutch_pipeline.nba.season_model import model_version, season_shot_model
from clutch_pipeline.nba.shots import ShotModel
from clutch_pipeline.nba.workers import BATCH_GAMES, Preparer, batches

# Re-deriving at least this many games from the raw table parses them on worker processes.
PARALLEL_MIN_GAMES = BATCH_GAMES
RAW_ORIGIN = "nba_raw_actions"


@dataclass
class ClutchWritten:
    situations: int = 0
    player_actions: int = 0
    unresolved_assists: int = 0
    shot_models: dict[str, str] = field(default_factory=dict)  # season -> "reused ..." / "fitted on N games"
    rederived: list[str] = field(default_factory=list)  # games whose rows were re-derived from raw
    failed: dict[str, str] = field(default_factory=dict)  # games that could not be re-derived, and why


def seasons_of(game_ids: Iterable[str]) -> set[str]:
    """The seasons these games belong to (ids that name no season left out: they fail on their own)."""
    seasons = set()
    for game_id in game_ids:
        try:
            seasons.add(season_of(game_id))
        except ScheduleError:
            continue
    return seasons


def write_clutch(
    connection: store.ConnectionFactory,
    derived: Sequence[Derived],
    seasons: Iterable[str],
    preparer: Preparer,
    *,
    parallel: bool | None = None,
    rederive: Sequence[str] = (),
) -> ClutchWritten:
    """Write the clutch rows of ``derived`` (the run's parsed games) and of ``rederive`` (read again from
    the raw table), and repair every stale game of their seasons and of ``seasons``, in one transaction.

    ``parallel``: re-derive on worker processes (None: when there are at least PARALLEL_MIN_GAMES)."""
    written = ClutchWritten()
    in_run = {d.game_id for d in derived}
    seasons = set(seasons) | seasons_of([*in_run, *rederive])
    with connection() as conn:
        models: dict[str, ShotModel | None] = {}
        again = set(rederive) - in_run
        for season in sorted(seasons):
            in_season = [d for d in derived if season_of(d.game_id) == season]
            models[season], how = season_shot_model(conn, season, in_season)
            if how is not None:
                written.shot_models[season] = how
            again.update(store.stale_derivations(conn, season, model_version(models[season]), sorted(in_run)))
        from_raw = _from_raw(conn, sorted(again), preparer, parallel, written)
        _write_rows(conn, [*derived, *from_raw], models, written)
    return written


def _from_raw(
    conn: psycopg.Connection,
    game_ids: Sequence[str],
    preparer: Preparer,
    parallel: bool | None,
    written: ClutchWritten,
) -> list[Derived]:
    """What clutch rows need of these games, parsed again from their stored raw actions."""
    loaded_at: dict[str, datetime] = {}
    result = []
    parallel = len(game_ids) >= PARALLEL_MIN_GAMES if parallel is None else parallel
    for batch in preparer.batches(_raw_tasks(conn, game_ids, loaded_at), parallel=parallel):
        for item in batch:
            if item.error is not None:
                written.failed[item.game.game_id] = item.error
            else:
                item.derived.raw_loaded_at = loaded_at[item.game.game_id]
                result.append(item.derived)
    for game_id in game_ids:
        if game_id not in loaded_at:
            written.failed[game_id] = f"game {game_id}: no raw play-by-play stored by a successful load"
    written.rederived = [d.game_id for d in result]
    return result


def _raw_tasks(conn: psycopg.Connection, game_ids: Sequence[str], loaded_at: dict) -> Iterator[Task]:
    """A derive-only task per game from its stored raw actions, read a batch at a time; each game's
    raw load time goes into ``loaded_at``."""
    for batch in batches(game_ids):
        for raw in store.raw_games(conn, batch):
            loaded_at[raw.nba_game_id] = raw.loaded_at
            game = GameInput(
                raw.nba_game_id,
                RAW_ORIGIN,
                payload=None,
                content_sha256=raw.content_sha256,
                source=raw.source,
                undecoded=(f"{RAW_ORIGIN} of {raw.nba_game_id}", raw.actions_json),
            )
            yield Task(game, raw.game_date, raw=False, derive=True)


def _write_rows(
    conn: psycopg.Connection,
    derived: Sequence[Derived],
    models: dict[str, ShotModel | None],
    written: ClutchWritten,
) -> None:
    """Replace each game's clutch rows and record its derivation stamp, a batch of games at a time."""
    versions = {season: model_version(model) for season, model in models.items()}
    for batch in batches(derived):
        team_ids, player_ids = upsert_people(conn, batch)
        known = store.games_by_id(conn, [d.game_id for d in batch])
        situations: list[tuple] = []
        actions: list[tuple] = []
        stamps = []
        for item in batch:
            season = season_of(item.game_id)
            rows = clutch_rows(item, References(known[item.game_id][0], team_ids, player_ids), models[season])
            situations += rows[0]
            actions += rows[1]
            stamps.append(
                store.Derivation(item.game_id, item.raw_loaded_at, item.content_sha256, versions[season])
            )
            written.unresolved_assists += item.unresolved_assists
        counts = store.replace_clutch(conn, [known[d.game_id][0] for d in batch], situations, actions)
        store.record_derivations(conn, stamps)
        written.situations += counts[0]
        written.player_actions += counts[1]
