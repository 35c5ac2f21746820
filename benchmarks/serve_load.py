"""The generation service under load: N concurrent clients against ``codekiln serve`` on loopback.

The script builds the embedded default model (codekiln's tiny untrained model, in a temporary cache) and
starts the real command (``python -m codekiln serve``) on a free loopback port with one API key per client,
Hugging Face generation and ``--workers`` verifier workers. It sends one request of each kind first (start-up,
not load: the verifier's workers start, torch warms up). Then two phases, each ``--requests`` requests per
client, in a fixed rotation of two kinds:

- ``complete``: ``POST /v1/completions``, ``--tokens`` new tokens, not verified;
- ``generate``: ``POST /v1/generate`` for the built-in ``all_unique`` problem in Python, 2 candidates, one
  try, ``--tokens`` new tokens each, verified in the sandbox and scored.

The "single" phase runs one client alone (the baseline); the "loaded" phase runs ``--clients`` clients at
once. Reported per phase and kind: requests, p50, p95, max latency as the client saw it (queueing included:
the model answers one call at a time), throughput (requests per second over the phase), and errors (a
request answered with anything but 200). Then the loaded phase's p95 and throughput as ratios of the
baseline's. The model's answers are noise (it is untrained): this measures the service, not the model.

Bounded: at most ``--deadline`` seconds for the measured phases; the service is stopped by SIGTERM at the
end. Loopback only; nothing else is reached.

    python benchmarks/serve_load.py [--clients 8] [--requests 4] [--tokens 16] [--workers 2]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from codekiln.plugins import make_plugins
from codekiln.train.policy import default_model_dir

sys.path.insert(0, str(Path(__file__).parent))
from verify_service import free_port, percentile, wait_until_up

KINDS = ("complete", "generate")


def request_for(kind: str, tokens: int) -> tuple[str, dict]:
    if kind == "complete":
        return "/v1/completions", {"prompt": "def all_unique(values):", "max_tokens": tokens, "temperature": 1.0}
    return "/v1/generate", {"language": "python", "problem_id": "all_unique", "candidates": 2, "tries": 1,
                            "max_tokens": tokens}


def start_service(port: int, model: Path, keys: list[str], workers: int, clients: int, tmp: Path) -> subprocess.Popen:
    config = tmp / "serve.yaml"
    config.write_text(f"generation:\n  backend: hf\nverifier:\n  workers: {workers}\n  cache: false\n")
    env = {**os.environ, "CODEKILN_API_KEYS": ",".join(keys)}
    return subprocess.Popen([sys.executable, "-m", "codekiln", "serve", "--model", str(model), "--port", str(port),
                             "-c", str(config), "--store", str(tmp / "generations.db"), "--rate", "100000/minute",
                             "--queue-size", str(max(32, clients * 2))], env=env, start_new_session=True)


async def client_run(url: str, key: str, number: int, requests: int, tokens: int) -> list[tuple[str, float, str]]:
    """(kind, latency, error) per request; error "" when the service answered 200."""
    rows = []
    async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=300) as http:
        for index in range(requests):
            kind = KINDS[(number + index) % len(KINDS)]
            path, body = request_for(kind, tokens)
            started = time.perf_counter()
            try:
                response = await http.post(path, json=body)
                error = "" if response.status_code == 200 else f"{kind}: {response.status_code} {response.text[:200]}"
            except httpx.HTTPError as exc:  # a benchmark counts every failure rather than stop at the first
                error = f"{kind}: {type(exc).__name__}: {exc}"
            rows.append((kind, time.perf_counter() - started, error))
    return rows


async def load(url: str, keys: list[str], requests: int, tokens: int) -> dict[str, tuple[float, list]]:
    await client_run(url, keys[0], 0, len(KINDS), tokens)  # start-up: workers, torch, first dataset load
    phases = {}
    for phase, clients in (("single", keys[:1]), ("loaded", keys)):
        started = time.perf_counter()
        runs = await asyncio.gather(*(client_run(url, key, n, requests, tokens) for n, key in enumerate(clients)))
        phases[phase] = (time.perf_counter() - started, [row for run in runs for row in run])
    return phases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=4, help="requests per client and phase")
    parser.add_argument("--tokens", type=int, default=16, help="new tokens per completion")
    parser.add_argument("--workers", type=int, default=2, help="verifier worker processes")
    parser.add_argument("--deadline", type=float, default=600.0, help="stop the measured phases after this long")
    args = parser.parse_args()

    keys = [f"bench-key-{n}" for n in range(args.clients)]
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as tmp:
        model = default_model_dir(Path(tmp) / "cache", make_plugins())
        service = start_service(port, model, keys, args.workers, args.clients, Path(tmp))
        try:
            wait_until_up(url, service, time.monotonic() + 300)
            phases = asyncio.run(asyncio.wait_for(load(url, keys, args.requests, args.tokens), args.deadline))
        finally:
            service.send_signal(signal.SIGTERM)
            service.wait(60)

    print(f"codekiln serve, the embedded default model (HF generate, CPU); {args.clients} clients x {args.requests} "
          f"requests loaded, 1 x {args.requests} single; {args.tokens} new tokens; {args.workers} verifier workers; "
          f"{os.cpu_count()} cores")
    print(f"{'phase':<7} {'kind':<9} {'n':>4} {'p50 s':>7} {'p95 s':>7} {'max s':>7} {'req/s':>7}")
    errors, p95, rate = [], {}, {}
    for phase, (elapsed, rows) in phases.items():
        errors += [f"{phase} {error}" for _, _, error in rows if error]
        rate[phase] = len(rows) / elapsed
        for kind in KINDS:
            latencies = [latency for k, latency, _ in rows if k == kind]
            p95[phase, kind] = percentile(latencies, 95)
            print(f"{phase:<7} {kind:<9} {len(latencies):>4} {statistics.median(latencies):>7.2f} "
                  f"{p95[phase, kind]:>7.2f} {max(latencies):>7.2f} {len(latencies) / elapsed:>7.2f}")
    print(f"errors: {len(errors)}" + "".join(f"\n  {error}" for error in errors[:10]))
    print(f"loaded vs single: throughput x{rate['loaded'] / rate['single']:.2f}; p95 "
          + ", ".join(f"{kind} x{p95['loaded', kind] / p95['single', kind]:.2f}" for kind in KINDS))
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
