"""`clutch whoop ...` and `clutch keys rotate` as a user runs them: separate processes, the simulator."""

from __future__ import annotations

import subprocess
from datetime import UTC, date, datetime

import psycopg
import pytest

from clutch_pipeline.whoop import store
from clutch_pipeline.whoop.app import WhoopApp
from clutch_pipeline.whoop.budget import utc_now
from clutch_pipeline.whoop.sync import sync_devices
from clutch_pipeline.whoop.tokens import TokenCipher, generate_key
from clutch_pipeline_tests.whoop.athletes import add_player, consent_through_oauth
from clutch_pipeline_tests.whoop.conftest import (
    LEBRON,
    REDIRECT_URI,
    TATUM,
    WHOOP_CLIENT_ID,
    WHOOP_CLIENT_SECRET,
)
from clutch_pipeline_tests.whoop.privacy_rows import add_rows_of_every_table, rows_of

KEY = generate_key()


@pytest.fixture
def simulator(make_whoop_simulator):
    return make_whoop_simulator(clock=utc_now)


@pytest.fixture
def env(cli_env, database_url, simulator) -> dict[str, str]:
    return {
        **cli_env,
        "CLUTCH_DATABASE_URL": database_url,
        "WHOOP_BASE_URL": simulator.base_url,
        "WHOOP_CLIENT_ID": WHOOP_CLIENT_ID,
        "WHOOP_CLIENT_SECRET": WHOOP_CLIENT_SECRET,
        "WHOOP_REDIRECT_URI": REDIRECT_URI,
        "CLUTCH_TOKEN_KEYS": KEY,
    }


@pytest.fixture
def app(simulator) -> WhoopApp:
    return WhoopApp(
        base_url=simulator.base_url,
        client_id=WHOOP_CLIENT_ID,
        client_secret=WHOOP_CLIENT_SECRET,
        redirect_uri=REDIRECT_URI,
        cipher=TokenCipher([KEY]),
    )


@pytest.fixture
def consented(database_url, simulator, app) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        for person_id in (TATUM, LEBRON):
            add_player(conn, person_id)
            consent_through_oauth(conn, app, simulator, person_id)


@pytest.fixture
def synced(database_url, app, consented) -> None:
    """Both athletes synced over a week, with rows in every table of the privacy list."""
    window = (datetime(2023, 1, 2, tzinfo=UTC), datetime(2023, 1, 9, tzinfo=UTC))
    with psycopg.connect(database_url, autocommit=True) as conn:
        with app.open(conn) as session:
            sync_devices(
                conn, session.api, session.tokens, store.syncable_devices(conn), clock=utc_now, window=window
            )
        add_rows_of_every_table(conn, (TATUM, LEBRON), [date(2023, 1, 5)])


def clutch(clutch_command, env, *args) -> subprocess.CompletedProcess:
    return subprocess.run([*clutch_command, *args], env=env, capture_output=True, text=True, timeout=300)


def test_authorize_url_prints_whoops_authorize_page_with_a_stored_state(clutch_command, env, database_url):
    with psycopg.connect(database_url, autocommit=True) as conn:
        add_player(conn, TATUM)
    result = clutch(clutch_command, env, "whoop", "authorize-url", "--player", str(TATUM))
    assert result.returncode == 0, result.stderr
    url = result.stdout.strip()
    assert url.startswith(env["WHOOP_BASE_URL"] + "/oauth/oauth2/auth?")
    state = url.split("state=")[1]
    with psycopg.connect(database_url) as conn:
        assert conn.execute(
            "SELECT count(*) FROM whoop_oauth_states WHERE state = %s", (state,)
        ).fetchone() == (1,)


def test_authorize_url_refuses_an_unknown_player(clutch_command, env):
    result = clutch(clutch_command, env, "whoop", "authorize-url", "--player", "42")
    assert result.returncode == 1 and "no player with NBA person id 42" in result.stderr


def test_sync_of_a_date_range_is_one_run_over_those_days(clutch_command, env, database_url, consented):
    result = clutch(clutch_command, env, "whoop", "sync", "--since", "2023-01-03", "--until", "2023-01-09")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "whoop: sync 2023-01-03 .. 2023-01-09: one run" in result.stdout
    with psycopg.connect(database_url) as conn:
        runs = conn.execute("SELECT count(*) FROM runs WHERE pipeline_name = 'sync_whoop'").fetchone()[0]
        first, last = conn.execute(
            "SELECT min(record_start)::date::text, max(record_start)::date::text FROM wearables_raw_records"
            " WHERE record_type = 'cycle'"
        ).fetchone()
    assert runs == 1 and (first, last) == ("2023-01-03", "2023-01-09")


def test_sync_of_one_player_leaves_the_others_alone(clutch_command, env, database_url, simulator, consented):
    lebron = simulator.athlete(LEBRON).user_id
    before = simulator.count(user_id=lebron)
    result = clutch(clutch_command, env, "whoop", "sync", "--player", str(TATUM), "--since", "2023-01-05")
    assert result.returncode == 0, result.stdout + result.stderr
    assert simulator.count(user_id=lebron) == before


def test_revoke_deletes_the_athletes_wearables_rows_tells_whoop_and_says_what_it_deleted(
    clutch_command, env, database_url, simulator, synced
):
    with psycopg.connect(database_url) as conn:
        before, lebron = rows_of(conn, TATUM), rows_of(conn, LEBRON)
    result = clutch(clutch_command, env, "whoop", "revoke", "--player", str(TATUM))
    assert result.returncode == 0, result.stdout + result.stderr
    rows = ", ".join(f"{table} {count}" for table, count in before.items())
    assert result.stdout.strip() == f"consent of player {TATUM} revoked; WHOOP told; rows deleted: {rows}"
    assert simulator.count("/developer/v2/user/access") == 1
    with psycopg.connect(database_url) as conn:
        assert set(rows_of(conn, TATUM).values()) == {0}
        assert rows_of(conn, LEBRON) == lebron
        assert not store.consent_status(conn, TATUM)["consent_granted"]


def test_revoke_refuses_a_player_without_a_whoop_device(clutch_command, env, database_url):
    with psycopg.connect(database_url, autocommit=True) as conn:
        add_player(conn, TATUM)
    result = clutch(clutch_command, env, "whoop", "revoke", "--player", str(TATUM))
    assert result.returncode == 1 and f"player {TATUM} has no WHOOP device" in result.stderr


def test_keys_rotate_re_encrypts_the_stored_tokens_with_the_new_key(
    clutch_command, env, database_url, consented
):
    new = generate_key()
    result = clutch(clutch_command, {**env, "CLUTCH_TOKEN_KEYS": f"{new},{KEY}"}, "keys", "rotate")
    assert result.returncode == 0, result.stderr
    assert "re-encrypted the tokens of 2 device(s)" in result.stdout
    with psycopg.connect(database_url) as conn:
        (device, _) = store.syncable_devices(conn)
        tokens = store.stored_tokens(conn, device.device_id)
    TokenCipher([new]).decrypt(tokens.refresh_token_encrypted)  # the old key is no longer needed


def test_simulate_refuses_a_range_without_any_player(clutch_command, env):
    result = clutch(clutch_command, env, "whoop", "simulate", "--start", "2023-01-02", "--end", "2023-01-15")
    assert result.returncode == 1 and "no athlete to simulate" in result.stderr


def test_serve_answers_health_and_stops_on_sigterm(clutch_command, env):
    import signal
    import socket
    import time

    import requests

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen(
        [*clutch_command, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, server.stdout.read().decode()
            try:
                answer = requests.get(f"http://127.0.0.1:{port}/api/health", timeout=2)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, "clutch serve did not answer"
                time.sleep(0.2)
        assert answer.json() == {"status": "ok"}
        assert requests.get(f"http://127.0.0.1:{port}/openapi.json", timeout=5).status_code == 200
    finally:
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=30) == 0
