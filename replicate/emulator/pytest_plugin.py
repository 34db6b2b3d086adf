"""A pytest fixture that runs the emulator for a test.

Enable it with ``pytest_plugins = ["replicate.emulator.pytest_plugin"]`` in a
conftest.py (or via the package's ``pytest11`` entry point), then::

    def test_hello(replicate_emulator):
        import replicate
        assert replicate.run("replicate/hello-world", input={"text": "x"}) == "hello x"
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

import pytest

if TYPE_CHECKING:
    from .emulator import Emulator


@pytest.fixture
def replicate_emulator(monkeypatch: pytest.MonkeyPatch) -> Iterator[Emulator]:
    """A started emulator; ``REPLICATE_API_TOKEN``/``REPLICATE_BASE_URL`` point at it."""
    from .emulator import Emulator  # imported lazily: loading the plugin stays cheap

    emulator = Emulator().start()
    monkeypatch.setenv("REPLICATE_API_TOKEN", emulator.token or "")
    monkeypatch.setenv("REPLICATE_BASE_URL", emulator.base_url)
    try:
        yield emulator
    finally:
        emulator.stop()
