"""``clutch serve``: the HTTP service (read API, pages, WHOOP's consent routes) on the settings in use,
embedded defaults included: no WHOOP credentials and no API keys configured still make a working
service."""

from __future__ import annotations

import click

from clutch_pipeline.cli.common import console, migrated_database_url, one_line_errors


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
def serve(host: str, port: int) -> None:
    """Run the HTTP service: the read API, the pages and WHOOP's consent routes (FastAPI on uvicorn).

    Without WHOOP_CLIENT_ID and WHOOP_CLIENT_SECRET it starts anyway, and the routes that talk to WHOOP
    answer 503. Without CLUTCH_API_KEYS it generates a local key once in CLUTCH_HOME/api_keys (mode 600)
    and says where: send it as X-API-Key.
    """
    from clutch_pipeline.service.app import create_app
    from clutch_pipeline.service.config import config_from_settings
    from clutch_pipeline.service.keys import api_keys
    from clutch_pipeline.service.server import run_service
    from clutch_pipeline.settings import load_settings
    from clutch_pipeline.whoop.app import WhoopApp, WhoopNotConfigured
    from clutch_pipeline.whoop.tokens import TokenKeyError

    settings = load_settings()
    url = migrated_database_url()
    with one_line_errors(TokenKeyError):
        try:
            whoop = WhoopApp.from_settings(settings)
        except WhoopNotConfigured as exc:
            whoop, why = None, str(exc)
    keys = api_keys(settings)
    console.print(f"clutch serve on http://{host}:{port} (OpenAPI at /docs; pages: sign in at /sign-in)")
    if whoop is None:
        console.print(f"WHOOP: not configured ({why}): the consent, callback and webhook routes answer 503.")
    else:
        console.print(f"WHOOP: {whoop.base_url}")
    if keys.local_file is None:
        console.print(f"API keys: {len(keys.keys)} from CLUTCH_API_KEYS.")
    else:
        console.print(
            f"API key: CLUTCH_API_KEYS is unset, so the local key in {keys.local_file} is used "
            "(send it as the X-API-Key header, or sign in to the pages with it at /sign-in; set "
            "CLUTCH_API_KEYS in a deployment)."
        )
    run_service(create_app(config_from_settings(settings, url, whoop, keys.keys)), host, port)
