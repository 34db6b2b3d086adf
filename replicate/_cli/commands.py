"""The commands of the `replicate` command line: one function per command, given the parsed arguments.

Each returns the exit status, or raises CommandError with the message and status to exit with.
"""

from __future__ import annotations

import argparse
import re
import signal
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Dict, Generator, Iterator, List, Optional, Sequence

from replicate._cli.inputs import InputError, parse_inputs
from replicate._cli.output import (
    Column,
    FileSaver,
    Output,
    Progress,
    describe_failure,
    item_text,
    output_items,
    save_files,
)

if TYPE_CHECKING:
    import httpx

    from replicate.client import Client
    from replicate.pagination import Cursor, Page
    from replicate.prediction import Prediction
    from replicate.run import Target
    from replicate.version import Version

EXIT_OK = 0
EXIT_MODEL_FAILED = 1
EXIT_USAGE = 2
EXIT_API_ERROR = 3
EXIT_INTERRUPTED = 130

_MODEL_NAME = re.compile(r"[^/:\s]+/[^/:\s]+")


Handler = Callable[["Context"], int]


class CommandError(Exception):
    """A failure to report in one line, and the status to exit with."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class UsageError(CommandError):
    """A bad argument: exit status 2."""

    def __init__(self, message: str) -> None:
        super().__init__(message, EXIT_USAGE)


class Context:
    """What every command works with: its arguments, the client, and where results go."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.out = Output(bool(args.json))
        self._client: Optional[Client] = None

    @property
    def client(self) -> Client:
        """The client: REPLICATE_API_TOKEN, and `--base-url` or REPLICATE_BASE_URL."""
        if self._client is None:
            self._client = self.new_client()
        return self._client

    def new_client(self) -> Client:
        """A client of its own (for the cancel after Ctrl-C, which may have cut a request short)."""
        from replicate.client import Client

        return Client(base_url=self.args.base_url)

    def progress(self) -> Progress:
        """A progress line on stderr: only on a terminal, and not with --quiet."""
        return Progress(enabled=not self.args.quiet)


def error(message: str) -> None:
    """Write a line to stderr."""
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


# --- arguments ------------------------------------------------------------------------------


def model_inputs(arguments: List[str]) -> Dict[str, Any]:
    """The model input from KEY=VALUE arguments; a usage error names a malformed one."""
    try:
        return parse_inputs(arguments)
    except InputError as exc:
        raise UsageError(str(exc)) from None


def model_target(
    ref: str, inputs: Dict[str, Any], params: Optional[Dict[str, Any]] = None
) -> Target:
    """What REF runs: `owner/name`, `owner/name:version` or a version id; a usage error otherwise."""
    from replicate.identifier import resolve_ref
    from replicate.run import Target

    try:
        resolve_ref(ref)
    except ValueError:
        raise UsageError(
            f"invalid model reference {ref!r}: expected owner/name, owner/name:version or a 64-character version id"
        ) from None
    return Target(ref, inputs, dict(params or {}))


def model_name(value: str, argument: str) -> str:
    """An `owner/name` argument, checked."""
    if not _MODEL_NAME.fullmatch(value):
        raise UsageError(f"invalid {argument} {value!r}: expected owner/name")
    return value


def existing_file(value: str, argument: str) -> Path:
    """A path argument that must name a readable file."""
    path = Path(value).expanduser()
    if not path.is_file():
        raise UsageError(f"{argument}: no such file: {value!r}")
    return path


# --- predictions: run, stream, wait -----------------------------------------------------------


def create(ctx: Context, target: Target) -> Prediction:
    """Create the prediction; bad input (an unreadable file, ...) is a usage error.

    A Ctrl-C while the request is on its way waits for the answer, so that the prediction it
    created can be canceled; a second Ctrl-C stops at once.
    """
    with DeferredInterrupt() as interrupt:
        try:
            prediction = target.create(ctx.client)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    if interrupt.received:
        with canceling_on_interrupt(ctx, prediction):
            raise KeyboardInterrupt
    return prediction


class DeferredInterrupt:
    """Within it, the first Ctrl-C is only noted (`received`); the second raises KeyboardInterrupt."""

    def __init__(self) -> None:
        self.received = False
        self._previous: Any = None

    def __enter__(self) -> DeferredInterrupt:
        try:
            self._previous = signal.signal(signal.SIGINT, self._interrupted)
        except ValueError:  # not the main thread: signals are not ours to change
            pass
        return self

    def _interrupted(self, signum: int, frame: Any) -> None:
        if self.received:
            raise KeyboardInterrupt
        self.received = True

    def __exit__(self, *exc_info: object) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)


@contextmanager
def canceling_on_interrupt(ctx: Context, prediction: Prediction) -> Generator[None, None, None]:
    """On Ctrl-C, cancel the prediction, say so, and exit 130."""
    try:
        yield
    except KeyboardInterrupt:
        previous = _ignore_interrupts()  # a second Ctrl-C must not cut the cancel short
        try:
            ctx.new_client().predictions.cancel(prediction.id)
        except Exception as exc:
            raise CommandError(
                f"interrupted; could not cancel prediction {prediction.id}: {one_line(exc)}",
                EXIT_INTERRUPTED,
            ) from None
        finally:
            _restore_interrupts(previous)
        raise CommandError(
            f"interrupted: canceled prediction {prediction.id}", EXIT_INTERRUPTED
        ) from None


def _ignore_interrupts() -> Any:
    try:
        return signal.signal(signal.SIGINT, signal.SIG_IGN)
    except ValueError:  # not the main thread: signals are not ours to change
        return None


def _restore_interrupts(previous: Any) -> None:
    if previous is not None:
        signal.signal(signal.SIGINT, previous)


def wait(ctx: Context, prediction: Prediction, strategy: str) -> None:
    """Wait until the prediction finishes, showing its progress on a terminal."""
    progress = ctx.progress()
    try:
        prediction.wait(on_progress=progress.update, strategy=strategy)  # type: ignore[arg-type]
    finally:
        progress.clear()


def run(ctx: Context) -> int:
    """`replicate run REF [KEY=VALUE ...]`: run a model and print its output."""
    args = ctx.args
    target = model_target(args.ref, model_inputs(args.inputs))
    prediction = create(ctx, target)
    if args.no_wait:
        if ctx.out.json_mode:
            ctx.out.json(prediction)
        else:
            ctx.out.line(prediction.id)
            ctx.out.line((prediction.urls or {}).get("get") or "")
        return EXIT_OK
    saver = FileSaver(args.output)
    printed = False
    with canceling_on_interrupt(ctx, prediction):
        schema = {} if ctx.out.json_mode else output_schema_of(ctx.client, target, prediction)
        from replicate.schema import is_iterator

        if is_iterator(schema):
            print_items(ctx, prediction, schema, args.wait_strategy, saver)
            printed = True
        else:
            wait(ctx, prediction, args.wait_strategy)
    return finish(ctx, prediction, saver, printed)


def output_schema_of(client: Client, target: Target, prediction: Prediction) -> Dict[str, Any]:
    """The Output schema of the version that runs, to tell iterators apart; {} if unknown."""
    from replicate.exceptions import ReplicateError
    from replicate.schema import output_schema

    owner, name = target.model
    if not owner and "/" in prediction.model:
        owner, name = prediction.model.split("/", 1)
    if not owner:
        return {}
    version: Optional[Version]
    try:
        if target.version_id:
            version = client.models.versions.get(owner, name, target.version_id)
        else:
            version = client.models.get(f"{owner}/{name}").latest_version
    except (ReplicateError, ValueError):
        return {}  # without the schema the output is printed when the model finishes
    return output_schema(version)


def print_items(
    ctx: Context, prediction: Prediction, schema: Dict[str, Any], strategy: str, saver: FileSaver
) -> None:
    """Print an iterator's items as the model yields them: text tokens joined, others a line each."""
    from replicate._polling import iterate_stream_output
    from replicate.helpers import transform_output
    from replicate.run import items_from_stream
    from replicate.schema import is_concatenate
    from replicate.stream import StreamingError

    items: Iterator[Any]
    if items_from_stream(strategy, prediction, schema):
        items = iterate_stream_output(prediction)
    else:
        items = prediction.output_iterator()
    joined = is_concatenate(schema)
    wrote_text = False
    try:
        for item in items:
            value = save_files(transform_output(item, ctx.client), saver)
            if joined and isinstance(value, str):
                ctx.out.text(value)
                wrote_text = True
            else:
                ctx.out.line(item_text(value))
    except StreamingError:
        pass  # the prediction failed: reading it below gives its error and logs
    finally:
        if wrote_text:
            ctx.out.line()
    read_final_state(prediction)


def read_final_state(prediction: Prediction) -> None:
    """Once its output has been read, read the prediction itself: its status, error and logs."""
    from replicate._polling import TERMINAL_STATUSES

    if prediction.status not in TERMINAL_STATUSES:
        prediction.reload()  # a stream ends at `done` without the final state
        if prediction.status not in TERMINAL_STATUSES:
            prediction.wait(strategy="poll")


def exit_status(prediction: Prediction) -> int:
    """0 when the prediction succeeded; else 1, with its error and last log lines on stderr."""
    if prediction.status == "succeeded":
        return EXIT_OK
    for line in describe_failure(prediction):
        error(line)
    return EXIT_MODEL_FAILED


def finish(ctx: Context, prediction: Prediction, saver: FileSaver, printed: bool) -> int:
    """Print a finished prediction's result; exit status 1 unless it succeeded."""
    from replicate.helpers import transform_output

    succeeded = prediction.status == "succeeded"
    if ctx.out.json_mode:
        if succeeded and saver.destination is not None:
            save_files(transform_output(prediction.output, ctx.client), saver)
        ctx.out.json(prediction)
    elif succeeded and not printed:
        for item in output_items(
            save_files(transform_output(prediction.output, ctx.client), saver)
        ):
            ctx.out.line(item_text(item))
    return exit_status(prediction)


def stream(ctx: Context) -> int:
    """`replicate stream REF [KEY=VALUE ...]`: print output tokens as they arrive."""
    from replicate._polling import has_stream
    from replicate.stream import StreamingError, stream_prediction

    args = ctx.args
    target = model_target(args.ref, model_inputs(args.inputs), {"stream": True})
    prediction = create(ctx, target)
    with canceling_on_interrupt(ctx, prediction):
        if not has_stream(prediction):  # a model that cannot stream: its output when it finishes
            wait(ctx, prediction, "poll")
            return finish(ctx, prediction, FileSaver(None), printed=False)
        try:
            for event in stream_prediction(prediction):
                kind = getattr(event.event, "value", event.event)
                if ctx.out.json_mode:
                    ctx.out.json({"event": kind, "id": event.id, "data": event.data})
                elif kind == "output":
                    ctx.out.text(event.data)
        except StreamingError:
            pass
        finally:
            if not ctx.out.json_mode:
                ctx.out.line()
        read_final_state(prediction)
    return exit_status(prediction)


# --- predictions ------------------------------------------------------------------------------

PREDICTION_COLUMNS = ("id", "model", "status", "created_at")


def by_id(namespace: str, operation: str) -> Handler:
    """A command that shows what `client.<namespace>.<operation>(ID)` returns (get, cancel)."""

    def command(ctx: Context) -> int:
        ctx.out.resource(getattr(getattr(ctx.client, namespace), operation)(ctx.args.id))
        return EXIT_OK

    return command


def listing(namespace: str, columns: Sequence[Column]) -> Handler:
    """A command that lists up to `--limit` items of `client.<namespace>.list`, paging as needed."""

    def command(ctx: Context) -> int:
        ctx.out.table(first_items(getattr(ctx.client, namespace).list, ctx.args.limit), columns)
        return EXIT_OK

    return command


def predictions_wait(ctx: Context) -> int:
    """`replicate predictions wait ID`: wait until it finishes; exit status 1 unless it succeeded."""
    prediction = ctx.client.predictions.get(ctx.args.id)
    with canceling_on_interrupt(ctx, prediction):
        wait(ctx, prediction, ctx.args.wait_strategy)
    ctx.out.resource(prediction)
    return exit_status(prediction)


def first_items(list_method: Callable[[Cursor], Page[Any]], limit: int) -> List[Any]:
    """Up to `limit` items of a paginated list, fetching only the pages needed."""
    items: List[Any] = []
    cursor: Cursor = ...
    while cursor is not None and len(items) < limit:
        page = list_method(cursor)
        items += page.results
        cursor = page.next
    return items[:limit]


# --- models -----------------------------------------------------------------------------------


def _full_name(data: Dict[str, Any]) -> str:
    return f"{data.get('owner')}/{data.get('name')}"


MODEL_COLUMNS = (_full_name, "description")
MODEL_FIELDS = (
    "owner",
    "name",
    "description",
    "visibility",
    "url",
    "github_url",
    "paper_url",
    "license_url",
    "run_count",
    "cover_image_url",
    "latest_version.id",
    "latest_version.created_at",
)


def models_get(ctx: Context) -> int:
    """`replicate models get OWNER/NAME`."""
    model = ctx.client.models.get(model_name(ctx.args.model, "model"))
    ctx.out.resource(model, MODEL_FIELDS)
    return EXIT_OK


def models_versions(ctx: Context) -> int:
    """`replicate models versions OWNER/NAME`: the model's versions, newest first."""
    owner, name = model_name(ctx.args.model, "model").split("/")
    versions = first_items(
        lambda cursor: ctx.client.models.versions.list(owner, name, cursor=cursor), ctx.args.limit
    )
    ctx.out.table(versions, ("id", "created_at", "cog_version"))
    return EXIT_OK


def models_search(ctx: Context) -> int:
    """`replicate models search QUERY`."""
    page = ctx.client.models.search(ctx.args.query)
    ctx.out.table(page.results[: ctx.args.limit], MODEL_COLUMNS)
    return EXIT_OK


def models_schema(ctx: Context) -> int:
    """`replicate models schema REF`: the version's input and output, as a table or JSON."""
    from replicate.identifier import ModelVersionIdentifier, is_version_id

    ref = ctx.args.ref
    if is_version_id(ref):
        raise UsageError(
            f"models schema needs owner/name or owner/name:version, got the version id {ref!r}: "
            "the API finds a version through its model"
        )
    try:
        owner, name, version_id = ModelVersionIdentifier.parse(ref)
    except ValueError:
        raise UsageError(
            f"invalid model reference {ref!r}: expected owner/name or owner/name:version"
        ) from None
    version: Optional[Version]
    if version_id:
        version = ctx.client.models.versions.get(owner, name, version_id)
    else:
        version = ctx.client.models.get(f"{owner}/{name}").latest_version
        if version is None:
            raise CommandError(f"model {owner}/{name} has no versions", EXIT_API_ERROR)
    schemas = (version.openapi_schema or {}).get("components", {}).get("schemas", {})
    input_schema, output_schema = schemas.get("Input", {}), schemas.get("Output", {})
    if ctx.out.json_mode:
        ctx.out.json(
            {
                "model": f"{owner}/{name}",
                "version": version.id,
                "input": input_schema,
                "output": output_schema,
            }
        )
        return EXIT_OK
    from replicate._cli.schema import input_rows, type_of

    ctx.out.line(f"{owner}/{name}:{version.id}")
    ctx.out.line()
    ctx.out.line("Input (* = required)")
    ctx.out.table(input_rows(input_schema, schemas), ("name", "type", "default", "description"))
    ctx.out.line()
    ctx.out.line(f"Output: {type_of(output_schema, schemas)}")
    return EXIT_OK


# --- trainings --------------------------------------------------------------------------------

TRAINING_COLUMNS = ("id", "model", "status", "created_at")


def trainings_create(ctx: Context) -> int:
    """`replicate trainings create OWNER/NAME:VERSION --destination OWNER/NAME [KEY=VALUE ...]`."""
    from replicate.identifier import ModelVersionIdentifier

    args = ctx.args
    inputs = model_inputs(args.inputs)
    try:
        version = ModelVersionIdentifier.parse(args.ref).version
    except ValueError:
        version = None
    if not version:
        raise UsageError(f"invalid model version {args.ref!r}: trainings need owner/name:version")
    destination = model_name(args.destination, "--destination")
    try:
        training = ctx.client.trainings.create(args.ref, inputs, destination=destination)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    ctx.out.resource(training)
    return EXIT_OK


# --- files ------------------------------------------------------------------------------------

FILE_COLUMNS = ("id", "name", "content_type", "size", "created_at")


def files_upload(ctx: Context) -> int:
    """`replicate files upload PATH`."""
    ctx.out.resource(ctx.client.files.create(existing_file(ctx.args.path, "PATH")))
    return EXIT_OK


def files_list(ctx: Context) -> int:
    """`replicate files list`."""
    ctx.out.table(ctx.client.files.list(), FILE_COLUMNS)
    return EXIT_OK


def files_delete(ctx: Context) -> int:
    """`replicate files delete ID`."""
    ctx.client.files.delete(ctx.args.id)
    if ctx.out.json_mode:
        ctx.out.json({"id": ctx.args.id, "deleted": True})
    else:
        ctx.out.line(f"deleted {ctx.args.id}")
    return EXIT_OK


# --- account, hardware, collections, deployments -----------------------------------------------


def account(ctx: Context) -> int:
    """`replicate account`: the account the token belongs to."""
    ctx.out.resource(ctx.client.accounts.current())
    return EXIT_OK


def hardware_list(ctx: Context) -> int:
    """`replicate hardware list`."""
    ctx.out.table(ctx.client.hardware.list(), ("sku", "name"))
    return EXIT_OK


COLLECTION_COLUMNS = ("slug", "name", "description")


def collections_get(ctx: Context) -> int:
    """`replicate collections get SLUG`: the collection and its models."""
    collection = ctx.client.collections.get(ctx.args.slug)
    if ctx.out.json_mode:
        ctx.out.json(collection)
        return EXIT_OK
    ctx.out.resource(collection, COLLECTION_COLUMNS)
    ctx.out.line("models:")
    ctx.out.table(collection.models or [], MODEL_COLUMNS)
    return EXIT_OK


DEPLOYMENT_COLUMNS = (
    _full_name,
    "current_release.number",
    "current_release.model",
    "current_release.configuration.hardware",
)


def deployments_get(ctx: Context) -> int:
    """`replicate deployments get OWNER/NAME`."""
    ctx.out.resource(ctx.client.deployments.get(model_name(ctx.args.deployment, "deployment")))
    return EXIT_OK


# --- errors -----------------------------------------------------------------------------------


def one_line(exc: BaseException) -> str:
    """An exception as one line of text, quoting what the server said."""
    from replicate.exceptions import ReplicateError

    if isinstance(exc, ReplicateError):
        parts = [str(exc.status) if exc.status else "", exc.title or "", exc.detail or ""]
        text = ": ".join(part for part in parts if part) or type(exc).__name__
    else:
        text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return " ".join(text.split())


def describe_network_error(exc: httpx.HTTPError) -> str:
    """A network failure in one line, naming the URL (without its query) it was for."""
    try:
        request = exc.request  # httpx raises RuntimeError when the error has no request
        where = f" ({request.method} {request.url.copy_with(query=None)})"
    except (AttributeError, RuntimeError):
        where = ""
    return f"network error: {one_line(exc)}{where}"


def api_error_hint(exc: Any) -> str:
    """What to do about an authentication failure."""
    return (
        " (is REPLICATE_API_TOKEN set to a valid token?)"
        if getattr(exc, "status", None) == 401
        else ""
    )
