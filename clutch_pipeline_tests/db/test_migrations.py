"""The migration runner: order, idempotence, concurrency, and refusal to run on a drifted history."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import psycopg
import pytest

from clutch_pipeline.db.migrations import (
    MigrationError,
    discover_migrations,
    migration_states,
    migrations_dir,
    upgrade,
)

SEED_TABLES = {
    "players",
    "teams",
    "games",
    "wearables_devices",
    "wearables_readings",
    "wearables_daily_summary",
    "clutch_situations",
    "clutch_player_actions",
    "clutch_performance_scores",
    "ml_features",
}


def _tables(url: str) -> set[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall()
    return {name for (name,) in rows}


def _ledger(url: str) -> list[tuple[int, str]]:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT version, name FROM schema_migrations ORDER BY version").fetchall()


def test_migrations_apply_to_an_empty_database_in_order(empty_database_url):
    result = upgrade(empty_database_url)

    on_disk = discover_migrations()
    assert [m.version for m in result.applied] == [m.version for m in on_disk]
    assert _ledger(empty_database_url) == [(m.version, m.name) for m in on_disk]
    assert SEED_TABLES | {"wearables_raw_records", "schema_migrations"} <= _tables(empty_database_url)


def test_reapplying_migrations_is_a_no_op(empty_database_url):
    upgrade(empty_database_url)
    before = _ledger(empty_database_url)

    again = upgrade(empty_database_url)

    assert again.applied == []
    assert again.already_applied == len(before)
    assert _ledger(empty_database_url) == before


def test_two_concurrent_upgrades_leave_one_correct_schema(empty_database_url, cli_env, clutch_command):
    env = {**cli_env, "CLUTCH_DATABASE_URL": empty_database_url}
    processes = [
        subprocess.Popen(
            [*clutch_command, "db", "upgrade"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=120) for p in processes]

    assert [p.returncode for p in processes] == [0, 0], outputs
    applied_lines = [line for out, _ in outputs for line in out.splitlines() if line.startswith("applied ")]
    assert sorted(applied_lines) == sorted(f"applied {m.label}" for m in discover_migrations())
    assert _ledger(empty_database_url) == [(m.version, m.name) for m in discover_migrations()]


def _copy_migrations(tmp_path: Path) -> Path:
    folder = tmp_path / "sql"
    shutil.copytree(migrations_dir(), folder)
    return folder


def test_an_applied_migration_that_was_edited_is_refused(empty_database_url, tmp_path):
    folder = _copy_migrations(tmp_path)
    upgrade(empty_database_url, discover_migrations(folder))
    first = sorted(folder.glob("*.sql"))[0]
    first.write_text(first.read_text() + "\n-- edited afterwards\n")

    with pytest.raises(MigrationError, match="edited afterwards"):
        upgrade(empty_database_url, discover_migrations(folder))
    with pytest.raises(MigrationError, match="edited afterwards"):
        migration_states(empty_database_url, discover_migrations(folder))


def test_a_database_newer_than_the_code_is_refused(empty_database_url, tmp_path):
    folder = _copy_migrations(tmp_path)
    (folder / "900_from_the_future.sql").write_text("CREATE TABLE from_the_future (id int);")
    upgrade(empty_database_url, discover_migrations(folder))

    with pytest.raises(MigrationError, match="newer than the code"):
        upgrade(empty_database_url)


def test_a_failing_migration_is_rolled_back_and_not_recorded(empty_database_url, tmp_path):
    folder = tmp_path / "sql"
    folder.mkdir()
    (folder / "001_good.sql").write_text("CREATE TABLE good (id int);")
    (folder / "002_bad.sql").write_text("CREATE TABLE half_done (id int);\nSELECT no_such_function();")

    with pytest.raises(MigrationError, match=r"002_bad\.sql failed and was rolled back"):
        upgrade(empty_database_url, discover_migrations(folder))

    assert _ledger(empty_database_url) == [(1, "good")]
    assert "half_done" not in _tables(empty_database_url)


def test_pending_migrations_are_reported_as_pending(empty_database_url, tmp_path):
    folder = _copy_migrations(tmp_path)
    (folder / "900_later.sql").write_text("CREATE TABLE later (id int);")
    upgrade(empty_database_url)

    states = migration_states(empty_database_url, discover_migrations(folder))

    assert [s.migration.label for s in states if s.applied_at is None] == ["900_later"]


@pytest.mark.parametrize("name", ["1_short.sql", "002-dashes.sql", "003_CamelCase.sql"])
def test_a_misnamed_migration_file_is_an_error(tmp_path, name):
    (tmp_path / name).write_text("SELECT 1;")

    with pytest.raises(MigrationError, match="NNN_snake_case"):
        discover_migrations(tmp_path)


def test_two_migrations_with_one_version_are_an_error(tmp_path):
    (tmp_path / "001_a.sql").write_text("SELECT 1;")
    (tmp_path / "001_b.sql").write_text("SELECT 1;")

    with pytest.raises(MigrationError, match="version 1"):
        discover_migrations(tmp_path)
