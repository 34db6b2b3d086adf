"""The catalog of parity scenarios: short v0-style programs run under both packages.

A scenario's code sees `replicate`, `out(value)` (records a result), `aout(value)` (the same,
consuming async iterators first) and, when it defines `async def main()`, is run with
`asyncio.run(main())`. `$R` stands for the namespace root: each operation is tried through
module-level `replicate` and through an explicit `client = replicate.Client(...)`.
"""

from __future__ import annotations

import textwrap
from typing import Any, Dict, Iterable, List, Optional

from .fixtures import (
    API,
    BYTES,
    EMPTY,
    FILE_URL,
    ITER_VID,
    SSE,
    STREAM_URL,
    TEXT,
    VID,
    J,
    Routes,
    default_routes,
    model,
    page,
    prediction,
    training,
)

Scenario = Dict[str, Any]
CATALOG: List[Scenario] = []
ROOTS = {
    "mod": "",
    "client": "client = replicate.Client(api_token='r8_client_token')\n",
}


def _routes(overrides: Optional[Routes]) -> Routes:
    routes = default_routes()
    routes.update(overrides or {})
    return routes


def add(id: str, code: str, routes: Optional[Routes] = None, *, intended: Optional[str] = None,
        pending: Optional[str] = None, foreign_auth: bool = False) -> None:
    """One scenario; `intended` names its entry in intended.INTENDED, `pending` a fix to come."""
    assert all(existing["id"] != id for existing in CATALOG), id
    scenario: Scenario = {"id": id, "code": textwrap.dedent(code).strip() + "\n", "routes": _routes(routes)}
    if intended:
        scenario["intended"] = intended
    if pending:
        scenario["pending"] = pending
    if foreign_auth:
        scenario["foreign_auth"] = True
    CATALOG.append(scenario)


def op(id: str, sync: Optional[str], async_: Optional[str] = None, routes: Optional[Routes] = None,
       *, roots: Iterable[str] = ("mod", "client"), **tags: Any) -> None:
    """An operation in its sync and async forms, through each root."""
    for root in roots:
        name = "replicate" if root == "mod" else "client"
        if sync is not None:
            code = ROOTS[root] + textwrap.dedent(sync).strip().replace("$R", name)
            add(f"{id}/{root}/sync", code, routes, **tags)
        if async_ is not None:
            body = textwrap.indent(textwrap.dedent(async_).strip().replace("$R", name), "    ")
            add(f"{id}/{root}/async", ROOTS[root] + "async def main():\n" + body, routes, **tags)


def failing(status: int, body: Any = None, text: Optional[str] = None, headers: Optional[Dict[str, str]] = None):
    if text is not None:
        return [TEXT(text, status)]
    return [J(body, status, headers)]


ERROR_BODY = {"type": "https://replicate.com/docs/errors", "title": "Invalid input",
              "status": 422, "detail": "text is required", "instance": "/v1/predictions"}

# ---------------------------------------------------------------- predictions
op("predictions.get", "out($R.predictions.get('p1'))", "out(await $R.predictions.async_get('p1'))")
op("predictions.get.kw", "out($R.predictions.get(id='p1'))", "out(await $R.predictions.async_get(id='p1'))")
op("predictions.list", "out($R.predictions.list())", "out(await $R.predictions.async_list())")
op("predictions.list.cursor",
   f"out($R.predictions.list('{API}/v1/predictions?cursor=c2'))",
   f"out(await $R.predictions.async_list(cursor='{API}/v1/predictions?cursor=c2'))")
op("predictions.list.none", "$R.predictions.list(None)", "await $R.predictions.async_list(cursor=None)")
op("predictions.cancel", "out($R.predictions.cancel('p1'))", "out(await $R.predictions.async_cancel('p1'))")
op("predictions.create.version",
   f"out($R.predictions.create(version='{VID}', input={{'text': 'world'}}))",
   f"out(await $R.predictions.async_create(version='{VID}', input={{'text': 'world'}}))")
op("predictions.create.positional",
   f"out($R.predictions.create('{VID}', {{'text': 'world'}}))",
   f"out(await $R.predictions.async_create('{VID}', {{'text': 'world'}}))")
op("predictions.create.positional-version-only",
   f"out($R.predictions.create('{VID}'))",
   f"out(await $R.predictions.async_create('{VID}'))")
op("predictions.create.owner-name-version",
   f"out($R.predictions.create(version='acme/hello:{VID}', input={{'text': 'x'}}))", None)
op("predictions.create.model",
   "out($R.predictions.create(model='acme/hello', input={'text': 'world'}))",
   "out(await $R.predictions.async_create(model='acme/hello', input={'text': 'world'}))")
op("predictions.create.model-tuple",
   "out($R.predictions.create(model=('acme', 'hello'), input={'text': 'world'}))",
   "out(await $R.predictions.async_create(model=('acme', 'hello'), input={'text': 'world'}))")
op("predictions.create.deployment",
   "out($R.predictions.create(deployment='acme/dep', input={'text': 'world'}))",
   "out(await $R.predictions.async_create(deployment='acme/dep', input={'text': 'world'}))")
op("predictions.create.deployment-tuple",
   "out($R.predictions.create(deployment=('acme', 'dep'), input={'a': 1}))",
   "out(await $R.predictions.async_create(deployment=('acme', 'dep'), input={'a': 1}))")
op("predictions.create.webhooks",
   f"""out($R.predictions.create(version='{VID}', input={{'text': 'w'}}, webhook='https://example.com/hook',
       webhook_completed='https://example.com/done', webhook_events_filter=['start', 'completed']))""",
   f"""out(await $R.predictions.async_create(version='{VID}', input={{'text': 'w'}}, webhook='https://example.com/hook',
       webhook_events_filter=['completed']))""")
op("predictions.create.stream",
   f"out($R.predictions.create(version='{VID}', input={{'text': 'w'}}, stream=True))",
   f"out(await $R.predictions.async_create(version='{VID}', input={{'text': 'w'}}, stream=False))")
for wait in ("True", "False", "5", "60"):
    op(f"predictions.create.wait-{wait}",
       f"out($R.predictions.create(version='{VID}', input={{'text': 'w'}}, wait={wait}))",
       f"out(await $R.predictions.async_create(version='{VID}', input={{'text': 'w'}}, wait={wait}))")
op("predictions.create.model-wait",
   "out($R.predictions.create(model='acme/hello', input={'text': 'w'}, wait=10))",
   "out(await $R.predictions.async_create(model='acme/hello', input={'text': 'w'}, wait=True))")
op("predictions.create.none-of-three", "$R.predictions.create(input={'a': 1})",
   "await $R.predictions.async_create(input={'a': 1})")
op("predictions.create.two-of-three",
   f"$R.predictions.create(model='acme/hello', version='{VID}', input={{}})",
   "await $R.predictions.async_create(model='acme/hello', deployment='acme/dep', input={})")
op("predictions.create.empty-version", "$R.predictions.create(version='', input={})", None)
op("predictions.create.no-args", "$R.predictions.create()", "await $R.predictions.async_create()")
op("predictions.create.input-none",
   f"out($R.predictions.create(version='{VID}', input=None))",
   f"out(await $R.predictions.async_create(version='{VID}'))")
op("predictions.create.nested-input",
   f"out($R.predictions.create(version='{VID}', input={{'a': [1, 2, {{'b': (3, 4)}}], 'c': None, 'd': 1.5}}))",
   f"out(await $R.predictions.async_create(version='{VID}', input={{'a': (1, 2), 'flag': True}}))")
op("predictions.create.set-input",
   f"out($R.predictions.create(version='{VID}', input={{'tags': frozenset(['a'])}}))",
   f"out(await $R.predictions.async_create(version='{VID}', input={{'tags': frozenset(['a'])}}))")
op("predictions.create.generator-input",
   f"out($R.predictions.create(version='{VID}', input={{'n': (i * 2 for i in range(3))}}))",
   f"out(await $R.predictions.async_create(version='{VID}', input={{'n': (i for i in range(2))}}))")
op("predictions.create.file-upload",
   f"import io\nout($R.predictions.create(version='{VID}', input={{'data': io.BytesIO(b'hello')}}))",
   f"import io\nout(await $R.predictions.async_create(version='{VID}', input={{'data': io.BytesIO(b'hello')}}))")
op("predictions.create.file-base64",
   f"""import io
f = io.BytesIO(b'hello')
out($R.predictions.create(version='{VID}', input={{'data': f}}, file_encoding_strategy='base64'))""",
   f"""import io
out(await $R.predictions.async_create(version='{VID}', input={{'data': io.BytesIO(b'hi')}}, file_encoding_strategy='base64'))""")
op("predictions.create.path-upload",
   f"""import pathlib, tempfile, os
d = tempfile.mkdtemp()
p = pathlib.Path(d, 'note.txt'); p.write_text('hello')
out($R.predictions.create(version='{VID}', input={{'doc': p}}))""",
   f"""import pathlib, tempfile
d = tempfile.mkdtemp()
p = pathlib.Path(d, 'note.txt'); p.write_text('hello')
out(await $R.predictions.async_create(version='{VID}', input={{'doc': p}}, file_encoding_strategy='base64'))""")
op("predictions.create.version-object",
   f"v = $R.models.get('acme/hello').versions.get('{VID}')\nout($R.predictions.create(version=v, input={{'text': 'x'}}))",
   None)
op("predictions.create.model-object",
   "m = $R.models.get('acme/hello')\nout($R.predictions.create(model=m, input={'text': 'x'}))",
   "m = await $R.models.async_get('acme/hello')\nout(await $R.predictions.async_create(model=m, input={'text': 'x'}))")
op("predictions.create.deployment-object",
   "d = $R.deployments.get('acme/dep')\nout($R.predictions.create(deployment=d, input={'text': 'x'}))",
   "d = await $R.deployments.async_get('acme/dep')\nout(await $R.predictions.async_create(deployment=d, input={'text': 'x'}))")
op("predictions.create.model-with-version",
   f"$R.predictions.create(model='acme/hello:{VID}', input={{}})",
   f"await $R.predictions.async_create(model='acme/hello:{VID}', input={{}})")
op("predictions.create.bad-model", "$R.predictions.create(model='nonsense', input={})",
   "await $R.predictions.async_create(model='a/b/c', input={})")
op("predictions.create.bad-model-type", "$R.predictions.create(model=123, input={})", None)
op("predictions.create.bad-deployment", "$R.predictions.create(deployment='nodash', input={})", None,
   intended="clearer-crash-messages")
op("predictions.create.unknown-kwarg",
   f"out($R.predictions.create(version='{VID}', input={{'text': 'x'}}, webhok='https://x'))",
   f"out(await $R.predictions.async_create(version='{VID}', input={{'text': 'x'}}, colour='red'))")

# Error answers: every ReplicateError str() and the exception raised.
for status, body in (
    (422, ERROR_BODY),
    (401, {"title": "Unauthenticated", "detail": "You did not pass a valid authentication token", "status": 401}),
    (402, {"title": "Payment Required", "detail": "Billing is required", "status": 402}),
    (404, {"detail": "Not found."}),
    (409, {"title": "Conflict", "status": 409}),
    (500, {}),
):
    op(f"errors.create-{status}",
       f"$R.predictions.create(version='{VID}', input={{}})",
       f"await $R.predictions.async_create(version='{VID}', input={{}})",
       {"POST /v1/predictions": failing(status, body)})
op("errors.get-404", "$R.predictions.get('missing')", "await $R.predictions.async_get('missing')")
op("errors.repr-and-fields",
   """try:
    $R.predictions.get('missing')
except replicate.exceptions.ReplicateError as e:
    out([repr(e), e.status, e.title, e.detail, e.type, e.instance, e.to_dict()])""", None)
op("errors.422-fields",
   f"""try:
    $R.predictions.create(version='{VID}', input={{}})
except replicate.exceptions.ReplicateError as e:
    out([e.status, e.title, e.detail, e.type, e.instance, e.to_dict(), str(e)])""", None,
   {"POST /v1/predictions": failing(422, ERROR_BODY)})
op("errors.html-500",
   "$R.hardware.list()", "await $R.hardware.async_list()",
   {"GET /v1/hardware": [TEXT("<html>oops</html>", 500, "text/html")]}, roots=("mod",),
   intended="status-errors")
op("errors.json-500-fields",
   "$R.accounts.current()", "await $R.accounts.async_current()",
   {"GET /v1/account": failing(500, {"detail": "boom"})}, roots=("client",))
op("errors.503-retry-get",
   "out($R.predictions.get('p1'))", None,
   {"GET /v1/predictions/p1": [J({"detail": "busy"}, 503, {"Retry-After": "0"}), J(prediction())]})
op("errors.429-post",
   f"$R.predictions.create(version='{VID}', input={{}})", None,
   {"POST /v1/predictions": [J({"detail": "slow down"}, 429, {"Retry-After": "0"}), J(prediction(), 201)]},
   intended="post-429-retried")
op("errors.exception-types",
   """import replicate.exceptions as ex
out([c.__name__ for c in ex.ModelError.__mro__[:3]])
out(issubclass(ex.ReplicateError, ex.ReplicateException))""", None, roots=("mod",))

# ---------------------------------------------------------------- Prediction methods
op("prediction.wait", "p = $R.predictions.get('p1')\nout(p.wait())\nout(p)",
   "p = await $R.predictions.async_get('p1')\nout(await p.async_wait())\nout(p)")
op("prediction.reload", "p = $R.predictions.get('p1')\np.reload()\nout(p)",
   "p = await $R.predictions.async_get('p1')\nawait p.async_reload()\nout(p)")
op("prediction.cancel", "p = $R.predictions.get('p1')\nout(p.cancel())\nout(p.status)",
   "p = await $R.predictions.async_get('p1')\nout(await p.async_cancel())\nout(p.status)")
op("prediction.progress",
   "p = $R.predictions.get('p1')\nout([p.progress.percentage, p.progress.current, p.progress.total, type(p.progress).__name__])",
   None)
op("prediction.progress-none", "p = $R.predictions.get('p1')\np.reload()\nout(p.progress)", None)
op("prediction.progress-parse",
   """P = replicate.prediction.Prediction.Progress
out([P.parse(s) and (P.parse(s).percentage, P.parse(s).current, P.parse(s).total) for s in
     ['', 'no bar', ' 50%|#####     | 5/10 [00:01<00:01]', '10%|#| 1/10\\n 90%|#########| 9/10', '100%|##########| 10/10']])""",
   None, roots=("mod",))
op("prediction.output-iterator",
   "p = $R.predictions.get('p1')\nout(p.output_iterator())",
   "p = await $R.predictions.async_get('p1')\nawait aout(p.async_output_iterator())",
   {"GET /v1/predictions/p1": [J(prediction(status="processing", output=["a"])),
                               J(prediction(status="processing", output=["a", "b"])),
                               J(prediction(output=["a", "b", "c"]))]})
op("prediction.output-iterator-failed",
   "p = $R.predictions.get('p1')\nout(p.output_iterator())",
   "p = await $R.predictions.async_get('p1')\nawait aout(p.async_output_iterator())",
   {"GET /v1/predictions/p1": [J(prediction(status="processing", output=None)),
                               J(prediction(status="failed", output=None, error="CUDA out of memory"))]})
op("prediction.output-iterator-failed-with-output",
   "p = $R.predictions.get('p1')\nout(p.output_iterator())", None,
   {"GET /v1/predictions/p1": [J(prediction(status="processing", output=["a"])),
                               J(prediction(status="failed", output=["a", "b"], error="boom"))]},
   intended="output-before-failure")
op("prediction.stream",
   "p = $R.predictions.get('p1')\nout([(e.event, str(e), e.id) for e in p.stream()])",
   "p = await $R.predictions.async_get('p1')\nout([(e.event, str(e), e.id) async for e in p.async_stream()])")
op("prediction.stream-unsupported",
   "p = $R.predictions.get('p1')\nout(list(p.stream()))",
   "p = await $R.predictions.async_get('p1')\nout([e async for e in p.async_stream()])",
   {"GET /v1/predictions/p1": [J(prediction(stream=False))]})
op("prediction.fields",
   """p = $R.predictions.get('p1')
out([p.id, p.model, p.version, p.status, p.input, p.output, p.logs, p.error, p.metrics,
     p.created_at, p.started_at, p.completed_at, p.urls])""", None)
op("prediction.dict-json",
   "import json\np = $R.predictions.get('p1')\nout(sorted(p.dict()))\nout(json.loads(p.json()))", None,
   roots=("mod",))
op("prediction.failed-wait",
   "p = $R.predictions.get('p1')\np.wait()\nout([p.status, p.error])", None,
   {"GET /v1/predictions/p1": [J(prediction(status="processing", output=None)),
                               J(prediction(status="failed", output=None, error="boom"))]})

# ---------------------------------------------------------------- run / async_run
HELLO_RUN = f"out($R.run('acme/hello:{VID}', input={{'text': 'world'}}))"
HELLO_ARUN = f"out(await $R.async_run('acme/hello:{VID}', input={{'text': 'world'}}))"


def done(output: Any = "hello world", status_code: int = 201, **kwargs: Any) -> List[Any]:
    return [J(prediction(output=output, **kwargs), status_code)]


op("run.owner-name-version", HELLO_RUN, HELLO_ARUN)
op("run.version-id", f"out($R.run('{VID}', input={{'text': 'w'}}))",
   f"out(await $R.async_run('{VID}', input={{'text': 'w'}}))")
op("run.owner-name", "out($R.run('acme/hello', input={'text': 'w'}))",
   "out(await $R.async_run('acme/hello', input={'text': 'w'}))")
op("run.positional-input", "out($R.run('acme/hello', {'text': 'w'}))",
   "out(await $R.async_run('acme/hello', {'text': 'w'}))")
op("run.no-input", "out($R.run('acme/hello'))", "out(await $R.async_run('acme/hello'))")
op("run.model-object", "m = $R.models.get('acme/hello')\nout($R.run(m, input={'text': 'w'}))",
   "m = await $R.models.async_get('acme/hello')\nout(await $R.async_run(m, input={'text': 'w'}))")
op("run.version-object",
   f"v = $R.models.get('acme/hello').versions.get('{VID}')\nout($R.run(v, input={{'text': 'w'}}))",
   f"v = await $R.models.get('acme/hello').versions.async_get('{VID}')\nout(await $R.async_run(v, input={{'text': 'w'}}))")
op("run.identifier",
   f"from replicate.identifier import ModelVersionIdentifier as I\nout($R.run(I('acme', 'hello', '{VID}'), input={{}}))",
   "from replicate.identifier import ModelVersionIdentifier as I\nout(await $R.async_run(I('acme', 'hello'), input={}))")
op("run.file-output", HELLO_RUN, HELLO_ARUN, {"POST /v1/predictions": done(FILE_URL)})
op("run.file-output-list", HELLO_RUN, HELLO_ARUN,
   {"POST /v1/predictions": done([FILE_URL, FILE_URL])})
op("run.file-output-dict", HELLO_RUN, None,
   {"POST /v1/predictions": done({"image": FILE_URL, "n": 2, "caption": "hi"})})
op("run.file-output-data-url", HELLO_RUN, HELLO_ARUN,
   {"POST /v1/predictions": done("data:text/plain;base64,aGVsbG8=")})
op("run.file-output-off",
   f"out($R.run('acme/hello:{VID}', input={{}}, use_file_output=False))",
   f"out(await $R.async_run('acme/hello:{VID}', input={{}}, use_file_output=False))",
   {"POST /v1/predictions": done([FILE_URL])})
op("run.file-output-http", HELLO_RUN, None,
   {"POST /v1/predictions": done("http://insecure.example.com/out.png"),
    "GET http://insecure.example.com/out.png": [BYTES(b"plain http")]},
   intended="http-file-output", roots=("mod",))
op("run.file-output-iter",
   f"out(list($R.run('acme/hello:{VID}', input={{}})[0]))", None,
   {"POST /v1/predictions": done([FILE_URL])})
op("run.file-output-str", f"f = $R.run('acme/hello:{VID}', input={{}})\nout([str(f), f.url])", None,
   {"POST /v1/predictions": done(FILE_URL)})
op("run.file-output-aiter",
   None, f"f = await $R.async_run('acme/hello:{VID}', input={{}})\nout(b''.join([c async for c in f]))",
   {"POST /v1/predictions": done(FILE_URL)})
op("run.file-output-404", HELLO_RUN, None,
   {"POST /v1/predictions": done(FILE_URL), f"GET {FILE_URL}": [TEXT("gone", 404)]})
op("run.polls", HELLO_RUN, HELLO_ARUN)  # create answers starting: poll processing, succeeded
op("run.processing-after-hold", HELLO_RUN, HELLO_ARUN,
   {"POST /v1/predictions": [J(prediction(status="processing", output="early"), 201)]})
op("run.wait-false", f"out($R.run('acme/hello:{VID}', input={{}}, wait=False))",
   f"out(await $R.async_run('acme/hello:{VID}', input={{}}, wait=False))")
op("run.wait-false-processing", f"out($R.run('acme/hello:{VID}', input={{}}, wait=False))", None,
   {"POST /v1/predictions": [J(prediction(status="processing", output="early"), 201)]})
op("run.wait-int", "out($R.run('acme/hello', input={}, wait=7))",
   "out(await $R.async_run('acme/hello', input={}, wait=7))", {"POST /v1/models/acme/hello/predictions": done()})
op("run.wait-true-explicit", "out($R.run('acme/hello', input={}, wait=True))", None,
   {"POST /v1/models/acme/hello/predictions": done()})
op("run.webhook", f"out($R.run('acme/hello:{VID}', input={{}}, webhook='https://e.com/h', webhook_events_filter=['completed']))",
   None, {"POST /v1/predictions": done()})
op("run.failed", HELLO_RUN, HELLO_ARUN,
   {"POST /v1/predictions": done(None, status="failed", error="Model crashed")})
op("run.failed-after-poll", HELLO_RUN, HELLO_ARUN,
   {"GET /v1/predictions/p1": [J(prediction(status="failed", output=None, error="OOM", logs="Traceback"))]})
op("run.failed-error-fields",
   f"""try:
    $R.run('acme/hello:{VID}', input={{}})
except replicate.exceptions.ModelError as e:
    out([str(e), e.prediction.id, e.prediction.status, e.prediction.error, e.prediction.logs, type(e.prediction).__name__])""",
   None, {"POST /v1/predictions": done(None, status="failed", error="bad", logs="line1\nline2")})
op("run.canceled", HELLO_RUN, HELLO_ARUN,
   {"GET /v1/predictions/p1": [J(prediction(status="canceled", output=None))]})
op("run.iterator-model", f"out($R.run('acme/chat:{ITER_VID}', input={{'prompt': 'hi'}}))",
   f"await aout(await $R.async_run('acme/chat:{ITER_VID}', input={{'prompt': 'hi'}}))",
   {"POST /v1/predictions": [J(prediction(status="starting", output=None, version=ITER_VID), 201)],
    "GET /v1/predictions/p1": [J(prediction(status="processing", output=["Hel"], version=ITER_VID)),
                               J(prediction(output=["Hel", "lo", "!"], version=ITER_VID))]})
op("run.iterator-model-done", f"out($R.run('acme/chat:{ITER_VID}', input={{}}))",
   f"await aout(await $R.async_run('acme/chat:{ITER_VID}', input={{}}))",
   {"POST /v1/predictions": done(["a", "b"], version=ITER_VID)})
op("run.iterator-model-files", f"out($R.run('acme/chat:{ITER_VID}', input={{}}))", None,
   {"POST /v1/predictions": done([FILE_URL], version=ITER_VID)})
op("run.iterator-model-failed", f"out($R.run('acme/chat:{ITER_VID}', input={{}}))",
   f"await aout(await $R.async_run('acme/chat:{ITER_VID}', input={{}}))",
   {"POST /v1/predictions": [J(prediction(status="starting", output=None, version=ITER_VID), 201)],
    "GET /v1/predictions/p1": [J(prediction(status="failed", output=None, error="boom", version=ITER_VID))]})
op("run.iterator-model-by-name", "out($R.run('acme/chat', input={}))", None,
   {"POST /v1/models/acme/chat/predictions": done(["x", "y"], version=ITER_VID)})
op("run.iterator-model-version-obj",
   f"v = $R.models.get('acme/chat').versions.get('{ITER_VID}')\nout($R.run(v, input={{}}))", None,
   {"POST /v1/predictions": done(["x", "y"], version=ITER_VID)})
op("run.iterator-processing-after-hold", f"out($R.run('acme/chat:{ITER_VID}', input={{}}))", None,
   {"POST /v1/predictions": [J(prediction(status="processing", output=["a"], version=ITER_VID), 201)],
    "GET /v1/predictions/p1": [J(prediction(output=["a", "b"], version=ITER_VID))]})
op("run.bad-ref", "$R.run('not a ref', input={})", "await $R.async_run('not a ref', input={})")
op("run.bad-ref-slashes", "$R.run('a/b/c', input={})", "await $R.async_run('a/b/c:', input={})")
op("run.bad-ref-colon-only", "$R.run('acme:abc', input={})", None)
op("run.bad-ref-type", "$R.run(123, input={})", "await $R.async_run(None, input={})")
op("run.bad-ref-empty", "$R.run('', input={})", None)
op("run.no-ref", "$R.run()", "await $R.async_run()")
op("run.extra-positional", "$R.run('acme/hello', {}, 'extra')", None)
op("run.unknown-kwarg", "out($R.run('acme/hello', input={}, colour='red'))", None,
   {"POST /v1/models/acme/hello/predictions": done()})
op("run.input-file", "import io\nout($R.run('acme/hello', input={'f': io.BytesIO(b'abc')}))", None,
   {"POST /v1/models/acme/hello/predictions": done()})
op("run.input-file-base64",
   "import io\nout($R.run('acme/hello', input={'f': io.BytesIO(b'abc')}, file_encoding_strategy='base64'))", None,
   {"POST /v1/models/acme/hello/predictions": done()})
op("run.input-set", "out($R.run('acme/hello', input={'s': {3}}))", None,
   {"POST /v1/models/acme/hello/predictions": done()})
op("run.error-answer", HELLO_RUN, HELLO_ARUN, {"POST /v1/predictions": failing(422, ERROR_BODY)})
op("run.model-404", "$R.run('acme/missing', input={})", "await $R.async_run('acme/missing', input={})")
op("run.output-none", HELLO_RUN, None, {"POST /v1/predictions": done(None)})
op("run.output-number", HELLO_RUN, None, {"POST /v1/predictions": done(3.5)})
op("run.output-list-strings", HELLO_RUN, None, {"POST /v1/predictions": done(["a", "https-not", "b"])})
op("run.positional-ref-kw", "out($R.run(ref='acme/hello', input={}))", None,
   {"POST /v1/models/acme/hello/predictions": done()})
op("run.stream-flag", "out($R.run('acme/hello', input={}, stream=True))", None,
   {"POST /v1/models/acme/hello/predictions": done()})

# ---------------------------------------------------------------- stream / async_stream
STREAM_CODE = "out([(e.event, e.data, e.id, str(e)) for e in $R.stream('acme/hello', input={'prompt': 'hi'})])"
ASTREAM_CODE = ("out([(e.event, e.data, e.id, str(e)) async for e in "
                "await $R.async_stream('acme/hello', input={'prompt': 'hi'})])")
STREAMING = {"POST /v1/models/acme/hello/predictions": [J(prediction(status="starting", output=None), 201)]}


def streamed(*events: str) -> Routes:
    return {**STREAMING, f"GET {STREAM_URL}": [SSE(*events)]}


op("stream.basic", STREAM_CODE, ASTREAM_CODE, STREAMING)
op("stream.version", f"out([str(e) for e in $R.stream('acme/hello:{VID}', input={{}})])",
   f"out([str(e) async for e in await $R.async_stream('acme/hello:{VID}', input={{}})])")
op("stream.positional-input", "out([str(e) for e in $R.stream('acme/hello', {'prompt': 'x'})])", None, STREAMING,
   roots=("mod",))
op("stream.logs", STREAM_CODE, ASTREAM_CODE, streamed("logs:loading", "output:a", "logs:more", "done:{}"))
op("stream.multiline", STREAM_CODE, ASTREAM_CODE, streamed("output:line one\nline two", "done:"))
op("stream.error", STREAM_CODE, ASTREAM_CODE, streamed("output:a", 'error:{"detail": "boom"}'))
op("stream.done-stops", STREAM_CODE, ASTREAM_CODE, streamed("output:a", "done:", "output:after"))
op("stream.file-url", "out([e.data for e in $R.stream('acme/hello', input={})])",
   "out([e.data async for e in await $R.async_stream('acme/hello', input={})])",
   streamed(f"output:{FILE_URL}", "done:"))
op("stream.file-output-off",
   "out([e.data for e in $R.stream('acme/hello', input={}, use_file_output=False)])",
   "out([e.data async for e in await $R.async_stream('acme/hello', input={}, use_file_output=False)])",
   streamed(f"output:{FILE_URL}", "done:"))
op("stream.unsupported", STREAM_CODE, ASTREAM_CODE,
   {"POST /v1/models/acme/hello/predictions": [J(prediction(status="starting", output=None, stream=False), 201)]})
op("stream.bad-ref", "list($R.stream('bad ref', input={}))",
   "out([e async for e in await $R.async_stream('bad ref', input={})])")
op("stream.wrong-content-type", STREAM_CODE, None,
   {**STREAMING, f"GET {STREAM_URL}": [TEXT("not sse", 200, "text/plain")]})
op("stream.request-body", "it = $R.stream('acme/hello', input={'a': 1}, webhook='https://e.com')\nout(next(iter(it)).data)",
   None, STREAMING)
op("stream.lazy", "it = $R.stream('acme/hello', input={})\nout(type(it).__name__)", None, STREAMING,
   roots=("mod",))
op("stream.event-type", """from replicate.stream import ServerSentEvent as E
out([e.event == E.EventType.OUTPUT for e in $R.stream('acme/hello', input={})])""", None, STREAMING)

# ---------------------------------------------------------------- models
op("models.get", "out($R.models.get('acme/hello'))", "out(await $R.models.async_get('acme/hello'))")
op("models.get.owner-name", "out($R.models.get('acme', 'hello'))", "out(await $R.models.async_get('acme', 'hello'))")
op("models.get.kw", "out($R.models.get(owner='acme', name='hello'))",
   "out(await $R.models.async_get(key='acme/hello'))")
op("models.get.no-args", "$R.models.get()", "await $R.models.async_get()")
op("models.get.three", "$R.models.get('a', 'b', 'c')", None)
op("models.get.mixed", "$R.models.get('acme', name='hello')", None)
op("models.get.key-and-owner", "$R.models.get(key='acme/hello', owner='acme')", None)
op("models.get.owner-only", "$R.models.get(owner='acme')", None)
op("models.get.404", "$R.models.get('acme/missing')", "await $R.models.async_get('acme/missing')")
op("models.list", "out($R.models.list())", "out(await $R.models.async_list())")
op("models.list.cursor", f"out($R.models.list('{API}/v1/models?cursor=x'))",
   f"out(await $R.models.async_list('{API}/v1/models?cursor=x'))")
op("models.list.none", "$R.models.list(None)", "await $R.models.async_list(None)")
op("models.search", "out($R.models.search('upscaler'))", "out(await $R.models.async_search('upscaler'))")
op("models.create",
   "out($R.models.create('acme', 'new', hardware='cpu', visibility='public', description='d', github_url='https://g'))",
   "out(await $R.models.async_create('acme', 'new', hardware='gpu-t4', visibility='private'))")
op("models.create.kw",
   "out($R.models.create(owner='acme', name='new', visibility='private', hardware='cpu', paper_url='https://p', license_url='https://l', cover_image_url='https://c'))",
   None)
op("models.create.missing-visibility", "$R.models.create('acme', 'new', hardware='cpu')", None)
op("models.delete", "out($R.models.delete('acme/hello'))", "out(await $R.models.async_delete('acme', 'hello'))")
op("models.delete.kw", "out($R.models.delete(owner='acme', name='hello'))", None)
op("models.model.fields", """m = $R.models.get('acme/hello')
out([m.id, m.url, m.owner, m.name, m.description, m.visibility, m.github_url, m.paper_url, m.license_url,
     m.run_count, m.cover_image_url, m.default_example, m.latest_version.id, type(m.latest_version).__name__])""",
   None)
op("models.model.username", "m = $R.models.get('acme/hello')\nout(m.username)", None, roots=("mod",))
op("models.model.predict", "$R.models.get('acme/hello').predict(text='x')", None)
op("models.model.reload", "m = $R.models.get('acme/hello')\nm.reload()\nout(m)", None,
   {"GET /v1/models/acme/hello": [J(model()), J({**model(), "run_count": 43})]})
op("models.model.default-example", "out($R.models.get('acme/hello').default_example)", None,
   {"GET /v1/models/acme/hello": [J({**model(), "default_example": prediction()})]})
op("models.model.no-latest", "out($R.models.get('acme/hello'))", None,
   {"GET /v1/models/acme/hello": [J({**model(), "latest_version": None})]}, roots=("mod",))
op("models.predictions.create", "out($R.models.predictions.create(model='acme/hello', input={'text': 'w'}))",
   "out(await $R.models.predictions.async_create(model='acme/hello', input={'text': 'w'}))")
op("models.predictions.create.positional", "out($R.models.predictions.create('acme/hello', {'text': 'w'}))",
   "out(await $R.models.predictions.async_create('acme/hello', {'text': 'w'}))")
op("models.predictions.create.tuple", "out($R.models.predictions.create(('acme', 'hello'), {'text': 'w'}, wait=3))",
   "out(await $R.models.predictions.async_create(model=('acme', 'hello'), input={}, wait=False))")
op("models.predictions.create.model-object",
   "m = $R.models.get('acme/hello')\nout($R.models.predictions.create(m, input={}, stream=True, webhook='https://e.com'))",
   None)
op("models.predictions.create.with-version",
   f"$R.models.predictions.create('acme/hello:{VID}', input={{}})", None)
op("models.predictions.create.bad", "$R.models.predictions.create('nonsense', input={})",
   "await $R.models.predictions.async_create(42, input={})")
op("models.predictions.create.no-input", "$R.models.predictions.create('acme/hello')", None)
op("models.predictions.create.file-base64",
   "import io\nout($R.models.predictions.create('acme/hello', {'f': io.BytesIO(b'x')}, file_encoding_strategy='base64'))",
   None)
op("models.predictions.create.cancel-after",
   "out($R.models.predictions.create('acme/hello', {}, wait=2))", None)

# ---------------------------------------------------------------- versions
op("versions.list", "out($R.models.get('acme/hello').versions.list())",
   "out(await (await $R.models.async_get('acme/hello')).versions.async_list())")
op("versions.get", f"out($R.models.get('acme/hello').versions.get('{VID}'))",
   f"out(await (await $R.models.async_get('acme/hello')).versions.async_get('{VID}'))")
op("versions.delete", f"out($R.models.get('acme/hello').versions.delete('{VID}'))",
   f"out(await (await $R.models.async_get('acme/hello')).versions.async_delete('{VID}'))")
op("versions.get.404", "$R.models.get('acme/hello').versions.get('nope')", None)
op("versions.namespace",
   f"from replicate.version import Versions\nout(Versions($R, 'acme/hello').get('{VID}'))", None, roots=("client",))
op("versions.namespace-tuple",
   "from replicate.version import Versions\nout(Versions($R, ('acme', 'hello')).list())", None, roots=("client",))
op("versions.fields",
   f"v = $R.models.get('acme/hello').versions.get('{VID}')\nout([v.id, v.created_at, v.cog_version, sorted(v.openapi_schema)])",
   None)

# ---------------------------------------------------------------- deployments
op("deployments.list", "out($R.deployments.list())", "out(await $R.deployments.async_list())")
op("deployments.list.cursor", f"out($R.deployments.list('{API}/v1/deployments?cursor=x'))", None)
op("deployments.list.none", "$R.deployments.list(None)", "await $R.deployments.async_list(cursor=None)")
op("deployments.get", "out($R.deployments.get('acme/dep'))", "out(await $R.deployments.async_get('acme/dep'))")
op("deployments.get.no-slash", "$R.deployments.get('acme')", "await $R.deployments.async_get('acme')",
   intended="clearer-crash-messages")
op("deployments.get.fields", """d = $R.deployments.get('acme/dep')
r = d.current_release
out([d.id, d.owner, d.name, r.number, r.model, r.version, r.created_at, r.created_by.username,
     r.configuration.hardware, r.configuration.min_instances, r.configuration.max_instances])""", None)
op("deployments.get.username", "out($R.deployments.get('acme/dep').username)", None, roots=("mod",))
op("deployments.create",
   f"out($R.deployments.create(name='dep', model='acme/hello', version='{VID}', hardware='gpu-t4', min_instances=0, max_instances=2))",
   f"out(await $R.deployments.async_create(name='dep', model='acme/hello', version='{VID}', hardware='cpu', min_instances=1, max_instances=1))")
op("deployments.create.owner-name",
   f"out($R.deployments.create(name='acme/dep', model='acme/hello', version='{VID}', hardware='cpu', min_instances=0, max_instances=1))",
   f"out(await $R.deployments.async_create(name='acme/dep', model='acme/hello', version='{VID}', hardware='cpu', min_instances=0, max_instances=1))")
op("deployments.update", f"out($R.deployments.update('acme', 'dep', version='{VID}', min_instances=1))",
   "out(await $R.deployments.async_update(deployment_owner='acme', deployment_name='dep', hardware='cpu'))")
op("deployments.update.nothing", "out($R.deployments.update('acme', 'dep'))", None)
op("deployments.delete", "out($R.deployments.delete('acme', 'dep'))",
   "out(await $R.deployments.async_delete('acme', 'dep'))")
op("deployments.predictions.create",
   "out($R.deployments.predictions.create(deployment='acme/dep', input={'text': 'w'}))",
   "out(await $R.deployments.predictions.async_create(deployment='acme/dep', input={'text': 'w'}))")
op("deployments.predictions.create.positional",
   "out($R.deployments.predictions.create('acme/dep', {'text': 'w'}, wait=4))",
   "out(await $R.deployments.predictions.async_create(('acme', 'dep'), {'text': 'w'}, wait=True))")
op("deployments.predictions.create.object",
   "d = $R.deployments.get('acme/dep')\nout($R.deployments.predictions.create(d, {}, webhook='https://e.com'))", None)
op("deployments.predictions.create.bad", "$R.deployments.predictions.create(7, {})", None)
op("deployment.predictions.create",
   "d = $R.deployments.get('acme/dep')\nout(d.predictions.create(input={'text': 'w'}))",
   "d = await $R.deployments.async_get('acme/dep')\nout(await d.predictions.async_create(input={'text': 'w'}, wait=5))")
op("deployment.predictions.create.positional",
   "d = $R.deployments.get('acme/dep')\nout(d.predictions.create({'text': 'w'}, stream=True))", None)
op("deployment.predictions.create.file",
   "import io\nd = $R.deployments.get('acme/dep')\nout(d.predictions.create(input={'f': io.BytesIO(b'abc')}))", None)

# ---------------------------------------------------------------- trainings
TRAIN_INPUT = "{'train_data': 'https://example.com/data.zip'}"
op("trainings.get", "out($R.trainings.get('t1'))", "out(await $R.trainings.async_get('t1'))")
op("trainings.list", "out($R.trainings.list())", "out(await $R.trainings.async_list())")
op("trainings.list.cursor", f"out($R.trainings.list('{API}/v1/trainings?cursor=x'))", None)
op("trainings.list.none", "$R.trainings.list(None)", "await $R.trainings.async_list(None)")
op("trainings.cancel", "out($R.trainings.cancel('t1'))", "out(await $R.trainings.async_cancel('t1'))")
op("trainings.create.model-version",
   f"out($R.trainings.create(model='acme/hello', version='{VID}', input={TRAIN_INPUT}, destination='acme/tuned'))",
   f"out(await $R.trainings.async_create(model='acme/hello', version='{VID}', input={TRAIN_INPUT}, destination='acme/tuned'))")
op("trainings.create.async-positional", None,
   f"out(await $R.trainings.async_create('acme/hello', '{VID}', {TRAIN_INPUT}, destination=('acme', 'tuned')))")
op("trainings.create.shorthand-kw",
   f"out($R.trainings.create(version='acme/hello:{VID}', input={TRAIN_INPUT}, destination='acme/tuned'))", None)
op("trainings.create.positional",
   f"out($R.trainings.create('acme/hello:{VID}', {TRAIN_INPUT}, 'acme/tuned'))", None)
op("trainings.create.positional-webhooks",
   f"out($R.trainings.create('acme/hello:{VID}', {TRAIN_INPUT}, 'acme/tuned', 'https://e.com/h', 'https://e.com/done', ['completed']))",
   None)
op("trainings.create.webhook-kw",
   f"out($R.trainings.create(model=('acme', 'hello'), version='{VID}', input={{}}, destination='acme/tuned', webhook='https://e.com/h', webhook_events_filter=['start']))",
   None)
op("trainings.create.model-object",
   "m = $R.models.get('acme/hello')\nout($R.trainings.create(model=m, version=m.latest_version, input={}, destination=m))",
   None)
op("trainings.create.no-destination",
   f"$R.trainings.create(model='acme/hello', version='{VID}', input={{}})",
   f"await $R.trainings.async_create('acme/hello', '{VID}', {{}})")
op("trainings.create.nothing", "$R.trainings.create(input={})", None)
op("trainings.create.model-only", "$R.trainings.create(model='acme/hello', input={}, destination='a/b')", None)
op("trainings.create.bad-shorthand", "$R.trainings.create('nonsense', {}, 'acme/tuned')", None)
op("trainings.create.bad-model", f"$R.trainings.create(model=5, version='{VID}', input={{}}, destination='a/b')", None)
op("trainings.create.file-input",
   f"import io\nout($R.trainings.create(model='acme/hello', version='{VID}', input={{'data': io.BytesIO(b'zip')}}, destination='acme/tuned'))",
   None)
op("trainings.create.file-base64",
   f"import io\nout($R.trainings.create(model='acme/hello', version='{VID}', input={{'data': io.BytesIO(b'zip')}}, destination='acme/tuned', file_encoding_strategy='base64'))",
   None)
op("trainings.destination-from-output", "out($R.trainings.get('t1'))", None,
   {"GET /v1/trainings/t1": [J(training(output={"version": f"acme/tuned-v2:{VID}", "weights": FILE_URL},
                                        destination=None))]})
op("training.reload", "t = $R.trainings.get('t1')\nt.reload()\nout(t)",
   "t = await $R.trainings.async_get('t1')\nawait t.async_reload()\nout(t)",
   {"GET /v1/trainings/t1": [J(training(status="processing")), J(training())]})
op("training.cancel", "t = $R.trainings.get('t1')\nout(t.cancel())\nout(t.status)",
   "t = await $R.trainings.async_get('t1')\nout(await t.async_cancel())\nout(t.status)")
op("training.fields", """t = $R.trainings.get('t1')
out([t.id, t.model, t.version, t.destination, t.status, t.input, t.output, t.logs, t.error, t.created_at,
     t.started_at, t.completed_at, t.urls])""", None)

# ---------------------------------------------------------------- files
op("files.create.bytesio", "import io\nout($R.files.create(io.BytesIO(b'hello')))",
   "import io\nout(await $R.files.async_create(io.BytesIO(b'hello')))")
op("files.create.params",
   "import io\nout($R.files.create(io.BytesIO(b'{}'), filename='data.json', content_type='application/json', metadata={'a': 1}))",
   "import io\nout(await $R.files.async_create(io.BytesIO(b'x'), filename='x.bin', metadata={'k': 'v'}))")
op("files.create.path",
   """import pathlib, tempfile
p = pathlib.Path(tempfile.mkdtemp(), 'notes.txt'); p.write_text('hello')
out($R.files.create(p))""",
   """import pathlib, tempfile
p = pathlib.Path(tempfile.mkdtemp(), 'image.png'); p.write_bytes(b'png')
out(await $R.files.async_create(str(p)))""")
op("files.create.str-path",
   """import pathlib, tempfile
p = pathlib.Path(tempfile.mkdtemp(), 'data.csv'); p.write_text('a,b')
out($R.files.create(str(p), metadata={'x': 'y'}))""", None)
op("files.create.named-file",
   """import pathlib, tempfile
p = pathlib.Path(tempfile.mkdtemp(), 'readme.txt'); p.write_bytes(b'hi')
with open(p, 'rb') as f:
    out($R.files.create(f, content_type='text/markdown'))""", None)
op("files.create.bad-type", "$R.files.create(123)", "await $R.files.async_create(['x'])")
op("files.create.missing-path", "$R.files.create('/nonexistent/file.txt')", None)
op("files.get", "out($R.files.get('f1'))", "out(await $R.files.async_get('f1'))")
op("files.list", "out($R.files.list())", "out(await $R.files.async_list())")
op("files.delete", "out($R.files.delete('f1'))", "out(await $R.files.async_delete('f1'))")
op("files.delete.200", "out($R.files.delete('f1'))", None, {"DELETE /v1/files/f1": [EMPTY(200)]},
   intended="files-delete-true", roots=("mod",))
op("files.delete.404", "$R.files.delete('nope')", None)

# ---------------------------------------------------------------- collections, hardware, accounts
op("collections.list", "out($R.collections.list())", "out(await $R.collections.async_list())")
op("collections.list.cursor", f"out($R.collections.list('{API}/v1/collections?cursor=x'))", None)
op("collections.list.none", "$R.collections.list(None)", "await $R.collections.async_list(None)")
op("collections.get", "out($R.collections.get('super-resolution'))",
   "out(await $R.collections.async_get('super-resolution'))")
op("collections.collection.sequence", """c = $R.collections.get('super-resolution')
out([len(c), [m.id for m in c], c[0].name, [m.name for m in c[0:1]], c.id, c.slug])""", None)
op("collections.collection.no-models", "c = $R.collections.get('super-resolution')\nout([len(c), list(c), c[0]])",
   None, {"GET /v1/collections/super-resolution": [J({"slug": "super-resolution", "name": "S", "description": "d"})]})
op("hardware.list", "out($R.hardware.list())", "out(await $R.hardware.async_list())")
op("hardware.fields", "out([(h.sku, h.name, h.id) for h in $R.hardware.list()])", None)
op("accounts.current", "out($R.accounts.current())", "out(await $R.accounts.async_current())",
   roots=("client",))
op("accounts.current.fields", "a = $R.accounts.current()\nout([a.type, a.username, a.name, a.github_url])", None,
   roots=("client",))
op("accounts.module", "import replicate.account as acc\nout(acc.Accounts(replicate.Client()).current())", None,
   roots=("mod",))

# ---------------------------------------------------------------- webhooks
op("webhooks.default.secret", "out($R.webhooks.default.secret())",
   "out(await $R.webhooks.default.async_secret())")
op("webhooks.default.secret.key", "out($R.webhooks.default.secret().key)", None)

SECRET = "replicate.webhook.WebhookSigningSecret(key='whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw')"
SIGNED = f"""import base64, hashlib, hmac, time
secret = {SECRET}
key = base64.b64decode(secret.key.split('_')[1])
body = '{{"id": "p1", "status": "succeeded"}}'
ts = str(int(time.time()))
sig = 'v1,' + base64.b64encode(hmac.new(key, f'msg_1.{{ts}}.{{body}}'.encode(), hashlib.sha256).digest()).decode()
headers = {{'webhook-id': 'msg_1', 'webhook-timestamp': ts, 'webhook-signature': sig}}
"""
STALE = SIGNED.replace("ts = str(int(time.time()))", "ts = '1600000000'")
for name, code in {
    "valid": "out($V(headers=headers, body=body, secret=secret))",
    "valid-positional": "out($V(None, headers, body, secret))",
    "valid-tolerance": "out($V(headers=headers, body=body, secret=secret, tolerance=300))",
    "bad-signature": "headers['webhook-signature'] = 'v1,' + base64.b64encode(b'x' * 32).decode()\n$V(headers=headers, body=body, secret=secret)",
    "malformed-signature": "headers['webhook-signature'] = 'nocomma'\n$V(headers=headers, body=body, secret=secret)",
    "several-signatures": "headers['webhook-signature'] = 'v1,AAAA ' + headers['webhook-signature']\nout($V(headers=headers, body=body, secret=secret))",
    "no-secret": "$V(headers=headers, body=body)",
    "no-headers": "$V(body=body, secret=secret)",
    "missing-id": "del headers['webhook-id']\n$V(headers=headers, body=body, secret=secret)",
    "missing-timestamp": "del headers['webhook-timestamp']\n$V(headers=headers, body=body, secret=secret)",
    "missing-signature": "del headers['webhook-signature']\n$V(headers=headers, body=body, secret=secret)",
    "missing-body": "$V(headers=headers, body='', secret=secret)",
    "bad-key": "$V(headers=headers, body=body, secret=replicate.webhook.WebhookSigningSecret(key='nounderscore'))",
    "upper-headers": "headers = {k.title(): v for k, v in headers.items()}\nout($V(headers=headers, body=body, secret=secret))",
    "request": "import httpx\nreq = httpx.Request('POST', 'https://e.com', headers=headers, content=body)\nout($V(request=req, secret=secret))",
    "request-and-headers": "import httpx\nreq = httpx.Request('POST', 'https://e.com', headers=headers, content=body)\n$V(request=req, headers=headers, secret=secret)",
    "request-bad": "import httpx\nreq = httpx.Request('POST', 'https://e.com', headers={'webhook-id': 'x'}, content=body)\n$V(request=req, secret=secret)",
}.items():
    for where, validate in (("class", "replicate.webhook.Webhooks.validate"), ("ns", "$R.webhooks.validate")):
        op(f"webhooks.validate.{name}.{where}", SIGNED + code.replace("$V", validate), None,
           roots=("mod",) if where == "class" else ("mod", "client"))
op("webhooks.validate.stale.no-tolerance", STALE + "out(replicate.webhooks.validate(headers=headers, body=body, secret=secret))",
   None)
op("webhooks.validate.stale.tolerance",
   STALE + "out(replicate.webhooks.validate(headers=headers, body=body, secret=secret, tolerance=60))", None)
op("webhooks.errors.hierarchy",
   "import replicate.webhook as w\nout([[k.__name__ for k in c.__mro__[:3]] for c in (w.InvalidSignatureError, w.MissingWebhookHeaderError, w.InvalidTimestampError, w.InvalidSecretKeyError, w.MissingWebhookBodyError)])",
   None, roots=("mod",))

# ---------------------------------------------------------------- pagination
PAGES = {
    "GET /v1/predictions": [J(page([prediction("p1")], next=f"{API}/v1/predictions?cursor=2")),
                            J(page([prediction("p2")], next=f"{API}/v1/predictions?cursor=3", previous=f"{API}/v1/predictions?cursor=1")),
                            J(page([prediction("p3")]))],
}
op("paginate.predictions", "out([[p.id for p in pg] for pg in replicate.paginate($R.predictions.list)])",
   "out([[p.id for p in pg] async for pg in replicate.async_paginate($R.predictions.async_list)])", PAGES)
op("paginate.pages", "out(list(replicate.paginate($R.predictions.list)))", None, PAGES)
op("paginate.models", "out([len(pg) for pg in replicate.paginate($R.models.list)])",
   "out([len(pg) async for pg in replicate.async_paginate($R.models.async_list)])")
op("paginate.deployments", "out([pg.next for pg in replicate.paginate($R.deployments.list)])",
   "out([pg.next async for pg in replicate.async_paginate($R.deployments.async_list)])")
op("paginate.trainings", "out([pg[0].id for pg in replicate.paginate($R.trainings.list)])", None)
op("paginate.collections", "out([pg.results[0].slug for pg in replicate.paginate($R.collections.list)])", None)
op("paginate.lambda", "out([pg.next for pg in replicate.paginate(lambda c: $R.predictions.list(c))])", None, PAGES)
op("paginate.pagination-module",
   "from replicate.pagination import paginate\nout(sum(len(pg) for pg in paginate($R.predictions.list)))", None, PAGES)
op("pagination.page", """pg = $R.predictions.list()
out([len(pg), pg[0].id, [p.id for p in pg], pg.next, pg.previous, type(pg.results).__name__])""", None)

# ---------------------------------------------------------------- module surface
op("module.names", """names = ['Client', 'run', 'async_run', 'stream', 'async_stream', 'paginate', 'async_paginate',
         'collections', 'deployments', 'files', 'hardware', 'models', 'predictions', 'trainings', 'webhooks',
         'default_client']
out([hasattr(replicate, n) for n in names])""", None, roots=("mod",))
op("module.submodules", """import importlib
mods = ['account', 'client', 'collection', 'deployment', 'exceptions', 'file', 'hardware', 'helpers',
        'identifier', 'model', 'pagination', 'prediction', 'resource', 'run', 'schema', 'stream',
        'training', 'version', 'webhook']
out([m for m in mods if importlib.import_module('replicate.' + m) is None])""", None, roots=("mod",))
op("module.default-client", "out(type(replicate.default_client).__name__)\nout(replicate.default_client.poll_interval)",
   None, roots=("mod",))
op("client.poll-interval", "out(client.poll_interval)\nclient.poll_interval = 0\nout($R.predictions.get('p1').id)",
   None, roots=("client",))
op("client.base-url", "c = replicate.Client(api_token='t', base_url='https://example.test')\nout(c.predictions.get('p1').id)",
   None, {"GET https://example.test/v1/predictions/p1": [J(prediction())]}, roots=("mod",))
op("client.headers", "c = replicate.Client(api_token='t', headers={'X-Trace': '1'})\nout(c.hardware.list()[0].sku)",
   None, roots=("mod",))
op("client.token-env",
   "import os\nos.environ['REPLICATE_API_TOKEN'] = 'r8_env'\nout(replicate.Client().accounts.current().username)",
   None, roots=("mod",))
op("client.no-token-401",
   "import os\nos.environ.pop('REPLICATE_API_TOKEN', None)\nreplicate.Client().predictions.get('p1')",
   None, {"GET /v1/predictions/p1": failing(401, {"title": "Unauthenticated",
                                               "detail": "You did not pass an authentication token", "status": 401})},
   roots=("mod",), intended="no-token-hint")
op("client.identifier", """from replicate.identifier import ModelVersionIdentifier as I
out([tuple(I.parse('acme/hello')), tuple(I.parse('acme/hello:v1')), I('a', 'b').version])""", None, roots=("mod",))
op("client.identifier-bad", "from replicate.identifier import ModelVersionIdentifier as I\nI.parse('nope')", None,
   roots=("mod",))
op("helpers.encode", """import io, pathlib
from replicate.helpers import base64_encode_file
f = io.BytesIO(b'hello'); f.name = 'x.txt'
out(base64_encode_file(f))""", None, roots=("mod",))
op("helpers.transform", """from replicate.helpers import transform_output, FileOutput
o = transform_output({'a': ['https://x/y.png', 'plain', 1], 'b': 'data:,hi'}, $R)
out([type(o['a'][0]).__name__, o['a'][1], o['a'][2], str(o['a'][0]), o['b'].url])""", None,
   roots=("client",))
op("schema.compat", """from replicate.schema import make_schema_backwards_compatible, version_has_no_array_type
s = {'components': {'schemas': {'Output': {'type': 'array'}}}}
out([make_schema_backwards_compatible(s, '0.3.8'), version_has_no_array_type('0.3.9'), version_has_no_array_type('bad')])""",
   None, roots=("mod",))

# ---------------------------------------------------------------- the intended differences, shown
op("stream.unknown-event", STREAM_CODE, ASTREAM_CODE, streamed("output:a", "metrics:{}", "output:b", "done:"),
   intended="stream-resume-unknown-events")
op("stream.no-id", STREAM_CODE, None,
   {**STREAMING, f"GET {STREAM_URL}": [{"sse": ["event: output\ndata: a\n\n", "event: done\ndata: {}\n\n"]}]},
   intended="stream-resume-unknown-events", roots=("mod",))
op("stream.cut-resumes", STREAM_CODE, None,
   {**STREAMING, f"GET {STREAM_URL}": [SSE("output:a"), {"sse": ["event: done\nid: 2\ndata: {}\n\n"]}]},
   intended="stream-resume-unknown-events", roots=("mod",))
op("errors.connect-error-get", "out($R.predictions.get('p1').status)", None,
   {"GET /v1/predictions/p1": [{"raise": "ConnectError"}, J(prediction())]},
   intended="retries-connection-errors")
op("errors.connect-error-post", f"$R.predictions.create(version='{VID}', input={{}})", None,
   {"POST /v1/predictions": [{"raise": "ReadTimeout"}, J(prediction(), 201)]})
op("token.env-changes", """import os
c = replicate.Client()
c.hardware.list()
os.environ['REPLICATE_API_TOKEN'] = 'r8_rotated'
c.hardware.list()""", None, intended="token-per-request", roots=("mod",))
op("token.file-download", HELLO_RUN, None, {"POST /v1/predictions": done(FILE_URL)},
   intended="token-only-to-api", foreign_auth=True)
op("resources.aborted", "out($R.predictions.get('p1').status)", None,
   {"GET /v1/predictions/p1": [J(prediction(status="aborted", output=None))]}, intended="resources-keep-fields",
   roots=("mod",))
op("resources.extra-field", "out($R.predictions.get('p1').dict()['data_removed'])", None,
   {"GET /v1/predictions/p1": [J({**prediction(), "data_removed": False})]}, intended="resources-keep-fields",
   roots=("mod",))
op("predictions.create.model-file-base64",
   "import io\nout($R.predictions.create(model='acme/hello', input={'f': io.BytesIO(b'x')}, file_encoding_strategy='base64'))",
   None, intended="wait-not-dropped")
op("predictions.create.deployment-wait",
   "out($R.predictions.create(deployment='acme/dep', input={}, wait=False))", None)
op("predictions.create.deployment-wait-int",
   "out($R.predictions.create(deployment='acme/dep', input={}, wait=3))", None, intended="wait-not-dropped")

# ---------------------------------------------------------------- patching the module (OpenTelemetry, mock)
op("patch.predictions-create", f"""from unittest import mock
with mock.patch('replicate.predictions.create', return_value='patched') as create:
    out($R.predictions.create(version='{VID}', input={{'a': 1}}))
    out([list(create.call_args.args), create.call_args.kwargs])""", None, roots=("mod",))
op("patch.client-predictions-create", f"""from unittest import mock
with mock.patch.object(client.predictions, 'create', return_value='patched'):
    out(client.predictions.create(version='{VID}', input={{}}))""", None, roots=("client",))
op("patch.run-under-patch", f"""from unittest import mock
with mock.patch('replicate.predictions.create', return_value='patched') as create:
    out($R.run('acme/hello:{VID}', input={{}}))
    out(create.call_count)""", None, {"POST /v1/predictions": done()}, roots=("mod",))
op("patch.models-get", """from unittest import mock
with mock.patch('replicate.models.get', return_value='patched'):
    out($R.models.get('acme/hello'))""", None, roots=("mod",))
op("patch.namespace-identity", """names = ['collections', 'deployments', 'files', 'hardware', 'models', 'predictions', 'trainings', 'webhooks']
out([getattr($R, n) is getattr($R, n) for n in names])""", None, roots=("mod",))
op("patch.client-namespace-identity", """names = ['collections', 'deployments', 'files', 'hardware', 'models', 'predictions', 'trainings', 'webhooks']
out([getattr($R, n) is getattr($R, n) for n in names])""", None, roots=("client",))

# ---------------------------------------------------------------- tags, by operation id
TAGS = {
    "predictions.create.model-wait": "wait-not-dropped",
    "errors.repr-and-fields": "status-errors",
    "prediction.output-iterator": "output-iterator-keeps-output",
    "prediction.output-iterator-failed-with-output": "output-iterator-keeps-output",
    "run.version-id": "leniency",
    "predictions.create.unknown-kwarg": "unknown-keywords-warn",
    "run.unknown-kwarg": "unknown-keywords-warn",
    "models.predictions.create.no-input": "leniency",
    "models.create.missing-visibility": "clearer-crash-messages",
    "stream.error": "stream-error-is-model-error",
    "patch.client-predictions-create": "stable-namespaces",
    "patch.client-namespace-identity": "stable-namespaces",
}
PARITY_FIXES = "parity-fixes (issue 11 section 2)"
PENDING: Dict[str, str] = {}
for _scenario in CATALOG:
    _op = _scenario["id"].split("/")[0]
    if _op in TAGS:
        _scenario["intended"] = TAGS[_op]
    for _prefix, _what in PENDING.items():
        if _op == _prefix or _op.startswith(_prefix + "."):
            _scenario["pending"] = f"{PARITY_FIXES}: {_what}"
