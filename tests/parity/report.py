"""The parity harness's line in pytest's summary: scenario count and outcome.

Hooked from tests/conftest.py, which the pytest-xdist controller loads (it never collects
tests/parity itself, so a hook here would not run there).
"""

from __future__ import annotations

from typing import Any

from .catalog import CATALOG
from .intended import INTENDED


def summarize(terminalreporter: Any) -> None:
    """Write the parity line when scenarios ran (or were skipped) in this session."""
    stats = terminalreporter.stats
    reports = {key: [r for r in stats.get(key, []) if "test_scenario_behaves_as_v0" in getattr(r, "nodeid", "")]
               for key in ("passed", "failed", "xfailed", "xpassed", "skipped")}
    if not any(reports.values()):
        return
    # A strict xfail that passes is reported as failed: count it as a fix still marked pending.
    fixed = [r for r in reports["failed"] if "XPASS(strict)" in str(r.longrepr)]
    reports["failed"] = [r for r in reports["failed"] if r not in fixed]
    reports["xpassed"] += fixed
    count = {key: len(found) for key, found in reports.items()}
    tagged = sum(1 for scenario in CATALOG if scenario.get("intended"))
    pending = sum(1 for scenario in CATALOG if scenario.get("pending"))
    terminalreporter.write_sep("-", "parity with replicate 1.0.7")
    terminalreporter.write_line(
        f"{len(CATALOG)} scenarios ({tagged} showing one of {len(INTENDED)} intended differences, "
        f"{pending} pending a fix): {count['passed']} as intended, {count['failed']} unintended "
        f"differences, {count['xfailed']} pending, {count['xpassed']} fixed but still marked pending, "
        f"{count['skipped']} skipped"
    )
    if reports["skipped"]:
        longrepr = reports["skipped"][0].longrepr
        reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
        terminalreporter.write_line(f"skipped: {reason}")
