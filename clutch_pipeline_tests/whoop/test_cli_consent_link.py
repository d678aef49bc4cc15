"""`clutch whoop consent-link` as a user runs it: a separate process prints a link that the service opens
for that athlete only, until it expires."""

from __future__ import annotations

import subprocess
from datetime import timedelta

import psycopg
import requests

from clutch_pipeline.service import signing
from clutch_pipeline.service.app import ServiceConfig, create_app
from clutch_pipeline.service.server import serve_in_background
from clutch_pipeline.whoop.budget import utc_now
from clutch_pipeline_tests.whoop.athletes import add_player
from clutch_pipeline_tests.whoop.conftest import LEBRON, TATUM

SECRET = "consent-link-test-secret"


def consent_link(clutch_command, env, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*clutch_command, "whoop", "consent-link", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _env(cli_env, database_url) -> dict[str, str]:
    return {
        **cli_env,
        "CLUTCH_DATABASE_URL": database_url,
        "CLUTCH_SESSION_SECRET": SECRET,
        "WHOOP_REDIRECT_URI": "https://clutch.example.com/api/auth/whoop/callback",
    }


def test_the_printed_link_opens_the_athlete_s_consent_page_and_no_other(
    clutch_command, cli_env, database_url
):
    with psycopg.connect(database_url, autocommit=True) as conn:
        add_player(conn, TATUM, "Jayson Tatum")
        add_player(conn, LEBRON, "LeBron James")
    config = ServiceConfig(database_url, None, api_keys=("k",), session_secret=SECRET.encode())
    with serve_in_background(lambda _: create_app(config)) as base_url:
        result = consent_link(
            clutch_command, _env(cli_env, database_url), "--player", str(TATUM), "--base-url", base_url
        )
        assert result.returncode == 0, result.stderr
        link = result.stdout.strip()
        assert link.startswith(f"{base_url}/players/{TATUM}/wearables/consent?token=")
        assert "valid until" in result.stderr
        page = requests.get(link, allow_redirects=False, timeout=10)
        assert page.status_code == 200 and "Jayson Tatum" in page.text
        token = link.split("token=")[1]
        other = requests.get(
            f"{base_url}/players/{LEBRON}/wearables/consent", params={"token": token}, timeout=10
        )
        assert other.status_code == 403


def test_the_link_expires_after_the_hours_asked_and_defaults_to_the_redirect_uri_s_origin(
    clutch_command, cli_env, database_url
):
    with psycopg.connect(database_url, autocommit=True) as conn:
        add_player(conn, TATUM)
    result = consent_link(clutch_command, _env(cli_env, database_url), "--player", str(TATUM), "--hours", "2")
    link = result.stdout.strip()
    assert link.startswith(f"https://clutch.example.com/players/{TATUM}/wearables/consent?token=")
    token = link.split("token=")[1]
    now = utc_now()
    assert signing.verify(SECRET.encode(), signing.CONSENT_LINK, token, now + timedelta(minutes=119)) == str(
        TATUM
    )
    assert signing.verify(SECRET.encode(), signing.CONSENT_LINK, token, now + timedelta(minutes=121)) is None


def test_an_unknown_player_gets_no_link(clutch_command, cli_env, database_url):
    result = consent_link(clutch_command, _env(cli_env, database_url), "--player", "999999999")
    assert result.returncode == 1 and "unknown player 999999999" in result.stderr and result.stdout == ""
