"""A Dagster instance as `clutch` opens it (the project's dagster.yaml, pools from settings), on
PostgreSQL: its storage in a database of the test's own, copied from one whose Dagster tables were
created once per session (creating them takes about 2 s; copying, a few hundredths)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from psycopg import sql

from clutch_pipeline.db.connection import url_for_database
from clutch_pipeline.runs import open_instance
from clutch_pipeline.settings import load_settings


def _admin(url: str, statement: sql.Composable) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(statement)


@pytest.fixture(scope="session")
def dagster_template(pg_admin_url, template_database, run_tag, tmp_path_factory) -> Iterator[str]:
    """A database holding the Dagster instance's tables and nothing else."""
    name = f"dagster_tmpl_{run_tag}"
    _admin(pg_admin_url, sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    saved = dict(os.environ)
    try:
        opened = open_instance(
            load_settings(
                {
                    "CLUTCH_HOME": str(tmp_path_factory.mktemp("dagster-template")),
                    "CLUTCH_DATABASE_URL": url_for_database(pg_admin_url, template_database),
                    "CLUTCH_DAGSTER_DATABASE_URL": url_for_database(pg_admin_url, name),
                }
            )
        )
        opened.dispose()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    # The instance's connection pools may outlive dispose(); a template must have no session.
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        )
    yield name
    _admin(pg_admin_url, sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture
def dagster_database_url(pg_admin_url, dagster_template, run_tag) -> Iterator[str]:
    name = f"d_{run_tag}_{uuid.uuid4().hex[:8]}"
    _admin(
        pg_admin_url,
        sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
            sql.Identifier(name), sql.Identifier(dagster_template)
        ),
    )
    yield url_for_database(pg_admin_url, name)
    _admin(pg_admin_url, sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture
def clutch_environment(tmp_path, database_url, dagster_database_url) -> dict[str, str]:
    """The variables that point `clutch` (and any process given them) at this test's instance."""
    return {
        "CLUTCH_HOME": str(tmp_path / "home"),
        "CLUTCH_DATABASE_URL": database_url,
        "CLUTCH_DAGSTER_DATABASE_URL": dagster_database_url,
        "CLUTCH_POOL_NBA_API": "1",
    }


@pytest.fixture
def instance(clutch_environment):
    opened = open_instance(load_settings(clutch_environment))
    yield opened.dagster
    opened.dispose()
