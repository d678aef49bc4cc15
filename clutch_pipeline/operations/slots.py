"""Who holds and who waits for the slots of Dagster's concurrency pools (``pools`` in dagster.yaml)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import dagster as dg


@dataclass(frozen=True)
class PoolState:
    """One pool: its limit, the runs holding its slots and the runs queued for one (step keys each)."""

    pool: str
    limit: int | None  # None: no limit, Dagster runs the pool's steps without waiting
    holders: Mapping[str, tuple[str, ...]]
    queued: Mapping[str, tuple[str, ...]]

    @property
    def free(self) -> int | None:
        """Slots nobody holds (None: unlimited)."""
        if self.limit is None:
            return None
        return max(0, self.limit - sum(len(steps) for steps in self.holders.values()))


def pool_states(instance: dg.DagsterInstance, pools: Iterable[str] | None = None) -> dict[str, PoolState]:
    """The state of ``pools`` (default: every pool the instance knows), read in one go."""
    storage = instance.event_log_storage
    names = sorted(set(pools) if pools is not None else storage.get_concurrency_keys())
    states = {}
    for name, info in storage.get_concurrency_infos(names).items():
        # A step holds a slot once it has claimed one, and already when it has been assigned one
        # (it claims it at its next check); the rest of the pending steps queue.
        holding = {(slot.run_id, slot.step_key) for slot in info.claimed_slots if slot.step_key}
        holding |= {(p.run_id, p.step_key) for p in info.pending_steps if p.assigned_timestamp}
        queued = {(p.run_id, p.step_key) for p in info.pending_steps} - holding
        states[name] = PoolState(name, info.limit, _by_run(holding), _by_run(queued))
    return states


def _by_run(pairs: set[tuple[str, str]]) -> dict[str, tuple[str, ...]]:
    steps = defaultdict(list)
    for run_id, step_key in sorted(pairs):
        steps[run_id].append(step_key)
    return {run_id: tuple(keys) for run_id, keys in steps.items()}


def pools_held(states: Mapping[str, PoolState]) -> dict[str, tuple[str, ...]]:
    """Run id -> the pools it holds a slot of."""
    return _pools_by_run(states, lambda state: state.holders)


def pools_waited_for(states: Mapping[str, PoolState]) -> dict[str, tuple[str, ...]]:
    """Run id -> the pools it is queued for."""
    return _pools_by_run(states, lambda state: state.queued)


def _pools_by_run(states, side) -> dict[str, tuple[str, ...]]:
    pools = defaultdict(list)
    for name, state in sorted(states.items()):
        for run_id in side(state):
            pools[run_id].append(name)
    return {run_id: tuple(names) for run_id, names in pools.items()}
