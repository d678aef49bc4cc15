"""A load of the bundled sample that is killed for real (SIGKILL, no cleanup) once its raw batches are
committed, before its clutch rows are written:

    python -m clutch_pipeline_tests.nba.killed_load DATABASE_URL [GAME_ID ...]

What a power cut or an OOM kill does to ``clutch nba backfill`` at its worst moment.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Sequence
from contextlib import contextmanager

import psycopg

from clutch_pipeline.nba.archive import SAMPLE_ARCHIVE, PlayByPlayArchive
from clutch_pipeline.nba.load import LoadReport, load_games
from clutch_pipeline.nba.resources import NbaResource


def connection(url: str):
    @contextmanager
    def connect():
        with psycopg.connect(url) as conn:
            yield conn

    return connect


def load_sample(url: str, game_ids: Sequence[str] = (), **options) -> LoadReport:
    """Load games of the bundled sample (all by default) as the asset reads them from the archive."""
    ids = list(game_ids) or PlayByPlayArchive(SAMPLE_ARCHIVE).game_ids()
    return load_games(
        connection(url), NbaResource().play_by_play(ids, archive_path=str(SAMPLE_ARCHIVE)), **options
    )


def _killed(_report: LoadReport) -> None:
    os.kill(os.getpid(), signal.SIGKILL)


if __name__ == "__main__":
    # The sample is one batch: the first batch committed is the last.
    load_sample(sys.argv[1], sys.argv[2:], on_batch=_killed)
    sys.exit("the load was not killed")
