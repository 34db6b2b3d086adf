"""The opt-in pytest fixture and the command-line runner point ordinary code at the emulator."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import replicate
from replicate.emulator.pytest_plugin import emulator, replicate_emulator  # noqa: F401

REPO = Path(__file__).resolve().parents[1]


def test_fixture_points_the_module_level_api_at_the_emulator(emulator) -> None:  # noqa: F811
    assert replicate.run("replicate/hello-world", input={"text": "x"}) == "hello x"
    assert emulator.stats.predictions_created == 1
    assert emulator.client().accounts.current().username


def test_command_runs_against_the_emulator_and_returns_its_exit_code(tmp_path: Path) -> None:
    script = tmp_path / "script.py"
    script.write_text(
        textwrap.dedent(
            """
            import replicate, sys
            print(replicate.run("replicate/hello-world", input={"text": "cli"}))
            sys.exit(3)
            """
        )
    )
    result = subprocess.run(
        [sys.executable, "-m", "replicate.emulator", "--port", "0", "--", sys.executable, str(script)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
    )
    assert "hello cli" in result.stdout
    assert result.returncode == 3


def test_quickstart_runs_as_make_demo_runs_it(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "replicate.emulator", "--port", "0", "--", sys.executable, str(REPO / "examples" / "quickstart.py")],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,  # the image is saved here
    )
    assert result.returncode == 0, result.stderr
    assert "hello world" in result.stdout
    assert "succeeded: finished 10 steps" in result.stdout
    assert "ModelError from prediction" in result.stdout
    assert (tmp_path / "quickstart-image.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
