"""The verification service, served for real on loopback and used through HTTP and VerifierClient."""

from __future__ import annotations

import asyncio
import concurrent.futures
import importlib.util
import json
import re
import time
from pathlib import Path
from typing import Any

import attrs
import pytest

httpx = pytest.importorskip("httpx", reason="the serve extra is not installed (pip install 'codekiln[serve]')")
pytest.importorskip("fastapi", reason="the serve extra is not installed (pip install 'codekiln[serve]')")
from prometheus_client.parser import text_string_to_metric_families  # noqa: E402
from pydantic import BaseModel  # noqa: E402

from codekiln.client import VerifierClient, VerifierServiceError  # noqa: E402
from codekiln.jsonio import to_json  # noqa: E402
from codekiln.problem import NativeTests, Problem  # noqa: E402
from codekiln.rewards import Reward, RewardSet  # noqa: E402
from codekiln.verdict import Verdict, VerdictStatus  # noqa: E402
from codekiln.verifier import Sample  # noqa: E402

from .conftest import DOUBLE, HANG_LIMIT_S, KEYS, LIMITS, LiveServer  # noqa: E402

#: Tests in Python alone (HumanEval's shape): asked in another language, nothing could test the answer.
NATIVE_ONLY = Problem(id="twice", description="Return twice x.", native={"python": NativeTests(
    prompt="def twice(x):\n", test="def check(candidate):\n    assert candidate(2) == 4\n", entry_point="twice")})
GOOD = "def all_unique(values):\n    return len(set(values)) == len(values)\n"
WRONG = "def all_unique(values):\n    return True\n"
HANG = "def all_unique(values):\n    while True:\n        pass\n"
AUTH = {"Authorization": f"Bearer {KEYS[0]}"}
OTHER_AUTH = {"Authorization": f"Bearer {KEYS[1]}"}


def task(completion: str, task_id: str = "all_unique", language: str = "python") -> dict[str, Any]:
    return {"dataset": "builtin", "task_id": task_id, "language": language, "completion": completion}


def whole(problem: Problem, completion: str, language: str = "python") -> dict[str, Any]:
    return {"problem": to_json(problem), "language": language, "completion": completion}


def post(live, body: Any, headers=AUTH, path: str = "/v1/verify") -> httpx.Response:
    return httpx.post(live.url + path, json=body, headers=headers, timeout=60)


def metric(live, name: str, **labels: str) -> float:
    """A sample's value on /metrics (0 when it has not appeared yet)."""
    for family in text_string_to_metric_families(httpx.get(live.url + "/metrics").text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return sample.value
    return 0.0


def wait_for_depth(live, depth: int) -> None:
    deadline = time.monotonic() + 30
    while httpx.get(live.url + "/healthz").json()["queue_depth"] < depth:
        assert time.monotonic() < deadline, "the request was never admitted"
        time.sleep(0.02)


def test_both_sample_shapes_are_verified_and_scored_in_order(live):
    samples = [task(GOOD), whole(DOUBLE, "def double(n):\n    return n + 2\n"), task("def all_unique(:"),
               whole(DOUBLE, "```python\ndef double(n):\n    return 2 * n\n```")]
    response = post(live, {"samples": samples})
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["passed", "wrong_answer", "syntax_error", "passed"]
    assert [r["verdict"]["problem_id"] for r in results] == ["all_unique", "double", "all_unique", "double"]
    assert [r["passed"] for r in results] == [True, False, False, True]
    # The default rewards: all_tests 1.0, tests 0.5, compiles 0.2, syntax 0.1 (weighted mean).
    assert results[0]["reward"] == pytest.approx(1.0) and results[3]["reward"] == pytest.approx(1.0)
    assert results[1]["reward"] == pytest.approx((0.5 * 0.5 + 0.2 + 0.1) / 1.8)  # one of the two tests passes
    assert results[2]["reward"] == pytest.approx(0.0)
    assert results[1]["reward_components"] == {"all_tests": 0.0, "tests": 0.5, "compiles": 1.0, "syntax": 1.0}
    assert not any(r["masked"] for r in results)


def test_a_file_dataset_the_operator_named_is_served_by_its_spec(live, operator_dataset):
    sample = {"dataset": operator_dataset, "task_id": "double", "language": "python",
              "completion": "def double(n):\n    return 2 * n\n"}
    assert post(live, {"samples": [sample]}).json()["results"][0]["status"] == "passed"
    assert operator_dataset in httpx.get(live.url + "/healthz").json()["datasets"]


def test_a_masked_verdict_is_reported_masked_not_scored(live):
    response = post(live, {"samples": [task(GOOD, language="offline"), task(WRONG)]})
    masked, judged = response.json()["results"]
    assert masked["status"] == "toolchain_missing" and masked["masked"] is True and masked["reward"] is None
    assert "not installed" in masked["verdict"]["stderr_tail"]
    assert judged["masked"] is False and judged["reward"] is not None


def test_api_keys_are_required_on_the_verify_routes(live):
    missing = post(live, {"samples": [task(GOOD)]}, headers={})
    assert missing.status_code == 401 and missing.headers["www-authenticate"] == "Bearer"
    assert missing.json() == {"error": "missing API key: send 'Authorization: Bearer KEY'"}
    wrong = post(live, {"samples": [task(GOOD)]}, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 403 and wrong.json() == {"error": "unknown API key"}
    assert post(live, {}, headers={}, path="/verify").status_code == 401
    assert post(live, {"samples": [task(GOOD)]}, headers=OTHER_AUTH).status_code == 200
    assert httpx.get(live.url + "/healthz").json()["status"] == "ok"  # probes need no key


@pytest.mark.parametrize(("body", "status", "error"), [
    (b"{\"samples\": [", 400, "the body is not valid JSON: "),
    (b"[1, 2]", 400, "the body must be a JSON object, sent with Content-Type: application/json"),
    ({"samples": []}, 422, "samples: List should have at least 1 item"),
    ({"samples": [task(GOOD, language="cobol")]}, 400,
     "samples[0].language: unknown language 'cobol'; available: cpp, java, javascript, offline, python"),
    ({"samples": [task(GOOD), {**task(GOOD), "dataset": "nope"}]}, 404,
     "samples[1].dataset: unknown dataset 'nope'; available: builtin, "),
    ({"samples": [{**task(GOOD), "dataset": "jsonl:/etc/passwd"}]}, 404,
     "samples[0].dataset: unknown dataset 'jsonl:/etc/passwd'; available: builtin, "),
    ({"samples": [task(GOOD, task_id="no_such_task")]}, 404,
     "samples[0].task_id: no task 'no_such_task' in dataset 'builtin'"),
    ({"samples": [{"language": "python", "completion": GOOD}]}, 422,
     "samples[0]: give either 'problem' or both 'dataset' and 'task_id'"),
    ({"samples": [{**whole(DOUBLE, GOOD), "dataset": "builtin", "task_id": "all_unique"}]}, 422,
     "samples[0]: give either 'problem' or both 'dataset' and 'task_id'"),
    ({"samples": [{"problem": {"id": "x"}, "language": "python", "completion": GOOD}]}, 422,
     "samples[0].problem: "),
    ({"samples": [{**task(GOOD), "extra": 1}]}, 422, "samples[0].extra: Extra inputs are not permitted"),
    ({"samples": [whole(NATIVE_ONLY, "const x = 1;", language="javascript")]}, 422,
     "samples[0]: problem 'twice' has tests in python only, none in javascript: ask it in one of those"),
    ({"samples": [{**whole(DOUBLE, GOOD), "problem": {**to_json(DOUBLE), "time_limit_s": 1e9}}]}, 422,
     "samples[0].problem: 'time_limit_s' must be <= 3600.0"),
    ({"samples": [task(GOOD)] * (LIMITS['max_batch'] + 1)}, 413,
     f"{LIMITS['max_batch'] + 1} samples in one request; the limit is {LIMITS['max_batch']}"),
])
def test_bad_requests_get_one_line_errors_and_verify_nothing(live, body, status, error):
    verdicts_before = metric(live, "codekiln_verdicts_total", language="python", status="passed")
    if isinstance(body, bytes):
        response = httpx.post(live.url + "/v1/verify", content=body,
                              headers={**AUTH, "Content-Type": "application/json"})
    else:
        response = post(live, body)
    assert response.status_code == status, response.text
    message = response.json()["error"]
    assert message.startswith(error) and "\n" not in message
    assert metric(live, "codekiln_verdicts_total", language="python", status="passed") == verdicts_before


def test_a_problem_sent_whole_cannot_raise_its_limits_past_the_services(live):
    """A client's problem asks for an hour; the sandbox's limit (max_time_s) ends its hanging answer."""
    greedy = attrs.evolve(DOUBLE, time_limit_s=3600.0, memory_limit_mb=100_000)
    started = time.monotonic()
    response = post(live, {"samples": [whole(greedy, "def double(n):\n    while True:\n        pass\n")]})
    assert response.json()["results"][0]["status"] == "timeout"
    assert time.monotonic() - started < HANG_LIMIT_S + 10  # ours to start and clear; never the hour


def test_a_body_over_the_limit_is_refused_with_413_declared_or_streamed(live):
    big = json.dumps({"samples": [task("#" * (LIMITS['max_body_bytes'] + 1))]}).encode()
    declared = httpx.post(live.url + "/v1/verify", content=big, headers=AUTH)
    assert declared.status_code == 413
    assert declared.json() == {"error": f"the request body is over the limit of {LIMITS['max_body_bytes']} bytes"}
    streamed = httpx.post(live.url + "/v1/verify", content=iter([big[:1000], big[1000:]]), headers=AUTH)
    assert streamed.status_code == 413 and "Content-Length" not in streamed.request.headers


def test_a_body_that_stops_arriving_is_answered_408_and_its_connection_closed():
    """A client that sends its headers and a few bytes, then nothing (slowloris), would hold the connection and
    the body read so far for ever."""
    import socket

    from fastapi import FastAPI

    from codekiln.serve.http import BodyLimit

    refused: list[str] = []
    app = FastAPI()
    app.add_api_route("/echo", lambda: {"ok": True}, methods=["POST"])
    app.add_middleware(BodyLimit, limit=1024, refused=refused.append, stall_s=0.3)
    server = LiveServer(app)
    try:
        host, port = server.url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=10) as client:
            client.sendall(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789")
            started, answer = time.monotonic(), b""
            while chunk := client.recv(4096):  # until the server closes the connection
                answer += chunk
        assert answer.startswith(b"HTTP/1.1 408 ")
        assert b'{"error":"the request body stalled: nothing arrived for 0.3 s"}' in answer
        assert time.monotonic() - started < 5 and refused == ["timeout"]
        assert httpx.post(server.url + "/echo", json={}).json() == {"ok": True}  # a whole body is let through
    finally:
        server.stop()


def test_a_hanging_sample_does_not_delay_a_quick_one(live):
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        started = time.monotonic()
        hanging = pool.submit(post, live, {"samples": [task(HANG + "# hang 1\n")]})
        wait_for_depth(live, 1)
        quick = post(live, {"samples": [task(GOOD + "# quick\n")]}, headers=OTHER_AUTH)
        assert quick.json()["results"][0]["status"] == "passed"
        assert not hanging.done(), "the quick sample waited for the hanging one"
        assert hanging.result().json()["results"][0]["status"] == "timeout"
        assert time.monotonic() - started >= HANG_LIMIT_S  # the hang ran its whole limit meanwhile


def test_per_key_concurrency_limit_and_full_queue_answer_with_retry_after(live):
    refused_before = metric(live, "codekiln_rejected_requests_total", reason="queue_full")
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        # Four hanging samples take four of the queue's six places for one key's only slot.
        busy = pool.submit(post, live, {"samples": [task(HANG + f"# busy {i}\n") for i in range(4)]})
        wait_for_depth(live, 4)
        same_key = post(live, {"samples": [task(GOOD)]})
        assert same_key.status_code == 429 and same_key.headers["retry-after"] == "1"
        assert same_key.json()["error"].startswith("this API key already has 1 requests in progress")
        full = post(live, {"samples": [task(GOOD + f"# {i}\n") for i in range(3)]}, headers=OTHER_AUTH)
        assert full.status_code == 503 and full.headers["retry-after"] == "1"
        assert full.json() == {"error": "the queue is full (4 of 6 samples); retry later"}
        assert metric(live, "codekiln_queue_depth") == 4
        assert metric(live, "codekiln_rejected_requests_total", reason="queue_full") == refused_before + 1
        # The client waits as told and gets its answer once the hanging samples have timed out.
        with VerifierClient(live.url, api_key=KEYS[1], retries=30) as client:
            results = client.verify_batch([task(GOOD + f"# after {i}\n") for i in range(3)])
        assert [r.verdict.status for r in results] == [VerdictStatus.PASSED] * 3
        assert [r["status"] for r in busy.result().json()["results"]] == ["timeout"] * 4
    assert metric(live, "codekiln_rejected_requests_total", reason="queue_full") > refused_before + 1
    assert metric(live, "codekiln_queue_depth") == 0


def test_metrics_count_the_verdicts_and_requests_made(live):
    def counts() -> tuple[float, ...]:
        return (metric(live, "codekiln_verdicts_total", status="passed", language="python"),
                metric(live, "codekiln_verdicts_total", status="wrong_answer", language="python"),
                metric(live, "codekiln_verdicts_total", status="toolchain_missing", language="offline"),
                metric(live, "codekiln_request_seconds_count", endpoint="/v1/verify"),
                metric(live, "codekiln_sample_seconds_count", language="python"),
                metric(live, "codekiln_rejected_requests_total", reason="unauthorized"))

    before = counts()
    post(live, {"samples": [task(GOOD + "# m1\n"), task(WRONG + "# m1\n"), task(GOOD, language="offline")]})
    post(live, {"samples": [task(GOOD + "# m2\n")]})
    post(live, {"samples": [task(GOOD)]}, headers={})
    after = counts()
    assert [a - b for a, b in zip(after, before)] == [2, 1, 1, 2, 3, 1]
    assert metric(live, "codekiln_queue_depth") == 0
    assert httpx.get(live.url + "/metrics").headers["content-type"].startswith("text/plain")


# -- NeMo Gym -----------------------------------------------------------------------------------------------
# Our own models with the field names of nemo_gym/base_resources_server.py (NeMo Gym needs Python >= 3.13.14).


class GymRequest(BaseModel):
    responses_create_params: dict[str, Any]
    response: dict[str, Any]
    verifier_metadata: dict[str, Any] | None = None


class GymResponse(GymRequest):
    reward: float
    mask_sample: bool = False
    failure_kind: str | None = None
    failure_reason: str | None = None


def gym_request(text: str, metadata: dict[str, Any]) -> dict[str, Any]:
    return GymRequest(
        responses_create_params={"input": [{"role": "user", "content": "Write all_unique."}], "temperature": 1.0},
        response={"id": "resp_1", "object": "response", "created_at": 0, "model": "policy", "status": "completed",
                  "output": [{"type": "reasoning", "id": "rs_1", "summary": [{"type": "summary_text", "text": "x"}]},
                             {"type": "message", "id": "msg_1", "role": "assistant", "status": "completed",
                              "content": [{"type": "output_text", "text": text[:20], "annotations": []},
                                          {"type": "output_text", "text": text[20:], "annotations": []}]}]},
        verifier_metadata=metadata,
    ).model_dump()


@pytest.mark.parametrize(("text", "metadata", "reward", "masked"), [
    (f"```python\n{GOOD}```", {"dataset": "builtin", "task_id": "all_unique", "language": "python",
                               "difficulty": "easy"}, 1.0, False),
    ("def double(n):\n    return n * 3\n", {"problem": to_json(DOUBLE), "language": "python"},
     (0.2 + 0.1) / 1.8, False),
    (GOOD, {"dataset": "builtin", "task_id": "all_unique", "language": "offline"}, 0.0, True),
])
def test_nemo_gym_verify_echoes_the_request_and_adds_the_reward(live, text, metadata, reward, masked):
    request = gym_request(text, metadata)
    response = post(live, request, path="/verify")
    assert response.status_code == 200, response.text
    answer = GymResponse.model_validate(response.json())
    assert answer.model_dump(include=set(GymRequest.model_fields)) == request  # echoed, extra metadata kept
    assert answer.reward == pytest.approx(reward)
    assert answer.mask_sample is masked
    assert answer.failure_kind == ("verifier_error" if masked else None)
    assert (answer.failure_reason is not None) is masked
    assert response.json()["verdict"]["status"] in {s.value for s in VerdictStatus}


def test_nemo_gym_verify_refuses_a_response_without_output(live):
    request = gym_request(GOOD, {"dataset": "builtin", "task_id": "all_unique", "language": "python"})
    request["response"].pop("output")
    response = post(live, request, path="/verify")
    assert response.status_code == 422
    assert response.json()["error"].startswith("response.output: expected the list of output items")


def test_openapi_schema_describes_both_verify_routes(live):
    schema = httpx.get(live.url + "/openapi.json").json()
    assert {"/v1/verify", "/verify", "/healthz", "/metrics"} <= set(schema["paths"])
    sample = schema["components"]["schemas"]["SampleIn"]["properties"]
    assert {"dataset", "task_id", "problem", "language", "completion"} == set(sample)


# -- the client ---------------------------------------------------------------------------------------------


def test_client_returns_verdicts_and_rewards_sync_and_async(live):
    samples = [Sample(DOUBLE, "def double(n):\n    return 2 * n\n", "python"), task(WRONG + "# c\n"),
               task(GOOD + "# c\n"), Sample(DOUBLE, "def double(n):\n    return n\n", "python"),
               task(GOOD, language="offline")]  # five samples: two requests of at most four (the service's limit)
    with VerifierClient(live.url, api_key=KEYS[0], batch_size=LIMITS['max_batch']) as client:
        results = client.verify_batch(samples)
    assert all(isinstance(r.verdict, Verdict) for r in results)
    assert [r.verdict.status.value for r in results] == ["passed", "wrong_answer", "passed", "wrong_answer",
                                                         "toolchain_missing"]
    assert [r.masked for r in results] == [False] * 4 + [True]
    assert results[0].reward == pytest.approx(1.0) and results[4].reward is None
    assert results[1].components["compiles"] == 1.0

    async def run() -> list:
        async with VerifierClient(live.url, api_key=KEYS[0]) as client:
            return await client.averify_batch(samples[:3])

    again = asyncio.run(run())
    assert [(r.verdict.status, r.verdict.tests_passed, r.reward) for r in again] == \
        [(r.verdict.status, r.verdict.tests_passed, r.reward) for r in results[:3]]


def test_client_raises_the_service_reason_without_retrying_a_refusal(live):
    with VerifierClient(live.url, api_key="wrong", retries=3, backoff_s=5.0) as client:
        started = time.monotonic()
        with pytest.raises(VerifierServiceError, match=r"^the verification service refused the request "
                                                       r"\(403: unknown API key\)$"):
            client.verify_batch([task(GOOD)])
    assert time.monotonic() - started < 2.0


BARE_PASS = {"status": "passed", "language": "python", "problem_id": "double"}


@pytest.mark.parametrize(("answer", "error"), [
    ({"results": "xx"}, "the verification service answered no list of results for 1 samples"),
    ({"results": [7]}, "result 0 is not an object"),
    ({"results": [{"verdict": BARE_PASS}]}, "result 0 has masked None, where its verdict says False"),
    ({"results": [{"verdict": None, "reward": 1.0, "masked": False}]}, "result 0: "),
    ({"results": [{"verdict": {"status": "wrong_answer", "language": "python", "problem_id": "double"},
                   "reward": float("nan"), "masked": False}]}, "result 0 has reward nan: a finite number"),
    ({"results": [{"verdict": BARE_PASS, "reward": 1.0, "masked": False, "reward_components": [1]}]},
     "result 0 has reward_components that are not names with numbers"),
    # A pass that ran nothing, or fewer tests than the problem has, or answers another sample.
    ({"results": [{"verdict": BARE_PASS, "reward": 1.0, "masked": False}]},
     "result 0 passes with 0 of 0 tests, where the problem has 2"),
    ({"results": [{"verdict": {**BARE_PASS, "tests_total": 2}, "reward": 1.0, "masked": False}]},
     "result 0 passes with 0 of 2 tests"),
    ({"results": [{"verdict": {**BARE_PASS, "problem_id": "other", "tests_passed": 2, "tests_total": 2},
                   "reward": 1.0, "masked": False}]}, "result 0 answers problem 'other', where the sample asked"),
])
def test_the_client_checks_what_a_service_answers(answer, error):
    """A buggy or compromised service (a real HTTP server on loopback answering what the case says) must not have
    a wrong answer scored as a pass, nor crash its caller with a traceback: one line naming what is wrong."""
    import http.server
    import threading

    class Answer(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            body = json.dumps(answer).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Answer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with VerifierClient(f"http://127.0.0.1:{server.server_port}", retries=0) as client, \
                pytest.raises(VerifierServiceError, match=re.escape(error)):
            client.verify_batch([Sample(DOUBLE, "def double(n):\n    return 0\n", "python")])
    finally:
        server.shutdown()


def test_the_client_reads_a_verdict_with_fields_a_newer_service_added(live):
    """A fleet is upgraded one service at a time: fields the client does not know are dropped, not refused."""
    from codekiln.client import _result

    verdict = to_json(Verdict(VerdictStatus.WRONG_ANSWER, "python", problem_id="double", tests_total=2))
    result = _result("result 0", {"verdict": {**verdict, "added_later": 1}, "reward": 0.0, "masked": False},
                     {"problem": to_json(DOUBLE)})
    assert result.verdict.status is VerdictStatus.WRONG_ANSWER and result.reward == 0.0


def test_client_retries_an_unreachable_service_then_says_so():
    with VerifierClient("http://127.0.0.1:9", retries=2, backoff_s=0.01) as client, \
            pytest.raises(VerifierServiceError, match=r"^http://127.0.0.1:9: no answer after 3 attempts; last: "
                                                      r"ConnectError"):
        client.verify_batch([task(GOOD)])


# -- the docs' examples -------------------------------------------------------------------------------------

PAGE = Path(__file__).resolve().parents[2] / "docs" / "integrations" / "service.md"


def test_the_curl_example_of_the_docs_verifies_both_samples(live):
    body = re.search(r"^curl .*? -d '(.*?)'$", PAGE.read_text(encoding="utf-8"), re.MULTILINE | re.DOTALL)[1]
    response = post(live, json.loads(body))
    assert [r["status"] for r in response.json()["results"]] == ["passed", "passed"]


def test_the_client_example_of_the_docs_prints_what_the_page_says(live, capsys):
    example = importlib.util.spec_from_file_location("verifier_client_example",
                                                     PAGE.parents[1] / "examples" / "verifier_client.py")
    module = importlib.util.module_from_spec(example)
    example.loader.exec_module(module)
    rewards = module.score(live.url, KEYS[0])
    assert rewards[0] == pytest.approx(1.0) and 0 < rewards[1] < 1
    printed = capsys.readouterr().out
    assert f"```text\n{printed}```" in PAGE.read_text(encoding="utf-8")


class Failing(Reward):
    """A reward that breaks, as a third-party one might."""

    name = "failing"

    def __call__(self, completions, **ignored):
        raise ZeroDivisionError("division by zero")


def test_a_reward_that_breaks_answers_500_in_one_line_and_the_service_lives_on(service):
    from codekiln.serve.verification import VerificationService
    from codekiln.serve.verifier_app import create_app

    broken = VerificationService(service.plugins, service.verifier, RewardSet({"failing": Failing()}, {"failing": 1}))
    server = LiveServer(create_app(broken))
    try:
        response = httpx.post(server.url + "/v1/verify", json={"samples": [task(GOOD + "# broken\n")]}, timeout=60)
        assert response.status_code == 500
        assert response.json() == {"error": "reward 'failing' failed: ZeroDivisionError: division by zero"}
        assert metric(server, "codekiln_queue_depth") == 0  # its places in the queue were given back
        assert httpx.get(server.url + "/healthz").json()["status"] == "ok"
    finally:
        server.stop()
