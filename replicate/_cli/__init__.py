"""The `replicate` command line (`replicate ...` or `python -m replicate ...`).

Built on `replicate.Client`: the same token lookup, base URL and retries. `import replicate`
never loads it. Exit status: 0 success, 1 the model failed, 2 usage error, 3 API or network
error, 130 interrupted.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, List, Optional, Sequence

if TYPE_CHECKING:
    from replicate._cli.commands import Context

__all__ = ["main"]

# Options main() skips to find the command word, and which of them take a value.
_GLOBAL_FLAGS = frozenset(["--json", "-q", "--quiet"])
_GLOBAL_OPTIONS_WITH_VALUE = frozenset(["--base-url"])


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the command line; returns the exit status."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    command_at = _command_index(arguments)
    if command_at is not None and arguments[command_at] == "emulator":
        return _emulator(arguments[command_at + 1 :])
    try:
        return _run(arguments)
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly, and keep Python from complaining at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


def _run(arguments: List[str]) -> int:
    from replicate._cli import commands
    from replicate._cli.parser import build_parser

    parser = build_parser()
    args, extra = parser.parse_known_args(arguments)
    command_parser = getattr(args, "parser", parser)
    if extra:
        # KEY=VALUE arguments after an option (`run REF a=1 -o x b=2`) arrive here.
        if hasattr(args, "inputs") and not any(item.startswith("-") for item in extra):
            args.inputs += extra
        else:
            command_parser.error(f"unrecognized arguments: {' '.join(extra)}")
    if not hasattr(args, "handler"):
        command_parser.print_help(sys.stderr)
        return commands.EXIT_USAGE
    return _execute(commands.Context(args))


def _execute(ctx: Context) -> int:
    """Run the command, turning each expected failure into a one-line message and an exit status."""
    import httpx

    from replicate._cli import commands
    from replicate._cli.output import describe_failure
    from replicate.exceptions import ModelError, ReplicateError

    try:
        return int(ctx.args.handler(ctx))
    except commands.CommandError as exc:
        commands.error(f"replicate: {exc}")
        return exc.status
    except ModelError as exc:  # a model that failed while its output streamed
        for line in describe_failure(exc.prediction):
            commands.error(line)
        return commands.EXIT_MODEL_FAILED
    except ReplicateError as exc:
        commands.error(
            f"replicate: API error: {commands.one_line(exc)}{commands.api_error_hint(exc)}"
        )
        return commands.EXIT_API_ERROR
    except httpx.HTTPError as exc:
        commands.error(f"replicate: {commands.describe_network_error(exc)}")
        return commands.EXIT_API_ERROR
    except KeyboardInterrupt:
        commands.error("replicate: interrupted")
        return commands.EXIT_INTERRUPTED
    except OSError as exc:
        if isinstance(exc, BrokenPipeError):
            raise
        commands.error(f"replicate: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "))
        return commands.EXIT_USAGE


def _command_index(arguments: List[str]) -> Optional[int]:
    """Where the command word is, past any global options before it."""
    index = 0
    while index < len(arguments):
        argument = arguments[index]
        if argument in _GLOBAL_OPTIONS_WITH_VALUE:
            index += 2
        elif argument in _GLOBAL_FLAGS or argument.split("=", 1)[0] in _GLOBAL_OPTIONS_WITH_VALUE:
            index += 1
        elif argument.startswith("-"):
            return None
        else:
            return index
    return None


def _emulator(arguments: List[str]) -> int:
    """`replicate emulator ...`: the same as `python -m replicate.emulator ...`."""
    try:
        from replicate.emulator.__main__ import main as emulator_main
    except ImportError as exc:
        sys.stderr.write(
            f"replicate: the emulator needs its extra: pip install 'replicate[emulator]' ({exc})\n"
        )
        return 2
    return emulator_main(arguments)
