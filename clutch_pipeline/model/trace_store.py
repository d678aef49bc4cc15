"""Where the model's traces live: an S3-compatible bucket (Cloudflare R2, AWS S3, MinIO) or a local folder.

A trace is published as an immutable, versioned object ``clutch_model_v1_{UTC timestamp}.nc`` carrying
its size and sha256 as object metadata. Publishing uploads it, reads it back (head: size and metadata;
get: the sha256 of the stored bytes) and only then moves the latest pointer, so a failed, partial or
corrupted upload can never become the model that predictions use.

The latest pointer is a small JSON object, ``clutch_model_v1_latest.json``, naming the versioned object,
its sha256, size and publication time. It is written with one PUT of a few hundred bytes (one
``os.replace`` locally), which S3 and R2 apply atomically: a reader sees the old pointer or the new one.
Copying the trace to the seed's ``clutch_model_v1_latest.nc`` instead would copy megabytes on every
publish, give a second copy to verify, and leave no record of which version "latest" is; the pointer
names the version, so a prediction can record which model it used, and a download checks its sha256.

Plain code (no Dagster): the model stage, the CLI and the tests all use it through ``open_trace_store``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlsplit

TRACE_PREFIX = "clutch_model_v1_"
TRACE_SUFFIX = ".nc"
LATEST_POINTER = "clutch_model_v1_latest.json"
_TRACE_NAME = re.compile(r"^clutch_model_v1_[0-9A-Za-z_.-]+\.nc$")
_METADATA_KEY = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_RESERVED = ("sha256", "size", "published-at")
_METADATA_LIMIT = 2048  # S3's limit on user metadata, keys and values together
_CHUNK = 1024 * 1024

Progress = Callable[[int], None]
"""Called with the number of bytes sent since the previous call (boto3's convention)."""


class TraceStoreError(Exception):
    """A trace store operation failed; the message is one line and names what and where."""


class BucketNotFoundError(TraceStoreError):
    pass


class TraceVerificationError(TraceStoreError):
    """What was stored is not what was sent: the latest pointer was not moved."""


class TraceExistsError(TraceStoreError):
    """A versioned trace is never overwritten (the pointer may name it)."""


@dataclass(frozen=True)
class PublishedTrace:
    name: str
    location: str
    size: int
    sha256: str
    published_at: str
    metadata: Mapping[str, str] = field(default_factory=dict)

    def to_json(self) -> str:
        body = {
            "format": 1,
            "name": self.name,
            "location": self.location,
            "size": self.size,
            "sha256": self.sha256,
            "published_at": self.published_at,
            "metadata": dict(self.metadata),
        }
        return json.dumps(body, indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str | bytes, where: str) -> PublishedTrace:
        try:
            body = json.loads(text)
            return cls(
                name=str(body["name"]),
                location=str(body["location"]),
                size=int(body["size"]),
                sha256=str(body["sha256"]),
                published_at=str(body["published_at"]),
                metadata={str(k): str(v) for k, v in body.get("metadata", {}).items()},
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise TraceStoreError(f"the latest pointer {where} is not valid: {exc}") from None


def trace_name(now: datetime) -> str:
    """The versioned name of a trace published at ``now``: ``clutch_model_v1_20261204T153012Z.nc``."""
    if now.tzinfo is None:
        raise ValueError("trace_name needs a timezone-aware time (the name is in UTC)")
    return f"{TRACE_PREFIX}{now.astimezone(UTC):%Y%m%dT%H%M%SZ}{TRACE_SUFFIX}"


def file_digest(path: Path) -> tuple[int, str]:
    """Size and sha256 (hex) of a file, read in chunks."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def _check_name(name: str) -> None:
    if not _TRACE_NAME.match(name) or name == f"{TRACE_PREFIX}latest{TRACE_SUFFIX}":
        raise ValueError(f"a trace is named clutch_model_v1_<version>.nc, got {name!r}")


def _check_metadata(metadata: Mapping[str, str]) -> dict[str, str]:
    """S3 sends metadata as ``x-amz-meta-*`` headers: lowercase keys, printable ASCII values, 2 KB."""
    checked = {}
    for key, value in metadata.items():
        if not _METADATA_KEY.match(key) or key in _RESERVED:
            raise ValueError(f"metadata key {key!r}: lowercase letters, digits, hyphens; not {_RESERVED}")
        if not (isinstance(value, str) and value.isascii() and value.isprintable()):
            raise ValueError(f"metadata {key!r}: values are printable ASCII strings")
        checked[key] = value
    if sum(len(k) + len(v) for k, v in checked.items()) > _METADATA_LIMIT - 200:
        raise ValueError("metadata too large: S3 allows 2 KB of it per object")
    return checked


class TraceStore(ABC):
    """Publish, find and fetch traces. Subclasses supply the storage primitives.

    ``after_upload`` is a test hook called with the trace's name between the upload and its
    verification (tests use it to corrupt the stored object and see the verification catch it).
    """

    def __init__(self, *, after_upload: Callable[[str], None] | None = None) -> None:
        self._after_upload = after_upload

    def publish(
        self,
        local_file: Path,
        *,
        name: str | None = None,
        metadata: Mapping[str, str] | None = None,
        progress: Progress | None = None,
    ) -> PublishedTrace:
        """Upload ``local_file`` as a new version, verify it by reading it back, then move the pointer."""
        now = datetime.now(UTC)
        name = name or trace_name(now)
        _check_name(name)
        checked = _check_metadata(metadata or {})
        size, sha256 = file_digest(Path(local_file))
        published_at = f"{now:%Y-%m-%dT%H:%M:%SZ}"
        trace = PublishedTrace(name, self.location_of(name), size, sha256, published_at, checked)
        self._prepare()
        if self._stat(name) is not None:
            raise TraceExistsError(f"{trace.location} already exists; versioned traces are never replaced")
        stored = {**checked, "sha256": sha256, "size": str(size), "published-at": published_at}
        self._upload(Path(local_file), name, stored, progress)
        if self._after_upload is not None:
            self._after_upload(name)
        self._verify(trace, stored)
        self._write_pointer(trace.to_json().encode())
        return trace

    def _verify(self, trace: PublishedTrace, stored: Mapping[str, str]) -> None:
        found = self._stat(trace.name)
        problem = None
        if found is None:
            problem = "it is not there"
        elif found[0] != trace.size:
            problem = f"size {found[0]} bytes, sent {trace.size}"
        elif dict(found[1]) != dict(stored):
            problem = "its metadata differs from what was sent"
        else:
            with self._open_stored(trace.name) as stream:
                digest = _sha256_of(stream)
            if digest != trace.sha256:
                problem = f"sha256 {digest[:16]}... of the stored bytes, sent {trace.sha256[:16]}..."
        if problem:
            self._discard(trace.name)
            raise TraceVerificationError(
                f"{trace.location} failed verification on read back ({problem}); removed it, and the "
                "latest pointer was not moved"
            )

    def latest(self) -> PublishedTrace | None:
        """The trace the pointer names, or None before the first publish."""
        raw = self._read_pointer()
        return None if raw is None else PublishedTrace.from_json(raw, self.location_of(LATEST_POINTER))

    def download(self, trace: PublishedTrace, dest: Path) -> Path:
        """Fetch ``trace`` to ``dest`` (a file, or a folder to put it in), checking its size and sha256;
        on a mismatch nothing is left at ``dest``."""
        dest = Path(dest)
        if dest.is_dir():
            dest = dest / trace.name
        partial = dest.with_name(f".{dest.name}.{uuid.uuid4().hex}.part")
        try:
            with self._open_stored(trace.name) as stream, partial.open("wb") as out:
                digest, size = hashlib.sha256(), 0
                while chunk := stream.read(_CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            if (size, digest.hexdigest()) != (trace.size, trace.sha256):
                raise TraceVerificationError(
                    f"download of {trace.location}: got {size} bytes, sha256 {digest.hexdigest()[:16]}...; "
                    f"published {trace.size} bytes, sha256 {trace.sha256[:16]}...; nothing written"
                )
            os.replace(partial, dest)
        finally:
            partial.unlink(missing_ok=True)
        return dest

    def list_traces(self) -> list[PublishedTrace]:
        """Every stored version carrying our metadata, oldest first (names sort by their timestamp)."""
        traces = []
        for name in sorted(n for n in self._names() if _TRACE_NAME.match(n)):
            found = self._stat(name)
            if found is None or "sha256" not in found[1]:
                continue
            size, meta = found
            user = {k: v for k, v in meta.items() if k not in _RESERVED}
            published_at = meta.get("published-at", "")
            traces.append(
                PublishedTrace(name, self.location_of(name), size, meta["sha256"], published_at, user)
            )
        return traces

    def probe_writable(self, local_file: Path, name: str) -> bool:
        """Write ``local_file`` under ``name``, look for it, and remove it: whether this store can be
        written (``clutch doctor``). Never touches the latest pointer. Raises what the store raises."""
        self._prepare()
        self._upload(local_file, name, {"purpose": "write probe"}, None)
        try:
            return self._stat(name) is not None
        finally:
            self._discard(name)

    @abstractmethod
    def location_of(self, name: str) -> str:
        """Where an object of this store lives, for messages and the pointer (no credentials)."""

    @abstractmethod
    def _prepare(self) -> None:
        """Check the store can be written to (the bucket exists; the folder exists or is created)."""

    @abstractmethod
    def _stat(self, name: str) -> tuple[int, Mapping[str, str]] | None:
        """Size and stored metadata of an object, None when there is none."""

    @abstractmethod
    def _upload(self, local_file: Path, name: str, metadata: Mapping[str, str], progress) -> None:
        """Store the file under ``name`` with ``metadata``; on failure leave nothing under ``name``."""

    @abstractmethod
    def _open_stored(self, name: str) -> contextlib.AbstractContextManager[BinaryIO]:
        """A readable stream of a stored object."""

    @abstractmethod
    def _discard(self, name: str) -> None:
        """Remove a stored object (best effort: used after a failed verification)."""

    @abstractmethod
    def _read_pointer(self) -> bytes | None: ...

    @abstractmethod
    def _write_pointer(self, body: bytes) -> None: ...

    @abstractmethod
    def _names(self) -> list[str]:
        """Names of the objects in the store whose names start with the trace prefix."""


def _sha256_of(stream: BinaryIO) -> str:
    digest = hashlib.sha256()
    while chunk := stream.read(_CHUNK):
        digest.update(chunk)
    return digest.hexdigest()


# ---------------------------------------------------------------------------------------------------
# A local folder


def _fsync_folder(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _write_atomically(path: Path, chunks: Iterator[bytes], progress: Progress | None = None) -> None:
    """Write to a temporary file in the same folder, fsync it, rename it over ``path``, fsync the folder:
    after a crash ``path`` holds the old content or the new, never a part."""
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        with temporary.open("wb") as out:
            for chunk in chunks:
                out.write(chunk)
                if progress is not None:
                    progress(len(chunk))
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
        _fsync_folder(path.parent)
    finally:
        temporary.unlink(missing_ok=True)


def _chunks_of(path: Path) -> Iterator[bytes]:
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            yield chunk


class LocalTraceStore(TraceStore):
    """Traces in a folder; each trace's metadata in a sidecar ``<name>.meta.json``."""

    def __init__(self, folder: Path, *, after_upload: Callable[[str], None] | None = None) -> None:
        super().__init__(after_upload=after_upload)
        self.folder = Path(folder).expanduser()

    def location_of(self, name: str) -> str:
        return str(self.folder / name)

    def _sidecar(self, name: str) -> Path:
        return self.folder / f"{name}.meta.json"

    def _prepare(self) -> None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise TraceStoreError(f"cannot create the trace folder {self.folder}: {exc.strerror}") from None

    def _stat(self, name: str) -> tuple[int, Mapping[str, str]] | None:
        path, sidecar = self.folder / name, self._sidecar(name)
        if not path.is_file():
            return None
        metadata = json.loads(sidecar.read_text()) if sidecar.is_file() else {}
        return path.stat().st_size, metadata

    def _upload(self, local_file: Path, name: str, metadata: Mapping[str, str], progress) -> None:
        try:
            _write_atomically(self.folder / name, _chunks_of(local_file), progress)
            body = json.dumps(dict(metadata), sort_keys=True).encode()
            _write_atomically(self._sidecar(name), iter([body]))
        except Exception as exc:
            self._discard(name)
            raise TraceStoreError(
                f"writing {self.location_of(name)} failed ({type(exc).__name__}: {exc}); "
                "the latest pointer was not moved"
            ) from exc

    @contextlib.contextmanager
    def _open_stored(self, name: str) -> Iterator[BinaryIO]:
        path = self.folder / name
        if not path.is_file():
            raise TraceStoreError(f"no trace {path}")
        with path.open("rb") as stream:
            yield stream

    def _discard(self, name: str) -> None:
        for path in (self.folder / name, self._sidecar(name)):
            path.unlink(missing_ok=True)

    def _read_pointer(self) -> bytes | None:
        path = self.folder / LATEST_POINTER
        return path.read_bytes() if path.is_file() else None

    def _write_pointer(self, body: bytes) -> None:
        _write_atomically(self.folder / LATEST_POINTER, iter([body]))

    def _names(self) -> list[str]:
        if not self.folder.is_dir():
            return []
        return [p.name for p in self.folder.glob(f"{TRACE_PREFIX}*")]


# ---------------------------------------------------------------------------------------------------
# An S3-compatible bucket


class S3TraceStore(TraceStore):
    """Traces under ``prefix`` in ``bucket``; ``client`` is a boto3 S3 client (see ``s3_client``)."""

    def __init__(
        self,
        client,
        bucket: str,
        prefix: str = "",
        *,
        multipart_chunk_bytes: int = 8 * 1024 * 1024,
        after_upload: Callable[[str], None] | None = None,
    ) -> None:
        from boto3.s3.transfer import TransferConfig

        super().__init__(after_upload=after_upload)
        if multipart_chunk_bytes < 5 * 1024 * 1024:
            raise ValueError("S3 multipart parts are at least 5 MiB")
        self.client = client
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.endpoint = client.meta.endpoint_url
        self._transfer = TransferConfig(
            multipart_threshold=multipart_chunk_bytes, multipart_chunksize=multipart_chunk_bytes
        )

    def _key(self, name: str) -> str:
        return f"{self.prefix}/{name}" if self.prefix else name

    def location_of(self, name: str) -> str:
        return f"s3://{self.bucket}/{self._key(name)}"

    @contextlib.contextmanager
    def _calling(self, action: str) -> Iterator[None]:
        """Turn boto3's exceptions into one-line errors naming the bucket and the endpoint."""
        from boto3.exceptions import S3UploadFailedError
        from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

        where = f"bucket '{self.bucket}' at {self.endpoint}"
        try:
            yield
        except ClientError as exc:
            error = exc.response.get("Error", {})
            code, message = str(error.get("Code", "")), str(error.get("Message", ""))
            if code == "NoSuchBucket" or (code == "404" and action == "check the bucket"):
                raise BucketNotFoundError(f"no bucket '{self.bucket}' at {self.endpoint}") from None
            if code in ("AccessDenied", "403", "InvalidAccessKeyId", "SignatureDoesNotMatch"):
                raise TraceStoreError(
                    f"{action}: access to {where} refused ({code}); check the AWS credentials"
                ) from None
            raise TraceStoreError(f"{action} in {where} failed: {code} {message}".rstrip()) from exc
        except NoCredentialsError:
            raise TraceStoreError(
                f"{action}: no credentials for {where} (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "
                "or an AWS profile)"
            ) from None
        except BotoCoreError as exc:
            raise TraceStoreError(f"{action} in {where} failed: {exc}") from None
        except S3UploadFailedError as exc:
            if "NoSuchBucket" in str(exc):
                raise BucketNotFoundError(f"no bucket '{self.bucket}' at {self.endpoint}") from None
            raise TraceStoreError(f"{action} in {where} failed: {exc}") from exc

    def _prepare(self) -> None:
        with self._calling("check the bucket"):
            self.client.head_bucket(Bucket=self.bucket)

    def _stat(self, name: str) -> tuple[int, Mapping[str, str]] | None:
        from botocore.exceptions import ClientError

        with self._calling(f"look up {self._key(name)}"):
            try:
                head = self.client.head_object(Bucket=self.bucket, Key=self._key(name))
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey"):
                    return None
                raise
        return int(head["ContentLength"]), dict(head.get("Metadata", {}))

    def _upload(self, local_file: Path, name: str, metadata: Mapping[str, str], progress) -> None:
        """One PUT, or a multipart upload above the chunk size; s3transfer aborts a failed multipart
        upload, so nothing is left under ``name``."""
        extra = {"Metadata": dict(metadata), "ContentType": "application/x-netcdf"}
        try:
            with self._calling(f"upload {self._key(name)}"):
                self.client.upload_file(
                    str(local_file),
                    self.bucket,
                    self._key(name),
                    ExtraArgs=extra,
                    Callback=progress,
                    Config=self._transfer,
                )
        except BucketNotFoundError:
            raise
        except TraceStoreError as exc:
            raise TraceStoreError(f"{exc}; the latest pointer was not moved") from exc
        except Exception as exc:
            raise TraceStoreError(
                f"upload of {self.location_of(name)} failed ({type(exc).__name__}: {exc}); "
                "the latest pointer was not moved"
            ) from exc

    @contextlib.contextmanager
    def _open_stored(self, name: str) -> Iterator[BinaryIO]:
        with self._calling(f"read {self._key(name)}"):
            body = self.client.get_object(Bucket=self.bucket, Key=self._key(name))["Body"]
        try:
            with self._calling(f"read {self._key(name)}"):
                yield body
        finally:
            body.close()

    def _discard(self, name: str) -> None:
        with contextlib.suppress(TraceStoreError), self._calling(f"remove {self._key(name)}"):
            self.client.delete_object(Bucket=self.bucket, Key=self._key(name))

    def _read_pointer(self) -> bytes | None:
        from botocore.exceptions import ClientError

        with self._calling(f"read {self._key(LATEST_POINTER)}"):
            try:
                return self.client.get_object(Bucket=self.bucket, Key=self._key(LATEST_POINTER))[
                    "Body"
                ].read()
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey"):
                    return None
                raise

    def _write_pointer(self, body: bytes) -> None:
        with self._calling(f"write {self._key(LATEST_POINTER)}"):
            self.client.put_object(
                Bucket=self.bucket,
                Key=self._key(LATEST_POINTER),
                Body=body,
                ContentType="application/json",
                CacheControl="no-cache",
            )

    def _names(self) -> list[str]:
        names = []
        with self._calling("list the traces"):
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=self._key(TRACE_PREFIX)
            )
            for page in pages:
                names.extend(item["Key"].rpartition("/")[2] for item in page.get("Contents", []))
        return names


def s3_client(
    *,
    endpoint_url: str | None = None,
    region: str | None = None,
    max_attempts: int = 5,
    connect_timeout: float = 5.0,
    read_timeout: float = 60.0,
):
    """A boto3 S3 client for AWS S3 or an S3-compatible server (R2, MinIO, moto).

    Credentials come from boto3's own chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, a profile, ...).
    With an ``endpoint_url`` the client uses path-style addressing (R2 and local servers need no
    per-bucket DNS) and computes checksums only where the API requires them: boto3 >= 1.36 otherwise
    adds CRC32 trailers that R2 and other S3-compatible servers refuse; our own sha256 check covers
    integrity. Region ``auto`` is R2's; against AWS itself (no endpoint) it means boto3's default.
    """
    import boto3
    from botocore.config import Config

    if endpoint_url and urlsplit(endpoint_url).password is not None:
        raise ValueError("the S3 endpoint URL carries a password: credentials go in AWS_* variables")
    if endpoint_url is None and region == "auto":
        region = None
    config = Config(
        region_name=region,
        signature_version="s3v4",
        retries={"mode": "standard", "max_attempts": max_attempts},
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
        s3={"addressing_style": "path"} if endpoint_url else {},
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
    )
    return boto3.session.Session().client("s3", endpoint_url=endpoint_url, config=config)


def open_trace_store(
    location: str,
    *,
    endpoint_url: str | None = None,
    region: str | None = None,
    max_attempts: int = 5,
    connect_timeout: float = 5.0,
    read_timeout: float = 60.0,
    after_upload: Callable[[str], None] | None = None,
) -> TraceStore:
    """The store at ``location``: ``s3://bucket/prefix`` (``endpoint_url`` for R2 and other
    S3-compatible servers) or a local folder (a path, or ``file:///path``)."""
    parts = urlsplit(location)
    if parts.scheme == "s3":
        if not parts.netloc:
            raise ValueError(f"an S3 location is s3://bucket/prefix, got {location!r}")
        client = s3_client(
            endpoint_url=endpoint_url,
            region=region,
            max_attempts=max_attempts,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
        )
        return S3TraceStore(client, parts.netloc, parts.path, after_upload=after_upload)
    if parts.scheme == "file":
        return LocalTraceStore(Path(parts.path), after_upload=after_upload)
    if parts.scheme and len(parts.scheme) > 1:  # a Windows drive letter is not a scheme
        raise ValueError(f"a trace store is s3://bucket/prefix or a folder, got {location!r}")
    return LocalTraceStore(Path(location), after_upload=after_upload)
