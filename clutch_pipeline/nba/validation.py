"""Our clutch totals against the NBA's official ``leaguedashplayerclutch`` table for a season.

The official table (Last 5 Minutes, Ahead or Behind, PointDiff 5, Base, Totals) gives each player's
clutch box score. A correct detector reproduces the shooting and scoring columns exactly for nearly
every player (the rest differ by a stat correction or a missing game); the other columns are reported,
not required, because the public play-by-play does not say everything the official scorers knew.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass, field

REQUIRED = ("FGM", "FGA", "FG3M", "FG3A", "FTM", "FTA", "PTS")
REPORTED = ("AST", "TOV", "STL", "BLK", "REB")
# At least this share of the official table's players must match exactly on each required column:
# 445 of 451 players in 2022-23.
REQUIRED_SHARE = 0.985


@dataclass(frozen=True)
class OfficialPlayer:
    person_id: int
    name: str
    totals: Mapping[str, int]


@dataclass
class Comparison:
    players: int
    exact: dict[str, int]
    mismatches: dict[str, list[str]] = field(default_factory=dict)  # stat -> "Name: ours vs official"

    @property
    def passed(self) -> bool:
        return all(self.exact[stat] >= REQUIRED_SHARE * self.players for stat in REQUIRED)

    def summary(self) -> str:
        return ", ".join(f"{stat} {self.exact[stat]}/{self.players}" for stat in (*REQUIRED, *REPORTED))


def parse_official_table(text: str) -> list[OfficialPlayer]:
    """Rows of an exported ``leaguedashplayerclutch`` table (CSV with its header names)."""
    reader = csv.DictReader(io.StringIO(text))
    missing = {"PLAYER_ID", "PLAYER_NAME", *REQUIRED, *REPORTED} - set(reader.fieldnames or [])
    if missing:
        raise ValueError(f"official clutch table lacks columns {sorted(missing)}")
    players = []
    for row in reader:
        totals = {stat: round(float(row[stat] or 0)) for stat in (*REQUIRED, *REPORTED)}
        players.append(OfficialPlayer(int(row["PLAYER_ID"]), row["PLAYER_NAME"], totals))
    return players


def compare(ours: Mapping[int, Mapping[str, int]], official: list[OfficialPlayer]) -> Comparison:
    """Exact matches per column over the official table's players (a player we lack counts as zeros)."""
    result = Comparison(players=len(official), exact={stat: 0 for stat in (*REQUIRED, *REPORTED)})
    for player in official:
        mine = ours.get(player.person_id, {})
        for stat, expected in player.totals.items():
            got = mine.get(stat, 0)
            if got == expected:
                result.exact[stat] += 1
            else:
                result.mismatches.setdefault(stat, []).append(f"{player.name}: {got} vs {expected}")
    return result
