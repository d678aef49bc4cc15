"""``clutch serve`` as the CLI runs it, for tests: ``python -m clutch_pipeline_tests.service.serve_main
DATABASE_URL WHOOP_BASE_URL PORT`` serves the app through ``run_service`` on 127.0.0.1:PORT."""

from __future__ import annotations

import sys

from clutch_pipeline.service.app import ServiceConfig, create_app
from clutch_pipeline.service.server import run_service
from clutch_pipeline.whoop.app import WhoopApp
from clutch_pipeline.whoop.tokens import TokenCipher, generate_key
from clutch_pipeline_tests.whoop.conftest import WHOOP_CLIENT_ID, WHOOP_CLIENT_SECRET

API_KEY = "serve-main-api-key"


def main(database_url: str, whoop_url: str, port: int) -> None:
    whoop = WhoopApp(
        base_url=whoop_url,
        client_id=WHOOP_CLIENT_ID,
        client_secret=WHOOP_CLIENT_SECRET,
        redirect_uri=f"http://127.0.0.1:{port}/api/auth/whoop/callback",
        cipher=TokenCipher([generate_key()]),
    )
    run_service(create_app(ServiceConfig(database_url, whoop, api_keys=(API_KEY,))), "127.0.0.1", port)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
