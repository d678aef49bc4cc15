"""Loading games into PostgreSQL: raw kept, reference rows upserted, clutch rows derived, idempotent."""

import copy
import dataclasses
from contextlib import contextmanager

import psycopg
import pytest

from clutch_pipeline.db.migrations import upgrade
from clutch_pipeline.nba.archive import SAMPLE_ARCHIVE, PlayByPlayArchive
from clutch_pipeline.nba.load import GameInput, derive_clutch, load_games
from clutch_pipeline.nba.season_model import season_shot_model

from .test_parse import _sample


def _connection(url):
    @contextmanager
    def connect():
        with psycopg.connect(url) as conn:
            yield conn

    return connect


def _inputs(game_ids=None):
    archive = PlayByPlayArchive(SAMPLE_ARCHIVE)
    for item in archive.read(game_ids or archive.game_ids()):
        yield GameInput(
            game_id=item.entry.game_id,
            origin=item.entry.file,
            payload=item.payload,
            game_date=item.entry.game_date,
            error=item.error,
            content_sha256=item.content_sha256,
        )


def _count(conn, table: str, where: str = "") -> int:
    query = psycopg.sql.SQL("SELECT count(*) FROM {} " + where).format(psycopg.sql.Identifier(table))
    return conn.execute(query).fetchone()[0]


def _snapshot(conn) -> dict:
    tables = (
        "teams",
        "players",
        "games",
        "nba_raw_actions",
        "nba_game_players",
        "clutch_situations",
        "clutch_player_actions",
    )
    return {t: _count(conn, t) for t in tables}


def _game_players(conn) -> set[tuple[str, int, int]]:
    """(game, player, team) of nba_game_players, by NBA ids."""
    rows = conn.execute(
        """SELECT g.nba_game_id, p.nba_person_id, t.nba_team_id FROM nba_game_players gp
           JOIN games g USING (game_id) JOIN players p USING (player_id) JOIN teams t USING (team_id)"""
    ).fetchall()
    return set(rows)


@pytest.fixture(scope="module")
def sample_games():
    return list(_inputs(["0022200003", "0022200009", "0022200010"]))


def test_loading_games_keeps_raw_actions_and_derives_clutch_rows(conn, database_url, sample_games):
    report = load_games(_connection(database_url), sample_games)

    assert sorted(report.loaded) == ["0022200003", "0022200009", "0022200010"]
    assert report.failed == {}
    expected_actions = sum(len(g.payload) for g in sample_games)
    assert report.actions == _count(conn, "nba_raw_actions") == expected_actions
    assert _count(conn, "games") == 3 and _count(conn, "teams") == 6
    assert report.situations == _count(conn, "clutch_situations") == 7  # 2 + 2 + 3 windows
    assert report.player_actions == _count(conn, "clutch_player_actions") > 0
    statuses = conn.execute("SELECT DISTINCT status, season, season_type FROM games").fetchall()
    assert statuses == [("final", "2022-23", "regular_season")]


def test_loading_the_same_games_twice_changes_nothing(conn, database_url, sample_games):
    load_games(_connection(database_url), sample_games)
    before = _snapshot(conn)

    again = load_games(_connection(database_url), sample_games)
    forced = load_games(_connection(database_url), sample_games, force=True)

    assert sorted(again.unchanged) == ["0022200003", "0022200009", "0022200010"] and again.loaded == []
    assert len(forced.loaded) == 3
    assert _snapshot(conn) == before


def test_loading_games_records_who_played_for_which_team(conn, database_url, sample_games):
    load_games(_connection(database_url), sample_games)

    played = _game_players(conn)
    sides = dict(
        conn.execute(
            """SELECT g.nba_game_id, ARRAY[h.nba_team_id, a.nba_team_id] FROM games g
               JOIN teams h ON h.team_id = g.home_team_id JOIN teams a ON a.team_id = g.away_team_id"""
        ).fetchall()
    )
    assert {game for game, _, _ in played} == set(sides)
    assert all(team in sides[game] for game, _, team in played)  # a team of the game, never 0
    for game in sides:
        per_team = [sum(1 for g, _, t in played if g == game and t == team) for team in sides[game]]
        assert all(8 <= n <= 17 for n in per_team), (game, per_team)  # a roster's players who acted
    assert {p for _, p, _ in played} <= {p for (p,) in conn.execute("SELECT nba_person_id FROM players")}


def test_the_migration_reads_who_played_from_raw_actions_as_the_load_does(conn, database_url, sample_games):
    load_games(_connection(database_url), sample_games)
    loaded = _game_players(conn)
    # The database as it was before 011: raw actions loaded, no nba_game_players.
    conn.execute("DROP TABLE nba_game_players")
    conn.execute("DELETE FROM schema_migrations WHERE name = 'nba_game_players'")

    upgrade(database_url)

    assert _game_players(conn) == loaded


def test_a_malformed_game_is_recorded_and_the_others_load(conn, database_url, sample_games):
    broken = GameInput(
        game_id="0022200004", origin="G0004.json", payload=None, error="G0004.json: not valid JSON"
    )
    truncated = dataclasses.replace(
        sample_games[0], game_id="0022200005", payload=[*sample_games[0].payload[:3], {}]
    )

    report = load_games(_connection(database_url), [broken, truncated, sample_games[1]])

    assert report.loaded == ["0022200009"]
    assert set(report.failed) == {"0022200004", "0022200005"}
    failed = dict(
        conn.execute("SELECT nba_game_id, error FROM nba_game_loads WHERE status = 'failed'").fetchall()
    )
    assert "not valid JSON" in failed["0022200004"]
    assert "action #3: field 'actionType' is missing" in failed["0022200005"]
    assert _count(conn, "nba_raw_actions", "WHERE nba_game_id <> '0022200009'") == 0


def test_clutch_rows_are_rebuilt_from_the_raw_table_alone(conn, database_url, sample_games):
    load_games(_connection(database_url), sample_games)
    before = _snapshot(conn)
    conn.execute("DELETE FROM clutch_situations")

    report = derive_clutch(_connection(database_url), ["0022200003", "0022200009", "0022200010"])

    assert report.failed == {}
    assert _snapshot(conn) == before


def test_a_game_without_a_date_is_refused_with_the_reason(database_url, sample_games):
    undated = dataclasses.replace(sample_games[0], game_date=None)

    report = load_games(_connection(database_url), [undated])

    assert "game date unknown" in report.failed["0022200003"]


def test_a_live_game_polled_twice_keeps_one_copy_of_each_action_and_goes_final(conn, database_url):
    full = _sample("playbyplay_0022000001.json")
    early = copy.deepcopy(full)
    early["game"]["actions"] = early["game"]["actions"][:300]

    first = load_games(
        _connection(database_url),
        [GameInput("0022000001", "cdn", early, final=False, source="cdn", content_sha256="a")],
    )
    second = load_games(
        _connection(database_url),
        [GameInput("0022000001", "cdn", full, final=True, source="cdn", content_sha256="b")],
    )

    assert first.loaded == second.loaded == ["0022000001"]
    assert _count(conn, "nba_raw_actions") == len(full["game"]["actions"])
    status, game_date = conn.execute("SELECT status, game_date FROM games").fetchone()
    assert status == "final"
    assert str(game_date) == "2020-12-22"  # the US-Eastern date of a 7 pm tip, 00:06 UTC the next day


def test_shots_and_free_throws_get_expected_points_from_the_seasons_shot_model(
    conn, database_url, sample_games
):
    report = load_games(_connection(database_url), sample_games)

    assert report.shot_models == {"2022-23": "fitted on 3 games"}
    rows = conn.execute(
        """SELECT action_type, count(*), count(expected_points), count(points_over_expected)
           FROM clutch_player_actions GROUP BY 1"""
    ).fetchall()
    for action_type, total, expected, over in rows:
        wanted = total if action_type in ("field_goal_made", "field_goal_missed", "free_throw") else 0
        assert (expected, over) == (wanted, wanted), action_type
    bad = conn.execute(
        "SELECT count(*) FROM clutch_player_actions"
        " WHERE points_over_expected <> points_scored - expected_points"
    ).fetchone()[0]
    assert bad == 0


def test_a_fresh_shot_model_is_reused_not_refitted(database_url, sample_games):
    load_games(_connection(database_url), sample_games)

    again = derive_clutch(_connection(database_url), [g.game_id for g in sample_games])

    assert again.shot_models == {"2022-23": "reused (fitted on 3 games)"}


def test_the_shot_model_reads_stored_shots_as_it_reads_parsed_ones(conn, database_url, sample_games):
    # Fitted once from memory (the games of the run), once from the raw table alone: the same model.
    load_games(_connection(database_url), sample_games)
    from_memory = conn.execute(
        "SELECT zone, family, attempts, makes FROM nba_shot_models ORDER BY 1, 2"
    ).fetchall()
    conn.execute("DELETE FROM nba_shot_models")
    conn.execute("DELETE FROM clutch_situations")

    with psycopg.connect(database_url) as fresh:
        season_shot_model(fresh, "2022-23")
    from_raw = conn.execute(
        "SELECT zone, family, attempts, makes FROM nba_shot_models ORDER BY 1, 2"
    ).fetchall()
    assert from_raw == from_memory


def _contents(conn) -> dict:
    return {
        "raw": conn.execute(
            "SELECT nba_game_id, source, action_key, action_order, payload FROM nba_raw_actions"
            " ORDER BY 1, 2, 4"
        ).fetchall(),
        "games": conn.execute(
            "SELECT nba_game_id, status, tipoff_at, home_score, away_score FROM games ORDER BY 1"
        ).fetchall(),
        "situations": conn.execute(
            """SELECT g.nba_game_id, s.window_number, s.start_timestamp, s.end_timestamp, s.clutch_intensity
               FROM clutch_situations s JOIN games g USING (game_id) ORDER BY 1, 2"""
        ).fetchall(),
        "actions": conn.execute(
            """SELECT g.nba_game_id, a.source_action_key, a.action_type, a.points_scored, a.expected_points,
                      a.action_timestamp
               FROM clutch_player_actions a JOIN games g USING (game_id) ORDER BY 1, 2, 3"""
        ).fetchall(),
    }


def test_a_load_on_worker_processes_writes_what_a_load_in_process_writes(conn, database_url):
    from clutch_pipeline.nba.resources import NbaResource

    ids = PlayByPlayArchive(SAMPLE_ARCHIVE).game_ids()[:12]
    # From the archive as the asset reads it (each action's text kept as read), parsed on workers...
    parallel = load_games(
        _connection(database_url),
        NbaResource().play_by_play(ids, archive_path=str(SAMPLE_ARCHIVE)),
        parallel=True,
    )
    on_workers = _contents(conn)
    # ... and again in this process from parsed payloads (each action serialized again).
    in_process = load_games(_connection(database_url), list(_inputs(ids)), force=True, parallel=False)

    assert sorted(parallel.loaded) == sorted(in_process.loaded) == sorted(ids)
    assert (parallel.actions, parallel.situations, parallel.player_actions) == (
        in_process.actions,
        in_process.situations,
        in_process.player_actions,
    )
    assert _contents(conn) == on_workers
    assert len(on_workers["raw"]) == parallel.actions > 0 and on_workers["actions"]


def test_a_bad_game_on_worker_processes_is_recorded_and_the_others_load(conn, database_url, sample_games):
    broken = GameInput("0022200004", "G0004.json", None, undecoded=("G0004.json", b'[{"actionId": 1,'))

    report = load_games(_connection(database_url), [broken, *sample_games], parallel=True)

    assert sorted(report.loaded) == ["0022200003", "0022200009", "0022200010"]
    assert "G0004.json: not valid JSON" in report.failed["0022200004"]
