"""The verification service without API keys answers only requests whose Host names loopback, so that a web
page cannot reach it through DNS rebinding; with keys, the keys guard it and any Host is answered. Served for
real on loopback."""

from __future__ import annotations

import pytest

httpx = pytest.importorskip("httpx", reason="the serve extra is not installed (pip install 'codekiln[serve]')")
pytest.importorskip("fastapi", reason="the serve extra is not installed (pip install 'codekiln[serve]')")

from .conftest import KEYS, LiveServer  # noqa: E402

SAMPLE = {"samples": [{"language": "python", "completion": "def f():\n    return 1\n",
                       "problem": {"id": "p", "description": "Return 1."}}]}


@pytest.fixture(scope="module")
def keyless(service):
    from codekiln.serve.verifier_app import create_app

    server = LiveServer(create_app(service))
    yield server
    server.stop()


def test_without_keys_a_host_naming_loopback_is_answered_and_others_refused(keyless):
    port = keyless.url.rsplit(":", 1)[1]
    for host in (f"localhost:{port}", f"127.0.0.1:{port}", f"[::1]:{port}", "LOCALHOST"):
        assert httpx.get(keyless.url + "/healthz", headers={"Host": host}).status_code == 200
    verified = httpx.post(keyless.url + "/v1/verify", headers={"Host": f"localhost:{port}"}, json=SAMPLE, timeout=60)
    assert verified.status_code == 200 and len(verified.json()["results"]) == 1
    for host in ("attacker.example", f"attacker.example:{port}", "[::ffff:7f00:1]", "127.1", "localhost:http"):
        refused = httpx.post(keyless.url + "/v1/verify", headers={"Host": host}, json=SAMPLE, timeout=60)
        assert refused.status_code == 400, host
        assert refused.json() == {"error": f"Host {host!r} refused: without API keys this service answers only "
                                           "requests to localhost, 127.0.0.1 or [::1]"}


def test_with_keys_any_host_is_answered(live):
    answered = httpx.post(live.url + "/v1/verify", json=SAMPLE, timeout=60,
                          headers={"Host": "verifier.example.org", "Authorization": f"Bearer {KEYS[0]}"})
    assert answered.status_code == 200
