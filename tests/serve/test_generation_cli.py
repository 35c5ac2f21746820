"""``codekiln serve`` as a user starts it: its refusals in one line, then a real process serving the tiny default
model, used over HTTP and stopped by SIGTERM with nothing left behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

httpx = pytest.importorskip("httpx", reason="the serve extra is not installed (pip install 'codekiln[serve]')")
pytest.importorskip("fastapi", reason="the serve extra is not installed (pip install 'codekiln[serve]')")

from .test_serve_verifier_cli import codekiln, free_port, group_alive, wait_until_up  # noqa: E402


@pytest.mark.parametrize(("args", "error"), [
    (["--host", "0.0.0.0"], "refusing to listen on 0.0.0.0 without API keys: set CODEKILN_API_KEYS=k1,k2 or "
                            "--api-key-file, or listen on 127.0.0.1"),
    (["--split", "0.3"], "--split sets the share of --model-b's clients: give --model-b too"),
    (["--model-b", "MODEL", "--split", "1.5"], "--split 1.5: the share of clients sent to --model-b is between 0 "
                                               "and 1"),
    (["--model-b", "MODEL"], "the same model directory is given twice; give different models (or drop "
                             "--model-b)"),
    (["--rate", "0/minute"], "rate limit '0/minute': write a positive number of requests per unit, such as "
                             "60/minute or 10/second"),
    (["--max-completions", "0"], "--max-completions 0: give a number of at least 1"),
    (["--queue-size", "-1"], "--queue-size -1: give a number of at least 1"),
    (["--store", "redis://cache/0"], "unknown generation store 'redis' in 'redis://cache/0'; available: "
                                     "sqlite:///PATH or a plain file path"),
])
def test_refuses_to_start_in_one_line(tmp_path, args, error):
    model = tmp_path / "model"
    model.mkdir()
    args = [str(model) if arg == "MODEL" else arg for arg in args]
    result = codekiln("serve", "--model", str(model), "--port", "1", "--store", str(tmp_path / "g.db"), *args)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == "codekiln: error: " + error


def test_a_model_path_that_is_not_a_model_is_named(tmp_path):
    result = codekiln("serve", "--model", str(tmp_path / "missing"), "--port", "1", "--store", str(tmp_path / "g.db"))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == \
        f"codekiln: error: model.path '{tmp_path / 'missing'}': no such directory"


@pytest.mark.slow
def test_serves_the_default_model_and_stops_cleanly_on_sigterm(tmp_path, model_dirs):
    port, store, config = free_port(), tmp_path / "generations.db", tmp_path / "serve.yaml"
    config.write_text("generation:\n  backend: hf\nverifier:\n  workers: 1\nthreads: 1\n")
    env = {**os.environ, "CODEKILN_API_KEYS": "secret-1,secret-2"}
    server = subprocess.Popen([sys.executable, "-m", "codekiln", "serve", "--model", str(model_dirs["untrained"]),
                               "--port", str(port), "--store", str(store), "-c", str(config),
                               "--max-tokens", "64", "--max-completions", "2"],
                              stderr=subprocess.PIPE, text=True, env=env, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url, server, 120)
        body = {"language": "python", "problem_id": "all_unique", "max_tokens": 8, "tries": 1, "candidates": 1}
        assert httpx.post(url + "/v1/generate", json=body).status_code == 401
        answer = httpx.post(url + "/v1/generate", json=body, headers={"Authorization": "Bearer secret-2"},
                            timeout=120).json()
        assert answer["model"] == model_dirs["untrained"].name and answer["reasons"]  # noise never passes
        limits = httpx.get(url + "/healthz").json()["limits"]
        assert (limits["max_tokens"], limits["max_completions"]) == (64, 2)
        too_many = httpx.post(url + "/v1/completions", json={"model": "auto", "prompt": ["a", "b"], "n": 2},
                              headers={"Authorization": "Bearer secret-1"}, timeout=60)
        assert too_many.status_code == 422 and "limit of 2" in too_many.json()["error"]["message"], too_many.text
    finally:
        server.send_signal(signal.SIGTERM)
        stderr = server.communicate(timeout=60)[1]
    lines = stderr.strip().splitlines()
    assert f"codekiln: generation service on {url} (2 API key(s) configured; models: a " \
           f"{model_dirs['untrained'].name}; OpenAPI at /docs)" in lines
    assert server.returncode == 128 + signal.SIGTERM, stderr
    assert lines[-1] == "codekiln: stopped by SIGTERM; its processes and temporary files are gone"
    deadline = time.monotonic() + 10  # the verifier's workers see their parent gone, then exit
    while group_alive(server.pid):
        assert time.monotonic() < deadline, "processes of the service outlived it"
        time.sleep(0.1)
    from codekiln.serve.store import SQLiteStore

    with SQLiteStore(store) as stored:
        assert [g.id for g in stored.history()] == [answer["id"]]
