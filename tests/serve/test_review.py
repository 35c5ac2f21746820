"""The human review page and its API, served for real on loopback: over HTTP with httpx, and rated in headless
Chromium driven by Selenium, on an app of its own and inside the generation service, whose ratings
`codekiln ab --from-store` then reports."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

httpx = pytest.importorskip("httpx", reason="the serve extra is not installed (pip install 'codekiln[serve]')")
pytest.importorskip("fastapi", reason="the serve extra is not installed (pip install 'codekiln[serve]')")
from fastapi import FastAPI  # noqa: E402

from codekiln.config import load_config  # noqa: E402
from codekiln.scoring import Scorer  # noqa: E402
from codekiln.serve.http import install_error_handlers  # noqa: E402
from codekiln.serve.review import KEY_COOKIE, review_router  # noqa: E402
from codekiln.serve.store import Generation, SQLiteStore  # noqa: E402

from .conftest import LiveServer  # noqa: E402
from .generation_support import TAUGHT  # noqa: E402

KEY = "review-key"
PROMPT = "Write a function add(a, b) that returns their sum."
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
#: The generation service's clients: enough keys that both A/B arms get one.
SERVICE_KEYS = [f"reviewed-client-{i}" for i in range(16)]


def one_pair(store: SQLiteStore) -> tuple[Generation, Generation]:
    """Arm a's passing answer and arm b's failing one, to the same prompt; and a lone answer to another."""
    common = dict(model="tiny", model_version="v1", prompt=PROMPT, language="python", compiled=True)
    good = Generation(arm="a", code="def add(a, b):\n    return a + b\n", status="passed", passed=True,
                      quality=0.9, **common)
    bad = Generation(arm="b", code="def add(a, b):\n    return a - b  # <script>alert(1)</script>\n",
                     status="wrong_answer", met_constraints=False, reasons=["no docstring"],
                     security=[{"name": "B101", "severity": "low", "line": 2}], **common)
    for g in (good, bad, Generation(model="tiny", model_version="v1", arm="a", prompt="Another prompt.",
                                    language="python", code="pass\n")):
        store.add(g)
    return good, bad


@pytest.fixture
def review_server(tmp_path):
    """The review router on a FastAPI app of its own, mounted as ``codekiln serve`` mounts it, with one API key."""
    with SQLiteStore(tmp_path / "generations.db") as store:
        pair = one_pair(store)
        app = FastAPI()
        install_error_handlers(app, rejected=lambda reason: None)
        app.include_router(review_router(store, [KEY]))
        server = LiveServer(app)
        try:
            yield server, store, pair
        finally:
            server.stop()


def test_the_api_asks_for_the_key_by_header_cookie_or_query(review_server):
    server, _store, (good, bad) = review_server
    with httpx.Client(base_url=server.url) as client:
        page = client.get("/review")
        assert page.status_code == 200 and "<form id=\"review\"" in page.text  # the page itself holds no data
        assert "http" not in page.text.split("<script>")[1]  # and loads nothing from elsewhere
        assert client.get("/v1/review/pair").status_code == 401
        assert client.get("/v1/review/pair", headers={"Authorization": "Bearer nope"}).status_code == 403
        assert client.get("/v1/review/pair", params={"key": "nope"}).status_code == 403
        by_header = client.get("/v1/review/pair", headers={"Authorization": f"Bearer {KEY}"}).json()
        assert client.get("/v1/review/pair", params={"key": KEY}).json() == by_header
        assert client.post("/v1/review/login", json={"key": "nope"}).status_code == 403
        assert KEY_COOKIE not in client.cookies
        login = client.post("/v1/review/login", json={"key": KEY})
        assert login.status_code == 204 and "httponly" in login.headers["set-cookie"].lower()
        assert client.get("/v1/review/pair").json() == by_header  # the cookie alone now
    pair = by_header["pair"]
    assert pair["prompt"] == PROMPT and pair["language"] == "python"
    assert {g["id"] for g in pair["generations"]} == {good.id, bad.id}
    shown = {g["id"]: g for g in pair["generations"]}[bad.id]
    assert shown["status"] == "wrong_answer" and shown["reasons"] == ["no docstring"]
    assert not {"model", "model_version", "arm", "client"} & set(shown)  # blind: nothing names the source


def test_ratings_are_stored_whole_or_not_at_all(review_server):
    server, store, (good, bad) = review_server
    auth = {"Authorization": f"Bearer {KEY}"}
    rate = lambda first, **body: client.post("/v1/review/ratings", headers=auth, json={  # noqa: E731
        "reviewer": "ana", "ratings": [{"generation_id": good.id, "readability": 5, "correctness": 5},
                                       {"generation_id": first, "readability": 2, "correctness": 1}], **body})
    with httpx.Client(base_url=server.url) as client:
        assert client.post("/v1/review/ratings", json={"reviewer": "ana", "ratings": []}).status_code == 401
        missing = rate("no-such-generation")
        assert missing.status_code == 404 and "no-such-generation" in missing.json()["error"]
        assert rate(bad.id, reviewer=" ").status_code == 422
        off_scale = client.post("/v1/review/ratings", headers=auth, json={
            "reviewer": "ana", "ratings": [{"generation_id": good.id, "readability": 6, "correctness": 3}]})
        assert off_scale.status_code == 422
        assert off_scale.json() == {"error": "ratings[0].readability: Input should be less than or equal to 5"}
        assert store.ratings() == []
        assert rate(bad.id).json() == {"stored": 2}
        assert client.get("/v1/review/pair", headers=auth, params={"reviewer": "ana"}).json() == {"pair": None}
        assert client.get("/v1/review/pair", headers=auth, params={"reviewer": "bo"}).json()["pair"] is not None
    assert sorted((r.generation_id, r.reviewer, r.readability, r.correctness) for r in store.ratings()) == sorted(
        [(good.id, "ana", 5, 5), (bad.id, "ana", 2, 1)])


def test_a_reviewer_counts_once_per_generation_however_often_they_rate(review_server):
    """One reviewer rating one answer fifty times is one rating in ``codekiln ab``'s table: the latest."""
    from codekiln.evaluation.compare import ratings_by_model

    server, store, (good, bad) = review_server
    auth = {"Authorization": f"Bearer {KEY}"}
    one = lambda reviewer, score: {"reviewer": reviewer, "ratings": [  # noqa: E731
        {"generation_id": good.id, "readability": score, "correctness": score}]}
    with httpx.Client(base_url=server.url, headers=auth) as client:
        for i in range(50):
            assert client.post("/v1/review/ratings", json=one("ana", 5 if i < 49 else 2)).json() == {"stored": 1}
        assert client.post("/v1/review/ratings", json=one("bo", 4)).json() == {"stored": 1}
        twice = client.post("/v1/review/ratings", json={"reviewer": "ana", "ratings": [
            {"generation_id": bad.id, "readability": 1, "correctness": 1},
            {"generation_id": bad.id, "readability": 5, "correctness": 5}]})
        assert twice.status_code == 422
        assert twice.json() == {"error": f"ratings: generation {bad.id!r} is rated twice; rate each answer once"}
    assert sorted((r.reviewer, r.readability) for r in store.ratings()) == [("ana", 2), ("bo", 4)]
    model_of = {g.id: g.model for g in store.history(limit=None)}
    assert ratings_by_model(store.ratings(), model_of) == {"tiny": {"ratings": 2.0, "readability": 3.0,
                                                                    "correctness": 3.0}}


@pytest.fixture
def chromium():
    if not (shutil.which(CHROMIUM) and shutil.which(CHROMEDRIVER)):
        pytest.skip(f"needs Debian's chromium and chromium-driver ({CHROMIUM}, {CHROMEDRIVER}): "
                    "apt-get install -y chromium chromium-driver")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.mark.slow
def test_a_reviewer_logs_in_and_rates_a_pair_in_chromium(review_server, chromium):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as shown
    from selenium.webdriver.support.ui import WebDriverWait

    server, store, (good, bad) = review_server
    wait = WebDriverWait(chromium, 20)
    chromium.get(f"{server.url}/review")
    wait.until(shown.visibility_of_element_located((By.ID, "login")))
    chromium.find_element(By.ID, "key").send_keys("wrong")
    chromium.find_element(By.ID, "login-button").click()
    wait.until(shown.text_to_be_present_in_element((By.ID, "message"), "unknown API key"))
    chromium.find_element(By.ID, "key").clear()
    chromium.find_element(By.ID, "key").send_keys(KEY)
    chromium.find_element(By.ID, "login-button").click()
    wait.until(shown.visibility_of_element_located((By.ID, "review")))

    assert chromium.find_element(By.ID, "prompt").text == PROMPT
    cards = {card.get_attribute("data-id"): card for card in chromium.find_elements(By.CSS_SELECTOR, ".generation")}
    assert set(cards) == {good.id, bad.id}
    # The code is shown as text: the comment's <script> is on screen, not run.
    assert "<script>alert(1)</script>" in cards[bad.id].find_element(By.CSS_SELECTOR, ".code").text
    assert "failed: wrong_answer" in cards[bad.id].text and "constraints not met: no docstring" in cards[bad.id].text
    assert "1 security finding(s): B101 (low, line 2)" in cards[bad.id].text
    assert "passed" in cards[good.id].text and "quality 0.90" in cards[good.id].text

    chromium.find_element(By.ID, "reviewer").send_keys("ana")
    for card_id, readability, correctness in ((good.id, 4, 5), (bad.id, 3, 1)):
        card = cards[card_id]
        card.find_element(By.CSS_SELECTOR, f".readability input[value='{readability}']").click()
        card.find_element(By.CSS_SELECTOR, f".correctness input[value='{correctness}']").click()
    chromium.find_element(By.ID, "submit").click()
    wait.until(shown.text_to_be_present_in_element((By.ID, "message"), "Nothing left to review"))
    assert "Saved 2 ratings." in chromium.find_element(By.ID, "message").text

    assert sorted((r.generation_id, r.reviewer, r.readability, r.correctness) for r in store.ratings()) == sorted(
        [(good.id, "ana", 4, 5), (bad.id, "ana", 3, 1)])
    assert chromium.get_cookie(KEY_COOKIE)["httpOnly"] is True


# -- inside codekiln serve ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def service_with_a_pair(plugins, verifier, model_dirs, tmp_path_factory, one_torch_thread):
    """``codekiln serve``'s app with two arms, after one client of each asked for the same problem: ``model-a``
    writes its reference, ``model-b`` a right answer that runs a shell (a security finding)."""
    from codekiln.serve.generation import Arms, GenerationService, serve_config
    from codekiln.serve.generation_app import create_app
    from codekiln.serve.models import load_served_model
    from codekiln.serve.store import SQLiteStore

    arms = Arms(a=load_served_model(str(model_dirs["taught"]), "model-a", backend="hf"),
                b=load_served_model(str(model_dirs["insecure"]), "model-b", backend="hf"))
    path = tmp_path_factory.mktemp("store") / "generations.db"
    store = SQLiteStore(path)
    service = GenerationService(plugins, Scorer(serve_config(load_config(None)), plugins, verifier=verifier), store,
                                arms)
    server = LiveServer(create_app(service, SERVICE_KEYS))
    try:
        answered: set[str] = set()  # the arms that answered
        for key in SERVICE_KEYS:
            answer = httpx.post(f"{server.url}/v1/generate", headers={"Authorization": f"Bearer {key}"}, timeout=120,
                                json={"language": "python", "problem_id": TAUGHT, "candidates": 1, "tries": 1,
                                      "max_tokens": 64, "temperature": 0}).raise_for_status().json()
            answered.add(answer["arm"])
            if len(answered) == 2:
                break
        assert answered == {"a", "b"}
        yield server, store, path
    finally:
        server.stop()
        service.close()
        store.close()


@pytest.mark.slow
def test_a_pair_the_service_answered_is_rated_in_chromium_and_reported_by_ab(service_with_a_pair, chromium):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as shown
    from selenium.webdriver.support.ui import WebDriverWait

    server, store, path = service_with_a_pair
    chromium.get(f"{server.url}/review?key={SERVICE_KEYS[0]}")
    wait = WebDriverWait(chromium, 20)
    wait.until(shown.visibility_of_element_located((By.ID, "review")))
    assert "?key=" not in chromium.current_url  # the key left the address bar for the HttpOnly cookie
    # One answer of each arm to the same prompt (an arm may have answered more than once before the other did).
    cards = {card.get_attribute("data-id"): card for card in chromium.find_elements(By.CSS_SELECTOR, ".generation")}
    shown_ids = {store.get(generation_id).arm: generation_id for generation_id in cards}
    assert set(shown_ids) == {"a", "b"}
    assert "no security findings" in cards[shown_ids["a"]].text
    assert "1 security finding(s): B605 (high, line" in cards[shown_ids["b"]].text
    chromium.find_element(By.ID, "reviewer").send_keys("ana")
    scores = {shown_ids["a"]: (5, 4), shown_ids["b"]: (2, 1)}
    for generation_id, (readability, correctness) in scores.items():
        cards[generation_id].find_element(By.CSS_SELECTOR, f".readability input[value='{readability}']").click()
        cards[generation_id].find_element(By.CSS_SELECTOR, f".correctness input[value='{correctness}']").click()
    chromium.find_element(By.ID, "submit").click()
    wait.until(shown.text_to_be_present_in_element((By.ID, "message"), "Saved 2 ratings."))
    assert sorted((r.generation_id, r.readability, r.correctness) for r in store.ratings()) == sorted(
        (generation_id, *score) for generation_id, score in scores.items())

    # codekiln ab reads the store the service is still writing (WAL): the ratings are in its report.
    report = subprocess.run([sys.executable, "-m", "codekiln", "ab", "--from-store", str(path)],
                            capture_output=True, text=True, timeout=120)
    assert report.returncode == 0, report.stderr
    ratings = report.stdout.split("## Human ratings", 1)[1]
    assert "| model-a | 1 | 5.00 | 4.00 |" in ratings and "| model-b | 1 | 2.00 | 1.00 |" in ratings
