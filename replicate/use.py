"""`use()`: a Replicate model as a Python function (the experimental interface of v0 1.1.0b2).

    flux = replicate.use("black-forest-labs/flux-dev")
    image = flux(prompt="a cat")               # a URLPath: downloaded when first opened
    llm = replicate.use("meta/meta-llama-3-8b-instruct", streaming=True)
    for token in llm(prompt="Hello"):         # tokens as the model produces them
        print(token, end="")

A Function looks its model up on first use (`GET /v1/models/{owner}/{name}`, then the version
the reference names, or else the model's versions list to learn whether it has addressable
versions, as v0 1.1 does) and reads the version's OpenAPI schema to shape the output:
file URLs become `URLPath`s, text-token iterators become one string, other iterators a list.
Unlike v0's, this module runs on Python 3.9+.
"""

from __future__ import annotations

import copy
import hashlib
import mimetypes
import os
import shutil
import tempfile
import threading
import weakref
from pathlib import Path, PurePosixPath
from typing import (
    TYPE_CHECKING,
    Any,
    AsyncIterator,
    Callable,
    Dict,
    Generator,
    Generic,
    Iterator,
    List,
    Literal,
    NamedTuple,
    Optional,
    Protocol,
    Set,
    Tuple,
    TypeVar,
    Union,
    cast,
    overload,
)
from urllib.parse import unquote, urlsplit

from typing_extensions import ParamSpec, TypeGuard

from replicate._json import is_array, is_object, is_sequence
from replicate._polling import has_finished
from replicate.exceptions import ModelError, ReplicateError
from replicate.helpers import FileOutput, _default_client, guess_url_content_type
from replicate.identifier import ModelVersionIdentifier
from replicate.model import Models, model_predictions_path
from replicate.prediction import async_create_prediction, create_prediction
from replicate.schema import is_concatenate, make_schema_backwards_compatible

if TYPE_CHECKING:
    from replicate.client import Client
    from replicate.model import Model
    from replicate.pagination import Page
    from replicate.prediction import Prediction
    from replicate.version import Version

__all__ = [
    "AsyncFunction",
    "AsyncRun",
    "Function",
    "FunctionRef",
    "OutputIterator",
    "Run",
    "URLPath",
    "get_path_url",
    "use",
]

T = TypeVar("T")
O = TypeVar("O")  # noqa: E741
Input = ParamSpec("Input")
Output = TypeVar("Output")

_FILE_URL_PREFIXES = ("https://", "http://", "data:")
_MAX_NAME = 200  # bytes; file systems allow 255 for one name
# Component schemas that stay in `components.schemas` even after being inlined.
_KEPT_SCHEMAS = frozenset(["Input", "Output", "TrainingInput", "TrainingOutput"])


# --- files -----------------------------------------------------------------------------------


class URLPath(os.PathLike[str]):
    """A model's output file: a path-like that downloads the URL on first filesystem use.

    `open(path)`, `Path(path)` and `os.fspath(path)` download it (once) into the process's
    private temporary directory, keeping the URL's file name; `get_path_url(path)` gives the
    URL. The file stays readable until the process exits, when the directory is removed
    (copy it elsewhere to keep it); if it is gone sooner, the next use downloads it again.
    """

    def __init__(self, url: str, *, client: Optional[Client] = None) -> None:
        if not isinstance(url, str) or not url.startswith(_FILE_URL_PREFIXES):
            raise ValueError(f"url must be an http(s) URL or a data: URI, got {url!r}")
        self.__url__ = url
        self._client = client
        self._path: Optional[Path] = None
        self._lock = threading.Lock()

    def __fspath__(self) -> str:
        with self._lock:
            if self._path is None or not self._path.exists():
                self._path = _download(self.__url__, self._client)
        return str(self._path)

    def __str__(self) -> str:
        return self.__fspath__()

    def __repr__(self) -> str:
        return f"URLPath({self.__url__!r})"

    def __reduce__(self) -> Tuple[Any, ...]:
        # Copies and pickles keep the URL and the download, not the client (its connections
        # and locks cannot be copied); a copy not yet downloaded uses the default client.
        return (URLPath, (self.__url__,), {"_path": self._path})


def get_path_url(path: Any) -> Optional[str]:
    """The URL behind a URLPath (or a file output), or behind a path a URLPath downloaded to; else None."""
    if isinstance(path, FileOutput):
        return path.url
    url = getattr(path, "__url__", None)  # URLPath, and look-alikes such as v0's
    if isinstance(url, str):
        return url
    if isinstance(path, (str, os.PathLike)):
        local: Union[str, bytes] = os.path.abspath(os.fspath(cast("Union[str, os.PathLike[str]]", path)))
        if isinstance(local, str):
            return _DOWNLOADED.get(local)
    return None


# Where each downloaded file came from, so a path can go back into a model's input as its URL.
_DOWNLOADED: Dict[str, str] = {}


class _DownloadDirectory:
    """The one directory a process downloads use() outputs into, removed when the process exits.

    It is private to the process (a shared, predictable directory could hold planted files).
    Its finalizer runs when the object goes away or, through `weakref.finalize`'s atexit hook,
    when the interpreter exits; a forked child inherits the object but makes its own directory
    and leaves its parent's alone.
    """

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.path = Path(tempfile.mkdtemp(prefix="replicate-use-"))
        self.remove = weakref.finalize(self, _remove_directory, self.path, self.pid)


def _remove_directory(path: Path, owner_pid: int) -> None:
    if os.getpid() == owner_pid:
        shutil.rmtree(path, ignore_errors=True)


_directory: Optional[_DownloadDirectory] = None
_directory_lock = threading.Lock()


def _downloads_dir() -> Path:
    global _directory
    with _directory_lock:
        if _directory is None or _directory.pid != os.getpid():
            _directory = _DownloadDirectory()
        return _directory.path


def _download(url: str, client: Optional[Client]) -> Path:
    """Download `url` (a data: URI is decoded locally) unless this process already has it."""
    digest = hashlib.sha256(url.encode("utf-8")).hexdigest()[:16]
    target = _downloads_dir() / digest / _file_name(url)
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        FileOutput(url, client).save(target)  # complete or absent, never half-written
    _DOWNLOADED[str(target)] = url
    return target


def _file_name(url: str) -> str:
    if url.startswith("data:"):
        return "output" + (mimetypes.guess_extension(guess_url_content_type(url)) or "")
    name = PurePosixPath(unquote(urlsplit(url).path)).name.replace("\\", "_")
    if name in ("", ".", ".."):
        return "output"
    if len(name.encode("utf-8")) > _MAX_NAME:
        return "output" + os.path.splitext(name)[1][:16]
    return name


def _with_files(value: Any, schema: Any, client: Optional[Client]) -> Any:
    """`value` with every string its schema marks `format: uri` as a URLPath."""
    schema = _schema_for(value, schema)
    if isinstance(value, str):
        if schema.get("format") == "uri" and value.startswith(_FILE_URL_PREFIXES):
            return URLPath(value, client=client)
        return value
    if is_array(value):
        return [_with_files(item, schema.get("items"), client) for item in value]
    if is_object(value):
        properties = schema.get("properties")
        if not is_object(properties):
            properties = {}
        return {key: _with_files(item, properties.get(key), client) for key, item in value.items()}
    return value


_JSON_TYPES: Tuple[Tuple[type, str], ...] = ((str, "string"), (list, "array"), (dict, "object"))


def _schema_for(value: Any, schema: Any) -> Dict[str, Any]:
    """The schema that applies to `value`: allOf parts merged, the matching anyOf/oneOf branch."""
    if not is_object(schema):
        return {}
    merged: Dict[str, Any] = dict(schema)
    for part in _array(schema.get("allOf")):
        if is_object(part):
            merged = {**part, **merged}
    json_type = next((name for kind, name in _JSON_TYPES if isinstance(value, kind)), None)
    for keyword in ("anyOf", "oneOf"):
        for branch in _array(schema.get(keyword)):
            if is_object(branch) and branch.get("type") == json_type:
                return {**merged, **branch}
    return merged


def _array(value: Any) -> List[Any]:
    """`value` if it is a list; else no items (a missing or malformed keyword)."""
    return value if is_array(value) else []


# --- schemas ---------------------------------------------------------------------------------


def _dereference(schema: Dict[str, Any]) -> Dict[str, Any]:
    """A copy of an OpenAPI schema with its local `$ref`s inlined, shaped as v0 1.1's.

    Component schemas that were inlined anywhere (paths included: PredictionRequest,
    PredictionResponse, Status, WebhookEvent, enums...) are dropped, except Input, Output,
    TrainingInput and TrainingOutput; schemas nothing references are kept. `paths` is emptied.
    A reference back into a schema being inlined (a cycle) stays a `$ref`, and its target
    stays in `components.schemas` (v0 1.1 recursed forever there).
    """
    inlined: Set[str] = set()
    still_referenced: Set[str] = set()

    def resolve(node: Any, active: Tuple[str, ...]) -> Any:
        if is_array(node):
            return [resolve(item, active) for item in node]
        if not is_object(node):
            return node
        ref = node.get("$ref")
        if not isinstance(ref, str) or not ref.startswith("#/"):
            return {key: resolve(value, active) for key, value in node.items()}
        target = _pointer(schema, ref)
        name = (
            ref[len("#/components/schemas/") :] if ref.startswith("#/components/schemas/") else None
        )
        if target is None or ref in active:
            if name is not None:
                still_referenced.add(name.split("/", 1)[0])
            return {
                key: resolve(value, active) if key != "$ref" else value
                for key, value in node.items()
            }
        if name is not None and "/" not in name:
            inlined.add(name)
        # The target replaces the node: OpenAPI 3.0 ignores a $ref's siblings, as v0 1.1 does.
        return resolve(target, (*active, ref))

    def resolve_components(components: Any) -> Any:
        # A component is inlined into itself no deeper than into anything else.
        if not is_object(components) or not is_object(components.get("schemas")):
            return resolve(components, ())
        return {
            key: {
                name: resolve(node, (f"#/components/schemas/{name}",))
                for name, node in cast("Dict[str, Any]", value).items()
            }
            if key == "schemas"
            else resolve(value, ())
            for key, value in components.items()
        }

    result = {
        key: resolve_components(value) if key == "components" else resolve(value, ())
        for key, value in schema.items()
    }
    result["paths"] = {}
    components = result.get("components")
    schemas = components.get("schemas") if is_object(components) else None
    if is_object(schemas):
        dropped = inlined - still_referenced - _KEPT_SCHEMAS
        result["components"]["schemas"] = {k: v for k, v in schemas.items() if k not in dropped}
    return result


def _pointer(document: Any, ref: str) -> Any:
    """The node a local JSON pointer (`#/a/b`) names, or None."""
    node = document
    for raw in ref[2:].split("/"):
        key = raw.replace("~1", "/").replace("~0", "~")
        if is_object(node) and key in node:
            node = node[key]
        elif is_array(node) and key.isdigit() and int(key) < len(node):
            node = node[int(key)]
        else:
            return None
    return node


def _output_schema(schema: Any) -> Dict[str, Any]:
    node = schema
    for key in ("components", "schemas", "Output"):
        node = node.get(key) if is_object(node) else None
    return node if is_object(node) else {}


def _item_schema(output: Dict[str, Any]) -> Dict[str, Any]:
    """The schema of one item an output yields (the output itself when it is no array)."""
    if output.get("type") == "array":
        items = output.get("items")
        return items if is_object(items) else {}
    return output


# --- iterator outputs ------------------------------------------------------------------------


class OutputIterator(Generic[T]):
    """A model's output items as they arrive, for `for` and `async for`.

    Text-token outputs (`x-cog-array-display: concatenate`) join into one string with `str()`;
    `await output` gives that string, or the list of items. Once one pass has finished, later
    passes replay the items without asking the API again.
    """

    def __init__(
        self,
        iterator_factory: Callable[[], Iterator[T]],
        async_iterator_factory: Callable[[], AsyncIterator[T]],
        schema: Dict[str, Any],
        *,
        is_concatenate: bool,
        client: Optional[Client] = None,
    ) -> None:
        self.iterator_factory = iterator_factory
        self.async_iterator_factory = async_iterator_factory
        self.schema = schema
        self.is_concatenate = is_concatenate
        self._client = client
        self._item = _item_schema(_output_schema(schema))
        self._items: Optional[List[T]] = None

    def __iter__(self) -> Iterator[T]:
        if self._items is not None:
            yield from self._items
            return
        items: List[T] = []
        for chunk in self.iterator_factory():
            items.append(_with_files(chunk, self._item, self._client))
            yield items[-1]
        self._items = items

    async def __aiter__(self) -> AsyncIterator[T]:
        if self._items is not None:
            for item in self._items:
                yield item
            return
        items: List[T] = []
        async for chunk in self.async_iterator_factory():
            items.append(_with_files(chunk, self._item, self._client))
            yield items[-1]
        self._items = items

    def __str__(self) -> str:
        items = list(self)
        return _joined(items) if self.is_concatenate else str(items)

    def __await__(self) -> Generator[Any, None, Union[List[T], str]]:
        async def collect() -> Union[List[T], str]:
            items = [item async for item in self]
            return _joined(items) if self.is_concatenate else items

        return collect().__await__()

    def __repr__(self) -> str:
        return f"<OutputIterator is_concatenate={self.is_concatenate}>"


def _is_output_iterator(value: object) -> TypeGuard[OutputIterator[Any]]:
    return isinstance(value, OutputIterator)


def _joined(items: List[Any]) -> str:
    return "".join(str(item) for item in items)


def _iterate_output(prediction: Prediction, output: Dict[str, Any]) -> Iterator[Any]:
    """The raw output items: from the SSE stream for text, else by polling."""
    if not _streams_events(prediction, output):
        yield from prediction.output_iterator()
        return
    from replicate.stream import stream_prediction

    for event in stream_prediction(prediction, use_file_output=False):
        if event.event == "output":
            yield event.data


async def _async_iterate_output(
    prediction: Prediction, output: Dict[str, Any]
) -> AsyncIterator[Any]:
    """The raw output items, asynchronously: from the SSE stream for text, else by polling."""
    if not _streams_events(prediction, output):
        async for item in prediction.async_output_iterator():
            yield item
        return
    from replicate.stream import async_stream_prediction

    async for event in async_stream_prediction(prediction, use_file_output=False):
        if event.event == "output":
            yield event.data


def _streams_events(prediction: Prediction, output: Dict[str, Any]) -> bool:
    # SSE carries output items as text, which is faithful only for string items (tokens and
    # file URLs); a finished prediction already holds all its output.
    return (
        not has_finished(prediction)
        and bool((prediction.urls or {}).get("stream"))
        and _item_schema(output).get("type") == "string"
    )


# --- runs ------------------------------------------------------------------------------------


class _RunBase(Generic[O]):
    """What Run and AsyncRun share: reading the output of their prediction."""

    _prediction: Prediction
    _schema: Dict[str, Any]

    def __init__(self, *, prediction: Prediction, schema: Dict[str, Any], streaming: bool) -> None:
        self._prediction = prediction
        self._schema = schema
        self._streaming = streaming
        self._output = _output_schema(schema)

    def _output_iterator(self) -> O:
        prediction, output = self._prediction, self._output
        return cast(
            O,
            OutputIterator(
                lambda: _iterate_output(prediction, output),
                lambda: _async_iterate_output(prediction, output),
                self._schema,
                is_concatenate=is_concatenate(output),
                client=prediction._client,
            ),
        )

    def _finished_output(self) -> O:
        prediction = self._prediction
        if prediction.status == "failed":
            raise ModelError(prediction)
        if is_concatenate(self._output) and is_array(prediction.output):
            return cast(O, _joined(prediction.output))
        return cast(O, _with_files(prediction.output, self._output, prediction._client))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(prediction={self._prediction.id!r})"


class Run(_RunBase[O]):
    """A prediction started by `Function.create`."""

    def output(self) -> O:
        """The output: an OutputIterator at once when streaming, else once the prediction ends.

        A failed prediction raises ModelError.
        """
        if self._streaming:
            return self._output_iterator()
        self._prediction.wait(strategy="stream")
        return self._finished_output()

    def logs(self) -> Optional[str]:
        """Reload the prediction and return its logs."""
        self._prediction.reload()
        return self._prediction.logs


class AsyncRun(_RunBase[O]):
    """A prediction started by `AsyncFunction.create`."""

    async def output(self) -> O:
        """The output: an OutputIterator at once when streaming, else once the prediction ends."""
        if self._streaming:
            return self._output_iterator()
        await self._prediction.async_wait(strategy="stream")
        return self._finished_output()

    async def logs(self) -> Optional[str]:
        """Reload the prediction and return its logs."""
        await self._prediction.async_reload()
        return self._prediction.logs


# --- functions -------------------------------------------------------------------------------


class _Resolution(NamedTuple):
    """What a function learned about its model: where to create predictions, and the schema."""

    model: Model
    version: Optional[Version]  # the version to run; None runs the model by name
    schema: Dict[str, Any]

    @classmethod
    def of(cls, model: Model, version: Optional[Version]) -> _Resolution:
        """The resolution for a model and the version to run (None: run the model by name)."""
        described = version or model.latest_version
        schema: Dict[str, Any] = {}
        if described is not None and isinstance(described.openapi_schema, dict):
            schema = make_schema_backwards_compatible(
                _dereference(described.openapi_schema), described.cog_version
            )
        return cls(model, version, schema)

    def endpoint(self) -> Tuple[str, Optional[str]]:
        """The create path and the version id to send."""
        if self.version is not None:
            return "/v1/predictions", self.version.id
        return model_predictions_path(self.model), None


def _runs_by_name(model: Model) -> bool:
    # Official models have no addressable versions, whatever `latest_version` says.
    return getattr(model, "is_official", False) is True or model.latest_version is None


def _raise_unless_not_found(error: ReplicateError) -> None:
    """Re-raise unless a 404: a versions list that is not found means the model has no
    addressable versions and runs by name (as v0 1.1 reads it)."""
    if error.status != 404:
        raise error


def _latest_if_listed(model: Model, versions: Page[Version]) -> Optional[Version]:
    # An empty versions list (a procedure, say) means the model runs by name, as in v0 1.1.
    return model.latest_version if versions.results else None


class _FunctionBase:
    """What Function and AsyncFunction share: the reference, the client, what was resolved."""

    def __init__(self, ref: str, *, streaming: bool, client: Optional[Client] = None) -> None:
        self._ref = _ref_string(ref)
        self._identifier = _parse_ref(self._ref)
        self._streaming = bool(streaming)
        self._given_client = client
        self._resolution: Optional[_Resolution] = None

    @property
    def _client(self) -> Client:
        return self._given_client if self._given_client is not None else _default_client()

    def _resolved(self, model: Model, version: Optional[Version]) -> _Resolution:
        self._resolution = _Resolution.of(model, version)
        return self._resolution

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._ref!r})"


class Function(_FunctionBase, Generic[Input, Output]):
    """A Replicate model as a function: call it with the model's inputs as keyword arguments."""

    def __call__(self, *args: Input.args, **inputs: Input.kwargs) -> Output:
        return self.create(*args, **inputs).output()

    def create(self, *_: Input.args, **inputs: Input.kwargs) -> Run[Output]:
        """Start a prediction and return its Run without waiting for it."""
        _check_no_positional(_)
        resolution = self._resolve()
        path, version_id = resolution.endpoint()
        prediction = create_prediction(
            self._client, path, _prepared(inputs), {}, version=version_id
        )
        return Run(prediction=prediction, schema=resolution.schema, streaming=self._streaming)

    @property
    def default_example(self) -> Optional[Dict[str, Any]]:
        """The model's default example prediction, as a dict; None if it has none."""
        return _example_of(self._resolve().model)

    def openapi_schema(self) -> Dict[str, Any]:
        """The version's OpenAPI schema, `$ref`s inlined and old-Cog hints added."""
        return copy.deepcopy(self._resolve().schema)

    def _resolve(self) -> _Resolution:
        if self._resolution is not None:
            return self._resolution
        owner, name, version_id = self._identifier
        # A namespace of its own, as v0's use() had: a patch of `replicate.models.get` sees none of it.
        model = Models(self._client).get(owner, name)
        if version_id:
            return self._resolved(model, model.versions.get(version_id))
        if _runs_by_name(model):
            return self._resolved(model, None)
        try:
            versions = model.versions.list()
        except ReplicateError as error:
            _raise_unless_not_found(error)
            return self._resolved(model, None)
        return self._resolved(model, _latest_if_listed(model, versions))


class AsyncFunction(_FunctionBase, Generic[Input, Output]):
    """A Replicate model as an async function: `await f(prompt=...)`."""

    async def __call__(self, *args: Input.args, **inputs: Input.kwargs) -> Output:
        run = await self.create(*args, **inputs)
        return await run.output()

    async def create(self, *_: Input.args, **inputs: Input.kwargs) -> AsyncRun[Output]:
        """Start a prediction and return its AsyncRun without waiting for it."""
        _check_no_positional(_)
        resolution = await self._resolve()
        path, version_id = resolution.endpoint()
        for iterator in _output_iterators_in(inputs):
            await iterator  # gathered now, so preparing the input needs no blocking I/O
        input = _prepared(inputs)
        prediction = await async_create_prediction(
            self._client, path, input, {}, version=version_id
        )
        return AsyncRun(prediction=prediction, schema=resolution.schema, streaming=self._streaming)

    @property
    def default_example(self) -> Optional[Dict[str, Any]]:
        """The model's default example prediction, as a dict, once the model has been looked up.

        Raises RuntimeError before that: `await f.openapi_schema()` (or a call) looks it up.
        """
        if self._resolution is None:
            raise RuntimeError(
                f"{self!r} has not looked up its model yet; await its openapi_schema() "
                "(or call it) before reading default_example"
            )
        return _example_of(self._resolution.model)

    async def openapi_schema(self) -> Dict[str, Any]:
        """The version's OpenAPI schema, `$ref`s inlined and old-Cog hints added."""
        return copy.deepcopy((await self._resolve()).schema)

    async def _resolve(self) -> _Resolution:
        if self._resolution is not None:
            return self._resolution
        owner, name, version_id = self._identifier
        model = await Models(self._client).async_get(owner, name)
        if version_id:
            return self._resolved(model, await model.versions.async_get(version_id))
        if _runs_by_name(model):
            return self._resolved(model, None)
        try:
            versions = await model.versions.async_list()
        except ReplicateError as error:
            _raise_unless_not_found(error)
            return self._resolved(model, None)
        return self._resolved(model, _latest_if_listed(model, versions))


class FunctionRef(Protocol, Generic[Input, Output]):
    """Anything that names a model (`name`, as 'owner/name' or 'owner/name:version') and is callable."""

    name: str
    __call__: Callable[Input, Output]


def _ref_string(ref: Any) -> str:
    if isinstance(ref, str):
        return ref
    name = getattr(ref, "name", None)
    if isinstance(name, str):
        return name
    raise TypeError(
        f"ref must be 'owner/name', 'owner/name:version' or an object whose `name` is one, got {ref!r}"
    )


def _parse_ref(ref: str) -> ModelVersionIdentifier:
    try:
        return ModelVersionIdentifier.parse(ref)
    except ValueError:
        raise ValueError(f"ref must be 'owner/name' or 'owner/name:version', got {ref!r}") from None


def _check_no_positional(args: Tuple[Any, ...]) -> None:
    if args:
        raise TypeError(
            f"a model's inputs are keyword arguments (e.g. prompt=...); got {len(args)} positional"
        )


def _prepared(value: Any) -> Any:
    """The input with outputs of other models made sendable: URLPaths as their URLs,
    text iterators as their string, other iterators as lists. Other files are uploaded later."""
    if _is_output_iterator(value):
        items = list(value)
        return _joined(items) if value.is_concatenate else _prepared(items)
    if is_object(value):
        return {key: _prepared(item) for key, item in value.items()}
    if is_sequence(value):
        return [_prepared(item) for item in value]
    if not isinstance(value, str):  # a plain string stays a string, even if it names a file
        url = get_path_url(value)
        if url is not None:
            return url
    return value


def _output_iterators_in(value: Any) -> Iterator[OutputIterator[Any]]:
    if isinstance(value, OutputIterator):
        yield value
    elif is_object(value):
        for item in value.values():
            yield from _output_iterators_in(item)
    elif is_sequence(value):
        for item in value:
            yield from _output_iterators_in(item)


def _example_of(model: Model) -> Optional[Dict[str, Any]]:
    example = model.default_example
    return None if example is None else example.model_dump(exclude_unset=True)


# --- use() -----------------------------------------------------------------------------------

# Without a hint nothing types the inputs or output: the first four overloads say Any (in
# iterators when streaming).


@overload
def use(
    ref: str,
    *,
    hint: None = None,
    streaming: Literal[True],
    use_async: Literal[False] = False,
    client: Optional[Client] = None,
) -> Function[..., OutputIterator[Any]]: ...


@overload
def use(
    ref: str,
    *,
    hint: None = None,
    streaming: Literal[True],
    use_async: Literal[True],
    client: Optional[Client] = None,
) -> AsyncFunction[..., OutputIterator[Any]]: ...


@overload
def use(
    ref: str,
    *,
    hint: None = None,
    streaming: bool = False,
    use_async: Literal[False] = False,
    client: Optional[Client] = None,
) -> Function[..., Any]: ...


@overload
def use(
    ref: str,
    *,
    hint: None = None,
    streaming: bool = False,
    use_async: Literal[True],
    client: Optional[Client] = None,
) -> AsyncFunction[..., Any]: ...


@overload
def use(
    ref: Union[str, FunctionRef[Input, Output]],
    *,
    hint: Optional[Callable[Input, Output]] = None,
    streaming: Literal[False] = False,
    use_async: Literal[False] = False,
    client: Optional[Client] = None,
) -> Function[Input, Output]: ...


@overload
def use(
    ref: Union[str, FunctionRef[Input, Output]],
    *,
    hint: Optional[Callable[Input, Output]] = None,
    streaming: Literal[True],
    use_async: Literal[False] = False,
    client: Optional[Client] = None,
) -> Function[Input, OutputIterator[Output]]: ...


@overload
def use(
    ref: Union[str, FunctionRef[Input, Output]],
    *,
    hint: Optional[Callable[Input, Output]] = None,
    streaming: Literal[False] = False,
    use_async: Literal[True],
    client: Optional[Client] = None,
) -> AsyncFunction[Input, Output]: ...


@overload
def use(
    ref: Union[str, FunctionRef[Input, Output]],
    *,
    hint: Optional[Callable[Input, Output]] = None,
    streaming: Literal[True],
    use_async: Literal[True],
    client: Optional[Client] = None,
) -> AsyncFunction[Input, OutputIterator[Output]]: ...


@overload
def use(
    ref: Union[str, FunctionRef[Input, Output]],
    *,
    hint: Optional[Callable[Input, Output]] = None,
    streaming: bool = False,
    use_async: bool = False,
    client: Optional[Client] = None,
) -> Union[
    Function[Input, Output],
    AsyncFunction[Input, Output],
    Function[Input, OutputIterator[Output]],
    AsyncFunction[Input, OutputIterator[Output]],
]: ...


def use(
    ref: Union[str, FunctionRef[Input, Output]],
    *,
    hint: Optional[Callable[Input, Output]] = None,
    streaming: bool = False,
    use_async: bool = False,
    client: Optional[Client] = None,
) -> Union[
    Function[Input, Output],
    AsyncFunction[Input, Output],
    Function[Input, OutputIterator[Output]],
    AsyncFunction[Input, OutputIterator[Output]],
]:
    """Use a model as a function: `flux = use("black-forest-labs/flux-dev"); flux(prompt="...")`.

    `hint` only types the function; `streaming=True` makes outputs OutputIterators; `use_async`
    returns an AsyncFunction. The model is looked up on first use, with `client` (default:
    `replicate.default_client`).
    """
    name = _ref_string(ref)
    if use_async:
        return AsyncFunction(name, streaming=streaming, client=client)
    return Function(name, streaming=streaming, client=client)
