"""`clutch doctor` as a user runs it: a separate process, a fresh CLUTCH_HOME; each check's verdict read
from what it prints."""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from clutch_pipeline_tests.model.s3_server import (
    ACCESS_KEY,
    SECRET_KEY,
    admin_client,
    aws_credentials,
    s3_bucket,
    s3_endpoint,
)

__all__ = ["aws_credentials", "s3_bucket", "s3_endpoint"]  # fixtures, used by name


def _doctor(clutch_command, env, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*clutch_command, "doctor", *args], env=env, capture_output=True, text=True, timeout=180
    )


def _verdicts(out: str) -> dict[str, str]:
    """Each check's name and status, from lines like ``WARN  database: ...``."""
    found = {}
    for line in out.splitlines():
        status, _, rest = line.partition(" ")
        if status in ("OK", "WARN", "FAIL", "SKIP"):
            found[rest.strip().partition(":")[0]] = status
    return found


def test_on_a_fresh_home_everything_is_ok_but_whoop_and_the_unapplied_migrations(cli_env, clutch_command):
    result = _doctor(clutch_command, cli_env)

    assert result.returncode == 0, result.stdout + result.stderr
    assert _verdicts(result.stdout) == {
        "configuration": "OK",
        "database": "WARN",
        "Dagster instance": "OK",
        "model store": "OK",
        "WHOOP credentials": "WARN",
        "token keys": "OK",
        "API keys": "OK",
        "NBA sources": "SKIP",
    }
    assert "none of the" in result.stdout and "`clutch db upgrade`" in result.stdout
    assert "set both from the WHOOP Developer Dashboard" in result.stdout
    assert "Traceback" not in result.stderr


def test_the_model_store_probe_leaves_nothing_behind(cli_env, clutch_command):
    _doctor(clutch_command, cli_env)

    assert list((Path(cli_env["CLUTCH_HOME"]) / "traces").iterdir()) == []


def test_a_migrated_database_is_ok(database_url, cli_env, clutch_command):
    cli_env["CLUTCH_DATABASE_URL"] = database_url

    result = _doctor(clutch_command, cli_env)

    assert "OK    database: reachable at " in result.stdout
    assert "migrations applied" in result.stdout


def test_an_unreachable_database_fails_with_what_to_do_and_no_password(cli_env, clutch_command):
    cli_env["CLUTCH_DATABASE_URL"] = "postgresql://app:hunter2@127.0.0.1:1/clutch"

    result = _doctor(clutch_command, cli_env)

    assert result.returncode == 1
    assert "FAIL  database: cannot connect to PostgreSQL at postgresql://app:***@127.0.0.1:1/clutch" in (
        result.stdout
    )
    assert "what to do: check CLUTCH_DATABASE_URL" in result.stdout
    assert _verdicts(result.stdout)["Dagster instance"] == "FAIL"
    assert "hunter2" not in result.stdout + result.stderr
    assert "clutch doctor: " in result.stdout.splitlines()[-1]


def test_a_model_store_that_cannot_be_written_fails(cli_env, clutch_command, tmp_path):
    # A file where the folder should be: unwritable even for root, who ignores permission bits.
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    cli_env["CLUTCH_MODEL_STORE"] = str(blocker / "traces")

    result = _doctor(clutch_command, cli_env)

    assert result.returncode == 1
    assert _verdicts(result.stdout)["model store"] == "FAIL"
    assert "what to do: make CLUTCH_MODEL_STORE a folder this user can write" in result.stdout


def _with_s3(env: dict[str, str], endpoint: str, location: str) -> None:
    env.update(
        CLUTCH_MODEL_STORE=location,
        CLUTCH_S3_ENDPOINT_URL=endpoint,
        AWS_ACCESS_KEY_ID=ACCESS_KEY,
        AWS_SECRET_ACCESS_KEY=SECRET_KEY,
    )


def test_an_s3_model_store_is_probed_and_left_as_it_was(cli_env, clutch_command, s3_endpoint, s3_bucket):
    _with_s3(cli_env, s3_endpoint, f"s3://{s3_bucket}/traces")

    result = _doctor(clutch_command, cli_env)

    assert f"OK    model store: s3://{s3_bucket}/traces reachable and writable" in result.stdout
    assert admin_client(s3_endpoint).list_objects_v2(Bucket=s3_bucket).get("Contents", []) == []
    assert SECRET_KEY not in result.stdout + result.stderr


def test_an_s3_model_store_without_its_bucket_fails(cli_env, clutch_command, s3_endpoint, aws_credentials):
    _with_s3(cli_env, s3_endpoint, "s3://no-such-bucket/traces")

    result = _doctor(clutch_command, cli_env)

    assert result.returncode == 1
    found = f"cannot write to s3://no-such-bucket/traces: no bucket 'no-such-bucket' at {s3_endpoint}"
    assert f"FAIL  model store: {found}" in result.stdout
    assert "what to do: check the bucket, CLUTCH_S3_ENDPOINT_URL and the AWS credentials" in result.stdout


def test_a_token_key_that_is_not_a_fernet_key_fails(cli_env, clutch_command):
    cli_env["CLUTCH_TOKEN_KEYS"] = "not-a-key"

    result = _doctor(clutch_command, cli_env)

    assert result.returncode == 1
    assert "FAIL  token keys: CLUTCH_TOKEN_KEYS: key [1] is not a Fernet key" in result.stdout
    assert "not-a-key" not in result.stdout


def test_a_local_key_file_readable_by_others_is_a_warning(cli_env, clutch_command):
    home = Path(cli_env["CLUTCH_HOME"])
    home.mkdir(parents=True)
    (home / "api_keys").write_text("local-key\n")
    (home / "api_keys").chmod(0o644)

    result = _doctor(clutch_command, cli_env)

    assert _verdicts(result.stdout)["API keys"] == "WARN"
    assert f"chmod 600 {home / 'api_keys'}" in result.stdout
    assert "local-key" not in result.stdout


def test_a_setting_that_cannot_be_read_fails_alone(cli_env, clutch_command):
    cli_env["CLUTCH_POOL_NBA_API"] = "many"

    result = _doctor(clutch_command, cli_env)

    assert result.returncode == 1
    assert _verdicts(result.stdout) == {"configuration": "FAIL"}
    assert "CLUTCH_POOL_NBA_API must be a whole number" in result.stdout


class _Answers(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(404)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def nba_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Answers)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/stats"
    server.shutdown()
    server.server_close()


def test_online_a_source_that_answers_is_ok_and_one_that_does_not_fails(cli_env, clutch_command, nba_server):
    cli_env["NBA_STATS_BASE_URL"] = nba_server
    cli_env["NBA_CDN_BASE_URL"] = "http://127.0.0.1:1/static/json"

    result = _doctor(clutch_command, cli_env, "--online")

    assert result.returncode == 1
    assert f"OK    NBA stats: {nba_server} answers (HTTP 404)" in result.stdout
    assert "FAIL  NBA CDN: http://127.0.0.1:1/static/json did not answer" in result.stdout
    assert "what to do: check this machine's internet access or proxy, and NBA_CDN_BASE_URL" in result.stdout
