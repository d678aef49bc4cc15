"""What the pages' tests share: the app serving the main job's database on loopback, staff's key and the
session secret, sign-in, and the players and games worth looking at in that database.

The fixture ``pages_site`` is made available to the service tests by their conftest."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import psycopg
import pytest
import requests

from clutch_pipeline.alignment.store import reads
from clutch_pipeline.service import signing
from clutch_pipeline.service.app import ServiceConfig, create_app
from clutch_pipeline.service.server import serve_in_background
from clutch_pipeline.whoop.app import WhoopApp
from clutch_pipeline.whoop.budget import utc_now

STAFF_KEY = "pages-staff-key"
SECRET = b"pages-test-session-secret"


def pages_config(database_url: str, whoop: WhoopApp | None = None, clock=utc_now) -> ServiceConfig:
    return ServiceConfig(database_url, whoop, api_keys=(STAFF_KEY,), clock=clock, session_secret=SECRET)


@pytest.fixture(scope="session")
def pages_site(main_job_database: str) -> Iterator[str]:
    """The app on the main job's database (WHOOP not configured), on loopback; yields its base URL."""
    with serve_in_background(lambda _: create_app(pages_config(main_job_database))) as base_url:
        yield base_url


def signed_in(base_url: str) -> requests.Session:
    """A client holding a staff session, signed in through the form as a person would."""
    session = requests.Session()
    answer = session.post(f"{base_url}/sign-in", data={"key": STAFF_KEY}, allow_redirects=False, timeout=10)
    assert answer.status_code == 303, answer.text
    return session


def link_token(nba_person_id: int, expires_at: datetime | None = None) -> str:
    expires_at = expires_at or utc_now() + timedelta(hours=1)
    return signing.sign(SECRET, signing.CONSENT_LINK, str(nba_person_id), expires_at)


def busiest_player(database_url: str) -> dict:
    """The player with the most clutch games of the main job's latest season, with his games."""
    with psycopg.connect(database_url) as conn:
        season = conn.execute("SELECT max(season) FROM clutch_game_scores").fetchone()[0]
        leaders, _total = reads.leaderboard(conn, season, 1, 1, 0)
        best = conn.execute(
            """
            SELECT p.nba_person_id FROM clutch_game_scores s JOIN players p USING (player_id)
            WHERE s.season = %s GROUP BY p.nba_person_id
            ORDER BY count(*) FILTER (WHERE s.has_wearables_data) DESC, count(*) DESC, p.nba_person_id
            LIMIT 1
            """,
            (season,),
        ).fetchone()[0]
        player = reads.resolve_player(conn, str(best))
        games = reads.player_clutch_games(conn, player["player_id"], season)
    return {**player, "season": season, "games": games, "leader": leaders[0]}


def busiest_game(database_url: str) -> dict:
    """The game with the most clutch actions in the main job's database, with its detail."""
    with psycopg.connect(database_url) as conn:
        nba_game_id = conn.execute(
            """
            SELECT g.nba_game_id FROM clutch_player_actions a JOIN games g USING (game_id)
            GROUP BY g.nba_game_id ORDER BY count(*) DESC, g.nba_game_id LIMIT 1
            """
        ).fetchone()[0]
        game = reads.resolve_game(conn, nba_game_id)
        detail = reads.game_clutch_detail(conn, game["game_id"])
    return {**game, **detail}


def consented_player(database_url: str) -> int:
    """An athlete of the main job with a consented WHOOP device."""
    with psycopg.connect(database_url) as conn:
        return conn.execute(
            """
            SELECT p.nba_person_id FROM wearables_devices d JOIN players p USING (player_id)
            WHERE d.consent_granted ORDER BY p.nba_person_id LIMIT 1
            """
        ).fetchone()[0]
