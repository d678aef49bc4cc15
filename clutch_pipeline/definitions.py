"""The one Definitions: every stage's assets, checks, schedules and sensors, and the shared resources.

Stages and their asset groups:
- ``platform``: ``database_schema`` (migrations), checked by ``schema_matches_migrations``.
- ``nba``: ``nba_play_by_play`` (raw actions; check ``every_game_loaded``), partitioned by game (dynamic
  partitions ``nba_games``); ``clutch_situations``, ``clutch_player_actions`` (check
  ``official_clutch_totals``), unpartitioned, updated in the same run.
- ``whoop``: ``whoop_cycles``, ``whoop_recoveries``, ``whoop_sleeps``, ``whoop_workouts`` (one subsettable
  multi-asset; raw records and readings), partitioned by UTC day (``whoop_days``).

- ``alignment``: ``wearables_daily_summary`` by the athlete's local date (``athlete_local_days``); one
  multi-asset ``clutch_alignment`` (``pregame_context``, ``clutch_action_wearables``,
  ``clutch_performance_scores``, ``clutch_game_scores``) and ``ml_features``, by NBA season
  (``nba_seasons``). Checks: ``pregame_measured_before_tipoff`` (blocking), ``clutch_scores_consistent``,
  ``wearables_context_coverage``, ``daily_summaries_fresh``.

- ``model``: ``clutch_model`` (unpartitioned: every fit recorded in ``model_runs``; blocking checks
  ``max_rhat``, ``min_bulk_ess``, ``divergences``, ``exact_posterior_agreement_mcse``; the trace
  published to the model store only when they pass) and ``clutch_predictions``.

- ``kpis``: ``kpi_daily`` (the seed's success metrics for the last days, config ``days``), with one
  non-blocking check per KPI (``<kpi>_on_target``).

Schedules and sensors, with their default status:
- ``alert_on_run_failure`` (sensor, RUNNING): logs every failed run, posts to CLUTCH_ALERT_WEBHOOK_URL.
- ``wearables_alerts`` (sensor, RUNNING): every five minutes, one message per open problem (a device
  needing re-authorization, in error or silent; stale summaries or live games; a KPI below target; the
  WHOOP budget on course to run out) until it changes or clears (docs/alerts.md).
- ``fail_dead_cli_runs`` (sensor, RUNNING): every minute, fails the runs the CLI launched on this host
  whose process is gone, and frees their pool slots.
- ``whoop_hourly_sync`` (schedule, STOPPED: it calls api.prod.whoop.com): one incremental run an hour
  for every consented device that is due.
- ``kpis_hourly`` (schedule, RUNNING): at :20 every hour, the KPIs of the last 7 days and their checks.
- ``wearables_retention_daily`` (schedule, RUNNING): deletes wearables rows older than their device's
  retention, and the values derived from them.
- ``whoop_sync_planner`` (sensor, STOPPED: it calls api.prod.whoop.com): every minute, the request
  planner spends the WHOOP budget (webhook fetches, pre-tip-off cycles, reconciliation) in one run.
- ``nba_live_games`` (sensor, STOPPED: it calls cdn.nba.com): every five minutes, runs for live games.
- ``wearables_summary_refresh`` (sensor, RUNNING): every two minutes, refreshes the daily summaries of
  exactly the athletes' days whose WHOOP records changed.
- ``alignment_refresh`` (sensor, RUNNING): every two minutes, realigns and rescores the games of a
  season that were reloaded or whose players' wearables days changed.
"""

from __future__ import annotations

import dagster as dg

from clutch_pipeline.alerts.sensors import ALERT_SENSORS
from clutch_pipeline.alignment.assets import clutch_alignment, ml_features, wearables_daily_summary
from clutch_pipeline.alignment.checks import ALIGNMENT_CHECKS
from clutch_pipeline.alignment.sensors import ALIGNMENT_SENSORS
from clutch_pipeline.db.assets import database_schema
from clutch_pipeline.db.checks import schema_matches_migrations
from clutch_pipeline.db.resources import PostgresResource
from clutch_pipeline.db.schedules import apply_wearables_retention, wearables_retention_daily
from clutch_pipeline.jobs import JOBS
from clutch_pipeline.kpis.assets import KPI_ASSETS
from clutch_pipeline.kpis.checks import KPI_CHECKS
from clutch_pipeline.kpis.schedules import kpis_hourly, measure_kpis
from clutch_pipeline.model.assets import clutch_model, clutch_predictions
from clutch_pipeline.model.resources import ModelStoreResource
from clutch_pipeline.nba.assets import nba_games_load
from clutch_pipeline.nba.checks import official_clutch_totals
from clutch_pipeline.nba.resources import NbaResource
from clutch_pipeline.nba.sensors import nba_live_games
from clutch_pipeline.operations import fail_dead_cli_runs
from clutch_pipeline.settings import Settings, load_settings
from clutch_pipeline.whoop.assets import whoop_sync
from clutch_pipeline.whoop.resources import WhoopResource
from clutch_pipeline.whoop.schedules import whoop_hourly_sync
from clutch_pipeline.whoop.sensors import whoop_sync_planner


def build_resources(settings: Settings) -> dict[str, dg.ConfigurableResource]:
    """Each external system's resource, configured from the settings read once here.

    Values shown in the UI's Resources tab are the ones in effect. Secrets (WHOOP's client secret, the
    token keys) are not copied into resource config, where the UI would show them: the WHOOP resource
    reads them from the settings when it opens a session. The main job and tests hand their own
    resources to the runs they launch (``runs.Launch.resources``).
    """
    return {
        "postgres": PostgresResource(),
        "nba": NbaResource(
            stats_base_url=settings.nba_stats_base_url, cdn_base_url=settings.nba_cdn_base_url
        ),
        "whoop": WhoopResource(
            base_url=settings.whoop_base_url,
            client_id=settings.whoop_client_id,
            requests_per_minute=settings.whoop_requests_per_minute,
            requests_per_day=settings.whoop_requests_per_day,
            first_sync_days=settings.whoop_first_sync_days,
        ),
        "model_store": ModelStoreResource(
            location=settings.model_store, endpoint_url=settings.s3_endpoint_url, region=settings.s3_region
        ),
    }


defs = dg.Definitions(
    assets=[
        database_schema,
        nba_games_load,
        whoop_sync,
        wearables_daily_summary,
        clutch_alignment,
        ml_features,
        clutch_model,
        clutch_predictions,
        *KPI_ASSETS,
    ],
    asset_checks=[schema_matches_migrations, official_clutch_totals, *ALIGNMENT_CHECKS, *KPI_CHECKS],
    jobs=[*JOBS, apply_wearables_retention, measure_kpis],
    schedules=[whoop_hourly_sync, wearables_retention_daily, kpis_hourly],
    sensors=[
        *ALERT_SENSORS,
        fail_dead_cli_runs,
        nba_live_games,
        whoop_sync_planner,
        *ALIGNMENT_SENSORS,
    ],
    resources=build_resources(load_settings()),
)
