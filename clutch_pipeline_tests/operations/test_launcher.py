"""The process a CLI run names in its tags, and whether it still runs: host, pid and start time."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import psutil

from clutch_pipeline.operations.launcher import Launcher, Liveness, launcher_tags, liveness
from clutch_pipeline_tests.operations.holders import gone_launcher, other_host_launcher, reused_pid_launcher


def test_launcher_tags_name_this_process_by_host_pid_and_start_time():
    launcher = Launcher.from_tags(launcher_tags())

    assert launcher.host == socket.gethostname()
    assert launcher.pid == psutil.Process().pid
    assert abs(launcher.started - psutil.Process().create_time()) < 0.01


def test_this_process_is_alive():
    assert liveness(Launcher.current()) == Liveness.ALIVE


def test_an_exited_process_is_gone():
    assert liveness(gone_launcher()) == Liveness.GONE


def test_a_killed_process_not_yet_reaped_is_gone():
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    launcher = Launcher(socket.gethostname(), process.pid, psutil.Process(process.pid).create_time())
    process.kill()
    try:
        deadline = time.monotonic() + 10
        while psutil.Process(process.pid).status() != psutil.STATUS_ZOMBIE and time.monotonic() < deadline:
            time.sleep(0.01)
        assert liveness(launcher) == Liveness.GONE
    finally:
        process.wait()


def test_a_pid_reused_by_a_later_process_is_gone():
    assert liveness(reused_pid_launcher()) == Liveness.GONE


def test_another_host_s_process_cannot_be_told():
    assert liveness(other_host_launcher()) == Liveness.UNKNOWN


def test_a_run_without_launcher_tags_cannot_be_told():
    assert Launcher.from_tags({"dagster/backfill": "abc"}) is None
    assert liveness(None) == Liveness.UNKNOWN
