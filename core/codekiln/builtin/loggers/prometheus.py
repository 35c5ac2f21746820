"""The built-in Prometheus logger: on when ``CODEKILN_PROMETHEUS_PORT`` is set, it serves the training run's
metrics for Prometheus to scrape at ``http://HOST:PORT/metrics`` while the run trains.

Each step's numeric metrics are gauges holding their latest value, labelled by run directory and metric name
(``codekiln_train_metric{run="/runs/java",metric="reward/total"}``), so names such as ``pass@1/python`` need
no rewriting; the last step is ``codekiln_train_step``, an evaluation's metrics are
``codekiln_train_evaluation{evaluation=...}`` and the run's summary metrics ``codekiln_train_final``.
``CODEKILN_PROMETHEUS_HOST`` is the address to listen on (default ``127.0.0.1``; ``0.0.0.0`` for a
Prometheus on another machine); port 0 picks a free port, which the start-up line on stderr names. The
server starts with the first run of the process and serves until the process ends, so a finished run's
values stay readable while its process lives (``codekiln train`` exits when done). Unset, this plugin does
nothing; block it outright with ``--block builtin.prometheus``.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Mapping
from pathlib import Path

from codekiln import hookimpl
from codekiln.builtin.loggers.support import numeric, warn_once

PLUGIN = "builtin.prometheus"
SWITCH = "CODEKILN_PROMETHEUS_PORT"
HOST = "CODEKILN_PROMETHEUS_HOST"


class Exporter:
    """The gauges, in a registry of their own, and the HTTP server that exposes them."""

    def __init__(self, host: str, port: int) -> None:
        from prometheus_client import CollectorRegistry, Gauge, start_http_server

        self.registry = CollectorRegistry()
        self.step = Gauge("codekiln_train_step", "The last training step logged.", ["run"], registry=self.registry)
        self.metric = Gauge("codekiln_train_metric", "Each step metric's value at the last step logged.",
                            ["run", "metric"], registry=self.registry)
        self.evaluation = Gauge("codekiln_train_evaluation", "The metrics of the run's last evaluation of each name.",
                                ["run", "evaluation", "metric"], registry=self.registry)
        self.final = Gauge("codekiln_train_final", "The run's summary metrics, once it has finished.",
                           ["run", "metric"], registry=self.registry)
        self.server, self.thread = start_http_server(port, addr=host, registry=self.registry)
        self.url = f"http://{host}:{self.server.server_port}/metrics"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


# One exporter per process (one port), shared by the runs the process trains (tests train several).
_lock = threading.Lock()
_exporter: Exporter | None = None
_runs: set[Path] = set()


def exporter() -> Exporter | None:
    """The running exporter, if any (its ``url`` says where to scrape)."""
    return _exporter


def _start() -> Exporter | None:
    global _exporter
    if _exporter is None:
        setting, host = os.environ[SWITCH].strip(), os.environ.get(HOST, "127.0.0.1").strip() or "127.0.0.1"
        if not setting.isdigit() or int(setting) > 65535:
            warn_once(PLUGIN, f"{SWITCH}={setting!r} is not a port number (0-65535); not exposing metrics")
            return None
        try:
            _exporter = Exporter(host, int(setting))
        except ImportError as exc:
            warn_once(PLUGIN, f"{SWITCH} is set but prometheus_client is not installed ({exc}); "
                              "pip install 'codekiln[serve]'; not exposing metrics")
            return None
        except OSError as exc:  # the port is taken, the host is not this machine's...
            warn_once(PLUGIN, f"cannot listen on {host}:{setting} ({exc.strerror or exc}); not exposing metrics")
            return None
        print(f"codekiln: Prometheus metrics of the training run on {_exporter.url}", file=sys.stderr)
    return _exporter


def _running(run_dir: Path) -> tuple[Exporter | None, str]:
    key = Path(run_dir).resolve()
    return (_exporter if key in _runs else None), str(key)


@hookimpl
def codekiln_training_started(run_dir: Path) -> None:
    if not os.environ.get(SWITCH):
        return
    with _lock:
        if _start() is not None:
            _runs.add(Path(run_dir).resolve())


@hookimpl
def codekiln_step_finished(run_dir: Path, step: int, metrics: Mapping[str, float]) -> None:
    exporter, run = _running(run_dir)
    if exporter is not None:
        for name, value in numeric(metrics).items():
            exporter.metric.labels(run, name).set(value)
        exporter.step.labels(run).set(step)


@hookimpl
def codekiln_evaluation_finished(run_dir: Path | None, name: str, metrics: Mapping[str, float]) -> None:
    exporter, run = _running(run_dir) if run_dir is not None else (None, "")
    if exporter is not None:
        for metric, value in numeric(metrics).items():
            exporter.evaluation.labels(run, name, metric).set(value)


@hookimpl
def codekiln_training_finished(run_dir: Path, metrics: Mapping[str, float]) -> None:
    exporter, run = _running(run_dir)
    if exporter is not None:
        for name, value in numeric(metrics).items():
            exporter.final.labels(run, name).set(value)


def stop() -> None:
    """Stop serving and forget every run (the server otherwise lives as long as the process)."""
    global _exporter
    with _lock:
        if _exporter is not None:
            _exporter.close()
        _exporter = None
        _runs.clear()
