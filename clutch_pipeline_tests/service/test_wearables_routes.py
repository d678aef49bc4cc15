"""The consent routes take a player's UUID as well as his NBA person id (the WHOOP simulator on the
other side, as in the WHOOP stage's consent tests)."""

from __future__ import annotations

import psycopg
import requests

from clutch_pipeline_tests.whoop.conftest import TATUM, whoop_simulator  # noqa: F401 (fixture)
from clutch_pipeline_tests.whoop.test_consent_service import API_KEY, authorize, service  # noqa: F401

KEY = {"X-API-Key": API_KEY}


def _uuid_of(database_url: str, person: int) -> str:
    with psycopg.connect(database_url) as conn:
        return str(
            conn.execute("SELECT player_id FROM players WHERE nba_person_id = %s", (person,)).fetchone()[0]
        )


def test_consent_is_revoked_by_the_players_uuid(database_url, service, whoop_clock):  # noqa: F811
    assert (
        requests.get(authorize(database_url, service[1], whoop_clock, TATUM), timeout=10).status_code == 200
    )
    player = _uuid_of(database_url, TATUM)
    base = f"{service[0]}/api/players/{player}/wearables"
    assert requests.get(f"{base}/consent-status", headers=KEY, timeout=10).json()["consent_granted"] is True
    revoked = requests.delete(f"{base}/revoke-consent", headers=KEY, timeout=30)
    assert revoked.status_code == 200
    assert revoked.json()["nba_person_id"] == TATUM and revoked.json()["player_id"] == player
    status = requests.get(f"{base}/consent-status", headers=KEY, timeout=10).json()
    assert status["consent_granted"] is False and status["consent_revoked_at"] is not None


def test_revoking_for_a_player_without_a_device_is_a_404_that_says_so(database_url, service):  # noqa: F811
    answer = requests.delete(
        f"{service[0]}/api/players/{_uuid_of(database_url, TATUM)}/wearables/revoke-consent",
        headers=KEY,
        timeout=30,
    )
    assert answer.status_code == 404 and answer.json() == {"detail": f"player {TATUM} has no WHOOP device"}
