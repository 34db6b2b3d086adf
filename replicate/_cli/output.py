"""What the command line writes: results on stdout (text or JSON), progress on stderr, files on disk."""

from __future__ import annotations

import json
import mimetypes
import os
import posixpath
import sys
from pathlib import Path
from typing import (
    TYPE_CHECKING,
    Any,
    Callable,
    Dict,
    Iterable,
    List,
    Optional,
    Sequence,
    Set,
    TextIO,
    Union,
)
from urllib.parse import unquote, urlparse

from replicate._json import is_array, is_object, is_sequence

if TYPE_CHECKING:
    from replicate.helpers import FileOutput
    from replicate.prediction import Prediction

__all__ = ["FileSaver", "Output", "Progress", "as_json"]

# A table column: a dotted field path (`current_release.number`), or a function of the item's JSON.
Column = Union[str, Callable[[Dict[str, Any]], Any]]


def as_json(value: Any) -> Any:
    """A JSON-ready form of a resource, a list of them, or plain data."""
    from replicate.resource import Resource

    if isinstance(value, Resource):
        return value.model_dump(mode="json")
    if is_sequence(value):
        return [as_json(item) for item in value]
    if is_object(value):
        return {key: as_json(item) for key, item in value.items()}
    return value


class Output:
    """Writes results to stdout: one JSON document (or one per line for lists) with `--json`,
    readable text otherwise."""

    def __init__(self, json_mode: bool, stream: Optional[TextIO] = None) -> None:
        self.json_mode = json_mode
        self.stream = stream if stream is not None else sys.stdout

    def line(self, text: str = "") -> None:
        """A line of text."""
        self.stream.write(text + "\n")
        self.stream.flush()

    def text(self, text: str) -> None:
        """Text with no newline added (streamed tokens)."""
        self.stream.write(text)
        self.stream.flush()

    def json(self, value: Any) -> None:
        """One JSON document on one line."""
        self.line(json.dumps(as_json(value), ensure_ascii=False))

    def resource(self, resource: Any, fields: Optional[Sequence[str]] = None) -> None:
        """One resource: JSON, or a `field: value` line for each field that is set."""
        if self.json_mode:
            self.json(resource)
            return
        data = as_json(resource)
        for key in fields or list(data):
            value = _field(data, key)
            if value is None or value == "" or value == {} or value == []:
                continue
            if isinstance(value, str) and "\n" in value.strip():
                self.line(f"{key}:")
                for text in value.rstrip("\n").split("\n"):
                    self.line(f"  {text}")
            else:
                self.line(
                    f"{key}: {value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)}"
                )

    def table(self, items: Iterable[Any], columns: Sequence[Column]) -> None:
        """A list of resources: one JSON document per line, or aligned columns of text."""
        if self.json_mode:
            for item in items:
                self.json(item)
            return
        rows: List[List[str]] = []
        for item in items:
            data = as_json(item)
            rows.append(
                [
                    _cell(column(data) if callable(column) else _field(data, column))
                    for column in columns
                ]
            )
        widths = [
            max([len(row[index]) for row in rows], default=0) for index in range(len(columns))
        ]
        for row in rows:
            cells = [cell.ljust(width) for cell, width in zip(row[:-1], widths)] + row[-1:]
            self.line("  ".join(cells).rstrip())


def _field(data: Any, dotted: str) -> Any:
    """The value at a dotted path (`latest_version.id`) of JSON data; None where it is missing."""
    for key in dotted.split("."):
        data = data.get(key) if is_object(data) else None
    return data


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return " ".join(text.split())  # one line per row, whatever the value holds


class Progress:
    """A prediction's status and progress on stderr, redrawn in place.

    Silent unless stderr is a terminal; `--quiet` silences it too.
    """

    def __init__(self, enabled: bool, stream: Optional[TextIO] = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled and _is_terminal(self.stream)
        self._shown = False

    def update(self, prediction: Prediction) -> None:
        """Show the prediction's status, and its progress when its logs have a progress bar."""
        if not self.enabled:
            return
        text = f"{prediction.id}: {prediction.status}"
        progress = prediction.progress
        if progress is not None:
            text += f" {progress.percentage:.0%} ({progress.current}/{progress.total})"
        self.stream.write("\r\x1b[2K" + text)
        self.stream.flush()
        self._shown = True

    def clear(self) -> None:
        """Erase the progress line, so what comes next starts on a clean line."""
        if self._shown:
            self.stream.write("\r\x1b[2K")
            self.stream.flush()
            self._shown = False


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class FileSaver:
    """Saves file outputs where `-o` says.

    No `-o`: the current directory, under each file's own name. `-o DIR/` (or an existing
    directory): that directory, under their own names. `-o FILE`: the first file there, any
    others beside it as FILE-1.ext, FILE-2.ext, ...
    """

    def __init__(self, destination: Optional[str]) -> None:
        self.destination = destination
        self.saved: List[Path] = []
        self._names: Set[str] = set()

    def path_for(self, file: FileOutput) -> Path:
        """Where the next file output goes."""
        destination = self.destination
        if destination is None:
            return self._unique(Path(), _file_name(file.url))
        if destination.endswith(("/", os.sep)) or Path(destination).is_dir():
            return self._unique(Path(destination), _file_name(file.url))
        path = Path(destination)
        if self.saved:
            path = path.with_name(f"{path.stem}-{len(self.saved)}{path.suffix}")
        return path

    def save(self, file: FileOutput) -> Path:
        """Download a file output (in constant memory) and return the path it was saved to."""
        path = self.path_for(file)
        if path.parent != Path():
            path.parent.mkdir(parents=True, exist_ok=True)
        file.save(path)  # complete or not at all
        self.saved.append(path)
        return path

    def _unique(self, directory: Path, name: str) -> Path:
        # Two outputs with the same name in one run must not overwrite each other.
        stem, suffix = posixpath.splitext(name)
        candidate, index = name, 0
        while candidate in self._names:
            index += 1
            candidate = f"{stem}-{index}{suffix}"
        self._names.add(candidate)
        return directory / candidate


def _file_name(url: str) -> str:
    """A safe local file name for an output URL: its last path segment, or `output.<ext>`."""
    if url.startswith("data:"):
        media_type = url[len("data:") :].split(",", 1)[0].split(";", 1)[0]
        return "output" + (mimetypes.guess_extension(media_type) or "")
    name = unquote(posixpath.basename(urlparse(url).path))
    name = name.replace("\\", "_").replace("/", "_").strip()
    if name in ("", ".", ".."):
        return "output"
    return "output" + name if name.startswith(".") else name


def save_files(value: Any, saver: FileSaver) -> Any:
    """`value` with each FileOutput in it saved and replaced by the path it was saved to."""
    from replicate.helpers import FileOutput

    if isinstance(value, FileOutput):
        return str(saver.save(value))
    if is_object(value):
        return {key: save_files(item, saver) for key, item in value.items()}
    if is_array(value):
        return [save_files(item, saver) for item in value]
    return value


def describe_failure(prediction: Any, log_lines: int = 10) -> List[str]:
    """What to tell a person about a failed or canceled prediction: its error and last log lines."""
    lines = [
        f"prediction {prediction.id} {prediction.status}"
        + (f": {prediction.error}" if prediction.error else "")
    ]
    logs = [
        line for line in (prediction.logs or "").replace("\r", "\n").split("\n") if line.strip()
    ]
    if logs:
        lines.append(f"last {min(log_lines, len(logs))} log lines:")
        lines += [f"  {line}" for line in logs[-log_lines:]]
    return lines


def output_items(output: Any) -> List[Any]:
    """The lines `run` prints for an output: each item of a list, or the value itself."""
    if output is None:
        return []
    return list(output) if is_array(output) else [output]


def item_text(item: Any) -> str:
    """How one output item (already with files replaced by their paths) reads as text."""
    if isinstance(item, str):
        return item
    if isinstance(item, dict):
        return json.dumps(item, indent=2, ensure_ascii=False)
    return json.dumps(item, ensure_ascii=False)
