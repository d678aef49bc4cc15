"""The pages in a real browser: headless Debian Chromium driven by Playwright (through its
``executable_path``: no browser download) loads each page from the app serving the main job's database
on loopback, and each test checks what a person sees: the chart drawn, the table's rows, the sign-in
refusing a wrong key, the way an athlete's consent link and revocation behave.

Skipped, with the reason, where no Chromium is installed (``apt-get install chromium``) or Playwright is
missing. With ``CLUTCH_SCREENSHOTS`` set, each test saves its screenshots (full page, laptop and phone
widths) into that folder.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest

from clutch_pipeline.service.app import create_app
from clutch_pipeline.service.server import serve_in_background
from clutch_pipeline.whoop.app import WhoopApp
from clutch_pipeline.whoop.budget import utc_now
from clutch_pipeline.whoop.tokens import TokenCipher, generate_key
from clutch_pipeline_tests.service.pages_support import (
    STAFF_KEY,
    busiest_game,
    busiest_player,
    consented_player,
    link_token,
    pages_config,
)
from clutch_pipeline_tests.whoop.athletes import add_player, consent_through_oauth
from clutch_pipeline_tests.whoop.conftest import REDIRECT_URI, TATUM, WHOOP_CLIENT_ID, WHOOP_CLIENT_SECRET

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
LAPTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


# Decided before any fixture runs: a machine without a browser does not fill the main job's database.
pytestmark = [
    pytest.mark.skipif(
        CHROMIUM is None, reason="no Chromium on this machine (Debian: apt-get install chromium)"
    ),
    pytest.mark.skipif(
        importlib.util.find_spec("playwright") is None, reason="Playwright is not installed (the dev extras)"
    ),
]


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright import sync_api

    with sync_api.sync_playwright() as playwright:
        # --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser) -> Iterator[object]:
    context = browser.new_context(viewport=LAPTOP)
    yield context.new_page()
    context.close()


def screenshot(page, name: str) -> None:
    """Save the page as PNG into ``CLUTCH_SCREENSHOTS`` when it is set (a test reads it directly)."""
    folder = os.environ.get("CLUTCH_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def sign_in(page, base_url: str, key: str = STAFF_KEY) -> None:
    page.fill("#key", key)
    with page.expect_navigation():
        page.click("form.card button[type=submit]")


def open_signed_in(page, base_url: str, path: str) -> None:
    page.goto(base_url + path)
    if page.url.startswith(f"{base_url}/sign-in"):
        sign_in(page, base_url)
    assert page.url.split("?")[0] == base_url + path.split("?")[0]


def fits_the_screen(page) -> bool:
    """Nothing wider than the window but what scrolls inside its own box (the tables)."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_sign_in_refuses_a_wrong_key_and_the_right_one_opens_the_leaderboard(page, pages_site):
    page.goto(f"{pages_site}/leaderboard")
    assert page.url.startswith(f"{pages_site}/sign-in")
    sign_in(page, pages_site, key="a-wrong-key")
    assert page.locator("#error").inner_text() == "That key is not one of the API keys of this service."
    screenshot(page, "sign-in-refused")
    sign_in(page, pages_site)
    assert page.url.startswith(f"{pages_site}/leaderboard")
    assert page.locator("#leaderboard tbody tr").count() > 0


def test_a_page_of_athlete_data_sends_a_visitor_without_a_session_to_sign_in_and_back(
    page, pages_site, main_job_database
):
    path = f"/players/{busiest_player(main_job_database)['nba_person_id']}"
    page.goto(pages_site + path)
    assert page.url.startswith(f"{pages_site}/sign-in")
    assert page.locator("#games").count() == 0
    sign_in(page, pages_site)
    assert page.url == pages_site + path


def test_the_player_page_draws_his_season_on_one_time_axis_and_lists_his_games(
    page, pages_site, main_job_database
):
    player = busiest_player(main_job_database)
    games = player["games"]
    open_signed_in(page, pages_site, f"/players/{player['nba_person_id']}?season={player['season']}")
    chart = page.locator("#trend-chart svg")
    assert chart.locator("path.series").count() == 3
    assert page.locator("ul.legend li").all_inner_texts() == [
        "Clutch score",
        "HRV deviation from baseline (%)",
        "Recovery before the game (%)",
    ]
    for series, field in [
        ("Clutch score", "clutch_score"),
        ("HRV deviation from baseline (%)", "hrv_baseline_deviation"),
        ("Recovery before the game (%)", "recovery_score_pregame"),
    ]:
        drawn = chart.locator(f'circle.point[data-series="{series}"]').count()
        assert drawn == sum(g[field] is not None for g in games)
    clutch_line = chart.locator('path[data-series="Clutch score"]').get_attribute("d")
    assert clutch_line.startswith("M") and clutch_line.count("L") == len(games) - 1
    rows = page.locator("#games tbody tr")
    assert rows.count() == len(games)
    first = rows.nth(0).locator("td").all_inner_texts()
    assert first[0] == str(games[0]["game_date"]) and first[2] == f"{games[0]['clutch_score']:.1f}"
    missing_hrv = sum(g["hrv_baseline_deviation"] is None for g in games)
    assert page.locator("#games tbody td:nth-child(4)", has_text="N/A").count() == missing_hrv
    screenshot(page, "player-laptop")
    page.set_viewport_size(PHONE)
    assert fits_the_screen(page) and chart.bounding_box()["width"] <= PHONE["width"]
    screenshot(page, "player-phone")


def test_the_game_page_shades_the_clutch_windows_and_lists_the_clutch_actions(
    page, pages_site, main_job_database
):
    game = busiest_game(main_job_database)
    open_signed_in(page, pages_site, f"/games/{game['nba_game_id']}")
    chart = page.locator("#margin-chart svg")
    windows = [s for s in game["situations"] if s["start_elapsed_s"] is not None]
    assert chart.locator("rect.clutch-window").count() == len(windows) > 0
    margin_line = chart.locator("path.margin-line").get_attribute("d")
    assert margin_line.count("L") >= len(game["margin"]) - 1
    assert chart.locator("circle.marker").count() == sum(a["elapsed_s"] is not None for a in game["actions"])
    rows = page.locator("#actions tbody tr")
    assert rows.count() == len(game["actions"]) > 0
    assert rows.nth(0).locator("td").nth(2).inner_text() == game["actions"][0]["player_name"]
    screenshot(page, "game-laptop")
    page.set_viewport_size(PHONE)
    assert fits_the_screen(page)
    screenshot(page, "game-phone")


def test_the_leaderboard_ranks_players_and_reads_the_wearables_correlation_honestly(
    page, pages_site, main_job_database
):
    player = busiest_player(main_job_database)
    open_signed_in(page, pages_site, f"/leaderboard?season={player['season']}&min_games=1")
    rows = page.locator("#leaderboard tbody tr")
    assert rows.count() > 0
    assert rows.nth(0).locator("td").nth(1).inner_text() == player["leader"]["name"]
    for row in page.locator("#correlation tbody tr").all():
        cells = row.locator("td").all_inner_texts()
        interval = re.findall(r"-?\d+\.\d+", cells[3])
        if len(interval) == 2:
            covers_zero = float(interval[0]) <= 0 <= float(interval[1])
            assert (cells[4] == "no effect found") == covers_zero
        assert int(cells[1]) > 0
    screenshot(page, "leaderboard")


def test_a_consent_link_opens_its_athlete_s_page_only_and_expires(page, pages_site, main_job_database):
    athlete = consented_player(main_job_database)
    other = busiest_player(main_job_database)["nba_person_id"]
    own = f"{pages_site}/players/{athlete}/wearables/consent?token="
    page.goto(own + link_token(athlete))
    assert page.locator("h1").inner_text() == "Connect your WHOOP device"
    assert "Granted" in page.locator("#status").inner_text()
    assert page.locator("#retention").inner_text().startswith("Your data is kept for")
    assert page.locator("#whoop-unconfigured").is_visible()
    screenshot(page, "consent-link")
    page.goto(f"{pages_site}/players/{other}/wearables/consent?token={link_token(athlete)}")
    assert page.locator("#message").inner_text() == "This consent link is for another athlete."
    page.goto(own + link_token(athlete, utc_now() - timedelta(seconds=1)))
    assert "expired" in page.locator("#message").inner_text()


@pytest.fixture
def revocable_site(database_url, make_whoop_simulator) -> Iterator[tuple[str, str]]:
    """A site of its own (the revocation deletes data): Tatum consented through the WHOOP simulator's
    OAuth, WHOOP configured; yields the base URL and the database URL."""
    simulator = make_whoop_simulator(clock=utc_now)
    whoop = WhoopApp(
        base_url=simulator.base_url,
        client_id=WHOOP_CLIENT_ID,
        client_secret=WHOOP_CLIENT_SECRET,
        redirect_uri=REDIRECT_URI,
        cipher=TokenCipher([generate_key()]),
    )
    with psycopg.connect(database_url, autocommit=True) as conn:
        add_player(conn, TATUM)
        consent_through_oauth(conn, whoop, simulator, TATUM)
    with serve_in_background(lambda _: create_app(pages_config(database_url, whoop))) as base_url:
        yield base_url, database_url


def _consent_granted(database_url: str) -> bool:
    with psycopg.connect(database_url) as conn:
        return conn.execute("SELECT consent_granted FROM wearables_devices").fetchone()[0]


def test_revoking_asks_for_confirmation_before_it_revokes(page, revocable_site):
    base_url, database_url = revocable_site
    page.goto(f"{base_url}/players/{TATUM}/wearables/consent?token={link_token(TATUM)}")
    assert page.locator("#connect").inner_text() == "Connect WHOOP again"
    page.click("#revoke")
    assert page.locator("h1").inner_text() == "Revoke WHOOP consent?"
    assert "cannot be undone" in page.locator("#confirm-text").inner_text()
    assert _consent_granted(database_url)
    screenshot(page, "revoke-confirm")
    page.click("#cancel")
    assert "Granted" in page.locator("#status").inner_text()
    page.click("#revoke")
    page.click("#confirm-revoke")
    assert page.locator("h1").inner_text() == "Consent revoked"
    assert "WHOOP was told" in page.locator("#message").inner_text()
    assert not _consent_granted(database_url)
    page.goto(f"{base_url}/players/{TATUM}/wearables/consent?token={link_token(TATUM)}")
    assert "Revoked" in page.locator("#status").inner_text() and page.locator("#revoke").count() == 0
