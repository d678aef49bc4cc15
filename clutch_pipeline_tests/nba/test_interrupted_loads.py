"""Clutch rows follow from the raw tables whatever was interrupted: the next load ends with exactly the
tables of a clean load (counts and checksums of every table's content by natural key)."""

import signal
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from clutch_pipeline.db.migrations import upgrade
from clutch_pipeline.nba import store
from clutch_pipeline.nba.archive import SAMPLE_ARCHIVE, PlayByPlayArchive
from clutch_pipeline.nba.load import load_games
from clutch_pipeline.nba.season_model import model_version, season_shot_model

from .killed_load import connection, load_sample

REPOSITORY = Path(__file__).resolve().parents[2]
SAMPLE_IDS = PlayByPlayArchive(SAMPLE_ARCHIVE).game_ids()


def _checksums(url: str) -> dict[str, tuple[int, str]]:
    with psycopg.connect(url) as conn:
        return store.content_checksums(conn)


@pytest.fixture
def clean_url(empty_database_url) -> str:
    """Another database, where the same games are loaded in one clean load."""
    upgrade(empty_database_url)
    return empty_database_url


def test_a_load_killed_between_its_raw_and_clutch_writes_is_finished_by_the_next_load(
    database_url, clean_url
):
    killed = subprocess.run(
        [sys.executable, "-m", "clutch_pipeline_tests.nba.killed_load", database_url],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    after_kill = _checksums(database_url)
    assert after_kill["nba_game_loads"][0] == 39 and after_kill["clutch_situations"][0] == 0

    resumed = load_sample(database_url)
    load_sample(clean_url)

    assert sorted(resumed.unchanged) == sorted(resumed.rederived) == sorted(SAMPLE_IDS)
    assert resumed.situations > 0
    assert _checksums(database_url) == _checksums(clean_url)


def test_a_run_that_wrote_raw_actions_alone_is_derived_by_the_next_load(database_url, clean_url):
    load_sample(database_url, derive=False)

    # On worker processes: the re-derivation from raw takes the parallel path a backfill takes.
    again = load_sample(database_url, parallel=True)
    load_sample(clean_url)

    assert again.loaded == [] and len(again.rederived) == 39
    assert _checksums(database_url) == _checksums(clean_url)


def test_clutch_rows_scored_with_an_older_shot_model_are_scored_again(database_url, clean_url):
    load_sample(database_url, SAMPLE_IDS[:3])
    later = load_sample(database_url, SAMPLE_IDS[3:6])
    load_sample(clean_url, SAMPLE_IDS[:6])

    assert later.shot_models == {"2022-23": "fitted on 6 games"}
    assert later.rederived == SAMPLE_IDS[:3]
    assert _checksums(database_url) == _checksums(clean_url)


def test_a_load_of_no_games_repairs_the_seasons_it_is_given(database_url, clean_url):
    # What an API backfill run does when every game is already over and loaded: it reads none again.
    load_sample(database_url, derive=False)

    repaired = load_games(connection(database_url), [], seasons={"2022-23"})

    load_sample(clean_url)
    assert len(repaired.rederived) == 39
    assert _checksums(database_url) == _checksums(clean_url)


def test_each_game_records_the_raw_load_and_shot_model_its_clutch_rows_come_from(conn, database_url):
    load_sample(database_url)

    with psycopg.connect(database_url) as fresh:
        model, _ = season_shot_model(fresh, "2022-23")
    rows = conn.execute(
        """SELECT d.nba_game_id, d.shot_model, d.content_sha256 = l.content_sha256,
                  d.raw_loaded_at = l.loaded_at
           FROM nba_clutch_derivations d JOIN nba_game_loads l USING (nba_game_id) ORDER BY 1"""
    ).fetchall()
    assert rows == [(game_id, model_version(model), True, True) for game_id in SAMPLE_IDS]


def test_a_game_loaded_again_with_new_content_gets_a_new_stamp_and_no_other_game_is_rederived(
    conn, database_url
):
    load_sample(database_url)
    before = dict(conn.execute("SELECT nba_game_id, raw_loaded_at FROM nba_clutch_derivations").fetchall())

    again = load_sample(database_url, ["0022200001"], force=True)

    after = dict(conn.execute("SELECT nba_game_id, raw_loaded_at FROM nba_clutch_derivations").fetchall())
    assert again.loaded == ["0022200001"] and again.rederived == []
    assert {g for g in after if after[g] != before[g]} == {"0022200001"}
