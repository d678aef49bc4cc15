"""Numbered SQL migrations from ``sql/``, applied in order, each in its own transaction.

The runner records what it applied (version, name, checksum) in ``schema_migrations`` and holds an
advisory lock while it works, so running it twice, or from two processes at once, applies each file
exactly once. A file that changed after it was applied is an error: migrations are append-only.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from clutch_pipeline.db.connection import connect
from clutch_pipeline.db.locks import LockScope, advisory_lock
from clutch_pipeline.project import project_file

_FILE_NAME = re.compile(r"^(\d{3})_([a-z0-9_]+)\.sql$")

_CREATE_LEDGER = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version     INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    checksum    TEXT NOT NULL,
    applied_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    duration_ms INTEGER NOT NULL
)
"""


class MigrationError(RuntimeError):
    pass


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    path: Path
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()

    @property
    def label(self) -> str:
        return f"{self.version:03d}_{self.name}"


@dataclass
class UpgradeResult:
    applied: list[Migration] = field(default_factory=list)
    already_applied: int = 0
    seconds: float = 0.0


@dataclass(frozen=True)
class MigrationState:
    migration: Migration
    applied_at: datetime | None


def migrations_dir() -> Path:
    return project_file("sql")


def discover_migrations(folder: Path | None = None) -> list[Migration]:
    """The migration files in version order; a misnamed ``.sql`` file or a repeated version is an error."""
    folder = folder or migrations_dir()
    found: dict[int, Migration] = {}
    for path in sorted(folder.glob("*.sql")):
        match = _FILE_NAME.match(path.name)
        if not match:
            raise MigrationError(f"{path.name}: migration files are named NNN_snake_case.sql")
        version = int(match.group(1))
        if version in found:
            raise MigrationError(f"{path.name}: version {version} is also {found[version].path.name}")
        found[version] = Migration(version, match.group(2), path, path.read_text())
    return [found[v] for v in sorted(found)]


def _recorded(conn) -> dict[int, str]:
    return dict(conn.execute("SELECT version, checksum FROM schema_migrations").fetchall())


def _check_history(recorded: dict[int, str], migrations: Sequence[Migration]) -> None:
    on_disk = {m.version: m for m in migrations}
    unknown = sorted(set(recorded) - set(on_disk))
    if unknown:
        raise MigrationError(
            f"the database has migrations {unknown} that this code does not know: it is newer than the code"
        )
    changed = [on_disk[v].label for v, checksum in recorded.items() if on_disk[v].checksum != checksum]
    if changed:
        raise MigrationError(
            f"applied migrations were edited afterwards: {changed}; add a new migration instead"
        )


def upgrade(url: str, migrations: Sequence[Migration] | None = None) -> UpgradeResult:
    """Apply every pending migration to the database at ``url``; a no-op when none is pending."""
    migrations = list(migrations if migrations is not None else discover_migrations())
    result = UpgradeResult()
    started = time.perf_counter()
    with connect(url, autocommit=True) as conn, advisory_lock(conn, LockScope.SCHEMA, "migrations"):
        conn.execute(_CREATE_LEDGER)
        recorded = _recorded(conn)
        _check_history(recorded, migrations)
        result.already_applied = len(recorded)
        for migration in migrations:
            if migration.version in recorded:
                continue
            step_started = time.perf_counter()
            try:
                with conn.transaction():
                    conn.execute(migration.sql)
                    conn.execute(
                        "INSERT INTO schema_migrations (version, name, checksum, duration_ms)"
                        " VALUES (%s, %s, %s, %s)",
                        (
                            migration.version,
                            migration.name,
                            migration.checksum,
                            round((time.perf_counter() - step_started) * 1000),
                        ),
                    )
            except Exception as exc:
                raise MigrationError(f"{migration.path.name} failed and was rolled back: {exc}") from exc
            result.applied.append(migration)
    result.seconds = time.perf_counter() - started
    return result


def migration_states(url: str, migrations: Sequence[Migration] | None = None) -> list[MigrationState]:
    """Each migration on disk with when it was applied (None: pending). Checks the recorded history."""
    migrations = list(migrations if migrations is not None else discover_migrations())
    with connect(url) as conn:
        exists = conn.execute("SELECT to_regclass('schema_migrations') IS NOT NULL").fetchone()[0]
        rows = (
            conn.execute("SELECT version, checksum, applied_at FROM schema_migrations").fetchall()
            if exists
            else []
        )
    _check_history({version: checksum for version, checksum, _ in rows}, migrations)
    applied_at = {version: at for version, _, at in rows}
    return [MigrationState(m, applied_at.get(m.version)) for m in migrations]
