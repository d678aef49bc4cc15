"""The embedded PostgreSQL: started on demand, shared by concurrent processes, stopped after the last."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import psutil

from clutch_pipeline.db.embedded import _forget_dead_processes


def _postmaster_running(pgdata: Path) -> bool:
    pid_file = pgdata / "postmaster.pid"
    return pid_file.exists() and psutil.pid_exists(int(pid_file.read_text().splitlines()[0]))


def test_concurrent_processes_share_one_embedded_server_and_it_stops_after_them(cli_env, clutch_command):
    processes = [
        subprocess.Popen([*clutch_command, "db", "url"], env=cli_env, stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    urls = [p.communicate(timeout=120)[0].strip() for p in processes]

    assert [p.returncode for p in processes] == [0, 0]
    assert urls[0] == urls[1]
    assert urls[0].startswith("postgresql://postgres:@/clutch?host=")
    pgdata = Path(cli_env["CLUTCH_HOME"]) / "pgdata"
    assert (pgdata / "PG_VERSION").exists()
    assert not _postmaster_running(pgdata)


def test_a_later_process_reuses_the_data_folder(cli_env, clutch_command):
    subprocess.run([*clutch_command, "db", "upgrade"], env=cli_env, check=True, capture_output=True)

    later = subprocess.run(
        [*clutch_command, "db", "upgrade"], env=cli_env, check=True, capture_output=True, text=True
    )

    assert "0 applied" in later.stdout


def test_exited_processes_are_forgotten_so_the_server_can_stop(tmp_path):
    dead = psutil.Popen(["true"])
    dead.wait()
    (tmp_path / ".handle_pids.json").write_text(json.dumps([dead.pid, os.getpid()]))

    _forget_dead_processes(tmp_path)

    assert json.loads((tmp_path / ".handle_pids.json").read_text()) == [os.getpid()]


def _stops_soon(pgdata: Path, seconds: float = 15) -> bool:
    """The server is gone, or goes within ``seconds`` (pgserver falls back to SIGTERM when a ``pg_ctl
    stop`` fails on a loaded machine, and SIGTERM returns before the server has finished)."""
    deadline = time.monotonic() + seconds
    while _postmaster_running(pgdata) and time.monotonic() < deadline:
        time.sleep(0.2)
    return not _postmaster_running(pgdata)


def _killed_holder(cli_env: dict[str, str], clutch_command: list[str]) -> Path:
    """A clutch process holding the embedded server, killed with SIGKILL: the server outlives it."""
    holder = subprocess.Popen(
        [*clutch_command, "db", "serve"],
        env=cli_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert "embedded PostgreSQL up" in holder.stdout.readline()
    holder.send_signal(signal.SIGKILL)
    holder.wait(timeout=30)
    pgdata = Path(cli_env["CLUTCH_HOME"]) / "pgdata"
    assert _postmaster_running(pgdata)  # documented: a killed process cannot stop it
    return pgdata


def test_the_next_command_after_a_killed_process_recovers_the_server_and_stops_it(cli_env, clutch_command):
    pgdata = _killed_holder(cli_env, clutch_command)

    later = subprocess.run([*clutch_command, "db", "upgrade"], env=cli_env, capture_output=True, text=True)

    assert later.returncode == 0, later.stderr
    assert _stops_soon(pgdata)


def test_db_stop_stops_a_server_left_by_a_killed_process(cli_env, clutch_command):
    pgdata = _killed_holder(cli_env, clutch_command)

    stopped = subprocess.run([*clutch_command, "db", "stop"], env=cli_env, capture_output=True, text=True)

    assert stopped.stdout.strip() == "stopped the embedded PostgreSQL"
    assert _stops_soon(pgdata)
