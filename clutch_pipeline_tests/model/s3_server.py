"""A real S3 endpoint on loopback for the trace store's tests: moto's S3 server over HTTP on 127.0.0.1.

The store under test talks to it exactly as it would to R2: boto3, SigV4, path-style URLs, region
``auto``. moto refuses ``CreateBucket`` in ``auto`` (IllegalLocationConstraint), so the fixtures create
buckets with a separate client in ``us-east-1``; objects in them are reachable with either region.
Import the fixtures into a test module to use them.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from functools import cache

import boto3
import pytest
from botocore.config import Config
from moto.server import ThreadedMotoServer

# Test-only credentials; moto accepts any. Distinctive, so a test can look for a leak of them.
ACCESS_KEY = "AKIACLUTCHTESTKEY0001"
SECRET_KEY = "clutch-test-secret-must-never-be-printed"


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """``http://127.0.0.1:PORT`` of a moto S3 server on a free port, for the whole session."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # not a line per request
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def aws_credentials(monkeypatch, tmp_path) -> None:
    """boto3's chain finds these in the environment; no profile or config file of the developer's."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    for name in ("AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(name, raising=False)


@cache
def admin_client(endpoint: str):
    """A plain client in us-east-1: creates buckets and tampers with objects behind the store's back.
    One per endpoint (a client is thread-safe; building one takes a tenth of a second)."""
    return boto3.session.Session().client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        config=Config(s3={"addressing_style": "path"}),
    )


@pytest.fixture
def s3_bucket(s3_endpoint, aws_credentials) -> str:
    """A new, empty bucket (created in us-east-1) for one test."""
    name = f"traces-{uuid.uuid4().hex[:12]}"
    admin_client(s3_endpoint).create_bucket(Bucket=name)
    return name
