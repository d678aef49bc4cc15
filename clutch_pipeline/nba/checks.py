"""Data-quality checks of the NBA stage beyond the load's own ``every_game_loaded``."""

import dagster as dg

from clutch_pipeline.db.resources import PostgresResource
from clutch_pipeline.nba import store
from clutch_pipeline.nba.assets import PLAYER_ACTIONS
from clutch_pipeline.nba.validation import REQUIRED, compare, parse_official_table
from clutch_pipeline.settings import load_settings

REGULAR_SEASON = "regular_season"


@dg.asset_check(
    asset=PLAYER_ACTIONS,
    description=(
        "Per-player clutch FGM, FGA, FG3M, FG3A, FTM, FTA and PTS equal the NBA's official "
        "leaguedashplayerclutch table for at least 98.5% of its players (445 of 451 in 2022-23), for each "
        "season configured in CLUTCH_NBA_OFFICIAL_CLUTCH whose games are all loaded; AST, TOV, STL, BLK "
        "and REB agreement is reported. Passes with a 'skipped' reason when no table is configured or a "
        "season is only partly loaded, so partial loads and the main job's sample do not fail it."
    ),
)
def official_clutch_totals(postgres: PostgresResource) -> dg.AssetCheckResult:
    tables = load_settings().nba_official_clutch
    if not tables:
        return dg.AssetCheckResult(
            passed=True,
            description="skipped: no official table configured (CLUTCH_NBA_OFFICIAL_CLUTCH)",
            metadata={"skipped": True},
        )
    evaluated, skipped, failures, metadata = [], [], [], {}
    with postgres.connection() as conn:
        for season, path in sorted(tables.items()):
            known, loaded, failed = store.season_load_state(conn, season, REGULAR_SEASON)
            if known == 0 or loaded < known or failed:
                skipped.append(f"{season}: {loaded} of {known} games loaded, {failed} failed")
                continue
            comparison = compare(
                store.clutch_player_totals(conn, season, REGULAR_SEASON),
                parse_official_table(path.read_text()),
            )
            evaluated.append(f"{season}: {comparison.summary()}")
            if not comparison.passed:
                failures.append(season)
            metadata[f"{season} exact"] = dg.MetadataValue.json(comparison.exact)
            metadata[f"{season} mismatches"] = dg.MetadataValue.json(
                {stat: rows[:20] for stat, rows in comparison.mismatches.items()}
            )
    if not evaluated:
        return dg.AssetCheckResult(
            passed=True, description="skipped: " + "; ".join(skipped), metadata={"skipped": True}
        )
    required = ", ".join(REQUIRED)
    return dg.AssetCheckResult(
        passed=not failures,
        description=(f"{required} below 98.5% exact in {failures}; " if failures else "")
        + "; ".join(evaluated + [f"skipped {s}" for s in skipped]),
        metadata={**metadata, "skipped": False},
    )
