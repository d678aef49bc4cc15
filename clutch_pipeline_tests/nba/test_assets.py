"""The NBA multi-asset on a real Dagster instance and database: ranges in one run, failures, subsets."""

import io
import tarfile

import dagster as dg
import pytest

from clutch_pipeline.db.resources import PostgresResource
from clutch_pipeline.nba.archive import SAMPLE_ARCHIVE
from clutch_pipeline.nba.assets import PLAYER_ACTIONS, RAW, SITUATIONS, nba_games_load
from clutch_pipeline.nba.backfill import plan_backfill
from clutch_pipeline.nba.partitions import NBA_GAMES_LOAD_OP, nba_games
from clutch_pipeline.nba.resources import NbaResource

SAMPLE_GAMES = ["0022200003", "0022200004", "0022200008"]


@pytest.fixture
def instance():
    with dg.DagsterInstance.ephemeral() as ephemeral:
        yield ephemeral


def _run(
    instance,
    database_url,
    keys,
    *,
    archive=SAMPLE_ARCHIVE,
    selection=None,
    nba=None,
    raise_on_error=True,
    run_config=None,
):
    instance.add_dynamic_partitions(nba_games.name, keys)
    tags = (
        {"dagster/partition": keys[0]}
        if len(keys) == 1
        else {"dagster/asset_partition_range_start": keys[0], "dagster/asset_partition_range_end": keys[-1]}
    )
    config = {"archive_path": str(archive)} if archive else {}
    return dg.materialize(
        [nba_games_load],
        instance=instance,
        selection=selection,
        resources={"postgres": PostgresResource(database_url=database_url), "nba": nba or NbaResource()},
        run_config=run_config or {"ops": {NBA_GAMES_LOAD_OP: {"config": config}}},
        tags=tags,
        raise_on_error=raise_on_error,
    )


def _metadata(result, key):
    events = [e for e in result.get_asset_materialization_events() if e.asset_key == key]
    return {k: v.value for k, v in events[0].step_materialization_data.materialization.metadata.items()}


def _check(result):
    (evaluation,) = result.get_asset_check_evaluations()
    return evaluation


def test_a_range_of_games_loads_in_one_run(instance, database_url, conn):
    result = _run(instance, database_url, SAMPLE_GAMES)

    assert result.success
    assert _metadata(result, RAW)["games_loaded"] == 3
    assert _check(result).passed
    materialized = [(e.asset_key, e.partition) for e in result.get_asset_materialization_events()]
    # Raw play-by-play per game; the clutch tables once for the run (they are not partitioned).
    assert sorted(materialized, key=str) == sorted(
        [(RAW, g) for g in SAMPLE_GAMES] + [(SITUATIONS, None), (PLAYER_ACTIONS, None)], key=str
    )
    assert conn.execute("SELECT count(DISTINCT nba_game_id) FROM nba_raw_actions").fetchone()[0] == 3


def _archive_with_a_truncated_game(tmp_path) -> str:
    files = {}
    with tarfile.open(SAMPLE_ARCHIVE) as good:
        for member in good:
            name = member.name.rsplit("/", 1)[-1]
            if name in ("MANIFEST.csv", "S2223-G0003.json", "S2223-G0004.json"):
                files[name] = good.extractfile(member).read()
    files["S2223-G0004.json"] = files["S2223-G0004.json"][:5000]
    path = tmp_path / "broken.tar.xz"
    with tarfile.open(path, "w:xz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return str(path)


def test_a_bad_game_in_a_range_fails_the_check_naming_it_and_the_others_load(
    instance, database_url, conn, tmp_path
):
    archive = _archive_with_a_truncated_game(tmp_path)

    result = _run(instance, database_url, ["0022200003", "0022200004"], archive=archive)

    assert result.success
    check = _check(result)
    assert not check.passed
    assert "0022200004" in check.description
    statuses = dict(conn.execute("SELECT nba_game_id, status FROM nba_game_loads").fetchall())
    assert statuses == {"0022200003": "loaded", "0022200004": "failed"}


def test_a_run_for_one_bad_game_fails(instance, database_url, tmp_path):
    archive = _archive_with_a_truncated_game(tmp_path)

    result = _run(instance, database_url, ["0022200004"], archive=archive, raise_on_error=False)

    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert "not valid JSON" in failure.step_failure_data.user_failure_data.description


def test_clutch_tables_alone_are_rebuilt_from_raw_without_a_source(instance, database_url, conn):
    _run(instance, database_url, SAMPLE_GAMES)
    before = conn.execute("SELECT count(*) FROM clutch_player_actions").fetchone()[0]
    conn.execute("DELETE FROM clutch_situations")

    result = _run(instance, database_url, SAMPLE_GAMES, archive=None, selection=[SITUATIONS, PLAYER_ACTIONS])

    assert result.success
    assert {e.asset_key for e in result.get_asset_materialization_events()} == {SITUATIONS, PLAYER_ACTIONS}
    assert conn.execute("SELECT count(*) FROM clutch_player_actions").fetchone()[0] == before > 0


def test_clutch_tables_alone_without_partitions_rebuild_every_loaded_game(instance, database_url, conn):
    _run(instance, database_url, SAMPLE_GAMES)
    before = conn.execute("SELECT count(*) FROM clutch_player_actions").fetchone()[0]
    conn.execute("DELETE FROM clutch_situations")

    result = dg.materialize(
        [nba_games_load],
        instance=instance,
        selection=[SITUATIONS, PLAYER_ACTIONS],
        resources={"postgres": PostgresResource(database_url=database_url), "nba": NbaResource()},
    )

    assert result.success
    assert _metadata(result, SITUATIONS)["games_loaded"] == 3
    assert conn.execute("SELECT count(*) FROM clutch_player_actions").fetchone()[0] == before > 0


def test_a_game_not_in_the_archive_is_read_from_the_cdn(instance, database_url, conn, fake_nba):
    nba = NbaResource(stats_base_url=fake_nba.stats_base_url, cdn_base_url=fake_nba.cdn_base_url)

    result = _run(instance, database_url, ["0022000001"], nba=nba)

    assert result.success
    source, count = conn.execute("SELECT source, count(*) FROM nba_raw_actions GROUP BY source").fetchone()
    assert (source, count) == ("cdn", 610)
    assert fake_nba.count("playbyplay_0022000001") == 1


def test_a_known_game_the_cdn_does_not_serve_is_read_from_stats_v3(instance, database_url, conn, fake_nba):
    # The schedule registers games (with their date) before their play-by-play is read.
    home, away = (
        conn.execute("INSERT INTO teams (nba_team_id) VALUES (%s) RETURNING team_id", (t,)).fetchone()[0]
        for t in (1610612739, 1610612741)
    )
    conn.execute(
        "INSERT INTO games (nba_game_id, home_team_id, away_team_id, game_date)"
        " VALUES (%s, %s, %s, '2023-01-02')",
        ("0022200552", home, away),
    )
    nba = NbaResource(stats_base_url=fake_nba.stats_base_url, cdn_base_url=fake_nba.cdn_base_url)

    result = _run(instance, database_url, ["0022200552"], archive=None, nba=nba)

    assert result.success
    assert conn.execute("SELECT DISTINCT source FROM nba_raw_actions").fetchall() == [("v3",)]
    windows = conn.execute(
        "SELECT count(*), bool_or(situation_type = 'overtime') FROM clutch_situations"
    ).fetchone()
    assert windows[0] > 0 and windows[1]


def test_a_game_no_source_can_give_fails_with_the_reason(instance, database_url, fake_nba):
    nba = NbaResource(stats_base_url=fake_nba.stats_base_url, cdn_base_url=fake_nba.cdn_base_url)

    result = _run(instance, database_url, ["0022200999"], archive=None, nba=nba, raise_on_error=False)

    assert not result.success
    (failure,) = [e.step_failure_data for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    reason = failure.user_failure_data
    assert reason.description.startswith("game 0022200999: ") and "HTTP 404" in reason.description
    assert reason.metadata["game"].value == "0022200999"


def test_an_api_backfill_stops_cleanly_when_the_nba_stops_answering(instance, database_url, conn, fake_nba):
    fake_nba.fail(503)  # every request, for good: a lock-out
    nba = NbaResource(
        stats_base_url=fake_nba.stats_base_url,
        cdn_base_url=fake_nba.cdn_base_url,
        retry_attempts=2,
        retry_base_seconds=0.01,
    )
    keys = [f"00222005{n:02d}" for n in range(50, 56)]

    result = _run(instance, database_url, keys, archive=None, nba=nba)

    assert not _check(result).passed
    errors = dict(conn.execute("SELECT nba_game_id, error FROM nba_game_loads").fetchall())
    assert len(errors) == 6
    assert sum("not attempted" in e for e in errors.values()) == 3


def test_an_api_backfill_does_not_fetch_finished_games_again(instance, database_url, fake_nba):
    nba = NbaResource(stats_base_url=fake_nba.stats_base_url, cdn_base_url=fake_nba.cdn_base_url)
    _run(instance, database_url, ["0022000001"], archive=None, nba=nba)

    again = _run(instance, database_url, ["0022000001"], archive=None, nba=nba)

    assert fake_nba.count("playbyplay_0022000001") == 1
    events = [e for e in again.get_asset_materialization_events() if e.asset_key == RAW]
    metadata = events[0].step_materialization_data.materialization.metadata
    assert metadata["games_unchanged"].value == 1


def test_a_backfill_plan_from_an_archive_runs_as_planned(instance, database_url, conn):
    plan = plan_backfill("2022-23", SAMPLE_ARCHIVE, conn=conn, sources=NbaResource().sources)

    result = _run(instance, database_url, plan.games, run_config=plan.run_config)

    assert result.success and _check(result).passed
    assert _metadata(result, RAW)["games_loaded"] == len(plan.games) == 39


def test_a_run_after_one_of_the_raw_asset_alone_derives_the_clutch_rows_it_left_out(instance, database_url):
    _run(instance, database_url, SAMPLE_GAMES, selection=[RAW])

    result = _run(instance, database_url, SAMPLE_GAMES)

    assert _metadata(result, RAW)["games_unchanged"] == 3
    assert _metadata(result, SITUATIONS)["games_rederived"] == 3
    assert _metadata(result, PLAYER_ACTIONS)["rows_written"] > 0
