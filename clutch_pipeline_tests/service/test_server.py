"""``run_service``, as ``clutch serve`` runs it: a real uvicorn in its own process on loopback, its
logs captured, stopped by a signal."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import psycopg
import pytest
import requests

from clutch_pipeline.service.server import redact_query, redact_text
from clutch_pipeline.whoop.budget import utc_now
from clutch_pipeline.whoop.consent import authorization_url
from clutch_pipeline_tests.service.serve_main import API_KEY
from clutch_pipeline_tests.whoop.athletes import add_player
from clutch_pipeline_tests.whoop.conftest import TATUM, WHOOP_CLIENT_ID, WHOOP_CLIENT_SECRET

REPO = Path(__file__).resolve().parents[2]


@dataclass
class Service:
    base_url: str
    process: subprocess.Popen
    log: Path

    def logs(self) -> str:
        return self.log.read_text()

    def stop(self, signum: int = signal.SIGTERM) -> int:
        self.process.send_signal(signum)
        return self.process.wait(timeout=30)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def simulator(make_whoop_simulator):
    return make_whoop_simulator(clock=utc_now)


@pytest.fixture
def service(database_url, simulator, tmp_path) -> Iterator[Service]:
    port, log = free_port(), tmp_path / "service.log"
    command = [sys.executable, "-m", "clutch_pipeline_tests.service.serve_main"]
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*command, database_url, simulator.base_url, str(port)],
            cwd=REPO,
            env={**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    service = Service(f"http://127.0.0.1:{port}", process, log)
    deadline = time.monotonic() + 60
    while not _answers(service.base_url):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"the service did not start:\n{service.logs()}")
        time.sleep(0.1)
    yield service
    if process.poll() is None:
        process.kill()
        process.wait()


def _answers(base_url: str) -> bool:
    try:
        return requests.get(f"{base_url}/api/health", timeout=2).status_code == 200
    except requests.ConnectionError:
        return False


def test_the_access_log_keeps_no_oauth_code_or_state(database_url, service, simulator):
    from clutch_pipeline.whoop.app import WhoopApp
    from clutch_pipeline.whoop.tokens import TokenCipher, generate_key

    whoop = WhoopApp(
        base_url=simulator.base_url,
        client_id=WHOOP_CLIENT_ID,
        client_secret=WHOOP_CLIENT_SECRET,
        redirect_uri=f"{service.base_url}/api/auth/whoop/callback",
        cipher=TokenCipher([generate_key()]),
    )
    with psycopg.connect(database_url, autocommit=True) as conn:
        add_player(conn, TATUM)
        url = authorization_url(conn, whoop, TATUM, utc_now()) + f"&athlete={TATUM}"
    answer = requests.get(url, timeout=30)
    assert answer.status_code == 200, answer.text
    callback = parse_qs(urlsplit(answer.history[0].headers["Location"]).query)
    code, state = callback["code"][0], callback["state"][0]
    # Once more with the spent state, and with token-ish parameters anyone may send.
    requests.get(answer.url, timeout=10)
    requests.get(
        f"{service.base_url}/api/health?access_token=AT-SECRET-1&refresh_token=RT-SECRET-2", timeout=10
    )
    assert service.stop() == 0
    logs = service.logs()
    assert "GET /api/auth/whoop/callback?code=***" in logs and "&state=***" in logs
    for secret in (code, state, "AT-SECRET-1", "RT-SECRET-2"):
        assert secret not in logs


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_stops_the_service_gracefully_with_status_0(service, signum):
    assert service.stop(signum) == 0
    assert "Finished server process" in service.logs()


def test_an_api_key_sent_as_a_query_parameter_is_never_logged(service):
    requests.get(
        f"{service.base_url}/api/players/{TATUM}/wearables/consent-status?api_key={API_KEY}",
        headers={"X-API-Key": API_KEY},
        timeout=10,
    )
    service.stop()
    assert API_KEY not in service.logs()


def test_secret_parameters_are_redacted_whatever_their_case_or_encoding():
    target = "/cb?Code=c1&STATE=s1&c%6Fde=c2&client_secret=x&id_token=y&error=access_denied&scope=read"
    assert redact_query(target) == (
        "/cb?Code=***&STATE=***&c%6Fde=***&client_secret=***&id_token=***&error=access_denied&scope=read"
    )


def test_secret_pairs_in_free_text_are_redacted():
    assert redact_text("refresh failed for refresh_token=abc, status=400") == (
        "refresh failed for refresh_token=***, status=400"
    )
