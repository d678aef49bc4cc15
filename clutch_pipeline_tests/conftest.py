"""Shared fixtures: a real PostgreSQL per test session, a fresh database per test, loopback-only network.

The server is a throwaway embedded PostgreSQL (pgserver in a temporary folder, deleted at the end), or
the server named by CLUTCH_TEST_DATABASE_URL. Migrations are applied once to a template database;
each test that writes gets ``CREATE DATABASE ... TEMPLATE`` of it (a few hundredths of a second).
"""

from __future__ import annotations

import ipaddress
import os
import socket
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from clutch_pipeline.db.connection import url_for_database
from clutch_pipeline.db.migrations import upgrade
from clutch_pipeline.settings import load_settings

# ---------------------------------------------------------------------------------------------------
# Nothing in the suite may reach past this machine: a base URL left at its production default fails
# at once instead of hanging on a real API.


class NetworkRefused(ConnectionRefusedError):
    pass


_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_real_getaddrinfo = socket.getaddrinfo


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return host == "localhost"


def _check_address(sock: socket.socket, address) -> None:
    if sock.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(str(address[0])):
        raise NetworkRefused(f"tests may only connect to loopback, not {address[0]}")


def _guarded_connect(self, address):
    _check_address(self, address)
    return _real_connect(self, address)


def _guarded_connect_ex(self, address):
    _check_address(self, address)
    return _real_connect_ex(self, address)


def _guarded_getaddrinfo(host, *args, **kwargs):
    if host is not None and not _is_loopback(host.decode() if isinstance(host, bytes) else str(host)):
        raise NetworkRefused(f"tests may only resolve loopback names, not {host}")
    return _real_getaddrinfo(host, *args, **kwargs)


@pytest.fixture(autouse=True, scope="session")
def loopback_only() -> Iterator[None]:
    socket.socket.connect = _guarded_connect
    socket.socket.connect_ex = _guarded_connect_ex
    socket.getaddrinfo = _guarded_getaddrinfo
    yield
    socket.socket.connect = _real_connect
    socket.socket.connect_ex = _real_connect_ex
    socket.getaddrinfo = _real_getaddrinfo


# ---------------------------------------------------------------------------------------------------
# The process environment: tests never touch the developer's ~/.clutch, and what a test's code exports
# for Dagster (DAGSTER_HOME, the storage URL) does not leak into the next test.

_EXPORTED = ("CLUTCH_HOME", "DAGSTER_HOME", "CLUTCH_DAGSTER_STORAGE_URL", "DAGSTER_EVENT_BATCH_SIZE")


@pytest.fixture(autouse=True, scope="session")
def clutch_home_for_the_session(tmp_path_factory) -> Iterator[None]:
    before = os.environ.get("CLUTCH_HOME")
    os.environ["CLUTCH_HOME"] = str(tmp_path_factory.mktemp("clutch-home"))
    yield
    if before is None:
        os.environ.pop("CLUTCH_HOME", None)
    else:
        os.environ["CLUTCH_HOME"] = before


@pytest.fixture(autouse=True)
def restore_exported_variables() -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in _EXPORTED}
    yield
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


# ---------------------------------------------------------------------------------------------------
# PostgreSQL


@pytest.fixture(scope="session")
def pg_admin_url() -> Iterator[str]:
    """A URL with the right to create databases, on a server that lives for the test session."""
    configured = load_settings().test_database_url
    if configured:
        yield configured
        return
    from clutch_pipeline.db.embedded import embedded_server

    folder = Path(tempfile.mkdtemp(prefix="clutch-test-pg-"))
    server = embedded_server(folder / "pgdata")
    try:
        yield server.get_uri("postgres")
    finally:
        server.cleanup()  # stops the server; the folder goes with the temporary directory
        import shutil

        shutil.rmtree(folder, ignore_errors=True)


def _admin(url: str) -> psycopg.Connection:
    return psycopg.connect(url, autocommit=True)


def _create_database(admin_url: str, name: str, template: str | None = None) -> str:
    with _admin(admin_url) as conn:
        statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template:
            statement += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
        conn.execute(statement)
    return url_for_database(admin_url, name)


def _drop_database(admin_url: str, name: str) -> None:
    with _admin(admin_url) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture(scope="session")
def run_tag() -> str:
    """Unique per test process, so suites sharing one server never touch each other's databases."""
    return f"{os.getpid()}_{uuid.uuid4().hex[:6]}"


@pytest.fixture(scope="session")
def template_database(pg_admin_url: str, run_tag: str) -> Iterator[str]:
    name = f"clutch_tmpl_{run_tag}"
    url = _create_database(pg_admin_url, name)
    upgrade(url)
    yield name
    _drop_database(pg_admin_url, name)


@pytest.fixture
def empty_database_url(pg_admin_url: str, run_tag: str) -> Iterator[str]:
    """A database with nothing in it, not even the schema."""
    name = f"t_{run_tag}_{uuid.uuid4().hex[:8]}"
    url = _create_database(pg_admin_url, name)
    yield url
    _drop_database(pg_admin_url, name)


@pytest.fixture
def database_url(pg_admin_url: str, template_database: str, run_tag: str) -> Iterator[str]:
    """A database of its own for this test, with every migration applied."""
    name = f"t_{run_tag}_{uuid.uuid4().hex[:8]}"
    url = _create_database(pg_admin_url, name, template=template_database)
    yield url
    _drop_database(pg_admin_url, name)


@pytest.fixture
def conn(database_url: str) -> Iterator[psycopg.Connection]:
    """An autocommit connection to this test's database: each statement stands on its own."""
    with psycopg.connect(database_url, autocommit=True) as connection:
        yield connection


# ---------------------------------------------------------------------------------------------------
# Running the CLI as a user would: a separate process, its own environment.


@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str]:
    """An environment for `clutch` subprocesses: a fresh CLUTCH_HOME and no configured database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLUTCH_", "DAGSTER_"))}
    env["CLUTCH_HOME"] = str(tmp_path / "clutch-home")
    return env


@pytest.fixture(scope="session")
def clutch_command() -> list[str]:
    return [sys.executable, "-m", "clutch_pipeline.cli"]


# ---------------------------------------------------------------------------------------------------
# A database the main job filled


@pytest.fixture(scope="session")
def main_job_database(pg_admin_url: str, run_tag: str, clutch_home_for_the_session) -> Iterator[str]:
    """The URL of a database the main job (``clutch run``'s ``run_main_job``) filled once for the whole
    session, with its own Dagster storage, under the session's CLUTCH_HOME (``main_job_home``: the token
    key and the local model store are there).

    Shared by every test that reads what the pipeline made (the read API, the pages): treat it as
    read-only. A test that writes needs ``database_url`` instead. The main job's Dagster runs build their
    resources from the environment, as under ``clutch run``: it is set for the duration of the job."""
    from clutch_pipeline.main_job import run_main_job
    from clutch_pipeline_tests.environment import exported

    app = _create_database(pg_admin_url, f"mainjob_{run_tag}")
    dagster = _create_database(pg_admin_url, f"mainjob_dagster_{run_tag}")
    environ = {"CLUTCH_DATABASE_URL": app, "CLUTCH_DAGSTER_DATABASE_URL": dagster}
    with exported(environ):
        report = run_main_job(load_settings())
    failed = [s.title for s in report.steps if not s.success]
    assert report.success, f"the main job failed at {failed}"
    yield app
    _drop_database(pg_admin_url, f"mainjob_{run_tag}")
    _drop_database(pg_admin_url, f"mainjob_dagster_{run_tag}")


@pytest.fixture(scope="session")
def main_job_home(main_job_database: str) -> Path:
    """The CLUTCH_HOME the main job of ``main_job_database`` ran with (its local model store is here)."""
    return load_settings().clutch_home
