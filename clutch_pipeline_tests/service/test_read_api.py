"""The read API through a real HTTP client against the running app on loopback, on the database the main
job filled (read-only): each route's answer, the API key, players and games by NBA id or UUID, plain
4xx messages for bad input, pagination, and an OpenAPI description that documents every field."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta

import psycopg
import pytest
import requests

from clutch_pipeline.service.app import ServiceConfig, create_app
from clutch_pipeline.service.server import serve_in_background

API_KEY = "read-api-test-key"
KEY = {"X-API-Key": API_KEY}
SEASON = "2022-23"
UNKNOWN_UUID = "00000000-0000-4000-8000-000000000000"


@pytest.fixture(scope="module")
def api(main_job_database: str) -> Iterator[str]:
    config = ServiceConfig(database_url=main_job_database, whoop=None, api_keys=(API_KEY,))
    with serve_in_background(lambda _: create_app(config)) as base_url:
        yield base_url


@pytest.fixture(scope="module")
def athlete(main_job_database: str) -> dict:
    """A player with clutch games and wearables (the main job's best with a device), and one of his games."""
    with psycopg.connect(main_job_database) as conn:
        person, player_id, nba_game_id, game_id = conn.execute(
            """SELECT p.nba_person_id, p.player_id, g.nba_game_id, g.game_id
               FROM clutch_game_scores s JOIN players p USING (player_id) JOIN games g USING (game_id)
               WHERE s.has_wearables_data ORDER BY s.clutch_score DESC, p.nba_person_id LIMIT 1"""
        ).fetchone()
    return {"person": person, "uuid": str(player_id), "game": nba_game_id, "game_uuid": str(game_id)}


def get(api: str, path: str, headers: dict | None = KEY) -> requests.Response:
    return requests.get(api + path, headers=headers, timeout=30)


# ---------------------------------------------------------------------------------------------------
# Each route's answer


def test_clutch_performance_lists_his_games_of_the_season_with_their_wearables(api, athlete):
    body = get(api, f"/api/players/{athlete['person']}/clutch-performance?season={SEASON}").json()
    assert body["player"]["nba_person_id"] == athlete["person"] and body["season"] == SEASON
    games = body["games"]
    assert games and [g["game_date"] for g in games] == sorted(g["game_date"] for g in games)
    assert athlete["game"] in {g["nba_game_id"] for g in games}
    assert body["games_with_wearables"] == sum(g["has_wearables_data"] for g in games) >= 1
    for game in games:
        if not game["has_wearables_data"]:
            assert game["recovery_score_pregame"] is None and game["hrv_baseline_deviation"] is None


def test_clutch_performance_without_a_season_shows_his_latest(api, athlete):
    body = get(api, f"/api/players/{athlete['person']}/clutch-performance").json()
    assert body["season"] == body["seasons"][0] == SEASON


def test_clutch_situations_give_the_windows_the_margin_and_the_actions(api, athlete):
    answer = get(api, f"/api/games/{athlete['game']}/clutch-situations")
    body = answer.json()
    assert answer.status_code == 200
    assert body["game"]["nba_game_id"] == athlete["game"]
    assert body["situations"] and all(s["start_elapsed_s"] <= s["end_elapsed_s"] for s in body["situations"])
    assert body["margin"][0] == {"elapsed_s": 0.0, "margin": 0}
    assert body["margin"][-1]["margin"] == body["game"]["home_score"] - body["game"]["away_score"]
    assert athlete["person"] in {a["nba_person_id"] for a in body["actions"]}


def test_the_leaderboard_ranks_players_and_gives_the_wearables_correlation_with_its_n(api):
    body = get(api, f"/api/analytics/clutch/leaderboard?season={SEASON}&min_games=1&limit=5").json()
    scores = [r["mean_clutch_score"] for r in body["rows"]]
    assert len(scores) == 5 and scores == sorted(scores, reverse=True) and body["rows"][0]["rank"] == 1
    covariates = {c["covariate"]: c for c in body["correlation"]}
    assert set(covariates) == {
        "recovery_score_pregame",
        "hrv_baseline_deviation",
        "sleep_performance_pregame",
    }
    for c in covariates.values():
        assert c["n"] > 3 and c["ci_low"] <= c["r"] <= c["ci_high"]


def test_the_latest_wearables_are_his_last_24_hours_of_readings(api, athlete):
    body = get(api, f"/api/players/{athlete['person']}/wearables/latest").json()
    start, end = datetime.fromisoformat(body["window_start"]), datetime.fromisoformat(body["window_end"])
    assert end - start == timedelta(hours=24) and end.year == 2022  # his latest, not now
    assert body["readings"]
    for reading in body["readings"]:
        assert start < datetime.fromisoformat(reading["end"] or reading["start"]) <= end


def test_the_summary_gives_his_days_within_the_dates_asked(api, athlete):
    path = f"/api/players/{athlete['person']}/wearables/summary?start=2022-10-15&end=2022-10-20"
    body = get(api, path).json()
    days = [date.fromisoformat(d["summary_date"]) for d in body["days"]]
    assert days and days == sorted(days) and all(date(2022, 10, 15) <= d <= date(2022, 10, 20) for d in days)


def test_consent_status_answers_without_whoop_configured(api, athlete):
    body = get(api, f"/api/players/{athlete['uuid']}/wearables/consent-status").json()
    assert body["nba_person_id"] == athlete["person"] and body["consent_granted"] is True


def test_revoking_consent_without_whoop_configured_is_a_503_with_a_plain_message(api, athlete):
    answer = requests.delete(
        f"{api}/api/players/{athlete['person']}/wearables/revoke-consent", headers=KEY, timeout=30
    )
    assert answer.status_code == 503 and "WHOOP is not configured" in answer.json()["detail"]


# ---------------------------------------------------------------------------------------------------
# Ids: the NBA's and ours


@pytest.mark.parametrize(
    "path",
    [
        "/api/players/{player}/clutch-performance",
        "/api/players/{player}/wearables/latest",
        "/api/players/{player}/wearables/summary?start=2022-10-15&end=2022-10-20",
        "/api/players/{player}/wearables/consent-status",
    ],
)
def test_a_player_is_named_by_his_nba_person_id_or_our_uuid_alike(api, athlete, path):
    by_nba = get(api, path.format(player=athlete["person"]))
    by_uuid = get(api, path.format(player=athlete["uuid"]))
    assert by_nba.status_code == 200 and by_nba.json() == by_uuid.json()


def test_a_game_is_named_by_its_nba_game_id_or_our_uuid_alike(api, athlete):
    by_nba = get(api, f"/api/games/{athlete['game']}/clutch-situations")
    by_uuid = get(api, f"/api/games/{athlete['game_uuid']}/clutch-situations")
    assert by_nba.status_code == 200 and by_nba.json() == by_uuid.json()


# ---------------------------------------------------------------------------------------------------
# The API key

ROUTES = [
    "/api/players/{player}/clutch-performance",
    "/api/players/{player}/wearables/latest",
    "/api/players/{player}/wearables/summary?start=2022-10-15&end=2022-10-20",
    "/api/players/{player}/wearables/consent-status",
    "/api/games/{game}/clutch-situations",
    "/api/analytics/clutch/leaderboard",
]


@pytest.mark.parametrize("path", ROUTES)
def test_every_read_of_athlete_data_needs_the_api_key(api, athlete, path):
    url = path.format(player=athlete["person"], game=athlete["game"])
    assert get(api, url, headers=None).status_code == 401
    assert get(api, url, headers={"X-API-Key": "wrong"}).status_code == 401


# ---------------------------------------------------------------------------------------------------
# Errors: plain messages, never a 500


@pytest.mark.parametrize("player", ["999999999", UNKNOWN_UUID])
@pytest.mark.parametrize("path", [r for r in ROUTES if "{player}" in r])
def test_an_unknown_player_is_a_404_that_names_him(api, path, player):
    answer = get(api, path.format(player=player))
    assert answer.status_code == 404 and answer.json() == {"detail": f"no player {player}"}


@pytest.mark.parametrize("game", ["0022299999", UNKNOWN_UUID])
def test_an_unknown_game_is_a_404(api, game):
    answer = get(api, f"/api/games/{game}/clutch-situations")
    assert answer.status_code == 404 and answer.json() == {"detail": f"no game {game}"}


@pytest.mark.parametrize("player", ["lebron", "12ab", "1" * 30, "0x1f", "\u0661\u0662"])
def test_a_malformed_player_id_is_a_400_with_a_plain_message(api, player):
    answer = get(api, f"/api/players/{player}/clutch-performance")
    assert answer.status_code == 400 and "not a player id" in answer.json()["detail"]


@pytest.mark.parametrize("game", ["22200001", "0092200001", "game-1"])
def test_a_malformed_game_id_is_a_400_with_a_plain_message(api, game):
    answer = get(api, f"/api/games/{game}/clutch-situations")
    assert answer.status_code == 400 and "not a game id" in answer.json()["detail"]


@pytest.mark.parametrize("season", ["2022", "2022-24", "22-23", "2022/23", "2022-2023"])
@pytest.mark.parametrize(
    "path", ["/api/players/{player}/clutch-performance?season=", "/api/analytics/clutch/leaderboard?season="]
)
def test_a_malformed_season_is_a_400_that_says_how_to_write_it(api, athlete, path, season):
    answer = get(api, path.format(player=athlete["person"]) + season)
    assert answer.status_code == 400
    assert answer.json() == {"detail": f"not a season: {season!r} (write it as 2022-23)"}


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("start=2022-13-01&end=2022-10-20", "start: not a date: '2022-13-01'"),
        ("start=2022-10-01&end=yesterday", "end: not a date: 'yesterday'"),
        ("start=2022-10-20&end=2022-10-01", "end (2022-10-01) is before start (2022-10-20)"),
        ("start=2020-01-01&end=2022-10-01", "at most 366 days per request"),
    ],
)
def test_a_bad_date_range_is_a_400_with_a_plain_message(api, athlete, query, message):
    answer = get(api, f"/api/players/{athlete['person']}/wearables/summary?{query}")
    assert answer.status_code == 400 and message in answer.json()["detail"]


def test_a_missing_date_is_a_422_with_a_plain_message(api, athlete):
    answer = get(api, f"/api/players/{athlete['person']}/wearables/summary?start=2022-10-01")
    assert answer.status_code == 422 and answer.json() == {"detail": "query end: Field required"}


@pytest.mark.parametrize("query", ["limit=0", "limit=501", "offset=-1", "min_games=0", "limit=ten"])
def test_a_page_parameter_out_of_range_is_a_422_with_a_plain_message(api, query):
    answer = get(api, f"/api/analytics/clutch/leaderboard?{query}")
    assert answer.status_code == 422 and isinstance(answer.json()["detail"], str)
    assert answer.json()["detail"].startswith(f"query {query.split('=')[0]}: ")


# ---------------------------------------------------------------------------------------------------
# Pagination


def test_the_leaderboards_pages_follow_one_another_by_next_offset(api):
    first = get(api, "/api/analytics/clutch/leaderboard?limit=10").json()
    second = get(api, f"/api/analytics/clutch/leaderboard?limit=10&offset={first['next_offset']}").json()
    whole = get(api, "/api/analytics/clutch/leaderboard?limit=20").json()
    assert first["next_offset"] == 10 and first["total"] == second["total"] == whole["total"] > 20
    assert first["rows"] + second["rows"] == whole["rows"]


def test_the_last_page_has_no_next_offset(api):
    total = get(api, "/api/analytics/clutch/leaderboard?limit=1").json()["total"]
    last = get(api, f"/api/analytics/clutch/leaderboard?limit=10&offset={total - 3}").json()
    assert len(last["rows"]) == 3 and last["next_offset"] is None


def test_a_higher_min_games_leaves_out_players_with_fewer_games(api):
    everyone = get(api, "/api/analytics/clutch/leaderboard?limit=500").json()
    regulars = get(api, "/api/analytics/clutch/leaderboard?limit=500&min_games=2").json()
    assert regulars["total"] == sum(r["games"] >= 2 for r in everyone["rows"]) < everyone["total"]
    assert all(r["games"] >= 2 for r in regulars["rows"])


# ---------------------------------------------------------------------------------------------------
# The OpenAPI description


def _schemas_used(openapi: dict, path_prefixes: tuple[str, ...]) -> set[str]:
    """Every component schema the read API's routes refer to, directly or through another schema."""
    found: set[str] = set()

    def walk(node) -> None:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if ref and ref.startswith("#/components/schemas/"):
                name = ref.rsplit("/", 1)[1]
                if name not in found:
                    found.add(name)
                    walk(openapi["components"]["schemas"][name])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk({p: ops for p, ops in openapi["paths"].items() if p.startswith(path_prefixes)})
    return found


def test_the_openapi_description_documents_every_field_of_the_read_api(api):
    openapi = requests.get(api + "/openapi.json", timeout=30).json()
    used = _schemas_used(openapi, ("/api/players/{player}", "/api/games", "/api/analytics"))
    assert {"ClutchPerformance", "ClutchSituations", "Leaderboard", "Prediction", "Summaries"} <= used
    undocumented = [
        f"{name}.{field}"
        for name in sorted(used)
        for field, spec in openapi["components"]["schemas"][name].get("properties", {}).items()
        if not spec.get("description")
    ]
    assert undocumented == []


def test_the_openapi_description_documents_every_parameter_of_the_read_api(api):
    openapi = requests.get(api + "/openapi.json", timeout=30).json()
    undocumented = [
        f"{method.upper()} {path} {parameter['name']}"
        for path, operations in openapi["paths"].items()
        if path.startswith(("/api/players/{player}", "/api/games", "/api/analytics"))
        for method, operation in operations.items()
        for parameter in operation.get("parameters", [])
        if parameter["name"] != "X-API-Key" and not parameter.get("description")
    ]
    assert undocumented == []
