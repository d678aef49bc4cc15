"""The kpi_daily asset materialized on a real database, its checks, and `clutch kpis`."""

from datetime import UTC, datetime

import dagster as dg
import pytest
from click.testing import CliRunner

from clutch_pipeline.cli.kpis import kpis
from clutch_pipeline.db.resources import PostgresResource
from clutch_pipeline.kpis.assets import KPI_ASSETS
from clutch_pipeline.kpis.checks import KPI_CHECKS
from clutch_pipeline.kpis.measure import KPIS
from clutch_pipeline_tests.kpis import rows
from clutch_pipeline_tests.kpis.rows import at


@pytest.fixture
def postgres(database_url) -> PostgresResource:
    return PostgresResource(database_url=database_url)


def _check(kpi: str):
    return next(
        c for c in KPI_CHECKS if c.check_specs and next(iter(c.check_specs)).name == f"{kpi}_on_target"
    )


def test_kpi_daily_materializes_the_last_days_with_figures_and_plots(conn, postgres):
    rows.model_run(conn, "v1", published_at=at("2024-02-01 12:00"), figures=rows.holdout(7.5, 0.72))
    result = dg.materialize(
        KPI_ASSETS,
        resources={"postgres": postgres},
        run_config={"ops": {"kpi_daily": {"config": {"days": 3}}}},
    )
    assert result.success
    metadata = result.asset_materializations_for_node("kpi_daily")[0].metadata
    assert metadata["rows"].value == 3 * len(KPIS)
    assert metadata["latest_model_rmse"].value == 7.5
    assert metadata["latest_page_load_seconds"].value == "not measured"
    assert metadata["plot_model"].value.startswith("![")
    today = datetime.now(UTC).date()
    stored = conn.execute("SELECT count(*), max(day) FROM kpi_daily").fetchone()
    assert stored == (3 * len(KPIS), today)


def test_there_is_one_non_blocking_check_per_kpi():
    specs = [spec for check in KPI_CHECKS for spec in check.check_specs]
    assert sorted(spec.name for spec in specs) == sorted(f"{kpi}_on_target" for kpi in KPIS)
    assert not any(spec.blocking for spec in specs)


def test_a_kpi_below_target_fails_its_check_with_the_figure_and_the_target(conn, postgres):
    conn.execute(
        "INSERT INTO kpi_daily (day, kpi, value, target, direction, meets_target, sample_size)"
        " VALUES ('2024-03-01', 'wearables_uptime', 0.9, 0.95, 'at_least', FALSE, 20),"
        "        ('2024-03-02', 'wearables_uptime', NULL, 0.95, 'at_least', NULL, 20)"
    )
    result = _check("wearables_uptime")(postgres=postgres)
    assert not result.passed
    assert result.severity == dg.AssetCheckSeverity.WARN
    assert "0.9 on 2024-03-01" in result.description and "at least 0.95" in result.description


def test_a_kpi_not_measured_passes_its_check_saying_so(conn, postgres):
    conn.execute(
        "INSERT INTO kpi_daily (day, kpi, value, target, direction, meets_target, detail) VALUES"
        " ('2024-03-01', 'page_load_seconds', NULL, 2, 'at_most', NULL, %s)",
        ('{"reason": "no player page yet"}',),
    )
    result = _check("page_load_seconds")(postgres=postgres)
    assert result.passed
    assert result.description == "not measured on 2024-03-01: no player page yet"
    assert _check("model_rmse")(postgres=postgres).description == "not measured: no row in kpi_daily"


def test_clutch_kpis_computes_and_prints_the_last_days(database_url, conn, monkeypatch):
    monkeypatch.setenv("CLUTCH_DATABASE_URL", database_url)
    rows.model_run(conn, "v1", published_at=at("2024-02-01 12:00"), figures=rows.holdout(7.5, 0.72))
    result = CliRunner().invoke(kpis, ["--days", "2"])
    assert result.exit_code == 0, result.output
    assert result.output.count("page_load_seconds") == 2
    assert "no player page served that day" in result.output and "not measured" in result.output
    assert "v1; baseline rmse 10, poe sign 0.55; previous none" in result.output
    assert conn.execute("SELECT count(DISTINCT day) FROM kpi_daily").fetchone()[0] == 2
