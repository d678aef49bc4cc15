"""wait_for_pools: before a run starts, wait asleep for its pools' slots, say who holds them, and free
the slots of runs whose process is gone."""

from __future__ import annotations

import socket

import pytest

from clutch_pipeline.operations.launcher import launcher_tags
from clutch_pipeline.operations.pool_wait import PoolWaitTimeout, job_pools, wait_for_pools
from clutch_pipeline_tests.operations.holders import POOL, gone_launcher, hold_nba_api_job, started_run


class FakeTime:
    """A clock that moves only when slept on; frees ``run_id``'s slots after ``free_after`` sleeps."""

    def __init__(self, instance, run_id: str | None = None, free_after: int | None = None):
        self.now = 0.0
        self.slept: list[float] = []
        self.instance, self.run_id, self.free_after = instance, run_id, free_after

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
        if len(self.slept) == self.free_after:
            self.instance.event_log_storage.free_concurrency_slots_for_run(self.run_id)


def _wait(instance, fake: FakeTime, said: list[str], **options) -> None:
    wait_for_pools(instance, [POOL], said.append, sleep=fake.sleep, clock=fake.clock, **options)


def test_a_free_pool_is_not_waited_for(instance):
    fake, said = FakeTime(instance), []

    _wait(instance, fake, said)

    assert (fake.slept, said) == ([], [])


def test_a_held_pool_is_waited_for_asleep_until_its_slot_is_freed(instance):
    holder = started_run(instance, launcher_tags())
    fake, said = FakeTime(instance, holder, free_after=3), []

    _wait(instance, fake, said, poll_seconds=2.0)

    assert fake.slept == [2.0, 2.0, 2.0]


def test_the_wait_names_the_run_holding_the_pool_and_its_process(instance):
    holder = started_run(instance, launcher_tags())
    fake, said = FakeTime(instance, holder, free_after=1), []

    _wait(instance, fake, said)

    tags = launcher_tags()
    assert said[0].startswith(
        f"waiting for pool {POOL}: its only slot held by run {holder} (hold_nba_api_job, "
        f"pid {tags['clutch/launcher_pid']} on host {socket.gethostname()}, since 20"
    )
    assert "`clutch runs cancel RUN_ID`" in said[0]


def test_the_wait_is_said_once_then_again_every_report_interval(instance):
    holder = started_run(instance, launcher_tags())
    fake, said = FakeTime(instance, holder, free_after=70), []

    _wait(instance, fake, said, poll_seconds=2.0, report_seconds=60.0)

    assert len(said) == 3  # at 0 s, 60 s and 120 s of 140
    assert said[1].endswith("(waiting 60 s so far)")


def test_a_slot_held_by_a_run_whose_process_is_gone_is_freed_without_waiting(instance):
    dead = started_run(instance, gone_launcher().tags())
    fake, said = FakeTime(instance), []

    _wait(instance, fake, said)

    assert fake.slept == []
    assert len(said) == 1 and said[0].startswith(f"run {dead} (hold_nba_api_job): its process is gone")


def test_the_wait_gives_up_after_its_timeout(instance):
    started_run(instance, launcher_tags())
    fake, said = FakeTime(instance), []

    with pytest.raises(PoolWaitTimeout, match=f"gave up after 10 s: waiting for pool {POOL}"):
        _wait(instance, fake, said, poll_seconds=2.0, timeout_seconds=10)
    assert fake.now == 10


def test_a_job_s_pools_are_those_of_its_steps():
    assert job_pools(hold_nba_api_job) == {POOL}
