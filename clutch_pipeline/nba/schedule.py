"""The NBA's schedule and today's scoreboard as typed games, and the pure plan of a live-game sensor.

Pure: data in, data out, standard library only, so the schedule asset, the live sensor, the CLI and
tests share it. Facts it relies on (NBA_DATA.md 3.4, 3.6):

* Times come from the *UTC* fields only. ET fields (``gameDateTimeEst``, ``gameEt`` ...) carry a fake
  "Z" and are never read. In the season schedule ``gameTimeUTC`` holds only a time of day on a date in
  1900, so tip-off is ``gameDateTimeUTC``; on the scoreboards ``gameTimeUTC`` is the real tip-off.
* A time in a year before the NBA existed (``0001-01-01``, ``1900-...``) is a placeholder: no time yet.
* ``game_date`` is the US-Eastern date of tip-off, the date the NBA prints (the schedule's
  ``gameDateEst``), so a 10 pm ET game is dated the day it starts in New York, not the next UTC day.
* Season and season type come from the game id ``00SYYNNNNN`` as the ``games`` table derives them.

Bad data: a payload whose shape is wrong (not an object, no game list) raises ``ScheduleError``. One
malformed game inside a good payload does not sink the others: ``parse_schedule`` skips it and reports
it beside the undecided games; ``parse_scoreboard`` does the same when the caller passes a ``skipped``
list and raises otherwise. A payload whose every game is malformed raises (the format changed).

A past season's games come from stats.nba.com's ``leaguegamelog`` (team rows, NBA_DATA.md 3.0):
``parse_league_game_log`` pairs each game's two rows into one final game, skipping and reporting the
games whose rows do not pair.

The live plan (``plan_live_runs``) decides, from today's scoreboard, which games are new, which need a
run and why the others do not, and carries a small cursor from tick to tick; see its docstring for the
fingerprint and cursor formats.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

log = logging.getLogger(__name__)

EASTERN = ZoneInfo("America/New_York")

SCHEDULED = "scheduled"
IN_PROGRESS = "in_progress"
FINAL = "final"
POSTPONED = "postponed"
STATUSES = (SCHEDULED, IN_PROGRESS, FINAL, POSTPONED)

# The id's third digit (NBA_DATA.md 3.6); the same table as ``games.season_type`` in sql/001_core.sql.
SEASON_TYPES: Mapping[str, str] = {
    "1": "preseason",
    "2": "regular_season",
    "3": "all_star",
    "4": "playoffs",
    "5": "play_in",
    "6": "in_season_tournament_final",
}

# Our season types -> the ``SeasonType`` parameter of stats.nba.com's legacy endpoints (leaguegamelog).
STATS_SEASON_TYPES: Mapping[str, str] = {
    "preseason": "Pre Season",
    "regular_season": "Regular Season",
    "playoffs": "Playoffs",
    "play_in": "PlayIn",
}

_GAME_ID = re.compile(r"00[1-6][0-9]{7}")
_GAME_STATUS = {1: SCHEDULED, 2: IN_PROGRESS, 3: FINAL}
_POSTPONED_TEXTS = frozenset({"PPD", "POSTPONED"})
# The NBA's first season was 1946-47: any earlier year in a time field is a placeholder.
_FIRST_SEASON_YEAR = 1946

CURSOR_VERSION = 1


class ScheduleError(ValueError):
    """A schedule or scoreboard that cannot be read; the message names the game (when known) and field."""

    def __init__(self, message: str, *, game_id: str | None = None, field: str | None = None) -> None:
        where = " ".join(part for part in (f"game {game_id}" if game_id else None, field) if part)
        super().__init__(f"{where}: {message}" if where else message)
        self.game_id = game_id
        self.field = field
        self.detail = message

    @property
    def reason(self) -> str:
        """The message without the game id: ``gameDateTimeUTC: missing``."""
        return f"{self.field}: {self.detail}" if self.field else self.detail


@dataclass(frozen=True, slots=True)
class ScheduledGame:
    game_id: str
    season: str  # "2023-24"
    season_type: str  # one of SEASON_TYPES' values
    game_date: date  # US-Eastern date of tip-off
    tipoff_utc: datetime | None  # aware, UTC; None while the NBA gives no time
    status: str  # one of STATUSES
    home_team_id: int
    away_team_id: int
    home_tricode: str | None
    away_tricode: str | None
    home_score: int | None  # None before tip-off
    away_score: int | None
    period: int | None  # scoreboards only; None before tip-off
    game_clock: str | None  # scoreboards only, as the NBA writes it ("PT05M12.00S")


# -- game ids -------------------------------------------------------------------------------------------


def season_of(game_id: str) -> str:
    """``"2023-24"`` from ``"0022300061"``: characters 4-5 are the season's starting year (46-99: 19xx)."""
    yy = int(_checked_game_id(game_id)[3:5])
    start = (1900 if yy >= _FIRST_SEASON_YEAR % 100 else 2000) + yy
    return f"{start}-{(start + 1) % 100:02d}"


def season_type_of(game_id: str) -> str:
    """The season type from the id's third digit (``"0062300001"`` -> in_season_tournament_final)."""
    return SEASON_TYPES[_checked_game_id(game_id)[2]]


def stats_season_type(season_type: str) -> str:
    """The endpoint's ``SeasonType`` for one of ours: ``"regular_season"`` -> ``"Regular Season"``."""
    try:
        return STATS_SEASON_TYPES[season_type]
    except KeyError:
        known = ", ".join(STATS_SEASON_TYPES)
        raise ValueError(f"no stats.nba.com season type for {season_type!r} (known: {known})") from None


def _checked_game_id(game_id: object) -> str:
    if not isinstance(game_id, str) or not _GAME_ID.fullmatch(game_id):
        raise ScheduleError(f"an NBA game id is 00 + season type 1-6 + 7 digits, got {game_id!r}")
    return game_id


# -- parsing --------------------------------------------------------------------------------------------


def parse_schedule(payload: Any) -> tuple[list[ScheduledGame], list[str]]:
    """The CDN season schedule (``scheduleLeagueV2``) as games, plus what was skipped and why.

    Returns ``(games, skipped)``: ``skipped`` has one ``"<game id>: <reason>"`` line per game left out,
    so callers can count and log them: undecided games (a team id 0, e.g. the in-season tournament's
    knockout rounds before the group stage ends), malformed games and repeated ids. A game whose teams
    are known but whose time is not (a year-0001 ``gameTimeUTC``) is kept with ``tipoff_utc`` None.
    """
    schedule = _mapping(_mapping(payload, "payload").get("leagueSchedule"), "leagueSchedule")
    game_dates = _list(schedule.get("gameDates"), "leagueSchedule.gameDates")
    raw_games: list[tuple[str, Any]] = []
    for i, game_date in enumerate(game_dates):
        where = f"leagueSchedule.gameDates[{i}]"
        for j, raw in enumerate(_list(_mapping(game_date, where).get("games"), f"{where}.games")):
            raw_games.append((f"{where}.games[{j}]", raw))
    return _read_games(raw_games, _schedule_game)


def parse_scoreboard(payload: Any, *, skipped: list[str] | None = None) -> list[ScheduledGame]:
    """Today's games from the CDN ``todaysScoreboard_00.json`` or stats ``scoreboardv3`` (same shape).

    A malformed game raises ``ScheduleError``, unless the caller passes a ``skipped`` list: then it is
    left out and described there (``"<game id>: <reason>"``), so one bad game does not stop the others.
    """
    scoreboard = _mapping(_mapping(payload, "payload").get("scoreboard"), "scoreboard")
    fallback_date = _optional_date(scoreboard.get("gameDate"), "scoreboard.gameDate")
    raw_games = [
        (f"scoreboard.games[{i}]", raw)
        for i, raw in enumerate(_list(scoreboard.get("games"), "scoreboard.games"))
    ]

    def read(raw: Mapping[str, Any], game_id: str) -> ScheduledGame:
        return _scoreboard_game(raw, game_id, fallback_date)

    if skipped is None:
        games, problems = _read_games(raw_games, read, strict=True)
    else:
        games, problems = _read_games(raw_games, read)
        skipped.extend(problems)
    return games


def parse_league_game_log(payload: Any) -> tuple[list[ScheduledGame], list[str]]:
    """stats.nba.com ``leaguegamelog`` with team rows (``PlayerOrTeam=T``) as final games, plus what was
    skipped and why (``"<game id>: <reason>"``).

    Each game has two rows, one per team; the home team's ``MATCHUP`` reads ``"BOS vs. PHI"``, the away
    team's ``"PHI @ BOS"``. Scores are the rows' ``PTS``, the date is ``GAME_DATE`` (the NBA's date, US
    Eastern); the log gives no tip-off time. Columns are read by name, from ``resultSets`` or
    ``resultSet``. A game with one row, or two rows that are not one home and one away team, is skipped;
    a malformed row or game is skipped too, unless every one is (the format changed): then, as for a
    payload of the wrong shape, ``ScheduleError``. Games come in the order of their first row.
    """
    headers, rows = _game_log_table(payload)
    by_game: dict[str, list[dict[str, Any]]] = {}
    skipped: list[str] = []
    for i, row in enumerate(rows):
        where = f"{_GAME_LOG}.rowSet[{i}]"
        if not isinstance(row, list) or len(row) != len(headers):
            got = f"{len(row)}" if isinstance(row, list) else f"a {type(row).__name__}"
            skipped.append(f"{where}: malformed: expected a list of {len(headers)} values, got {got}")
            continue
        values = dict(zip(headers, row, strict=True))
        try:
            game_id = _checked_game_id(values["GAME_ID"])
        except ScheduleError as exc:
            skipped.append(f"{where}: malformed: GAME_ID: {exc.reason}")
            continue
        by_game.setdefault(game_id, []).append(values)
    if skipped and not by_game:
        raise ScheduleError(f"every row is malformed ({len(skipped)}); the first: {skipped[0]}")
    raw_games = [(game_id, {"gameId": game_id, "rows": game_rows}) for game_id, game_rows in by_game.items()]
    games, problems = _read_games(raw_games, _game_log_game)
    return games, skipped + problems


_GAME_LOG = "LeagueGameLog"
_GAME_LOG_COLUMNS = ("GAME_ID", "GAME_DATE", "MATCHUP", "TEAM_ID", "TEAM_ABBREVIATION", "PTS")


def _game_log_table(payload: Any) -> tuple[list[str], list[Any]]:
    """The ``LeagueGameLog`` result set's headers and rows; ScheduleError when the shape is wrong."""
    top = _mapping(payload, "payload")
    key = "resultSet" if "resultSet" in top and "resultSets" not in top else "resultSets"
    sets = top.get(key)
    candidates = [sets] if isinstance(sets, Mapping) else _list(sets, key)
    named = [s for s in candidates if isinstance(s, Mapping) and s.get("name") == _GAME_LOG]
    if len(named) != 1:
        names = [s.get("name") for s in candidates if isinstance(s, Mapping)]
        raise ScheduleError(f"expected one {_GAME_LOG} result set, got {names}", field=key)
    table = named[0]
    headers = _list(table.get("headers"), f"{_GAME_LOG}.headers")
    if not all(isinstance(name, str) for name in headers) or len(set(headers)) != len(headers):
        raise ScheduleError(f"expected distinct column names, got {headers!r}", field=f"{_GAME_LOG}.headers")
    missing = [name for name in _GAME_LOG_COLUMNS if name not in headers]
    if missing:
        raise ScheduleError(f"missing columns {missing}", field=f"{_GAME_LOG}.headers")
    return headers, _list(table.get("rowSet"), f"{_GAME_LOG}.rowSet")


def _game_log_game(raw: Mapping[str, Any], game_id: str) -> ScheduledGame | str:
    rows: list[Mapping[str, Any]] = raw["rows"]
    teams = ", ".join(str(row.get("TEAM_ABBREVIATION")) for row in rows)
    if len(rows) != 2:
        return f"{len(rows)} team rows ({teams}), expected 2"
    sides = [_game_log_side(row, game_id) for row in rows]
    home = [row for row, side in zip(rows, sides, strict=True) if side == "home"]
    away = [row for row, side in zip(rows, sides, strict=True) if side == "away"]
    if len(home) != 1 or len(away) != 1:
        matchups = " and ".join(repr(row.get("MATCHUP")) for row in rows)
        return f"not one home and one away team: MATCHUP {matchups}"
    home_id = _int(home[0].get("TEAM_ID"), "TEAM_ID", game_id)
    away_id = _int(away[0].get("TEAM_ID"), "TEAM_ID", game_id)
    if home_id <= 0 or away_id <= 0 or home_id == away_id:
        return f"not two teams: team ids {home_id} and {away_id}"
    game_date = _game_log_date(home[0], game_id)
    if _game_log_date(away[0], game_id) != game_date:
        return f"the rows disagree on GAME_DATE ({home[0].get('GAME_DATE')}, {away[0].get('GAME_DATE')})"
    return ScheduledGame(
        game_id=game_id,
        season=season_of(game_id),
        season_type=season_type_of(game_id),
        game_date=game_date,
        tipoff_utc=None,
        status=FINAL,
        home_team_id=home_id,
        away_team_id=away_id,
        home_tricode=_game_log_tricode(home[0], game_id),
        away_tricode=_game_log_tricode(away[0], game_id),
        home_score=_int(home[0].get("PTS"), "PTS", game_id),
        away_score=_int(away[0].get("PTS"), "PTS", game_id),
        period=None,
        game_clock=None,
    )


def _game_log_side(row: Mapping[str, Any], game_id: str) -> str | None:
    """``"home"`` for ``"BOS vs. PHI"``, ``"away"`` for ``"PHI @ BOS"``, None for anything else."""
    matchup = row.get("MATCHUP")
    if not isinstance(matchup, str):
        raise ScheduleError(f"expected a string, got {matchup!r}", game_id=game_id, field="MATCHUP")
    if " vs. " in matchup and " @ " not in matchup:
        return "home"
    if " @ " in matchup and " vs. " not in matchup:
        return "away"
    return None


def _game_log_date(row: Mapping[str, Any], game_id: str) -> date:
    """``GAME_DATE`` is ``"2022-10-18"`` (also accepted: with a time after it, ``"2022-10-18T00:00:00"``)."""
    value = row.get("GAME_DATE")
    if isinstance(value, str):
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            pass
    detail = "missing" if value in (None, "") else f"not a date: {value!r}"
    raise ScheduleError(detail, game_id=game_id, field="GAME_DATE")


def _game_log_tricode(row: Mapping[str, Any], game_id: str) -> str | None:
    value = row.get("TEAM_ABBREVIATION")
    if value is None:
        return None
    if not isinstance(value, str):
        raise ScheduleError(f"expected a string, got {value!r}", game_id=game_id, field="TEAM_ABBREVIATION")
    return value.strip() or None


def _read_games(
    raw_games: Sequence[tuple[str, Any]],
    read: Callable[[Mapping[str, Any], str], ScheduledGame | str],
    *,
    strict: bool = False,
) -> tuple[list[ScheduledGame], list[str]]:
    """Read each game; a reader returns a game or the reason to skip it, or raises ScheduleError."""
    games: list[ScheduledGame] = []
    skipped: list[str] = []
    seen: set[str] = set()
    malformed: ScheduleError | None = None
    for where, raw in raw_games:
        game_id = raw.get("gameId") if isinstance(raw, Mapping) else None
        label = game_id if isinstance(game_id, str) and game_id else where
        try:
            game = read(_mapping(raw, where), _checked_field_game_id(raw))
        except ScheduleError as exc:
            if strict:
                raise
            malformed = malformed or exc
            skipped.append(f"{label}: malformed: {exc.reason}")
            continue
        if isinstance(game, str):
            skipped.append(f"{label}: {game}")
        elif game.game_id in seen:
            skipped.append(f"{label}: listed again; the first listing was kept")
        else:
            seen.add(game.game_id)
            games.append(game)
    if malformed is not None and not games:
        raise ScheduleError(f"every game is malformed ({len(skipped)} skipped); the first: {malformed}")
    return games, skipped


def _checked_field_game_id(raw: Mapping[str, Any]) -> str:
    try:
        return _checked_game_id(raw.get("gameId"))
    except ScheduleError as exc:
        raise ScheduleError(str(exc), field="gameId") from None


def _schedule_game(raw: Mapping[str, Any], game_id: str) -> ScheduledGame | str:
    home = _mapping(raw.get("homeTeam"), "homeTeam", game_id)
    away = _mapping(raw.get("awayTeam"), "awayTeam", game_id)
    home_id = _int(home.get("teamId"), "homeTeam.teamId", game_id)
    away_id = _int(away.get("teamId"), "awayTeam.teamId", game_id)
    if home_id == 0 or away_id == 0:
        return f"undecided (team ids {home_id} and {away_id})"
    tipoff = _utc_time(raw.get("gameDateTimeUTC"), "gameDateTimeUTC", game_id)
    if tipoff is None or _time_not_set(raw.get("gameTimeUTC")):
        # No time yet: gameDateTimeUTC is then New York midnight, gameDateUTC likewise.
        midnight = _utc_time(raw.get("gameDateUTC"), "gameDateUTC", game_id)
        if midnight is None:
            raise ScheduleError("no date", game_id=game_id, field="gameDateUTC")
        return _game(raw, game_id, home, away, None, midnight.astimezone(EASTERN).date(), None, None)
    return _game(raw, game_id, home, away, tipoff, tipoff.astimezone(EASTERN).date(), None, None)


def _scoreboard_game(raw: Mapping[str, Any], game_id: str, fallback_date: date | None) -> ScheduledGame:
    home = _mapping(raw.get("homeTeam"), "homeTeam", game_id)
    away = _mapping(raw.get("awayTeam"), "awayTeam", game_id)
    tipoff = _utc_time(raw.get("gameTimeUTC"), "gameTimeUTC", game_id)
    if tipoff is not None:
        game_date = tipoff.astimezone(EASTERN).date()
    elif fallback_date is not None:
        game_date = fallback_date
    else:
        raise ScheduleError(
            "no tip-off time and no scoreboard.gameDate", game_id=game_id, field="gameTimeUTC"
        )
    period = _int(raw.get("period"), "period", game_id) if raw.get("period") is not None else None
    clock = raw.get("gameClock")
    if clock is not None and not isinstance(clock, str):
        raise ScheduleError(f"expected a string, got {clock!r}", game_id=game_id, field="gameClock")
    return _game(raw, game_id, home, away, tipoff, game_date, period or None, (clock or "").strip() or None)


def _game(
    raw: Mapping[str, Any],
    game_id: str,
    home: Mapping[str, Any],
    away: Mapping[str, Any],
    tipoff: datetime | None,
    game_date: date,
    period: int | None,
    clock: str | None,
) -> ScheduledGame:
    status = _status(raw, game_id)
    home_id = _int(home.get("teamId"), "homeTeam.teamId", game_id)
    away_id = _int(away.get("teamId"), "awayTeam.teamId", game_id)
    if home_id <= 0 or away_id <= 0 or home_id == away_id:
        raise ScheduleError(f"team ids {home_id} and {away_id}", game_id=game_id, field="teamId")
    played = status in (IN_PROGRESS, FINAL)
    return ScheduledGame(
        game_id=game_id,
        season=season_of(game_id),
        season_type=season_type_of(game_id),
        game_date=game_date,
        tipoff_utc=tipoff,
        status=status,
        home_team_id=home_id,
        away_team_id=away_id,
        home_tricode=_tricode(home, "homeTeam", game_id),
        away_tricode=_tricode(away, "awayTeam", game_id),
        home_score=_int(home.get("score"), "homeTeam.score", game_id) if played else None,
        away_score=_int(away.get("score"), "awayTeam.score", game_id) if played else None,
        period=period if played else None,
        game_clock=clock if played else None,
    )


def _status(raw: Mapping[str, Any], game_id: str) -> str:
    text = raw.get("gameStatusText")
    if isinstance(text, str) and text.strip().upper() in _POSTPONED_TEXTS:
        return POSTPONED
    code = _int(raw.get("gameStatus"), "gameStatus", game_id)
    if code not in _GAME_STATUS:
        raise ScheduleError(f"unknown status {code} (1, 2, 3 known)", game_id=game_id, field="gameStatus")
    return _GAME_STATUS[code]


def _tricode(team: Mapping[str, Any], side: str, game_id: str) -> str | None:
    value = team.get("teamTricode")
    if value is None:
        return None
    if not isinstance(value, str):
        raise ScheduleError(f"expected a string, got {value!r}", game_id=game_id, field=f"{side}.teamTricode")
    return value.strip() or None


# -- small readers --------------------------------------------------------------------------------------


def _mapping(value: Any, field: str, game_id: str | None = None) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        detail = "missing" if value is None else f"expected an object, got {type(value).__name__}"
        raise ScheduleError(detail, game_id=game_id, field=field)
    return value


def _list(value: Any, field: str) -> list[Any]:
    if not isinstance(value, list):
        detail = "missing" if value is None else f"expected a list, got {type(value).__name__}"
        raise ScheduleError(detail, field=field)
    return value


def _int(value: Any, field: str, game_id: str) -> int:
    """An integer, also from a string of digits (some NBA feeds quote numbers); never a bool or float."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    detail = "missing" if value is None else f"expected an integer, got {value!r}"
    raise ScheduleError(detail, game_id=game_id, field=field)


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _time_not_set(value: Any) -> bool:
    """The schedule's ``gameTimeUTC`` is a time of day on a 1900 date; year 0001 means no time yet."""
    parsed = _parse_time(value)
    return parsed is not None and parsed.year < 1900


def _utc_time(value: Any, field: str, game_id: str) -> datetime | None:
    """A UTC field as an aware datetime; None for a placeholder year (0001, 1900). A time without an
    offset is read as UTC, as the field's name says."""
    parsed = _parse_time(value)
    if parsed is None:
        detail = "missing" if value in (None, "") else f"not an ISO-8601 time: {value!r}"
        raise ScheduleError(detail, game_id=game_id, field=field)
    return None if parsed.year < _FIRST_SEASON_YEAR else parsed


def _optional_date(value: Any, field: str) -> date | None:
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        raise ScheduleError(f"not a date: {value!r}", field=field) from None


# -- the live sensor's plan -----------------------------------------------------------------------------


@dataclass
class LivePlan:
    """What one sensor tick should do: partitions to add, runs to request, the next cursor, and why
    each game without a run has none (game id -> reason)."""

    new_games: list[str]
    runs: list[tuple[str, str]]  # (game id, run key)
    cursor: dict[str, str]  # game id -> "<status>:<last fingerprint>", see plan_live_runs
    skipped: dict[str, str]


def scoreboard_fingerprint(game: ScheduledGame) -> str:
    """What changes while a game is played, as the scoreboard shows it: ``p3-PT05M12.00S-54-61``
    (period, clock, home score, away score). It stands still in breaks (quarter ends, half time)."""
    return f"p{game.period or 0}-{game.game_clock or 'none'}-{game.home_score or 0}-{game.away_score or 0}"


def live_run_key(game_id: str, fingerprint: str) -> str:
    """The run key of a live load: ``<game id>:live:<fingerprint>``; never equal to a final run's key."""
    return f"{game_id}:live:{fingerprint}"


def final_run_key(game_id: str) -> str:
    """The run key of a game's one final load: ``<game id>:final``."""
    return f"{game_id}:final"


def plan_live_runs(
    games: Sequence[ScheduledGame], cursor: Mapping[str, str], fingerprints: Mapping[str, str]
) -> LivePlan:
    """Decide one tick of the live sensor from today's scoreboard games.

    ``fingerprints``: game id -> a string that changes whenever the game's play-by-play has grown. The
    sensor passes ``scoreboard_fingerprints(games)`` (free: the scoreboard is already fetched); a caller
    that reads the play-by-play may pass e.g. ``f"{len(actions)}-{last actionNumber}"`` instead. An
    in-progress game missing from it (or with "") falls back to its scoreboard fingerprint.

    ``cursor``: game id -> ``"<status>:<fingerprint of the last live run requested, or empty>"``, e.g.
    ``"in_progress:p3-PT05M12.00S-54-61"``, ``"final:"``; ``dump_cursor``/``load_cursor`` store it.

    * A game not in the cursor is new (a partition to add), whatever its status.
    * In progress: one run when its fingerprint differs from the last one a run was requested for,
      keyed ``<id>:live:<fingerprint>``; unchanged -> skipped.
    * Final: one run keyed ``<id>:final`` the first time it is seen final; after that skipped, even if
      the scoreboard shows it in progress again. A final run that fails is retried by Dagster's run
      retries or a backfill, not by this plan.
    * Scheduled and postponed games: skipped with that reason.

    The new cursor holds only the games on this scoreboard: yesterday's games drop out when the
    scoreboard turns over. Run keys are deterministic, so should a game reappear, Dagster's run-key
    deduplication still refuses a second run for a key already used.
    """
    plan = LivePlan(new_games=[], runs=[], cursor={}, skipped={})
    for game in {game.game_id: game for game in games}.values():
        game_id = game.game_id
        previous = cursor.get(game_id)
        if previous is None:
            plan.new_games.append(game_id)
            previous_status, last_fingerprint = None, ""
        else:
            previous_status, _, last_fingerprint = previous.partition(":")

        if previous_status == FINAL:
            plan.skipped[game_id] = "final run already requested"
            plan.cursor[game_id] = f"{FINAL}:{last_fingerprint}"
        elif game.status == FINAL:
            plan.runs.append((game_id, final_run_key(game_id)))
            plan.cursor[game_id] = f"{FINAL}:{last_fingerprint}"
        elif game.status == IN_PROGRESS:
            fingerprint = fingerprints.get(game_id) or scoreboard_fingerprint(game)
            if fingerprint == last_fingerprint:
                plan.skipped[game_id] = "unchanged since last run"
            else:
                plan.runs.append((game_id, live_run_key(game_id, fingerprint)))
            plan.cursor[game_id] = f"{IN_PROGRESS}:{fingerprint}"
        else:
            plan.skipped[game_id] = game.status  # "scheduled" or "postponed"
            plan.cursor[game_id] = f"{game.status}:{last_fingerprint}"
    return plan


def scoreboard_fingerprints(games: Sequence[ScheduledGame]) -> dict[str, str]:
    """``scoreboard_fingerprint`` of each game in progress: what the sensor passes to ``plan_live_runs``."""
    return {game.game_id: scoreboard_fingerprint(game) for game in games if game.status == IN_PROGRESS}


def dump_cursor(cursor: Mapping[str, str]) -> str:
    """The sensor's cursor string: ``{"version": 1, "games": {...}}``, sorted, compact."""
    return json.dumps(
        {"version": CURSOR_VERSION, "games": dict(sorted(cursor.items()))}, separators=(",", ":")
    )


def load_cursor(text: str | None, *, on_reset: Callable[[str], None] | None = None) -> dict[str, str]:
    """The cursor ``dump_cursor`` wrote. None or "" (a first tick) gives an empty cursor. Garbage (not
    JSON, another version, a bad entry) starts fresh for what cannot be read and says so through
    ``on_reset`` (e.g. ``context.log.warning``; default: this module's logger). Starting fresh is safe:
    every game is new again, and run keys already used are refused by Dagster."""
    report = on_reset or log.warning
    if text is None or not text.strip():
        return {}
    try:
        data = json.loads(text)
    except ValueError:
        report(f"sensor cursor is not JSON, starting fresh: {text[:80]!r}")
        return {}
    if not isinstance(data, dict) or data.get("version") != CURSOR_VERSION:
        report(f"sensor cursor is not a version-{CURSOR_VERSION} cursor, starting fresh: {text[:80]!r}")
        return {}
    games = data.get("games")
    if not isinstance(games, dict):
        report("sensor cursor has no games object, starting fresh")
        return {}
    cursor: dict[str, str] = {}
    for game_id, value in games.items():
        status = value.partition(":")[0] if isinstance(value, str) else None
        if _GAME_ID.fullmatch(game_id) and status in STATUSES:
            cursor[game_id] = value
        else:
            report(f"sensor cursor entry {game_id!r}: {value!r} is unreadable; that game starts fresh")
    return cursor
