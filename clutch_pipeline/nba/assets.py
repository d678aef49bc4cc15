"""NBA assets: raw play-by-play per game, and the clutch windows and player actions derived from it.

One multi-asset owns the three tables so that a single pass over a season parses each game once; it can
be subset, so the clutch tables can be rebuilt from the raw table alone (no source is called then).

Only ``nba_play_by_play`` is partitioned by game; a backfill of any range of games is ONE run
(``BackfillPolicy.single_run``). ``clutch_situations`` and ``clutch_player_actions`` are season-wide
tables, unpartitioned: a run records them once, with the rows of the games it loaded replaced in the
same pass. Dagster stores a few milliseconds of bookkeeping per partition and asset (a planned and a
materialization event each): a season is 1,229 games, so per-game clutch partitions cost more than
their rows. Run on their own, the clutch assets rebuild the games a run's partition tags name, or every
loaded game when it has none.
"""

import dagster as dg

from clutch_pipeline.db.assets import database_schema
from clutch_pipeline.db.resources import PostgresResource
from clutch_pipeline.nba import store
from clutch_pipeline.nba.derive import seasons_of
from clutch_pipeline.nba.load import PARALLEL_MIN_GAMES, LoadReport, derive_clutch, load_games
from clutch_pipeline.nba.partitions import (
    CLUTCH_PLAYER_ACTIONS_ASSET,
    CLUTCH_SITUATIONS_ASSET,
    NBA_GAMES_LOAD_OP,
    NBA_PLAY_BY_PLAY_ASSET,
    nba_games,
)
from clutch_pipeline.nba.resources import NbaResource

RAW = dg.AssetKey(NBA_PLAY_BY_PLAY_ASSET)
SITUATIONS = dg.AssetKey(CLUTCH_SITUATIONS_ASSET)
PLAYER_ACTIONS = dg.AssetKey(CLUTCH_PLAYER_ACTIONS_ASSET)
MAX_LISTED = 20


class NbaLoadConfig(dg.Config):
    """Where to read games from, for this run. Unset archive: the CDN, then stats.nba.com v3."""

    archive_path: str | None = None
    manifest_path: str | None = None
    # The archive's manifest as the backfill's plan read it (CSV: file, game_id, game_date; the season's
    # rows), so that the run does not look for it in the archive again. Wins over manifest_path.
    manifest_csv: str | None = None
    force: bool = False


def _listed(items: list[str]) -> str:
    shown = ", ".join(items[:MAX_LISTED])
    return shown + (f" and {len(items) - MAX_LISTED} more" if len(items) > MAX_LISTED else "")


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            RAW,
            group_name="nba",
            owners=["team:nba"],
            metadata={
                "dagster/table_name": "nba_raw_actions",
                "also_writes": "teams, players, games, nba_game_players, nba_game_loads",
                "docs": "docs/nba.md",
            },
            deps=[database_schema],
            partitions_def=nba_games,
            kinds={"postgres"},
            description=(
                "Every play-by-play action of a game as its source sent it (nba_raw_actions, JSONB keyed by "
                "game, source and the source's action key), read from a local archive, the NBA CDN or "
                "stats.nba.com v3. Upserts the teams, players and games it names, and who played for which "
                "team (nba_game_players); records each game's load in nba_game_loads. Unchanged games are "
                "skipped unless `force`."
            ),
        ),
        dg.AssetSpec(
            SITUATIONS,
            group_name="nba",
            owners=["team:nba"],
            metadata={"dagster/table_name": "clutch_situations", "docs": "docs/nba.md"},
            deps=[RAW],
            kinds={"postgres"},
            description=(
                "clutch_situations: each contiguous clutch window of a game (4th period or overtime, 5:00 or "
                "less, margin before the action 5 or less), with UTC start and end, clocks, scores, "
                "intensity and how its times were obtained. Updated with every load of nba_play_by_play "
                "for the games loaded (one materialization per run, not per game)."
            ),
        ),
        dg.AssetSpec(
            PLAYER_ACTIONS,
            group_name="nba",
            owners=["team:nba"],
            metadata={"dagster/table_name": "clutch_player_actions", "docs": "docs/nba.md"},
            deps=[SITUATIONS],
            kinds={"postgres"},
            description=(
                "clutch_player_actions: field goals, free throws, assists, rebounds, turnovers, steals and "
                "blocks inside clutch windows, by player, with points, shot distance and location."
            ),
        ),
    ],
    check_specs=[
        dg.AssetCheckSpec(
            "every_game_loaded",
            asset=RAW,
            description="Every game of the run was read and parsed; fails naming the games that were not.",
        )
    ],
    backfill_policy=dg.BackfillPolicy.single_run(),
    can_subset=True,
    pool="nba_api",
    name=NBA_GAMES_LOAD_OP,
)
def nba_games_load(
    context: dg.AssetExecutionContext, config: NbaLoadConfig, postgres: PostgresResource, nba: NbaResource
):
    selected = context.selected_asset_keys
    game_ids = list(context.partition_keys) if RAW in selected else _clutch_games(context, postgres)
    if RAW in selected:
        report = _load(
            context, config, postgres, nba, game_ids, derive=bool(selected & {SITUATIONS, PLAYER_ACTIONS})
        )
    else:
        report = derive_clutch(postgres.connection, game_ids)
    for game_id, error in report.failed.items():
        context.log.error(f"game {game_id} not loaded: {error}")
    for game_id, error in report.rederive_failed.items():
        context.log.warning(f"game {game_id}: its clutch rows could not be derived again from raw: {error}")
    if len(game_ids) == 1 and report.failed:
        # A run for one game fails on its own bad file; a run for many goes on and the check names them.
        raise dg.Failure(description=next(iter(report.failed.values())), metadata={"game": game_ids[0]})
    yield from _results(report, selected, context.selected_asset_check_keys, len(game_ids))


def _load(
    context: dg.AssetExecutionContext,
    config: NbaLoadConfig,
    postgres: PostgresResource,
    nba: NbaResource,
    game_ids: list[str],
    *,
    derive: bool,
) -> LoadReport:
    skipped: set[str] = set()
    if not config.force and not config.archive_path:
        # Resumable API backfills: games already over and loaded are not fetched again.
        with postgres.connection() as conn:
            skipped = store.final_and_loaded(conn, game_ids)
    to_load = [g for g in game_ids if g not in skipped]
    games = nba.play_by_play(
        to_load,
        archive_path=config.archive_path,
        manifest_path=config.manifest_path,
        manifest_csv=config.manifest_csv,
    )
    report = load_games(
        postgres.connection,
        games,
        # The inputs stream from their source, so their count is told; None lets phase two decide.
        parallel=True if len(to_load) >= PARALLEL_MIN_GAMES else None,
        force=config.force,
        derive=derive,
        # Skipped games' seasons too: their clutch rows are repaired if a killed run left them stale.
        seasons=seasons_of(game_ids),
        on_batch=lambda b: context.log.info(
            f"batch: {len(b.loaded)} loaded, {len(b.unchanged)} unchanged, {len(b.failed)} failed"
        ),
    )
    report.unchanged += sorted(skipped)
    return report


def _clutch_games(context: dg.AssetExecutionContext, postgres: PostgresResource) -> list[str]:
    """The games a run of the clutch assets alone rebuilds: those its partition tags name (a key or a
    range of ``nba_games``), else every game whose raw play-by-play is loaded."""
    tags = context.run.tags
    if tags.get("dagster/partition"):
        return [tags["dagster/partition"]]
    start, end = (
        tags.get("dagster/asset_partition_range_start"),
        tags.get("dagster/asset_partition_range_end"),
    )
    if start and end:
        keys = context.instance.get_dynamic_partitions(nba_games.name)
        if start in keys and end in keys:
            return keys[keys.index(start) : keys.index(end) + 1]
        raise dg.Failure(description=f"partition range {start}...{end} is not in {nba_games.name}")
    with postgres.connection() as conn:
        return store.loaded_game_ids(conn)


def _results(report: LoadReport, selected, selected_checks, requested: int):
    common = {
        "games_requested": requested,
        "games_loaded": len(report.loaded),
        "games_failed": len(report.failed),
        "games_unchanged": len(report.unchanged),
        "seconds": dg.MetadataValue.float(round(report.seconds, 2)),
    }
    if RAW in selected:
        yield dg.MaterializeResult(
            asset_key=RAW,
            metadata={
                **common,
                "actions_written": report.actions,
                "unknown_action_types": report.unknown_actions,
            },
        )
    if dg.AssetCheckKey(RAW, "every_game_loaded") in selected_checks:
        failed = sorted(report.failed)
        yield dg.AssetCheckResult(
            asset_key=RAW,
            check_name="every_game_loaded",
            passed=not failed,
            description=f"not loaded: {_listed(failed)}" if failed else "every game loaded",
            metadata={
                "failed_games": dg.MetadataValue.json({g: report.failed[g] for g in failed[:MAX_LISTED]})
            },
        )
    common_clutch = {**common, "games_rederived": len(report.rederived)}
    if SITUATIONS in selected:
        yield dg.MaterializeResult(
            asset_key=SITUATIONS, metadata={**common_clutch, "rows_written": report.situations}
        )
    if PLAYER_ACTIONS in selected:
        yield dg.MaterializeResult(
            asset_key=PLAYER_ACTIONS,
            metadata={
                **common_clutch,
                "rows_written": report.player_actions,
                "unresolved_assists": report.unresolved_assists,
                "shot_models": dg.MetadataValue.json(report.shot_models),
            },
        )
