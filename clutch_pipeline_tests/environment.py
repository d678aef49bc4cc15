"""Exporting variables for the length of a block: the main job's Dagster runs build their resources from
the environment, as under ``clutch run``, so the tests that run it set the environment it reads."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager


@contextmanager
def exported(environ: Mapping[str, str]) -> Iterator[None]:
    """``environ`` set in ``os.environ`` for the block; each variable back to what it was after it."""
    saved = {name: os.environ.get(name) for name in environ}
    os.environ.update(environ)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
