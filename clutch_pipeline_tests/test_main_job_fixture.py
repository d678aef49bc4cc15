"""The shared main-job database: what the read API's and the pages' tests stand on."""

import psycopg


def test_the_main_job_database_holds_scored_games_and_synced_wearables(main_job_database):
    with psycopg.connect(main_job_database) as conn:
        scores = conn.execute("SELECT count(*) FROM clutch_game_scores").fetchone()[0]
        readings = conn.execute("SELECT count(*) FROM wearables_daily_summary").fetchone()[0]
    assert scores > 0
    assert readings > 0
