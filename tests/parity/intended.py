"""The intended differences from replicate 1.0.7: the only ones the parity harness lets through.

One entry per difference: an id (the scenarios that show it name it), one line starting with the
reason, and the parts of a scenario's record it may change (requests, results, raised,
warnings). A tagged scenario must differ in those parts and match v0 in all the others. The
README's "What it fixes" section is this list, one bullet per entry, in this order.
"""

from __future__ import annotations

from typing import Dict, NamedTuple, Tuple


class Difference(NamedTuple):
    line: str
    parts: Tuple[str, ...]


INTENDED: Dict[str, Difference] = {
    "stable-namespaces": Difference(
        "Namespaces are objects that stay: `client.predictions is client.predictions`, so a patch of "
        "a client's namespace method takes effect (v0 made a new namespace on every access).",
        ("requests", "results"),
    ),
    "status-errors": Difference(
        "Errors say more: an API error is a per-status subclass of ReplicateError (NotFoundError, "
        "RateLimitError, ...), and a non-JSON error body becomes its `detail` (v0 kept only the status).",
        ("raised", "results"),
    ),
    "post-429-retried": Difference(
        "A 429 answer to a POST is retried after its Retry-After: the API refused the request, so "
        "nothing runs twice (v0 raised at once).",
        ("raised", "requests", "results"),
    ),
    "output-iterator-keeps-output": Difference(
        "No output is lost: `output_iterator()` yields the outputs already there when it starts and "
        "those produced before a failure (v0 skipped both).",
        ("results",),
    ),
    "stream-resume-unknown-events": Difference(
        "Streams follow the SSE standard: a cut stream resumes with Last-Event-ID, events without "
        "an id and event types Replicate adds pass through (v0 ended early, dropped or raised).",
        ("raised", "requests", "results"),
    ),
    "retries-connection-errors": Difference(
        "A dropped connection is retried when that is safe (a GET, or a request that never reached "
        "the API); v0 raised httpx's ConnectError at once.",
        ("raised", "requests", "results"),
    ),
    "stream-error-is-model-error": Difference(
        "A stream's `error` event raises StreamingError, a ModelError carrying the prediction and "
        "still the RuntimeError v0 raised, with the error text as message (v0: the raw event data).",
        ("raised", "results"),
    ),
    "token-per-request": Difference(
        "Cog runs each prediction with its own token: the token is looked up per request, so a "
        "changed REPLICATE_API_TOKEN or Cog scope is used (v0 kept the first one it saw).",
        ("requests",),
    ),
    "token-only-to-api": Difference(
        "The API token stays with the API: file downloads and other hosts never receive it "
        "(v0 sent it to whatever host an output URL named).",
        ("requests",),
    ),
    "http-file-output": Difference(
        "Outputs are files whatever the scheme: `http://` output URLs become FileOutput like "
        "`https://` ones (v0 left them plain strings).",
        ("requests", "results"),
    ),
    "files-delete-true": Difference(
        "`files.delete` returns True for any success answer, 200 included (v0 only for 204).",
        ("results",),
    ),
    "resources-keep-fields": Difference(
        "Resources follow the live API: they keep the fields it adds and accept the `aborted` "
        "status (v0 dropped the fields and raised a ValidationError on `aborted`).",
        ("raised", "results"),
    ),
    "wait-not-dropped": Difference(
        "Arguments are not dropped: `predictions.create(model=...)` / `(deployment=...)` send the "
        "`wait` and `file_encoding_strategy` given (v0 ignored both on these paths).",
        ("requests",),
    ),
    "unknown-keywords-warn": Difference(
        "Typos are reported: unknown keyword arguments to `predictions.create`, `run` and `stream` "
        "are ignored as in v0, with a UserWarning naming them (v0 ignored them silently).",
        ("warnings",),
    ),
    "leniency": Difference(
        "Calls v0 rejected only by accident work: `run()` with a bare version id, "
        "`models.predictions.create()` without `input`.",
        ("raised", "requests", "results"),
    ),
    "clearer-crash-messages": Difference(
        "Where v0 crashed with a Python unpacking or signature error (`deployments.get('acme')`, "
        "`models.create()` without `visibility`), the same exception type says what is missing.",
        ("raised",),
    ),
    "no-token-hint": Difference(
        "A missing token is named: a 401 answer to a request sent without any token says that no "
        "token was found and how to set one (v0 relayed only the API's words).",
        ("raised",),
    ),
}
