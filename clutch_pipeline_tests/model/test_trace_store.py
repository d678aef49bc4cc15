"""The trace store's contract, the same for a local folder and an S3 bucket (moto's S3 server over HTTP
on 127.0.0.1): a trace becomes latest only after what was stored is read back and matches what was sent.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from clutch_pipeline.model.resources import ModelStoreResource
from clutch_pipeline.model.trace_store import (
    LocalTraceStore,
    S3TraceStore,
    TraceExistsError,
    TraceStore,
    TraceStoreError,
    TraceVerificationError,
    open_trace_store,
    trace_name,
)
from clutch_pipeline_tests.model.s3_server import admin_client, aws_credentials, s3_bucket, s3_endpoint

__all__ = ["aws_credentials", "s3_bucket", "s3_endpoint"]  # fixtures used through getfixturevalue

FIRST = "clutch_model_v1_20261201T120000Z.nc"
SECOND = "clutch_model_v1_20261202T120000Z.nc"


def write_trace(folder: Path, size: int, seed: int = 0) -> Path:
    path = folder / f"fit-{seed}.nc"
    path.write_bytes(random.Random(seed).randbytes(size))
    return path


class InterruptAfter:
    """A progress callback that fails the transfer once ``limit`` bytes have gone out."""

    def __init__(self, limit: int) -> None:
        self.limit, self.sent = limit, 0

    def __call__(self, count: int) -> None:
        self.sent += count
        if self.sent > self.limit:
            raise ConnectionResetError(f"interrupted after {self.sent} bytes")


@dataclass
class Backend:
    open: Callable[..., TraceStore]  # open(after_upload=None) -> the store under test
    overwrite: Callable[[str, bytes], None]  # replace a stored trace's bytes behind the store's back


@pytest.fixture(params=["local", "s3"])
def backend(request, tmp_path) -> Backend:
    if request.param == "local":
        folder = tmp_path / "traces"
        return Backend(
            open=lambda after_upload=None: open_trace_store(str(folder), after_upload=after_upload),
            overwrite=lambda name, body: (folder / name).write_bytes(body),
        )
    endpoint = request.getfixturevalue("s3_endpoint")
    bucket = request.getfixturevalue("s3_bucket")
    admin = admin_client(endpoint)

    def overwrite(name: str, body: bytes) -> None:
        key = f"models/{name}"
        metadata = admin.head_object(Bucket=bucket, Key=key)["Metadata"]
        admin.put_object(Bucket=bucket, Key=key, Body=body, Metadata=metadata)

    return Backend(
        open=lambda after_upload=None: open_trace_store(
            f"s3://{bucket}/models", endpoint_url=endpoint, region="auto", after_upload=after_upload
        ),
        overwrite=overwrite,
    )


def test_trace_name_is_the_utc_timestamp_of_publication():
    eastern = timezone(timedelta(hours=-5))
    name = trace_name(datetime(2026, 12, 4, 10, 30, 12, tzinfo=eastern))

    assert name == "clutch_model_v1_20261204T153012Z.nc"


def test_trace_name_refuses_a_time_without_a_timezone():
    with pytest.raises(ValueError, match="timezone"):
        trace_name(datetime(2026, 12, 4, 10, 30))


def test_a_location_names_a_bucket_or_a_folder(tmp_path):
    assert isinstance(open_trace_store(str(tmp_path)), LocalTraceStore)
    assert isinstance(open_trace_store(f"file://{tmp_path}"), LocalTraceStore)
    s3 = open_trace_store("s3://models/clutch/v1/", endpoint_url="http://127.0.0.1:9", region="auto")
    assert isinstance(s3, S3TraceStore)
    assert s3.location_of(FIRST) == f"s3://models/clutch/v1/{FIRST}"
    with pytest.raises(ValueError, match="s3://bucket/prefix"):
        open_trace_store("gs://models/clutch")


@pytest.mark.parametrize("metadata", [{"Model": "x"}, {"sha256": "x"}, {"model": "é"}])
def test_metadata_that_s3_headers_cannot_carry_is_refused_before_uploading(tmp_path, metadata):
    store = open_trace_store(str(tmp_path / "traces"))

    with pytest.raises(ValueError, match="metadata"):
        store.publish(write_trace(tmp_path, 10), name=FIRST, metadata=metadata)
    assert store.list_traces() == []


def test_no_latest_before_the_first_publish(backend):
    assert backend.open().latest() is None


def test_publish_then_latest_then_download_round_trips_bytes_and_metadata(backend, tmp_path):
    store = backend.open()
    source = write_trace(tmp_path, 300_000)

    published = store.publish(source, name=FIRST, metadata={"model-version": "v1", "rows": "11250"})
    latest = store.latest()
    copy = store.download(latest, tmp_path / "downloaded.nc")

    assert latest == published
    assert latest.metadata == {"model-version": "v1", "rows": "11250"}
    assert latest.size == 300_000
    assert copy.read_bytes() == source.read_bytes()
    assert store.list_traces() == [published]


def test_a_later_publish_moves_latest_and_keeps_the_earlier_version(backend, tmp_path):
    store = backend.open()
    first = store.publish(write_trace(tmp_path, 1000, seed=1), name=FIRST, metadata={})
    second = store.publish(write_trace(tmp_path, 2000, seed=2), name=SECOND, metadata={})

    assert store.latest() == second
    assert [t.name for t in store.list_traces()] == [first.name, second.name]


def test_an_upload_interrupted_midway_leaves_latest_on_the_previous_trace(backend, tmp_path):
    store = backend.open()
    previous = store.publish(write_trace(tmp_path, 1000, seed=1), name=FIRST, metadata={})

    with pytest.raises(TraceStoreError, match="latest pointer was not moved") as failure:
        store.publish(
            write_trace(tmp_path, 3 * 1024 * 1024, seed=2),
            name=SECOND,
            metadata={},
            progress=InterruptAfter(1024 * 1024),
        )

    assert "interrupted after" in str(failure.value)
    assert store.latest() == previous
    assert [t.name for t in store.list_traces()] == [FIRST]


def test_bytes_that_differ_on_read_back_leave_latest_on_the_previous_trace(backend, tmp_path):
    corrupted = []

    def corrupt(name: str) -> None:
        if name == SECOND:
            backend.overwrite(name, b"\0" * 5000)  # same size and metadata: only the sha256 differs
            corrupted.append(name)

    store = backend.open(after_upload=corrupt)
    previous = store.publish(write_trace(tmp_path, 5000, seed=1), name=FIRST, metadata={})

    with pytest.raises(TraceVerificationError, match="sha256") as failure:
        store.publish(write_trace(tmp_path, 5000, seed=2), name=SECOND, metadata={})

    assert corrupted == [SECOND]
    assert "latest pointer was not moved" in str(failure.value)
    assert store.latest() == previous
    assert [t.name for t in store.list_traces()] == [FIRST]


def test_a_published_version_is_never_replaced(backend, tmp_path):
    store = backend.open()
    store.publish(write_trace(tmp_path, 1000, seed=1), name=FIRST, metadata={})

    with pytest.raises(TraceExistsError, match=FIRST):
        store.publish(write_trace(tmp_path, 1000, seed=2), name=FIRST, metadata={})


def test_a_download_that_does_not_match_the_published_sha256_writes_nothing(backend, tmp_path):
    store = backend.open()
    published = store.publish(write_trace(tmp_path, 5000), name=FIRST, metadata={})
    backend.overwrite(FIRST, b"\1" * 5000)
    dest = tmp_path / "out"
    dest.mkdir()

    with pytest.raises(TraceVerificationError, match="nothing written"):
        store.download(published, dest)
    assert list(dest.iterdir()) == []


def test_publish_without_a_name_names_the_trace_by_the_time_now(backend, tmp_path):
    before = datetime.now(UTC).replace(microsecond=0)
    published = backend.open().publish(write_trace(tmp_path, 10), metadata={})

    assert trace_name(before) <= published.name <= trace_name(datetime.now(UTC))


def test_the_resource_follows_the_settings_when_its_fields_are_empty(monkeypatch, tmp_path):
    monkeypatch.setenv("CLUTCH_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("CLUTCH_MODEL_STORE", raising=False)

    store = ModelStoreResource().store()

    assert isinstance(store, LocalTraceStore)
    assert store.folder == tmp_path / "home" / "traces"


def test_the_resource_builds_an_s3_store_signing_for_region_auto(
    monkeypatch, s3_endpoint, s3_bucket, tmp_path
):
    monkeypatch.setenv("CLUTCH_MODEL_STORE", f"s3://{s3_bucket}/models")
    monkeypatch.setenv("CLUTCH_S3_ENDPOINT_URL", s3_endpoint)
    monkeypatch.delenv("CLUTCH_S3_REGION", raising=False)

    store = ModelStoreResource(max_attempts=2).store()
    published = store.publish(write_trace(tmp_path, 100), name=FIRST, metadata={})

    assert isinstance(store, S3TraceStore)
    assert (store.bucket, store.prefix, store.client.meta.region_name) == (s3_bucket, "models", "auto")
    assert store.latest() == published
