"""Athletes built from our database: players who played (nba_game_players) follow their teams' games."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

import requests

from clutch_pipeline.whoop.simulator import build_athletes, players_of_games, serve

BOS, LAL = 1610612738, 1610612747
TATUM, LEBRON, DAVIS = 1628369, 2544, 203076
GAMES = [  # (game id, date, tip-off UTC, home, away, [(person, team), ...] who played in it)
    (
        "0022200601",
        date(2023, 1, 2),
        datetime(2023, 1, 3, 3, 30, tzinfo=UTC),
        LAL,
        BOS,
        [(TATUM, BOS), (LEBRON, LAL)],
    ),
    (
        "0022200602",
        date(2023, 1, 4),
        datetime(2023, 1, 5, 0, 30, tzinfo=UTC),
        BOS,
        LAL,
        [(TATUM, BOS), (DAVIS, LAL)],
    ),
    ("0022200603", date(2023, 1, 6), None, BOS, LAL, []),  # no play-by-play yet, no tip-off time
]


def load(conn) -> None:
    for team, tricode in ((BOS, "BOS"), (LAL, "LAL")):
        conn.execute("INSERT INTO teams (nba_team_id, tricode) VALUES (%s, %s)", (team, tricode))
    conn.execute(
        "INSERT INTO players (nba_person_id, full_name, first_name, last_name) VALUES (%s, %s, %s, %s)",
        (TATUM, "Jayson Tatum", "Jayson", "Tatum"),
    )
    conn.execute("INSERT INTO players (nba_person_id, full_name) VALUES (%s, %s)", (LEBRON, "L. James"))
    conn.execute("INSERT INTO players (nba_person_id, full_name) VALUES (%s, %s)", (DAVIS, "A. Davis"))
    for game_id, day, tipoff, home, away, actors in GAMES:
        conn.execute(
            """
            INSERT INTO games (nba_game_id, home_team_id, away_team_id, game_date, tipoff_at)
            SELECT %s, h.team_id, a.team_id, %s, %s FROM teams h, teams a
            WHERE h.nba_team_id = %s AND a.nba_team_id = %s
            """,
            (game_id, day, tipoff, home, away),
        )
        for person, team in actors:  # as the NBA load records who played
            conn.execute(
                """
                INSERT INTO nba_game_players (game_id, player_id, team_id)
                SELECT g.game_id, p.player_id, t.team_id FROM games g, players p, teams t
                WHERE g.nba_game_id = %s AND p.nba_person_id = %s AND t.nba_team_id = %s
                """,
                (game_id, person, team),
            )


def test_the_players_of_a_date_range_are_those_who_played_in_its_games(conn):
    load(conn)
    assert players_of_games(conn, date(2023, 1, 1), date(2023, 1, 3)) == [LEBRON, TATUM]
    assert players_of_games(conn, date(2023, 1, 1), date(2023, 1, 10)) == [LEBRON, DAVIS, TATUM]
    assert players_of_games(conn, date(2023, 1, 6), date(2023, 1, 10)) == []


def test_athletes_follow_their_teams_games_from_the_database(conn):
    load(conn)
    athletes = build_athletes(conn, [TATUM, LEBRON, 999], date(2023, 1, 2), date(2023, 1, 6))
    assert [a.person_id for a in athletes] == [LEBRON, TATUM]  # 999 plays nowhere: left out
    lebron, tatum = athletes
    assert (tatum.first_name, tatum.last_name) == ("Jayson", "Tatum")
    assert (lebron.first_name, lebron.last_name) == ("L.", "James")

    games = {d.day: d for d in tatum.days if d.nba_game_id}
    assert sorted(games) == [date(2023, 1, 2), date(2023, 1, 4), date(2023, 1, 6)]
    assert all(d.played for d in games.values())
    first = [w for w in tatum.workouts if abs(w.start - GAMES[0][2]) < timedelta(minutes=2)]
    assert first and first[0].fields["timezone_offset"] == "-08:00"  # away, in Los Angeles
    local_tipoff = datetime(2023, 1, 6, 19, 30)  # no time in the table: 19:30 at the host (UTC-5)
    assert any(
        abs(w.start - local_tipoff.replace(tzinfo=UTC) - timedelta(hours=5)) < timedelta(minutes=2)
        for w in tatum.workouts
    )

    lebron_games = {d.nba_game_id: d for d in lebron.days if d.nba_game_id}
    assert lebron_games["0022200601"].played and not lebron_games["0022200602"].played  # not among who played
    assert lebron_games["0022200603"].played  # no play-by-play: assumed played

    again = build_athletes(conn, [TATUM], date(2023, 1, 2), date(2023, 1, 6))
    assert [r.payload(datetime(2030, 1, 1, tzinfo=UTC)) for r in again[0].sleeps] == [
        r.payload(datetime(2030, 1, 1, tzinfo=UTC)) for r in tatum.sleeps
    ]


def test_serve_builds_from_the_database_and_answers_until_stopped(conn, database_url):
    load(conn)
    lines: list[str] = []
    stop = threading.Event()
    server = threading.Thread(
        target=serve,
        args=(database_url,),
        kwargs={"start": date(2023, 1, 2), "end": date(2023, 1, 4), "out": lines.append, "stop": stop},
    )
    server.start()
    try:
        for _ in range(200):
            if any(line.startswith("authorize: ") for line in lines):
                break
            stop.wait(0.05)
        url = next(line for line in lines if line.startswith("authorize: ")).removeprefix("authorize: ")
        answer = requests.get(url, allow_redirects=False, timeout=5)
        assert answer.status_code == 302 and "code=" in answer.headers["Location"]
        assert sum(line.startswith("  athlete=") for line in lines) == 3  # LeBron, Davis, Tatum
    finally:
        stop.set()
        server.join(timeout=10)
    assert not server.is_alive()
