"""One asset check per KPI on ``kpi_daily``: non-blocking (WARN), failed when the latest measured day
misses its target, passed and saying "not measured" when no day was measured. A KPI off target is a
fact to act on, not a reason to stop the data flowing."""

import dagster as dg

from clutch_pipeline.db.resources import PostgresResource
from clutch_pipeline.kpis import store
from clutch_pipeline.kpis.assets import KPI_ASSET
from clutch_pipeline.kpis.measure import KPIS, TARGETS, check_summary


def _check(kpi: str) -> dg.AssetChecksDefinition:
    target, direction = TARGETS[kpi]

    @dg.asset_check(
        asset=KPI_ASSET,
        name=f"{kpi}_on_target",
        description=f"{kpi} of the latest measured day is {direction.replace('_', ' ')} {target:g} "
        "(the seed's target). Warns only; passes with 'not measured' when no day has a figure.",
    )
    def _kpi_check(postgres: PostgresResource) -> dg.AssetCheckResult:
        with postgres.connection() as conn:
            figure = store.latest_figure(conn, kpi)
        passed, description = check_summary(figure)
        metadata = {"target": dg.MetadataValue.float(target), "direction": direction}
        if figure is not None and figure.value is not None:
            metadata |= {"value": dg.MetadataValue.float(figure.value), "day": str(figure.day)}
        return dg.AssetCheckResult(
            passed=passed, severity=dg.AssetCheckSeverity.WARN, description=description, metadata=metadata
        )

    return _kpi_check


KPI_CHECKS = [_check(kpi) for kpi in KPIS]
