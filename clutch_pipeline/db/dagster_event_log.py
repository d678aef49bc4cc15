"""Dagster's event log in PostgreSQL, with a run's planned materializations written in one statement.

When a run is created, Dagster records one ASSET_MATERIALIZATION_PLANNED event per asset and partition
and hands them to the storage as one batch, but dagster-postgres 0.29 writes that batch one INSERT (and
one asset-row upsert) at a time: a season backfill of 1,229 game partitions spent about 3 s on it before
its first step, serially. Upstream this is dagster-io/dagster#33831 (fix proposed in PR #33832, not
released in the Dagster 1.13 we pin); drop this module when it ships.

Here each consecutive run of planned events in a batch is inserted with one statement, and each asset's
row in ``asset_keys`` is updated once, from its last event: the state that storing them one by one
leaves (``last_run_id`` and the timestamp; planned events carry no tags). Per-partition rows are kept, so
the UI still shows partitions in progress and marks them failed when the run fails, which Dagster's own
shortcut (``DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS``) gives up. Every other event goes through
dagster-postgres unchanged. Like the other storages in ``dagster_storage.py``, its URL may be left out
of ``dagster.yaml``. ``dagster.yaml`` names this class as the instance's event log storage.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any

from dagster import DagsterEventType, EventLogEntry
from dagster._core.storage.event_log.schema import SqlEventLogStorageTable
from dagster._serdes import ConfigurableClassData
from dagster_postgres import PostgresEventLogStorage

from clutch_pipeline.db.dagster_storage import storage_arguments


def _is_planned(event: EventLogEntry) -> bool:
    return event.dagster_event_type == DagsterEventType.ASSET_MATERIALIZATION_PLANNED


class PostgresEventLogStorageWithPlannedBatches(PostgresEventLogStorage):
    """``PostgresEventLogStorage`` that writes batches of planned materializations in one INSERT."""

    @classmethod
    def from_config_value(
        cls, inst_data: ConfigurableClassData | None, config_value: Mapping[str, Any]
    ) -> PostgresEventLogStorageWithPlannedBatches:
        return cls(**storage_arguments(inst_data, config_value))

    def store_event_batch(self, events: Sequence[EventLogEntry]) -> None:
        for planned, group in itertools.groupby(events, key=_is_planned):
            group = list(group)
            if planned and len(group) > 1:
                self._store_planned_batch(group)
            else:
                super().store_event_batch(group)

    def _store_planned_batch(self, events: list[EventLogEntry]) -> None:
        with self._connect() as conn:
            rows = conn.execute(
                self.prepare_insert_event_batch(events).returning(SqlEventLogStorageTable.c.id)
            ).fetchall()
        # Ids come from one sequence in the order of the VALUES (dagster-postgres relies on the same for
        # its batches of materializations); each asset's row takes its last event, as one by one would.
        last = {
            event.get_dagster_event().asset_key: (event, row[0])
            for event, row in zip(events, rows, strict=True)
        }
        with self.index_transaction() as conn:
            for event, event_id in last.values():
                self._store_asset_event(conn, event, int(event_id))
