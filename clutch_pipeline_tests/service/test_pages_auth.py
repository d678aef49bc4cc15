"""Who may see which page, over plain HTTP against the app on loopback (no browser): staff by a signed
session cookie from sign-in, an athlete by his own signed, expiring consent link, forms only with their
CSRF token and from this site."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import psycopg
import pytest
import requests

from clutch_pipeline.service import signing
from clutch_pipeline.service.app import create_app
from clutch_pipeline.service.pages.access import COOKIE
from clutch_pipeline.service.server import serve_in_background
from clutch_pipeline.whoop.app import WhoopApp
from clutch_pipeline.whoop.budget import utc_now
from clutch_pipeline.whoop.tokens import TokenCipher, generate_key
from clutch_pipeline_tests.service.pages_support import (
    SECRET,
    STAFF_KEY,
    busiest_game,
    busiest_player,
    consented_player,
    link_token,
    pages_config,
    signed_in,
)
from clutch_pipeline_tests.whoop.athletes import add_player
from clutch_pipeline_tests.whoop.conftest import TATUM, WHOOP_CLIENT_ID, WHOOP_CLIENT_SECRET


def _get(url: str, **kwargs) -> requests.Response:
    return requests.get(url, allow_redirects=False, timeout=30, **kwargs)


def _athlete_pages(database_url: str) -> list[str]:
    player, game = busiest_player(database_url), busiest_game(database_url)
    return [
        f"/players/{player['nba_person_id']}",
        f"/players/{player['player_id']}?season={player['season']}",
        f"/games/{game['nba_game_id']}",
        "/leaderboard",
        f"/players/{player['nba_person_id']}/wearables/consent",
        f"/players/{player['nba_person_id']}/wearables/consent/revoke",
    ]


def test_no_page_of_athlete_data_without_a_session_each_redirects_to_sign_in(pages_site, main_job_database):
    for path in _athlete_pages(main_job_database):
        answer = _get(pages_site + path)
        assert answer.status_code == 303, path
        location = urlsplit(answer.headers["location"])
        assert location.path == "/sign-in" and parse_qs(location.query)["next"] == [path]


def test_sign_in_refuses_a_wrong_key_and_sets_no_cookie(pages_site):
    answer = requests.post(
        f"{pages_site}/sign-in", data={"key": "not-a-key"}, allow_redirects=False, timeout=10
    )
    assert answer.status_code == 401
    assert "not one of the API keys of this service" in answer.text
    assert COOKIE not in answer.cookies


def test_sign_in_gives_a_signed_httponly_samesite_cookie_that_opens_every_page(pages_site, main_job_database):
    answer = requests.post(
        f"{pages_site}/sign-in",
        data={"key": STAFF_KEY, "next": "/leaderboard"},
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/leaderboard"
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=") and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Max-Age=43200" in cookie
    session = signed_in(pages_site)
    for path in _athlete_pages(main_job_database):
        page = session.get(pages_site + path, allow_redirects=False, timeout=30)
        assert page.status_code == 200, path
        assert page.headers["cache-control"] == "no-store" and page.headers["x-frame-options"] == "DENY"


def test_a_tampered_or_expired_session_cookie_is_no_session(pages_site):
    good = signing.sign(SECRET, signing.SESSION, "abc", utc_now() + timedelta(hours=1))
    expired = signing.sign(SECRET, signing.SESSION, "abc", utc_now() - timedelta(seconds=1))
    link_as_cookie = link_token(1)
    for cookie in (good[:-2] + "xx", expired, link_as_cookie, "junk"):
        assert _get(f"{pages_site}/leaderboard", cookies={COOKIE: cookie}).status_code == 303
    assert _get(f"{pages_site}/leaderboard", cookies={COOKIE: good}).status_code == 200


def test_sign_in_goes_back_only_to_a_path_of_this_site(pages_site):
    for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        answer = requests.post(
            f"{pages_site}/sign-in",
            data={"key": STAFF_KEY, "next": target},
            allow_redirects=False,
            timeout=10,
        )
        assert answer.headers["location"] == "/leaderboard", target


def test_sign_in_is_off_without_api_keys(main_job_database):
    config = replace(pages_config(main_job_database), api_keys=())
    with serve_in_background(lambda _: create_app(config)) as base_url:
        answer = requests.post(f"{base_url}/sign-in", data={"key": ""}, allow_redirects=False, timeout=10)
    assert answer.status_code == 503 and "CLUTCH_API_KEYS" in answer.text


def test_sign_out_needs_the_session_s_csrf_token_and_ends_it(pages_site):
    session = signed_in(pages_site)
    refused = session.post(
        f"{pages_site}/sign-out", data={"csrf": "wrong"}, allow_redirects=False, timeout=10
    )
    assert refused.status_code == 403
    csrf = signing.csrf_token(SECRET, session.cookies[COOKIE])
    answer = session.post(f"{pages_site}/sign-out", data={"csrf": csrf}, allow_redirects=False, timeout=10)
    assert answer.status_code == 303 and answer.headers["location"] == "/sign-in"
    assert _get(f"{pages_site}/leaderboard", cookies=session.cookies).status_code == 303


def test_a_consent_link_opens_its_athlete_s_consent_page_only(pages_site, main_job_database):
    athlete = consented_player(main_job_database)
    other = busiest_player(main_job_database)["nba_person_id"]
    token = link_token(athlete)
    own = _get(f"{pages_site}/players/{athlete}/wearables/consent", params={"token": token})
    assert own.status_code == 200 and "Granted" in own.text
    assert _get(f"{pages_site}/players/{other}/wearables/consent", params={"token": token}).status_code == 403
    staff_page = _get(f"{pages_site}/players/{athlete}", params={"token": token, "season": "2022-23"})
    assert staff_page.status_code == 303 and "token" not in staff_page.headers["location"]
    assert parse_qs(urlsplit(staff_page.headers["location"]).query)["next"] == [
        f"/players/{athlete}?season=2022-23"
    ]
    assert _get(f"{pages_site}/leaderboard", params={"token": token}).status_code == 303


def test_an_expired_or_forged_consent_link_is_refused(pages_site, main_job_database):
    athlete = consented_player(main_job_database)
    expired = link_token(athlete, utc_now() - timedelta(minutes=1))
    forged = signing.sign(
        b"another-secret", signing.CONSENT_LINK, str(athlete), utc_now() + timedelta(hours=1)
    )
    for token in (expired, forged):
        answer = _get(f"{pages_site}/players/{athlete}/wearables/consent", params={"token": token})
        assert answer.status_code == 403 and "expired" in answer.text


def test_the_consent_page_shows_the_athlete_s_real_retention_and_says_when_whoop_is_not_configured(
    pages_site, main_job_database
):
    athlete = consented_player(main_job_database)
    with psycopg.connect(main_job_database) as conn:
        days = conn.execute(
            "SELECT d.data_retention_days FROM wearables_devices d JOIN players p USING (player_id)"
            " WHERE p.nba_person_id = %s",
            (athlete,),
        ).fetchone()[0]
    page = _get(f"{pages_site}/players/{athlete}/wearables/consent", params={"token": link_token(athlete)})
    assert f"kept for {days} days" in page.text
    assert "WHOOP is not configured on this service" in page.text and 'id="connect"' not in page.text


def test_a_revocation_post_without_its_csrf_token_or_from_another_site_changes_nothing(
    pages_site, main_job_database
):
    athlete = consented_player(main_job_database)
    token = link_token(athlete)
    url = f"{pages_site}/players/{athlete}/wearables/consent/revoke"
    good_csrf = signing.csrf_token(SECRET, token)
    for data, headers in [
        ({"token": token, "confirm": "yes"}, {}),
        ({"token": token, "confirm": "yes", "csrf": signing.csrf_token(SECRET, "another")}, {}),
        ({"token": token, "confirm": "yes", "csrf": good_csrf}, {"Origin": "https://evil.example"}),
    ]:
        answer = requests.post(url, data=data, headers=headers, allow_redirects=False, timeout=10)
        assert answer.status_code == 403
    with psycopg.connect(main_job_database) as conn:
        granted = conn.execute(
            "SELECT d.consent_granted FROM wearables_devices d JOIN players p USING (player_id)"
            " WHERE p.nba_person_id = %s",
            (athlete,),
        ).fetchone()[0]
    assert granted


def test_the_connect_button_sends_the_athlete_to_whoop_s_authorization_with_a_fresh_state(database_url):
    with psycopg.connect(database_url, autocommit=True) as conn:
        add_player(conn, TATUM)
    whoop = WhoopApp(
        base_url="http://127.0.0.1:9",
        client_id=WHOOP_CLIENT_ID,
        client_secret=WHOOP_CLIENT_SECRET,
        redirect_uri="http://127.0.0.1:9/api/auth/whoop/callback",
        cipher=TokenCipher([generate_key()]),
    )
    token = link_token(TATUM)
    with serve_in_background(lambda _: create_app(pages_config(database_url, whoop))) as base_url:
        page = _get(f"{base_url}/players/{TATUM}/wearables/consent", params={"token": token})
        assert 'id="connect"' in page.text and "kept for 365 days" in page.text
        answer = requests.post(
            f"{base_url}/players/{TATUM}/wearables/consent/authorize",
            data={"token": token, "csrf": signing.csrf_token(SECRET, token)},
            allow_redirects=False,
            timeout=10,
        )
    assert answer.status_code == 303
    location = urlsplit(answer.headers["location"])
    query = parse_qs(location.query)
    assert location.netloc == "127.0.0.1:9" and query["client_id"] == [WHOOP_CLIENT_ID]
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT count(*) FROM whoop_oauth_states").fetchone()[0] == 1


@pytest.mark.parametrize("path", ["/players/abc", "/games/123", "/players/999999999"])
def test_an_unknown_player_or_game_is_a_404_page(pages_site, path):
    answer = signed_in(pages_site).get(pages_site + path, timeout=10)
    assert answer.status_code == 404 and "<h1>Unknown" in answer.text


def test_a_bad_season_or_min_games_is_a_400_page_not_a_500(pages_site):
    session = signed_in(pages_site)
    for path in ("/leaderboard?season=2022", "/leaderboard?min_games=0", "/players/2544?season=x"):
        assert session.get(pages_site + path, timeout=10).status_code == 400, path


def test_the_player_page_records_its_server_time_for_the_page_load_kpi(pages_site, main_job_database):
    player = busiest_player(main_job_database)
    count = "SELECT count(*) FROM page_timings WHERE page = 'player'"
    with psycopg.connect(main_job_database, autocommit=True) as conn:
        before = conn.execute(count).fetchone()[0]
        signed_in(pages_site).get(f"{pages_site}/players/{player['nba_person_id']}", timeout=30)
        after = conn.execute(count).fetchone()[0]
        seconds = conn.execute("SELECT seconds FROM page_timings ORDER BY timing_id DESC LIMIT 1").fetchone()[
            0
        ]
    assert after == before + 1 and 0 < seconds < 2


def test_the_leaderboard_of_a_database_without_games_says_how_to_load_them(database_url):
    with serve_in_background(lambda _: create_app(pages_config(database_url))) as base_url:
        page = signed_in(base_url).get(f"{base_url}/leaderboard", timeout=10)
    assert page.status_code == 200 and "clutch run</code> loads the bundled sample" in page.text
    assert "None" not in page.text
