"""A local archive of play-by-play JSON: a folder or a ``.tar.xz``, with a manifest.

Files in the stats envelope carry their game id; nba.com copies are bare arrays of actions and need
the manifest (CSV with ``file`` and ``actual_game_id`` or ``game_id``, optionally ``game_date``) to say
which game each file holds. A manifest inside the archive (``MANIFEST.csv``) is used when none is given.
The manifest is also where a crawler's mistakes are mended: misnamed files map to their real game, and
a game that appears twice is read once.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import queue
import tarfile
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path, PurePosixPath

from clutch_pipeline.nba.parse import loads_with_texts

MANIFEST_NAMES = ("MANIFEST.csv", "manifest.csv")
# 39 real games of 2022-23, bundled for `clutch run` and tests (see sample/README.md).
SAMPLE_ARCHIVE = Path(__file__).resolve().parent / "sample" / "pbp_2022_23_first40_nbacom_v3.tar.xz"
# The season's first month (2022-10-18 to 2022-11-17, 222 games), bundled for `clutch run`: enough
# player-games per player for the hierarchical model and its checks to mean something.
MAIN_JOB_ARCHIVE = Path(__file__).resolve().parent / "sample" / "pbp_2022_23_first_month_nbacom_v3.tar.xz"


class ArchiveError(ValueError):
    pass


@dataclass(frozen=True)
class ArchiveEntry:
    file: str  # base name of the file in the archive
    game_id: str
    game_date: date | None


@dataclass(frozen=True)
class ArchivedGame:
    entry: ArchiveEntry
    payload: object | None  # parsed JSON, or None when it could not be read
    error: str | None = None
    content_sha256: str | None = None
    texts: list[str] | None = None  # a bare array's elements as they stand in the file
    data: bytes | None = None  # the file as read, when not decoded


def parse_manifest(text: str) -> tuple[list[ArchiveEntry], list[str]]:
    """Entries in manifest order, one per game, and the files skipped as repeats of an earlier game."""
    reader = csv.DictReader(io.StringIO(text))
    columns = set(reader.fieldnames or [])
    id_column = "actual_game_id" if "actual_game_id" in columns else "game_id"
    if "file" not in columns or id_column not in columns:
        raise ArchiveError("a manifest needs the columns 'file' and 'actual_game_id' (or 'game_id')")
    entries: dict[str, ArchiveEntry] = {}
    repeats = []
    for line, row in enumerate(reader, start=2):
        game_id = (row[id_column] or "").strip().zfill(10)
        file = PurePosixPath((row["file"] or "").strip()).name
        if not file or not game_id.isdigit():
            raise ArchiveError(f"manifest line {line}: needs a file and a numeric game id")
        raw_date = (row.get("game_date") or "").strip()
        try:
            game_date = date.fromisoformat(raw_date) if raw_date else None
        except ValueError:
            raise ArchiveError(f"manifest line {line}: game_date {raw_date!r} is not YYYY-MM-DD") from None
        if game_id in entries:
            repeats.append(file)
            continue
        entries[game_id] = ArchiveEntry(file, game_id, game_date)
    return list(entries.values()), repeats


def manifest_text(entries: Iterable[ArchiveEntry]) -> str:
    """A manifest of these entries, as ``parse_manifest`` reads it."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("file", "game_id", "game_date"))
    for entry in entries:
        writer.writerow((entry.file, entry.game_id, entry.game_date.isoformat() if entry.game_date else ""))
    return out.getvalue()


class PlayByPlayArchive:
    """Read games from a folder or a ``.tar.xz`` (or ``.tar``, ``.tar.gz``) of JSON files.

    The manifest is ``manifest_csv`` (its text, as ``manifest_text`` writes what an earlier reader
    found), else ``manifest`` (a CSV file), else the archive's own: finding that in a tarball means
    decompressing the stream up to it (86% of the 2022-23 season's), so a caller that opens the archive
    twice passes what it read the first time."""

    def __init__(self, path: Path, manifest: Path | None = None, *, manifest_csv: str | None = None):
        self.path = Path(path)
        if not self.path.exists():
            raise ArchiveError(f"archive {self.path} does not exist")
        text = manifest_csv
        if text is None:
            text = manifest.read_text() if manifest else self._embedded_manifest()
        if text is None:
            raise ArchiveError(f"{self.path} has no {MANIFEST_NAMES[0]}: give a manifest (file, game id)")
        self.entries, self.repeats = parse_manifest(text)
        self._by_game = {e.game_id: e for e in self.entries}

    def _embedded_manifest(self) -> str | None:
        for _name, data in _members(self.path, set(MANIFEST_NAMES)):
            return data.decode()
        return None

    def game_ids(self) -> list[str]:
        return [e.game_id for e in self.entries]

    def entry(self, game_id: str) -> ArchiveEntry | None:
        return self._by_game.get(game_id)

    def _members(self, names: set[str]) -> Iterator[tuple[str, bytes]]:
        return _members(self.path, names)

    def read(self, game_ids: Iterable[str], *, decode: bool = True) -> Iterator[ArchivedGame]:
        """The wanted games that the manifest lists, each parsed or with the reason it could not be.

        Games the manifest does not list are not yielded: the caller decides where else to look. With
        ``decode=False`` the files' bytes are given undecoded (``data``), for ``decode_file`` later.
        """
        wanted = {self._by_game[g].file: self._by_game[g] for g in game_ids if g in self._by_game}
        found = set()
        for name, data in self._members(set(wanted)):
            found.add(name)
            entry = wanted[name]
            digest = hashlib.sha256(data).hexdigest()
            if not decode:
                yield ArchivedGame(entry, None, content_sha256=digest, data=data)
                continue
            payload, texts, error = decode_file(name, data)
            yield ArchivedGame(entry, payload, error, digest if error is None else None, texts)
        for name in sorted(set(wanted) - found):
            yield ArchivedGame(wanted[name], None, f"{name}: listed in the manifest but not in the archive")


def decode_file(name: str, data: bytes) -> tuple[object | None, list[str] | None, str | None]:
    """(parsed JSON, a bare array's element texts, None), or (None, None, why it cannot be read)."""
    try:
        payload, texts = loads_with_texts(data)
    except json.JSONDecodeError as exc:
        return None, None, f"{name}: not valid JSON ({exc.msg} at byte {exc.pos})"
    except UnicodeDecodeError:
        return None, None, f"{name}: not UTF-8 text"
    return payload, texts, None


def _members(path: Path, names: set[str]) -> Iterator[tuple[str, bytes]]:
    """(base name, bytes) of the wanted files of a folder or tarball, in archive order.

    A tarball is read as a stream, once, and only as far as the last wanted file, by a thread that
    stays a few files ahead of the reader (decompressing releases the GIL, so it overlaps parsing).
    """
    if path.is_dir():
        for name in sorted(names):
            candidate = path / name
            if candidate.is_file():
                yield name, candidate.read_bytes()
        return
    try:
        yield from _read_ahead(_tar_members(path, names))
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise ArchiveError(f"{path.name}: unreadable archive ({exc})") from exc


def _tar_members(path: Path, names: set[str]) -> Iterator[tuple[str, bytes]]:
    remaining = set(names)
    with tarfile.open(path, "r|*") as tar:
        for member in tar:
            name = PurePosixPath(member.name).name
            if member.isfile() and name in remaining:
                handle = tar.extractfile(member)
                yield name, handle.read() if handle else b""
                remaining.discard(name)
                if not remaining:
                    return


_END = object()


def _read_ahead(items: Iterator, depth: int = 8) -> Iterator:
    """``items``, produced by a thread up to ``depth`` ahead of the consumer; its errors are raised to
    the consumer, and a consumer that stops early stops the thread."""
    ahead: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item) -> bool:
        while not stop.is_set():
            try:
                ahead.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put(item):
                    return
            put(_END)
        except BaseException as exc:  # handed to the consumer, raised there
            put(exc)
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()

    thread = threading.Thread(target=produce, name="archive-read-ahead", daemon=True)
    thread.start()
    try:
        while (item := ahead.get()) is not _END:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join()
