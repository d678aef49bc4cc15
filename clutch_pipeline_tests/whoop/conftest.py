"""WHOOP fixtures: a started WHOOP v2 simulator with a few real NBA players and a clock the test moves.

``whoop_simulator`` is a ``WhoopSimulator`` on 127.0.0.1 serving three athletes over
``SIM_START``..``SIM_END`` (2023-01-02..2023-01-15), built in memory from ``SIM_GAMES`` (a hand-made
schedule with home stands, a West road trip, back-to-backs and a matinee):

- Jayson Tatum (``TATUM``, Boston) and Jaylen Brown (``BROWN``, Boston; he sits out game
  ``DNP_GAME``), LeBron James (``LEBRON``, Los Angeles);
- app credentials ``WHOOP_CLIENT_ID`` / ``WHOOP_CLIENT_SECRET``; WHOOP's own limits (100 a minute,
  10,000 a day, in windows of the simulator clock); access tokens live 3600 s;
- its clock is ``whoop_clock`` (a ``SimClock``), set to ``CLOCK_START`` (2023-01-17 12:00 UTC), when
  every record of the range is visible and scored; ``whoop_clock.advance(minutes=61)`` or
  ``whoop_clock.set(moment)`` moves it (token expiry, rate windows, PENDING_SCORE -> SCORED).

``make_whoop_simulator(athletes=None, **kwargs)`` starts another one (``per_minute=5``,
``token_delay_seconds=1``, other athletes...) on the same clock; ``whoop_login(person_id, scopes)``
runs the browser part of OAuth against it and returns the token answer. Faults, the request log and
the counters are per simulator (see ``WhoopSimulator``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from clutch_pipeline.whoop.simulator import (
    ALL_SCOPES,
    Game,
    Player,
    SimulatedAthlete,
    WhoopSimulator,
    simulate_athletes,
)

WHOOP_CLIENT_ID = "clutch-test-client"
WHOOP_CLIENT_SECRET = "clutch-test-secret"
REDIRECT_URI = "https://clutch.example.com/whoop/callback"
SIM_START, SIM_END = date(2023, 1, 2), date(2023, 1, 15)
CLOCK_START = datetime(2023, 1, 17, 12, 0, tzinfo=UTC)

BOS, LAL, DEN, PHX, MIA, NYK = 1610612738, 1610612747, 1610612743, 1610612756, 1610612748, 1610612752
TATUM, BROWN, LEBRON = 1628369, 1627759, 2544
DNP_GAME = "0022200603"


def _game(game_id: str, day: date, utc: str, home: int, away: int, has_actions: bool = False) -> Game:
    hour, minute = (int(part) for part in utc.split(":"))
    tipoff = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(hours=hour, minutes=minute)
    return Game(game_id, day, tipoff, home, away, has_actions)


# Game dates as the NBA prints them (US); tip-offs in UTC, so an evening game tips off "the next day".
SIM_GAMES = [
    _game("0022200550", date(2022, 12, 31), "24:30", BOS, MIA),
    _game("0022200551", date(2022, 12, 31), "27:30", LAL, PHX),
    _game("0022200560", date(2023, 1, 2), "26:00", DEN, BOS),  # West trip: Denver,
    _game("0022200561", date(2023, 1, 2), "27:30", LAL, NYK),
    _game("0022200570", date(2023, 1, 3), "26:00", PHX, BOS),  # then Phoenix, back to back
    _game("0022200575", date(2023, 1, 4), "26:00", PHX, LAL),
    _game("0022200580", date(2023, 1, 5), "27:30", LAL, BOS),  # then Los Angeles
    _game("0022200590", date(2023, 1, 7), "20:30", BOS, NYK),  # a 3:30 pm matinee at home
    _game("0022200591", date(2023, 1, 7), "27:30", LAL, MIA),
    _game(DNP_GAME, date(2023, 1, 9), "24:30", BOS, MIA, has_actions=True),
    _game("0022200604", date(2023, 1, 9), "26:00", DEN, LAL),
    _game("0022200610", date(2023, 1, 10), "24:30", NYK, BOS),  # back to back in New York
    _game("0022200620", date(2023, 1, 11), "24:30", NYK, LAL),
    _game("0022200630", date(2023, 1, 12), "24:30", BOS, DEN),
    _game("0022200640", date(2023, 1, 13), "24:30", MIA, LAL),
    _game("0022200650", date(2023, 1, 14), "25:00", MIA, BOS),
    _game("0022200660", date(2023, 1, 15), "24:30", BOS, LAL),  # back to back, LeBron in Boston
    _game("0022200670", date(2023, 1, 16), "24:30", NYK, LAL),
]


def _team_games(team: int, skip: Sequence[str] = ()) -> dict[str, int]:
    return {
        g.nba_game_id: team
        for g in SIM_GAMES
        if team in (g.home_team_id, g.away_team_id) and g.nba_game_id not in skip
    }


SIM_PLAYERS = [
    Player(TATUM, "Jayson", "Tatum", _team_games(BOS)),
    Player(BROWN, "Jaylen", "Brown", _team_games(BOS, skip=[DNP_GAME])),
    Player(LEBRON, "LeBron", "James", _team_games(LAL)),
]


class SimClock:
    """A UTC clock that moves only when the test moves it; call it for the time."""

    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now

    def set(self, moment: datetime) -> None:
        self.now = moment


@pytest.fixture
def whoop_clock() -> SimClock:
    return SimClock(CLOCK_START)


@pytest.fixture
def whoop_athletes() -> list[SimulatedAthlete]:
    """The three athletes (fresh per test: ``rescore`` and ``delete_record`` change them)."""
    return simulate_athletes(SIM_PLAYERS, SIM_GAMES, SIM_START, SIM_END)


@pytest.fixture
def make_whoop_simulator(
    whoop_athletes: list[SimulatedAthlete], whoop_clock: SimClock
) -> Iterator[Callable[..., WhoopSimulator]]:
    started: list[WhoopSimulator] = []

    def make(athletes: Sequence[SimulatedAthlete] | None = None, **kwargs: Any) -> WhoopSimulator:
        options: dict[str, Any] = {
            "client_id": WHOOP_CLIENT_ID,
            "client_secret": WHOOP_CLIENT_SECRET,
            "clock": whoop_clock,
            **kwargs,
        }
        simulator = WhoopSimulator(whoop_athletes if athletes is None else athletes, **options).start()
        started.append(simulator)
        return simulator

    yield make
    for simulator in started:
        simulator.stop()


@pytest.fixture
def whoop_simulator(make_whoop_simulator: Callable[..., WhoopSimulator]) -> WhoopSimulator:
    return make_whoop_simulator()


@pytest.fixture
def whoop_login(whoop_simulator: WhoopSimulator) -> Callable[..., dict[str, Any]]:
    """``whoop_login(person_id, scopes=ALL_SCOPES, simulator=None)``: authorize (the athlete consents)
    and exchange the code, over HTTP; the token answer as JSON."""

    def login(
        person_id: int, scopes: Sequence[str] = ALL_SCOPES, simulator: WhoopSimulator | None = None
    ) -> dict[str, Any]:
        whoop = simulator or whoop_simulator
        code = authorize_code(whoop, person_id, scopes)
        answer = requests.post(
            whoop.base_url + "/oauth/oauth2/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": REDIRECT_URI,
                "client_id": WHOOP_CLIENT_ID,
                "client_secret": WHOOP_CLIENT_SECRET,
            },
            timeout=5,
        )
        assert answer.status_code == 200, answer.text
        return answer.json()

    return login


def authorize_code(
    whoop: WhoopSimulator, person_id: int, scopes: Sequence[str] = ALL_SCOPES, state: str = "state-0123456789"
) -> str:
    """The code from the authorize redirect (the athlete logs in and consents)."""
    answer = requests.get(
        whoop.base_url + "/oauth/oauth2/auth",
        params={
            "response_type": "code",
            "client_id": WHOOP_CLIENT_ID,
            "redirect_uri": REDIRECT_URI,
            "scope": " ".join(scopes),
            "state": state,
            "athlete": person_id,
        },
        allow_redirects=False,
        timeout=5,
    )
    assert answer.status_code == 302, answer.text
    return parse_qs(urlsplit(answer.headers["Location"]).query)["code"][0]
