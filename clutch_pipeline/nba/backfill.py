"""A season backfill's plan: which games it loads, from where, and the run that loads them.

``plan_backfill`` is what ``clutch nba backfill`` does before its one Dagster run: check the season's
name, pick the season's game source (a local archive; else the CDN's schedule for the current season,
the stats league game log for a past one, registering those games with their dates), and build the run
config of ``nba_games_load``. Every failure is a ``BackfillError`` with a message for the person who
typed the command.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from clutch_pipeline.http_retry import HttpGaveUp
from clutch_pipeline.nba.archive import PlayByPlayArchive, manifest_text
from clutch_pipeline.nba.games import register_games
from clutch_pipeline.nba.partitions import LOAD_NBA_GAMES_JOB, NBA_GAMES_LOAD_OP, NBA_GAMES_PARTITIONS
from clutch_pipeline.nba.schedule import (
    FINAL,
    IN_PROGRESS,
    ScheduledGame,
    parse_league_game_log,
    parse_schedule,
)
from clutch_pipeline.nba.sources import NbaSources

ARCHIVE = "archive"
CDN_SCHEDULE = "the CDN's schedule"
LEAGUE_GAME_LOG = "the stats league game log"


class BackfillError(ValueError):
    pass


@dataclass(frozen=True)
class BackfillPlan:
    """One run of ``job_name`` over ``games`` (partitions of ``partitions_def_name``) with ``run_config``."""

    season: str
    games: list[str]
    source: str  # ARCHIVE, CDN_SCHEDULE or LEAGUE_GAME_LOG
    run_config: dict = field(repr=False)
    job_name: str = LOAD_NBA_GAMES_JOB
    partitions_def_name: str = NBA_GAMES_PARTITIONS

    @property
    def title(self) -> str:
        return f"nba: backfill {self.season} ({len(self.games)} games)"


def plan_backfill(
    season: str,
    archive: Path | None = None,
    manifest: Path | None = None,
    force: bool = False,
    *,
    conn: psycopg.Connection,
    sources: Callable[[], AbstractContextManager[NbaSources]],
) -> BackfillPlan:
    """Plan the backfill of ``season`` ("2022-23"): from ``archive`` (with ``manifest``, else its own)
    when given, else over HTTP, where the season's games are registered through ``conn`` (committed with
    the caller's transaction). ``sources`` opens the NBA's HTTP sources (``NbaResource().sources``); it
    is called only without an archive, and only once the season's name is known to be right."""
    season_year(season)
    config: dict = {"force": force}
    try:
        if archive is not None:
            games, config["manifest_csv"] = _archive_games(season, PlayByPlayArchive(archive, manifest))
            config["archive_path"] = str(archive.resolve())
            source = ARCHIVE
        else:
            games, source = _registered_games(season, conn, sources)
    except BackfillError:
        raise
    except (HttpGaveUp, ValueError, OSError) as exc:
        raise BackfillError(str(exc)) from exc
    return BackfillPlan(season, games, source, {"ops": {NBA_GAMES_LOAD_OP: {"config": config}}})


def _archive_games(season: str, archive: PlayByPlayArchive) -> tuple[list[str], str]:
    """The archive's games of the season, and its manifest's rows of them (for the run, which need not
    look for the manifest in the archive again)."""
    year = season_year(season)
    entries = sorted((e for e in archive.entries if e.game_id[3:5] == year), key=lambda e: e.game_id)
    if not entries:
        raise BackfillError(f"{archive.path.name} holds no game of {season}")
    return [e.game_id for e in entries], manifest_text(entries)


def _registered_games(
    season: str, conn: psycopg.Connection, sources: Callable[[], AbstractContextManager[NbaSources]]
) -> tuple[list[str], str]:
    """The season's played games, registered with their dates before their play-by-play is read: the
    current season from the CDN's schedule, a past one from the stats league game log."""
    with sources() as client:
        try:
            scheduled, games = schedule_season_games(season, client.cdn_schedule())
            source = CDN_SCHEDULE
        except BackfillError:
            scheduled, games = game_log_season_games(season, client.stats_league_game_log(season))
            source = LEAGUE_GAME_LOG
    register_games(conn, scheduled)
    if not games:
        raise BackfillError(f"no game of {season} has been played yet")
    return games, source


def season_year(season: str) -> str:
    """'2022-23' -> '22', the two digits NBA game ids carry for the season."""
    if len(season) != 7 or season[4] != "-" or not (season[:4] + season[5:]).isdigit():
        raise BackfillError(f"a season looks like 2022-23, not {season!r}")
    if (int(season[:4]) + 1) % 100 != int(season[5:]):
        raise BackfillError(f"{season} is not one season (2022-23 follows 2022 with 23)")
    return season[2:4]


def schedule_season_games(season: str, schedule_payload: dict) -> tuple[list[ScheduledGame], list[str]]:
    """The season's games from the CDN schedule (the current season only: a schedule is a snapshot of
    the season in progress), and the ids of those played or being played, which a backfill loads."""
    season_year(season)
    games, _undecided = parse_schedule(schedule_payload)
    in_season = [g for g in games if g.season == season]
    if not in_season:
        seasons = sorted({g.season for g in games})
        raise BackfillError(
            f"the NBA's schedule covers {', '.join(seasons) or 'no season'}, not {season}: "
            "load past seasons with --archive"
        )
    played = sorted(g.game_id for g in in_season if g.status in (FINAL, IN_PROGRESS))
    return in_season, played


def game_log_season_games(season: str, game_log_payload: dict) -> tuple[list[ScheduledGame], list[str]]:
    """A past season's games from stats.nba.com's league game log (team rows paired into games)."""
    season_year(season)
    games, _skipped = parse_league_game_log(game_log_payload)
    in_season = [g for g in games if g.season == season]
    if not in_season:
        raise BackfillError(f"the league game log lists no game of {season}")
    return in_season, sorted(g.game_id for g in in_season)
