"""The house plan's import rules (../shared/DESIGN.md section 3, docs/architecture.md), checked on every
import in the package: module level and inside functions alike, read from the source (the AST), so a
lazy import cannot hide a wrong arrow."""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

import clutch_pipeline

PACKAGE = Path(clutch_pipeline.__file__).parent
STAGES = ("nba", "whoop", "alignment", "model")
ABOVE_THE_STAGES = ("service", "cli", "main_job", "definitions", "runs")


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every module ``path`` imports, absolute, wherever the import statement is."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = _module_name(path) if path.name == "__init__.py" else _module_name(path).rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


@cache
def import_graph() -> dict[str, set[str]]:
    return {
        _module_name(path): {m for m in _imports(path) if m.startswith("clutch_pipeline")}
        for path in sorted(PACKAGE.rglob("*.py"))
    }


def _area(module: str) -> str | None:
    """The top-level part of the package a module belongs to (``nba``, ``cli``, ``settings``, ...)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


def _violations(importer_areas: tuple[str, ...], forbidden) -> list[str]:
    return sorted(
        f"{module} imports {target}"
        for module, targets in import_graph().items()
        if _area(module) in importer_areas
        for target in targets
        if forbidden(_area(module), _area(target))
    )


def test_the_walk_sees_imports_inside_functions():
    # cli/main.py imports the main job inside the `run` command's function, never at module level.
    assert "clutch_pipeline.main_job" in import_graph()["clutch_pipeline.cli.main"]


def test_neither_the_cli_nor_the_service_imports_the_definitions():
    assert _violations(("cli", "service"), lambda _own, target: target == "definitions") == []


@pytest.mark.parametrize("stage", STAGES)
def test_a_stage_imports_no_other_stage(stage):
    assert _violations((stage,), lambda own, target: target in STAGES and target != own) == []


@pytest.mark.parametrize("stage", STAGES)
def test_a_stage_imports_nothing_above_the_stages(stage):
    assert _violations((stage,), lambda _own, target: target in ABOVE_THE_STAGES) == []


def test_the_service_imports_neither_the_cli_nor_the_main_job_nor_the_run_door():
    forbidden = ("cli", "main_job", "runs")
    assert _violations(("service",), lambda _own, target: target in forbidden) == []


def test_nothing_below_the_cli_imports_the_main_job():
    importers = tuple({_area(m) for m in import_graph()} - {"cli", "main_job", None})
    assert _violations(importers, lambda _own, target: target == "main_job") == []


def test_the_shared_modules_import_no_stage():
    shared = (
        "db",
        "settings",
        "project",
        "http_retry",
        "fault_switches",
        "plots",
        "game_clock",
        "local_secrets",
    )
    assert _violations(shared, lambda _own, target: target in STAGES + ABOVE_THE_STAGES) == []


def test_the_kpis_watch_every_stage_s_tables_and_import_no_stage_nor_anything_above_them():
    """Cross-stage like alerts/ and operations/: tables are the contract, the stages' code is not."""
    assert _violations(("kpis",), lambda _own, target: target in STAGES + ABOVE_THE_STAGES) == []


PURE = (
    "nba.parse",
    "game_clock",
    "nba.clutch",
    "nba.times",
    "nba.shots",
    "nba.schedule",
    "nba.validation",
    "nba.prepare",
    "nba.clutch_rows",
    "whoop.normalize",
    "whoop.budget_plan",
    "whoop.webhooks",
    "model.trace_store",
    "alignment.scores",
    "alignment.features",
    "alignment.pregame",
    "alignment.concurrent",
    "alignment.quality",
    "alignment.summaries",
    "model.data",
    "model.spec",
    "model.compiled",
    "model.sampler",
    "model.exact",
    "model.diagnostics",
    "model.checks",
    "model.holdout",
    "model.predict",
    "model.simulate",
    "model.fit",
    "model.report",
    "model.plots",
    "plots",
    "alerts.conditions",
    "kpis.measure",
)


@pytest.mark.parametrize("module", PURE)
def test_pure_logic_imports_neither_dagster_nor_psycopg(module):
    """Data in, data out: tested with plain values, reused by the CLI, the service and benchmarks."""
    path = PACKAGE.joinpath(*module.split(".")).with_suffix(".py")
    frameworks = sorted(m for m in _imports(path) if m.split(".")[0] in ("dagster", "psycopg"))
    assert frameworks == []


def _environment_writes(path: Path) -> list[str]:
    """Assignments to ``os.environ[...]``, and calls of its mutators or of ``os.putenv``."""
    tree = ast.parse(path.read_text())
    writes = []
    for node in ast.walk(tree):
        targets = node.targets if isinstance(node, ast.Assign) else []
        for target in targets:
            if isinstance(target, ast.Subscript) and ast.unparse(target.value) == "os.environ":
                writes.append(f"{path.name}:{node.lineno}")
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            called = ast.unparse(node.func)
            if called in ("os.putenv", "os.unsetenv") or (
                called.startswith("os.environ.")
                and node.func.attr in ("update", "pop", "setdefault", "clear")
            ):
                writes.append(f"{path.name}:{node.lineno}")
    return writes


def test_only_the_run_door_writes_the_environment_and_only_what_dagster_reads_there():
    writers = {
        _module_name(path): writes for path in PACKAGE.rglob("*.py") if (writes := _environment_writes(path))
    }
    assert set(writers) == {"clutch_pipeline.runs"}
    assert len(writers["clutch_pipeline.runs"]) == 1


def test_only_settings_reads_the_environment():
    readers = sorted(
        _module_name(path)
        for path in PACKAGE.rglob("*.py")
        if any(
            isinstance(node, ast.Attribute) and ast.unparse(node) in ("os.environ", "os.getenv")
            for node in ast.walk(ast.parse(path.read_text()))
        )
    )
    # runs.py: its one write (above); settings.py: every read.
    assert readers == ["clutch_pipeline.runs", "clutch_pipeline.settings"]
