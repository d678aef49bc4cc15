"""Which games a season backfill covers."""

from __future__ import annotations

from pathlib import Path

from clutch_pipeline.nba.archive import PlayByPlayArchive
from clutch_pipeline.nba.schedule import (
    FINAL,
    IN_PROGRESS,
    ScheduledGame,
    parse_league_game_log,
    parse_schedule,
)


class BackfillError(ValueError):
    pass


def season_year(season: str) -> str:
    """'2022-23' -> '22', the two digits NBA game ids carry for the season."""
    if len(season) != 7 or season[4] != "-" or not (season[:4] + season[5:]).isdigit():
        raise BackfillError(f"a season looks like 2022-23, not {season!r}")
    if (int(season[:4]) + 1) % 100 != int(season[5:]):
        raise BackfillError(f"{season} is not one season (2022-23 follows 2022 with 23)")
    return season[2:4]


def archive_season_games(season: str, archive: Path, manifest: Path | None = None) -> list[str]:
    """The archive's games of that season (every season type), in game-id order."""
    year = season_year(season)
    games = sorted(g for g in PlayByPlayArchive(archive, manifest).game_ids() if g[3:5] == year)
    if not games:
        raise BackfillError(f"{archive.name} holds no game of {season}")
    return games


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
