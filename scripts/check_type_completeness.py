"""Fail when `pyright --verifytypes replicate` scores the public API below a threshold.

Usage: python scripts/check_type_completeness.py [MIN_PERCENT]  (default 95)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys


def completeness() -> float:
    """The type completeness of the installed `replicate` package, from 0 to 100."""
    # verifytypes exits 1 whenever any symbol is incomplete: the score is what matters here.
    result = subprocess.run(
        [sys.executable, "-m", "pyright", "--verifytypes", "replicate", "--ignoreexternal", "--outputjson"],
        # verifytypes finds the package through the `python` on PATH: make it this interpreter.
        env={**os.environ, "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")},
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        report = json.loads(result.stdout)
        return float(report["typeCompleteness"]["completenessScore"]) * 100
    except (ValueError, KeyError, TypeError):
        sys.exit(f"pyright --verifytypes gave no score:\n{result.stdout}{result.stderr}")


def main() -> None:
    minimum = float(sys.argv[1]) if len(sys.argv) > 1 else 95.0
    score = completeness()
    print(f"type completeness: {score:.1f}% (minimum {minimum:g}%)")
    if score < minimum:
        sys.exit(f"type completeness {score:.1f}% is below {minimum:g}%: see pyright --verifytypes replicate")


if __name__ == "__main__":
    main()
