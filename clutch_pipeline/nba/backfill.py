"""Which games a season backfill covers."""

from __future__ import annotations

from pathlib import Path

from clutch_pipeline.nba.archive import PlayByPlayArchive


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
