"""The service's pages (the seed's sections 5 and 6): server-rendered HTML from Jinja2 templates, charts
as server-side SVG (``charts.py``), one stylesheet; everything served from the package, nothing from a
CDN. The routes are in ``service/routers/pages.py``; who may see what in ``access.py``."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape

STATIC_DIR = Path(str(files(__name__).joinpath("static")))


def _fixed(value: object, places: int) -> str:
    """A number with ``places`` decimals, or "N/A" for a missing one (the seed's table)."""
    if value is None:
        return "N/A"
    return f"{float(value):.{places}f}"


def environment() -> Environment:
    env = Environment(loader=PackageLoader(__name__, "templates"), autoescape=select_autoescape(["html"]))
    env.filters["fixed"] = _fixed
    return env


TEMPLATES = environment()


def render(name: str, **context: object) -> str:
    return TEMPLATES.get_template(name).render(**context)
