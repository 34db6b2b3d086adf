"""A pytest fixture that runs the emulator for a test.

It is opt-in, so it never loads in other people's test runs: enable it with
``pytest_plugins = ["replicate.emulator.pytest_plugin"]`` in a conftest.py, then::

    def test_hello(emulator):                # or replicate_emulator
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
    """A started emulator; ``REPLICATE_API_TOKEN``/``REPLICATE_BASE_URL`` and the module-level
    API (``replicate.run``, ...) point at it for the test."""
    import replicate

    from .emulator import Emulator  # imported lazily: loading the plugin stays cheap

    emulator = Emulator().start()
    monkeypatch.setenv("REPLICATE_API_TOKEN", emulator.token or "")
    monkeypatch.setenv("REPLICATE_BASE_URL", emulator.base_url)
    # A default client made earlier would still point elsewhere: give the test a fresh one.
    monkeypatch.setitem(vars(replicate), "default_client", emulator.client())
    try:
        yield emulator
    finally:
        emulator.stop()


@pytest.fixture
def emulator(replicate_emulator: Emulator) -> Emulator:
    """The same fixture under its short name."""
    return replicate_emulator
