"""The built-in Prometheus logger: driven through the lifecycle hooks as the trainer calls them, and scraped
over HTTP the way Prometheus does, read with prometheus_client's own parser."""

from __future__ import annotations

import socket
import sys

import pytest

httpx = pytest.importorskip("httpx", reason="the serve extra is not installed (pip install 'codekiln[serve]')")
pytest.importorskip("prometheus_client", reason="the serve extra is not installed (pip install 'codekiln[serve]')")
from prometheus_client.parser import text_string_to_metric_families  # noqa: E402

from codekiln.builtin.loggers import prometheus as prometheus_logger  # noqa: E402
from codekiln.builtin.loggers import support as logger_support  # noqa: E402
from codekiln.plugins import make_plugins  # noqa: E402


@pytest.fixture(autouse=True)
def fresh_logger(monkeypatch):
    """Switched off unless a test switches it on; each test warns afresh and leaves no server behind."""
    for name in (prometheus_logger.SWITCH, prometheus_logger.HOST):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(logger_support, "_warned", set())
    yield
    prometheus_logger.stop()


def fail_on_warning(line: str) -> None:
    raise AssertionError(line)


def scrape() -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every codekiln sample the exporter serves now: (name, sorted labels) -> value."""
    text = httpx.get(prometheus_logger.exporter().url, timeout=10).text
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples
            if s.name.startswith("codekiln_")}


def test_a_run_s_metrics_are_scraped_over_http_as_it_trains(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(prometheus_logger.SWITCH, "0")  # any free port
    plugins = make_plugins(autoload=False, block=["builtin.tensorboard"], warn=fail_on_warning)
    run, other = str(tmp_path.resolve() / "run"), str(tmp_path.resolve() / "other")
    for run_dir in (run, other):  # made by the trainer, where the JSONL logger writes
        (tmp_path / run_dir).mkdir()
    plugins.notify("codekiln_training_started", run_dir=tmp_path / "run", config={}, start_step=1)
    url = prometheus_logger.exporter().url
    assert url.startswith("http://127.0.0.1:") and url in capsys.readouterr().err

    plugins.notify("codekiln_step_finished", run_dir=tmp_path / "run", step=1,
                   metrics={"reward/total": 0.25, "pass@1/python": 0.5, "note": "text is skipped"})
    assert scrape() == {
        ("codekiln_train_step", (("run", run),)): 1.0,
        ("codekiln_train_metric", (("metric", "reward/total"), ("run", run))): 0.25,
        ("codekiln_train_metric", (("metric", "pass@1/python"), ("run", run))): 0.5,
    }
    # A second run in the same process shares the server; each run keeps its own values.
    plugins.notify("codekiln_training_started", run_dir=tmp_path / "other", config={}, start_step=1)
    plugins.notify("codekiln_step_finished", run_dir=tmp_path / "run", step=2, metrics={"reward/total": 0.75})
    plugins.notify("codekiln_step_finished", run_dir=tmp_path / "other", step=7, metrics={"reward/total": 0.1})
    plugins.notify("codekiln_evaluation_finished", run_dir=tmp_path / "run", name="after_grpo",
                   metrics={"pass@1": 0.5})
    plugins.notify("codekiln_training_finished", run_dir=tmp_path / "run", metrics={"pass_rate": 0.625})
    assert prometheus_logger.exporter().url == url
    values = scrape()
    assert values[("codekiln_train_step", (("run", run),))] == 2.0
    assert values[("codekiln_train_metric", (("metric", "reward/total"), ("run", run)))] == 0.75
    assert values[("codekiln_train_metric", (("metric", "reward/total"), ("run", other)))] == 0.1
    assert values[("codekiln_train_step", (("run", other),))] == 7.0
    assert values[("codekiln_train_evaluation", (("evaluation", "after_grpo"), ("metric", "pass@1"),
                                                 ("run", run)))] == 0.5
    assert values[("codekiln_train_final", (("metric", "pass_rate"), ("run", run)))] == 0.625

    prometheus_logger.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(url, timeout=5)


def run_two_steps(plugins, run_dir) -> None:
    plugins.notify("codekiln_training_started", run_dir=run_dir, config={}, start_step=1)
    for step in (1, 2):
        plugins.notify("codekiln_step_finished", run_dir=run_dir, step=step, metrics={"reward/total": 0.5})
    plugins.notify("codekiln_training_finished", run_dir=run_dir, metrics={})


def test_off_unless_switched_on_and_blockable(tmp_path, monkeypatch):
    run_two_steps(make_plugins(autoload=False, block=["builtin.tensorboard"], warn=fail_on_warning), tmp_path)
    assert prometheus_logger.exporter() is None
    monkeypatch.setenv(prometheus_logger.SWITCH, "0")
    run_two_steps(make_plugins(autoload=False, block=["builtin.tensorboard", "builtin.prometheus"]), tmp_path)
    assert prometheus_logger.exporter() is None


@pytest.mark.parametrize("setting, warning", [
    ("ninety", "CODEKILN_PROMETHEUS_PORT='ninety' is not a port number (0-65535); not exposing metrics"),
    ("70000", "CODEKILN_PROMETHEUS_PORT='70000' is not a port number (0-65535); not exposing metrics"),
    ("taken", "cannot listen on 127.0.0.1:{port} (Address already in use); not exposing metrics"),
])
def test_a_port_it_cannot_use_is_one_warning_and_training_carries_on(tmp_path, monkeypatch, capsys, setting,
                                                                     warning):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        monkeypatch.setenv(prometheus_logger.SWITCH, str(port) if setting == "taken" else setting)
        run_two_steps(make_plugins(autoload=False, block=["builtin.tensorboard"]), tmp_path)
    warnings = [line for line in capsys.readouterr().err.splitlines() if "builtin.prometheus" in line]
    assert warnings == [f"codekiln: warning: builtin.prometheus: {warning.format(port=port)}"]
    assert prometheus_logger.exporter() is None
    assert len((tmp_path / "metrics.jsonl").read_text().splitlines()) == 2  # the other loggers logged on


def test_switched_on_without_prometheus_client_warns_once(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(prometheus_logger.SWITCH, "0")
    monkeypatch.setitem(sys.modules, "prometheus_client", None)
    run_two_steps(make_plugins(autoload=False, block=["builtin.tensorboard"]), tmp_path)
    warnings = [line for line in capsys.readouterr().err.splitlines() if "builtin.prometheus" in line]
    assert len(warnings) == 1 and "pip install 'codekiln[serve]'; not exposing metrics" in warnings[0]
    assert prometheus_logger.exporter() is None
