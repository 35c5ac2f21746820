"""The generation service, served for real on loopback with tiny real models, used through HTTP and the openai
client: verified generation under constraints, the OpenAI endpoints, protection, the A/B split, metrics and the
stored history."""

from __future__ import annotations

import threading
import time

import pytest

httpx = pytest.importorskip("httpx", reason="the serve extra is not installed (pip install 'codekiln[serve]')")
pytest.importorskip("fastapi", reason="the serve extra is not installed (pip install 'codekiln[serve]')")
from codekiln.config import load_config  # noqa: E402
from codekiln.scoring import Scorer  # noqa: E402

from .conftest import LiveServer  # noqa: E402
from .generation_support import TAUGHT  # noqa: E402
from .test_verifier_service import metric  # noqa: E402

#: One key per client: the rate limit and the A/B assignment follow the key.
KEYS = [f"client-{i:03d}" for i in range(200)]
RATE = 6  # requests per minute and key
QUEUE = 4  # requests in progress at once
SPLIT = 0.25
REFERENCE = "def all_unique(values: list[int]) -> bool:\n    return len(set(values)) == len(values)"


def auth(index: int) -> dict[str, str]:
    return {"Authorization": f"Bearer {KEYS[index]}"}


@pytest.fixture(scope="module")
def live(plugins, verifier, model_dirs, tmp_path_factory, one_torch_thread):
    from codekiln.serve.generation import Arms, GenerationLimits, GenerationService, serve_config
    from codekiln.serve.generation_app import create_app
    from codekiln.serve.models import load_served_model
    from codekiln.serve.store import SQLiteStore

    arms = Arms(a=load_served_model(str(model_dirs["taught"]), "taught", backend="hf"),
                b=load_served_model(str(model_dirs["untrained"]), "untrained", backend="hf"), split=SPLIT)
    store = SQLiteStore(tmp_path_factory.mktemp("store") / "generations.db")
    limits = GenerationLimits(max_body_bytes=16 * 1024, queue_size=QUEUE, rate=f"{RATE}/minute", max_tries=4)
    service = GenerationService(plugins, Scorer(serve_config(load_config(None)), plugins, verifier=verifier), store,
                                arms, limits=limits)
    server = LiveServer(create_app(service, KEYS))
    server.store, server.service = store, service
    yield server
    server.stop()
    service.close()
    store.close()


def post(live, path: str, body, key: int, **kwargs) -> httpx.Response:
    return httpx.post(live.url + path, json=body, headers=auth(key), timeout=120, **kwargs)


def test_generate_answers_verified_code_that_meets_the_request_and_stores_it(live):
    labels = {"model": "taught", "language": "python", "arm": ""}
    before = {name: metric(live, name, **extra, **labels) for name, extra in (
        ("codekiln_generations_total", {"outcome": "met"}), ("codekiln_generation_compiled_total", {}),
        ("codekiln_generation_quality_count", {}), ("codekiln_generation_seconds_count", {}))}
    quality_before = metric(live, "codekiln_generation_quality_sum", **labels)
    response = post(live, "/v1/generate", {"model": "taught", "language": "python", "problem_id": TAUGHT,
                                           "temperature": 0, "candidates": 1, "max_tokens": 48}, key=0)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["code"].strip() == REFERENCE
    assert (answer["status"], answer["passed"], answer["compiled"], answer["met_constraints"]) == \
        ("passed", True, True, True)
    assert answer["tests_passed"] == answer["tests_total"] > 0
    assert (answer["tries"], answer["candidates"], answer["reasons"], answer["fallback"]) == (1, 1, [], None)
    assert 0 < answer["quality"] <= 1 and answer["security"] == []
    assert answer["model"] == "taught" and answer["arm"] is None and len(answer["model_version"]) == 16

    stored = httpx.get(f"{live.url}/v1/generations/{answer['id']}", headers=auth(0)).json()
    assert (stored["code"], stored["model"], stored["language"], stored["problem_id"]) == \
        (answer["code"], "taught", "python", TAUGHT)
    assert stored["client"] != KEYS[0] and len(stored["client"]) == 64  # the key's hash, never the key
    assert stored["request"]["problem_id"] == TAUGHT and stored["passed"] and stored["quality"] == answer["quality"]

    # /metrics counted this request once, under its model, language and arm.
    for (name, extra), value in zip((("codekiln_generations_total", {"outcome": "met"}),
                                     ("codekiln_generation_compiled_total", {}),
                                     ("codekiln_generation_quality_count", {}),
                                     ("codekiln_generation_seconds_count", {})), before.values()):
        assert metric(live, name, **extra, **labels) == value + 1, name
    assert metric(live, "codekiln_generation_quality_sum", **labels) == pytest.approx(quality_before
                                                                                     + answer["quality"])


def test_unmet_constraints_resample_every_try_then_return_the_best_with_reasons(live):
    response = post(live, "/v1/generate", {"model": "taught", "language": "python", "problem_id": TAUGHT,
                                           "constraints": {"max_lines": 1, "required_docstring": True},
                                           "tries": 3, "candidates": 2, "temperature": 0.5, "max_tokens": 48},
                key=1)
    answer = response.json()
    assert response.status_code == 200, answer
    assert (answer["met_constraints"], answer["tries"], answer["candidates"]) == (False, 3, 6)
    assert answer["passed"] and answer["code"].strip() == REFERENCE  # the best: it passes, only its form is off
    assert answer["constraints"] == {"max_lines": False, "required_docstring": False}
    assert answer["reasons"] == ["max_lines: 2 non-blank lines, over the limit of 1",
                                 "required_docstring: a function has no docstring"]
    assert metric(live, "codekiln_generations_total", model="taught", language="python", arm="",
                  outcome="not_met") >= 1


def test_a_prompt_with_a_signature_and_tests_is_verified_against_those_tests(live, builtin_problems):
    taught = next(p for p in builtin_problems if p.id == TAUGHT)  # asked as the taught model learnt it
    signature = {"name": "all_unique", "params": [{"name": "values", "type": "list[int]"}], "returns": "bool"}
    tests = [{"args": [[1, 2]], "expected": True}, {"args": [[]], "expected": True},
             {"args": [[1, 1]], "expected": True}]  # the last is wrong: the answer must fail it
    response = post(live, "/v1/generate", {"model": "taught", "language": "python", "prompt": taught.description,
                                           "signature": signature, "tests": tests, "tries": 2, "candidates": 1,
                                           "temperature": 0, "max_tokens": 48}, key=2)
    answer = response.json()
    assert response.status_code == 200, answer
    assert answer["code"].strip() == REFERENCE and answer["verdict"]["problem_id"] == "request"
    assert (answer["status"], answer["tests_passed"], answer["tests_total"]) == ("wrong_answer", 2, 3)
    assert not answer["met_constraints"] and answer["tries"] == 2
    # The user wrote the tests: the reasons say what they expected (a model's feedback in training would not).
    assert answer["reasons"][:2] == ["Your Python code runs, but 1 of 3 tests fail.",
                                     "test 3: expected True, got False"]


def test_the_openai_client_completes_and_chats(live):
    openai = pytest.importorskip("openai", reason="the dev extra is not installed")
    client = openai.OpenAI(base_url=live.url + "/v1", api_key=KEYS[3], max_retries=0, timeout=120)
    assert sorted(model.id for model in client.models.list()) == ["taught", "untrained"]

    completion = client.completions.create(model="untrained", prompt=["def f(", "x ="], max_tokens=4, n=2,
                                           temperature=1.0, seed=1)
    assert completion.object == "text_completion" and completion.model == "untrained"
    assert len(completion.choices) == 4 and [c.index for c in completion.choices] == [0, 1, 2, 3]
    assert all(c.finish_reason in ("stop", "length") for c in completion.choices)
    assert 0 < completion.usage.completion_tokens <= 16
    ids = completion.model_extra["codekiln"]["generation_ids"]
    assert [live.store.get(i).code for i in ids] == [c.text for c in completion.choices]

    chat = client.chat.completions.create(model="taught", temperature=0, max_tokens=64, messages=[
        {"role": "user", "content": "Write all_unique(values) in Python."}])
    assert chat.object == "chat.completion" and chat.choices[0].message.role == "assistant"
    assert isinstance(chat.choices[0].message.content, str) and chat.usage.prompt_tokens > 0

    with pytest.raises(openai.NotFoundError, match="unknown model 'gpt-4'; served: taught, untrained"):
        client.completions.create(model="gpt-4", prompt="x", max_tokens=1)
    with pytest.raises(openai.UnprocessableEntityError, match="logprobs"):
        client.completions.create(model="taught", prompt="x", max_tokens=1, logprobs=2)


BAD_REQUESTS = [
    (None, b'{"language": "python",', 400, "the body is not valid JSON"),
    ({"language": "cobol", "prompt": "x"}, None, 400, "language: unknown language 'cobol'; available: "),
    ({"language": "python", "problem_id": "no_such"}, None, 404, "problem_id: no problem 'no_such' in dataset"),
    ({"language": "python", "problem_id": TAUGHT, "dataset": "jsonl:/etc/passwd"}, None, 404,
     "dataset: unknown dataset 'jsonl:/etc/passwd'; available: "),
    ({"language": "python"}, None, 422, "prompt: say what to write (or give a problem_id)"),
    ({"language": "python", "problem_id": TAUGHT, "prompt": "x"}, None, 422,
     "give either problem_id or a prompt (with its signature and tests), not both"),
    ({"language": "python", "prompt": "x", "constraints": {"max_lines": 0}}, None, 422,
     "constraints.max_lines: Input should be greater than or equal to 1"),
    ({"language": "python", "prompt": "x", "max_tokens": 5000}, None, 422,
     "max_tokens: 5000 is over this service's limit of 1024"),
    ({"language": "python", "prompt": "x", "model": "gpt-4"}, None, 404, "unknown model 'gpt-4'"),
]


@pytest.mark.parametrize(("case", "body", "content", "status", "error"),
                         [(i, *case) for i, case in enumerate(BAD_REQUESTS)])
def test_bad_requests_get_one_line_errors(live, case, body, content, status, error):
    key = auth(180 + case)  # a client each: refusals count against the rate limit too
    kwargs = {"content": content, "headers": {**key, "Content-Type": "application/json"}} if content else \
        {"json": body, "headers": key}
    response = httpx.post(live.url + "/v1/generate", timeout=60, **kwargs)
    assert response.status_code == status, response.text
    assert response.json()["error"].startswith(error)


def test_keys_body_size_and_rate_are_enforced(live):
    body = {"model": "untrained", "prompt": "x", "max_tokens": 1}
    assert httpx.post(live.url + "/v1/completions", json=body).status_code == 401
    assert httpx.post(live.url + "/v1/completions", json=body, headers={"Authorization": "Bearer nope"}
                      ).json() == {"error": {"message": "unknown API key", "type": "invalid_request_error",
                                             "code": 403}}
    too_large = post(live, "/v1/generate", {"language": "python", "prompt": "x" * 20_000}, key=5)
    assert too_large.status_code == 413
    assert too_large.json() == {"error": "the request body is over the limit of 16384 bytes"}

    statuses = [post(live, "/v1/completions", body, key=6).status_code for _ in range(RATE)]
    assert statuses == [200] * RATE
    refused = post(live, "/v1/completions", body, key=6)
    assert refused.status_code == 429 and 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.json()["error"]["message"].startswith(f"rate limit of {RATE}/minute reached for this client")
    assert post(live, "/v1/completions", body, key=7).status_code == 200  # another client is not held back
    assert metric(live, "codekiln_rejected_requests_total", reason="rate_limited") >= 1


def test_one_completions_request_asks_for_a_bounded_number_of_completions(live):
    """Prompts times n is bounded per request: one small request cannot hold the model's one thread for long
    (a batch whose caller timed out still runs to its end)."""
    heavy = {"model": "untrained", "prompt": ["x"] * 100, "n": 8, "max_tokens": 1024, "temperature": 1.0}
    refused = post(live, "/v1/completions", heavy, key=195)
    assert refused.status_code == 422
    assert refused.json()["error"]["message"] == ("prompt: 100 prompt(s) with n=8 ask for 800 completions, over "
                                                  "this service's limit of 16 per request")
    assert post(live, "/v1/completions", {**heavy, "prompt": ["x"] * 3, "n": 6}, key=195).status_code == 422
    at_limit = post(live, "/v1/completions", {"model": "untrained", "prompt": ["x", "y"], "n": 8, "max_tokens": 1},
                    key=195)
    assert at_limit.status_code == 200 and len(at_limit.json()["choices"]) == 16
    assert httpx.get(live.url + "/healthz").json()["limits"]["max_completions"] == 16


def test_with_api_keys_any_host_is_answered(live):
    response = httpx.get(live.url + "/v1/models", headers={**auth(196), "Host": "codekiln.example.org"})
    assert response.status_code == 200 and response.json()["object"] == "list"


def test_waiting_requests_share_a_batch_and_a_full_queue_answers_503(live):
    calls_before = httpx.get(live.url + "/healthz").json()["generate_calls"]["untrained"]
    answers = {}

    def send(key: int, max_tokens: int) -> None:
        body = {"model": "untrained", "prompt": f"def f{key}(", "max_tokens": max_tokens, "temperature": 1.0}
        answers[key] = post(live, "/v1/completions", body, key=key)

    def wait_for_depth(depth: int) -> None:
        deadline = time.monotonic() + 60
        while httpx.get(live.url + "/healthz").json()["queue_depth"] < depth:
            assert time.monotonic() < deadline, "the requests were never admitted"
            time.sleep(0.01)

    # The model's one generation thread is held busy until every request is in: however fast the machine
    # generates, the queue fills and the requests wait together.
    busy = threading.Event()
    live.service.arms.named("untrained")._thread.submit(busy.wait, 120)
    slow = threading.Thread(target=send, args=(190, 128))  # the model takes this one first ...
    slow.start()
    wait_for_depth(1)
    waiting = [threading.Thread(target=send, args=(key, 4)) for key in (191, 192, 193)]  # ... while these wait
    for thread in waiting:
        thread.start()
    wait_for_depth(QUEUE)
    refused = post(live, "/v1/completions", {"model": "untrained", "prompt": "x", "max_tokens": 1}, key=194)
    busy.set()
    for thread in (slow, *waiting):
        thread.join()
    assert refused.status_code == 503 and refused.headers["Retry-After"] == "1"
    assert refused.json()["error"]["message"].startswith(f"the queue is full ({QUEUE} requests in progress)")
    assert [answers[key].status_code for key in (190, 191, 192, 193)] == [200] * 4
    assert all(len(answers[key].json()["choices"]) == 1 for key in (191, 192, 193))
    # The slow request alone, then the three that waited behind it with the same settings, together.
    assert httpx.get(live.url + "/healthz").json()["generate_calls"]["untrained"] == calls_before + 2


def test_the_ab_split_is_sticky_per_key_near_its_ratio_and_counted_per_arm(live):
    clients = range(20, 120)
    before = {arm: metric(live, "codekiln_generations_total", arm=arm, outcome="unverified", language="none")
              for arm in ("a", "b")}
    arms = {}
    for index in clients:
        answer = post(live, "/v1/completions", {"prompt": "x", "max_tokens": 1}, key=index).json()
        arms[index] = answer["codekiln"]["arm"]
        assert answer["model"] == {"a": "taught", "b": "untrained"}[arms[index]]
    share = sum(arm == "b" for arm in arms.values()) / len(arms)
    assert abs(share - SPLIT) < 0.13, share  # 100 clients: three standard deviations is 0.13
    again = [post(live, "/v1/completions", {"prompt": "y", "max_tokens": 1}, key=i).json()["codekiln"]["arm"]
             for i in list(clients)[:10]]
    assert again == [arms[i] for i in list(clients)[:10]]
    for arm in ("a", "b"):
        counted = metric(live, "codekiln_generations_total", arm=arm, outcome="unverified", language="none")
        assert counted - before[arm] == sum(a == arm for a in arms.values()) + again.count(arm)
    stored = [g.arm for g in live.store.history(limit=len(arms) + len(again))]
    assert sorted(stored) == sorted([*arms.values(), *again])


def test_history_lists_newest_first_by_model(live):
    post(live, "/v1/completions", {"model": "untrained", "prompt": "z", "max_tokens": 1}, key=10)
    listed = httpx.get(live.url + "/v1/generations", params={"model": "untrained", "limit": 3},
                       headers=auth(10)).json()["generations"]
    assert len(listed) == 3 and {g["model"] for g in listed} == {"untrained"}
    assert listed[0]["prompt"] == "z" and [g["created"] for g in listed] == sorted(
        (g["created"] for g in listed), reverse=True)
    missing = httpx.get(live.url + "/v1/generations/nope", headers=auth(10))
    assert missing.status_code == 404 and missing.json() == {"error": "no generation 'nope' in the store"}


def test_openapi_and_healthz_describe_the_service(live):
    paths = httpx.get(live.url + "/openapi.json").json()["paths"]
    assert {"/v1/generate", "/v1/completions", "/v1/chat/completions", "/v1/generations/{generation_id}",
            "/review"} <= set(paths)
    health = httpx.get(live.url + "/healthz").json()
    assert health["models"] == {"a": "taught", "b": "untrained", "fallback": None} and health["split"] == SPLIT
    assert set(health["generate_calls"]) == {"taught", "untrained"}


def test_the_docs_examples_ask_and_print_what_the_page_says(live, capsys):
    import importlib.util
    from pathlib import Path

    from codekiln.config import load_config
    from codekiln.serve.generation import SERVE_REWARDS, serve_config

    examples = Path(__file__).resolve().parents[2] / "docs" / "examples"

    def example(name: str):
        spec = importlib.util.spec_from_file_location(f"serve_docs_{name}", examples / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    answer = example("serve_generate").generate(live.url, KEYS[11])
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == (f"{answer['status']}: {answer['tests_passed']}/{answer['tests_total']} tests, met the "
                          f"request: {answer['met_constraints']}, quality {answer['quality']}")
    assert printed[1:] == [f"  not met: {reason}" for reason in answer["reasons"]]
    assert answer["tries"] == 3 or answer["met_constraints"]

    text = example("serve_openai").chat(live.url, KEYS[12])
    printed = capsys.readouterr().out
    assert printed.endswith(text + "\n") and " (arm " in printed.splitlines()[0]

    config = serve_config(load_config(examples / "serve_config.yaml"))
    assert config.rewards == SERVE_REWARDS and config.reward_params == {"constraints": {"max_lines": 80}}


def test_a_model_version_is_its_content_and_names_stay_apart(model_dirs, tmp_path):
    import shutil

    from codekiln.serve.models import model_names, model_version

    copy = shutil.copytree(model_dirs["untrained"], tmp_path / "elsewhere" / "copy")
    assert model_version(copy) == model_version(model_dirs["untrained"])
    (copy / "config.json").write_text((copy / "config.json").read_text().replace("10000.0", "20000.0"))
    assert model_version(copy) != model_version(model_dirs["untrained"])
    assert model_names([str(tmp_path / "a" / "final"), str(tmp_path / "b" / "final"), str(tmp_path / "b" / "x")]) \
        == ["a/final", "b/final", "x"]
