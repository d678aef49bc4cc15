"""The WHOOP part of ``clutch run``: simulated athletes consent through the real OAuth callback, then
their bundled days are synced by the ordinary ``sync_whoop`` job.

The athletes are the players of the bundled games, each with a deterministic history over those days
from the WHOOP simulator. Every athlete goes through the whole flow a real one would: we issue a state,
the simulator's authorize page "logs him in" and redirects to our service's callback (uvicorn on
loopback), which exchanges the code, reads his profile and stores his tokens encrypted.

The simulator and our request budget are both raised to 100,000 requests a minute for the main job, as
WHOOP raises an app's limits on request; the tests keep WHOOP's real 100 a minute and 10,000 a day.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date, timedelta

import requests

from clutch_pipeline.db.connection import connect, resolve_database_urls
from clutch_pipeline.service.app import ServiceConfig, create_app
from clutch_pipeline.service.server import serve_in_background
from clutch_pipeline.settings import exported, load_settings
from clutch_pipeline.whoop import store
from clutch_pipeline.whoop.app import WhoopApp
from clutch_pipeline.whoop.budget import utc_now
from clutch_pipeline.whoop.consent import authorization_url
from clutch_pipeline.whoop.simulator import WhoopSimulator, build_athletes, players_of_games
from clutch_pipeline.whoop.tokens import cipher_from_settings

log = logging.getLogger(__name__)

RAISED_LIMIT_PER_MINUTE = 100_000
RAISED_LIMIT_PER_DAY = 10_000_000
CLIENT_ID = "clutch-main-job"
CALLBACK_PATH = "/api/auth/whoop/callback"
# A physiological day starts the evening before: simulate from two days before the first game.
DAYS_BEFORE = 2


@dataclass(frozen=True)
class SimulatedConsent:
    athletes: int
    authorized: int
    base_url: str


def main_job_days(game_dates: list[date]) -> tuple[date, date]:
    """The days the main job simulates and syncs: around the bundled games."""
    return min(game_dates) - timedelta(days=DAYS_BEFORE), max(game_dates)


@contextmanager
def simulated_whoop(first: date, last: date) -> Iterator[SimulatedConsent]:
    """Start the simulator for the players of the games ``first``..``last``, authorize every one of
    them through the real callback, and point this process's WHOOP settings at the simulator for the
    duration of the block (the sync run reads them)."""
    settings = load_settings()
    url = resolve_database_urls(settings).app
    with connect(url) as conn:
        # Players as the NBA stage records them: the person ids of the raw actions include team ids
        # (team rebounds) and people who only committed a foul, who are not in `players`.
        person_ids = store.known_players(conn, players_of_games(conn, first, last))
        athletes = build_athletes(conn, person_ids, first, last)
    client_secret = secrets.token_urlsafe(24)
    simulator = WhoopSimulator(
        athletes,
        client_id=CLIENT_ID,
        client_secret=client_secret,
        per_minute=RAISED_LIMIT_PER_MINUTE,
        per_day=RAISED_LIMIT_PER_DAY,
    )
    with simulator:
        app = WhoopApp(
            base_url=simulator.base_url,
            client_id=CLIENT_ID,
            client_secret=client_secret,
            redirect_uri="",  # the service's own callback, once it listens
            cipher=cipher_from_settings(settings),
            per_minute=RAISED_LIMIT_PER_MINUTE,
            per_day=RAISED_LIMIT_PER_DAY,
        )

        def service(base_url: str):
            nonlocal app
            app = replace(app, redirect_uri=f"{base_url}{CALLBACK_PATH}")
            return create_app(ServiceConfig(database_url=url, whoop=app, api_keys=()))

        authorized = 0
        with serve_in_background(service), connect(url) as conn, requests.Session() as browser:
            for athlete in athletes:
                authorize = authorization_url(conn, app, athlete.person_id, utc_now())
                # The simulator's authorize page picks the athlete from a query parameter, as a login
                # would, and redirects to our callback; requests follows the redirect.
                answer = browser.get(f"{authorize}&athlete={athlete.person_id}", timeout=30)
                if answer.status_code == 200:
                    authorized += 1
                else:
                    log.warning(
                        "athlete %s: authorization failed: HTTP %s", athlete.person_id, answer.status_code
                    )
        environment = {
            "WHOOP_BASE_URL": simulator.base_url,
            "WHOOP_CLIENT_ID": CLIENT_ID,
            "WHOOP_CLIENT_SECRET": client_secret,
            "CLUTCH_WHOOP_REQUESTS_PER_MINUTE": str(RAISED_LIMIT_PER_MINUTE),
            "CLUTCH_WHOOP_REQUESTS_PER_DAY": str(RAISED_LIMIT_PER_DAY),
        }
        with exported(environment):
            yield SimulatedConsent(len(athletes), authorized, simulator.base_url)
