"""The verification service under load: N concurrent clients against ``codekiln serve-verifier`` on loopback.

The script starts the real command (``python -m codekiln serve-verifier``) on a free loopback port with one
API key per client, a sandbox limit of ``--limit`` seconds (wall and CPU) and ``--workers`` verifier workers,
and first verifies one sample per worker so that every worker is started (a worker's first sample builds
its plugin session; that is start-up, not load). Then ``--clients`` clients, each a
:class:`codekiln.client.VerifierClient` with its own key, send ``--requests`` one-sample requests each, one at
a time, all clients at once. The samples answer the built-in ``all_unique`` problem, every one a distinct
text (the verifier's cache never answers), in a fixed rotation:

- ``quick``: a correct answer (should pass) or a wrong one (should be ``wrong_answer``);
- ``hang``: an endless loop (should be ``timeout``, after the limit);
- ``flood``: an endless loop printing 64 KB lines (should be ``output_limit``).

This runs twice: the "baseline" phase with the hangs and floods replaced by correct answers, then the
"mixed" phase with the rotation as above. Reported per phase: throughput (samples per second), latency
p50/p95/p99/max per kind as the client saw it (queueing included: with more clients than workers, a sample
waits for a free worker), and errors: a request that failed, or a verdict other than expected. The goal is
zero errors, and hangs costing the quick samples no more than their own limit: the quick p99 of the mixed
phase minus the baseline's. (A quick sample that finds every worker busy with a hang waits for one; it is
never held behind a hang beyond that hang's limit.)

Bounded in count and time: the whole run stops after ``--deadline`` seconds at most, and the service is
stopped by SIGTERM at the end (it then ends its workers and sandboxes). Loopback only; nothing else is
reached.

    python benchmarks/verify_service.py [--clients 8] [--requests 6] [--workers 2] [--limit 2]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from codekiln.client import VerifierClient

GOOD = "def all_unique(values):\n    return len(set(values)) == len(values)\n"
WRONG = "def all_unique(values):\n    return True\n"
HANG = "def all_unique(values):\n    while True:\n        pass\n"
FLOOD = "def all_unique(values):\n    while True:\n        print('x' * 65536)\n"
#: (kind, code, expected status): one in five samples hangs and one in ten floods.
ROTATION = [("quick", GOOD, "passed"), ("quick", WRONG, "wrong_answer"), ("hang", HANG, "timeout"),
            ("quick", GOOD, "passed"), ("quick", WRONG, "wrong_answer"), ("quick", GOOD, "passed"),
            ("flood", FLOOD, "output_limit"), ("quick", WRONG, "wrong_answer"), ("hang", HANG, "timeout"),
            ("quick", GOOD, "passed")]


def sample(code: str, tag: str) -> dict:
    return {"dataset": "builtin", "task_id": "all_unique", "language": "python", "completion": f"{code}# {tag}\n"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_service(port: int, keys: list[str], workers: int, limit: float, clients: int,
                  config: Path) -> subprocess.Popen:
    config.write_text(f"sandbox:\n  wall_time_s: {limit}\n  cpu_time_s: {limit}\nverifier:\n  cache: false\n")
    env = {**os.environ, "CODEKILN_API_KEYS": ",".join(keys)}
    return subprocess.Popen([sys.executable, "-m", "codekiln", "serve-verifier", "--port", str(port), "-c", str(config),
                             "--workers", str(workers), "--queue-size", str(max(256, clients * 2)),
                             "--per-key-concurrency", "1"], env=env, start_new_session=True)


def wait_until_up(url: str, service: subprocess.Popen, deadline: float) -> None:
    while True:
        try:
            httpx.get(url + "/healthz")
            return
        except httpx.ConnectError:
            if service.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("the service did not start") from None
            time.sleep(0.1)


async def client_run(url: str, key: str, number: int, requests: int, rotation: list,
                     phase: str) -> list[tuple[str, float, str | None]]:
    """(kind, latency, error) per request; error None when the verdict was the expected one."""
    rows = []
    async with VerifierClient(url, api_key=key, timeout_s=120) as client:
        for index in range(requests):
            kind, code, expected = rotation[(number + index) % len(rotation)]
            started = time.perf_counter()
            try:
                tag = f"{phase} client {number} request {index}"
                [result] = await client.averify_batch([sample(code, tag)])
                status = result.verdict.status.value
                error = None if status == expected else f"{kind}: {status}, expected {expected}"
            except Exception as exc:  # a benchmark counts every failure rather than stop at the first
                error = f"{kind}: {type(exc).__name__}: {exc}"
            rows.append((kind, time.perf_counter() - started, error))
    return rows


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


async def load(url: str, keys: list[str], requests: int, workers: int) -> dict[str, tuple[float, list]]:
    """Per phase, its wall time and rows: "baseline" sends quick samples only (the hangs and floods of the
    rotation replaced by correct answers), "mixed" the rotation itself; the difference is what they cost."""
    async with VerifierClient(url, api_key=keys[0]) as warm:  # start every worker before measuring
        await warm.averify_batch([sample(GOOD, f"warm-up {i}") for i in range(workers)])
    phases = {}
    for phase, rotation in (("baseline", [row if row[0] == "quick" else ("quick", GOOD, "passed")
                                          for row in ROTATION]), ("mixed", ROTATION)):
        started = time.perf_counter()
        runs = await asyncio.gather(*(client_run(url, key, n, requests, rotation, phase)
                                      for n, key in enumerate(keys)))
        phases[phase] = (time.perf_counter() - started, [row for run in runs for row in run])
    return phases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=6, help="requests per client, one sample each")
    parser.add_argument("--workers", type=int, default=2, help="verifier worker processes")
    parser.add_argument("--limit", type=float, default=2.0, help="the sandbox's wall and CPU limit, seconds")
    parser.add_argument("--deadline", type=float, default=600.0, help="stop the whole run after this long")
    args = parser.parse_args()

    keys = [f"bench-key-{n}" for n in range(args.clients)]
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as tmp:
        service = start_service(port, keys, args.workers, args.limit, args.clients, Path(tmp) / "config.yaml")
        try:
            wait_until_up(url, service, time.monotonic() + 120)
            phases = asyncio.run(asyncio.wait_for(load(url, keys, args.requests, args.workers), args.deadline))
        finally:
            service.send_signal(signal.SIGTERM)
            service.wait(60)

    print(f"{args.clients} clients x {args.requests} one-sample requests per phase; {args.workers} verifier "
          f"workers, limit {args.limit:g} s, {os.cpu_count()} cores")
    print(f"{'phase':<9} {'kind':<6} {'n':>4} {'p50 s':>7} {'p95 s':>7} {'p99 s':>7} {'max s':>7} {'samples/s':>10}")
    errors = []
    for phase, (elapsed, rows) in phases.items():
        errors += [f"{phase} {error}" for _, _, error in rows if error]
        for kind in ("quick", "hang", "flood"):
            latencies = [latency for k, latency, _ in rows if k == kind]
            if latencies:
                rate = f"{len(rows) / elapsed:>10.1f}" if kind == "quick" else ""
                print(f"{phase:<9} {kind:<6} {len(latencies):>4} {statistics.median(latencies):>7.2f} "
                      f"{percentile(latencies, 95):>7.2f} {percentile(latencies, 99):>7.2f} "
                      f"{max(latencies):>7.2f} {rate}")
    quick = {phase: [lat for k, lat, _ in rows if k == "quick"] for phase, (_, rows) in phases.items()}
    print(f"errors: {len(errors)}" + "".join(f"\n  {error}" for error in errors[:10]))
    print("what the hangs and floods cost a quick sample (mixed minus baseline): "
          f"p50 {statistics.median(quick['mixed']) - statistics.median(quick['baseline']):+.2f} s, "
          f"p99 {percentile(quick['mixed'], 99) - percentile(quick['baseline'], 99):+.2f} s "
          f"(the hanging samples' limit: {args.limit:g} s)")
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
