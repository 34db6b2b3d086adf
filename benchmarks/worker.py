"""One benchmark workload for one peer, run in that peer's own interpreter.

Usage: ``worker.py PEER WORKLOAD JSON-PARAMS``; prints one JSON line with the measurements.
PEER is ``project`` (this repository; ``project-stream`` for the opt-in SSE fast path),
``v0`` (replicate 1.0.7), ``stainless`` (replicate-stainless) or ``raw`` (httpx + json).
Only the standard library is imported at the top: the peer's packages are imported by the
workload, so each process measures one client and nothing else.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import resource
import sys
import threading
import time
import uuid
from typing import Any, Callable, Dict, List, Optional, Tuple

TOKEN = "r8_test"


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB


def current_rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        pages = int(handle.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / (1024.0 * 1024.0)


def new_tag() -> str:
    return uuid.uuid4().hex[:12]


def read_times(path: str, tag: str) -> Dict[int, float]:
    """The server's times for a tag: item index (-1 = completion) -> unix time."""
    times: Dict[int, float] = {}
    deadline = time.monotonic() + 2.0
    while True:
        try:
            with open(path) as handle:
                for line in handle:
                    parts = line.split()
                    if len(parts) == 3 and parts[0] == tag:
                        times[int(parts[1])] = float(parts[2])
        except FileNotFoundError:
            pass
        if -1 in times or time.monotonic() > deadline:
            return times
        time.sleep(0.01)


# -- clients ----------------------------------------------------------------------------

def stream_knob() -> Optional[Tuple[str, Any]]:
    """How the project's opt-in SSE fast path is switched on, found at run time.

    Returns (kind, value): ("client", {kwarg: value}) for a Client argument, ("env", {...}) for
    environment variables, or None when the project has no such knob yet.
    """
    import inspect

    import replicate.client as client_module

    sources = inspect.getsource(client_module)
    try:
        import replicate.run as run_module

        sources += inspect.getsource(run_module)
    except Exception:
        pass
    if "wait_strategy" in sources:
        return ("client", {"wait_strategy": "stream"})
    for env in ("REPLICATE_WAIT_STRATEGY", "REPLICATE_STREAM_WAIT", "REPLICATE_FAST_PATH"):
        if env in sources:
            return ("env", {env: "stream"})
    return None


def make_client(peer: str, base: str) -> Any:
    if peer in ("project", "v0"):
        import replicate

        return replicate.Client(api_token=TOKEN, base_url=base)
    if peer == "project-stream":
        import replicate

        knob = stream_knob()
        if knob is None:
            raise NotImplementedError("the project has no stream wait strategy yet")
        kind, value = knob
        if kind == "env":
            os.environ.update(value)
            return replicate.Client(api_token=TOKEN, base_url=base)
        return replicate.Client(api_token=TOKEN, base_url=base, **value)
    if peer == "stainless":
        import replicate

        return replicate.Replicate(bearer_token=TOKEN, base_url=base + "/v1")
    if peer == "raw":
        import httpx

        return httpx.Client(timeout=httpx.Timeout(120.0))
    raise ValueError(f"unknown peer {peer!r}")


def make_async_client(peer: str, base: str) -> Any:
    if peer == "stainless":
        import replicate

        return replicate.AsyncReplicate(bearer_token=TOKEN, base_url=base + "/v1")
    if peer == "raw":
        import httpx

        return httpx.AsyncClient(timeout=httpx.Timeout(120.0), limits=httpx.Limits(max_connections=1000))
    return make_client(peer, base)


def version_object(peer: str, client: Any, base: str, model: str, vid: str) -> Any:
    """The Version object that makes run() return an iterator for iterator outputs."""
    if peer == "stainless":
        import httpx
        from replicate.lib._models import Version

        owner, name = model.split("/")
        payload = httpx.get(
            f"{base}/v1/models/{owner}/{name}/versions/{vid}", headers={"Authorization": f"Bearer {TOKEN}"}
        ).json()
        return Version(**{key: payload[key] for key in ("id", "created_at", "cog_version", "openapi_schema")})
    return client.models.get(model).versions.get(vid)


def run_sync(peer: str, client: Any, base: str, ref: Any, inputs: Dict[str, Any], **kwargs: Any) -> Any:
    if peer == "raw":
        vid = ref.partition(":")[2]
        response = client.post(
            f"{base}/v1/predictions",
            json={"version": vid, "input": inputs},
            headers={"Authorization": f"Bearer {TOKEN}", "Prefer": "wait"},
        )
        prediction = response.json()
        while prediction["status"] not in ("succeeded", "failed", "canceled", "aborted"):
            time.sleep(0.5)
            prediction = client.get(prediction["urls"]["get"], headers={"Authorization": f"Bearer {TOKEN}"}).json()
        return prediction["output"]
    if peer == "stainless":
        return client.run(ref, input=inputs, **kwargs)
    return client.run(ref, input=inputs, **kwargs)


async def run_async(peer: str, client: Any, base: str, ref: str, inputs: Dict[str, Any]) -> Any:
    if peer == "raw":
        vid = ref.partition(":")[2]
        headers = {"Authorization": f"Bearer {TOKEN}"}
        response = await client.post(
            f"{base}/v1/predictions", json={"version": vid, "input": inputs}, headers={**headers, "Prefer": "wait"}
        )
        prediction = response.json()
        while prediction["status"] not in ("succeeded", "failed", "canceled", "aborted"):
            await asyncio.sleep(0.5)
            prediction = (await client.get(prediction["urls"]["get"], headers=headers)).json()
        return prediction["output"]
    if peer == "stainless":
        return await client.run(ref, input=inputs)
    return await client.async_run(ref, input=inputs)


# -- workloads --------------------------------------------------------------------------

def per_request(peer: str, p: Dict[str, Any]) -> Dict[str, Any]:
    base, n = p["base"], int(p["n"])
    client = make_client(peer, base)
    if peer == "raw":
        url, headers = f"{base}/v1/predictions/fixed", {"Authorization": f"Bearer {TOKEN}"}

        def call() -> Any:
            return client.get(url, headers=headers).json()["status"]

    elif peer == "stainless":

        def call() -> Any:
            return client.predictions.get(prediction_id="fixed").status

    else:

        def call() -> Any:
            return client.predictions.get("fixed").status

    for _ in range(int(p.get("warmup", 100))):
        assert call() == "succeeded"
    # The best of the timed passes: interference from the rest of the machine only adds time.
    passes = []
    for _ in range(int(p.get("passes", 3))):
        cpu, wall = cpu_seconds(), time.perf_counter()
        for _ in range(n):
            call()
        passes.append((cpu_seconds() - cpu, time.perf_counter() - wall))
    cpu, wall = min(passes)
    return {"cpu_per_call_us": cpu / n * 1e6, "wall_per_call_us": wall / n * 1e6, "calls": n,
            "passes_us": [round(c / n * 1e6, 1) for c, _ in passes]}


def latency(peer: str, p: Dict[str, Any]) -> Dict[str, Any]:
    """Added latency of run(): server completion (or item production) -> caller has it."""
    base, case, reps, times_path = p["base"], p["case"], int(p["reps"]), p["times"]
    client = make_client(peer, base)
    kwargs: Dict[str, Any] = dict(p.get("run_kwargs") or {})
    latencies: List[float] = []
    wrong = 0
    errors: List[str] = []
    for _ in range(reps):
        tag = new_tag()
        try:
            if case in ("a", "b"):
                # A random phase, so that completion does not lock onto a poll interval.
                seconds = float(p["seconds"]) + random.uniform(0.0, float(p.get("jitter", 0.5)))
                inputs = {"tag": tag, "seconds": seconds, "output": "done"}
                output = run_sync(peer, client, base, p["ref"], inputs, **kwargs)
                returned = time.time()
                if str(output) != "done":
                    wrong += 1
                    continue
                completed = read_times(times_path, tag).get(-1)
                if completed is None:
                    errors.append("no completion time recorded")
                    continue
                latencies.append((returned - completed) * 1000.0)
            else:
                items = int(p["items"])
                delay = float(p["delay"]) + random.uniform(0.0, float(p.get("jitter", 0.5)))
                inputs = {"tag": tag, "items": items, "interval": float(p["interval"]), "delay": delay}
                version = version_object(peer, client, base, p["model"], p["vid"])
                ref = version if peer != "raw" else p["ref"]
                output = run_sync(peer, client, base, ref, inputs, **kwargs)
                received: List[Tuple[Any, float]] = []
                if output is None:
                    wrong += 1
                    continue
                if isinstance(output, (list, tuple)):
                    # Not an iterator: everything arrives at once, when run() returns.
                    now = time.time()
                    received = [(item, now) for item in output]
                else:
                    for item in output:
                        received.append((item, time.time()))
                if [str(item) for item, _ in received] != [f"item-{i}" for i in range(items)]:
                    wrong += 1
                    continue
                produced = read_times(times_path, tag)
                for index, (_, at) in enumerate(received):
                    if index in produced:
                        latencies.append((at - produced[index]) * 1000.0)
        except Exception as exc:  # counted, not fatal: an error is a result too
            errors.append(f"{type(exc).__name__}: {exc}"[:200])
    return {"latencies_ms": latencies, "wrong": wrong, "errors": errors, "reps": reps}


def first_items(peer: str, client: Any, base: str, how: str, ref: str, inputs: Dict[str, Any]) -> Any:
    """The items of an iterator model as the caller receives them, for one way of asking."""
    if how == "raw":  # create without a hold, then read the prediction's event stream
        headers = {"Authorization": f"Bearer {TOKEN}"}
        body = {"version": ref.partition(":")[2], "input": inputs, "stream": True}
        url = client.post(f"{base}/v1/predictions", json=body, headers=headers).json()["urls"]["stream"]
        with client.stream("GET", url, headers={**headers, "Accept": "text/event-stream"}) as response:
            event = None
            for line in response.iter_lines():
                if line.startswith("event:"):
                    event = line[6:].strip()
                elif line.startswith("data:") and event == "output":
                    yield line[5:].strip()
                elif line.startswith("data:") and event == "done":
                    return
    elif how == "stream()":
        for event in client.stream(ref, input=inputs):
            if getattr(event.event, "value", event.event) == "output":
                yield str(event)
    elif how == "use(streaming=True)":
        yield from client.use(ref.partition(":")[0], streaming=True)(**inputs)
    elif how == "Replicate().run()":  # given the Version, as the README shows for iterators
        model, _, version_id = ref.partition(":")
        yield from client.run(version_object(peer, client, base, model, version_id), input=inputs)
    else:  # v0-style run()
        yield from client.run(ref, input=inputs)


def first_item(peer: str, p: Dict[str, Any]) -> Dict[str, Any]:
    """Time to the first item of an iterator model: after the model produced it, and after the call."""
    base, how, reps, times_path = p["base"], p["how"], int(p["reps"]), p["times"]
    if how == "Replicate().run()" or peer == "stainless":
        import replicate

        client = (replicate.Replicate(bearer_token=TOKEN, base_url=base) if peer == "project"
                  else make_client(peer, base))
    else:
        client = make_client(peer, base)
    after_produced: List[float] = []
    after_call: List[float] = []
    errors: List[str] = []
    for _ in range(reps):
        tag = new_tag()
        inputs = {"tag": tag, "items": int(p["items"]), "interval": float(p["interval"])}
        try:
            called = time.time()
            received = []
            for item in first_items(peer, client, base, how, p["ref"], inputs):
                received.append((str(item), time.time()))
            items = [item for item, _ in received]
            if items != [f"item-{i}" for i in range(int(p["items"]))]:
                errors.append(f"got {items!r}"[:200])
                continue
            produced = read_times(times_path, tag).get(0)
            if produced is None:
                errors.append("no production time recorded")
                continue
            after_produced.append((received[0][1] - produced) * 1000.0)
            after_call.append((received[0][1] - called) * 1000.0)
        except Exception as exc:
            errors.append(f"{type(exc).__name__}: {exc}"[:200])
    return {"after_produced_ms": after_produced, "after_call_ms": after_call, "errors": errors}


def requests_per_result(peer: str, p: Dict[str, Any]) -> Dict[str, Any]:
    base = p["base"]
    client = make_client(peer, base)
    tag = new_tag()
    started = time.time()
    error = None
    try:
        # A Version object, so v0 and the project make no version lookup: every request the
        # run makes then names the prediction and is counted for its tag.
        ref = version_object(peer, client, base, p["model"], p["vid"]) if peer != "raw" else p["ref"]
        inputs = {"tag": tag, "seconds": float(p["seconds"]), "output": "done"}
        output = run_sync(peer, client, base, ref, inputs, **(p.get("run_kwargs") or {}))
        ok = str(output) == "done"
        if not ok:
            error = f"returned {str(output)[:40]!r} before the prediction finished"
    except Exception as exc:
        ok, error = False, f"{type(exc).__name__}: {exc}"[:200]
    return {"tag": tag, "ok": ok, "error": error, "seconds": time.time() - started}


def sse_decode(peer: str, p: Dict[str, Any]) -> Dict[str, Any]:
    base, n = p["base"], int(p["events"])
    url = f"{base}/sse/{n}"
    client = make_client(peer, base)
    if peer == "raw":

        def events() -> Any:
            with client.stream("GET", url, headers={"Accept": "text/event-stream"}) as response:
                event, data = None, []
                for line in response.iter_lines():
                    if not line:
                        if event is not None:
                            yield event == "output", "\n".join(data)
                            if event == "done":
                                return
                        event, data = None, []
                    elif line.startswith("data:"):
                        data.append(line[5:].lstrip(" "))
                    elif line.startswith("event:"):
                        event = line[6:].strip()

    elif peer == "stainless":
        raise NotImplementedError("replicate-stainless has no SSE support (it polls)")
    else:
        prediction = client.predictions.get("fixed")
        prediction.urls = {**(prediction.urls or {}), "stream": url}

        from replicate.stream import ServerSentEvent  # both clients have it; imported outside the timing

        OUTPUT = ServerSentEvent.EventType.OUTPUT

        def events() -> Any:
            for event in prediction.stream():
                yield event.event is OUTPUT, event.data

    # One untimed pass warms up (imports, first connection); the best of the timed passes is
    # the decoding cost with the least interference from the rest of a shared machine.
    count = sum(1 for is_output, _ in events() if is_output)
    passes = []
    for _ in range(int(p.get("passes", 3))):
        cpu, wall = cpu_seconds(), time.perf_counter()
        count = sum(1 for is_output, _ in events() if is_output)
        cpu, wall = cpu_seconds() - cpu, time.perf_counter() - wall
        passes.append(cpu / max(count, 1) * 1e6)
    return {"cpu_per_event_us": min(passes), "passes_us": passes, "wall_s": wall, "events": count, "ok": count == n}


def large_output(peer: str, p: Dict[str, Any]) -> Dict[str, Any]:
    base, size, how, sink_path = p["base"], int(p["size"]), p["how"], p["sink"]
    client = make_client(peer, base)
    if peer == "raw":
        url = f"{base}/file/{size}"
    else:
        output = run_sync(peer, client, base, p["ref"], {"tag": new_tag(), "output": f"file:{size}"})
        if isinstance(output, str):
            # 1.0.7 and stainless only wrap https:// and data: URLs; the server is http://.
            if peer == "stainless":
                from replicate.lib._files import FileOutput
            else:
                from replicate.helpers import FileOutput  # type: ignore[no-redef]
            output = FileOutput(output, client)
    baseline = current_rss_mb()
    peak_before = peak_rss_mb()
    cpu, wall = cpu_seconds(), time.perf_counter()
    written = 0
    with open(sink_path, "wb") as sink:
        if peer == "raw":
            with client.stream("GET", url) as response:
                for chunk in response.iter_bytes():
                    written += sink.write(chunk)
        elif how == "iterate":
            for chunk in output:
                written += sink.write(chunk)
        elif how == "read":
            written += sink.write(output.read())
        elif how == "copyfileobj":
            import shutil

            shutil.copyfileobj(output, sink, 1024 * 1024)
            written = sink.tell()
        else:
            raise ValueError(how)
    cpu, wall = cpu_seconds() - cpu, time.perf_counter() - wall
    os.unlink(sink_path)
    return {
        "bytes": written,
        "ok": written == size,
        "mb_per_s": written / wall / 1e6,
        "cpu_s": cpu,
        "rss_growth_mb": max(peak_rss_mb(), peak_before) - baseline,
        "peak_rss_mb": peak_rss_mb(),
    }


def large_input(peer: str, p: Dict[str, Any]) -> Dict[str, Any]:
    base, path = p["base"], p["path"]
    client = make_client(peer, base)
    baseline = current_rss_mb()
    wall = time.perf_counter()
    with open(path, "rb") as handle:
        if peer == "raw":
            headers = {"Authorization": f"Bearer {TOKEN}"}
            uploaded = client.post(
                f"{base}/v1/files", files={"content": ("input.bin", handle, "application/octet-stream")}, headers=headers
            ).json()
            output = run_sync(peer, client, base, p["ref"], {"tag": new_tag(), "file": uploaded["urls"]["get"]})
        else:
            output = run_sync(peer, client, base, p["ref"], {"tag": new_tag(), "file": handle})
    wall = time.perf_counter() - wall
    return {"ok": str(output) == "done", "rss_growth_mb": peak_rss_mb() - baseline, "wall_s": wall}


def concurrency(peer: str, p: Dict[str, Any]) -> Dict[str, Any]:
    base, n, kind, ref = p["base"], int(p["n"]), p["kind"], p["ref"]
    seconds = float(p["seconds"])
    errors: List[str] = []
    make_client(peer, base)  # imports the peer's modules outside the measured part
    if kind != "async":
        client = make_client(peer, base)
        if peer == "raw":
            import httpx

            client = httpx.Client(timeout=httpx.Timeout(120.0), limits=httpx.Limits(max_connections=n))
    baseline = current_rss_mb()
    started = time.perf_counter()
    cpu = cpu_seconds()
    if kind == "async":

        async def main() -> None:
            client = make_async_client(peer, base)

            async def one() -> None:
                try:
                    output = await run_async(peer, client, base, ref, {"tag": new_tag(), "seconds": seconds, "output": "done"})
                    if str(output) != "done":
                        errors.append(f"wrong output {output!r}"[:200])
                except Exception as exc:
                    errors.append(f"{type(exc).__name__}: {exc}"[:200])

            tasks = [asyncio.ensure_future(one()) for _ in range(n)]
            _, pending = await asyncio.wait(tasks, timeout=float(p.get("limit", 300)))
            for task in pending:
                task.cancel()
                errors.append(f"unfinished after {p.get('limit', 300)} s")
            if pending:
                await asyncio.wait(pending, timeout=10)

        asyncio.run(main())
    else:

        def one() -> None:
            try:
                output = run_sync(peer, client, base, ref, {"tag": new_tag(), "seconds": seconds, "output": "done"})
                if str(output) != "done":
                    errors.append(f"wrong output {output!r}"[:200])
            except Exception as exc:
                errors.append(f"{type(exc).__name__}: {exc}"[:200])

        threads = [threading.Thread(target=one, daemon=True) for _ in range(n)]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + float(p.get("limit", 300))
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        errors.extend(f"unfinished after {p.get('limit', 300)} s" for thread in threads if thread.is_alive())
    wall = time.perf_counter() - started
    return {
        "wall_s": wall,
        "cpu_s": cpu_seconds() - cpu,
        "errors": len(errors),
        "error_samples": sorted(set(errors))[:3],
        "peak_rss_mb": peak_rss_mb(),
        "baseline_rss_mb": baseline,
        "rss_growth_mb": peak_rss_mb() - baseline,
    }


WORKLOADS: Dict[str, Callable[[str, Dict[str, Any]], Dict[str, Any]]] = {
    "per_request": per_request,
    "latency": latency,
    "requests_per_result": requests_per_result,
    "first_item": first_item,
    "sse_decode": sse_decode,
    "large_output": large_output,
    "large_input": large_input,
    "concurrency": concurrency,
}


def main() -> None:
    peer, workload, params = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    profile_path = os.environ.get("BENCH_PROFILE")
    try:
        if profile_path:
            # BENCH_PROFILE=FILE: profile the workload with cProfile, top functions into FILE.
            import cProfile
            import io
            import pstats

            profiler = cProfile.Profile()
            try:
                result = profiler.runcall(WORKLOADS[workload], peer, params)
            finally:
                text = io.StringIO()
                pstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(35)
                with open(profile_path, "w") as handle:
                    handle.write(text.getvalue())
        else:
            result = WORKLOADS[workload](peer, params)
    except NotImplementedError as exc:
        result = {"unsupported": str(exc)}
    except Exception as exc:
        import traceback

        traceback.print_exc()
        result = {"failed": f"{type(exc).__name__}: {exc}"[:300]}
    print(json.dumps(result), flush=True)
    sys.stdout.flush()
    os._exit(0)  # don't wait for daemon threads or slow interpreter teardown


if __name__ == "__main__":
    main()
