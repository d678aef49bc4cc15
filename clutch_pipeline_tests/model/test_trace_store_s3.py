"""The S3 side of the trace store against moto's S3 server over HTTP on 127.0.0.1: R2's region ``auto``,
multipart uploads that fail midway, clear one-line errors, and no credentials in any of them."""

from __future__ import annotations

import json
import logging
import random
import socket
from dataclasses import replace
from pathlib import Path

import pytest

from clutch_pipeline.model.trace_store import (
    LATEST_POINTER,
    BucketNotFoundError,
    S3TraceStore,
    TraceStoreError,
    open_trace_store,
    s3_client,
)
from clutch_pipeline_tests.model.s3_server import (
    ACCESS_KEY,
    SECRET_KEY,
    admin_client,
    aws_credentials,
    s3_bucket,
    s3_endpoint,
)

__all__ = ["aws_credentials", "s3_bucket", "s3_endpoint"]  # fixtures, used by name

FIRST = "clutch_model_v1_20261201T120000Z.nc"
SECOND = "clutch_model_v1_20261202T120000Z.nc"
MIB = 1024 * 1024


def write_trace(folder: Path, size: int, seed: int = 0) -> Path:
    path = folder / f"fit-{seed}.nc"
    path.write_bytes(random.Random(seed).randbytes(size))
    return path


def _interrupt_after(limit: int):
    sent = [0]

    def progress(count: int) -> None:
        sent[0] += count
        if sent[0] > limit:
            raise ConnectionResetError("connection lost")

    return progress


def test_the_client_signs_for_region_auto_and_works_against_a_bucket_made_in_us_east_1(
    s3_endpoint, s3_bucket, tmp_path
):
    store = open_trace_store(f"s3://{s3_bucket}", endpoint_url=s3_endpoint, region="auto")
    published = store.publish(write_trace(tmp_path, 1000), name=FIRST, metadata={"k": "v"})

    assert store.client.meta.region_name == "auto"
    assert store.latest() == published
    head = admin_client(s3_endpoint).head_object(Bucket=s3_bucket, Key=FIRST)
    assert head["Metadata"]["sha256"] == published.sha256
    assert head["Metadata"]["size"] == "1000"


def test_the_latest_pointer_is_a_small_json_object_naming_the_version(s3_endpoint, s3_bucket, tmp_path):
    store = open_trace_store(f"s3://{s3_bucket}/models", endpoint_url=s3_endpoint, region="auto")
    published = store.publish(write_trace(tmp_path, 1000), name=FIRST, metadata={})

    answer = admin_client(s3_endpoint).get_object(Bucket=s3_bucket, Key=f"models/{LATEST_POINTER}")
    pointer = json.loads(answer["Body"].read())

    assert pointer["name"] == FIRST
    assert pointer["location"] == f"s3://{s3_bucket}/models/{FIRST}"
    assert pointer["sha256"] == published.sha256
    assert answer["ContentLength"] < 1024


def test_a_multipart_upload_interrupted_midway_is_aborted_and_leaves_latest(s3_endpoint, s3_bucket, tmp_path):
    client = s3_client(endpoint_url=s3_endpoint, region="auto")
    store = S3TraceStore(client, s3_bucket, "models", multipart_chunk_bytes=5 * MIB)
    previous = store.publish(write_trace(tmp_path, 1000, seed=1), name=FIRST, metadata={})

    with pytest.raises(TraceStoreError, match="latest pointer was not moved"):
        store.publish(
            write_trace(tmp_path, 11 * MIB, seed=2),
            name=SECOND,
            metadata={},
            progress=_interrupt_after(6 * MIB),
        )

    assert store.latest() == previous
    assert client.list_multipart_uploads(Bucket=s3_bucket).get("Uploads", []) == []
    keys = [o["Key"] for o in client.list_objects_v2(Bucket=s3_bucket)["Contents"]]
    assert sorted(keys) == [f"models/{FIRST}", f"models/{LATEST_POINTER}"]


def test_a_missing_bucket_is_one_clear_line_naming_the_bucket_and_endpoint(
    s3_endpoint, aws_credentials, tmp_path
):
    store = open_trace_store("s3://no-such-bucket/models", endpoint_url=s3_endpoint, region="auto")

    with pytest.raises(BucketNotFoundError) as on_publish:
        store.publish(write_trace(tmp_path, 10), name=FIRST, metadata={})
    with pytest.raises(BucketNotFoundError) as on_latest:
        store.latest()

    for failure in (on_publish.value, on_latest.value):
        assert str(failure) == f"no bucket 'no-such-bucket' at {s3_endpoint}"
        assert failure.__cause__ is None and failure.__suppress_context__


def test_an_unreachable_endpoint_is_one_clear_line(aws_credentials):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    store = open_trace_store("s3://models", endpoint_url=f"http://127.0.0.1:{port}", max_attempts=1)

    with pytest.raises(TraceStoreError, match=f"bucket 'models' at http://127.0.0.1:{port}") as failure:
        store.latest()
    assert "\n" not in str(failure.value)


def test_an_endpoint_with_a_password_in_it_is_refused_without_repeating_it():
    with pytest.raises(ValueError, match="AWS_") as failure:
        open_trace_store("s3://models", endpoint_url="http://user:hunter2@127.0.0.1:9")

    assert "hunter2" not in str(failure.value)


def test_credentials_appear_in_no_error_and_no_log(s3_endpoint, s3_bucket, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    admin = admin_client(s3_endpoint)
    store = open_trace_store(f"s3://{s3_bucket}", endpoint_url=s3_endpoint, region="auto")
    published = store.publish(write_trace(tmp_path, 10), name=FIRST)

    def corrupt(name: str) -> None:
        admin.put_object(Bucket=s3_bucket, Key=name, Body=b"changed")

    tampered = open_trace_store(f"s3://{s3_bucket}", endpoint_url=s3_endpoint, after_upload=corrupt)
    messages = []
    for attempt in (
        lambda: open_trace_store("s3://no-such-bucket", endpoint_url=s3_endpoint).latest(),
        lambda: store.publish(write_trace(tmp_path, 3 * MIB), name=SECOND, progress=_interrupt_after(MIB)),
        lambda: tampered.publish(write_trace(tmp_path, 10), name=SECOND),
        lambda: store.download(replace(published, sha256="0" * 64), tmp_path),
    ):
        with pytest.raises(TraceStoreError) as failure:
            attempt()
        messages.append(str(failure.value))

    assert len(messages) == 4
    for text in [*messages, caplog.text]:
        assert SECRET_KEY not in text
    for text in messages:
        assert ACCESS_KEY not in text
