"""Query results as pandas frames, the two ways the stages read them.

``rows_frame`` fetches rows (small reads: a few thousand rows). ``copy_frame`` moves the rows as CSV by
``COPY ... TO STDOUT`` and parses them with pyarrow: on a season's WHOOP records about half the time of
fetching, which builds Python objects row by row.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import pandas as pd
import psycopg
from psycopg import sql

UTC_TIME = "datetime64[ns, UTC]"


def rows_frame(conn: psycopg.Connection, query, params: dict | Sequence | None = None) -> pd.DataFrame:
    """The query's rows, its column names as the frame's."""
    cursor = conn.execute(query, params)
    return pd.DataFrame(cursor.fetchall(), columns=[c.name for c in cursor.description])


def copy_frame(
    conn: psycopg.Connection,
    query: str,
    params: dict | None = None,
    *,
    times: Sequence[str] = (),
    dates: Sequence[str] = (),
    numbers: Sequence[str] = (),
    bools: Sequence[str] = (),
) -> pd.DataFrame:
    """The query's rows by COPY: every column a string (ids too; NULL as NaN) but ``times`` (UTC),
    ``dates`` (naive midnight), ``numbers`` (floats) and ``bools`` (True/False, NULL kept)."""
    buffer = io.BytesIO()
    statement = sql.SQL("COPY ({}) TO STDOUT WITH (FORMAT csv, HEADER)").format(sql.SQL(query))
    with conn.cursor().copy(statement, params) as copy:
        for block in copy:
            buffer.write(block)
    buffer.seek(0)
    frame = pd.read_csv(buffer, engine="pyarrow", dtype=str)
    for column in times:
        frame[column] = pd.to_datetime(frame[column], utc=True, format="ISO8601").astype(UTC_TIME)
    for column in dates:
        frame[column] = pd.to_datetime(frame[column], format="%Y-%m-%d").astype("datetime64[ns]")
    for column in numbers:
        frame[column] = pd.to_numeric(frame[column]).astype(float)
    for column in bools:
        frame[column] = frame[column].map({"t": True, "f": False}).astype(object)
    return frame
