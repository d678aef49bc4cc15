"""Simulated WHOOP members who are real NBA players, following their teams' real schedules.

``build_athletes`` reads from our database which team each player played for in each game
(``nba_game_players``), then his team's games in the range (``games``: home or away, tip-off in UTC),
plans where he is each day, and hands that to ``physiology.simulate``. ``simulate_athletes`` does the
same from games and players given in memory (tests, the fixture), so the database is only a source.

Where he is: on a game day, in the home team's city; the day before a game, already in its city; on
the days between two away games, on the road at the next host; otherwise at home. A player's team on
a day is the team he last played for (his first team before his first game in the range), so trades
move him. A game whose play-by-play is loaded but does not list him among who played counts as not
played (he is with the team, his workout is a light one); a game without play-by-play counts as played.
"""

from __future__ import annotations

import bisect
import csv
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import psycopg

from clutch_pipeline.whoop.simulator import store
from clutch_pipeline.whoop.simulator.physiology import DayPlan, DayTruth, GamePlan, simulate
from clutch_pipeline.whoop.simulator.records import SimRecord
from clutch_pipeline.whoop.simulator.teams import team_zone

# user_id = (person_id * A + B) mod P: one-to-one for person ids below P, deterministic, and not the
# person id itself (a client must learn it from the profile, as with WHOOP).
_USER_ID_PRIME = 2_147_483_647
_USER_ID_A = 48_271
_USER_ID_B = 1_000_003
# Tip-off assumed when the games table has none: 19:30 local time at the host.
DEFAULT_TIPOFF = time(19, 30)
EMAIL_DOMAIN = "athletes.example.com"


@dataclass(frozen=True)
class Game:
    """A game as the simulator needs it (see ``games`` in sql/001_core.sql)."""

    nba_game_id: str
    game_date: date
    tipoff_at: datetime | None  # UTC; None: 19:30 at the host
    home_team_id: int
    away_team_id: int
    has_actions: bool = False  # play-by-play loaded: a player absent from it did not play


@dataclass(frozen=True)
class Player:
    """A player and the team he played for in each game he played in (``nba_game_id -> team id``)."""

    person_id: int
    first_name: str
    last_name: str
    game_teams: Mapping[str, int] = field(default_factory=dict)
    team_id: int | None = None  # his team when no game names one


@dataclass
class SimulatedAthlete:
    """One WHOOP member: an NBA player with a deterministic WHOOP history."""

    person_id: int
    user_id: int
    first_name: str
    last_name: str
    email: str
    cycles: list[SimRecord]
    sleeps: list[SimRecord]  # main sleeps and naps
    recoveries: list[SimRecord]
    workouts: list[SimRecord]
    body: dict[str, float | int]
    days: list[DayTruth]  # the ground truth behind the records, one per physiological day

    def records(self, record_type: str) -> list[SimRecord]:
        return {
            "cycle": self.cycles,
            "sleep": self.sleeps,
            "recovery": self.recoveries,
            "workout": self.workouts,
        }[record_type]


def user_id_for(person_id: int) -> int:
    """The WHOOP user id of an NBA person id (int64, deterministic, distinct per person)."""
    return (person_id * _USER_ID_A + _USER_ID_B) % _USER_ID_PRIME + 1


def email_for(person_id: int, first_name: str, last_name: str) -> str:
    name = ".".join(_ascii(part) for part in (first_name, last_name) if _ascii(part))
    return f"{name or 'player'}.{person_id}@{EMAIL_DOMAIN}"


def players_of_games(conn: psycopg.Connection, start: date, end: date) -> list[int]:
    """The person ids that played in the games dated ``start`` to ``end``."""
    return store.person_ids_in_games(conn, start, end)


def build_athletes(
    conn: psycopg.Connection,
    person_ids: Iterable[int],
    start: date,
    end: date,
    *,
    readiness: Mapping[tuple[int, date], float] | None = None,
    seed: int = 0,
) -> list[SimulatedAthlete]:
    """Athletes for these NBA players over the physiological days ``start`` to ``end`` inclusive.

    A player who acts in no game within 60 days of the range has no team to follow and is left out.
    """
    ids = sorted(set(person_ids))
    if not ids:
        return []
    margin = timedelta(days=60)
    game_teams: dict[int, dict[str, int]] = defaultdict(dict)
    for person_id, game_id, _day, team_id in store.player_game_teams(conn, ids, start - margin, end + margin):
        game_teams[person_id][game_id] = team_id
    names = store.player_names(conn, ids)
    players = [
        Player(person_id, *_split_name(person_id, names.get(person_id)), game_teams=game_teams[person_id])
        for person_id in ids
        if game_teams.get(person_id)
    ]
    team_ids = sorted({team for teams in game_teams.values() for team in teams.values()})
    rows = store.team_games(conn, team_ids, start - margin, end + margin)
    games = [
        Game(r.nba_game_id, r.game_date, r.tipoff_at, r.home_team_id, r.away_team_id, r.has_actions)
        for r in rows
    ]
    return simulate_athletes(players, games, start, end, readiness=readiness, seed=seed)


def simulate_athletes(
    players: Sequence[Player],
    games: Sequence[Game],
    start: date,
    end: date,
    *,
    readiness: Mapping[tuple[int, date], float] | None = None,
    seed: int = 0,
) -> list[SimulatedAthlete]:
    """Athletes for players whose games are given in memory (no database)."""
    by_id = {game.nba_game_id: game for game in games}
    by_team: dict[int, list[Game]] = defaultdict(list)
    for game in sorted(games, key=lambda g: (g.game_date, g.nba_game_id)):
        by_team[game.home_team_id].append(game)
        by_team[game.away_team_id].append(game)
    per_person: dict[int, dict[date, float]] = defaultdict(dict)
    for (person_id, day), value in (readiness or {}).items():
        per_person[int(person_id)][day] = float(value)
    athletes = []
    for player in players:
        plans = plan_days(player, by_id, by_team, start - timedelta(days=2), end + timedelta(days=1))
        user_id = user_id_for(player.person_id)
        history = simulate(
            player.person_id,
            user_id,
            plans,
            start,
            end,
            readiness=per_person.get(player.person_id),
            seed=seed,
        )
        athletes.append(
            SimulatedAthlete(
                person_id=player.person_id,
                user_id=user_id,
                first_name=player.first_name,
                last_name=player.last_name,
                email=email_for(player.person_id, player.first_name, player.last_name),
                cycles=history.cycles,
                sleeps=history.sleeps,
                recoveries=history.recoveries,
                workouts=history.workouts,
                body=history.body,
                days=history.days,
            )
        )
    return athletes


def plan_days(
    player: Player,
    games_by_id: Mapping[str, Game],
    games_by_team: Mapping[int, list[Game]],
    first: date,
    last: date,
) -> dict[date, DayPlan]:
    """Where the player is and what he plays on each day from ``first`` to ``last``."""
    known = sorted(
        (games_by_id[g].game_date, team) for g, team in player.game_teams.items() if g in games_by_id
    )
    known_days = [day for day, _team in known]

    def team_on(day: date) -> int | None:
        if not known:
            return player.team_id
        index = bisect.bisect_right(known_days, day) - 1
        return known[max(index, 0)][1]

    plans: dict[date, DayPlan] = {}
    day = first
    while day <= last:
        team = team_on(day)
        schedule = games_by_team.get(team, []) if team is not None else []
        days = [g.game_date for g in schedule]
        index = bisect.bisect_left(days, day)
        today = schedule[index] if index < len(schedule) and days[index] == day else None
        if today is not None:
            played = player.game_teams.get(today.nba_game_id) is not None or not today.has_actions
            back_to_back = index > 0 and days[index - 1] == day - timedelta(days=1)
            plans[day] = DayPlan(day, team, today.home_team_id, _game_plan(today, team, played, back_to_back))
        else:
            upcoming = schedule[index] if index < len(schedule) else None
            previous = schedule[index - 1] if index > 0 else None
            plans[day] = DayPlan(day, team, _where(team, day, previous, upcoming))
        day += timedelta(days=1)
    return plans


def _where(team: int | None, day: date, previous: Game | None, upcoming: Game | None) -> int | None:
    """The city (by team) a player is in on a day without a game."""
    if upcoming is not None and (upcoming.game_date - day).days <= 1:
        return upcoming.home_team_id  # the day before a game: already there
    on_the_road = (
        previous is not None
        and upcoming is not None
        and previous.home_team_id != team
        and upcoming.home_team_id != team
        and (upcoming.game_date - previous.game_date).days <= 5
    )
    return upcoming.home_team_id if on_the_road else team


def _game_plan(game: Game, team: int, played: bool, back_to_back: bool) -> GamePlan:
    home = game.home_team_id == team
    tipoff = game.tipoff_at
    if tipoff is None:
        tipoff = datetime.combine(game.game_date, DEFAULT_TIPOFF, team_zone(game.home_team_id))
    return GamePlan(
        nba_game_id=game.nba_game_id,
        tipoff=tipoff.astimezone(UTC),
        home_team_id=game.home_team_id,
        opponent_team_id=game.away_team_id if home else game.home_team_id,
        home=home,
        played=played,
        back_to_back=back_to_back,
    )


def load_readiness_csv(path: Path | str) -> dict[tuple[int, date], float]:
    """``person_id,date,readiness`` rows (a header line, ISO dates, standard-normal units) as the
    mapping ``build_athletes`` takes."""
    values: dict[tuple[int, date], float] = {}
    with Path(path).open(newline="") as handle:
        reader = csv.DictReader(handle)
        missing = {"person_id", "date", "readiness"} - set(reader.fieldnames or ())
        if missing:
            raise ValueError(f"{path}: missing column(s) {', '.join(sorted(missing))}")
        for line, row in enumerate(reader, start=2):
            try:
                key = (int(row["person_id"]), date.fromisoformat(row["date"].strip()))
                values[key] = float(row["readiness"])
            except (TypeError, ValueError) as exc:
                raise ValueError(f"{path}, line {line}: {exc}") from None
    return values


def _split_name(person_id: int, name: tuple[str | None, str | None, str] | None) -> tuple[str, str]:
    """First and last name: the players table's, or split from its full name ("D. Mitchell")."""
    if name is None:
        return "Player", str(person_id)
    first, last, full = name
    if first and last:
        return first, last
    parts = full.split()
    if len(parts) >= 2:
        return parts[0], " ".join(parts[1:])
    return "Player", full or str(person_id)


def _ascii(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in plain.lower() if ch.isalnum())
