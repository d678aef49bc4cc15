"""Files that live at the project's root (``sql/``, ``dagster.yaml``) wherever the package is installed.

An editable install reads them from the checkout; a wheel carries copies under ``_project/``.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def project_file(name: str) -> Path:
    for base in (PACKAGE_DIR.parent, PACKAGE_DIR / "_project"):
        candidate = base / name
        if candidate.exists():
            return candidate
    raise FileNotFoundError(f"{name} is neither in the checkout nor bundled with the package")
