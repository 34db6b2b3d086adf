"""Load test: many concurrent `run` calls through one shared Client, against the local emulator.

Not part of `make test`. It starts the emulator in this process on 127.0.0.1 and runs:

- async: N concurrent ``await client.async_run(...)`` calls (asyncio.gather) on one Client;
- threads: a pool of T threads sharing one sync Client, each calling ``client.run(...)``.

Every call sends its own index and a random nonce, and the model echoes both back after a
varied sleep, so a caller receiving another caller's answer is caught. Prints a Markdown
table and exits non-zero on any error, timeout, wrong answer or extra prediction.

    python scripts/load_test.py            # 1,000 async calls; 200 threads x 5 calls
    python scripts/load_test.py --quick    # 100 async calls; 20 threads x 5 calls
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import concurrent.futures
import dataclasses
import logging
import os
import random
import resource
import secrets
import sys
import threading
import time
from typing import Any, Callable, Counter, Dict, List, Optional, Tuple

import httpx

import replicate
from replicate.emulator import Emulator

MODEL = "loadtest/echo"
TOKEN = "r8_load"


def echo(n: int, nonce: str, delay: float = 0.5) -> str:
    """The model under load: sleeps, then answers with exactly what identifies its caller."""
    time.sleep(delay)
    return f"{n}:{nonce}"


@dataclasses.dataclass
class Outcome:
    """What a scenario measured."""

    name: str
    calls: int
    completed: int = 0
    wrong_output: int = 0
    errors: Counter[str] = dataclasses.field(default_factory=collections.Counter)
    predictions: int = 0
    requests: int = 0
    requests_by_kind: Counter[str] = dataclasses.field(default_factory=collections.Counter)
    retries: Counter[str] = dataclasses.field(default_factory=collections.Counter)
    wall: float = 0.0
    peak_rss_mb: float = 0.0

    @property
    def extra_predictions(self) -> int:
        """Predictions the emulator created beyond one per call (a retried POST, say)."""
        return max(0, self.predictions - self.calls)

    @property
    def failed(self) -> bool:
        """Whether this scenario breaks the contract: every call answered, once, correctly."""
        return bool(
            self.errors
            or self.wrong_output
            or self.extra_predictions
            or self.completed != self.calls
            or self.predictions < self.calls
        )


class RetryCounter(logging.Handler):
    """Counts the transport's "retrying ... after <reason>" debug records, by reason."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.reasons: Counter[str] = collections.Counter()
        self._lock_counts = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        if record.msg.startswith("retrying") and len(record.args or ()) >= 3:
            reason = str(record.args[2])  # type: ignore[index]
            with self._lock_counts:
                self.reasons[reason] += 1


Call = Tuple[int, str, float]


def plan_calls(count: int, min_delay: float, max_delay: float, seed: int) -> List[Call]:
    """(index, nonce, model sleep) for each call; sleeps vary so answers finish out of order."""
    rng = random.Random(seed)
    return [
        (index, secrets.token_hex(8), round(rng.uniform(min_delay, max_delay), 3))
        for index in range(count)
    ]


def check_answer(call: Call, output: Any) -> bool:
    """Whether ``output`` is the answer to this call and no other."""
    index, nonce, _ = call
    return bool(output == f"{index}:{nonce}")


def run_async(
    client: replicate.Client, calls: List[Call], timeout: float, outcome: Outcome
) -> None:
    """All calls at once on one event loop, through ``client.async_run``."""

    async def one(call: Call) -> bool:
        index, nonce, delay = call
        output = await client.async_run(MODEL, input={"n": index, "nonce": nonce, "delay": delay})
        return check_answer(call, output)

    async def main() -> None:
        tasks = [asyncio.ensure_future(one(call)) for call in calls]
        try:
            _, pending = await asyncio.wait(tasks, timeout=timeout)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending, timeout=5)
            for task in tasks:
                record(outcome, task)
        finally:
            await client.aclose()

    asyncio.run(main())


def record(outcome: Outcome, task: asyncio.Future[bool]) -> None:
    """Count one finished (or cancelled) async call."""
    if task.cancelled():
        outcome.errors["unfinished after --timeout"] += 1
    elif task.exception() is not None:
        outcome.errors[describe(task.exception())] += 1
    elif task.result():
        outcome.completed += 1
    else:
        outcome.completed += 1
        outcome.wrong_output += 1


def run_threads(
    client: replicate.Client, calls: List[Call], threads: int, timeout: float, outcome: Outcome
) -> None:
    """The calls spread over ``threads`` worker threads sharing one sync Client."""

    def one(call: Call) -> bool:
        index, nonce, delay = call
        output = client.run(MODEL, input={"n": index, "nonce": nonce, "delay": delay})
        return check_answer(call, output)

    pool = concurrent.futures.ThreadPoolExecutor(max_workers=threads, thread_name_prefix="load")
    futures = [pool.submit(one, call) for call in calls]
    _, pending = concurrent.futures.wait(futures, timeout=timeout)
    # Never wait for stuck workers: the script must end by itself.
    pool.shutdown(wait=False, cancel_futures=True)
    for future in futures:
        if future in pending:
            outcome.errors["unfinished after --timeout"] += 1
        elif future.exception() is not None:
            outcome.errors[describe(future.exception())] += 1
        else:
            outcome.completed += 1
            if not future.result():
                outcome.wrong_output += 1
    client.close()


def describe(exc: Optional[BaseException]) -> str:
    """An error's type and the start of its message, to group errors by."""
    text = str(exc).splitlines()[0][:80] if str(exc) else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def peak_rss_mb() -> float:
    """The process's peak resident set size so far, in MiB."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports kilobytes, macOS bytes.
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def raise_file_limit() -> Tuple[int, int]:
    """Raise the soft RLIMIT_NOFILE to the hard limit: each held call costs two sockets here."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        target = hard if hard != resource.RLIM_INFINITY else max(soft, 65536)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        except (ValueError, OSError):
            pass
    return resource.getrlimit(resource.RLIMIT_NOFILE)


def request_kind(method: str, path: str) -> str:
    """`METHOD /path` with prediction ids folded, to count requests by endpoint."""
    parts = path.strip("/").split("/")
    if len(parts) >= 3 and parts[1] == "predictions":
        parts[2] = "{id}"
    return f"{method} /" + "/".join(parts)


def scenario(
    emu: Emulator,
    name: str,
    calls: List[Call],
    retries: RetryCounter,
    body: Callable[[Outcome], None],
) -> Outcome:
    """Run one scenario with fresh counters and collect its figures."""
    emu.stats.reset()
    retries.reasons.clear()
    outcome = Outcome(name=name, calls=len(calls))
    started = time.monotonic()
    body(outcome)
    outcome.wall = time.monotonic() - started
    outcome.peak_rss_mb = peak_rss_mb()
    outcome.predictions = emu.stats.predictions_created
    requests = list(emu.stats.requests)
    outcome.requests = len(requests)
    outcome.requests_by_kind.update(request_kind(r.method, r.path) for r in requests)
    outcome.retries.update(retries.reasons)
    return outcome


def table(outcomes: List[Outcome]) -> str:
    """The Markdown table of results."""
    header = (
        "| scenario | calls | completed | errors | extra predictions | wrong output "
        "| wall (s) | calls/s | peak RSS (MB) | requests/prediction | client retries |"
    )
    lines = [header, "|" + "---|" * header.count(" | ") + "---|"]
    for o in outcomes:
        errors = "; ".join(f"{k} x{v}" for k, v in o.errors.most_common()) or "0"
        retries = ", ".join(f"{k} x{v}" for k, v in o.retries.most_common()) or "0"
        per_prediction = o.requests / o.predictions if o.predictions else float("nan")
        rate = o.completed / o.wall if o.wall else 0.0
        lines.append(
            f"| {o.name} | {o.calls} | {o.completed} | {errors} | {o.extra_predictions} "
            f"| {o.wrong_output} | {o.wall:.2f} | {rate:.0f} | {o.peak_rss_mb:.0f} "
            f"| {per_prediction:.3f} | {retries} |"
        )
    return "\n".join(lines)


def parse_args(argv: Optional[List[str]]) -> argparse.Namespace:
    """Command-line options, with --quick and the defaults resolved."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=None, help="async calls (default 1000)")
    parser.add_argument("--threads", type=int, default=None, help="worker threads (default 200)")
    parser.add_argument(
        "--calls-per-thread", type=int, default=5, help="sync calls per thread (default 5)"
    )
    parser.add_argument("--quick", action="store_true", help="100 async calls, 20 threads")
    parser.add_argument(
        "--scenario", choices=["async", "threads", "both"], default="both",
        help="run one scenario only (peak RSS is per process, so this isolates it)",
    )
    parser.add_argument("--min-delay", type=float, default=0.2, help="shortest model sleep (s)")
    parser.add_argument("--max-delay", type=float, default=1.0, help="longest model sleep (s)")
    parser.add_argument(
        "--max-connections", type=int, default=None,
        help="connection pool size (and keep-alive size) of the Client; default: the "
        "library's own (httpx: 100 connections, 20 kept alive)",
    )
    parser.add_argument(
        "--max-wait", type=float, default=10.0,
        help="longest Prefer: wait hold the emulator grants (s)",
    )
    parser.add_argument(
        "--timeout", type=float, default=120.0, help="give up on a scenario after this long (s)"
    )
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.calls is None:
        args.calls = 100 if args.quick else 1000
    if args.threads is None:
        args.threads = 20 if args.quick else 200
    for name in ("calls", "threads", "calls_per_thread"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if not 0 <= args.min_delay <= args.max_delay:
        parser.error("need 0 <= --min-delay <= --max-delay")
    return args


def start_watchdog(seconds: float) -> threading.Timer:
    """Ends the process if a scenario overruns its timeout (a CPU-bound event loop can)."""

    def expire() -> None:
        print(f"load_test: still running after {seconds:.0f} s; giving up", file=sys.stderr)
        sys.stderr.flush()
        os._exit(2)

    timer = threading.Timer(seconds, expire)
    timer.daemon = True
    timer.start()
    return timer


HINTS = {
    "PoolTimeout": (
        "PoolTimeout/ConnectTimeout retries: more calls were queued on the client's connection "
        "pool than it has connections; httpcore re-scans every queued request against every "
        "connection on each pool change, so a long queue makes the event loop CPU-bound."
    ),
    "Bad file descriptor": (
        "ReadError EBADF: httpcore's sync pool closed a connection another thread had just been "
        "given (more threads than max_keepalive_connections); try --max-connections."
    ),
}


def main(argv: Optional[List[str]] = None) -> int:
    """Run the scenarios; 0 when every call got its own answer exactly once."""
    args = parse_args(argv)
    scenarios = 2 if args.scenario == "both" else 1
    watchdog = start_watchdog(scenarios * (args.timeout + 30) + 30)
    soft, hard = raise_file_limit()
    retries = RetryCounter()
    logger = logging.getLogger("replicate")
    logger.addHandler(retries)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False

    emu = Emulator(token=TOKEN, max_wait_seconds=args.max_wait, demo_models=False).start()
    emu.add_model(MODEL, echo)
    client_options: Dict[str, Any] = {}
    if args.max_connections is not None:
        client_options["limits"] = httpx.Limits(
            max_connections=args.max_connections, max_keepalive_connections=args.max_connections
        )
    baseline = peak_rss_mb()
    outcomes: List[Outcome] = []
    try:
        if args.scenario in ("async", "both"):
            calls = plan_calls(args.calls, args.min_delay, args.max_delay, args.seed)
            client = replicate.Client(api_token=TOKEN, base_url=emu.base_url, **client_options)
            outcomes.append(
                scenario(
                    emu, f"async_run x{args.calls} (gather)", calls, retries,
                    lambda o: run_async(client, calls, args.timeout, o),
                )
            )
        if args.scenario in ("threads", "both"):
            total = args.threads * args.calls_per_thread
            calls = plan_calls(total, args.min_delay, args.max_delay, args.seed + 1)
            client = replicate.Client(api_token=TOKEN, base_url=emu.base_url, **client_options)
            outcomes.append(
                scenario(
                    emu, f"run x{total} on {args.threads} threads", calls, retries,
                    lambda o: run_threads(client, calls, args.threads, args.timeout, o),
                )
            )
    finally:
        emu.stop()
        watchdog.cancel()

    print(table(outcomes))
    print()
    from replicate.client import DEFAULT_LIMITS

    pool = args.max_connections or DEFAULT_LIMITS.max_connections
    kept = args.max_connections or DEFAULT_LIMITS.max_keepalive_connections
    origin = "the client's defaults" if args.max_connections is None else "--max-connections"
    print(
        f"- model sleep {args.min_delay}-{args.max_delay} s; emulator Prefer: wait hold up to "
        f"{args.max_wait} s; client pool max_connections={pool}, "
        f"max_keepalive_connections={kept} ({origin})."
    )
    print(
        f"- RLIMIT_NOFILE soft/hard: {soft}/{hard}; emulator uvicorn limit_concurrency=10000, "
        "backlog=4096; one emulator worker thread per running prediction."
    )
    print(
        f"- peak RSS is the whole process (client + emulator + model threads), cumulative "
        f"over scenarios; {baseline:.0f} MB after the emulator started."
    )
    for o in outcomes:
        kinds = ", ".join(f"{k} x{v}" for k, v in sorted(o.requests_by_kind.items()))
        print(f"- {o.name}: {o.predictions} predictions; requests: {kinds or 'none'}")
    seen = " ".join(f"{list(o.errors)} {list(o.retries)}" for o in outcomes)
    for needle, hint in HINTS.items():
        if needle in seen:
            print(f"- {hint}")
    failed = [o.name for o in outcomes if o.failed]
    if failed:
        print(f"\nFAILED: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
