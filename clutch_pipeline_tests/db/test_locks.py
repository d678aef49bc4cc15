"""Advisory locks keep two workers off one device or game, and only off that one."""

from __future__ import annotations

import psycopg
import pytest

from clutch_pipeline.db.locks import LockBusy, LockScope, device_lock, game_lock


@pytest.fixture
def two_workers(database_url):
    with psycopg.connect(database_url) as first, psycopg.connect(database_url) as second:
        yield first, second


def test_a_held_device_lock_keeps_a_second_worker_out(two_workers):
    first, second = two_workers

    with (
        device_lock(first, "device-a"),
        pytest.raises(LockBusy, match="whoop_device device-a"),
        device_lock(second, "device-a", wait=False),
    ):
        pass


def test_locks_on_different_devices_do_not_block_each_other(two_workers):
    first, second = two_workers

    with device_lock(first, "device-a"), device_lock(second, "device-b", wait=False):
        pass


def test_a_device_and_a_game_with_the_same_key_do_not_block_each_other(two_workers):
    first, second = two_workers

    with device_lock(first, "0022200552"), game_lock(second, "0022200552", wait=False):
        pass


def test_a_released_lock_can_be_taken_by_the_next_worker(two_workers):
    first, second = two_workers
    with game_lock(first, "0022200552"):
        pass

    with game_lock(second, "0022200552", wait=False):
        pass


def test_a_lock_is_released_when_its_block_fails(two_workers):
    first, second = two_workers

    with pytest.raises(psycopg.errors.DivisionByZero), game_lock(first, "0022200552"):
        first.execute("SELECT 1 / 0")

    with game_lock(second, "0022200552", wait=False):
        pass


def test_lock_busy_names_what_is_locked():
    assert (
        str(LockBusy(LockScope.NBA_GAME, "0022200552")) == "nba_game 0022200552 is locked by another worker"
    )
