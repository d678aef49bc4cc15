"""Settings: one reader of the environment, every variable documented, URLs in the forms each user needs."""

from __future__ import annotations

import re

import pytest
import requests

from clutch_pipeline.db.connection import psycopg2_url, redact, url_for_database
from clutch_pipeline.project import project_file
from clutch_pipeline.settings import SETTINGS, load_settings


def test_the_readme_documents_every_setting():
    readme = project_file("README.md").read_text()
    documented = set(re.findall(r"^\| `([A-Z][A-Z0-9_]+)` \|", readme, flags=re.MULTILINE))

    assert documented == {s.name for s in SETTINGS}


def test_defaults_apply_when_nothing_is_set():
    settings = load_settings({})

    assert settings.database_url is None
    assert settings.uses_embedded_database
    assert settings.clutch_home.name == ".clutch"
    assert settings.pool_limits == {"whoop_api": 2, "nba_api": 1, "db_bulk": 2}


def test_blank_values_count_as_unset():
    assert load_settings({"CLUTCH_DATABASE_URL": "  "}).database_url is None


@pytest.mark.parametrize("value", ["0", "many"])
def test_a_pool_limit_must_be_a_positive_whole_number(value):
    with pytest.raises(ValueError, match="CLUTCH_POOL_NBA_API"):
        load_settings({"CLUTCH_POOL_NBA_API": value})


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://postgres@127.0.0.1:5432/test",
        "postgres://postgres@127.0.0.1:5432/test",
        "postgresql+psycopg://postgres@127.0.0.1:5432/test",
    ],
)
def test_dagster_storage_gets_the_psycopg2_url_form(url):
    assert psycopg2_url(url) == "postgresql+psycopg2://postgres@127.0.0.1:5432/test"


def test_the_socket_url_of_the_embedded_server_keeps_its_host_parameter():
    url = "postgresql://postgres:@/clutch?host=/tmp/x/pgdata"

    assert psycopg2_url(url) == "postgresql+psycopg2://postgres:@/clutch?host=/tmp/x/pgdata"
    assert url_for_database(url, "dagster") == "postgresql://postgres:@/dagster?host=/tmp/x/pgdata"


def test_redact_hides_the_password():
    assert redact("postgresql://app:hunter2@db:5432/clutch") == "postgresql://app:***@db:5432/clutch"


def test_the_suite_refuses_connections_beyond_loopback():
    with pytest.raises(requests.ConnectionError, match="loopback"):
        requests.get("https://api.prod.whoop.com/developer/v2/cycle", timeout=2)
