"""The WHOOP simulator's state file: its secret and the grants it issued survive a restart."""

from __future__ import annotations

import stat

import requests

from clutch_pipeline.whoop.simulator import WhoopSimulator
from clutch_pipeline_tests.whoop.conftest import LEBRON, TATUM, WHOOP_CLIENT_ID, WHOOP_CLIENT_SECRET

PROFILE = "/developer/v2/user/profile/basic"


def profile(whoop: WhoopSimulator, access_token: str) -> requests.Response:
    headers = {"Authorization": f"Bearer {access_token}"}
    return requests.get(whoop.base_url + PROFILE, headers=headers, timeout=5)


def refresh(whoop: WhoopSimulator, refresh_token: str) -> requests.Response:
    form = {
        "grant_type": "refresh_token",
        "refresh_token": refresh_token,
        "client_id": WHOOP_CLIENT_ID,
        "client_secret": whoop.client_secret,
    }
    return requests.post(whoop.base_url + "/oauth/oauth2/token", data=form, timeout=5)


def restart(make_whoop_simulator, first: WhoopSimulator, **kwargs) -> WhoopSimulator:
    first.stop()
    return make_whoop_simulator(**kwargs)


def test_a_restarted_simulator_on_the_same_state_file_honours_the_access_token_it_issued(
    make_whoop_simulator, whoop_login, tmp_path
):
    state = tmp_path / "state.json"
    first = make_whoop_simulator(state_path=state)
    tokens = whoop_login(TATUM, simulator=first)
    second = restart(make_whoop_simulator, first, state_path=state)
    answer = profile(second, tokens["access_token"])
    assert answer.status_code == 200 and answer.json()["user_id"] == second.athlete(TATUM).user_id


def test_a_simulator_on_another_state_file_rejects_that_token(make_whoop_simulator, whoop_login, tmp_path):
    first = make_whoop_simulator(state_path=tmp_path / "state.json")
    tokens = whoop_login(TATUM, simulator=first)
    second = restart(make_whoop_simulator, first, state_path=tmp_path / "other.json")
    assert profile(second, tokens["access_token"]).status_code == 401


def test_a_refresh_token_issued_before_a_restart_refreshes_once(make_whoop_simulator, whoop_login, tmp_path):
    state = tmp_path / "state.json"
    first = make_whoop_simulator(state_path=state)
    tokens = whoop_login(TATUM, simulator=first)
    second = restart(make_whoop_simulator, first, state_path=state)
    renewed = refresh(second, tokens["refresh_token"])
    assert renewed.status_code == 200
    assert profile(second, renewed.json()["access_token"]).status_code == 200
    third = restart(make_whoop_simulator, second, state_path=state)  # the rotation was saved too
    assert refresh(third, tokens["refresh_token"]).json()["error"] == "invalid_grant"
    assert refresh(third, renewed.json()["refresh_token"]).status_code == 200


def test_who_is_authorized_survives_a_restart_and_so_does_a_revocation(
    make_whoop_simulator, whoop_login, tmp_path
):
    state = tmp_path / "state.json"
    first = make_whoop_simulator(state_path=state)
    tatum = whoop_login(TATUM, simulator=first)
    whoop_login(LEBRON, simulator=first)
    requests.delete(
        first.base_url + "/developer/v2/user/access",
        headers={"Authorization": f"Bearer {tatum['access_token']}"},
        timeout=5,
    )
    second = restart(make_whoop_simulator, first, state_path=state)
    tatum_user, lebron_user = second.athlete(TATUM).user_id, second.athlete(LEBRON).user_id
    assert not second.is_authorized(tatum_user) and not second.holds_live_grant(tatum_user)
    assert second.is_authorized(lebron_user) and second.holds_live_grant(lebron_user)


def test_without_a_given_secret_the_simulator_keeps_the_one_it_made(make_whoop_simulator, tmp_path):
    state = tmp_path / "state.json"
    first = make_whoop_simulator(client_secret=None, state_path=state)
    assert first.client_secret and first.client_secret != WHOOP_CLIENT_SECRET
    second = restart(make_whoop_simulator, first, client_secret=None, state_path=state)
    other = make_whoop_simulator(client_secret=None, state_path=tmp_path / "other.json")
    assert second.client_secret == first.client_secret != other.client_secret


def test_the_state_file_is_readable_by_its_owner_only(make_whoop_simulator, whoop_login, tmp_path):
    state = tmp_path / "simulator" / "state.json"
    whoop_login(TATUM, simulator=make_whoop_simulator(state_path=state))
    assert stat.S_IMODE(state.stat().st_mode) == 0o600
    assert [p.name for p in state.parent.iterdir()] == ["state.json"]  # no temporary file left


def test_an_unreadable_state_file_starts_the_simulator_afresh(make_whoop_simulator, whoop_login, tmp_path):
    state = tmp_path / "state.json"
    state.write_text("{not json")
    simulator = make_whoop_simulator(state_path=state)
    assert not simulator.is_authorized(simulator.athlete(TATUM).user_id)
    tokens = whoop_login(TATUM, simulator=simulator)
    assert profile(simulator, tokens["access_token"]).status_code == 200
    assert tokens["refresh_token"] in state.read_text()


def test_a_given_secret_replaces_the_stored_one_and_keeps_the_grants(
    make_whoop_simulator, whoop_login, tmp_path
):
    state = tmp_path / "state.json"
    first = make_whoop_simulator(state_path=state)
    tokens = whoop_login(TATUM, simulator=first)
    second = restart(make_whoop_simulator, first, client_secret="rotated-secret", state_path=state)
    third = restart(make_whoop_simulator, second, client_secret=None, state_path=state)
    assert third.client_secret == "rotated-secret"
    assert profile(third, tokens["access_token"]).status_code == 200
