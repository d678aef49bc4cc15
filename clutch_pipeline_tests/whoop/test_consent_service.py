"""`clutch serve`: the OAuth callback and the consent endpoints, over real HTTP on loopback, with the
WHOOP simulator on the other side."""

from __future__ import annotations

import logging
from datetime import timedelta

import psycopg
import pytest
import requests

from clutch_pipeline.http_retry import RetryPolicy
from clutch_pipeline.service.app import ServiceConfig, create_app
from clutch_pipeline.service.server import serve_in_background
from clutch_pipeline.whoop import store
from clutch_pipeline.whoop.app import WhoopApp
from clutch_pipeline.whoop.consent import authorization_url
from clutch_pipeline.whoop.tokens import TokenCipher, generate_key
from clutch_pipeline_tests.whoop.athletes import add_player
from clutch_pipeline_tests.whoop.conftest import BROWN, LEBRON, TATUM, WHOOP_CLIENT_ID, WHOOP_CLIENT_SECRET

API_KEY = "test-api-key-0123456789"


@pytest.fixture
def service(database_url, whoop_simulator, whoop_clock):
    """The service on a free port; WHOOP's redirect URI is its own callback. Yields (base URL, app)."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        add_player(conn, TATUM)
        add_player(conn, LEBRON)
    holder = {}

    def make(base_url: str):
        holder["whoop"] = WhoopApp(
            base_url=whoop_simulator.base_url,
            client_id=WHOOP_CLIENT_ID,
            client_secret=WHOOP_CLIENT_SECRET,
            redirect_uri=f"{base_url}/api/auth/whoop/callback",
            cipher=TokenCipher([generate_key()]),
            retry=RetryPolicy(attempts=2, sleep=lambda s: None),
        )
        config = ServiceConfig(database_url, holder["whoop"], api_keys=(API_KEY,), clock=whoop_clock)
        return create_app(config)

    with serve_in_background(make) as base_url:
        yield base_url, holder["whoop"]


def authorize(database_url, whoop, clock, person_id: int) -> str:
    """Our authorize URL for the player, with the simulator's stand-in for the athlete's login."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        return authorization_url(conn, whoop, person_id, clock()) + f"&athlete={person_id}"


def state_of(url: str) -> str:
    return url.split("state=")[1].split("&")[0]


def test_the_authorization_url_asks_every_read_scope_and_offline_with_an_eight_character_state(
    database_url, service, whoop_clock
):
    url = authorize(database_url, service[1], whoop_clock, TATUM)
    assert url.startswith(service[1].base_url + "/oauth/oauth2/auth?")
    for scope in ("read%3Arecovery", "read%3Acycles", "read%3Aworkout", "read%3Asleep", "read%3Aprofile"):
        assert scope in url
    assert "offline" in url and len(state_of(url)) == 8


def test_the_callback_stores_encrypted_tokens_and_grants_consent(database_url, service, whoop_clock):
    answer = requests.get(authorize(database_url, service[1], whoop_clock, TATUM), timeout=10)
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "authorized"
    with psycopg.connect(database_url) as conn:
        status = store.consent_status(conn, TATUM)
        (device,) = store.syncable_devices(conn, [TATUM])
    assert status["consent_granted"] and status["sync_status"] == "pending"
    assert device.provider_user_id == str(answer.json()["whoop_user_id"])


def test_a_reused_state_gets_400_and_stores_nothing(database_url, service, whoop_clock, whoop_simulator):
    url = authorize(database_url, service[1], whoop_clock, TATUM)
    first = requests.get(url, allow_redirects=False, timeout=10).headers["Location"]
    requests.get(first, timeout=10)
    with psycopg.connect(database_url) as conn:
        conn.execute("DELETE FROM wearables_devices")
    # The same state again, with a fresh code from WHOOP: refused, nothing stored.
    again = requests.get(url, allow_redirects=False, timeout=10).headers["Location"]
    answer = requests.get(again, timeout=10)
    assert answer.status_code == 400
    with psycopg.connect(database_url) as conn:
        assert store.syncable_devices(conn) == []


def test_an_expired_state_gets_400_and_stores_nothing(database_url, service, whoop_clock, whoop_simulator):
    url = authorize(database_url, service[1], whoop_clock, TATUM)
    redirect = requests.get(url, allow_redirects=False, timeout=10).headers["Location"]
    whoop_clock.advance(minutes=16)
    assert requests.get(redirect, timeout=10).status_code == 400
    assert whoop_simulator.count("/oauth/oauth2/token") == 0  # the code was never exchanged
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT count(*) FROM wearables_devices").fetchone() == (0,)
        assert not store.consent_status(conn, TATUM)["has_device"]


def test_an_unknown_state_gets_400(service):
    answer = requests.get(f"{service[0]}/api/auth/whoop/callback?code=abc&state=ZZZZZZZZ", timeout=10)
    assert answer.status_code == 400


def test_a_declined_authorization_gets_400_and_spends_the_state(database_url, service, whoop_clock):
    state = state_of(authorize(database_url, service[1], whoop_clock, TATUM))
    answer = requests.get(
        f"{service[0]}/api/auth/whoop/callback?error=access_denied&state={state}", timeout=10
    )
    assert answer.status_code == 400
    with psycopg.connect(database_url) as conn:
        assert store.consume_oauth_state(conn, state, whoop_clock()) is None


def test_consent_status_needs_an_api_key(service):
    url = f"{service[0]}/api/players/{TATUM}/wearables/consent-status"
    assert requests.get(url, timeout=10).status_code == 401
    assert requests.get(url, headers={"X-API-Key": "wrong"}, timeout=10).status_code == 401


def test_consent_status_reports_consent_sync_status_and_last_sync(database_url, service, whoop_clock):
    requests.get(authorize(database_url, service[1], whoop_clock, TATUM), timeout=10)
    with psycopg.connect(database_url) as conn:
        (device,) = store.syncable_devices(conn, [TATUM])
        store.set_sync_status(conn, device.device_id, "success", whoop_clock() + timedelta(minutes=1))
    answer = requests.get(
        f"{service[0]}/api/players/{TATUM}/wearables/consent-status",
        headers={"X-API-Key": API_KEY},
        timeout=10,
    )
    body = answer.json()
    assert answer.status_code == 200
    assert body["consent_granted"] is True and body["sync_status"] == "success"
    assert body["last_sync_at"].startswith("2023-01-17T12:01")


def test_consent_status_of_a_player_without_a_device_says_no_consent(service):
    answer = requests.get(
        f"{service[0]}/api/players/{LEBRON}/wearables/consent-status",
        headers={"X-API-Key": API_KEY},
        timeout=10,
    )
    assert answer.status_code == 200
    assert answer.json()["consent_granted"] is False and answer.json()["device"] is None


def test_consent_status_of_an_unknown_player_is_404(service):
    answer = requests.get(
        f"{service[0]}/api/players/42/wearables/consent-status", headers={"X-API-Key": API_KEY}, timeout=10
    )
    assert answer.status_code == 404


def test_the_authorize_endpoint_hands_out_a_fresh_url_behind_the_api_key(service):
    url = f"{service[0]}/api/players/{TATUM}/wearables/authorize"
    assert requests.get(url, timeout=10).status_code == 401
    answer = requests.get(url, headers={"X-API-Key": API_KEY}, timeout=10)
    assert answer.status_code == 200 and "state=" in answer.json()["authorization_url"]


# -- Re-authorizing with another WHOOP account ------------------------------------------------------


def login_as(database_url, service, clock, state_for: int, whoop_login: int) -> requests.Response:
    """A state issued for ``state_for``'s player; at WHOOP the member ``whoop_login`` logs in."""
    url = authorize(database_url, service[1], clock, state_for).replace(
        f"&athlete={state_for}", f"&athlete={whoop_login}"
    )
    return requests.get(url, timeout=10)


def device_row(database_url, person_id: int) -> tuple:
    with psycopg.connect(database_url) as conn:
        return conn.execute(
            "SELECT d.provider_user_id, d.access_token_encrypted, d.refresh_token_encrypted"
            " FROM wearables_devices d JOIN players p USING (player_id) WHERE p.nba_person_id = %s",
            (person_id,),
        ).fetchone()


def test_a_login_with_another_whoop_account_than_the_athletes_device_gets_409_and_stores_nothing(
    database_url, service, whoop_clock, whoop_simulator
):
    assert login_as(database_url, service, whoop_clock, TATUM, TATUM).status_code == 200
    linked = device_row(database_url, TATUM)
    for other in (BROWN, LEBRON):
        answer = login_as(database_url, service, whoop_clock, TATUM, other)
        assert answer.status_code == 409, answer.text
        assert "another WHOOP account" in answer.json()["detail"]
    assert device_row(database_url, TATUM) == linked
    assert linked[0] == str(whoop_simulator.athlete(TATUM).user_id)


def test_the_athletes_own_account_can_authorize_again_after_another_was_refused(
    database_url, service, whoop_clock
):
    login_as(database_url, service, whoop_clock, TATUM, TATUM)
    login_as(database_url, service, whoop_clock, TATUM, LEBRON)
    answer = login_as(database_url, service, whoop_clock, TATUM, TATUM)
    assert answer.status_code == 200, answer.text


def test_after_revocation_another_whoop_account_may_be_linked(
    database_url, service, whoop_simulator, whoop_clock
):
    login_as(database_url, service, whoop_clock, TATUM, TATUM)
    revoked = requests.delete(
        f"{service[0]}/api/players/{TATUM}/wearables/revoke-consent",
        headers={"X-API-Key": API_KEY},
        timeout=10,
    )
    assert revoked.status_code == 200
    answer = login_as(database_url, service, whoop_clock, TATUM, BROWN)
    assert answer.status_code == 200, answer.text
    assert device_row(database_url, TATUM)[0] == str(whoop_simulator.athlete(BROWN).user_id)


# -- Malformed callbacks --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "state=AB%00CD",
        "code=abc&state=AB%00CD",
        "code=abc&state=AB%ED%A0%80CD",
        "code=abc&state=" + "A" * 65,
        "code=ab%00c&state=ABCDEFGH",
        "error=access%00denied&state=ABCDEFGH",
    ],
    ids=[
        "nul-in-state-without-code",
        "nul-in-state",
        "surrogate-bytes-in-state",
        "long-state",
        "nul-in-code",
        "nul-in-error",
    ],
)
def test_a_malformed_callback_gets_400_with_a_plain_message_logged_once(service, query, caplog):
    caplog.set_level(logging.INFO, logger="clutch_pipeline")
    answer = requests.get(f"{service[0]}/api/auth/whoop/callback?{query}", timeout=10)
    assert answer.status_code == 400, answer.text
    assert isinstance(answer.json()["detail"], str)
    (record,) = [r for r in caplog.records if r.name.startswith("clutch_pipeline.service")]
    assert record.exc_info is None
