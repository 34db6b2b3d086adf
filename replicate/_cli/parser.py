"""The command line's arguments: every command, its options, and `--help`."""

from __future__ import annotations

import argparse
from typing import Any

from replicate._cli import commands
from replicate._version import __version__

__all__ = ["build_parser"]

DESCRIPTION = """\
Run models and manage predictions on Replicate from the terminal.

The token comes from REPLICATE_API_TOKEN; the API from --base-url, else REPLICATE_BASE_URL,
else https://api.replicate.com. Try it offline: replicate emulator --port 0 -- COMMAND."""

EPILOG = """\
exit status: 0 success, 1 the model failed, 2 usage error (bad REF or KEY=VALUE),
3 API or network error, 130 interrupted (Ctrl-C cancels the running prediction)."""

REF_HELP = "the model: owner/name, owner/name:version or a 64-character version id"
INPUTS_HELP = (
    "model input: KEY=VALUE (JSON numbers, true/false/null, arrays and objects are parsed, "
    "anything else is text), KEY=@PATH (a file), KEY:=JSON (always JSON), KEY==TEXT (always text)"
)
LIMIT_HELP = "list at most N items (default 100)"


def build_parser() -> argparse.ArgumentParser:
    """The parser of `replicate ...`, with one subcommand per command."""
    parser = argparse.ArgumentParser(
        prog="replicate",
        description=DESCRIPTION,
        epilog=EPILOG,
        parents=[_global_options(top_level=True)],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"replicate {__version__}")
    subcommands = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = _command(subcommands, "run", commands.run, "run a model and print its output")
    run.add_argument("ref", metavar="REF", help=REF_HELP)
    run.add_argument("inputs", nargs="*", metavar="KEY=VALUE", help=INPUTS_HELP)
    run.add_argument(
        "-o",
        "--output",
        metavar="PATH",
        help="save a file output as PATH; with PATH ending in / (or a directory), save every file "
        "output there under its own name (default: the current directory)",
    )
    run.add_argument(
        "--no-wait",
        action="store_true",
        help="print the prediction's id and URL and return at once",
    )
    _wait_strategy_option(run)

    stream = _command(
        subcommands,
        "stream",
        commands.stream,
        "run a model and print its output tokens as they arrive",
    )
    stream.add_argument("ref", metavar="REF", help=REF_HELP)
    stream.add_argument("inputs", nargs="*", metavar="KEY=VALUE", help=INPUTS_HELP)

    predictions = _group(
        subcommands, "predictions", "list, inspect, cancel and wait for predictions"
    )
    _listing(
        predictions,
        "list",
        commands.listing("predictions", commands.PREDICTION_COLUMNS),
        "list your predictions, newest first",
    )
    _command(
        predictions, "get", commands.by_id("predictions", "get"), "show a prediction"
    ).add_argument("id", metavar="ID")
    _command(
        predictions, "cancel", commands.by_id("predictions", "cancel"), "cancel a prediction"
    ).add_argument("id", metavar="ID")
    wait = _command(
        predictions,
        "wait",
        commands.predictions_wait,
        "wait for a prediction to finish and show it",
    )
    wait.add_argument("id", metavar="ID")
    _wait_strategy_option(wait)

    models = _group(subcommands, "models", "inspect and search models")
    _command(models, "get", commands.models_get, "show a model").add_argument(
        "model", metavar="OWNER/NAME"
    )
    schema = _command(
        models, "schema", commands.models_schema, "show a version's input and output schema"
    )
    schema.add_argument(
        "ref", metavar="REF", help="owner/name (its latest version) or owner/name:version"
    )
    _listing(models, "versions", commands.models_versions, "list a model's versions").add_argument(
        "model", metavar="OWNER/NAME"
    )
    _listing(models, "search", commands.models_search, "search public models").add_argument(
        "query", metavar="QUERY"
    )

    trainings = _group(subcommands, "trainings", "create, list, inspect and cancel trainings")
    create = _command(trainings, "create", commands.trainings_create, "train a model version")
    create.add_argument("ref", metavar="REF", help="the version to train: owner/name:version")
    create.add_argument(
        "--destination",
        required=True,
        metavar="OWNER/NAME",
        help="the model that receives the new version",
    )
    create.add_argument("inputs", nargs="*", metavar="KEY=VALUE", help=INPUTS_HELP)
    _listing(
        trainings,
        "list",
        commands.listing("trainings", commands.TRAINING_COLUMNS),
        "list your trainings, newest first",
    )
    _command(trainings, "get", commands.by_id("trainings", "get"), "show a training").add_argument(
        "id", metavar="ID"
    )
    _command(
        trainings, "cancel", commands.by_id("trainings", "cancel"), "cancel a training"
    ).add_argument("id", metavar="ID")

    files = _group(subcommands, "files", "upload and manage files")
    _command(files, "upload", commands.files_upload, "upload a file").add_argument(
        "path", metavar="PATH"
    )
    _command(files, "list", commands.files_list, "list your files")
    _command(files, "get", commands.by_id("files", "get"), "show a file").add_argument(
        "id", metavar="ID"
    )
    _command(files, "delete", commands.files_delete, "delete a file").add_argument(
        "id", metavar="ID"
    )

    hardware = _group(subcommands, "hardware", "the hardware models run on")
    _command(hardware, "list", commands.hardware_list, "list the available hardware")

    _command(subcommands, "account", commands.account, "show the account the token belongs to")

    collections = _group(subcommands, "collections", "curated collections of models")
    _listing(
        collections,
        "list",
        commands.listing("collections", commands.COLLECTION_COLUMNS),
        "list the collections",
    )
    _command(
        collections, "get", commands.collections_get, "show a collection and its models"
    ).add_argument("slug", metavar="SLUG")

    deployments = _group(subcommands, "deployments", "your deployments")
    _listing(
        deployments,
        "list",
        commands.listing("deployments", commands.DEPLOYMENT_COLUMNS),
        "list your deployments",
    )
    _command(deployments, "get", commands.deployments_get, "show a deployment").add_argument(
        "deployment", metavar="OWNER/NAME"
    )

    # Listed for --help; main() hands `emulator ...` to the emulator's own command line.
    subcommands.add_parser(
        "emulator",
        help="serve the local API emulator (as python -m replicate.emulator; see replicate emulator --help)",
        add_help=False,
    )
    return parser


def _global_options(top_level: bool) -> argparse.ArgumentParser:
    """--json, --base-url and --quiet, accepted before or after any command.

    Under a command they default to "not given", so they never undo the same option given
    before the command.
    """
    options = argparse.ArgumentParser(add_help=False)

    def default(value: Any) -> Any:
        return value if top_level else argparse.SUPPRESS

    options.add_argument(
        "--json",
        action="store_true",
        default=default(False),
        help="print JSON: one document, or one per line for lists",
    )
    options.add_argument(
        "--base-url",
        metavar="URL",
        default=default(None),
        help="the API's base URL (default: REPLICATE_BASE_URL, else https://api.replicate.com)",
    )
    options.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        default=default(False),
        help="show no progress on stderr (it is shown only when stderr is a terminal)",
    )
    return options


def _command(
    subcommands: Any, name: str, handler: commands.Handler, help: str
) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = subcommands.add_parser(
        name,
        help=help,
        description=help[:1].upper() + help[1:] + ".",
        parents=[_global_options(False)],
    )
    parser.set_defaults(handler=handler, parser=parser)
    return parser


def _listing(
    subcommands: Any, name: str, handler: commands.Handler, help: str
) -> argparse.ArgumentParser:
    parser = _command(subcommands, name, handler, help)
    parser.add_argument("--limit", type=_positive_int, default=100, metavar="N", help=LIMIT_HELP)
    return parser


def _group(subcommands: Any, name: str, help: str) -> Any:
    parser = subcommands.add_parser(
        name,
        help=help,
        description=help[:1].upper() + help[1:] + ".",
        parents=[_global_options(False)],
    )
    parser.set_defaults(parser=parser)
    return parser.add_subparsers(dest="action", metavar="ACTION", required=True)


def _wait_strategy_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--wait-strategy",
        choices=("poll", "stream"),
        default="stream",
        help="follow the prediction's event stream (default), or poll it as replicate.run() does",
    )


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return value
