"""Clutch totals against the NBA's official table: the comparison, the asset check, and the real season."""

import csv
import io
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest

from clutch_pipeline.db.resources import PostgresResource
from clutch_pipeline.nba import store
from clutch_pipeline.nba.archive import PlayByPlayArchive
from clutch_pipeline.nba.checks import official_clutch_totals
from clutch_pipeline.nba.load import GameInput, load_games
from clutch_pipeline.nba.validation import REPORTED, REQUIRED, OfficialPlayer, compare, parse_official_table

from .test_load import _inputs

SEASON_DIR = Path(__file__).resolve().parents[3] / "shared" / "data" / "nba_2022_23"
OFFICIAL = SEASON_DIR / "official_clutch" / "leaguedashplayerclutch_2022-23_RS_base_totals.csv"
COLUMNS = ("PLAYER_ID", "PLAYER_NAME", *REQUIRED, *REPORTED)


def _connection(url):
    @contextmanager
    def connect():
        with psycopg.connect(url) as conn:
            yield conn

    return connect


def _official_csv(totals: dict[int, dict[str, int]], *, change: frozenset[int] = frozenset()) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for person_id, row in sorted(totals.items()):
        values = [row[c] + (1 if c == "FGA" and person_id in change else 0) for c in (*REQUIRED, *REPORTED)]
        writer.writerow([person_id, f"Player {person_id}", *values])
    return out.getvalue()


def test_exact_matches_are_counted_per_column():
    official = [OfficialPlayer(1, "A", {"FGM": 2, "AST": 1}), OfficialPlayer(2, "B", {"FGM": 0, "AST": 3})]

    result = compare({1: {"FGM": 2, "AST": 0}}, official)

    assert result.exact == {s: 2 if s == "FGM" else 0 for s in (*REQUIRED, *REPORTED)} | {"AST": 0}
    assert result.mismatches["AST"] == ["A: 0 vs 1", "B: 0 vs 3"]


def test_an_official_table_without_its_columns_is_refused():
    with pytest.raises(ValueError, match="lacks columns"):
        parse_official_table("PLAYER_ID,PLAYER_NAME\n1,A\n")


@pytest.fixture
def three_games(database_url):
    load_games(_connection(database_url), _inputs(["0022200003", "0022200009", "0022200010"]))
    with psycopg.connect(database_url) as conn:
        return store.clutch_player_totals(conn, "2022-23", "regular_season")


def test_the_check_is_skipped_with_its_reason_when_no_table_is_configured(monkeypatch, database_url):
    monkeypatch.delenv("CLUTCH_NBA_OFFICIAL_CLUTCH", raising=False)

    result = official_clutch_totals(postgres=PostgresResource(database_url=database_url))

    assert result.passed and "no official table configured" in result.description


def test_the_check_passes_when_the_totals_match(monkeypatch, tmp_path, database_url, three_games):
    (tmp_path / "official.csv").write_text(_official_csv(three_games))
    monkeypatch.setenv("CLUTCH_NBA_OFFICIAL_CLUTCH", f"2022-23={tmp_path / 'official.csv'}")

    result = official_clutch_totals(postgres=PostgresResource(database_url=database_url))

    assert result.passed
    assert "FGM" in result.description and "skipped" not in result.description


def test_the_check_fails_when_too_many_players_differ(monkeypatch, tmp_path, database_url, three_games):
    # Two of a few dozen players differ on FGA: far below 98.5% exact.
    (tmp_path / "official.csv").write_text(
        _official_csv(three_games, change=frozenset(sorted(three_games)[:2]))
    )
    monkeypatch.setenv("CLUTCH_NBA_OFFICIAL_CLUTCH", f"2022-23={tmp_path / 'official.csv'}")

    result = official_clutch_totals(postgres=PostgresResource(database_url=database_url))

    assert not result.passed
    assert "below 98.5% exact" in result.description


def test_the_check_is_skipped_while_a_season_is_partly_loaded(
    monkeypatch, tmp_path, database_url, three_games
):
    load_games(_connection(database_url), [GameInput("0022200004", "G4", None, error="truncated")])
    (tmp_path / "official.csv").write_text(_official_csv(three_games))
    monkeypatch.setenv("CLUTCH_NBA_OFFICIAL_CLUTCH", f"2022-23={tmp_path / 'official.csv'}")

    result = official_clutch_totals(postgres=PostgresResource(database_url=database_url))

    assert result.passed and result.description.startswith("skipped: 2022-23: 3 of 3 games loaded, 1 failed")


@pytest.fixture(scope="session")
def full_season(pg_admin_url, template_database, run_tag):
    """The whole 2022-23 regular season loaded once per test session (about half a minute)."""
    archive = SEASON_DIR / "pbp_2022_23_regular_season_nbacom_v3.tar.xz"
    if not archive.exists():
        pytest.skip(f"the 2022-23 season is not at {SEASON_DIR} (../shared beside the repository)")
    name = f"season_{run_tag}"
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        conn.execute(
            psycopg.sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                psycopg.sql.Identifier(name), psycopg.sql.Identifier(template_database)
            )
        )
    from clutch_pipeline.db.connection import url_for_database
    from clutch_pipeline.nba.resources import NbaResource

    url = url_for_database(pg_admin_url, name)
    games = NbaResource().play_by_play(
        PlayByPlayArchive(archive, SEASON_DIR / "manifest_2022_23.csv").game_ids(),
        archive_path=str(archive),
        manifest_path=str(SEASON_DIR / "manifest_2022_23.csv"),
    )
    report = load_games(_connection(url), games)
    yield url, report
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        conn.execute(psycopg.sql.SQL("DROP DATABASE {} WITH (FORCE)").format(psycopg.sql.Identifier(name)))


def test_the_whole_2022_23_season_matches_the_official_clutch_totals(full_season, monkeypatch):
    url, report = full_season
    assert (len(report.loaded), len(report.failed), report.actions) == (1229, 0, 603_266)
    with psycopg.connect(url) as conn:
        ours = store.clutch_player_totals(conn, "2022-23", "regular_season")

    comparison = compare(ours, parse_official_table(OFFICIAL.read_text()))

    print(f"\n2022-23 clutch totals, exact per column: {comparison.summary()}")
    for stat in REPORTED:
        print(f"  {stat} mismatches: {comparison.mismatches.get(stat, [])}")
    for stat in REQUIRED:
        assert comparison.exact[stat] >= 445, (stat, comparison.mismatches.get(stat))
    monkeypatch.setenv("CLUTCH_NBA_OFFICIAL_CLUTCH", f"2022-23={OFFICIAL}")
    check = official_clutch_totals(postgres=PostgresResource(database_url=url))
    assert check.passed and "skipped" not in check.description
