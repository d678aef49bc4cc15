"""An embedded PostgreSQL (pgserver) under CLUTCH_HOME, shared by every clutch process on the machine.

pgserver keeps a list of the processes using a data folder and stops the server when the last one
exits. It never forgets a process that was killed, which would keep the server running for ever; we
drop dead processes from that list before joining it.
"""

from __future__ import annotations

import logging
import os
import warnings
from pathlib import Path

import psutil
import psycopg
from psycopg import sql

from clutch_pipeline.db.locks import LockScope, advisory_lock

with warnings.catch_warnings():
    # platformdirs warns when XDG_RUNTIME_DIR is unset (CI, containers) and falls back to /tmp: fine.
    warnings.simplefilter("ignore")
    from pgserver import get_server
    from pgserver.postgres_server import PostgresServer
    from pgserver.utils import DiskList

log = logging.getLogger(__name__)

DATABASES = ("clutch", "dagster")
_ensured: set[Path] = set()


def _forget_dead_processes(pgdata: Path) -> None:
    handles = DiskList(pgdata / ".handle_pids.json")
    with PostgresServer._lock:
        pids = handles.get()
        alive = [pid for pid in pids if psutil.pid_exists(pid)]
        if alive != pids:
            log.info("embedded PostgreSQL: forgetting exited processes %s", sorted(set(pids) - set(alive)))
            handles.put(alive)


def embedded_server(pgdata: Path) -> PostgresServer:
    """Start (or join) the embedded server in ``pgdata`` and make sure its databases exist.

    The server stays up while any process that called this is alive, then stops by itself.
    """
    pgdata = pgdata.expanduser().resolve()
    # Created here, not by pgserver: it creates the folder outside its lock with exist_ok=False, so
    # two processes starting at once would collide.
    pgdata.mkdir(parents=True, exist_ok=True)
    _forget_dead_processes(pgdata)
    server = get_server(pgdata, cleanup_mode="stop")
    if pgdata not in _ensured:
        _create_databases(server.get_uri("postgres"))
        _ensured.add(pgdata)
    return server


def _create_databases(admin_url: str) -> None:
    # Two processes starting at once would race on CREATE DATABASE: take turns.
    with (
        psycopg.connect(admin_url, autocommit=True) as conn,
        advisory_lock(conn, LockScope.SCHEMA, "embedded-databases"),
    ):
        existing = {row[0] for row in conn.execute("SELECT datname FROM pg_database")}
        for name in DATABASES:
            if name not in existing:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def stop_embedded_server(pgdata: Path) -> bool:
    """Stop the embedded server in ``pgdata`` if it runs; True when one was stopped."""
    pgdata = pgdata.expanduser().resolve()
    pid_file = pgdata / "postmaster.pid"
    if not pid_file.exists():
        return False
    pid = int(pid_file.read_text().splitlines()[0])
    if not psutil.pid_exists(pid):
        return False
    proc = psutil.Process(pid)
    proc.terminate()  # SIGTERM: PostgreSQL's "smart" shutdown
    try:
        proc.wait(timeout=15)
    except psutil.TimeoutExpired:
        os.kill(pid, 9)
    DiskList(pgdata / ".handle_pids.json").put([])
    return True
