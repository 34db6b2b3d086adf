"""Shared test setup: no test sees the developer's token, base URL, poll interval or proxies."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("REPLICATE_API_TOKEN", "REPLICATE_BASE_URL", "REPLICATE_POLL_INTERVAL"):
        monkeypatch.delenv(name, raising=False)
    # The client honours proxy variables as httpx does: tests talk to 127.0.0.1 directly.
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """After the tests, the parity harness's scenario count and outcome (tests/parity)."""
    from parity.report import summarize

    summarize(terminalreporter)
