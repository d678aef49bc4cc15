"""Dagster's instance storage on our PostgreSQL, with the database URL optional.

dagster-postgres needs ``postgres_url`` (or ``postgres_db``) in ``dagster.yaml``. Ours resolve it from
the settings when the file gives none: ``CLUTCH_DAGSTER_DATABASE_URL``, else ``CLUTCH_DATABASE_URL``,
else the embedded PostgreSQL under ``CLUTCH_HOME`` (started on demand). So the project's ``dagster.yaml``
works as it is wherever Dagster opens it: under ``clutch run`` and ``clutch dev``, and for a data
engineer's plain ``dagster dev`` or ``dagster definitions validate`` in the project root, where Dagster
builds its temporary instance from the ``dagster.yaml`` it finds in the working directory.

``clutch`` opens the instance with the URL it resolved given as an override (``runs.open_instance``), so
the settings it was handed win over the process environment.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dagster._serdes import ConfigurableClassData
from dagster_postgres import PostgresRunStorage, PostgresScheduleStorage
from dagster_postgres.utils import get_token_provider_from_config, pg_url_from_config

from clutch_pipeline.db.connection import psycopg2_url, resolve_database_urls
from clutch_pipeline.settings import load_settings


def storage_url(config_value: Mapping[str, Any]) -> str:
    """The storage's SQLAlchemy URL: the one ``dagster.yaml`` gives, or the Dagster database in use."""
    if config_value.get("postgres_url") or config_value.get("postgres_db"):
        return pg_url_from_config(config_value)
    return psycopg2_url(resolve_database_urls(load_settings()).dagster)


def storage_arguments(inst_data: ConfigurableClassData | None, config_value: Mapping[str, Any]) -> dict:
    """What every dagster-postgres storage takes, with the URL resolved as above."""
    return {
        "inst_data": inst_data,
        "postgres_url": storage_url(config_value),
        "should_autocreate_tables": config_value.get("should_autocreate_tables", True),
        "token_provider": get_token_provider_from_config(config_value),
    }


class ClutchRunStorage(PostgresRunStorage):
    """dagster-postgres' run storage; the URL may be left out (see the module)."""

    @classmethod
    def from_config_value(cls, inst_data, config_value) -> ClutchRunStorage:
        return cls(**storage_arguments(inst_data, config_value))


class ClutchScheduleStorage(PostgresScheduleStorage):
    """dagster-postgres' schedule storage; the URL may be left out (see the module)."""

    @classmethod
    def from_config_value(cls, inst_data, config_value) -> ClutchScheduleStorage:
        return cls(**storage_arguments(inst_data, config_value))
