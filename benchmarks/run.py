"""Benchmarks: this project against replicate 1.0.7, replicate-stainless 0.6.0 and raw httpx.

Run ``make bench`` (full, ~15 minutes on 2 cores) or ``make bench-quick`` (under two minutes),
or ``.venv/bin/python benchmarks/run.py [--quick] [--only WORKLOAD ...]``. Peers are
installed from PyPI into their own virtualenvs under benchmarks/.venvs/; every client
workload runs in a subprocess of its own, against a server in another process on 127.0.0.1.
Prints a Markdown table and writes it, with the machine and versions, to
benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
VENVS = os.path.join(HERE, ".venvs")
WORK = os.path.join(HERE, ".work")
# The development venv (`make bench` runs in it): it runs the servers, whose emulator needs the
# project's optional extras. Clients run in the clean venvs of `venv_packages`.
DEV_PYTHON = sys.executable

PEER_PACKAGES = {
    "v0": ["replicate==1.0.7"],
    "stainless": ["replicate-stainless==0.6.0", "packaging"],
}
PEER_NAMES = {
    "project": "project",
    "project-stream": "project (stream mode)",
    "v0": "replicate 1.0.7",
    "stainless": "replicate-stainless 0.6.0",
    "raw": "raw httpx",
}


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# -- environments -------------------------------------------------------------------------

def base_python() -> str:
    """The interpreter the project venv was made from (peers get the same one)."""
    candidate = getattr(sys, "_base_executable", None) or sys.executable
    return os.path.realpath(candidate)


def venv_packages() -> Dict[str, Tuple[List[str], str]]:
    """What each client's virtualenv holds, and a key that changes when that does.

    The project gets a clean venv of its own too, with only its runtime dependencies: the
    development venv's extras (httpx imports click and pygments when they are installed)
    would cost it memory and start-up time that the peers do not pay. Raw httpx runs there.
    """
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as handle:
        project_key = hashlib.sha256(handle.read()).hexdigest()[:12]
    specs = {peer: (packages, "-".join(packages).replace("=", "")) for peer, packages in PEER_PACKAGES.items()}
    specs["project"] = (["-e", ROOT], f"project-{project_key}")
    return specs


def ensure_venvs() -> None:
    """Create each client's virtualenv and install its packages (again when they change)."""
    for peer, (packages, key) in venv_packages().items():
        directory = os.path.join(VENVS, peer)
        stamp = os.path.join(directory, ".installed-" + key)
        if os.path.exists(stamp):
            continue
        log(f"creating {directory} with {' '.join(packages)}")
        subprocess.run([base_python(), "-m", "venv", "--clear", directory], check=True)
        subprocess.run(
            [os.path.join(directory, "bin", "python"), "-m", "pip", "install", "--quiet", *packages],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        open(stamp, "w").close()


def compile_project() -> None:
    """Write the project's bytecode, as installing its wheel would.

    With PYTHONDONTWRITEBYTECODE set, the editable install would compile every module again in
    every fresh process, a cost the peers (installed by pip, with their .pyc files) never pay.
    """
    subprocess.run([python_for("project"), "-m", "compileall", "-q", os.path.join(ROOT, "replicate")],
                   check=True, stdout=subprocess.DEVNULL)


def python_for(peer: str) -> str:
    """The interpreter a client runs in (the project's modes and raw httpx share one)."""
    venv = "project" if peer in ("project", "project-stream", "raw") else peer
    return os.path.join(VENVS, venv, "bin", "python")


def package_version(python: str, distribution: str) -> str:
    code = f"import importlib.metadata as m; print(m.version({distribution!r}))"
    result = subprocess.run([python, "-c", code], capture_output=True, text=True)
    return result.stdout.strip() or "?"


def machine_info() -> Dict[str, str]:
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    memory = "?"
    try:
        with open("/proc/meminfo") as handle:
            kib = int(handle.readline().split()[1])
            memory = f"{kib / 1024 / 1024:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return {
        "CPU": cpu,
        "cores": str(os.cpu_count()),
        "RAM": memory,
        "OS": platform.platform(),
        "Python": platform.python_version() + f" ({base_python()})",
        "project (replicate)": package_version(python_for("project"), "replicate"),
        "replicate (peer)": package_version(python_for("v0"), "replicate"),
        "replicate-stainless": package_version(python_for("stainless"), "replicate-stainless"),
        "httpx (project / 1.0.7 / stainless)": " / ".join(
            package_version(python_for(peer), "httpx") for peer in ("project", "v0", "stainless")
        ),
        "pydantic (project / 1.0.7 / stainless)": " / ".join(
            package_version(python_for(peer), "pydantic") for peer in ("project", "v0", "stainless")
        ),
    }


# -- servers ------------------------------------------------------------------------------

class Server:
    """A benchmark server in its own process, driven over stdin/stdout."""

    def __init__(self, kind: str, max_wait: float, times: str, lifetime: float) -> None:
        script = "emu_server.py" if kind == "emulator" else "lean_server.py"
        self.kind = kind
        self.process = subprocess.Popen(
            [DEV_PYTHON, os.path.join(HERE, script), "--max-wait", str(max_wait), "--times", times,
             "--lifetime", str(lifetime)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=HERE,
        )
        self._lock = threading.Lock()
        line = self._readline(30.0)
        if not line:
            self.stop()
            raise RuntimeError(f"{script} did not start")
        info = json.loads(line)
        self.base_url: str = info["base_url"]
        self.delivery_url: str = info["delivery_url"]

    def _readline(self, timeout: float) -> str:
        result: List[str] = []
        reader = threading.Thread(target=lambda: result.append(self.process.stdout.readline()), daemon=True)  # type: ignore[union-attr]
        reader.start()
        reader.join(timeout)
        return result[0] if result else ""

    def command(self, line: str) -> Dict[str, Any]:
        with self._lock:
            assert self.process.stdin is not None
            self.process.stdin.write(line + "\n")
            self.process.stdin.flush()
            answer = self._readline(30.0)
        return json.loads(answer) if answer else {}

    def requests(self) -> int:
        return int(self.command("stats").get("requests", 0))

    def stop(self) -> None:
        try:
            if self.process.stdin is not None:
                self.process.stdin.close()
            self.process.wait(10)
        except Exception:
            self.process.kill()
            self.process.wait(5)

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()


def emulator_available() -> bool:
    probe = "from replicate.emulator import Emulator; e = Emulator(); e.start(); e.stop()"
    result = subprocess.run([DEV_PYTHON, "-c", probe], capture_output=True, timeout=60)
    return result.returncode == 0


def sink_directory() -> str:
    """Where large outputs are written: tmpfs when there is room, so that the disk's writeback
    of the previous run does not show up in the next one's throughput."""
    try:
        stats = os.statvfs("/dev/shm")
        if stats.f_bavail * stats.f_frsize > 2 * 1024**3:
            return "/dev/shm"
    except OSError:
        pass
    return WORK


# -- running workers ----------------------------------------------------------------------

def worker(peer: str, workload: str, params: Dict[str, Any], timeout: float = 600.0) -> Dict[str, Any]:
    """Run one workload for one peer in a fresh subprocess; its JSON result."""
    command = [python_for(peer), os.path.join(HERE, "worker.py"), peer, workload, json.dumps(params)]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=WORK)
    except subprocess.TimeoutExpired:
        return {"failed": f"timed out after {timeout:.0f} s"}
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    if not lines:
        return {"failed": (result.stderr.strip().splitlines() or ["no output"])[-1][:300]}
    answer: Dict[str, Any] = json.loads(lines[-1])
    if "failed" in answer and result.stderr:
        answer["stderr"] = result.stderr[-2000:]
    return answer


# -- statistics and formatting ------------------------------------------------------------

def summary(values: Sequence[float]) -> Optional[Tuple[float, float, float]]:
    values = [v for v in values if v is not None]
    if not values:
        return None
    return statistics.median(values), min(values), max(values)


def fmt(values: Sequence[float], unit: str = "", digits: int = 0) -> str:
    stats = summary(values)
    if stats is None:
        return "n/a"
    med, low, high = stats
    number = f"{{:.{digits}f}}"
    text = number.format(med) + unit
    if len(values) > 1:
        text += f" [{number.format(low)}–{number.format(high)}]"
    return text


def ratios(project: Sequence[float], peer: Sequence[float]) -> List[float]:
    """Ratios of paired runs (rep i of the project over rep i of the peer)."""
    return [a / b for a, b in zip(project, peer) if a is not None and b]


class Table:
    """The rows of the results table, and notes that explain them."""

    COLUMNS = ["workload", "metric", "project", "1.0.7", "stainless", "raw httpx", "ratio vs target peer", "target", "met?"]

    def __init__(self) -> None:
        self.rows: List[List[str]] = []
        self.notes: List[str] = []

    def add(
        self,
        workload: str,
        metric: str,
        project: str = "n/a",
        v0: str = "n/a",
        stainless: str = "n/a",
        raw: str = "n/a",
        ratio: str = "",
        target: str = "",
        met: Optional[bool] = None,
        verdict: Optional[str] = None,
    ) -> None:
        if verdict is None:
            verdict = "" if met is None else ("yes" if met else "**NO**")
        self.rows.append([workload, metric, project, v0, stainless, raw, ratio, target, verdict])
        print(self.render_row(self.rows[-1]), flush=True)

    def note(self, text: str) -> None:
        self.notes.append(text)
        log("note: " + text)

    @staticmethod
    def render_row(row: List[str]) -> str:
        return "| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |"

    def markdown(self) -> str:
        lines = [self.render_row(self.COLUMNS), "|" + "---|" * len(self.COLUMNS)]
        lines += [self.render_row(row) for row in self.rows]
        return "\n".join(lines)


def failure(result: Dict[str, Any]) -> Optional[str]:
    if "unsupported" in result:
        return "unsupported: " + result["unsupported"]
    if "failed" in result:
        return "failed: " + result["failed"]
    return None


# -- workloads ----------------------------------------------------------------------------

class Bench:
    """Runs the workloads and fills the table."""

    def __init__(self, quick: bool, backend: str) -> None:
        self.quick = quick
        self.table = Table()
        self.times = os.path.join(WORK, "times.txt")
        self.backend = backend
        self.stream_mode: Optional[str] = None

    # --- helpers ---
    def server(self, kind: str, max_wait: float = 60.0) -> Server:
        if kind == "auto":
            kind = self.backend
        return Server(kind, max_wait, self.times, lifetime=1200.0)

    def detect_stream_mode(self) -> None:
        code = (
            "import sys; sys.argv=['w']; sys.path.insert(0, %r); import worker; print(worker.stream_knob())" % HERE
        )
        result = subprocess.run([DEV_PYTHON, "-c", code], capture_output=True, text=True)
        answer = result.stdout.strip()
        self.stream_mode = None if answer in ("", "None") else answer
        if self.stream_mode:
            # The knob may be accepted before anything acts on it: say so in the results.
            package = os.path.join(ROOT, "replicate")
            users = sorted(
                name for name in os.listdir(package)
                if name.endswith(".py") and name not in ("client.py", "_sdk.py")
                and "wait_strategy" in open(os.path.join(package, name)).read()
            )
            if not users:
                self.table.note("The project's Client accepts `wait_strategy` but no module acts on it yet: "
                                "the stream-mode rows measure the default request pattern.")
            self.stream_mode += f" (used in: {', '.join(users) or 'nothing yet'})"
        log(f"project stream mode knob: {self.stream_mode}")

    # --- 1. cold start ---
    def cold_start(self) -> None:
        reps = 6 if self.quick else 20
        peers = {"project": "import replicate", "v0": "import replicate", "stainless": "import replicate",
                 "raw": "import httpx", "interpreter": "pass"}
        times: Dict[str, List[float]] = {peer: [] for peer in peers}
        for peer in peers:  # warm the page cache and bytecode caches first
            # cwd=WORK: `python -c` puts the working directory first on sys.path, and in the repo
            # root every peer would import the project's own `replicate` package.
            subprocess.run([python_for("project" if peer == "interpreter" else peer), "-c", peers[peer]],
                           check=True, cwd=WORK)
        for _ in range(reps):
            for peer, code in peers.items():
                python = python_for("project" if peer == "interpreter" else peer)
                started = time.perf_counter()
                subprocess.run([python, "-c", code], check=True, cwd=WORK)
                times[peer].append((time.perf_counter() - started) * 1000.0)
        rs = ratios(times["project"], times["v0"])
        self.table.add(
            "cold start", f"`python -c 'import replicate'` wall, ms (median of {reps})",
            fmt(times["project"], digits=1), fmt(times["v0"], digits=1), fmt(times["stainless"], digits=1),
            fmt(times["raw"], digits=1) + " (import httpx)",
            f"{fmt(rs, '×', 2)} vs 1.0.7", "(information: the targets are on the cold run)",
        )
        self.table.note(
            f"Cold start includes the interpreter's own start-up: `python -c pass` takes "
            f"{fmt(times['interpreter'], ' ms', 1)} here. Ratio vs stainless: "
            f"{fmt(ratios(times['project'], times['stainless']), '×', 2)}."
        )

    # --- 1b. cold run: a fresh process imports the client and completes one run ---
    def cold_run(self) -> None:
        reps = 5 if self.quick else 15
        results: Dict[Tuple[str, str], List[Optional[Tuple[float, float, float]]]] = {
            (style, peer): [] for style, peers in COLD_CALLS.items() for peer in peers
        }
        problems: Dict[Tuple[str, str], str] = {}
        with self.server("lean") as server:
            for key in results:  # warm the page cache first, untimed
                cold_process(*key, server.base_url)
            for _ in range(reps):
                for key in results:  # interleaved, so that load on the machine hits every peer alike
                    measured = cold_process(*key, server.base_url)
                    if isinstance(measured, str):
                        problems.setdefault(key, measured)
                        results[key].append(None)
                    else:
                        results[key].append(measured)

        def series(style: str, peer: str, index: int) -> List[float]:
            # Keeps None for failed runs, so that ratios still pair run i with run i.
            return [None if r is None else r[index] for r in results.get((style, peer), [])]  # type: ignore[misc]

        def cell(style: str, peer: str, index: int, unit: str, digits: int = 0) -> str:
            if (style, peer) not in results:
                return "n/a"
            if (style, peer) in problems:
                return "failed: " + problems[(style, peer)][:100]
            return fmt(series(style, peer, index), unit, digits)

        def paired(style: str, peer_style: str, peer: str, index: int) -> List[float]:
            mine, theirs = series(style, "project", index), series(peer_style, peer, index)
            return [a / b for a, b in zip(mine, theirs) if a is not None and b]

        calls = {style: COLD_CALLS[style]["project"][1] for style in COLD_CALLS}
        # Import alone: information, and the ≤ 0.2× target of issue 13, from the same processes.
        rs = paired("run", "run", "v0", 0)
        m = summary(rs)
        self.table.add(
            "cold run", f"`import replicate`: process CPU when the import returns, ms (interpreter start-up "
            f"included; median of {reps})",
            cell("run", "project", 0, " ms"), cell("run", "v0", 0, " ms"), cell("run", "stainless", 0, " ms"),
            cell("run", "raw", 0, " ms") + " (import httpx)", f"{fmt(rs, '×', 2)} vs 1.0.7", "≤ 0.2× 1.0.7",
            m is not None and m[0] <= 0.2,
        )
        for style, peer, target_cpu, target_rss in (
            ("run", "v0", 0.75, 1.0),
            ("Replicate().run()", "stainless", None, None),
            ("use()", "v0", None, None),
        ):
            peer_style = "run" if peer == "v0" else style
            compared = f"vs {'1.0.7' if peer == 'v0' else 'stainless'}" + (
                "'s run()" if style == "use()" else "")
            for index, what, unit, target in ((1, "client CPU, ms", " ms", target_cpu),
                                              (2, "peak RSS, MB", " MB", target_rss)):
                rs = paired(style, peer_style, peer, index)
                m = summary(rs)
                self.table.add(
                    "cold run", f"fresh `python -c` doing `import replicate; {calls[style]}` against a loopback "
                    f"server that answers at once: {what} (median of {reps})",
                    cell(style, "project", index, unit, 1 if index == 2 else 0),
                    cell(style, "v0", index, unit, 1 if index == 2 else 0) if style == "run"
                    else "n/a (1.0.7 has no " + style.split("(")[0] + ")",
                    cell(style, "stainless", index, unit, 1 if index == 2 else 0),
                    cell(style, "raw", index, unit, 1 if index == 2 else 0) + " (one POST)",
                    f"{fmt(rs, '×', 2)} {compared}",
                    f"≤ {target:.2f}× 1.0.7" if target is not None else "(information)",
                    None if target is None else (m is not None and m[0] <= target),
                )
        self.table.note(
            "Cold run: each cell is one fresh process (`python -c`, client CPU = user+sys of the whole "
            "process, interpreter start-up included) against the lean server, whose prediction "
            "succeeds inside the `Prefer: wait` hold; peers run interleaved and ratios pair run i "
            "with run i. The server speaks plain HTTP on loopback, so no client needs a TLS context: "
            "the project makes one only for its first https connection, the others (httpx.Client "
            "included) make theirs when the client is built."
        )

    # --- 2. per-request overhead ---
    def per_request(self) -> None:
        reps, passes = (2, 1) if self.quick else (5, 3)
        calls = 1000 if self.quick else 2000
        peers = ["project", "v0", "stainless", "raw"]
        cpu: Dict[str, List[float]] = {peer: [] for peer in peers}
        with self.server("lean") as server:
            for _ in range(reps):
                for peer in peers:
                    params = {"base": server.base_url, "n": calls, "passes": passes}
                    result = worker(peer, "per_request", params)
                    if failure(result):
                        self.table.note(f"per-request {peer}: {failure(result)}")
                        continue
                    cpu[peer].append(result["cpu_per_call_us"])
        vs_raw = ratios(cpu["project"], cpu["raw"])
        vs_v0 = ratios(cpu["project"], cpu["v0"])
        raw_med, v0_med = summary(vs_raw), summary(vs_v0)
        met = raw_med is not None and v0_med is not None and raw_med[0] <= 1.10 and v0_med[0] <= 1.0
        self.table.add(
            "per-request overhead",
            f"client CPU per `predictions.get`, µs ({calls:,} calls; best of {passes} passes, {reps} runs)",
            fmt(cpu["project"], " µs"), fmt(cpu["v0"], " µs"), fmt(cpu["stainless"], " µs"), fmt(cpu["raw"], " µs"),
            f"{fmt(vs_raw, '×', 2)} vs raw; {fmt(vs_v0, '×', 2)} vs 1.0.7",
            "≤ 1.10× raw and ≤ 1.0× 1.0.7", met,
        )
        self.cpu_per_request = cpu

    # --- 3. result latency and 4. requests per result ---
    def latency(self) -> None:
        hold = 1.0
        reps = 2 if self.quick else 8
        cases = {
            "a": ("(a) finishes inside the Prefer: wait hold", {"seconds": 0.2, "jitter": 0.5}),
            "b": ("(b) finishes 0.3–0.8 s after the hold ends", {"seconds": hold + 0.3, "jitter": 0.5}),
            "c": ("(c) iterator output, per item (items start 0.2–0.7 s after the hold, 0.3 s apart)",
                  {"items": 3 if self.quick else 4, "interval": 0.3, "delay": hold + 0.2, "jitter": 0.5}),
        }
        series: List[Tuple[str, str, Dict[str, Any]]] = [
            ("project", "project", {}),
            ("v0", "v0", {}),
            ("v0", "v0-nowait", {"wait": False}),
            ("stainless", "stainless", {}),
        ]
        if self.stream_mode:
            series.insert(1, ("project-stream", "project-stream", {}))
        with self.server("auto", max_wait=hold) as server:
            self.table.note(f"Result latency and requests per result ran against the {server.kind} "
                            f"(Prefer: wait hold shortened to {hold:.0f} s).")
            for case, (label, extra) in cases.items():
                results: Dict[str, Dict[str, Any]] = {}
                for peer, name, kwargs in series:
                    if case == "a" and name == "v0-nowait":
                        continue
                    model = "bench/iter" if case == "c" else "bench/echo"
                    params = {
                        "base": server.base_url, "case": case, "reps": reps, "times": self.times,
                        "ref": f"{model}:{vid(model)}", "model": model, "vid": vid(model),
                        "run_kwargs": kwargs, **extra,
                    }
                    results[name] = worker(peer, "latency", params, timeout=300)
                self._latency_rows(label, case, results)
        if not self.stream_mode:
            self.table.add("result latency", "all cases, project stream mode (SSE fast path)",
                           "TODO: no stream knob found in replicate/client.py or replicate/run.py", met=None,
                           target="≤ 20 ms")

    def _latency_cell(self, result: Optional[Dict[str, Any]]) -> Tuple[str, Optional[float]]:
        if result is None:
            return "n/a", None
        problem = failure(result)
        if problem:
            return problem[:120], None
        values = result["latencies_ms"]
        text = fmt(values, " ms") if values else "no result"
        extra = []
        if result["wrong"]:
            extra.append(f"wrong/incomplete output in {result['wrong']}/{result['reps']} runs")
        if result["errors"]:
            extra.append(f"{len(result['errors'])} errors: {result['errors'][0][:100]}")
        if extra:
            text += " (" + "; ".join(extra) + ")"
        stats = summary(values)
        return text, (stats[0] if stats else None)

    def _latency_rows(self, label: str, case: str, results: Dict[str, Dict[str, Any]]) -> None:
        v0_text, _ = self._latency_cell(results.get("v0"))
        if "v0-nowait" in results:
            nowait, _ = self._latency_cell(results["v0-nowait"])
            v0_text += f"; with wait=False (pure polling): {nowait}"
        st_text, _ = self._latency_cell(results.get("stainless"))
        for name in ("project", "project-stream"):
            if name not in results:
                continue
            text, med = self._latency_cell(results[name])
            ok = med is not None and med <= 20.0 and not results[name].get("wrong") and not results[name].get("errors")
            mode = "default (v0 polling)" if name == "project" else "stream mode"
            verdict = None
            if name == "project" and case != "a" and not ok:
                verdict = "no (by design: v0's 0.5 s polling; see notes)"
            self.table.add(
                "result latency", f"{label}: added latency, median [min–max] — project {mode}",
                text, v0_text, st_text, "n/a", "", "≤ 20 ms median", ok, verdict,
            )

    def requests_per_result(self) -> None:
        hold = 1.0
        past = 3.0 if self.quick else 30.0
        series = [("project", "project", {}), ("v0", "v0", {}), ("v0", "v0-nowait", {"wait": False}),
                  ("stainless", "stainless", {}), ("stainless", "stainless-nowait", {"wait": False})]
        if self.stream_mode:
            series.append(("project-stream", "project-stream", {}))
        with self.server("auto", max_wait=hold) as server:
            params = {"base": server.base_url, "seconds": hold + past, "model": "bench/echo",
                      "vid": vid("bench/echo"), "ref": f"bench/echo:{vid('bench/echo')}"}

            def one(entry: Tuple[str, str, Dict[str, Any]]) -> Dict[str, Any]:
                peer, _, kwargs = entry
                return worker(peer, "requests_per_result", {**params, "run_kwargs": kwargs})

            # They run side by side: each counts only the requests naming its own predictions.
            with ThreadPoolExecutor(len(series)) as pool:
                results = dict(zip([name for _, name, _ in series], pool.map(one, series)))
            tags = [result["tag"] for result in results.values() if "tag" in result]
            counts = server.command("tag-requests " + " ".join(tags))
        cells: Dict[str, str] = {}
        numbers: Dict[str, Optional[float]] = {}
        for peer, result in results.items():
            problem = failure(result)
            if problem:
                cells[peer], numbers[peer] = problem[:120], None
                continue
            count = counts.get(result["tag"])
            numbers[peer] = count
            cells[peer] = f"{count}" + ("" if result["ok"] else f" (wrong: {result.get('error')})")
            if self.quick and count is not None and result["ok"] and "stream" not in peer:
                # Extrapolate linearly: the requests beyond the create and the last read grow
                # with the prediction's duration.
                cells[peer] += f" (≈{2 + max(0, count - 2) * (hold + 30) / (hold + past):.0f} at 30 s, extrapolated)"
        for peer in [p for p in ("project", "project-stream") if p in results]:
            count = numbers.get(peer)
            if self.quick and count is not None and peer == "project":
                # Polling grows with the duration; the stream mode's count does not.
                count = 2 + max(0, count - 2) * (hold + 30) / (hold + past)
            mode = "default (v0 polling)" if peer == "project" else "stream mode"
            self.table.add(
                "requests per result",
                f"HTTP requests made by one `run()` finishing {past:.0f} s after the hold — project {mode}",
                cells[peer],
                f"{cells.get('v0', 'n/a')}; with wait=False: {cells.get('v0-nowait', 'n/a')}",
                f"{cells.get('stainless', 'n/a')}; with wait=False: {cells.get('stainless-nowait', 'n/a')}",
                "n/a", "",
                "≤ 4 whatever the duration", count is not None and count <= 4,
                "no (by design: v0's request pattern polls; see notes)"
                if peer == "project" and (count is None or count > 4) else None,
            )
        if not self.stream_mode:
            self.table.add("requests per result", "project stream mode (SSE fast path)",
                           "TODO: no stream knob found", target="≤ 4", met=None)

    # --- 4b. time to the first item of an iterator model ---
    def first_item(self) -> None:
        reps = 2 if self.quick else 5
        items, interval = 4, 0.3
        series = [
            ("project", "stream()"), ("project", "Replicate().run()"), ("project", "use(streaming=True)"),
            ("project", "run()"), ("v0", "stream()"), ("v0", "run()"), ("stainless", "Replicate().run()"),
            ("raw", "raw"),
        ]
        results: Dict[Tuple[str, str], Dict[str, Any]] = {}
        # The full 60 s hold: a run that holds gets its items only when the model has finished.
        with self.server("auto", max_wait=60.0) as server:
            for peer, how in series:
                params = {"base": server.base_url, "how": how, "reps": reps, "times": self.times,
                          "ref": f"bench/iter:{vid('bench/iter')}", "items": items, "interval": interval}
                results[(peer, how)] = worker(peer, "first_item", params, timeout=120)
            kind = server.kind

        def cell(peer: str, how: str) -> str:
            result = results[(peer, how)]
            problem = failure(result) or (result["errors"][0] if result.get("errors") else None)
            if problem:
                return problem[:120]
            return (f"{fmt(result['after_produced_ms'], ' ms')} after the model produced it "
                    f"({fmt(result['after_call_ms'], ' ms')} after the call)")

        for how in ("stream()", "Replicate().run()", "use(streaming=True)", "run()"):
            mine = results[("project", how)]
            medians = summary(mine.get("after_produced_ms") or [])
            peer_cells = {"v0": "n/a", "stainless": "n/a"}
            if ("v0", how) in results:
                peer_cells["v0"] = cell("v0", how)
            if ("stainless", how) in results:
                peer_cells["stainless"] = cell("stainless", how)
            streams = how != "run()"
            self.table.add(
                "first item",
                f"iterator model ({items} items {interval} s apart, {kind}, full hold), time to the first "
                f"item by `{how}`{' given the Version' if how == 'Replicate().run()' else ''}, median of {reps}"
                + ("" if streams else " (v0 style: returns after the hold)"),
                cell("project", how), peer_cells["v0"], peer_cells["stainless"],
                cell("raw", "raw") + " (POST, then the event stream)", "",
                "≤ 20 ms after it is produced" if streams else "(information: v0 returns after the hold)",
                (medians is not None and medians[0] <= 20.0) if streams and not failure(mine) else None,
            )

    # --- 5. streaming decode ---
    def sse_decode(self) -> None:
        reps, passes = (1, 2) if self.quick else (5, 3)
        events = 50_000
        peers = ["project", "v0", "raw", "stainless"]
        cpu: Dict[str, List[float]] = {peer: [] for peer in peers}
        cells: Dict[str, str] = {}
        with self.server("lean") as server:
            for _ in range(reps):
                for peer in peers:
                    result = worker(peer, "sse_decode", {"base": server.base_url, "events": events, "passes": passes})
                    problem = failure(result)
                    if problem:
                        cells[peer] = problem[:120]
                        continue
                    if not result["ok"]:
                        cells[peer] = f"got {result['events']} of {events} events"
                    cpu[peer].append(result["cpu_per_event_us"])
        vs_v0, vs_raw = ratios(cpu["project"], cpu["v0"]), ratios(cpu["project"], cpu["raw"])
        m0, mr = summary(vs_v0), summary(vs_raw)
        self.table.add(
            "streaming decode",
            f"client CPU per SSE event, µs ({events:,} events; best of {passes} passes after a warm-up, {reps} runs)",
            cells.get("project") or fmt(cpu["project"], " µs", 1), cells.get("v0") or fmt(cpu["v0"], " µs", 1),
            cells.get("stainless") or "n/a", cells.get("raw") or fmt(cpu["raw"], " µs", 1) + " (iter_lines + parse)",
            f"{fmt(vs_v0, '×', 2)} vs 1.0.7; {fmt(vs_raw, '×', 2)} vs raw",
            "≤ 0.3× 1.0.7 and ≤ 3× raw", m0 is not None and mr is not None and m0[0] <= 0.3 and mr[0] <= 3.0,
        )

    # --- 6. large outputs ---
    def large_output(self) -> None:
        size = (64 if self.quick else 256) * 1024 * 1024
        reps = 1 if self.quick else 3
        runs = [("raw", "iterate"), ("project", "iterate"), ("v0", "iterate"), ("stainless", "iterate"),
                ("project", "read"), ("v0", "read"), ("stainless", "read"), ("project", "copyfileobj")]
        results: Dict[Tuple[str, str], List[Dict[str, Any]]] = {run: [] for run in runs}
        with self.server("lean") as server:
            for _ in range(reps):
                for peer, how in runs:
                    params = {"base": server.base_url, "size": size, "how": how, "ref": f"bench/file:{vid('bench/file')}",
                              "sink": os.path.join(sink_directory(), f"sink-{peer}-{how}.bin")}
                    results[(peer, how)].append(worker(peer, "large_output", params))
        mib = size // (1024 * 1024)

        def values(peer: str, how: str, key: str) -> List[float]:
            return [r[key] for r in results[(peer, how)] if not failure(r) and r.get("ok")]

        def cell(peer: str, how: str, key: str, unit: str) -> str:
            bad = [failure(r) or "incomplete" for r in results[(peer, how)] if failure(r) or not r.get("ok")]
            if bad:
                return bad[0][:120]
            return fmt(values(peer, how, key), unit)

        raw_tp = values("raw", "iterate", "mb_per_s")
        for how, label in (("iterate", "iterating the FileOutput into a file"),
                           ("copyfileobj", "shutil.copyfileobj(FileOutput, file)"),
                           ("read", "FileOutput.read() then write to a file")):
            growth = values("project", how, "rss_growth_mb")
            g = summary(growth)
            target_rss = how != "read"
            self.table.add(
                "large output", f"{mib} MiB file, {label}: peak RSS growth, MB",
                cell("project", how, "rss_growth_mb", " MB"),
                cell("v0", how, "rss_growth_mb", " MB") if how != "copyfileobj" else "n/a",
                cell("stainless", how, "rss_growth_mb", " MB") if how != "copyfileobj" else "n/a",
                cell("raw", "iterate", "rss_growth_mb", " MB") if how == "iterate" else "n/a",
                "", "≤ 32 MB" if target_rss else "(read() holds the whole file by definition)",
                (g is not None and g[0] <= 32) if target_rss else None,
            )
            if how == "read":
                continue
            tp = ratios(values("project", how, "mb_per_s"), raw_tp)
            t = summary(tp)
            self.table.add(
                "large output", f"{mib} MiB file, {label}: throughput, MB/s",
                cell("project", how, "mb_per_s", " MB/s"),
                cell("v0", how, "mb_per_s", " MB/s") if how != "copyfileobj" else "n/a",
                cell("stainless", how, "mb_per_s", " MB/s") if how != "copyfileobj" else "n/a",
                fmt(raw_tp, " MB/s") + " (stream().iter_bytes())",
                f"{fmt(tp, '×', 2)} vs raw", "≥ 0.9× raw", t is not None and t[0] >= 0.9,
            )

    # --- 7. large inputs ---
    def large_input(self) -> None:
        size = (16 if self.quick else 64) * 1024 * 1024
        path = os.path.join(WORK, "input.bin")
        with open(path, "wb") as handle:
            block = os.urandom(1024 * 1024)
            for _ in range(size // len(block)):
                handle.write(block)
        peers = ["project", "v0", "stainless", "raw"]
        cells: Dict[str, str] = {}
        growth: Dict[str, Optional[float]] = {}
        with self.server("lean") as server:
            for peer in peers:
                result = worker(peer, "large_input", {"base": server.base_url, "path": path,
                                                      "ref": f"bench/upload:{vid('bench/upload')}"})
                problem = failure(result)
                if problem:
                    cells[peer], growth[peer] = problem[:120], None
                    continue
                growth[peer] = result["rss_growth_mb"]
                cells[peer] = f"{result['rss_growth_mb']:.0f} MB" + ("" if result["ok"] else " (wrong output)")
            uploaded = server.command("stats").get("upload_bytes", 0)
        os.unlink(path)
        g = growth.get("project")
        self.table.add(
            "large input", f"{size // (1024 * 1024)} MiB file input (upload via files.create): peak RSS growth",
            cells["project"], cells["v0"], cells["stainless"], cells["raw"] + " (multipart post)", "",
            "≤ 32 MB", g is not None and g <= 32,
        )
        self.table.note(f"Large input: the server received {uploaded / 1e6:.0f} MB of uploads in total "
                        f"({len(peers)} clients × {size / 1e6:.0f} MB expected if all uploaded as files).")

    # --- 8. concurrency ---
    def concurrency(self) -> None:
        async_n, thread_n = (100, 20) if self.quick else (500, 100)
        seconds = 0.5
        limit = 30.0 if self.quick else 75.0
        peers = ["project", "v0", "stainless", "raw"] + (["project-stream"] if self.stream_mode else [])
        for kind, n in (("async", async_n), ("threads", thread_n)):
            reps = 1 if self.quick or kind == "async" else 2
            results: Dict[str, List[Dict[str, Any]]] = {peer: [] for peer in peers}
            # The lean server: the emulator, one thread per prediction behind uvicorn, is the
            # bottleneck at 500 connections (1.0.7 got ConnectTimeouts from it).
            with self.server("lean", max_wait=60.0) as server:
                for _ in range(reps):
                    for peer in peers:
                        server.command("reset")
                        params = {"base": server.base_url, "n": n, "kind": kind, "seconds": seconds,
                                  "ref": f"bench/echo:{vid('bench/echo')}", "limit": limit}
                        result = worker(peer, "concurrency", params, timeout=limit + 60)
                        result["per_prediction"] = server.requests() / n
                        results[peer].append(result)
                kind_name = server.kind

            def good(peer: str) -> List[Dict[str, Any]]:
                return [r for r in results[peer] if not failure(r)]

            def cell(peer: str) -> str:
                problems = [failure(r) for r in results[peer] if failure(r)]
                if problems:
                    return str(problems[0])[:120]
                rs = good(peer)
                errors = sum(r["errors"] for r in rs)
                text = (f"wall {fmt([r['wall_s'] for r in rs], ' s', 2)}; {errors} errors; "
                        f"peak RSS {fmt([r['peak_rss_mb'] for r in rs], ' MB')} "
                        f"(+{fmt([r['rss_growth_mb'] for r in rs], ' MB')} over the "
                        f"{fmt([r['baseline_rss_mb'] for r in rs], ' MB')} after import); "
                        f"{fmt([r['per_prediction'] for r in rs], '', 2)} req/prediction")
                samples = [r["error_samples"][0] for r in rs if r["errors"]]
                if samples:
                    text += f" ({samples[0][:80]})"
                return text

            label = (f"{n} concurrent `async_run`" if kind == "async" else f"{n} threads running `run` on one client")
            for peer in [p for p in ("project", "project-stream") if p in results]:
                mine, theirs = good(peer), good("v0")
                met: Optional[bool] = False
                ratio = ""
                if mine and theirs:
                    wall = ratios([r["wall_s"] for r in mine], [r["wall_s"] for r in theirs])
                    rss = ratios([r["peak_rss_mb"] for r in mine], [r["peak_rss_mb"] for r in theirs])
                    w, m = summary(wall), summary(rss)
                    met = (sum(r["errors"] for r in mine) == 0 and len(mine) == reps
                           and w is not None and w[0] <= 1.0 and m is not None and m[0] <= 1.0)
                    ratio = f"wall {fmt(wall, '×', 2)}, peak RSS {fmt(rss, '×', 2)} vs 1.0.7"
                mode = "" if peer == "project" else " — project stream mode"
                self.table.add(
                    "concurrency", f"{label} ({seconds} s model, {kind_name}, {reps} runs){mode}", cell(peer),
                    cell("v0"), cell("stainless"), cell("raw") + " (POST Prefer: wait)", ratio,
                    "0 errors; wall and peak RSS ≤ 1.0.7", met,
                )

    # --- profile hints ---
    def run(self, only: Optional[List[str]]) -> None:
        self.detect_stream_mode()
        steps: List[Tuple[str, Callable[[], None]]] = [
            ("cold_start", self.cold_start),
            ("cold_run", self.cold_run),
            ("per_request", self.per_request),
            ("latency", self.latency),
            ("requests", self.requests_per_result),
            ("first_item", self.first_item),
            ("sse", self.sse_decode),
            ("large_output", self.large_output),
            ("large_input", self.large_input),
            ("concurrency", self.concurrency),
        ]
        for name, step in steps:
            if only and name not in only:
                continue
            log(f"workload {name}")
            started = time.perf_counter()
            try:
                step()
            except Exception as exc:  # one broken workload must not lose the others
                import traceback

                traceback.print_exc()
                self.table.add(name, "harness error", f"{type(exc).__name__}: {exc}"[:200])
            log(f"workload {name} took {time.perf_counter() - started:.1f} s")


# The cold-run calls, per style and peer: (imports, statement that sets `out`).
_RAW_RUN = (
    "import os, httpx",
    'out = httpx.post(os.environ["REPLICATE_BASE_URL"] + "/v1/models/bench/echo/predictions", '
    'json={"input": {"text": "x"}}, headers={"Authorization": "Bearer " + os.environ["REPLICATE_API_TOKEN"], '
    '"Prefer": "wait"}).json()["output"]',
)
_V0_RUN = ("import replicate", 'out = replicate.run("bench/echo", input={"text": "x"})')
_NEWER_RUN = ("import replicate", 'out = replicate.Replicate().run("bench/echo", input={"text": "x"})')
COLD_CALLS: Dict[str, Dict[str, Tuple[str, str]]] = {
    "run": {"project": _V0_RUN, "v0": _V0_RUN, "stainless": _V0_RUN, "raw": _RAW_RUN},
    "Replicate().run()": {"project": _NEWER_RUN, "stainless": _NEWER_RUN, "raw": _RAW_RUN},
    "use()": {"project": ("import replicate", 'out = replicate.use("bench/echo")(text="x")'), "raw": _RAW_RUN},
}

# Only `resource` besides the client: the process measures the client and nothing else.
COLD_PROGRAM = """\
import resource
{imports}
imported = resource.getrusage(resource.RUSAGE_SELF)
{call}
done = resource.getrusage(resource.RUSAGE_SELF)
assert str(out) == "done", repr(out)[:200]
print("cold", imported.ru_utime + imported.ru_stime, done.ru_utime + done.ru_stime, done.ru_maxrss)
"""


def cold_process(style: str, peer: str, base_url: str) -> Union[Tuple[float, float, float], str]:
    """One fresh process doing one cold call: (CPU ms at import, CPU ms at the end, peak RSS MB),
    or what went wrong."""
    imports, call = COLD_CALLS[style][peer]
    env = dict(os.environ, REPLICATE_API_TOKEN="r8_test",
               REPLICATE_BASE_URL=base_url + ("/v1" if peer == "stainless" else ""))
    try:
        result = subprocess.run([python_for(peer), "-c", COLD_PROGRAM.format(imports=imports, call=call)],
                                capture_output=True, text=True, timeout=60, cwd=WORK, env=env)
    except subprocess.TimeoutExpired:
        return "timed out after 60 s"
    lines = [line.split() for line in result.stdout.splitlines() if line.startswith("cold ")]
    if result.returncode or not lines:
        return (result.stderr.strip().splitlines() or ["no output"])[-1][:200]
    imported, done, maxrss = map(float, lines[-1][1:])
    return imported * 1000.0, done * 1000.0, maxrss / 1024.0  # ru_maxrss is in KiB on Linux


def vid(model: str) -> str:
    import hashlib

    return hashlib.sha256(model.encode()).hexdigest()


def write_results(bench: Bench, started: float, args: argparse.Namespace) -> str:
    info = machine_info()
    lines = [
        "# Benchmark results",
        "",
        f"Generated by `benchmarks/run.py{' --quick' if args.quick else ''}` on "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} in {time.time() - started:.0f} s. "
        "Cells are median [min–max] over the runs of this session; ratios pair run *i* of the "
        "project with run *i* of the peer. CPU is the client process's user+sys time.",
        "",
        "## Machine",
        "",
    ]
    lines += [f"- {key}: {value}" for key, value in info.items()]
    lines += [f"- server for latency/requests/concurrency: {bench.backend}",
              f"- project stream-mode knob: {bench.stream_mode or 'not found (TODO rows)'}", ""]
    lines += ["## Results", "", bench.table.markdown(), ""]
    if bench.table.notes:
        lines += ["## Notes", ""] + [f"- {note}" for note in bench.table.notes] + [""]
    extra = os.path.join(HERE, "NOTES.md")
    if os.path.exists(extra):
        with open(extra) as handle:
            lines += [handle.read()]
    text = "\n".join(lines)
    with open(results_path(args), "w") as handle:
        handle.write(text)
    return text


def results_path(args: argparse.Namespace) -> str:
    """RESULTS.md for a whole full run; a partial (--only) or quick one must not replace it."""
    if args.only:
        return os.path.join(WORK, "RESULTS-partial.md")
    if args.quick:
        return os.path.join(WORK, "RESULTS-quick.md")
    return os.path.join(HERE, "RESULTS.md")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a reduced run, under two minutes")
    parser.add_argument("--only", nargs="*", help="workloads to run: cold_start cold_run per_request latency "
                        "requests first_item sse large_output large_input concurrency")
    parser.add_argument("--backend", choices=["auto", "emulator", "lean"], default="auto",
                        help="server for latency, requests and concurrency (auto: the emulator if it works)")
    args = parser.parse_args()
    started = time.time()
    os.makedirs(WORK, exist_ok=True)
    ensure_venvs()
    compile_project()
    backend = args.backend
    if backend == "auto":
        backend = "emulator" if emulator_available() else "lean"
        log(f"server backend: {backend}")
    bench = Bench(args.quick, backend)
    with open(bench.times, "w"):
        pass
    bench.run(args.only)
    text = write_results(bench, started, args)
    print()
    print(bench.table.markdown())
    log(f"wrote {results_path(args)} ({len(text)} bytes) in {time.time() - started:.0f} s")


if __name__ == "__main__":
    main()
