"""The README and docs/: every relative link lands on a file and heading that exist, and the tables the
code generates are the ones the pages show, so the docs cannot drift from the code unnoticed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from clutch_pipeline.project import project_file
from clutch_pipeline.whoop.normalize import _vocabulary_table

README = project_file("README.md")
PAGES = [README, *sorted((README.parent / "docs").glob("*.md"))]
LINK = re.compile(r"\[[^\]]+\]\(([^)\s]+)\)")
FENCE = re.compile(r"^```.*?^```", flags=re.MULTILINE | re.DOTALL)


def _prose(page: Path) -> str:
    """The page without its fenced code blocks (a diagram's brackets are not links)."""
    return FENCE.sub("", page.read_text())


def _anchor(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens."""
    text = heading.strip().lower().replace("`", "")
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    return {_anchor(h) for h in re.findall(r"^#+ (.+)$", _prose(page), flags=re.MULTILINE)}


def _relative_links(page: Path) -> list[str]:
    return [t for t in LINK.findall(_prose(page)) if not re.match(r"[a-z]+:", t)]


def test_the_docs_pages_exist():
    names = {page.name for page in PAGES[1:]}

    assert {"architecture.md", "nba.md", "whoop.md", "operations.md", "benchmarks.md", "testing.md"} <= names


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_relative_link_lands_on_a_file_and_heading_that_exist(page):
    broken = []
    for target in _relative_links(page):
        path, _, anchor = target.partition("#")
        resolved = (page.parent / path).resolve() if path else page
        if not resolved.exists():
            broken.append(f"{target}: no such file")
        elif anchor and resolved.suffix == ".md" and anchor not in _anchors(resolved):
            broken.append(f"{target}: no such heading in {resolved.name}")

    assert broken == []


def test_the_metric_vocabulary_page_shows_the_table_normalize_generates():
    page = (README.parent / "docs" / "whoop-readings.md").read_text()

    assert _vocabulary_table() in page
