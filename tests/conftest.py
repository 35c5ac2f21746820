"""Shared fixtures: one plugin session and one verifier per test session (its worker pool is costly to start)."""

from __future__ import annotations

import os

import pytest

from codekiln.plugins import make_plugins
from codekiln.sandbox import Limits
from codekiln.verifier import Verifier

# The W&B, MLflow and Prometheus loggers switch on from the environment; a developer's own settings must not
# make the tests start real runs (tests/test_loggers.py and tests/test_logger_prometheus.py set them where they
# mean to).
for _switch in ("WANDB_PROJECT", "MLFLOW_TRACKING_URI", "CODEKILN_PROMETHEUS_PORT"):
    os.environ.pop(_switch, None)


@pytest.fixture(scope="session")
def plugins():
    """The tests' plugin session, as the CLI builds it: every installed plugin (this repository's languages)."""
    return make_plugins()


@pytest.fixture(scope="session")
def verifier(plugins):
    """A verifier at full isolation with limits short enough for tests."""
    with Verifier(plugins, isolation="namespaces", limits=Limits(wall_time_s=3.0, cpu_time_s=3.0), workers=2) as v:
        yield v


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory):
    """One cache directory for the embedded default model, built once for the whole test session: every test
    that trains, generates or serves passes it as ``model.cache_dir`` (a build costs 10-20 s)."""
    return tmp_path_factory.mktemp("codekiln-cache")


@pytest.fixture(scope="session")
def one_torch_thread():
    """Generation on one torch thread: on a machine the verifier's workers (and other jobs) keep busy, more
    threads contend and run these tiny models many times slower (15x measured on a loaded 2-core VM)."""
    torch = pytest.importorskip("torch", reason="the train extra is not installed (pip install 'codekiln[train]')")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def builtin_problems():
    from codekiln.datasets import load_dataset

    return load_dataset("builtin", make_plugins(autoload=False).datasets())
