"""The app's assembly: one router per area (the OpenAPI description's tags), the configuration on
``app.state``, reached by the routes through FastAPI dependencies."""

from __future__ import annotations

import requests

from clutch_pipeline.service.app import ServiceConfig, create_app
from clutch_pipeline.service.server import serve_in_background
from clutch_pipeline.whoop.app import WhoopApp
from clutch_pipeline.whoop.tokens import TokenCipher, generate_key

NO_DATABASE = "postgresql://nobody@127.0.0.1:9/none"  # nothing listens: a route that connects fails


def config(api_keys: tuple[str, ...] = ("key-1",), database_url: str = NO_DATABASE) -> ServiceConfig:
    whoop = WhoopApp(
        base_url="http://127.0.0.1:9",
        client_id="client",
        client_secret="secret",
        redirect_uri="",
        cipher=TokenCipher([generate_key()]),
    )
    return ServiceConfig(database_url, whoop, api_keys=api_keys)


def test_every_endpoint_belongs_to_the_router_of_its_area():
    paths = create_app(config()).openapi()["paths"]
    areas = {
        (method.upper(), path): operation["tags"]
        for path, operations in paths.items()
        for method, operation in operations.items()
    }
    assert areas == {
        ("GET", "/api/auth/whoop/callback"): ["auth"],
        ("GET", "/api/players/{nba_person_id}/wearables/authorize"): ["auth"],
        ("GET", "/api/players/{player}/wearables/consent-status"): ["wearables"],
        ("DELETE", "/api/players/{player}/wearables/revoke-consent"): ["wearables"],
        ("GET", "/api/players/{player}/wearables/latest"): ["wearables"],
        ("GET", "/api/players/{player}/wearables/summary"): ["wearables"],
        ("GET", "/api/players/{player}/clutch-performance"): ["clutch"],
        ("GET", "/api/games/{game}/clutch-situations"): ["clutch"],
        ("GET", "/api/analytics/clutch/leaderboard"): ["analytics"],
        ("POST", "/api/analytics/clutch/predict"): ["analytics"],
        ("POST", "/api/webhooks/whoop"): ["webhooks"],
        ("GET", "/api/health"): ["health"],
    }


def test_two_apps_in_one_process_each_answer_with_their_own_configuration():
    with (
        serve_in_background(lambda _: create_app(config(("key-1",)))) as first,
        serve_in_background(lambda _: create_app(config(()))) as second,
    ):
        path = "/api/players/1/wearables/consent-status"
        assert requests.get(first + path, headers={"X-API-Key": "key-2"}, timeout=5).status_code == 401
        assert requests.get(second + path, headers={"X-API-Key": "key-2"}, timeout=5).status_code == 503


def test_the_api_key_is_checked_before_a_database_connection_is_opened():
    with serve_in_background(lambda _: create_app(config())) as base_url:
        for method, path in [
            ("GET", "/api/players/1/wearables/consent-status"),
            ("DELETE", "/api/players/1/wearables/revoke-consent"),
            ("GET", "/api/players/1/wearables/authorize"),
            ("GET", "/api/players/1/wearables/latest"),
            ("GET", "/api/players/1/wearables/summary?start=2022-10-01&end=2022-10-02"),
            ("GET", "/api/players/1/clutch-performance"),
            ("GET", "/api/games/0022200001/clutch-situations"),
            ("GET", "/api/analytics/clutch/leaderboard"),
            ("POST", "/api/analytics/clutch/predict"),
        ]:
            assert requests.request(method, base_url + path, timeout=5).status_code == 401
