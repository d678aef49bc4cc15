"""The `clutch` command as a user runs it: a separate process, a fresh CLUTCH_HOME."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import psutil
import psycopg
import pytest
import requests
from click.testing import CliRunner

from clutch_pipeline.cli import main
from clutch_pipeline.db.embedded import embedded_server


def _processes_using(folder: Path) -> list[str]:
    """Processes whose command line names the folder: embedded PostgreSQL, Dagster services."""
    found = []
    for proc in psutil.process_iter(["pid", "cmdline"]):
        cmdline = " ".join(proc.info["cmdline"] or [])
        if str(folder) in cmdline and proc.info["pid"] != os.getpid():
            found.append(cmdline[:120])
    return found


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_http(url: str, process: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "clutch dev exited before serving"
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"{url} did not answer within {timeout} s")


@dataclass(frozen=True)
class Ran:
    env: dict[str, str]
    first: subprocess.CompletedProcess
    second: subprocess.CompletedProcess


@pytest.fixture(scope="module")
def ran_twice(tmp_path_factory, clutch_command) -> Ran:
    """`clutch run` twice on one fresh CLUTCH_HOME (each run takes a while: the tests share them)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLUTCH_", "DAGSTER_"))}
    env["CLUTCH_HOME"] = str(tmp_path_factory.mktemp("cli") / "clutch-home")
    runs = [
        subprocess.run([*clutch_command, "run"], env=env, capture_output=True, text=True, timeout=600)
        for _ in range(2)
    ]
    return Ran(env, *runs)


def test_clutch_run_succeeds_on_a_fresh_clutch_home_and_leaves_no_server_running(ran_twice):
    result = ran_twice.first
    assert result.returncode == 0, result.stdout + result.stderr
    assert "[1/7] schema: apply migrations" in result.stdout
    assert "[2/7] nba: load the bundled 2022-23 games" in result.stdout
    assert "[3/7] whoop: the players consent" in result.stdout
    assert "[4/7] alignment: daily summaries" in result.stdout
    assert "[5/7] alignment: pregame context, clutch scores and features" in result.stdout
    assert "[6/7] model: backtest: fit on the days but the last, predict the last day" in result.stdout
    assert "[7/7] model: fit on every scored game, check, publish the trace, predict" in result.stdout
    assert "clutch run finished: 7 step(s) succeeded" in result.stdout
    assert "database_schema: schema_version=" in result.stdout
    assert "nba_play_by_play: games_requested=222, games_loaded=222, games_failed=0" in result.stdout
    assert "clutch_situations: 228 rows" in result.stdout
    assert _processes_using(Path(ran_twice.env["CLUTCH_HOME"])) == []


def test_clutch_run_authorizes_every_player_of_the_month_and_syncs_his_days(ran_twice):
    out = ran_twice.first.stdout
    assert "455 athletes; 0 already consented with valid tokens (left alone), 455 authorized now" in out
    assert "devices=455, devices_synced=455, devices_failed=0" in out
    assert "wearables_readings: " in out
    assert "readiness: the simulator's own readiness (independent of play)" in out


def _table_lines(out: str) -> list[str]:
    return [line.strip() for line in out.splitlines() if line.startswith("    ") and " rows" in line]


def test_clutch_run_twice_leaves_valid_consents_alone_and_spends_no_whoop_request(ran_twice):
    second = ran_twice.second
    assert second.returncode == 0, second.stdout + second.stderr
    assert "455 already consented with valid tokens (left alone), 0 authorized now" in second.stdout
    assert "sync: nothing to do" in second.stdout
    # Every table as the first run left it: no state, token, request or reading added.
    assert _table_lines(second.stdout) == _table_lines(ran_twice.first.stdout)
    assert any(line.startswith("whoop_api_requests: ") for line in _table_lines(second.stdout))


def test_clutch_run_reports_the_share_of_clutch_actions_with_wearables_and_the_best_scores(ran_twice):
    out = ran_twice.first.stdout
    coverage = re.search(r"(\d+) of (\d+) clutch actions \(([\d.]+)%\) found wearables context", out)
    assert coverage, out
    found, total = int(coverage[1]), int(coverage[2])
    # Every player of the sample is a simulated WHOOP athlete who wore his strap for his games.
    assert 0 < found <= total
    assert "best game clutch scores of the sample:" in out
    best = re.findall(r"^\s+(\d+\.\d)  .+ \(2022-\d\d-\d\d vs [A-Z]{3}\): \d+ actions", out, re.MULTILINE)
    assert len(best) == 5
    assert [float(b) for b in best] == sorted((float(b) for b in best), reverse=True)


def test_clutch_run_twice_aligns_nothing_again(ran_twice):
    second = ran_twice.second.stdout
    assert "summaries: nothing to do" in second
    assert "alignment: nothing to do" in second
    assert "model: nothing to do" in second


def test_clutch_run_backtests_the_model_on_the_month_s_last_day(ran_twice):
    out = ran_twice.first.stdout
    backtest = re.search(
        r"backtest: fitted on the games before 2022-11-17, predicted the (\d+) player-games of 2022-11-17 "
        r"\((\d+) with wearables\): RMSE ([\d.]+) points \(the player's mean: ([\d.]+)\), (\d+)% inside",
        out,
    )
    assert backtest, out
    assert int(backtest[1]) > 0 and 0 <= int(backtest[5]) <= 100
    # The fit is reported with its checks, passed or not: it is never published by a backtest.
    assert re.search(r"model clutch_model_v1_\d{8}T\d{6}Z \(\d+ player-games, \d+ players\): ", out)
    assert "max_rhat" in out and "exact_posterior_agreement_mcse" in out


def test_clutch_run_publishes_the_fit_on_every_game_and_reports_its_checks_and_effects(ran_twice):
    out = ran_twice.first.stdout
    assert re.search(
        r"model clutch_model_v1_\d{8}T\d{6}Z: R-hat max 1\.\d{4}, bulk ESS min \d+, divergences 0, "
        r"exact-posterior distance [\d.]+ MCSE: every blocking check passed",
        out,
    ), out
    assert re.search(r"holdout \(\d+ player-games\): RMSE [\d.]+ points \(the player's mean: [\d.]+\)", out)
    for effect in ("recovery", "HRV baseline deviation", "sleep performance"):
        assert re.search(
            rf"  {effect}: [+-][\d.]+ points per sd, 94% interval \[[+-][\d.]+, [+-][\d.]+\]", out
        )
    # The simulator's physiology is independent of the play: the honest default verdict.
    assert re.search(r"^wearables: no wearables effect found: ", out, re.M), out
    trace = Path(ran_twice.env["CLUTCH_HOME"]) / "traces"
    assert re.search(rf"^trace: {re.escape(str(trace))}/clutch_model_v1_\d{{8}}T\d{{6}}Z\.nc$", out, re.M)
    assert "predictions: 0 of upcoming games (none is scheduled: the data is from 2022)" in out
    assert "pages: `clutch serve`, then http://127.0.0.1:8000/sign-in" in out
    assert "the Dagster UI: `clutch dev`" in out


def test_clutch_run_twice_loads_no_game_again(ran_twice):
    assert "games_loaded=0, games_failed=0, games_unchanged=222" in ran_twice.second.stdout


def test_clutch_run_records_its_runs_in_the_dagster_storage(ran_twice):
    # Open the same embedded server the way the CLI does, and read the runs it stored.
    server = embedded_server(Path(ran_twice.env["CLUTCH_HOME"]) / "pgdata")
    try:
        with psycopg.connect(server.get_uri("dagster")) as conn:
            statuses = conn.execute("SELECT status FROM runs WHERE pipeline_name = 'apply_schema'").fetchall()
            whoop = conn.execute("SELECT status FROM runs WHERE pipeline_name = 'sync_whoop'").fetchall()
    finally:
        server.cleanup()
    assert statuses == [("SUCCESS",), ("SUCCESS",)]
    assert whoop == [("SUCCESS",)]  # the second run had nothing to sync


JOB_RUNS = """
{ pipelineOrError(params: {repositoryLocationName: "clutch_pipeline", repositoryName: "__repository__",
                           pipelineName: "apply_schema"}) { ... on Pipeline { runs { status } } } }
"""


def test_clutch_dev_serves_the_ui_on_the_same_instance_and_stops_cleanly(ran_twice, clutch_command, tmp_path):
    cli_env = ran_twice.env
    port = _free_port()
    log = tmp_path / "dev.log"
    with log.open("w") as output:
        dev = subprocess.Popen(
            [*clutch_command, "dev", "--port", str(port)], env=cli_env, stdout=output, stderr=output
        )
    try:
        _wait_for_http(f"http://127.0.0.1:{port}/server_info", dev)
        graphql = f"http://127.0.0.1:{port}/graphql"
        runs = {"query": "{ runsOrError { ... on Runs { results { jobName status } } } }"}
        answer = requests.post(graphql, json=runs, timeout=30).json()
        job_page = requests.post(graphql, json={"query": JOB_RUNS}, timeout=30).json()
    finally:
        dev.send_signal(signal.SIGTERM)
        returncode = dev.wait(timeout=90)

    assert {"jobName": "apply_schema", "status": "SUCCESS"} in answer["data"]["runsOrError"]["results"]
    # The runs `clutch run` launched are listed under their job, not only in the Runs list.
    assert job_page["data"]["pipelineOrError"]["runs"] == [{"status": "SUCCESS"}, {"status": "SUCCESS"}]
    assert "will not be used" not in log.read_text()
    assert returncode == 0
    deadline = time.monotonic() + 30
    while _processes_using(Path(cli_env["CLUTCH_HOME"])) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert _processes_using(Path(cli_env["CLUTCH_HOME"])) == []


def test_db_upgrade_applies_migrations_to_the_configured_server(empty_database_url, monkeypatch):
    monkeypatch.setenv("CLUTCH_DATABASE_URL", empty_database_url)

    first = CliRunner().invoke(main, ["db", "upgrade"])
    second = CliRunner().invoke(main, ["db", "upgrade"])

    assert first.exit_code == 0, first.output
    assert "applied 001_core" in first.output
    assert second.exit_code == 0 and "0 applied" in second.output


def test_db_status_lists_applied_and_pending_migrations(database_url, monkeypatch):
    monkeypatch.setenv("CLUTCH_DATABASE_URL", database_url)

    result = CliRunner().invoke(main, ["db", "status"])

    assert result.exit_code == 0, result.output
    assert "001_core" in result.output and "pending" not in result.output


def test_db_url_prints_the_configured_url(database_url, monkeypatch):
    monkeypatch.setenv("CLUTCH_DATABASE_URL", database_url)

    result = CliRunner().invoke(main, ["db", "url"])

    assert result.output.strip() == database_url


def _one_line_failure(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 1
    lines = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    assert len(lines) == 1, lines
    return lines[0]


@pytest.mark.parametrize("command", [["db", "upgrade"], ["run"], ["whoop", "sync"], ["db", "shell"]])
def test_an_unreachable_database_is_one_line_without_its_password(command, cli_env, clutch_command):
    cli_env["CLUTCH_DATABASE_URL"] = "postgresql://app:hunter2@127.0.0.1:1/clutch"
    cli_env.update({"WHOOP_CLIENT_ID": "id", "WHOOP_CLIENT_SECRET": "secret"})

    result = subprocess.run(
        [*clutch_command, *command], env=cli_env, capture_output=True, text=True, timeout=60
    )

    line = _one_line_failure(result)
    assert line.startswith("Error: cannot connect to PostgreSQL at postgresql://app:***@127.0.0.1:1/clutch")
    assert "hunter2" not in result.stdout + result.stderr


def test_whoop_sync_without_whoop_settings_says_so_in_one_line(database_url, cli_env, clutch_command):
    cli_env["CLUTCH_DATABASE_URL"] = database_url

    result = subprocess.run([*clutch_command, "whoop", "sync"], env=cli_env, capture_output=True, text=True)

    assert _one_line_failure(result) == "Error: WHOOP_CLIENT_ID and WHOOP_CLIENT_SECRET must be set"


def test_whoop_sync_of_an_unknown_player_is_an_error(database_url, monkeypatch):
    monkeypatch.setenv("CLUTCH_DATABASE_URL", database_url)
    monkeypatch.setenv("WHOOP_CLIENT_ID", "id")
    monkeypatch.setenv("WHOOP_CLIENT_SECRET", "secret")

    result = CliRunner().invoke(main, ["whoop", "sync", "--player", "999999999"])

    assert result.exit_code == 1
    assert "unknown player(s): 999999999" in result.output


def test_db_shell_runs_sql_from_standard_input_on_the_embedded_database(cli_env, clutch_command):
    result = subprocess.run(
        [*clutch_command, "db", "shell"],
        env=cli_env,
        input="SELECT 40 + 2 AS answer;\nSELECT current_database();\n",
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    assert " 42" in result.stdout
    assert " clutch" in result.stdout
    assert _processes_using(Path(cli_env["CLUTCH_HOME"])) == []


def test_config_hides_secrets(monkeypatch):
    monkeypatch.setenv("CLUTCH_DATABASE_URL", "postgresql://app:hunter2@db.internal/clutch")

    result = CliRunner().invoke(main, ["config"])

    assert "CLUTCH_DATABASE_URL=(set, hidden)" in result.output
    assert "hunter2" not in result.output


def test_help_explains_every_subcommand():
    for path in ([], ["db"]):
        result = CliRunner().invoke(main, [*path, "--help"])
        assert result.exit_code == 0
    top = CliRunner().invoke(main, ["--help"]).output
    for command in ("run", "dev", "serve", "db", "nba", "whoop", "keys", "config"):
        assert f"  {command} " in top
    db_help = CliRunner().invoke(main, ["db", "--help"]).output
    for command in ("url", "shell", "serve", "upgrade", "status", "stop"):
        assert f"  {command} " in db_help


def test_two_clutch_runs_at_once_on_a_fresh_home_one_runs_the_other_says_so(cli_env, clutch_command):
    started = [
        subprocess.Popen(
            [*clutch_command, "run"], env=cli_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        for _ in range(2)
    ]
    outputs = [process.communicate(timeout=600)[0].decode() for process in started]

    codes = sorted(process.returncode for process in started)
    assert codes == [0, 1], outputs
    refused = next(out for process, out in zip(started, outputs, strict=True) if process.returncode == 1)
    assert refused.strip().splitlines()[-1].startswith("Error: another `clutch run` is running on ")
    assert "Traceback" not in "".join(outputs)


def test_clutch_run_with_an_unreadable_readiness_csv_says_so_in_one_line(cli_env, clutch_command, tmp_path):
    csv = tmp_path / "readiness.csv"
    csv.write_text("person,date\n1,2022-10-20\n")

    result = subprocess.run(
        [*clutch_command, "run", "--readiness", str(csv)], env=cli_env, capture_output=True, text=True
    )

    assert _one_line_failure(result) == f"Error: {csv}: missing column(s) person_id, readiness"
