"""Hand-made NBA rows for the clutch score tests (teams, players, a game, its clutch situations and
player actions, who played, pregame context), inserted with plain SQL as the stages write them; and the
real 2022-23 season loaded from the archive, shared with ``benchmarks/clutch_score_constants.py``."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import psycopg

# ../shared beside the repository (or beside the folder of a git worktree of it).
_HERE = Path(__file__).resolve()
SEASON_DATA = next(
    (d for d in (p / "shared" / "data" / "nba_2022_23" for p in _HERE.parents[3:5]) if d.exists()),
    _HERE.parents[3] / "shared" / "data" / "nba_2022_23",
)
SEASON_ARCHIVE = SEASON_DATA / "pbp_2022_23_regular_season_nbacom_v3.tar.xz"
SEASON_MANIFEST = SEASON_DATA / "manifest_2022_23.csv"


def load_season(url: str, archive: Path = SEASON_ARCHIVE, manifest: Path = SEASON_MANIFEST):
    """The archive's games loaded as the NBA backfill loads them (raw, then clutch rows with the
    season's shot model), without Dagster: about 25 s for 2022-23 on two cores."""
    from clutch_pipeline.nba.archive import PlayByPlayArchive
    from clutch_pipeline.nba.load import load_games
    from clutch_pipeline.nba.resources import NbaResource

    game_ids = sorted(PlayByPlayArchive(archive, manifest).game_ids())
    games = NbaResource().play_by_play(game_ids, archive_path=str(archive), manifest_path=str(manifest))
    return load_games(lambda: psycopg.connect(url), games, parallel=True)


@dataclass
class Game:
    """A game between two teams, with the ids of what was inserted."""

    game_id: uuid.UUID
    home: uuid.UUID
    away: uuid.UUID
    tipoff: datetime
    situations: list[uuid.UUID] = field(default_factory=list)
    _next_key: int = 1

    def key(self) -> int:
        self._next_key += 1
        return self._next_key


def add_team(conn: psycopg.Connection, nba_team_id: int) -> uuid.UUID:
    return conn.execute(
        "INSERT INTO teams (nba_team_id, tricode) VALUES (%s, %s) "
        "ON CONFLICT (nba_team_id) DO UPDATE SET tricode = EXCLUDED.tricode RETURNING team_id",
        (nba_team_id, f"T{nba_team_id % 100:02d}"),
    ).fetchone()[0]


def add_player(conn: psycopg.Connection, nba_person_id: int) -> uuid.UUID:
    return conn.execute(
        "INSERT INTO players (nba_person_id, full_name) VALUES (%s, %s) RETURNING player_id",
        (nba_person_id, f"Player {nba_person_id}"),
    ).fetchone()[0]


def add_game(
    conn: psycopg.Connection, nba_game_id: str, game_date: date, home: uuid.UUID, away: uuid.UUID
) -> Game:
    tipoff = datetime(game_date.year, game_date.month, game_date.day, 23, 30, tzinfo=UTC)
    game_id = conn.execute(
        "INSERT INTO games (nba_game_id, home_team_id, away_team_id, game_date, tipoff_at, status)"
        " VALUES (%s, %s, %s, %s, %s, 'final') RETURNING game_id",
        (nba_game_id, home, away, game_date, tipoff),
    ).fetchone()[0]
    return Game(game_id, home, away, tipoff)


def add_situation(conn: psycopg.Connection, game: Game, home_minus_away: int) -> uuid.UUID:
    """The game's next clutch window (fourth quarter, one after another), opening at this margin."""
    number = len(game.situations) + 1
    start = game.tipoff + timedelta(hours=2, minutes=5 * number)
    situation_id = conn.execute(
        """
        INSERT INTO clutch_situations (game_id, situation_type, start_timestamp, end_timestamp, period,
            score_margin, score_margin_absolute, is_clutch_time, window_number)
        VALUES (%s, 'clutch_time', %s, %s, 4, %s, %s, true, %s) RETURNING situation_id
        """,
        (game.game_id, start, start + timedelta(minutes=2), home_minus_away, abs(home_minus_away), number),
    ).fetchone()[0]
    game.situations.append(situation_id)
    return situation_id


def add_action(
    conn: psycopg.Connection,
    game: Game,
    situation_id: uuid.UUID,
    player: uuid.UUID,
    team: uuid.UUID,
    action_type: str,
    *,
    points: int = 0,
    expected: float | None = None,
    subtype: str | None = None,
) -> None:
    """One clutch player action; shots (field goals, free throws) made when they score."""
    shot = action_type in ("field_goal_made", "field_goal_missed", "free_throw")
    successful = (points > 0) if shot else None
    poe = None if expected is None else round(points - expected, 3)
    at = conn.execute(
        "SELECT start_timestamp FROM clutch_situations WHERE situation_id = %s", (situation_id,)
    ).fetchone()[0]
    conn.execute(
        """
        INSERT INTO clutch_player_actions (situation_id, game_id, player_id, team_id, action_timestamp,
            action_type, action_subtype, is_successful, points_scored, expected_points,
            points_over_expected, source, source_action_key)
        VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 'v3', %s)
        """,
        (
            situation_id,
            game.game_id,
            player,
            team,
            at,
            action_type,
            subtype,
            successful,
            points,
            expected,
            poe,
            game.key(),
        ),
    )


def add_game_player(conn: psycopg.Connection, game: Game, player: uuid.UUID, team: uuid.UUID) -> None:
    conn.execute(
        "INSERT INTO nba_game_players (game_id, player_id, team_id) VALUES (%s, %s, %s)",
        (game.game_id, player, team),
    )


def add_context(
    conn: psycopg.Connection,
    game: Game,
    player: uuid.UUID,
    *,
    days_since_last_game: int | None = 2,
    recovery: float | None = None,
) -> None:
    """A pregame_context row: with wearables values when ``recovery`` is given, else without."""
    wearables = recovery is not None
    conn.execute(
        """
        INSERT INTO pregame_context (game_id, player_id, tipoff_at, played, is_playoff, days_since_last_game,
            has_wearables_data, hrv_rmssd_pregame, resting_hr_pregame, recovery_score_pregame,
            sleep_performance_pregame, day_strain_previous, hrv_baseline_deviation,
            wearables_quality_score, measured_until)
        VALUES (%(game)s, %(player)s, %(tipoff)s, true, false, %(days)s, %(w)s,
            CASE WHEN %(w)s THEN 61.5 END, CASE WHEN %(w)s THEN 48 END, %(recovery)s,
            CASE WHEN %(w)s THEN 88 END, CASE WHEN %(w)s THEN 11.2 END, CASE WHEN %(w)s THEN -4.5 END,
            CASE WHEN %(w)s THEN 0.9 END, CASE WHEN %(w)s THEN %(tipoff)s - interval '10 hours' END)
        """,
        {
            "game": game.game_id,
            "player": player,
            "tipoff": game.tipoff,
            "days": days_since_last_game,
            "w": wearables,
            "recovery": recovery,
        },
    )
