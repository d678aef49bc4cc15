"""The KPIs measured all the time: the ``kpi_daily`` asset every hour, on its own job."""

import dagster as dg

from clutch_pipeline.kpis.assets import KPI_ASSET

measure_kpis = dg.define_asset_job(
    "measure_kpis",
    selection=dg.AssetSelection.assets(KPI_ASSET),
    description="Recompute the seed's KPIs of the last days into kpi_daily; check each against its target.",
)

kpis_hourly = dg.ScheduleDefinition(
    name="kpis_hourly",
    job=measure_kpis,
    cron_schedule="20 * * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="At :20 every hour: the KPIs of the last 7 days (kpi_daily) and their checks; a KPI below "
    "its target fails its check and the wearables_alerts sensor sends one message about it.",
)
