"""The clutch score on the real 2022-23 season: its fixed constants centre the season's scores on 50.

Loads the archive in ../shared/data/nba_2022_23 as the NBA backfill does (about 25 s on two cores, no
Dagster), scores every game with score_games, and reads the scores back."""

from __future__ import annotations

import psycopg
import pytest

from clutch_pipeline.alignment.store.scores import score_games, update_percentiles
from clutch_pipeline_tests.alignment.score_rows import SEASON_ARCHIVE, load_season


@pytest.fixture
def season_url(database_url: str) -> str:
    if not SEASON_ARCHIVE.exists():
        pytest.skip(f"the 2022-23 archive is not at {SEASON_ARCHIVE} (../shared beside the repository)")
    report = load_season(database_url)
    assert len(report.loaded) == 1229 and not report.failed
    return database_url


def test_the_2022_23_scores_average_50_with_a_t_like_spread(season_url):
    with psycopg.connect(season_url) as conn:
        games = [r[0] for r in conn.execute("SELECT game_id FROM games WHERE season = '2022-23'")]
        counts = score_games(conn, games)
        update_percentiles(conn, "2022-23")
        stats = {
            table: conn.execute(
                "SELECT avg(clutch_score)::float8, stddev_pop(clutch_score)::float8,"
                f" max(clutch_score)::float8, avg(clutch_percentile)::float8 FROM {table}"
            ).fetchone()
            for table in ("clutch_game_scores", "clutch_performance_scores")
        }
    assert (counts.game_scores, counts.situation_scores) == (5414, 7403)
    for mean, sd, best, percentile in stats.values():
        assert mean == pytest.approx(50, abs=0.5)
        assert 8 < sd < 11  # T-like: 10 points per standard deviation near the centre
        assert best < 95
        assert 45 < percentile < 60
