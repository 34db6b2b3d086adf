"""The CLI, the pytest fixture, same-origin mode and the quickstart demo module."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from urllib.parse import urlsplit

import httpx
import pytest

from replicate.emulator import Emulator
from replicate.emulator.__main__ import parse_args

from .conftest import api_client, parse_sse

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_cli_serves_until_interrupted() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "replicate.emulator", "--port", "0", "--token", "r8_cli"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        lines = []
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            lines.append(line)
            if "Press Ctrl-C" in line or not line:
                break
        output = "".join(lines)
        base_url = re.search(r"REPLICATE_BASE_URL=(\S+)", output).group(1)
        assert "REPLICATE_API_TOKEN=r8_cli" in output
        response = httpx.get(base_url + "/v1/account", headers={"Authorization": "Bearer r8_cli"})
        assert response.status_code == 200
        process.send_signal(signal.SIGINT)
        remaining, _ = process.communicate(timeout=10)
        assert process.returncode == 0
        assert "Emulator stopped." in remaining
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_cli_arguments() -> None:
    args = parse_args(
        ["--port", "0", "--same-origin", "--no-auth", "--no-demo-models", "--max-wait", "5"]
    )
    assert (args.port, args.same_origin, args.no_auth, args.no_demo_models, args.max_wait) == (
        0,
        True,
        True,
        True,
        5,
    )
    with pytest.raises(SystemExit):
        parse_args(["--port", "not-a-number"])


def test_non_loopback_hosts_are_refused() -> None:
    with pytest.raises(ValueError):
        Emulator(host="0.0.0.0")


def test_pytest_fixture_sets_the_environment(replicate_emulator: Emulator) -> None:
    assert os.environ["REPLICATE_BASE_URL"] == replicate_emulator.base_url
    assert os.environ["REPLICATE_API_TOKEN"] == replicate_emulator.token
    response = httpx.get(
        os.environ["REPLICATE_BASE_URL"] + "/v1/account",
        headers={"Authorization": f"Bearer {os.environ['REPLICATE_API_TOKEN']}"},
    )
    assert response.status_code == 200


def test_same_origin_mode(make_emulator) -> None:
    emu = make_emulator(separate_delivery_origin=False)
    assert emu.delivery_url == emu.base_url
    with api_client(emu) as http:
        body = http.post(
            "/v1/predictions",
            json={"version": "replicate/image-maker", "input": {"width": 2, "height": 2}},
            headers={"Prefer": "wait"},
        ).json()
    assert urlsplit(body["output"]).netloc == urlsplit(emu.base_url).netloc
    assert httpx.get(body["output"]).status_code == 200  # no token needed for files
    events = parse_sse(httpx.get(body["urls"]["stream"]).text)
    assert events[-1]["event"] == "done"


def test_context_manager_and_idempotent_stop() -> None:
    with Emulator(demo_models=False) as emu:
        url = emu.base_url
        assert (
            httpx.get(url + "/v1/hardware", headers={"Authorization": "Bearer r8_test"}).status_code
            == 200
        )
    emu.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(url + "/v1/hardware")


def test_demo_module_reports_each_section() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "replicate.emulator.demo"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    for heading in ("== run:", "== stream:", "== files:", "== errors:"):
        assert heading in result.stdout
    assert "sections worked" in result.stdout
