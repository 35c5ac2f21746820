"""The generation store: every generation ``codekiln serve`` answered (request, code, verdict, model and version,
time), and the ratings human reviewers gave them.

:class:`GenerationStore` is the interface; :class:`SQLiteStore` is the default backend (one file, WAL, one
connection behind one lock, so any thread may use it). Code lives in a table of its own keyed by the sha256
of its text, so the same code answered a thousand times is stored once. This module needs only the standard
library and attrs: ``codekiln ab --from-store`` reads stores without the serve extra installed.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
import threading
import time
import uuid
from pathlib import Path
from typing import Any, Protocol

import attrs

from ..errors import CodekilnError

__all__ = [
    "RATING_SCALE",
    "Generation",
    "GenerationStore",
    "Rating",
    "RatingError",
    "SQLiteStore",
    "StoreError",
    "UnknownGeneration",
    "content_sha",
    "open_store",
]

#: The scale of both ratings, readability and correctness: 1 (worst) to 5 (best).
RATING_SCALE = range(1, 6)


class StoreError(CodekilnError):
    """The store cannot be opened, or a store URL names a backend that does not exist."""


class RatingError(StoreError, ValueError):
    """A rating is out of range or names no reviewer."""


class UnknownGeneration(StoreError, LookupError):
    """A rating names a generation the store does not hold."""


def content_sha(text: str) -> str:
    """The sha256 of ``text``'s UTF-8 bytes, in hex: the key code is stored under."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@attrs.frozen(kw_only=True)
class Generation:
    """One stored generation: what was asked, what came back, how it was judged."""

    id: str = attrs.field(factory=lambda: uuid.uuid4().hex)
    created: float = attrs.field(factory=time.time)  # unix time
    model: str  # the model's name (its directory's basename or the configured name)
    model_version: str  # a content hash of the model's weights and config, or the run's version
    arm: str | None = None  # "a"/"b" in an online A/B test, "fallback" when the fallback answered
    client: str | None = None  # sha256 of the API key (never the key itself); None without keys
    prompt: str  # the prompt text the model saw
    request: dict[str, Any] = attrs.field(factory=dict)  # the request body as received
    language: str
    problem_id: str | None = None
    code: str
    code_sha: str = attrs.field(default=attrs.Factory(lambda self: content_sha(self.code), takes_self=True))
    status: str = ""  # a VerdictStatus value; "" when the code was not verified
    passed: bool = False
    compiled: bool = False
    quality: float | None = None
    security: list[dict[str, Any]] = attrs.field(factory=list)  # the security reward's findings
    met_constraints: bool = True
    reasons: list[str] = attrs.field(factory=list)  # why the constraints were not met
    latency_s: float = 0.0
    tokens: int = 0

    @code_sha.validator
    def _code_sha_matches(self, _attribute: attrs.Attribute, value: str) -> None:
        if value != content_sha(self.code):
            raise ValueError("Generation.code_sha must be content_sha(code); leave it out to have it computed")


@attrs.frozen
class Rating:
    """One reviewer's rating of one generation, both scores on :data:`RATING_SCALE`."""

    generation_id: str
    reviewer: str
    readability: int
    correctness: int
    created: float


class GenerationStore(Protocol):
    """What the service, the review page and ``codekiln ab --from-store`` need from a store backend."""

    def add(self, generation: Generation) -> str:
        """Store ``generation`` (its code once per content); returns its id."""

    def get(self, generation_id: str) -> Generation | None:
        """The generation with this id, or None."""

    def history(self, *, limit: int | None = 50, offset: int = 0, model: str | None = None) -> list[Generation]:
        """Generations newest first, optionally of one model; ``limit=None`` reads them all."""

    def add_rating(self, generation_id: str, *, reviewer: str, readability: int, correctness: int) -> None:
        """Store a rating, replacing this reviewer's earlier rating of this generation; :class:`RatingError`
        when a score is off the scale, :class:`UnknownGeneration` when the generation is not stored."""

    def ratings(self) -> list[Rating]:
        """Every rating, at most one per generation and reviewer (the latest), oldest first."""

    def pairs_to_review(self, limit: int = 1) -> list[tuple[Generation, Generation]]:
        """Pairs of generations for the same prompt and language from different models, versions or arms,
        the least rated pairs first."""

    def close(self) -> None:
        """Release the backend; the store is unusable afterwards."""


#: Bumped when the tables change; a store written by a newer codekiln is refused rather than misread.
#: 2: one rating per generation and reviewer.
_SCHEMA_VERSION = 2

_SCHEMA = """
CREATE TABLE IF NOT EXISTS code (
    sha TEXT PRIMARY KEY,
    text TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS generations (
    id TEXT PRIMARY KEY,
    created REAL NOT NULL,
    model TEXT NOT NULL,
    model_version TEXT NOT NULL,
    arm TEXT,
    client TEXT,
    prompt TEXT NOT NULL,
    prompt_sha TEXT NOT NULL,
    request TEXT NOT NULL,
    language TEXT NOT NULL,
    problem_id TEXT,
    code_sha TEXT NOT NULL REFERENCES code(sha),
    status TEXT NOT NULL,
    passed INTEGER NOT NULL,
    compiled INTEGER NOT NULL,
    quality REAL,
    security TEXT NOT NULL,
    met_constraints INTEGER NOT NULL,
    reasons TEXT NOT NULL,
    latency_s REAL NOT NULL,
    tokens INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS generations_created ON generations(created);
CREATE INDEX IF NOT EXISTS generations_model ON generations(model, created);
CREATE INDEX IF NOT EXISTS generations_prompt ON generations(prompt_sha, language);
CREATE TABLE IF NOT EXISTS ratings (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    generation_id TEXT NOT NULL REFERENCES generations(id),
    reviewer TEXT NOT NULL,
    readability INTEGER NOT NULL CHECK (readability BETWEEN 1 AND 5),
    correctness INTEGER NOT NULL CHECK (correctness BETWEEN 1 AND 5),
    created REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS ratings_generation ON ratings(generation_id);
"""

# A reviewer rates a generation once: a repeat replaces the earlier rating, so no one weighs a model's mean by
# rating one answer many times. A store from before schema 2 may hold repeats: the latest of each is kept.
_RATINGS_ONCE = """
DELETE FROM ratings WHERE id NOT IN (SELECT MAX(id) FROM ratings GROUP BY generation_id, reviewer);
CREATE UNIQUE INDEX IF NOT EXISTS ratings_once ON ratings(generation_id, reviewer);
"""

#: The key of empty code: a generation whose code the service withheld.
_NO_CODE = content_sha("")

# The generation columns in the order _generation() reads them, the code's text last.
_COLUMNS = ("id", "created", "model", "model_version", "arm", "client", "prompt", "request", "language",
            "problem_id", "code_sha", "status", "passed", "compiled", "quality", "security", "met_constraints",
            "reasons", "latency_s", "tokens")
_SELECT = f"SELECT {', '.join('g.' + c for c in _COLUMNS)}, c.text FROM generations g JOIN code c ON c.sha = g.code_sha"


def _generation(row: tuple) -> Generation:
    values = dict(zip(_COLUMNS, row[:-1], strict=True))
    for name in ("request", "security", "reasons"):
        values[name] = json.loads(values[name])
    for name in ("passed", "compiled", "met_constraints"):
        values[name] = bool(values[name])
    return Generation(code=row[-1], **values)


class SQLiteStore:
    """The default store: one SQLite file in WAL mode, safe to share between threads."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._lock = threading.Lock()
        try:
            if self.path != ":memory:":
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, check_same_thread=False)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"cannot open the generation store {self.path}: {exc}; give a writable file path") \
                from exc
        try:
            self._setup()
        except sqlite3.Error as exc:
            self._db.close()
            raise StoreError(f"cannot open the generation store {self.path}: {exc}; "
                             "give a new path or a store codekiln wrote") from exc

    def _setup(self) -> None:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version > _SCHEMA_VERSION:
            raise sqlite3.DatabaseError(f"it has schema version {version}, this codekiln reads up to "
                                        f"{_SCHEMA_VERSION} (upgrade codekiln)")
        self._db.execute("PRAGMA journal_mode=WAL")
        # WAL with synchronous=NORMAL: a power cut may lose the last commits, never corrupt the file.
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._db.execute("PRAGMA busy_timeout=5000")  # another process (codekiln ab) may be reading
        migrate = _RATINGS_ONCE if version < 2 else ""
        self._db.executescript(f"BEGIN; {_SCHEMA} {migrate} PRAGMA user_version={_SCHEMA_VERSION}; COMMIT;")

    def add(self, generation: Generation) -> str:
        g = generation
        row = (g.id, g.created, g.model, g.model_version, g.arm, g.client, g.prompt,
               content_sha(g.prompt), json.dumps(g.request, sort_keys=True), g.language, g.problem_id, g.code_sha,
               g.status, g.passed, g.compiled, g.quality, json.dumps(g.security), g.met_constraints,
               json.dumps(g.reasons), g.latency_s, g.tokens)
        with self._lock, self._db:
            self._db.execute("INSERT OR IGNORE INTO code (sha, text) VALUES (?, ?)", (g.code_sha, g.code))
            self._db.execute(f"INSERT INTO generations ({', '.join(_COLUMNS[:7])}, prompt_sha, "
                             f"{', '.join(_COLUMNS[7:])}) VALUES ({', '.join('?' * len(row))})", row)
        return g.id

    def get(self, generation_id: str) -> Generation | None:
        with self._lock:
            row = self._db.execute(f"{_SELECT} WHERE g.id = ?", (generation_id,)).fetchone()
        return None if row is None else _generation(row)

    def history(self, *, limit: int | None = 50, offset: int = 0, model: str | None = None) -> list[Generation]:
        if (limit is not None and limit < 0) or offset < 0:
            raise ValueError(f"history needs limit >= 0 (or None for all) and offset >= 0, got {limit}, {offset}")
        where, params = ("WHERE g.model = ?", [model]) if model is not None else ("", [])
        query = f"{_SELECT} {where} ORDER BY g.created DESC, g.id LIMIT ? OFFSET ?"
        with self._lock:
            rows = self._db.execute(query, (*params, -1 if limit is None else limit, offset)).fetchall()
        return [_generation(row) for row in rows]

    def add_rating(self, generation_id: str, *, reviewer: str, readability: int, correctness: int) -> None:
        for name, score in (("readability", readability), ("correctness", correctness)):
            if isinstance(score, bool) or not isinstance(score, int) or score not in RATING_SCALE:
                raise RatingError(f"{name} must be a whole number from 1 to 5, got {score!r}")
        if not reviewer.strip():
            raise RatingError("a rating needs the reviewer's name")
        with self._lock, self._db:
            if self._db.execute("SELECT 1 FROM generations WHERE id = ?", (generation_id,)).fetchone() is None:
                raise UnknownGeneration(f"no generation {generation_id!r} in the store {self.path}")
            self._db.execute("INSERT INTO ratings (generation_id, reviewer, readability, correctness, created) "
                             "VALUES (?, ?, ?, ?, ?) ON CONFLICT (generation_id, reviewer) DO UPDATE SET "
                             "readability = excluded.readability, correctness = excluded.correctness, "
                             "created = excluded.created",
                             (generation_id, reviewer.strip(), readability, correctness, time.time()))

    def ratings(self) -> list[Rating]:
        with self._lock:
            rows = self._db.execute("SELECT generation_id, reviewer, readability, correctness, created "
                                    "FROM ratings ORDER BY created, id").fetchall()
        return [Rating(*row) for row in rows]

    def pairs_to_review(self, limit: int = 1) -> list[tuple[Generation, Generation]]:
        # Per prompt, language and source (model, version, arm), only the least rated (then newest) generation
        # is a candidate, so a prompt answered a thousand times by each arm still makes one pair at a time, not
        # a million; the pairs with the fewest ratings between them come first, then the newest. Generations
        # whose code was withheld (empty) are not shown. Ids are random, so ordering a pair by id says
        # nothing about which arm or model is first.
        query = """
            WITH rated AS (
                SELECT g.id, g.prompt_sha, g.language, g.created, COUNT(r.id) AS n,
                       g.model || char(0) || g.model_version || char(0) || IFNULL(g.arm, '') AS source
                FROM generations g LEFT JOIN ratings r ON r.generation_id = g.id
                WHERE g.code_sha != ? GROUP BY g.id),
            candidates AS (
                SELECT *, ROW_NUMBER() OVER (PARTITION BY prompt_sha, language, source
                                             ORDER BY n, created DESC) AS place
                FROM rated)
            SELECT MIN(a.id, b.id), MAX(a.id, b.id) FROM candidates a JOIN candidates b
                ON a.prompt_sha = b.prompt_sha AND a.language = b.language AND a.source < b.source
            WHERE a.place = 1 AND b.place = 1
            ORDER BY a.n + b.n, MAX(a.created, b.created) DESC LIMIT ?"""
        with self._lock:
            ids = self._db.execute(query, (_NO_CODE, limit)).fetchall()
        pairs = [(self.get(first), self.get(second)) for first, second in ids]
        return [(a, b) for a, b in pairs if a is not None and b is not None]

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> SQLiteStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")


def open_store(url_or_path: str | Path) -> GenerationStore:
    """The store at ``url_or_path``: a plain file path or ``sqlite:///PATH`` (SQLAlchemy's spelling: three
    slashes then the path, so ``sqlite:////var/lib/gen.db`` is absolute and ``sqlite:///gen.db`` relative)."""
    text = str(url_or_path)
    scheme = _SCHEME.match(text)
    if scheme is None:
        return SQLiteStore(text)
    if scheme.group(1) == "sqlite" and text.startswith("sqlite:///") and len(text) > len("sqlite:///"):
        return SQLiteStore(text[len("sqlite:///"):])
    if scheme.group(1) == "sqlite":
        raise StoreError(f"store URL {text!r} has no path; write sqlite:///PATH (sqlite:////ABSOLUTE/PATH)")
    raise StoreError(f"unknown generation store {scheme.group(1)!r} in {text!r}; available: "
                     "sqlite:///PATH or a plain file path")
