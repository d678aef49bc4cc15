"""The WHOOP simulator over real HTTP: OAuth, tokens, collections, records by id, limits and faults."""

from __future__ import annotations

import re
import threading
from datetime import date, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from clutch_pipeline.whoop.simulator import Change, WhoopSimulator, simulate_athletes
from clutch_pipeline.whoop.simulator.records import iso
from clutch_pipeline_tests.whoop.conftest import (
    BOS,
    BROWN,
    LEBRON,
    REDIRECT_URI,
    SIM_GAMES,
    SIM_PLAYERS,
    TATUM,
    WHOOP_CLIENT_ID,
    WHOOP_CLIENT_SECRET,
    authorize_code,
)

API = "/developer/v2"
# A copy of ../shared/reference/whoop/whoop-openapi.yml (WHOOP's OpenAPI document, 59 kB).
OPENAPI = Path(__file__).resolve().parent / "data" / "whoop-openapi.yml"


def token_call(whoop: WhoopSimulator, **form: str) -> requests.Response:
    body = {"client_id": WHOOP_CLIENT_ID, "client_secret": WHOOP_CLIENT_SECRET, **form}
    return requests.post(whoop.base_url + "/oauth/oauth2/token", data=body, timeout=5)


def get(whoop: WhoopSimulator, path: str, token: str | None, **params) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.get(whoop.base_url + API + path, headers=headers, params=params, timeout=5)


def all_pages(whoop: WhoopSimulator, path: str, token: str, **params) -> tuple[list[dict], int]:
    records, pages, next_token = [], 0, None
    while True:
        answer = get(whoop, path, token, **params, **({"nextToken": next_token} if next_token else {}))
        assert answer.status_code == 200, answer.text
        pages += 1
        records += answer.json()["records"]
        next_token = answer.json().get("next_token")
        if not next_token:
            return records, pages


# -- OAuth -------------------------------------------------------------------------------------------


def test_the_code_flow_passes_state_through_and_the_tokens_open_the_athletes_data(whoop_simulator):
    state = "st@te/with spaces+&=?"
    answer = requests.get(
        whoop_simulator.base_url + "/oauth/oauth2/auth",
        params={
            "response_type": "code",
            "client_id": WHOOP_CLIENT_ID,
            "redirect_uri": REDIRECT_URI + "?from=test",
            "scope": "read:profile read:cycles offline",
            "state": state,
            "athlete": TATUM,
        },
        allow_redirects=False,
        timeout=5,
    )
    assert answer.status_code == 302
    location = urlsplit(answer.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT_URI
    query = parse_qs(location.query)
    assert query["state"] == [state] and query["from"] == ["test"]

    tokens = token_call(
        whoop_simulator,
        grant_type="authorization_code",
        code=query["code"][0],
        redirect_uri=REDIRECT_URI + "?from=test",
    )
    assert tokens.status_code == 200, tokens.text
    body = tokens.json()
    assert set(body) == {"access_token", "expires_in", "refresh_token", "scope", "token_type"}
    assert body["expires_in"] == 3600 and body["token_type"] == "bearer"
    assert body["scope"].split() == ["read:profile", "read:cycles", "offline"]

    profile = get(whoop_simulator, "/user/profile/basic", body["access_token"]).json()
    tatum = whoop_simulator.athlete(TATUM)
    assert profile == {
        "user_id": tatum.user_id,
        "email": tatum.email,
        "first_name": "Jayson",
        "last_name": "Tatum",
    }
    assert whoop_simulator.token_requests == 1


def test_a_code_is_single_use_expires_after_ten_minutes_and_needs_its_redirect_uri(
    whoop_simulator, whoop_clock
):
    code = authorize_code(whoop_simulator, TATUM)
    assert token_call(
        whoop_simulator, grant_type="authorization_code", code=code, redirect_uri=REDIRECT_URI
    ).ok
    again = token_call(whoop_simulator, grant_type="authorization_code", code=code, redirect_uri=REDIRECT_URI)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"

    code = authorize_code(whoop_simulator, TATUM)
    wrong = token_call(
        whoop_simulator, grant_type="authorization_code", code=code, redirect_uri=REDIRECT_URI + "x"
    )
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"

    code = authorize_code(whoop_simulator, TATUM)
    whoop_clock.advance(minutes=10, seconds=1)
    late = token_call(whoop_simulator, grant_type="authorization_code", code=code, redirect_uri=REDIRECT_URI)
    assert late.status_code == 400 and late.json()["error"] == "invalid_grant"

    unknown = token_call(
        whoop_simulator, grant_type="authorization_code", code="nope", redirect_uri=REDIRECT_URI
    )
    assert unknown.status_code == 400 and unknown.json()["error"] == "invalid_grant"


@pytest.mark.parametrize(
    "change",
    [
        {"athlete": None},
        {"athlete": "999"},
        {"client_id": "someone-else"},
        {"state": "short"},
        {"scope": "read:everything"},
        {"response_type": "token"},
    ],
)
def test_the_authorize_page_refuses_bad_requests_with_400(whoop_simulator, change):
    params = {
        "response_type": "code",
        "client_id": WHOOP_CLIENT_ID,
        "redirect_uri": REDIRECT_URI,
        "scope": "read:profile offline",
        "state": "0123456789",
        "athlete": str(TATUM),
        **change,
    }
    params = {k: v for k, v in params.items() if v is not None}
    answer = requests.get(
        whoop_simulator.base_url + "/oauth/oauth2/auth", params=params, allow_redirects=False, timeout=5
    )
    assert answer.status_code == 400
    assert "Location" not in answer.headers


def test_bad_client_credentials_are_401_invalid_client(whoop_simulator):
    code = authorize_code(whoop_simulator, TATUM)
    answer = token_call(
        whoop_simulator,
        grant_type="authorization_code",
        code=code,
        redirect_uri=REDIRECT_URI,
        client_secret="wrong",
    )
    assert answer.status_code == 401 and answer.json()["error"] == "invalid_client"


def test_no_refresh_token_without_the_offline_scope(whoop_login):
    tokens = whoop_login(TATUM, scopes=["read:recovery", "read:profile"])
    assert "refresh_token" not in tokens
    assert tokens["scope"] == "read:recovery read:profile"


def test_a_refresh_rotates_both_tokens(whoop_simulator, whoop_login):
    first = whoop_login(TATUM)
    second = token_call(
        whoop_simulator, grant_type="refresh_token", refresh_token=first["refresh_token"], scope="offline"
    )
    assert second.status_code == 200
    second = second.json()
    assert second["access_token"] != first["access_token"]
    assert second["refresh_token"] != first["refresh_token"]
    assert second["scope"] == first["scope"]

    assert get(whoop_simulator, "/user/profile/basic", first["access_token"]).status_code == 401
    assert get(whoop_simulator, "/user/profile/basic", second["access_token"]).status_code == 200
    spent = token_call(
        whoop_simulator, grant_type="refresh_token", refresh_token=first["refresh_token"], scope="offline"
    )
    assert spent.status_code == 400 and spent.json()["error"] == "invalid_grant"
    assert "error_description" in spent.json()


def test_two_concurrent_refreshes_with_one_token_one_wins(make_whoop_simulator, whoop_login):
    whoop = make_whoop_simulator(token_delay_seconds=0.3)
    tokens = whoop_login(TATUM, simulator=whoop)
    answers: list[requests.Response] = []

    def refresh() -> None:
        answers.append(
            token_call(
                whoop, grant_type="refresh_token", refresh_token=tokens["refresh_token"], scope="offline"
            )
        )

    threads = [threading.Thread(target=refresh) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(a.status_code for a in answers) == [200, 400]
    assert whoop.token_requests == 3


def test_revoking_access_ends_that_users_tokens_only(whoop_simulator, whoop_login):
    tatum, lebron = whoop_login(TATUM), whoop_login(LEBRON)
    revoke = requests.delete(
        whoop_simulator.base_url + API + "/user/access",
        headers={"Authorization": f"Bearer {tatum['access_token']}"},
        timeout=5,
    )
    assert revoke.status_code == 204 and revoke.content == b""
    assert get(whoop_simulator, "/user/profile/basic", tatum["access_token"]).status_code == 401
    refresh = token_call(whoop_simulator, grant_type="refresh_token", refresh_token=tatum["refresh_token"])
    assert refresh.json()["error"] == "invalid_grant"
    assert get(whoop_simulator, "/user/profile/basic", lebron["access_token"]).status_code == 200


def test_switches_expire_access_tokens_and_revoke_refresh_tokens(whoop_simulator, whoop_login, whoop_clock):
    tatum, lebron = whoop_login(TATUM), whoop_login(LEBRON)
    whoop_simulator.expire_access_tokens()
    assert get(whoop_simulator, "/cycle", tatum["access_token"]).status_code == 401
    renewed = token_call(
        whoop_simulator, grant_type="refresh_token", refresh_token=tatum["refresh_token"]
    ).json()
    assert get(whoop_simulator, "/cycle", renewed["access_token"]).status_code == 200

    whoop_simulator.revoke_refresh_tokens(user_id=whoop_simulator.athlete(LEBRON).user_id)
    assert (
        token_call(
            whoop_simulator, grant_type="refresh_token", refresh_token=lebron["refresh_token"]
        ).status_code
        == 400
    )
    assert token_call(whoop_simulator, grant_type="refresh_token", refresh_token=renewed["refresh_token"]).ok

    later = whoop_login(TATUM)
    whoop_clock.advance(seconds=3600)
    assert get(whoop_simulator, "/cycle", later["access_token"]).status_code == 401  # expired by the clock


def test_a_request_needs_a_valid_bearer_token_with_the_endpoints_scope(whoop_simulator, whoop_login):
    assert get(whoop_simulator, "/cycle", None).status_code == 401
    assert get(whoop_simulator, "/cycle", "not-a-token").status_code == 401
    token = whoop_login(TATUM, scopes=["read:sleep"])["access_token"]
    assert get(whoop_simulator, "/activity/sleep", token).status_code == 200
    refused = get(whoop_simulator, "/cycle", token)
    assert refused.status_code == 403 and refused.json()["error"] == "insufficient_scope"
    assert get(whoop_simulator, "/user/profile/basic", token).status_code == 403


# -- collections and records ---------------------------------------------------------------------------


def test_collections_page_by_25_newest_first_within_start_inclusive_end_exclusive(
    make_whoop_simulator, whoop_clock
):
    athletes = simulate_athletes(SIM_PLAYERS[:1], SIM_GAMES, date(2022, 11, 1), date(2023, 1, 14))
    whoop = make_whoop_simulator(athletes)
    token = whoop.issue_tokens(TATUM)["access_token"]
    cycles = sorted(athletes[0].cycles, key=lambda c: c.start, reverse=True)
    assert len(cycles) == 75

    records, pages = all_pages(whoop, "/cycle", token, limit=25)
    assert pages == 3 and [r["id"] for r in records] == [c.record_id for c in cycles]
    assert whoop.count("/developer/v2/cycle") == 3

    start, end = cycles[60].start, cycles[5].start  # the window [cycles[60].start, cycles[5].start)
    records, pages = all_pages(whoop, "/cycle", token, limit=25, start=iso(start), end=iso(end))
    assert [r["id"] for r in records] == [c.record_id for c in cycles[6:61]]
    assert pages == 3

    recoveries, _ = all_pages(whoop, "/recovery", token, limit=25, start=iso(start), end=iso(end))
    assert [r["sleep_id"] for r in recoveries] == [
        s.record_id
        for s in sorted(athletes[0].sleeps, key=lambda s: s.start, reverse=True)
        if not s.fields["nap"] and start <= s.start < end
    ]

    first = get(whoop, "/cycle", token).json()
    assert len(first["records"]) == 10 and "next_token" in first  # limit defaults to 10


@pytest.mark.parametrize(
    "params", [{"limit": 26}, {"limit": 0}, {"limit": "ten"}, {"start": "yesterday"}, {"nextToken": "%%"}]
)
def test_bad_collection_parameters_are_400(whoop_simulator, params):
    token = whoop_simulator.issue_tokens(TATUM)["access_token"]
    assert get(whoop_simulator, "/activity/workout", token, **params).status_code == 400


def test_records_by_id_are_the_users_own(whoop_simulator):
    tatum, lebron = whoop_simulator.athlete(TATUM), whoop_simulator.athlete(LEBRON)
    token = whoop_simulator.issue_tokens(TATUM)["access_token"]
    cycle, recovery = tatum.cycles[4], tatum.recoveries[4]
    sleep = next(s for s in tatum.sleeps if s.record_id == recovery.record_id)
    workout = tatum.workouts[0]
    assert get(whoop_simulator, f"/cycle/{cycle.record_id}", token).json()["id"] == cycle.record_id
    assert (
        get(whoop_simulator, f"/cycle/{cycle.record_id}/recovery", token).json()["sleep_id"]
        == sleep.record_id
    )
    assert get(whoop_simulator, f"/cycle/{cycle.record_id}/sleep", token).json()["id"] == sleep.record_id
    assert (
        get(whoop_simulator, f"/activity/sleep/{sleep.record_id}", token).json()["cycle_id"]
        == cycle.record_id
    )
    assert (
        get(whoop_simulator, f"/activity/workout/{workout.record_id}", token).json()["id"]
        == workout.record_id
    )

    assert get(whoop_simulator, f"/cycle/{lebron.cycles[0].record_id}", token).status_code == 404
    assert get(whoop_simulator, f"/activity/sleep/{lebron.sleeps[0].record_id}", token).status_code == 404
    assert get(whoop_simulator, "/activity/workout/not-a-uuid", token).status_code == 400
    assert get(whoop_simulator, "/recovery/123", token).status_code == 404  # no such endpoint in v2


def test_records_appear_when_they_end_pending_then_scored(whoop_simulator, whoop_clock):
    tatum = whoop_simulator.athlete(TATUM)
    token = whoop_simulator.issue_tokens(TATUM)["access_token"]
    sleep = next(s for s in tatum.sleeps if s.scorable and not s.fields["nap"])

    whoop_clock.set(sleep.end - timedelta(minutes=1))
    assert get(whoop_simulator, f"/activity/sleep/{sleep.record_id}", token).status_code == 404
    assert sleep.record_id not in [
        r["id"] for r in get(whoop_simulator, "/activity/sleep", token).json()["records"]
    ]
    current = get(whoop_simulator, "/cycle", token, limit=1).json()["records"][0]
    assert current["id"] == sleep.fields["cycle_id"] and "end" not in current  # the cycle this sleep began
    assert current["score_state"] == "PENDING_SCORE" and "score" not in current

    whoop_clock.set(sleep.end + timedelta(minutes=1))
    pending = get(whoop_simulator, f"/activity/sleep/{sleep.record_id}", token).json()
    assert pending["score_state"] == "PENDING_SCORE" and "score" not in pending
    assert pending["updated_at"] == pending["created_at"] == iso(sleep.end)
    recovery = get(whoop_simulator, f"/cycle/{sleep.fields['cycle_id']}/recovery", token).json()
    assert recovery["score_state"] == "PENDING_SCORE"

    whoop_clock.set(sleep.scored_at)
    scored = get(whoop_simulator, f"/activity/sleep/{sleep.record_id}", token).json()
    assert scored["score_state"] == "SCORED" and scored["updated_at"] == iso(sleep.scored_at)
    assert scored["score"]["stage_summary"]["total_in_bed_time_milli"] > 0
    assert timedelta(minutes=30) <= sleep.scored_at - sleep.end <= timedelta(minutes=90)


def test_rescore_and_delete_change_what_is_served_and_are_announced(whoop_simulator):
    tatum = whoop_simulator.athlete(TATUM)
    token = whoop_simulator.issue_tokens(TATUM)["access_token"]
    seen: list[Change] = []
    whoop_simulator.on_change.append(seen.append)
    recovery = tatum.recoveries[3]
    path = f"/cycle/{recovery.fields['cycle_id']}/recovery"
    before = get(whoop_simulator, path, token).json()

    whoop_simulator.rescore(
        tatum.user_id, "recovery", recovery.record_id, recovery_score=91.0, hrv_rmssd_milli=140.5
    )
    after = get(whoop_simulator, path, token).json()
    assert after["score"]["recovery_score"] == 91.0 and after["score"]["hrv_rmssd_milli"] == 140.5
    assert after["updated_at"] > before["updated_at"]
    assert seen[-1].kind == "updated" and seen[-1].record_id == recovery.record_id

    whoop_simulator.delete_record(tatum.user_id, "sleep", recovery.record_id)
    assert get(whoop_simulator, f"/activity/sleep/{recovery.record_id}", token).status_code == 404
    assert get(whoop_simulator, path, token).status_code == 404
    assert [(c.kind, c.record_type) for c in seen[-2:]] == [("deleted", "sleep"), ("deleted", "recovery")]


def test_timezone_offsets_follow_the_athlete(whoop_simulator):
    token = whoop_simulator.issue_tokens(TATUM)["access_token"]
    workouts = get(whoop_simulator, "/activity/workout", token, limit=25).json()["records"]
    games = {g.tipoff_at: g for g in SIM_GAMES if BOS in (g.home_team_id, g.away_team_id)}
    offsets = {}
    for workout in workouts:
        for tipoff, game in games.items():
            if abs(tipoff - _parse(workout["start"])) < timedelta(minutes=3):
                offsets[game.nba_game_id] = workout["timezone_offset"]
    assert offsets["0022200560"] == "-07:00"  # at Denver
    assert offsets["0022200570"] == "-07:00"  # at Phoenix
    assert offsets["0022200580"] == "-08:00"  # at the Lakers
    assert offsets["0022200590"] == "-05:00"  # home in Boston


# -- limits and faults ----------------------------------------------------------------------------------


def test_rate_limit_headers_count_down_then_429_without_retry_after(make_whoop_simulator, whoop_clock):
    whoop = make_whoop_simulator(per_minute=5, per_day=1000)
    whoop_clock.set(whoop_clock.now.replace(second=10))
    token = whoop.issue_tokens(TATUM)["access_token"]
    for remaining in (4, 3, 2, 1, 0):
        answer = get(whoop, "/cycle", token)
        assert answer.status_code == 200
        assert answer.headers["X-RateLimit-Limit"] == "5, 5;window=60, 1000;window=86400"
        assert answer.headers["X-RateLimit-Remaining"] == str(remaining)
        assert answer.headers["X-RateLimit-Reset"] == "50"
    refused = get(whoop, "/cycle", token)
    assert refused.status_code == 429 and "Retry-After" not in refused.headers
    assert refused.headers["X-RateLimit-Remaining"] == "0" and refused.headers["X-RateLimit-Reset"] == "50"
    assert (
        token_call(whoop, grant_type="refresh_token", refresh_token="x").status_code == 429
    )  # tokens count too

    whoop_clock.advance(seconds=50)
    assert get(whoop, "/cycle", token).status_code == 200


def test_the_daily_limit_is_shared_by_all_users_and_named_first_when_nearest(make_whoop_simulator):
    whoop = make_whoop_simulator(per_minute=100, per_day=3)
    tatum, lebron = whoop.issue_tokens(TATUM)["access_token"], whoop.issue_tokens(LEBRON)["access_token"]
    first = get(whoop, "/cycle", tatum)
    assert (
        first.headers["X-RateLimit-Limit"].startswith("3, ") and first.headers["X-RateLimit-Remaining"] == "2"
    )
    assert get(whoop, "/cycle", lebron).status_code == 200
    assert get(whoop, "/cycle", tatum).status_code == 200
    assert get(whoop, "/cycle", lebron).status_code == 429


def test_faults_fail_slow_and_forced_429(whoop_simulator):
    token = whoop_simulator.issue_tokens(TATUM)["access_token"]
    whoop_simulator.fail("/cycle", 503, times=2)
    assert [get(whoop_simulator, "/cycle", token).status_code for _ in range(3)] == [503, 503, 200]
    assert get(whoop_simulator, "/recovery", token).status_code == 200

    whoop_simulator.slow("/profile", seconds=1.0)
    with pytest.raises(requests.ReadTimeout):
        requests.get(
            whoop_simulator.base_url + API + "/user/profile/basic",
            headers={"Authorization": f"Bearer {token}"},
            timeout=0.2,
        )

    whoop_simulator.rate_limit(times=1, reset_seconds=7)
    forced = get(whoop_simulator, "/activity/sleep", token)
    assert forced.status_code == 429 and forced.headers["X-RateLimit-Reset"] == "7"
    assert get(whoop_simulator, "/activity/sleep", token).status_code == 200

    user = whoop_simulator.athlete(TATUM).user_id
    assert whoop_simulator.count("/cycle", user_id=user) == 3
    assert whoop_simulator.count(user_id=whoop_simulator.athlete(BROWN).user_id) == 0
    assert [r.status for r in whoop_simulator.received("/activity/sleep")] == [429, 200]


# -- payloads against WHOOP's OpenAPI schemas -------------------------------------------------------------


def test_every_payload_matches_whoops_openapi_schema(whoop_simulator, whoop_clock):
    schemas = openapi_schemas(OPENAPI.read_text())
    token = whoop_simulator.issue_tokens(BROWN)["access_token"]
    checks = {
        "/cycle": "PaginatedCycleResponse",
        "/recovery": "RecoveryCollection",
        "/activity/sleep": "PaginatedSleepResponse",
        "/activity/workout": "WorkoutCollection",
    }
    whoop_clock.set(whoop_simulator.athlete(BROWN).cycles[-1].start + timedelta(hours=20))  # some pending
    states = set()
    for path, schema in checks.items():
        for answer in all_pages(whoop_simulator, path, token, limit=25)[0]:
            check(answer, schemas[schema]["properties"]["records"]["items"], schemas, path)
            states.add(answer["score_state"])
    assert {"SCORED", "PENDING_SCORE"} <= states
    check(
        get(whoop_simulator, "/user/profile/basic", token).json(),
        {"$ref": "UserBasicProfile"},
        schemas,
        "profile",
    )
    check(
        get(whoop_simulator, "/user/measurement/body", token).json(),
        {"$ref": "UserBodyMeasurement"},
        schemas,
        "body",
    )


TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
OFFSET = re.compile(r"^([+-]\d{2}:\d{2}|Z)$")


def check(value, schema: dict, schemas: dict, where: str) -> None:
    """``value`` has exactly the schema's fields (all required ones), each of its type and format."""
    if "$ref" in schema:
        schema = schemas[schema["$ref"].rsplit("/", 1)[-1]]
    kind = schema.get("type", "object")
    if kind == "object":
        assert isinstance(value, dict), where
        properties = schema.get("properties", {})
        assert set(schema.get("required", ())) <= set(value), (
            where,
            set(schema.get("required", ())) - set(value),
        )
        assert set(value) <= set(properties), (where, set(value) - set(properties))
        for name, item in value.items():
            check(item, properties[name], schemas, f"{where}.{name}")
        return
    if kind == "integer":
        assert isinstance(value, int) and not isinstance(value, bool), where
        limit = 2**31 if schema.get("format") == "int32" else 2**63
        assert -limit <= value < limit, where
    elif kind == "number":
        assert isinstance(value, int | float) and not isinstance(value, bool), where
    elif kind == "boolean":
        assert isinstance(value, bool), where
    elif kind == "string":
        assert isinstance(value, str), where
        if schema.get("format") == "date-time":
            assert TIMESTAMP.match(value), (where, value)
        if schema.get("format") == "uuid":
            assert UUID.match(value), (where, value)
        if where.endswith("timezone_offset"):
            assert OFFSET.match(value), (where, value)
    if "enum" in schema:
        assert value in schema["enum"], (where, value)
    name = where.rsplit(".", 1)[-1]
    if name in ("strain",):
        assert 0 <= value <= 21, where
    if name.endswith("percentage") or name in ("recovery_score", "percent_recorded"):
        assert 0 <= value <= 100, where


def openapi_schemas(text: str) -> dict[str, dict]:
    """``components.schemas`` of WHOOP's OpenAPI YAML: each schema's required list and its properties'
    type, format, enum, $ref and items (enough to check payloads; no YAML library needed)."""
    lines = text.splitlines()
    schemas: dict[str, dict] = {}
    schema: dict = {}
    prop: dict = {}
    section = None
    for line in lines[lines.index("  schemas:") + 1 :]:
        if line.startswith("  securitySchemes:"):
            break
        indent = len(line) - len(line.lstrip())
        text_ = line.strip()
        item = text_[2:] if text_.startswith("- ") else None
        key, _, value = text_.partition(":")
        value = value.strip().strip("'\"")
        if indent == 4:
            schema = schemas.setdefault(key, {"required": [], "properties": {}})
            section = None
        elif indent == 6:
            if item is None:
                section = key
            elif section == "required":
                schema["required"].append(item)
        elif section != "properties":
            continue
        elif indent == 8 and item is None:
            prop = schema["properties"].setdefault(key, {})
        elif indent == 10 and item is not None:
            prop.setdefault("enum", []).append(item)
        elif indent == 10 and key in ("type", "format", "$ref"):
            prop[key] = value
        elif indent == 12 and key == "$ref":
            prop["items"] = {"$ref": value}
    return schemas


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text)
