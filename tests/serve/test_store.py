"""The generation store on real SQLite files: content-addressed code, history, ratings, review pairs."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from codekiln.errors import CodekilnError
from codekiln.serve.store import (
    Generation,
    RatingError,
    SQLiteStore,
    StoreError,
    UnknownGeneration,
    content_sha,
    open_store,
)

PROMPT = "Write a function add(a, b) that returns a + b."


def generation(code: str = "def add(a, b):\n    return a + b\n", **fields) -> Generation:
    values = dict(model="tiny", model_version="v1", prompt=PROMPT, language="python", code=code)
    return Generation(**{**values, **fields})


@pytest.fixture
def store(tmp_path):
    with SQLiteStore(tmp_path / "generations.db") as store:
        yield store


def count(path, table: str) -> int:
    with sqlite3.connect(path) as db:
        return db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


def test_a_generation_comes_back_as_stored(store):
    stored = generation(arm="b", client=content_sha("key"), request={"prompt": PROMPT, "max_lines": 3},
                        problem_id="add", status="passed", passed=True, compiled=True, quality=0.75,
                        security=[{"rule": "B307", "severity": "high"}], met_constraints=False,
                        reasons=["longer than 3 lines"], latency_s=0.25, tokens=17)
    assert store.add(stored) == stored.id
    assert store.get(stored.id) == stored
    assert store.get("no-such-id") is None


def test_the_same_code_is_stored_once(tmp_path):
    path = tmp_path / "generations.db"
    with SQLiteStore(path) as store:
        first, second = generation(model="a"), generation(model="b")
        other = generation(code="def add(a, b):\n    return b + a\n")
        for g in (first, second, other):
            store.add(g)
        assert first.code_sha == second.code_sha != other.code_sha
        assert store.get(second.id).code == second.code
    assert count(path, "generations") == 3
    assert count(path, "code") == 2


def test_code_sha_must_be_the_codes_hash():
    with pytest.raises(ValueError, match="code_sha"):
        generation(code_sha="0" * 64)


def test_history_newest_first_by_model_with_limit_offset_or_all(store):
    made = [store.add(generation(model="a" if i % 2 else "b", created=1000.0 + i)) for i in range(60)]
    newest_first = made[::-1]
    assert [g.id for g in store.history()] == newest_first[:50]
    assert [g.id for g in store.history(limit=5, offset=10)] == newest_first[10:15]
    assert [g.id for g in store.history(limit=None)] == newest_first
    assert [g.id for g in store.history(limit=None, model="a")] == newest_first[0::2]
    assert store.history(model="nobody") == []
    with pytest.raises(ValueError, match="limit"):
        store.history(limit=-1)


def test_ratings_are_validated_and_kept_in_order(store):
    target = store.add(generation())
    store.add_rating(target, reviewer=" ana ", readability=5, correctness=1)
    store.add_rating(target, reviewer="bo", readability=3, correctness=4)
    assert [(r.generation_id, r.reviewer, r.readability, r.correctness) for r in store.ratings()] == [
        (target, "ana", 5, 1), (target, "bo", 3, 4)]
    for bad in (0, 6, 2.5, "3", True, None):
        with pytest.raises(RatingError, match="from 1 to 5"):
            store.add_rating(target, reviewer="ana", readability=bad, correctness=3)
        with pytest.raises(RatingError, match="correctness"):
            store.add_rating(target, reviewer="ana", readability=3, correctness=bad)
    with pytest.raises(RatingError, match="reviewer"):
        store.add_rating(target, reviewer="  ", readability=3, correctness=3)
    with pytest.raises(UnknownGeneration, match="no generation 'missing'"):
        store.add_rating("missing", reviewer="ana", readability=3, correctness=3)
    assert len(store.ratings()) == 2  # nothing half-written by the refused ones


def test_a_repeat_rating_replaces_the_earlier_one(store):
    target, other = store.add(generation()), store.add(generation(model="other"))
    for score in (1, 2, 5, 3):
        store.add_rating(target, reviewer="ana", readability=score, correctness=6 - score)
    store.add_rating(target, reviewer=" ana ", readability=4, correctness=4)  # the same reviewer, by name
    store.add_rating(other, reviewer="ana", readability=2, correctness=2)
    store.add_rating(target, reviewer="bo", readability=1, correctness=1)
    assert [(r.generation_id, r.reviewer, r.readability, r.correctness) for r in store.ratings()] == [
        (target, "ana", 4, 4), (other, "ana", 2, 2), (target, "bo", 1, 1)]
    assert count(store.path, "ratings") == 3


def test_an_older_store_with_repeated_ratings_opens_keeping_each_reviewers_latest(tmp_path):
    path = tmp_path / "generations.db"
    with SQLiteStore(path) as store:
        target, other = store.add(generation()), store.add(generation(model="other"))
    # What a store of schema 1 held: no rule of one rating per reviewer and generation, so repeats.
    rows = [(target, "ana", 1, 1), (target, "ana", 5, 5), (other, "ana", 3, 3), (target, "bo", 2, 2),
            (target, "ana", 4, 2), (target, "bo", 3, 1)]
    with sqlite3.connect(path) as db:
        db.execute("DROP INDEX ratings_once")
        db.executemany("INSERT INTO ratings (generation_id, reviewer, readability, correctness, created) "
                       "VALUES (?, ?, ?, ?, ?)", [(*row, 100.0 + i) for i, row in enumerate(rows)])
        db.execute("PRAGMA user_version = 1")
    with SQLiteStore(path) as store:
        assert sorted((r.generation_id, r.reviewer, r.readability, r.correctness) for r in store.ratings()) == sorted(
            [(target, "ana", 4, 2), (other, "ana", 3, 3), (target, "bo", 3, 1)])
        store.add_rating(target, reviewer="ana", readability=5, correctness=5)
        assert len(store.ratings()) == 3
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 2


def test_pairs_are_one_prompt_from_two_sources_least_rated_first(store):
    # Same prompt and source twice: not a pair. Another prompt or language: not a pair either.
    store.add(generation(model="a"))
    store.add(generation(model="a"))
    store.add(generation(model="b", prompt="Something else."))
    store.add(generation(model="b", language="javascript", code="const add = (a, b) => a + b;"))
    assert store.pairs_to_review() == []

    a_arm = store.add(generation(model="m", arm="a", prompt="p1", created=1.0))
    b_arm = store.add(generation(model="m", arm="b", prompt="p1", created=2.0))
    old = store.add(generation(model="m", model_version="v1", prompt="p2", created=3.0))
    new = store.add(generation(model="m", model_version="v2", prompt="p2", created=4.0))
    ids = lambda pairs: [{first.id, second.id} for first, second in pairs]  # noqa: E731
    assert ids(store.pairs_to_review(limit=5)) == [{old, new}, {a_arm, b_arm}]  # unrated: newest first
    store.add_rating(new, reviewer="ana", readability=4, correctness=4)
    assert ids(store.pairs_to_review()) == [{a_arm, b_arm}]
    first, second = store.pairs_to_review()[0]
    assert first.prompt == second.prompt == "p1" and first.arm != second.arm


def test_a_prompt_answered_many_times_gives_one_pair_at_a_time(store):
    answers = {arm: [store.add(generation(code=f"def add(a, b):\n    return {i}\n", arm=arm, created=float(i)))
                     for i in range(3)] for arm in ("a", "b")}
    store.add(generation(code="", arm="c", created=9.0))  # withheld by the security policy: nothing to read
    pairs = store.pairs_to_review(limit=10)
    assert [{g.id for g in pair} for pair in pairs] == [{answers["a"][2], answers["b"][2]}]  # the newest
    for g in pairs[0]:
        store.add_rating(g.id, reviewer="ana", readability=3, correctness=3)
    assert [{g.id for g in pair} for pair in store.pairs_to_review()] == [{answers["a"][1], answers["b"][1]}]


def test_a_reopened_store_holds_what_was_written(tmp_path):
    path = tmp_path / "nested" / "dir" / "generations.db"  # parents are created
    with open_store(f"sqlite:///{path}") as store:
        kept = generation(status="compile_error")
        store.add(kept)
        store.add_rating(kept.id, reviewer="ana", readability=2, correctness=1)
    with open_store(path) as store:
        assert store.get(kept.id) == kept
        assert [(r.generation_id, r.readability) for r in store.ratings()] == [(kept.id, 2)]
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_threads_share_one_store(store):
    def add_many(model: str) -> None:
        for i in range(40):
            store.add(generation(code=f"def add(a, b):\n    return a + b + {i}\n", model=model))

    threads = [threading.Thread(target=add_many, args=(f"m{n}",)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(store.history(limit=None)) == 240
    assert count(store.path, "code") == 40


@pytest.mark.parametrize("where, message", [
    ("under_a_file/generations.db", "cannot open the generation store"),
    ("not_a_database.db", "cannot open the generation store .*file is not a database"),
    ("postgresql://db.internal/gen", "unknown generation store 'postgresql'.*available: sqlite:///PATH"),
    ("sqlite://", "has no path"),
])
def test_bad_store_locations_are_one_clear_line(tmp_path, where, message):
    (tmp_path / "under_a_file").write_text("a file, not a directory")
    (tmp_path / "not_a_database.db").write_text("plain text, " * 200)
    location = where if "://" in where else str(tmp_path / where)
    with pytest.raises(StoreError, match=message) as caught:
        open_store(location)
    assert isinstance(caught.value, CodekilnError) and "\n" not in str(caught.value)
    assert (tmp_path / "not_a_database.db").read_text().startswith("plain text")  # left untouched


def test_a_store_from_a_newer_codekiln_is_refused(tmp_path):
    path = tmp_path / "future.db"
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA user_version = 99")
    with pytest.raises(StoreError, match=r"schema version 99.*upgrade codekiln"):
        SQLiteStore(path)
