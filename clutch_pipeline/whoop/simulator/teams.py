"""Where each NBA team plays its home games: the IANA time zone of its arena, by NBA team id.

Real facts, used to give simulated records the local UTC offset of the city the athlete is in (home,
or the host city of an away game), daylight saving time included.
"""

from __future__ import annotations

from functools import cache
from zoneinfo import ZoneInfo

TEAM_TIME_ZONES: dict[int, str] = {
    1610612737: "America/New_York",  # ATL Atlanta Hawks
    1610612738: "America/New_York",  # BOS Boston Celtics
    1610612739: "America/New_York",  # CLE Cleveland Cavaliers
    1610612740: "America/Chicago",  # NOP New Orleans Pelicans
    1610612741: "America/Chicago",  # CHI Chicago Bulls
    1610612742: "America/Chicago",  # DAL Dallas Mavericks
    1610612743: "America/Denver",  # DEN Denver Nuggets
    1610612744: "America/Los_Angeles",  # GSW Golden State Warriors
    1610612745: "America/Chicago",  # HOU Houston Rockets
    1610612746: "America/Los_Angeles",  # LAC LA Clippers
    1610612747: "America/Los_Angeles",  # LAL Los Angeles Lakers
    1610612748: "America/New_York",  # MIA Miami Heat
    1610612749: "America/Chicago",  # MIL Milwaukee Bucks
    1610612750: "America/Chicago",  # MIN Minnesota Timberwolves
    1610612751: "America/New_York",  # BKN Brooklyn Nets
    1610612752: "America/New_York",  # NYK New York Knicks
    1610612753: "America/New_York",  # ORL Orlando Magic
    1610612754: "America/Indiana/Indianapolis",  # IND Indiana Pacers
    1610612755: "America/New_York",  # PHI Philadelphia 76ers
    1610612756: "America/Phoenix",  # PHX Phoenix Suns (no daylight saving time)
    1610612757: "America/Los_Angeles",  # POR Portland Trail Blazers
    1610612758: "America/Los_Angeles",  # SAC Sacramento Kings
    1610612759: "America/Chicago",  # SAS San Antonio Spurs
    1610612760: "America/Chicago",  # OKC Oklahoma City Thunder
    1610612761: "America/Toronto",  # TOR Toronto Raptors
    1610612762: "America/Denver",  # UTA Utah Jazz
    1610612763: "America/Chicago",  # MEM Memphis Grizzlies
    1610612764: "America/New_York",  # WAS Washington Wizards
    1610612765: "America/Detroit",  # DET Detroit Pistons
    1610612766: "America/New_York",  # CHA Charlotte Hornets
}

# A team the table does not know (an exhibition opponent, an All-Star side) is placed in US Eastern
# time, where the league's schedule is printed.
DEFAULT_TIME_ZONE = "America/New_York"


@cache
def team_zone(nba_team_id: int | None) -> ZoneInfo:
    """The time zone of a team's home arena."""
    return ZoneInfo(TEAM_TIME_ZONES.get(nba_team_id or 0, DEFAULT_TIME_ZONE))
