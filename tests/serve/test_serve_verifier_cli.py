"""``codekiln serve-verifier`` as a user starts it: a real process, its refusals, a request, a clean stop."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import pytest

httpx = pytest.importorskip("httpx", reason="the serve extra is not installed (pip install 'codekiln[serve]')")
pytest.importorskip("fastapi", reason="the serve extra is not installed (pip install 'codekiln[serve]')")

from codekiln.client import VerifierClient  # noqa: E402


def codekiln(*args: str, **kwargs) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "CODEKILN_API_KEYS"}
    return subprocess.run([sys.executable, "-m", "codekiln", *args], capture_output=True, text=True, timeout=120,
                          env=env, **kwargs)


@pytest.mark.parametrize(("args", "error"), [
    (["--host", "0.0.0.0"], "refusing to listen on 0.0.0.0 without API keys: set CODEKILN_API_KEYS=k1,k2 or "
                            "--api-key-file, or listen on 127.0.0.1"),
    (["--api-key-file", "EMPTY"], "the API key file EMPTY holds no key (one a line)"),
    (["--rewards", "length=1"], "reward 'length' needs completion_lengths, which the verification service "
                                "does not have (it sees completions, problems, languages, verdicts, codes); "
                                "leave it out of the rewards"),
    (["--rewards", "all_tests"], "--rewards 'all_tests': expected NAME=WEIGHT,... "
                                 "(all_tests=1,tests=0.5)"),
    (["--max-batch", "10", "--queue-size", "5"],
     "max_batch (10) exceeds queue_size (5): such a request could never be admitted"),
])
def test_refuses_to_start_in_one_line(tmp_path, args, error):
    empty = tmp_path / "keys"
    empty.write_text("# no keys yet\n\n")
    args = [str(empty) if arg == "EMPTY" else arg for arg in args]
    result = codekiln("serve-verifier", "--port", "1", *args)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == "codekiln: error: " + error.replace("EMPTY", str(empty))


def test_without_the_serve_extra_it_says_what_to_install():
    # A real process in which fastapi cannot be imported, as on a machine without the extra.
    code = "import sys; sys.modules['fastapi'] = None; from codekiln.cli import main; main(['serve-verifier'])"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr.strip() == ("codekiln: error: serve-verifier needs the serve extra (fastapi is not "
                                     "installed): pip install 'codekiln[serve]'")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_serves_with_a_key_file_and_stops_cleanly_on_sigterm(tmp_path):
    keys = tmp_path / "keys"
    keys.write_text("# the trainer's key\nsecret-1\n")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "CODEKILN_API_KEYS"}
    server = subprocess.Popen([sys.executable, "-m", "codekiln", "serve-verifier", "--port", str(port), "--workers",
                               "1", "--api-key-file", str(keys), "--rewards", "all_tests=1"],
                              stderr=subprocess.PIPE, text=True, env=env, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url, server, 60)
        sample = {"dataset": "builtin", "task_id": "all_unique", "language": "python",
                  "completion": "def all_unique(values):\n    return len(set(values)) == len(values)\n"}
        assert httpx.post(url + "/v1/verify", json={"samples": [sample]}).status_code == 401
        with VerifierClient(url, api_key="secret-1") as client:
            [result] = client.verify_batch([sample])
        assert result.verdict.passed and result.reward == 1.0 and dict(result.components) == {"all_tests": 1.0}
    finally:
        server.send_signal(signal.SIGTERM)
        stderr = server.communicate(timeout=60)[1]
    assert server.returncode == 128 + signal.SIGTERM
    lines = stderr.strip().splitlines()
    assert lines[0] == (f"codekiln: verification service on {url} (1 API key(s) configured; 1 verifier workers; "
                        "OpenAPI at /docs)")
    assert lines[-1] == "codekiln: stopped by SIGTERM; its processes and temporary files are gone"
    deadline = time.monotonic() + 10  # the forkserver and resource tracker see their parent gone, then exit
    while group_alive(server.pid):
        assert time.monotonic() < deadline, subprocess.run(["ps", "-o", "pid,args", "-g", str(server.pid)],
                                                           capture_output=True, text=True).stdout
        time.sleep(0.1)


def wait_until_up(url: str, server: subprocess.Popen, seconds: float) -> None:
    """Until the service at ``url`` answers; fails if its process ends or ``seconds`` pass first."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            httpx.get(url + "/healthz")
            return
        except httpx.ConnectError:
            assert server.poll() is None and time.monotonic() < deadline, "the service did not start"
            time.sleep(0.1)


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True
