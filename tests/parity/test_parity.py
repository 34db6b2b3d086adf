"""Differential parity: each catalog scenario runs under replicate 1.0.7 and under this package.

Both runs talk to the same scripted fake API (tests/parity/runner.py). Per scenario the records
must be equal: requests sent, results, exception and warnings. A scenario tagged with an entry
of intended.INTENDED must differ (a stale tag fails). The scenarios are run a batch per
subprocess, once per batch and interpreter, and compared one test item per scenario.
"""

from __future__ import annotations

import difflib
import json
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import pytest

from .catalog import CATALOG
from .intended import INTENDED

ROOT = Path(__file__).resolve().parents[2]
RUNNER = Path(__file__).with_name("runner.py")
V0_VERSION = "1.0.7"
BATCHES = 6

Records = Dict[str, Dict[str, Any]]
PARTS = ("requests", "results", "raised", "warnings")


def v0_python() -> Path:
    """The interpreter with the genuine replicate 1.0.7 (REPLICATE_V0_PYTHON overrides)."""
    return Path(os.environ.get("REPLICATE_V0_PYTHON") or ROOT / ".venv-v0" / "bin" / "python")


def _v0_problem() -> Optional[str]:
    python = v0_python()
    if not python.exists():
        return f"the v0 venv could not be built ({python} is missing; `make test` builds it from the registry)"
    probe = subprocess.run(
        [str(python), "-I", "-c", "import replicate.__about__ as a; print(a.__version__)"],
        capture_output=True, text=True, timeout=60, check=False,
    )
    found = probe.stdout.strip()
    if probe.returncode != 0 or found != V0_VERSION:
        return f"the v0 venv could not be built ({python} has no replicate=={V0_VERSION}: {found or probe.stderr[-200:]})"
    return None


def batch_of(index: int) -> int:
    return index * BATCHES // len(CATALOG)


_V0_PROBLEM: List[Optional[str]] = []
_RESULTS: Dict[int, Tuple[Records, Records, str]] = {}


def _run(python: str, scenarios_file: str) -> Tuple[Records, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("REPLICATE_", "PYTHON"))}
    with tempfile.TemporaryDirectory() as workdir:
        done = subprocess.run(
            [python, "-I", str(RUNNER), scenarios_file], capture_output=True, text=True,
            cwd=workdir, env=env, timeout=600, check=False,
        )
    records = {}
    for line in done.stdout.splitlines():
        record = json.loads(line)
        records[record["id"]] = record
    return records, done.stderr[-3000:]


def batch_records(batch: int) -> Tuple[Records, Records, str]:
    if not _V0_PROBLEM:
        _V0_PROBLEM.append(_v0_problem())
    if _V0_PROBLEM[0]:
        pytest.skip(_V0_PROBLEM[0])
    if batch not in _RESULTS:
        scenarios = [s for i, s in enumerate(CATALOG) if batch_of(i) == batch]
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
            json.dump(scenarios, handle)
        try:
            with ThreadPoolExecutor(2) as pool:
                v0_run = pool.submit(_run, str(v0_python()), handle.name)
                ours_run = pool.submit(_run, sys.executable, handle.name)
                (v0, v0_err), (ours, ours_err) = v0_run.result(), ours_run.result()
        finally:
            os.unlink(handle.name)
        _RESULTS[batch] = (v0, ours, f"v0 stderr: {v0_err}\nours stderr: {ours_err}")
    return _RESULTS[batch]


def comparable(record: Dict[str, Any]) -> Dict[str, Any]:
    return {part: record.get(part) for part in PARTS}


def readable_diff(v0: Dict[str, Any], ours: Dict[str, Any]) -> str:
    left = json.dumps(comparable(v0), indent=1, sort_keys=True).splitlines()
    right = json.dumps(comparable(ours), indent=1, sort_keys=True).splitlines()
    diff = "\n".join(difflib.unified_diff(left, right, "replicate 1.0.7", "this package", lineterm="", n=2))
    trace = ours.get("traceback") or v0.get("traceback") or ""
    return f"{diff}\n{trace}"


def _params() -> List[Any]:
    params = []
    for index, scenario in enumerate(CATALOG):
        marks = [pytest.mark.xdist_group(f"parity-{batch_of(index)}")]
        if scenario.get("pending"):
            marks.append(pytest.mark.xfail(strict=True, reason=f"pending: {scenario['pending']}"))
        params.append(pytest.param(index, id=scenario["id"], marks=marks))
    return params


@pytest.mark.parametrize("index", _params())
def test_scenario_behaves_as_v0(index: int) -> None:
    scenario = CATALOG[index]
    v0_records, our_records, stderr = batch_records(batch_of(index))
    name = scenario["id"]
    assert name in v0_records and name in our_records, f"a runner crashed before {name}:\n{stderr}"
    v0, ours = v0_records[name], our_records[name]
    differing = {part for part in PARTS if v0.get(part) != ours.get(part)}
    tag = scenario.get("intended")
    if not tag:
        assert not differing, f"{name} differs from replicate 1.0.7:\n" + readable_diff(v0, ours)
        return
    assert tag in INTENDED, f"{name} names {tag!r}, which is not in intended.INTENDED"
    assert differing, f"{name} is tagged {tag!r} but behaves exactly as replicate 1.0.7: drop the tag"
    unexpected = differing - set(INTENDED[tag].parts)
    assert not unexpected, (
        f"{name} differs in {sorted(unexpected)}, beyond what {tag!r} allows:\n" + readable_diff(v0, ours)
    )


def test_catalog_is_large_and_well_formed() -> None:
    ids = [scenario["id"] for scenario in CATALOG]
    assert len(ids) == len(set(ids))
    assert len(ids) >= 300, len(ids)
    used = {scenario.get("intended") for scenario in CATALOG}
    unused = [key for key in INTENDED if key not in used]
    assert not unused, f"intended differences no scenario demonstrates: {unused}"
