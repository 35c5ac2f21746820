"""The generation service when its model fails: a broken checkpoint hands over to the fallback (and the answer
says so), the security policy withholds the fallback's insecure code, and a model past its time limit without
a fallback fails the request in one line. Real models, served on loopback."""

from __future__ import annotations

import pytest

httpx = pytest.importorskip("httpx", reason="the serve extra is not installed (pip install 'codekiln[serve]')")
pytest.importorskip("fastapi", reason="the serve extra is not installed (pip install 'codekiln[serve]')")

from codekiln.config import load_config  # noqa: E402
from codekiln.scoring import Scorer  # noqa: E402

from .conftest import LiveServer  # noqa: E402
from .generation_support import TAUGHT  # noqa: E402
from .test_verifier_service import metric  # noqa: E402

BROKEN_REASON = "model 'broken' failed: IndexError: index out of range in self"


@pytest.fixture(scope="module")
def served(plugins, verifier, model_dirs, tmp_path_factory, one_torch_thread):
    """Two services without API keys: ``broken`` with the ``insecure`` fallback and the policy refusing
    high-severity findings; ``taught`` alone with a timeout nothing can meet."""
    from codekiln.serve.generation import Arms, GenerationLimits, GenerationService, serve_config
    from codekiln.serve.generation_app import create_app
    from codekiln.serve.models import load_served_model
    from codekiln.serve.store import SQLiteStore

    scorer = Scorer(serve_config(load_config(None)), plugins, verifier=verifier)
    store = SQLiteStore(tmp_path_factory.mktemp("store") / "generations.db")
    model = {name: load_served_model(str(model_dirs[name]), name, backend="hf")
             for name in ("broken", "insecure", "taught")}
    failing = GenerationService(plugins, scorer, store, Arms(a=model["broken"], fallback=model["insecure"]),
                                refuse_insecure=True)
    slow = GenerationService(plugins, scorer, store, Arms(a=model["taught"]), limits=GenerationLimits(timeout_s=0.001))
    servers = {"failing": LiveServer(create_app(failing)), "slow": LiveServer(create_app(slow))}
    yield servers
    for server in servers.values():
        server.stop()
    for service in (failing, slow):
        service.close()
    store.close()


def test_the_fallback_answers_for_a_failing_model_and_insecure_code_is_withheld(served):
    live = served["failing"]
    response = httpx.post(live.url + "/v1/generate", timeout=120, json={
        "language": "python", "problem_id": TAUGHT, "tries": 1, "candidates": 1, "temperature": 0,
        "max_tokens": 64})
    answer = response.json()
    assert response.status_code == 200, answer
    assert answer["fallback"] == {"model": "broken", "reason": BROKEN_REASON}
    assert (answer["model"], answer["arm"]) == ("insecure", "fallback")
    assert answer["refused"] and answer["code"] is None and not answer["met_constraints"]
    assert {"name": "B605", "severity": "high", "line": 5} in answer["security"]
    assert "security: high-severity finding B605 at line 5" in answer["reasons"]

    stored = httpx.get(f"{live.url}/v1/generations/{answer['id']}").json()
    assert (stored["code"], stored["arm"], stored["model"]) == ("", "fallback", "insecure")
    assert metric(live, "codekiln_model_failures_total", model="broken", kind="error") == 1
    assert metric(live, "codekiln_generations_total", model="insecure", language="python", arm="fallback",
                  outcome="refused") == 1


def test_openai_completions_fall_back_too_and_say_so(served):
    openai = pytest.importorskip("openai", reason="the dev extra is not installed")
    client = openai.OpenAI(base_url=served["failing"].url + "/v1", api_key="unused", max_retries=0)
    completion = client.completions.create(model="broken", prompt="import", max_tokens=4)
    assert completion.model == "insecure" and len(completion.choices) == 1
    assert completion.model_extra["codekiln"]["fallback"] == {"model": "broken", "reason": BROKEN_REASON}
    assert completion.model_extra["codekiln"]["arm"] == "fallback"


def test_a_model_past_its_time_limit_without_a_fallback_fails_in_one_line(served):
    live = served["slow"]
    response = httpx.post(live.url + "/v1/generate", timeout=120, json={
        "language": "python", "problem_id": TAUGHT, "max_tokens": 8, "tries": 1, "candidates": 1})
    assert response.status_code == 504
    assert response.json() == {"error": "model 'taught' did not answer within 0.001 s; no fallback model is "
                                        "configured"}
    assert metric(live, "codekiln_model_failures_total", model="taught", kind="timeout") == 1
    assert metric(live, "codekiln_generations_total", model="taught", language="python", arm="",
                  outcome="error") == 1


def test_openai_answers_are_security_scanned_when_the_request_names_the_language(served):
    """codekiln's extension field ``language`` scans each answer's code; under the refusing policy an answer
    with a high-severity finding is withheld (OpenAI's finish reason ``content_filter``), stored without code."""
    openai = pytest.importorskip("openai", reason="the dev extra is not installed")
    live = served["failing"]
    generated = httpx.post(live.url + "/v1/generate", timeout=120, json={
        "language": "python", "problem_id": TAUGHT, "tries": 1, "candidates": 1, "temperature": 0,
        "max_tokens": 64}).json()
    prompt = httpx.get(f"{live.url}/v1/generations/{generated['id']}").json()["prompt"]
    client = openai.OpenAI(base_url=live.url + "/v1", api_key="unused", max_retries=0, timeout=120)

    completion = client.completions.create(model="broken", prompt=prompt, max_tokens=64, temperature=0,
                                           extra_body={"language": "python"})
    choice = completion.choices[0]
    assert choice.finish_reason == "content_filter" and choice.text == ""
    scan = choice.model_extra["codekiln"]
    assert scan["refused"] and {"name": "B605", "severity": "high", "line": 5} in scan["security"]
    stored = httpx.get(f"{live.url}/v1/generations/{completion.model_extra['codekiln']['generation_ids'][0]}").json()
    assert (stored["code"], stored["language"]) == ("", "python")
    assert {"name": "B605", "severity": "high", "line": 5} in stored["security"]

    plain = client.completions.create(model="broken", prompt=prompt, max_tokens=64, temperature=0)
    assert "codekiln" not in (plain.choices[0].model_extra or {}) and "os.system" in plain.choices[0].text
    with pytest.raises(openai.BadRequestError, match="language: unknown language 'cobol'"):
        client.completions.create(model="broken", prompt="x", max_tokens=1, extra_body={"language": "cobol"})


@pytest.mark.parametrize("host", ["evil.example", "evil.example:80", "127.0.0.1.evil.example", "localhost.evil"])
def test_without_api_keys_only_a_host_naming_loopback_is_answered(served, host):
    """A web page reaching the keyless service through DNS rebinding sends its own name as Host: refused."""
    live = served["failing"]
    port = live.url.rsplit(":", 1)[1]
    for loopback in (f"localhost:{port}", f"127.0.0.1:{port}", f"[::1]:{port}", "localhost"):
        assert httpx.get(live.url + "/v1/generations", headers={"Host": loopback}).status_code == 200
    refused_before = metric(live, "codekiln_rejected_requests_total", reason="invalid")
    line = f"Host {host!r} refused: without API keys this service answers only requests to localhost, 127.0.0.1 " \
           "or [::1]"
    listed = httpx.get(live.url + "/v1/generations", headers={"Host": host})
    assert listed.status_code == 400 and listed.json() == {"error": line}
    rated = httpx.post(live.url + "/v1/review/ratings", headers={"Host": host}, json={
        "reviewer": "page", "ratings": [{"generation_id": "x", "readability": 5, "correctness": 5}]})
    assert rated.status_code == 400 and rated.json() == {"error": line}
    completed = httpx.post(live.url + "/v1/completions", headers={"Host": host}, json={"prompt": "x"})
    assert completed.status_code == 400
    assert completed.json() == {"error": {"message": line, "type": "invalid_request_error", "code": 400}}
    assert metric(live, "codekiln_rejected_requests_total", reason="invalid") == refused_before + 3
