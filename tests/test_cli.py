"""The `replicate` command line, run as a subprocess against the emulator.

Each test reads like a terminal session: given these arguments, the command prints this,
exits with this status, and leaves the emulator in this state.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional

import pytest

from replicate._cli import main
from replicate._cli.inputs import InputError, parse_inputs, parse_value
from replicate._cli.output import FileSaver, Output, _file_name
from replicate.emulator import Emulator

TOKEN = "r8_test"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
HELLO_WORLD = "replicate/hello-world"


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    emulator = Emulator(TOKEN).start()
    yield emulator
    emulator.stop()


@pytest.fixture(scope="module")
def api(emu: Emulator) -> Any:
    """A client for checking what the command line did on the emulator."""
    with emu.client() as client:
        yield client


def environment(emu: Emulator, **overrides: str) -> Dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("REPLICATE_")}
    env.update(
        REPLICATE_API_TOKEN=TOKEN, REPLICATE_BASE_URL=emu.base_url, REPLICATE_POLL_INTERVAL="0.05"
    )
    env.update(overrides)
    return env


@pytest.fixture
def cli(emu: Emulator, tmp_path: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run `python -m replicate ARGS` against the emulator (in tmp_path unless `cwd` is given)."""

    def run(*args: str, cwd: Optional[Path] = None, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "replicate", *args],
            cwd=cwd or tmp_path,
            env=environment(emu, **env),
            capture_output=True,
            text=True,
            timeout=120,
        )

    return run


def json_lines(text: str) -> List[Any]:
    return [json.loads(line) for line in text.splitlines()]


def assert_clean_failure(result: subprocess.CompletedProcess[str], status: int) -> None:
    assert result.returncode == status, result
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("replicate: ") and result.stderr.count("\n") == 1, result.stderr


# --- run --------------------------------------------------------------------------------------


def test_run_prints_text_output_and_nothing_on_stderr_without_a_terminal(cli: Any) -> None:
    result = cli("run", HELLO_WORLD, "text=world")
    assert (result.returncode, result.stdout, result.stderr) == (0, "hello world\n", "")


def test_console_script_runs_hello_world(emu: Emulator, tmp_path: Path) -> None:
    script = Path(sys.executable).with_name("replicate")
    if not script.exists():
        pytest.skip("the console script is not installed in this environment")
    result = subprocess.run(
        [str(script), "run", HELLO_WORLD, "text=world"],
        env=environment(emu),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (result.returncode, result.stdout) == (0, "hello world\n")


def test_run_json_prints_the_prediction(cli: Any, api: Any) -> None:
    result = cli("--json", "run", HELLO_WORLD, "text=json")
    (prediction,) = json_lines(result.stdout)
    assert result.returncode == 0
    assert (prediction["status"], prediction["output"], prediction["input"]) == (
        "succeeded",
        "hello json",
        {"text": "json"},
    )
    assert api.predictions.get(prediction["id"]).output == "hello json"


@pytest.mark.parametrize("ref_form", ["owner/name:version", "version id"])
def test_run_accepts_every_form_of_ref(cli: Any, api: Any, ref_form: str) -> None:
    version = api.models.get(HELLO_WORLD).latest_version.id
    ref = f"{HELLO_WORLD}:{version}" if ref_form == "owner/name:version" else version
    result = cli("run", ref, "text=version")
    assert (result.returncode, result.stdout) == (0, "hello version\n")


def test_run_no_wait_prints_the_id_and_url_at_once(cli: Any, api: Any) -> None:
    result = cli("run", "replicate/slow-progress", "seconds=30", "--no-wait")
    prediction_id, url = result.stdout.splitlines()
    assert result.returncode == 0
    prediction = api.predictions.get(prediction_id)
    assert prediction.status in ("starting", "processing")
    assert url == prediction.urls["get"]
    api.predictions.cancel(prediction_id)


def test_run_no_wait_json(cli: Any, api: Any) -> None:
    result = cli("run", HELLO_WORLD, "text=later", "--no-wait", "--json")
    (prediction,) = json_lines(result.stdout)
    assert prediction["input"] == {"text": "later"}
    assert api.predictions.wait(prediction["id"]).output == "hello later"


def test_run_saves_a_file_output_in_the_current_directory(cli: Any, tmp_path: Path) -> None:
    result = cli("run", "replicate/image-maker", "width=4", "height=3")
    assert (result.returncode, result.stdout) == (0, "out-0.png\n")
    assert (tmp_path / "out-0.png").read_bytes().startswith(PNG_MAGIC)


def test_run_saves_a_single_file_output_where_o_says(cli: Any, tmp_path: Path) -> None:
    target = tmp_path / "pictures" / "sunset.png"
    result = cli("run", "replicate/image-maker", "width=4", "height=3", "-o", str(target))
    assert (result.returncode, result.stdout) == (0, f"{target}\n")
    assert target.read_bytes().startswith(PNG_MAGIC)
    assert not (tmp_path / "out-0.png").exists()


def test_run_saves_every_file_output_into_a_directory(cli: Any, tmp_path: Path) -> None:
    result = cli("run", "replicate/frames", "count=3", "-o", "frames/")
    names = [f"out-{index}.png" for index in range(3)]
    assert (result.returncode, result.stdout.splitlines()) == (
        0,
        [f"frames/{name}" for name in names],
    )
    assert sorted(path.name for path in (tmp_path / "frames").iterdir()) == names
    assert all((tmp_path / "frames" / name).read_bytes().startswith(PNG_MAGIC) for name in names)


def test_run_json_saves_files_only_when_asked(cli: Any, tmp_path: Path) -> None:
    result = cli("--json", "run", "replicate/image-maker", "width=2", "height=2")
    assert json_lines(result.stdout)[0]["output"].startswith("http")
    assert list(tmp_path.iterdir()) == []
    result = cli("--json", "run", "replicate/image-maker", "width=2", "height=2", "-o", "image.png")
    assert json_lines(result.stdout)[0]["status"] == "succeeded"
    assert (tmp_path / "image.png").read_bytes().startswith(PNG_MAGIC)


def test_run_sends_a_file_input(cli: Any, tmp_path: Path) -> None:
    (tmp_path / "note.txt").write_bytes(b"some bytes\n")
    result = cli("run", "replicate/echo-file", "file=@note.txt", "-o", "copy.txt")
    assert (result.returncode, result.stdout) == (0, "copy.txt\n")
    assert (tmp_path / "copy.txt").read_bytes() == b"some bytes\n"


@pytest.mark.parametrize("strategy", ["stream", "poll"])
def test_run_prints_an_iterators_text_tokens_joined(cli: Any, strategy: str) -> None:
    result = cli(
        "run", "replicate/llm-streamer", "max_tokens=5", "delay=0", "--wait-strategy", strategy
    )
    assert (result.returncode, result.stdout) == (0, "Once upon a time a\n")


def test_run_takes_options_between_inputs(cli: Any, api: Any) -> None:
    result = cli(
        "run",
        "--json",
        "replicate/image-maker",
        "width=3",
        "-o",
        "x.png",
        "prompt=a dot",
        "height:=2",
    )
    (prediction,) = json_lines(result.stdout)
    assert prediction["input"] == {"width": 3, "prompt": "a dot", "height": 2}


def test_run_failing_model_exits_1_with_its_error_and_logs(cli: Any) -> None:
    result = cli("run", "replicate/fails", "message=out of cheese")
    assert (result.returncode, result.stdout) == (1, "")
    assert "failed: out of cheese" in result.stderr
    assert "about to fail" in result.stderr
    assert "Traceback (most recent call last)" in result.stderr  # the model's own log lines...
    assert "replicate/_cli" not in result.stderr  # ...never the command line's


def test_run_failing_model_json_prints_the_failed_prediction(cli: Any) -> None:
    result = cli("run", "replicate/fails", "--json")
    (prediction,) = json_lines(result.stdout)
    assert (result.returncode, prediction["status"]) == (1, "failed")


@pytest.mark.parametrize(
    ("arguments", "named"),
    [
        (["run", "nobody", "text=x"], "'nobody'"),
        (["run", HELLO_WORLD, "text"], "'text'"),
        (["run", "replicate/echo-file", "file=@missing.png"], "missing.png"),
        (["trainings", "create", HELLO_WORLD, "--destination", "a/b"], HELLO_WORLD),
    ],
)
def test_bad_arguments_exit_2_naming_them(
    cli: Any, api: Any, arguments: List[str], named: str
) -> None:
    before = [prediction.id for prediction in api.predictions.list().results[:1]]
    result = cli(*arguments)
    assert_clean_failure(result, 2)
    assert named in result.stderr
    assert [
        prediction.id for prediction in api.predictions.list().results[:1]
    ] == before  # nothing created


@pytest.mark.parametrize(
    ("arguments", "named"),
    [
        (["run", "a/b/c"], "'a/b/c'"),
        (["stream", "owner/name:"], "'owner/name:'"),
        (["run", HELLO_WORLD, "=x"], "'=x'"),
        (["run", HELLO_WORLD, "n:={bad"], "'n'"),
        (["run", HELLO_WORLD, "text=a", "text=b"], "'text'"),
        (["trainings", "create", f"{HELLO_WORLD}:abc", "--destination", "nowhere"], "'nowhere'"),
        (["models", "get", "justaname"], "'justaname'"),
        (["models", "schema", "a:b"], "'a:b'"),
        (["deployments", "get", "a/b/c"], "'a/b/c'"),
        (["files", "upload", "nowhere.bin"], "nowhere.bin"),
    ],
)
def test_more_bad_arguments_fail_before_any_request(
    arguments: List[str],
    named: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(
        "REPLICATE_BASE_URL", "http://127.0.0.1:9"
    )  # nothing listens: no request may be sent
    assert main(arguments) == 2
    stderr = capsys.readouterr().err
    assert stderr.startswith("replicate: ") and named in stderr and stderr.count("\n") == 1


def test_usage_errors_from_argparse_exit_2(cli: Any) -> None:
    for arguments in (
        ["frobnicate"],
        ["predictions", "list", "--limit", "0"],
        ["run", HELLO_WORLD, "--bogus"],
    ):
        result = cli(*arguments)
        assert result.returncode == 2, arguments
        assert "usage:" in result.stderr and "Traceback" not in result.stderr


def test_no_command_prints_help_and_exits_2(cli: Any) -> None:
    result = cli()
    assert result.returncode == 2
    assert "predictions" in result.stderr and result.stdout == ""


def test_api_error_exits_3_quoting_the_server(cli: Any) -> None:
    result = cli("run", "replicate/no-such-model", "text=x")
    assert_clean_failure(result, 3)
    assert "404" in result.stderr and "replicate/no-such-model not found" in result.stderr


def test_invalid_model_input_is_an_api_error(cli: Any) -> None:
    result = cli("run", "replicate/image-maker", "width=0")
    assert_clean_failure(result, 3)
    assert "422" in result.stderr and "width" in result.stderr


def test_bad_token_exits_3_with_a_hint_and_never_shows_the_token(cli: Any) -> None:
    result = cli("account", REPLICATE_API_TOKEN="r8_wrong-secret")
    assert_clean_failure(result, 3)
    assert "401" in result.stderr and "REPLICATE_API_TOKEN" in result.stderr
    assert "r8_wrong-secret" not in result.stderr + result.stdout


def test_network_error_exits_3_in_one_line(cli: Any) -> None:
    result = cli("--base-url", "ftp://127.0.0.1:9", "account")
    assert_clean_failure(result, 3)
    assert "network error" in result.stderr and "127.0.0.1:9" in result.stderr


# --- Ctrl-C and progress ----------------------------------------------------------------------


def _wait_until(condition: Callable[[], Any], what: str) -> Any:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"gave up waiting for {what}")


def _interrupts_by_default() -> None:
    # A test runner may ignore SIGINT, and a child inherits that: this one must feel Ctrl-C.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.skipif(sys.platform == "win32", reason="sends SIGINT")
@pytest.mark.parametrize("strategy", ["stream", "poll"])
def test_ctrl_c_cancels_the_running_prediction_and_exits_130(
    emu: Emulator, api: Any, tmp_path: Path, strategy: str
) -> None:
    seconds = 300 if strategy == "stream" else 301  # tells this test's prediction apart
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "replicate",
            "run",
            "replicate/slow-progress",
            f"seconds={seconds}",
            "--wait-strategy",
            strategy,
        ],
        cwd=tmp_path,
        env=environment(emu),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_interrupts_by_default,
    )
    try:

        def running_prediction() -> Any:
            for prediction in api.predictions.list().results[:5]:
                if prediction.input == {"seconds": seconds} and prediction.status == "processing":
                    return prediction
            return None

        prediction = _wait_until(running_prediction, "the prediction to run")
        watched = (
            f"/v1/streams/{prediction.id}"
            if strategy == "stream"
            else f"/v1/predictions/{prediction.id}"
        )
        _wait_until(lambda: emu.stats.count("GET", watched), "the command line to wait for it")
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=60)
    finally:
        process.kill()
    assert (process.returncode, stdout) == (130, "")
    assert stderr == f"replicate: interrupted: canceled prediction {prediction.id}\n"
    assert api.predictions.get(prediction.id).status == "canceled"


@pytest.mark.skipif(sys.platform == "win32", reason="sends SIGINT")
def test_ctrl_c_while_the_prediction_is_being_created_cancels_it_once_created(
    emu: Emulator, api: Any, tmp_path: Path
) -> None:
    create_path = "/v1/models/replicate/slow-progress/predictions"
    emu.faults.slow(
        2.0, "POST", create_path
    )  # the server holds the create, then makes the prediction
    creates = emu.stats.count("POST", create_path)
    process = subprocess.Popen(
        [sys.executable, "-m", "replicate", "run", "replicate/slow-progress", "seconds=302"],
        cwd=tmp_path,
        env=environment(emu),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_interrupts_by_default,
    )
    try:
        _wait_until(lambda: emu.stats.count("POST", create_path) > creates, "the create request")
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=60)
    finally:
        process.kill()
        emu.faults.clear()
    assert (process.returncode, stdout) == (130, "")
    prediction_id = stderr.rsplit(" ", 1)[-1].strip()
    assert stderr == f"replicate: interrupted: canceled prediction {prediction_id}\n"
    prediction = api.predictions.get(prediction_id)
    assert (prediction.input, prediction.status) == ({"seconds": 302}, "canceled")


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
@pytest.mark.parametrize("quiet", [False, True])
def test_progress_shows_on_a_terminal_unless_quiet(
    emu: Emulator, tmp_path: Path, quiet: bool
) -> None:
    import pty

    leader, follower = pty.openpty()
    arguments = ["run", "replicate/slow-progress", "seconds=0.3", "steps=3"] + (
        ["--quiet"] if quiet else []
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "replicate", *arguments],
        cwd=tmp_path,
        env=environment(emu),
        stdout=subprocess.PIPE,
        stderr=follower,
    )
    os.close(follower)
    stdout, _ = process.communicate(timeout=120)
    terminal = b""
    try:
        while True:
            chunk = os.read(leader, 65536)
            if not chunk:
                break
            terminal += chunk
    except OSError:  # the terminal closed with the process
        pass
    finally:
        os.close(leader)
    assert (process.returncode, stdout) == (0, b"finished 3 steps in 0.3 seconds\n")
    if quiet:
        assert terminal == b""
    else:
        assert b"processing" in terminal and b"% (" in terminal
        assert terminal.endswith(b"\r\x1b[2K")  # the line is cleared before the output


# --- stream -----------------------------------------------------------------------------------


def test_stream_prints_tokens_without_added_newlines(cli: Any) -> None:
    result = cli("stream", "replicate/llm-streamer", "max_tokens=6", "delay=0")
    assert (result.returncode, result.stdout, result.stderr) == (
        0,
        "Once upon a time a small\n",
        "",
    )


def test_stream_json_prints_one_event_per_line(cli: Any) -> None:
    result = cli("stream", "replicate/llm-streamer", "max_tokens=3", "delay=0", "--json")
    events = json_lines(result.stdout)
    assert [event["data"] for event in events if event["event"] == "output"] == [
        "Once",
        " upon",
        " a",
    ]
    assert events[-1]["event"] == "done"


def test_stream_of_a_failing_model_exits_1(cli: Any) -> None:
    result = cli("stream", "replicate/fails", "message=no luck")
    assert (
        result.returncode == 1
        and "no luck" in result.stderr
        and 'Traceback (most recent call last):\n  File "/'
        not in result.stderr.split("log lines")[0]
    )


@pytest.mark.parametrize("json_mode", [False, True])
def test_stream_of_a_prediction_without_a_stream_prints_its_output_when_it_finishes(
    emu: Emulator,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    json_mode: bool,
) -> None:
    import replicate._polling

    monkeypatch.setattr(replicate._polling, "has_stream", lambda prediction: False)
    monkeypatch.setenv("REPLICATE_API_TOKEN", TOKEN)
    monkeypatch.setenv("REPLICATE_BASE_URL", emu.base_url)
    monkeypatch.setenv("REPLICATE_POLL_INTERVAL", "0.05")
    assert main(["stream", HELLO_WORLD, "text=unstreamed", *(["--json"] if json_mode else [])]) == 0
    stdout = capsys.readouterr().out
    if json_mode:
        assert json_lines(stdout)[0]["output"] == "hello unstreamed"
    else:
        assert stdout == "hello unstreamed\n"


# --- predictions ------------------------------------------------------------------------------


def test_predictions_list_get_and_wait(cli: Any, api: Any) -> None:
    created = json_lines(cli("run", HELLO_WORLD, "text=listed", "--no-wait", "--json").stdout)[0]

    waited = cli("predictions", "wait", created["id"], "--json")
    assert (waited.returncode, json_lines(waited.stdout)[0]["output"]) == (0, "hello listed")

    listed = cli("predictions", "list", "--limit", "1", "--json")
    assert [item["id"] for item in json_lines(listed.stdout)] == [created["id"]]
    assert cli("predictions", "list", "--limit", "1").stdout.split() == [
        created["id"],
        HELLO_WORLD,
        "succeeded",
        created["created_at"],
    ]

    shown = cli("predictions", "get", created["id"])
    assert f"id: {created['id']}\n" in shown.stdout and "status: succeeded\n" in shown.stdout
    assert "output: hello listed\n" in shown.stdout


def test_predictions_list_pages_up_to_the_limit(emu: Emulator, cli: Any, api: Any) -> None:
    for text in ("a", "b", "c"):
        api.predictions.create(model=HELLO_WORLD, input={"text": text})
    saved, emu.page_size = emu.page_size, 2
    try:
        result = cli("predictions", "list", "--limit", "3", "--json")
    finally:
        emu.page_size = saved
    assert [item["input"]["text"] for item in json_lines(result.stdout)] == ["c", "b", "a"]


def test_predictions_cancel(cli: Any, api: Any) -> None:
    prediction = api.predictions.create(model="replicate/slow-progress", input={"seconds": 60})
    result = cli("predictions", "cancel", prediction.id, "--json")
    assert json_lines(result.stdout)[0]["status"] == "canceled"
    assert api.predictions.get(prediction.id).status == "canceled"


def test_predictions_wait_for_a_failed_prediction_exits_1(cli: Any, api: Any) -> None:
    prediction = api.predictions.create(model="replicate/fails", input={"message": "broken"})
    result = cli("predictions", "wait", prediction.id)
    assert result.returncode == 1
    assert "status: failed" in result.stdout and "broken" in result.stderr


def test_predictions_get_unknown_id_exits_3(cli: Any) -> None:
    assert_clean_failure(cli("predictions", "get", "nonexistent"), 3)


# --- models -----------------------------------------------------------------------------------


def test_models_get(cli: Any, api: Any) -> None:
    text = cli("models", "get", HELLO_WORLD).stdout
    assert "owner: replicate\nname: hello-world\n" in text
    assert f"latest_version.id: {api.models.get(HELLO_WORLD).latest_version.id}\n" in text
    model = json_lines(cli("models", "get", HELLO_WORLD, "--json").stdout)[0]
    assert (model["owner"], model["name"]) == ("replicate", "hello-world")


def test_models_schema_as_a_table_and_as_json(cli: Any, api: Any) -> None:
    version = api.models.get("replicate/llm-streamer").latest_version.id
    lines = cli("models", "schema", "replicate/llm-streamer").stdout.splitlines()
    assert lines[0] == f"replicate/llm-streamer:{version}"
    assert lines[3].split() == ["prompt", "string", '"Tell', "me", "a", 'story"', "The", "prompt"]
    assert lines[4].split()[:3] == ["max_tokens", "integer", "1..4096"]
    assert lines[-1] == "Output: iterator of string (concatenated)"

    schema = json_lines(
        cli(
            "models",
            "schema",
            f"replicate/hello-world:{api.models.get(HELLO_WORLD).latest_version.id}",
            "--json",
        ).stdout
    )[0]
    assert schema["input"]["required"] == ["text"]
    assert schema["output"]["type"] == "string"

    assert "text*" in cli("models", "schema", HELLO_WORLD).stdout  # required inputs are marked
    assert_clean_failure(cli("models", "schema", "0" * 64), 2)


def test_models_versions_and_search(cli: Any, api: Any) -> None:
    versions = json_lines(cli("models", "versions", HELLO_WORLD, "--json").stdout)
    assert [version["id"] for version in versions] == [
        api.models.get(HELLO_WORLD).latest_version.id
    ]
    found = cli("models", "search", "hello").stdout.splitlines()
    assert found[0].split()[0] == HELLO_WORLD


# --- trainings, files, account, hardware, collections, deployments -------------------------------


def test_trainings_create_list_get_cancel(cli: Any, api: Any) -> None:
    destination = "emulator/cli-trained"
    if not any(model.name == "cli-trained" for model in api.models.list()):
        api.models.create(
            owner="emulator", name="cli-trained", visibility="private", hardware="cpu"
        )
    version = api.models.get(HELLO_WORLD).latest_version.id
    created = cli(
        "trainings",
        "create",
        f"{HELLO_WORLD}:{version}",
        "--destination",
        destination,
        "text=train",
        "--json",
    )
    training = json_lines(created.stdout)[0]
    assert (created.returncode, training["input"]) == (0, {"text": "train"})
    assert api.trainings.get(training["id"]).input == {"text": "train"}

    assert training["id"] in [
        item["id"] for item in json_lines(cli("trainings", "list", "--json").stdout)
    ]
    assert f"id: {training['id']}\n" in cli("trainings", "get", training["id"]).stdout
    canceled = cli("trainings", "cancel", training["id"], "--json")
    assert canceled.returncode == 0 and json_lines(canceled.stdout)[0]["id"] == training["id"]


def test_files_upload_list_get_delete(cli: Any, api: Any, tmp_path: Path) -> None:
    (tmp_path / "data.txt").write_bytes(b"hello file")
    uploaded = json_lines(cli("files", "upload", "data.txt", "--json").stdout)[0]
    assert (uploaded["name"], uploaded["size"]) == ("data.txt", 10)
    assert uploaded["id"] in cli("files", "list").stdout
    assert json_lines(cli("files", "get", uploaded["id"], "--json").stdout)[0]["name"] == "data.txt"
    deleted = cli("files", "delete", uploaded["id"])
    assert (deleted.returncode, deleted.stdout) == (0, f"deleted {uploaded['id']}\n")
    assert uploaded["id"] not in [file.id for file in api.files.list()]


def test_account_and_hardware(cli: Any) -> None:
    assert "username: emulator\n" in cli("account").stdout
    assert json_lines(cli("account", "--json").stdout)[0]["username"] == "emulator"
    hardware = json_lines(cli("hardware", "list", "--json").stdout)
    assert {"sku": "cpu", "name": "CPU"} in hardware
    assert cli("hardware", "list").stdout.splitlines()[0].split() == ["cpu", "CPU"]


def test_collections_list_and_get(cli: Any) -> None:
    listed = json_lines(cli("collections", "list", "--json").stdout)
    assert "emulator-demos" in [collection["slug"] for collection in listed]
    shown = cli("collections", "get", "emulator-demos").stdout
    assert "slug: emulator-demos\n" in shown and HELLO_WORLD in shown
    collection = json_lines(cli("collections", "get", "emulator-demos", "--json").stdout)[0]
    assert HELLO_WORLD in [f"{model['owner']}/{model['name']}" for model in collection["models"]]


def test_deployments_list_and_get(emu: Emulator, cli: Any) -> None:
    emu.add_deployment("emulator/cli-deployment", HELLO_WORLD, hardware="gpu-t4")
    listed = cli("deployments", "list").stdout.splitlines()
    assert ["emulator/cli-deployment", "1", HELLO_WORLD, "gpu-t4"] in [
        line.split() for line in listed
    ]
    deployment = json_lines(cli("deployments", "get", "emulator/cli-deployment", "--json").stdout)[
        0
    ]
    assert deployment["current_release"]["configuration"]["hardware"] == "gpu-t4"


# --- global options, emulator, help ---------------------------------------------------------


@pytest.mark.parametrize(
    "arguments",
    [
        ["--json", "predictions", "list", "--limit", "1"],
        ["predictions", "--json", "list", "--limit", "1"],
        ["predictions", "list", "--limit", "1", "--json"],
    ],
)
def test_json_goes_anywhere(cli: Any, api: Any, arguments: List[str]) -> None:
    api.predictions.create(model=HELLO_WORLD, input={"text": "anywhere"})
    assert len(json_lines(cli(*arguments).stdout)) == 1


def test_base_url_goes_anywhere_and_wins_over_the_environment(emu: Emulator, cli: Any) -> None:
    for arguments in (
        ["--base-url", emu.base_url, "account"],
        ["account", f"--base-url={emu.base_url}/v1"],
    ):
        result = cli(*arguments, REPLICATE_BASE_URL="http://127.0.0.1:9")
        assert (result.returncode, result.stdout.splitlines()[1]) == (0, "username: emulator"), (
            arguments
        )


def test_emulator_command_runs_a_command_against_a_fresh_emulator(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "replicate",
            "emulator",
            "--port",
            "0",
            "--",
            sys.executable,
            "-m",
            "replicate",
            "run",
            HELLO_WORLD,
            "text=nested",
        ],
        cwd=tmp_path,
        env={key: value for key, value in os.environ.items() if not key.startswith("REPLICATE_")},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "hello nested"


def test_import_replicate_does_not_load_the_command_line() -> None:
    code = "import sys, replicate; replicate.Client; print(sorted(m for m in sys.modules if 'replicate._cli' in m or m == 'argparse'))"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert result.stdout == "[]\n"


COMMANDS = [
    [],
    ["run"],
    ["stream"],
    ["predictions"],
    ["predictions", "list"],
    ["predictions", "get"],
    ["predictions", "cancel"],
    ["predictions", "wait"],
    ["models"],
    ["models", "get"],
    ["models", "schema"],
    ["models", "versions"],
    ["models", "search"],
    ["trainings"],
    ["trainings", "create"],
    ["trainings", "list"],
    ["trainings", "get"],
    ["trainings", "cancel"],
    ["files"],
    ["files", "upload"],
    ["files", "list"],
    ["files", "get"],
    ["files", "delete"],
    ["hardware", "list"],
    ["account"],
    ["collections", "list"],
    ["collections", "get"],
    ["deployments", "list"],
    ["deployments", "get"],
    ["emulator"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda command: " ".join(command) or "replicate")
def test_every_command_has_help(command: List[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main([*command, "--help"])
    assert exited.value.code == 0
    text = capsys.readouterr().out
    assert text.startswith("usage: ")
    if (command and command[0] != "emulator" and len(command) == 2) or command == ["account"]:
        assert "--json" in text and "--base-url" in text


# --- KEY=VALUE --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argument", "key", "value"),
    [
        ("text=hello world", "text", "hello world"),
        ("n=3", "n", 3),
        ("n=-2.5e3", "n", -2500.0),
        ("flag=true", "flag", True),
        ("flag=false", "flag", False),
        ("seed=null", "seed", None),
        ("sizes=[1, 2]", "sizes", [1, 2]),
        ('options={"a": {"b": null}}', "options", {"a": {"b": None}}),
        ("zip=007", "zip", "007"),
        ("n= 3", "n", " 3"),
        ("word=True", "word", "True"),
        ("x=NaN", "x", "NaN"),
        ("x=Infinity", "x", "Infinity"),
        ('quoted="hi"', "quoted", '"hi"'),
        ("prompt=[INST] hi [/INST]", "prompt", "[INST] hi [/INST]"),
        ("prompt={not json", "prompt", "{not json"),
        ("empty=", "empty", ""),
        ("equation=a=b", "equation", "a=b"),
        ("n:=3", "n", 3),
        ('s:="3"', "s", "3"),
        ("list:=[]", "list", []),
        ("n==3", "n", "3"),
        ("t==true", "t", "true"),
        ("at==@home", "at", "@home"),
        ("double===x", "double", "=x"),
        ("url=https://example.com/a?b=c", "url", "https://example.com/a?b=c"),
        ("emoji=héllo ✓", "emoji", "héllo ✓"),
    ],
)
def test_parse_value(argument: str, key: str, value: Any) -> None:
    parsed = parse_value(argument)
    assert parsed == (key, value)
    assert type(parsed[1]) is type(value)


def test_parse_value_reads_file_paths(tmp_path: Path) -> None:
    (tmp_path / "photo.png").write_bytes(PNG_MAGIC)
    key, value = parse_value(f"image=@{tmp_path / 'photo.png'}")
    assert (key, value) == ("image", tmp_path / "photo.png")
    assert isinstance(value, Path)


@pytest.mark.parametrize(
    ("argument", "message"),
    [
        ("text", "expected KEY=VALUE"),
        ("=value", "missing or blank input name"),
        (":=3", "missing or blank input name"),
        (" text=x", "missing or blank input name"),
        ("n:=not json", "input 'n'"),
        ("n:=NaN", "input 'n'"),
        ("image=@", "input 'image': expected a file path"),
        ("image=@/no/such/file.png", "input 'image': cannot read file '/no/such/file.png'"),
    ],
)
def test_parse_value_rejects_malformed_arguments(argument: str, message: str) -> None:
    with pytest.raises(InputError, match="^" + message.replace("(", r"\(").replace("*", r"\*")):
        parse_value(argument)


def test_parse_value_rejects_a_directory(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="input 'folder': cannot read file"):
        parse_value(f"folder=@{tmp_path}")


def test_parse_inputs_builds_the_input_and_rejects_repeated_keys() -> None:
    assert parse_inputs(["a=1", "b==1", "c:=[1]"]) == {"a": 1, "b": "1", "c": [1]}
    assert parse_inputs([]) == {}
    with pytest.raises(InputError, match="input 'a' is given twice"):
        parse_inputs(["a=1", "a=2"])


# --- output helpers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("https://delivery.example/abc/out-0.png", "out-0.png"),
        ("https://delivery.example/abc/my%20picture.webp?sig=1", "my picture.webp"),
        ("https://delivery.example/", "output"),
        ("https://delivery.example/x/..", "output"),
        ("https://delivery.example/x/.png", "output.png"),
        ("https://delivery.example/a/%2E%2E%2Fescape", "output.._escape"),
        ("data:image/png;base64,iVBORw0KGgo=", "output.png"),
        ("data:,hello", "output"),
    ],
)
def test_file_names_never_leave_the_directory(url: str, name: str) -> None:
    assert _file_name(url) == name


class _FakeFile:
    def __init__(self, url: str) -> None:
        self.url = url


def test_file_saver_paths(tmp_path: Path) -> None:
    into_cwd = FileSaver(None)
    assert [into_cwd.path_for(_FakeFile(f"https://x/{n}/out.png")) for n in range(3)] == [  # type: ignore[arg-type]
        Path("out.png"),
        Path("out-1.png"),
        Path("out-2.png"),
    ]
    into_directory = FileSaver(str(tmp_path))  # an existing directory, without a trailing slash
    assert into_directory.path_for(_FakeFile("https://x/a.wav")) == tmp_path / "a.wav"  # type: ignore[arg-type]
    single = FileSaver(str(tmp_path / "result.png"))
    assert single.path_for(_FakeFile("https://x/out-0.png")) == tmp_path / "result.png"  # type: ignore[arg-type]
    single.saved.append(tmp_path / "result.png")
    assert single.path_for(_FakeFile("https://x/out-1.png")) == tmp_path / "result-1.png"  # type: ignore[arg-type]


def test_table_aligns_columns(capsys: pytest.CaptureFixture[str]) -> None:
    Output(json_mode=False).table(
        [
            {"id": "a", "status": "succeeded", "note": None},
            {"id": "longer", "status": "failed", "note": "x\ny"},
        ],
        ["id", "status", "note"],
    )
    assert capsys.readouterr().out == "a       succeeded  -\nlonger  failed     x y\n"
