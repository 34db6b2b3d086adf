"""The documentation and the packaging say what the package is: checks that keep them honest."""

from __future__ import annotations

import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, Iterator, List, Set

import pytest
import yaml

import replicate

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs"


def read(relative: str) -> str:
    return (REPO / relative).read_text(encoding="utf-8")


def runtime_dependencies() -> Set[str]:
    """The names in pyproject's `dependencies`, as the installed metadata records them."""
    names = set()
    for requirement in importlib.metadata.requires("replicate") or []:
        if "extra ==" not in requirement:
            names.add(re.match(r"[A-Za-z0-9._-]+", requirement).group(0).lower())  # type: ignore[union-attr]
    return names


@pytest.mark.parametrize("page", ["README.md", "docs/getting-started.md"])
def test_the_dependency_list_matches_pyproject(page: str) -> None:
    sentence = re.search(r"runtime dependencies are exactly (\w+)[:,]? ([^.]+)\.", read(page), re.I | re.S)
    assert sentence is not None, f"{page} lists no runtime dependencies"
    listed = {
        re.sub(r"\s*\(.*?\)", "", name).strip().lower()
        for name in re.split(r",\s*|\s+and\s+", " ".join(sentence.group(2).split()))
    }
    expected = runtime_dependencies()
    assert listed == expected
    count = sentence.group(1).lower()
    if not count.isdigit():
        count = str(["zero", "one", "two", "three", "four", "five", "six", "seven"].index(count))
    assert int(count) == len(expected)


def test_install_instructions_install_this_package_not_pypis() -> None:
    for page in ["README.md", *(str(page.relative_to(REPO)) for page in DOCS.rglob("*.md"))]:
        # `pip install replicate` would fetch the official client from PyPI.
        assert not re.search(r'^\s*pip install "?replicate\b', read(page), re.M), page
    for page in ["README.md", "docs/index.md", "docs/getting-started.md"]:
        assert re.search(r"^\s*pip install \.", read(page), re.M), page


def test_license_is_the_apache_2_license_pyproject_declares() -> None:
    license_text = read("LICENSE")
    assert "Apache License" in license_text and "Version 2.0, January 2004" in license_text
    assert "END OF TERMS AND CONDITIONS" in license_text
    assert re.search(r'^license = "Apache-2.0"$', read("pyproject.toml"), re.M)


def test_changelog_follows_keep_a_changelog_and_names_the_current_version() -> None:
    changelog = read("CHANGELOG.md")
    assert changelog.startswith("# Changelog\n")
    assert "Keep a Changelog" in changelog
    releases = re.findall(r"^## \[([^\]]+)\](?: - (\d{4}-\d{2}-\d{2}))?$", changelog, re.M)
    assert releases, "no release headings"
    versions = [version for version, _ in releases if version != "Unreleased"]
    assert versions[0] == replicate.__version__
    sections = set(re.findall(r"^### (\w+)$", changelog, re.M))
    assert sections <= {"Added", "Changed", "Deprecated", "Removed", "Fixed", "Security"}
    assert "v0" in changelog.split("\n## ")[1 if releases[0][0] != "Unreleased" else 2]


def nav_pages(nav: Any) -> Iterator[str]:
    if isinstance(nav, str):
        yield nav
    elif isinstance(nav, list):
        for item in nav:
            yield from nav_pages(item)
    elif isinstance(nav, dict):
        for value in nav.values():
            yield from nav_pages(value)


def mkdocs_config() -> Dict[str, Any]:
    config: Dict[str, Any] = yaml.safe_load(read("mkdocs.yml"))
    return config


def test_every_docs_page_is_in_the_nav_and_every_nav_entry_exists() -> None:
    listed = list(nav_pages(mkdocs_config()["nav"]))
    on_disk = sorted(str(path.relative_to(DOCS)) for path in DOCS.rglob("*.md"))
    assert sorted(listed) == on_disk


def test_the_site_builds_without_network() -> None:
    config = mkdocs_config()
    assert config["theme"]["font"] is False  # no web fonts
    plugins = [next(iter(p)) if isinstance(p, dict) else p for p in config["plugins"]]
    assert plugins == ["search", "mkdocstrings"]
    python_handler = config["plugins"][1]["mkdocstrings"]["handlers"]["python"]
    assert "inventories" not in python_handler and "import" not in python_handler


PUBLIC_MODULES = sorted(
    ["replicate." + name for name in replicate._SUBMODULES]  # type: ignore[attr-defined]
    + ["replicate._sdk", "replicate.emulator", "replicate.emulator.pytest_plugin", "replicate.search"]
)


def documented_modules() -> Set[str]:
    found = set()
    for page in (DOCS / "reference").glob("*.md"):
        found |= set(re.findall(r"^::: ([\w.]+)$", page.read_text(encoding="utf-8"), re.M))
    return found


@pytest.mark.parametrize("module", PUBLIC_MODULES)
def test_every_public_module_has_an_api_reference_page(module: str) -> None:
    assert module in documented_modules()


def test_the_migration_page_includes_the_readmes_list_of_fixes() -> None:
    readme = read("README.md")
    start = readme.index("<!-- --8<-- [start:what-it-fixes] -->")
    end = readme.index("<!-- --8<-- [end:what-it-fixes] -->")
    assert readme.rindex("\n## ", 0, start) == readme.index("\n## What it fixes\n")
    assert "\n- " in readme[start:end]  # the list itself is checked by tests/parity/test_intended_list.py
    assert '--8<-- "README.md:what-it-fixes"' in (DOCS / "migrating.md").read_text(encoding="utf-8")


def test_every_example_is_shown_on_the_examples_page() -> None:
    page = (DOCS / "examples.md").read_text(encoding="utf-8")
    for script in sorted((REPO / "examples").glob("*.py")):
        assert f'--8<-- "examples/{script.name}"' in page, script.name


make = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")


def make_venv(venv: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "-C", str(REPO), *args, f"VENV={venv}", "venv"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "MAKEFLAGS": ""},
    )


def interpreter_id() -> str:
    """What the Makefile records for the interpreter that runs this test."""
    return f"{sys.version.split()[0]} {sys.executable}"


@make
def test_make_venv_keeps_a_venv_made_by_the_same_interpreter(tmp_path: Path) -> None:
    stamp = tmp_path / ".installed"
    stamp.write_text(interpreter_id() + "\n")
    future = time.time() + 60  # newer than pyproject.toml and the requirements
    os.utime(stamp, (future, future))
    result = make_venv(tmp_path, "-q", f"PYTHON={sys.executable}")
    assert result.returncode == 0, result.stdout + result.stderr


@make
def test_make_venv_rebuilds_a_venv_made_by_another_interpreter(tmp_path: Path) -> None:
    stamp = tmp_path / ".installed"
    stamp.write_text("3.0.1 /opt/python3.0/bin/python3\n")
    future = time.time() + 60
    os.utime(stamp, (future, future))
    assert make_venv(tmp_path, "-q", f"PYTHON={sys.executable}").returncode == 1  # out of date
    dry_run = make_venv(tmp_path, "-n", f"PYTHON={sys.executable}")
    assert f"{sys.executable} -m venv {tmp_path}" in dry_run.stdout
    assert f'echo "{interpreter_id()}" > {stamp}' in dry_run.stdout


@make
def test_make_venv_names_an_interpreter_that_does_not_exist(tmp_path: Path) -> None:
    result = make_venv(tmp_path / "venv", "PYTHON=python-that-does-not-exist")
    assert result.returncode != 0
    assert "python-that-does-not-exist: no such Python interpreter" in result.stderr
    assert not (tmp_path / "venv").exists()


def test_ci_runs_the_tests_then_builds_the_docs() -> None:
    steps: List[str] = [line for line in read(".ci/run").splitlines() if line.startswith("make ")]
    assert steps.index("make test") < steps.index("make docs")


def python_blocks(page: Path) -> Iterator[str]:
    """The ```python blocks of a Markdown page (indented ones too, as in tabs), dedented."""
    text = page.read_text(encoding="utf-8")
    for block in re.finditer(r"^( *)```python\n(.*?)^\1```", text, re.M | re.S):
        indent = len(block.group(1))
        yield "\n".join(line[indent:] for line in block.group(2).splitlines())


PAGES_WITH_CODE = [
    str(page.relative_to(REPO))
    for page in [REPO / "README.md", *sorted(DOCS.rglob("*.md"))]
    if any(python_blocks(page))
]


@pytest.mark.parametrize("page", PAGES_WITH_CODE)
def test_every_python_example_in_the_docs_is_valid_python(page: str) -> None:
    import ast

    for code in python_blocks(REPO / page):
        compile(code, page, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)


def test_the_cli_page_shows_every_command() -> None:
    help_text = subprocess.run(
        [sys.executable, "-m", "replicate", "--help"], capture_output=True, text=True, check=True
    ).stdout
    commands = re.findall(r"^    (\w+)\s", help_text, re.M)
    assert "run" in commands and "predictions" in commands
    page = (DOCS / "cli.md").read_text(encoding="utf-8")
    for command in commands:
        assert f"| `replicate {command}` |" in page, command
