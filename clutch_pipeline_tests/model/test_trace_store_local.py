"""The local-folder side of the trace store: temporary files in the same folder, renamed into place, and
nothing left behind by a write that fails."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from clutch_pipeline.model.trace_store import LATEST_POINTER, TraceStoreError, open_trace_store

FIRST = "clutch_model_v1_20261201T120000Z.nc"
SECOND = "clutch_model_v1_20261202T120000Z.nc"


def write_trace(folder: Path, size: int, seed: int = 0) -> Path:
    path = folder / f"fit-{seed}.nc"
    path.write_bytes(random.Random(seed).randbytes(size))
    return path


def _interrupt_after(limit: int):
    sent = [0]

    def progress(count: int) -> None:
        sent[0] += count
        if sent[0] > limit:
            raise OSError("disk went away")

    return progress


def test_the_folder_holds_the_version_its_metadata_and_a_json_pointer(tmp_path):
    folder = tmp_path / "a" / "b"
    published = open_trace_store(str(folder)).publish(write_trace(tmp_path, 100), name=FIRST, metadata={})

    assert sorted(p.name for p in folder.iterdir()) == [FIRST, f"{FIRST}.meta.json", LATEST_POINTER]
    pointer = json.loads((folder / LATEST_POINTER).read_text())
    assert (pointer["name"], pointer["sha256"], pointer["location"]) == (
        FIRST,
        published.sha256,
        str(folder / FIRST),
    )


def test_a_write_that_fails_midway_leaves_no_file_behind(tmp_path):
    folder = tmp_path / "traces"
    store = open_trace_store(str(folder))
    store.publish(write_trace(tmp_path, 100, seed=1), name=FIRST, metadata={})

    with pytest.raises(TraceStoreError, match="disk went away"):
        store.publish(
            write_trace(tmp_path, 3 * 1024 * 1024, seed=2), name=SECOND, progress=_interrupt_after(1)
        )

    assert sorted(p.name for p in folder.iterdir()) == [FIRST, f"{FIRST}.meta.json", LATEST_POINTER]


def test_a_folder_that_cannot_be_created_is_a_clear_error(tmp_path):
    (tmp_path / "taken").write_text("a file, not a folder")
    store = open_trace_store(str(tmp_path / "taken" / "traces"))

    with pytest.raises(TraceStoreError, match="cannot create the trace folder"):
        store.publish(write_trace(tmp_path, 10), name=FIRST)


def test_a_store_whose_folder_does_not_exist_yet_is_empty(tmp_path):
    store = open_trace_store(str(tmp_path / "not-yet"))

    assert (store.latest(), store.list_traces()) == (None, [])
    assert not (tmp_path / "not-yet").exists()
