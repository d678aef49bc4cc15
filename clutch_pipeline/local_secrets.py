"""Secrets generated once under ``CLUTCH_HOME`` for local use: the WHOOP token key, the API key of
``clutch serve`` and the pages' session key. A deployment sets each from its secret store (the
settings say which variable), and these files are never read then."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)


def write_private(path: Path, text: str) -> None:
    """Create ``path`` (mode 600) with ``text``, whole or not at all; when another process created it
    first, keep theirs (two commands starting at once agree on one secret)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    try:
        os.link(temporary, path)  # fails if another process wrote the file first: keep theirs
    except FileExistsError:
        pass
    finally:
        temporary.unlink(missing_ok=True)


def local_secret_lines(path: Path, generate: Callable[[], str], setting: str) -> tuple[str, ...]:
    """The non-empty lines of ``path``, written first with one ``generate()`` when it does not exist
    (logged once, with the path and the setting that would replace it, never the secret)."""
    if not path.exists():
        write_private(path, generate() + "\n")
        log.warning("%s is unset: generated a local key in %s", setting, path)
    return tuple(line.strip() for line in path.read_text().splitlines() if line.strip())
