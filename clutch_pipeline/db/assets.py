"""The database schema as an asset: materializing it applies pending migrations."""

import dagster as dg

from clutch_pipeline.db.migrations import discover_migrations, upgrade
from clutch_pipeline.db.resources import PostgresResource
from clutch_pipeline.db.store import table_names


@dg.asset(
    group_name="platform",
    kinds={"postgres"},
    owners=["team:data-platform"],
    metadata={"dagster/table_name": "schema_migrations", "docs": "docs/operations.md"},
    description=(
        "The application schema in PostgreSQL. Materializing applies the numbered migrations in sql/ "
        "that the database has not seen yet (each in its own transaction, under an advisory lock); "
        "every other asset depends on it."
    ),
)
def database_schema(context: dg.AssetExecutionContext, postgres: PostgresResource) -> dg.MaterializeResult:
    migrations = discover_migrations()
    result = upgrade(postgres.url(), migrations)
    with postgres.connection() as conn:
        tables = table_names(conn)
    applied = [m.label for m in result.applied]
    context.log.info(f"applied {len(applied)} migration(s): {applied or 'none pending'}")
    return dg.MaterializeResult(
        metadata={
            "migrations_applied_now": dg.MetadataValue.json(applied),
            "schema_version": migrations[-1].label if migrations else "none",
            "migrations_total": len(migrations),
            "tables": len(tables),
            "table_names": dg.MetadataValue.json(tables),
            "seconds": dg.MetadataValue.float(round(result.seconds, 3)),
            "database": postgres.display_url(),
        }
    )
