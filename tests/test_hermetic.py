"""Hermetic tests: every cache lies below the one directory made for this test session (see codekiln.testing).

A cache left by an older version in ``~/.cache`` or ``/tmp`` once made a test pass only on a used machine;
here verifying C++ and Java from a cold cache must write nothing outside the session's directory.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import pytest

from codekiln.cache import CACHE_ENV, cache_dir, hermetic_environment

PROJECT = Path(__file__).resolve().parents[1]

# Verifies one C++ and one Java sample in a process of its own, so that nothing built earlier in this test
# process (a jar kept in memory, a PCH path remembered) stands in for the cold cache.
_VERIFY = textwrap.dedent("""
    from codekiln.plugins import make_plugins
    from codekiln.testing import CONFORMANCE_PROBLEM
    from codekiln.verifier import Sample, Verifier
    answers = {
        "cpp": "long long add(long long a, long long b) { return a + b; }\\n",
        "java": "class Solution { public static long add(long a, long b) { return a + b; } }\\n",
    }
    with Verifier(make_plugins(), isolation="namespaces", workers=1, cache=False) as verifier:
        verdicts = verifier.verify_batch([Sample(CONFORMANCE_PROBLEM, code, lang) for lang, code in answers.items()])
    print([verdict.status.value for verdict in verdicts])
""")

# Runs _VERIFY in a mount namespace of its own with an empty /tmp, where only the session directory is
# bound back in (through a descriptor opened before /tmp was covered): whatever is left in that /tmp
# afterwards was written there by the run, and the other processes of this busy machine add nothing to it.
_PRIVATE_TMP = """
set -e
exec 9<"$SESSION"
mount -t tmpfs -o mode=1777 codekiln-hermetic /tmp
mkdir -p "$SESSION"
mount --no-canonicalize --bind /proc/self/fd/9 "$SESSION"
exec 9<&-
"$PYTHON" -c "$VERIFY"
echo LEFT-IN-TMP
find /tmp -mindepth 1 -path "$SESSION" -prune -o -print
"""


def _session_root() -> Path:
    return Path(os.environ[CACHE_ENV]).parent


def _tree(root: Path, skip: tuple[str, ...] = ()) -> set[str]:
    """Every path below ``root`` (directories skipped by name) and its mtime."""
    found = set()
    for directory, subdirs, files in os.walk(root):
        subdirs[:] = [name for name in subdirs if name not in skip and not name.startswith(".venv")]
        for name in (*subdirs, *files):
            path = os.path.join(directory, name)
            try:
                found.add((path, os.lstat(path).st_mtime))
            except FileNotFoundError:
                continue
    return found


def _names(root: Path) -> set[str]:
    return {entry.path for entry in os.scandir(root)} if root.is_dir() else set()


def test_every_cache_is_below_the_session_directory():
    root = _session_root()
    assert root.name.startswith("codekiln-test-session-")
    assert dict(os.environ) | hermetic_environment(root) == dict(os.environ)
    assert cache_dir() == root / "codekiln"
    from codekiln.config import ModelConfig

    assert ModelConfig().cache_dir == str(root / "codekiln")
    # Subprocesses inherit it.
    probe = "import os; from codekiln.cache import cache_dir; print(cache_dir(), os.environ['HF_HOME'])"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.split() == [str(root / "codekiln"), str(root / "huggingface")]


def test_cache_dir_order(monkeypatch, tmp_path):
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "explicit"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "explicit"
    monkeypatch.delenv(CACHE_ENV)
    assert cache_dir() == tmp_path / "xdg" / "codekiln"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_dir() == tmp_path / "home" / ".cache" / "codekiln"


@pytest.mark.parametrize("language", ["cpp", "java"])
def test_language_caches_follow_cache_dir(monkeypatch, tmp_path, language):
    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    if language == "cpp":
        build = pytest.importorskip("codekiln_cpp.build")
        assert build.cache_dir() == str(tmp_path / "cpp")
    else:
        jdk = pytest.importorskip("codekiln_java.jdk")
        assert jdk._cache_dir() == tmp_path / "java"


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root: a private /tmp (unshare --mount) and the namespaces sandbox")
def test_cold_verify_writes_nothing_outside_the_session_directory():
    pytest.importorskip("codekiln_cpp")
    pytest.importorskip("codekiln_java")
    session = _session_root()
    cold = session / f"cold-{uuid.uuid4().hex}"
    home = Path.home()
    home_cache = _tree(home / ".cache" / "codekiln")
    # New paths only: the other engineers of a shared working tree edit its files meanwhile.
    project = {path for path, _ in _tree(PROJECT, skip=(".git", "__pycache__"))}
    homes = _names(home) | _names(home / ".cache")
    env = {**os.environ, CACHE_ENV: str(cold), "SESSION": str(session), "PYTHON": sys.executable,
           "VERIFY": _VERIFY}
    result = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", _PRIVATE_TMP],
                            capture_output=True, text=True, env=env, cwd=PROJECT, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    verdicts, left_in_tmp = result.stdout.split("LEFT-IN-TMP\n")
    assert verdicts.splitlines()[-1] == "['passed', 'passed']", result.stdout
    assert left_in_tmp.split() == []
    assert _tree(home / ".cache" / "codekiln") == home_cache
    assert (_names(home) | _names(home / ".cache")) - homes == set()
    # The interpreter's bytecode of the project's own sources is no cache of codekiln's.
    assert {path for path, _ in _tree(PROJECT, skip=(".git", "__pycache__"))} - project == set()
    # And the caches really were built there, from cold.
    assert any((cold / "cpp").iterdir()) and any((cold / "java").iterdir())
