"""A real verification service on loopback: uvicorn in a thread, a real verifier with its worker processes."""

from __future__ import annotations

import json
import threading
import time

import pytest

from codekiln.config import load_config
from codekiln.jsonio import to_json
from codekiln.plugins import make_plugins, registered
from codekiln.problem import Param, Problem, Signature, TestCase
from codekiln.rewards import RewardSet
from codekiln.sandbox import Limits
from codekiln.verifier import Verifier

from . import offline_language

KEYS = ("key-one", "key-two")
#: A problem sent whole (and served by the operator's file dataset): twice n.
DOUBLE = Problem("double", "Return twice n.", Signature("double", (Param("n", "int"),), "int"),
                 (TestCase((2,), 4), TestCase((-3,), -6)))
#: The sandbox's wall and CPU limit: a hanging sample ends after this long.
HANG_LIMIT_S = 3.0
#: max_batch, queue_size, per_key_concurrency, max_body_bytes: small, so that tests reach each limit; the most
#: a problem sent whole may raise its own limits to: the sandbox's, as ``codekiln serve-verifier`` sets them.
LIMITS = dict(max_batch=4, queue_size=6, per_key_concurrency=1, max_body_bytes=64 * 1024, max_time_s=HANG_LIMIT_S,
              max_memory_mb=1024)


class LiveServer:
    """uvicorn serving ``app`` on a free loopback port in a thread, until :meth:`stop`."""

    def __init__(self, app) -> None:
        import uvicorn

        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the test server did not start")
            time.sleep(0.05)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(30)


@pytest.fixture(scope="package")
def operator_dataset(tmp_path_factory):
    """A file dataset the operator serves with ``--dataset jsonl:PATH``: one problem, ``double``."""
    path = tmp_path_factory.mktemp("data") / "problems.jsonl"
    path.write_text(json.dumps(to_json(DOUBLE)) + "\n")
    return f"jsonl:{path}"


@pytest.fixture(scope="package")
def service(operator_dataset):
    pytest.importorskip("fastapi", reason="the serve extra is not installed (pip install 'codekiln[serve]')")
    from codekiln.serve.verification import ServiceLimits, VerificationService

    plugins = make_plugins()
    with registered(plugins, offline_language, name="offline_language"), \
            Verifier(plugins, isolation="namespaces", workers=2, cache=False,
                     limits=Limits(wall_time_s=HANG_LIMIT_S, cpu_time_s=HANG_LIMIT_S)) as verifier:
        yield VerificationService(plugins, verifier, RewardSet.from_config(load_config(None), plugins),
                                  datasets=[operator_dataset], limits=ServiceLimits(**LIMITS))


@pytest.fixture(scope="package")
def live(service):
    from codekiln.serve.verifier_app import create_app

    server = LiveServer(create_app(service, KEYS))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def model_dirs(plugins, model_cache, tmp_path_factory, one_torch_thread):
    """The generation service's test models (tests/serve/generation_support.py): ``untrained`` (the embedded
    default), ``taught`` (writes the reference of ``all_unique``), ``insecure`` (answers it through os.system)
    and ``broken`` (raises at generation)."""
    pytest.importorskip("transformers", reason="the train extra is not installed (pip install 'codekiln[train]')")
    from codekiln.train.policy import default_model_dir

    from .generation_support import INSECURE, broken_model, taught_model

    root = tmp_path_factory.mktemp("models")
    untrained = default_model_dir(model_cache, plugins)
    return {"untrained": untrained, "taught": taught_model(untrained, plugins, root / "taught"),
            "insecure": taught_model(untrained, plugins, root / "insecure", answer=INSECURE),
            "broken": broken_model(untrained, root / "broken")}
