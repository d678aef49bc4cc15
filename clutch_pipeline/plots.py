"""Plots for materialization metadata: PNG images a person reads in the Dagster UI.

Dagster's open-source UI renders markdown metadata, images included, so a plot travels as a PNG in a
data URL inside a markdown value (``png_markdown``; the assets wrap it in ``MetadataValue.md``).
matplotlib comes with ArviZ; the Agg backend needs no display.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence


def new_figure(width: float = 6.0, height: float = 3.2):
    """A matplotlib figure and its axes, drawn off screen."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    return plt.subplots(figsize=(width, height), dpi=100)


def figure_png(fig) -> bytes:
    """The figure as PNG bytes; the figure is closed (pyplot keeps every open one alive)."""
    from matplotlib import pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()


def png_markdown(png: bytes, alt: str) -> str:
    """A PNG as markdown the Dagster UI shows as an image."""
    encoded = base64.b64encode(png).decode("ascii")
    return f"![{alt}](data:image/png;base64,{encoded})"


def histogram_png(values: Sequence[float], *, title: str, xlabel: str, bins: int = 30) -> bytes:
    """A histogram of ``values`` (an empty list draws an empty, labelled frame)."""
    fig, ax = new_figure()
    if len(values):
        ax.hist(values, bins=bins, color="#3b6ea5", edgecolor="white")
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("count")
    return figure_png(fig)


def line_png(series: dict[str, tuple[Sequence, Sequence[float]]], *, title: str, ylabel: str) -> bytes:
    """One line per named series of (x, y) points."""
    fig, ax = new_figure()
    for name, (x, y) in series.items():
        ax.plot(x, y, marker="o", markersize=2, label=name)
    if series:
        ax.legend()
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    fig.autofmt_xdate()
    return figure_png(fig)
