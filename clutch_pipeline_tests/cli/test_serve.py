"""`clutch serve` as a user runs it on the embedded defaults: a separate process, a fresh CLUTCH_HOME,
no WHOOP credentials and no CLUTCH_API_KEYS."""

from __future__ import annotations

import os
import signal
import socket
import stat
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

UNKNOWN_PLAYER = 999_999_999


@dataclass
class Served:
    base_url: str
    home: Path
    process: subprocess.Popen
    log: Path

    def output(self) -> str:
        return self.log.read_text()

    @property
    def key(self) -> str:
        return (self.home / "api_keys").read_text().strip()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.ConnectionError:
        return False


@pytest.fixture(scope="module")
def served(tmp_path_factory, clutch_command) -> Iterator[Served]:
    """One `clutch serve` for the module (the embedded PostgreSQL takes a while to start)."""
    folder = tmp_path_factory.mktemp("serve")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLUTCH_", "DAGSTER_", "WHOOP_"))}
    env["CLUTCH_HOME"] = str(folder / "clutch-home")
    port, log = _free_port(), folder / "serve.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [*clutch_command, "serve", "--port", str(port)], env=env, stdout=out, stderr=subprocess.STDOUT
        )
    service = Served(f"http://127.0.0.1:{port}", folder / "clutch-home", process, log)
    deadline = time.monotonic() + 120
    while not _answers(f"{service.base_url}/api/health"):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"clutch serve did not start:\n{service.output()}")
        time.sleep(0.2)
    yield service
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)


def test_serve_starts_without_whoop_settings_and_says_why_its_consent_routes_answer_503(served):
    assert requests.get(f"{served.base_url}/api/health", timeout=10).json() == {"status": "ok"}
    assert "WHOOP: not configured (WHOOP_CLIENT_ID and WHOOP_CLIENT_SECRET must be set)" in served.output()
    assert "answer 503" in served.output()


def test_a_consent_route_without_whoop_answers_503_with_a_plain_message(served):
    answer = requests.get(
        f"{served.base_url}/api/players/{UNKNOWN_PLAYER}/wearables/authorize",
        headers={"X-API-Key": served.key},
        timeout=10,
    )
    assert answer.status_code == 503
    assert answer.json() == {
        "detail": "WHOOP is not configured on this service (set WHOOP_CLIENT_ID and WHOOP_CLIENT_SECRET)"
    }


def test_without_api_keys_a_local_key_is_generated_with_mode_600_and_its_file_named(served):
    path = served.home / "api_keys"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(served.key) >= 32
    assert f"the local key in {path} is used" in served.output()


def test_the_local_key_is_accepted_as_x_api_key_and_a_wrong_one_is_not(served):
    url = f"{served.base_url}/api/players/{UNKNOWN_PLAYER}/wearables/consent-status"
    right = requests.get(url, headers={"X-API-Key": served.key}, timeout=10)
    wrong = requests.get(url, headers={"X-API-Key": served.key + "x"}, timeout=10)
    assert right.status_code == 404, right.text  # past the key check: the player is unknown
    assert wrong.status_code == 401


def test_the_local_key_is_never_printed(served):
    requests.get(f"{served.base_url}/api/health", headers={"X-API-Key": served.key}, timeout=10)
    assert served.key not in served.output()
