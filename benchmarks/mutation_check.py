"""Does the test suite catch deliberate breakages of the code it guards?

Each mutation below is a breakage an audit found the suite once let through (issue 22): one or more
exact text substitutions in the package. The script copies the repository (without ``.git``) to a
temporary folder, runs the relevant tests on the unbroken copy first (they must pass), then for each
mutation applies its substitutions, runs its tests against the copy (``PYTHONPATH`` and the working
folder pointing at the copy, so the CLI's subprocesses run the broken code too), restores the files,
and prints whether the tests caught it: CAUGHT (a test failed), MISSED (all passed, or no test was
selected) or ERROR (pytest could not run them). A substitution whose text is not found exactly once is
an error of this script: the code moved, so the mutation must be updated, not silently skipped.

``--tests-from DIR`` takes ``clutch_pipeline_tests`` from another checkout (e.g. ``/work/main`` before
the tests were strengthened) while the package stays this one's, to show what those tests miss.

    /work/main/.venv/bin/python benchmarks/mutation_check.py [--only NAME ...] [--tests-from DIR]

Exit status 0 when every mutation was caught.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STORE = "clutch_pipeline/db/store.py"
WEBHOOKS = "clutch_pipeline/whoop/webhooks.py"
PRIVACY_TESTS = ("clutch_pipeline_tests/whoop/test_privacy.py",)
WEBHOOK_TESTS = ("clutch_pipeline_tests/whoop/test_webhooks.py",)
CLI_REVOKE_TESTS = ("clutch_pipeline_tests/whoop/test_cli_whoop.py", "-k", "revoke")


@dataclass(frozen=True)
class Mutation:
    name: str
    substitutions: tuple[tuple[str, str, str], ...]  # (file, old text, new text)
    tests: tuple[str, ...]  # pytest arguments: test files, optionally -k EXPRESSION


def _sub(file: str, old: str, new: str) -> tuple[tuple[str, str, str], ...]:
    return ((file, old, new),)


MUTATIONS: tuple[Mutation, ...] = (
    # -- Revocation: each table of the privacy list, for the athlete revoked and for no one else ---------
    Mutation(
        "revoke: webhook events statement matches no rows",
        _sub(
            STORE, 'whoop_user_id::text = %(whoop_user)s"', 'whoop_user_id::text = %(whoop_user)s AND FALSE"'
        ),
        PRIVACY_TESTS,
    ),
    Mutation(
        "revoke: clutch scores statement matches no rows",
        _sub(STORE, "WHERE player_id = %(player)s AND has_wearables_data", "WHERE FALSE"),
        PRIVACY_TESTS,
    ),
    Mutation(
        "revoke: clutch scores keep wearables_quality_score",
        _sub(
            STORE,
            "day_strain_pregame = NULL, wearables_quality_score = NULL,\n"
            "            has_wearables_data = FALSE\n        WHERE player_id",
            "day_strain_pregame = NULL,\n            has_wearables_data = FALSE\n        WHERE player_id",
        ),
        PRIVACY_TESTS,
    ),
    Mutation(
        "revoke: sync state statement matches no rows",
        _sub(STORE, "wearables_sync_state WHERE device_id = %(device)s", "wearables_sync_state WHERE FALSE"),
        PRIVACY_TESTS,
    ),
    Mutation(
        "revoke: readings statement matches no rows (the raw records' cascade still removes them)",
        _sub(STORE, "wearables_readings WHERE player_id = %(player)s", "wearables_readings WHERE FALSE"),
        PRIVACY_TESTS,
    ),
    Mutation(
        "revoke: readings statement misses some of his readings (the cascade removes them)",
        _sub(
            STORE,
            'wearables_readings WHERE player_id = %(player)s"',
            "wearables_readings WHERE player_id = %(player)s AND metric_type <> 'recovery_score'\"",
        ),
        PRIVACY_TESTS,
    ),
    Mutation(
        "revoke: daily summaries of every athlete deleted",
        _sub(
            STORE,
            "wearables_daily_summary WHERE player_id = %(player)s",
            "wearables_daily_summary WHERE player_id = %(player)s OR TRUE",
        ),
        PRIVACY_TESTS,
    ),
    # -- Retention ---------------------------------------------------------------------------------------
    Mutation(
        "retention: readings statement matches no rows (cascade from raw records remains)",
        _sub(STORE, "AND r.reading_timestamp <", "AND FALSE AND r.reading_timestamp <"),
        PRIVACY_TESTS,
    ),
    Mutation(
        "retention: a webhook event exactly at the cutoff is deleted (< becomes <=)",
        _sub(STORE, "AND e.received_at < %(now)s", "AND e.received_at <= %(now)s"),
        PRIVACY_TESTS,
    ),
    Mutation(
        "retention: a feature exactly at the cutoff is deleted (< becomes <=)",
        _sub(STORE, "AND f.as_of_date < (", "AND f.as_of_date <= ("),
        PRIVACY_TESTS,
    ),
    Mutation(
        "retention: daily summaries aged by any device's retention, not their own",
        _sub(STORE, "WHERE s.device_id = d.device_id", "WHERE TRUE"),
        PRIVACY_TESTS,
    ),
    Mutation(
        "retention: clutch scores statement matches no rows",
        _sub(STORE, "WHERE s.has_wearables_data AND s.player_id", "WHERE FALSE AND s.player_id"),
        PRIVACY_TESTS,
    ),
    # -- clutch whoop revoke -----------------------------------------------------------------------------
    Mutation(
        "cli: revoke reports a revoked athlete as having no device",
        _sub("clutch_pipeline/cli/whoop.py", "if revoked is None:", "if revoked is not None:"),
        CLI_REVOKE_TESTS,
    ),
    Mutation(
        "cli: revoke does not say what it deleted",
        _sub("clutch_pipeline/cli/whoop.py", "in revoked.rows_deleted.items())", "in {}.items())"),
        CLI_REVOKE_TESTS,
    ),
    # -- Webhook guards ----------------------------------------------------------------------------------
    Mutation(
        "webhooks: no abs() in the age check (a timestamp from the future passes)",
        _sub(WEBHOOKS, "if abs(age) > tolerance", "if age > tolerance"),
        WEBHOOK_TESTS,
    ),
    Mutation(
        "webhooks: the tolerance's bound itself refused (> becomes >=)",
        _sub(WEBHOOKS, "if abs(age) > tolerance", "if abs(age) >= tolerance"),
        WEBHOOK_TESTS,
    ),
    Mutation(
        "webhooks: one millisecond past the tolerance accepted",
        _sub(WEBHOOKS, "tolerance.total_seconds() * 1000:", "tolerance.total_seconds() * 1000 + 1:"),
        WEBHOOK_TESTS,
    ),
    Mutation(
        "webhooks: an empty client secret is not refused",
        _sub(WEBHOOKS, "    if not secret:\n", "    if False:\n"),
        WEBHOOK_TESTS,
    ),
    Mutation(
        "webhooks: signature over body + timestamp (not WHOOP's timestamp + body)",
        _sub(WEBHOOKS, "timestamp.encode() + body", "body + timestamp.encode()"),
        WEBHOOK_TESTS,
    ),
    Mutation(
        "webhooks: signature as hex, not base64",
        _sub(WEBHOOKS, "return base64.b64encode(digest).decode()", "return digest.hex()"),
        WEBHOOK_TESTS,
    ),
    # -- Smaller -----------------------------------------------------------------------------------------
    Mutation(
        "nba: no abs() in the clutch rule's margin",
        _sub("clutch_pipeline/nba/clutch.py", "and abs(margin_before) <=", "and margin_before <="),
        ("clutch_pipeline_tests/nba/test_clutch.py",),
    ),
    Mutation(
        "nba: no abs() in a window's intensity",
        _sub(
            "clutch_pipeline/nba/clutch.py",
            "min(abs(margin), CLUTCH_MARGIN + 1)",
            "min(margin, CLUTCH_MARGIN + 1)",
        ),
        ("clutch_pipeline_tests/nba/test_clutch.py",),
    ),
    Mutation(
        "nba: a failed game's run fails without its reason",
        _sub(
            "clutch_pipeline/nba/assets.py",
            "raise dg.Failure(description=next(iter(report.failed.values())),",
            'raise dg.Failure(description="load failed",',
        ),
        ("clutch_pipeline_tests/nba/test_assets.py", "-k", "fails_with_the_reason"),
    ),
    Mutation(
        "consent: an expired state's code is exchanged and stored before the 400",
        (
            (
                "clutch_pipeline/whoop/consent.py",
                "    if player_id is None:\n"
                '        raise InvalidState("unknown, expired or already used state")\n',
                "    refused = player_id is None\n"
                "    if refused:\n"
                '        row = conn.execute("SELECT player_id FROM whoop_oauth_states"\n'
                '                           " WHERE state = %s", (state,))\n'
                "        player_id = row.fetchone()[0]\n",
            ),
            (
                "clutch_pipeline/whoop/consent.py",
                "    return Authorization(device_id,",
                '    if refused:\n        raise InvalidState("expired")\n    return Authorization(device_id,',
            ),
        ),
        ("clutch_pipeline_tests/whoop/test_consent_service.py", "-k", "expired"),
    ),
)


def copy_repository(tests_from: Path | None) -> Path:
    """The repository in a temporary folder (no .git, no caches); its tests from ``tests_from``."""
    target = Path(tempfile.mkdtemp(prefix="clutch-mutants-")) / "repo"
    ignore = shutil.ignore_patterns(".git", ".venv", "__pycache__", "*.egg-info", ".ruff_cache")
    shutil.copytree(ROOT, target, ignore=ignore)
    if tests_from is not None:
        shutil.rmtree(target / "clutch_pipeline_tests")
        shutil.copytree(tests_from / "clutch_pipeline_tests", target / "clutch_pipeline_tests", ignore=ignore)
    return target


def run_tests(copy: Path, args: tuple[str, ...]) -> tuple[int, float, str]:
    """pytest on the copy: (exit status, seconds, the last line of its summary)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLUTCH_", "DAGSTER_"))}
    env |= {"PYTHONPATH": str(copy), "CLUTCH_HOME": str(copy.parent / "clutch-home")}
    command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider"]
    command += ["--basetemp", str(copy.parent / "pytest"), *args]
    started = time.monotonic()
    done = subprocess.run(command, cwd=copy, env=env, capture_output=True, text=True, timeout=1800)
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    return done.returncode, time.monotonic() - started, lines[-1] if lines else done.stderr.strip()[-200:]


def apply(copy: Path, mutation: Mutation) -> dict[Path, str]:
    """Apply the substitutions; the files' original texts, to restore them."""
    originals: dict[Path, str] = {}
    for file, old, new in mutation.substitutions:
        path = copy / file
        if path not in originals:
            originals[path] = path.read_text()
        text = path.read_text()
        if text.count(old) != 1:
            raise SystemExit(f"{mutation.name}: {old!r} occurs {text.count(old)} times in {file}, not once")
        path.write_text(text.replace(old, new))
    return originals


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", default=(), help="Mutations whose name contains any of these.")
    parser.add_argument("--tests-from", type=Path, help="A checkout whose clutch_pipeline_tests to run.")
    args = parser.parse_args()
    chosen = [m for m in MUTATIONS if not args.only or any(word in m.name for word in args.only)]
    copy = copy_repository(args.tests_from)
    try:
        files = tuple(dict.fromkeys(arg for m in chosen for arg in m.tests if arg.endswith(".py")))
        status, seconds, summary = run_tests(copy, files)
        print(f"unbroken code: {summary} ({seconds:.0f} s)")
        if status != 0:
            print("the tests fail on the unbroken code: nothing to compare against")
            return 1
        missed = 0
        for mutation in chosen:
            originals = apply(copy, mutation)
            try:
                status, seconds, summary = run_tests(copy, mutation.tests)
            finally:
                for path, text in originals.items():
                    path.write_text(text)
            # 5: no test was selected, so none could catch it
            verdict = {0: "MISSED", 1: "CAUGHT", 5: "MISSED"}.get(status, f"ERROR (pytest exit {status})")
            missed += verdict != "CAUGHT"
            print(f"{verdict:7} {mutation.name}  [{summary}; {seconds:.0f} s]", flush=True)
        print(f"{len(chosen) - missed} of {len(chosen)} mutations caught")
        return 0 if missed == 0 else 1
    finally:
        shutil.rmtree(copy.parent, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
