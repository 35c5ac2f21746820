"""The JDK: where it is, the JVM options of every run, and the build products made once per machine.

- :func:`find_jdk` looks in ``CODEKILN_JAVA_HOME``, then ``JAVA_HOME``, then at the ``javac`` on the
  system path, and keeps the first home that holds both ``bin/javac`` and ``bin/java``.
- :func:`runtime_jar` is ``kiln.jar``: the harness runtime (``runtime/kiln/*.java``) and the tuple classes
  (:mod:`codekiln_java.tuples`), compiled once with this JDK. It goes into the sandbox beside each
  sample's classes.
- :func:`javac_archive` is a CDS archive of the classes ``javac`` loads (``-XX:ArchiveClassesAtExit``):
  with it ``javac`` starts about a third faster (0.38 s to 0.25 s for a small file here).
- :func:`launch_archive` is a CDS archive of the classes a JVM started ahead of its sample loads while it
  waits (``kiln.Launch``: the harness runtime and the JDK classes it uses), with the cached ``kiln.jar`` it
  was made against (a CDS archive holds only for the very jar file it was dumped with, so the runs use that
  file, read-only, rather than a copy).

Both are built outside the sandbox, from our own sources only, and cached in codekiln's cache
(:func:`codekiln.cache.cache_dir`) under ``java/``, named by a hash of what went into
them, so every worker process and every later run reuses them. Where the cache cannot be written they are
rebuilt in memory per process (the jar) or done without (the archive).
"""

from __future__ import annotations

import functools
import hashlib
import io
import os
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path

import attrs

from codekiln.cache import cache_dir

from .tuples import tuple_sources

__all__ = ["JVM_OPTIONS", "MIN_MAJOR", "Jdk", "find_jdk", "javac_archive", "launch_archive", "runtime_jar"]

#: The oldest JDK accepted: records, switch expressions, text blocks and ``var`` are all in 17.
MIN_MAJOR = 17

#: Options for every JVM started per sample: a small heap and short runs, so the serial collector,
#: the C1 compiler only, class data sharing, and no hsperfdata file in /tmp.
JVM_OPTIONS = ("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto", "-XX:-UsePerfData")

_RUNTIME = Path(__file__).parent / "runtime"
_SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
_BUILD_TIMEOUT_S = 300


@attrs.frozen
class Jdk:
    home: str
    #: ``JAVA_VERSION`` of the home's ``release`` file (or ``java -version``), e.g. "17.0.15".
    version: str
    #: The exact build (``JAVA_RUNTIME_VERSION``), which a CDS archive must match.
    build: str
    implementor: str = ""

    @property
    def javac(self) -> str:
        return os.path.join(self.home, "bin", "javac")

    @property
    def java(self) -> str:
        return os.path.join(self.home, "bin", "java")

    @property
    def major(self) -> int:
        first = self.version.split(".")[0]
        return int(first) if first.isdigit() else 0

    @property
    def ro_paths(self) -> tuple[str, ...]:
        """What the sandbox must show read-only for this JDK to run (nothing for a JDK under /usr)."""
        return () if self.home.startswith("/usr/") else (self.home,)


def find_jdk() -> Jdk | None:
    """The JDK to use, or None when no candidate home holds both ``javac`` and ``java``."""
    candidates = [os.environ.get("CODEKILN_JAVA_HOME"), os.environ.get("JAVA_HOME")]
    javac = shutil.which("javac", path=_SYSTEM_PATH)
    if javac:
        candidates.append(str(Path(os.path.realpath(javac)).parent.parent))
    for home in candidates:
        if home:
            jdk = _jdk_at(os.path.realpath(home))
            if jdk is not None:
                return jdk
    return None


@functools.cache
def _jdk_at(home: str) -> Jdk | None:
    if not all(os.access(os.path.join(home, "bin", tool), os.X_OK) for tool in ("javac", "java")):
        return None
    release = _release(home)
    version = release.get("JAVA_VERSION") or _version_from_java(home)
    if not version:
        return None
    return Jdk(home, version, release.get("JAVA_RUNTIME_VERSION", version), release.get("IMPLEMENTOR", ""))


def _release(home: str) -> dict[str, str]:
    try:
        text = Path(home, "release").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return {}
    pairs = (line.partition("=") for line in text.splitlines())
    return {key.strip(): value.strip().strip('"') for key, sep, value in pairs if sep}


def _version_from_java(home: str) -> str | None:
    try:
        banner = subprocess.run([os.path.join(home, "bin", "java"), "-version"], capture_output=True, text=True,
                                timeout=30).stderr
    except (OSError, subprocess.TimeoutExpired):
        return None
    # openjdk version "17.0.15" 2025-04-15
    first = banner.partition("\n")[0]
    return first.split('"')[1] if first.count('"') >= 2 else None


# -- build products -----------------------------------------------------------------------------------------


def _runtime_sources() -> dict[str, str]:
    sources = {str(path.relative_to(_RUNTIME)): path.read_text(encoding="utf-8")
               for path in sorted(_RUNTIME.rglob("*.java"))}
    return {**sources, **tuple_sources()}


def _cache_dir() -> Path:
    return cache_dir() / "java"


def _key(jdk: Jdk, *parts: str) -> str:
    digest = hashlib.sha256("\0".join([jdk.home, jdk.build, *JVM_OPTIONS, *parts]).encode())
    return digest.hexdigest()[:16]


def _store(path: Path, write) -> bool:
    """Write ``path`` through ``write(temporary_path)`` and rename it into place; False if impossible."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=path.parent) as folder:
            temporary = Path(folder, path.name)
            write(temporary)
            temporary.chmod(0o644)  # the sandbox's unprivileged uid reads it
            os.replace(temporary, path)
        return True
    except (OSError, subprocess.SubprocessError):
        return False


def _runtime_jar_path(jdk: Jdk) -> Path:
    return _cache_dir() / f"kiln-{_key(jdk, *_runtime_sources().values())}.jar"


@functools.cache
def runtime_jar(jdk: Jdk) -> bytes:
    """``kiln.jar``, from the cache or compiled now (a few hundred ms). Raises if javac fails."""
    sources = _runtime_sources()
    path = _runtime_jar_path(jdk)
    try:
        return path.read_bytes()
    except OSError:
        pass
    jar = _compile_runtime(jdk, sources)
    _store(path, lambda temporary: temporary.write_bytes(jar))
    return jar


def _compile_runtime(jdk: Jdk, sources: dict[str, str]) -> bytes:
    with tempfile.TemporaryDirectory(prefix="codekiln-java-") as folder:
        root = Path(folder)
        for name, text in sources.items():
            (root / "src" / name).parent.mkdir(parents=True, exist_ok=True)
            (root / "src" / name).write_text(text, encoding="utf-8")
        command = [jdk.javac, *(f"-J{option}" for option in JVM_OPTIONS), "-encoding", "UTF-8", "-proc:none",
                   "-d", str(root / "classes"), *(str(root / "src" / n) for n in sources)]
        done = subprocess.run(command, capture_output=True, text=True, timeout=_BUILD_TIMEOUT_S)
        if done.returncode != 0:
            raise RuntimeError(f"compiling the Java harness runtime failed: {done.stderr.strip()[-2000:]}")
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as jar:
            for file in sorted((root / "classes").rglob("*.class")):
                jar.write(file, str(file.relative_to(root / "classes")))
        return buffer.getvalue()


#: What the archive is dumped from: a solution and a harness exercising generics, lambdas and streams, so
#: that the classes javac loads for typical code are in it.
_SAMPLE_SOLUTION = """\
import java.util.*;
import java.util.stream.*;

class Solution {
    record Item(String name, long score) {}

    public static List<org.javatuples.Pair<String, Long>> rank(List<org.javatuples.Pair<String, Long>> rows) {
        Map<String, Long> best = new HashMap<>();
        for (var row : rows) best.merge(row.getValue0(), row.getValue1(), Math::max);
        return best.entrySet().stream()
            .map(e -> new Item(e.getKey(), e.getValue()))
            .sorted(Comparator.comparingLong(Item::score).reversed().thenComparing(Item::name))
            .map(i -> org.javatuples.Pair.with(i.name(), i.score()))
            .collect(Collectors.toList());
    }
}
"""
_SAMPLE_HARNESS = """\
final class KilnMain {
    @SuppressWarnings("unchecked")
    private static Object call(Object[] a) throws Throwable {
        return Solution.rank((java.util.List<org.javatuples.Pair<String, Long>>) a[0]);
    }

    public static void main(String[] args) throws Exception {
        kiln.Harness.run(new String[] {"list[tuple[str, int]]"}, KilnMain::call, args);
    }
}
"""


@functools.cache
def javac_archive(jdk: Jdk) -> str | None:
    """The path of the CDS archive for ``javac`` (dumped now if missing), or None where it cannot be made."""
    jar = runtime_jar(jdk)
    path = _cache_dir() / f"javac-{_key(jdk, 'javac')}.jsa"
    if path.is_file():
        return str(path)

    def dump(temporary: Path) -> None:
        with tempfile.TemporaryDirectory(prefix="codekiln-java-") as folder:
            work = Path(folder)
            (work / "kiln.jar").write_bytes(jar)
            (work / "Solution.java").write_text(_SAMPLE_SOLUTION, encoding="utf-8")
            (work / "KilnMain.java").write_text(_SAMPLE_HARNESS, encoding="utf-8")
            command = [jdk.javac, *(f"-J{option}" for option in JVM_OPTIONS), f"-J-XX:ArchiveClassesAtExit={temporary}",
                       "-encoding", "UTF-8", "-Xlint:all", "-proc:none", "-cp", "kiln.jar", "-d", "out",
                       "Solution.java", "KilnMain.java"]
            subprocess.run(command, cwd=work, capture_output=True, timeout=_BUILD_TIMEOUT_S, check=True)
            if not temporary.is_file():
                raise OSError("javac wrote no CDS archive")

    return str(path) if _store(path, dump) else None


@functools.cache
def launch_archive(jdk: Jdk) -> tuple[str, str] | None:
    """The CDS archive for ``kiln.Launch`` (dumped now if missing) and the path of the cached ``kiln.jar`` it
    holds for, or None where either cannot be made (then runs copy kiln.jar and use the JDK's own archive)."""
    runtime_jar(jdk)
    jar = _runtime_jar_path(jdk)
    path = _cache_dir() / f"launch-{jar.stem}.jsa"
    if path.is_file():
        return str(path), str(jar)
    if not jar.is_file():
        return None

    def dump(temporary: Path) -> None:
        # The class path as the runs give it: "." (the work dir; empty when dumped, as CDS requires) and the
        # jar. With nothing on stdin, kiln.Launch loads the harness, finds no sample and exits: then it dumps.
        with tempfile.TemporaryDirectory(prefix="codekiln-java-") as folder:
            subprocess.run([jdk.java, *JVM_OPTIONS, f"-XX:ArchiveClassesAtExit={temporary}", "-cp", f".:{jar}",
                            "kiln.Launch", "KilnMain"], cwd=folder, stdin=subprocess.DEVNULL, capture_output=True,
                           timeout=_BUILD_TIMEOUT_S)

    return (str(path), str(jar)) if _store(path, dump) else None  # no archive written: _store says False
