"""Data-quality checks on the schema asset."""

import dagster as dg

from clutch_pipeline.db.assets import database_schema
from clutch_pipeline.db.migrations import MigrationError, migration_states
from clutch_pipeline.db.resources import PostgresResource


@dg.asset_check(
    asset=database_schema,
    blocking=True,
    description=(
        "Every migration in sql/ is applied, none was edited after it was applied, and the database "
        "holds none this code does not know. Blocking: nothing downstream runs on a stale schema."
    ),
)
def schema_matches_migrations(postgres: PostgresResource) -> dg.AssetCheckResult:
    try:
        states = migration_states(postgres.url())
    except MigrationError as exc:
        return dg.AssetCheckResult(passed=False, description=str(exc))
    pending = [s.migration.label for s in states if s.applied_at is None]
    return dg.AssetCheckResult(
        passed=not pending,
        description="all migrations applied" if not pending else f"pending: {', '.join(pending)}",
        metadata={"pending": dg.MetadataValue.json(pending), "applied": len(states) - len(pending)},
    )
