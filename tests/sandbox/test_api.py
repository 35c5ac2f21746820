"""The API's contract: levels, refusal instead of downgrade, input validation, files in and out, stdin."""

from __future__ import annotations

import os

import pytest

from codekiln.errors import CodekilnError, IsolationUnavailable
from codekiln.sandbox import Isolation, Limits, SandboxError, _tools, available_levels, check_level, run

from .conftest import ISOLATED, python_for


def test_every_level_is_available_on_this_machine():
    assert available_levels() == {level: None for level in Isolation}


@pytest.mark.parametrize("text", ["none", "process", "namespaces"])
def test_check_level_accepts_the_strings_users_type(text):
    assert check_level(text) is Isolation(text)


def test_an_unknown_level_is_one_clear_line():
    with pytest.raises(SandboxError) as caught:
        check_level("vm")
    assert str(caught.value) == "sandbox: unknown isolation level 'vm'; available: none, process, namespaces"
    assert isinstance(caught.value, CodekilnError)


@pytest.fixture
def without_bwrap(monkeypatch):
    monkeypatch.setattr(_tools, "BWRAP", "/nonexistent/bwrap")
    available_levels.cache_clear()
    yield
    available_levels.cache_clear()


def test_a_level_the_machine_cannot_give_is_refused_not_weakened(without_bwrap):
    reason = available_levels()[Isolation.NAMESPACES]
    assert reason == ("sandbox level 'namespaces' needs bwrap (/nonexistent/bwrap not found); "
                      "install it: apt-get install bubblewrap")
    with pytest.raises(IsolationUnavailable, match="apt-get install bubblewrap"):
        check_level("namespaces")
    with pytest.raises(IsolationUnavailable):
        run(["true"], isolation="namespaces")
    assert check_level("process") is Isolation.PROCESS


@pytest.mark.parametrize("path", ["/etc/passwd", "../x", "a/../../x", "", ".", "a/\0"])
def test_file_paths_must_stay_inside_the_work_dir(path):
    with pytest.raises(SandboxError) as caught:
        run(["true"], files={path: "x"}, isolation="none")
    assert str(caught.value) == (f"sandbox: file path {path!r} must be relative and stay inside the "
                                 "work directory")


def test_collect_paths_are_checked_before_running():
    with pytest.raises(SandboxError, match="must be relative"):
        run(["true"], collect=["../../etc/passwd"], isolation="none")


def test_a_program_outside_the_sandbox_view_is_a_clear_error():
    with pytest.raises(SandboxError, match="'/opt/tool/bin/x' is not visible inside the sandbox"):
        run(["/opt/tool/bin/x"], isolation="namespaces")


def test_ro_paths_must_exist():
    with pytest.raises(SandboxError, match="ro_path '/no/such/prefix' must be an absolute path that exists"):
        run(["true"], ro_paths=["/no/such/prefix"], isolation="namespaces")


def test_limits_reject_nonsense():
    with pytest.raises(ValueError):
        Limits(wall_time_s=0)
    with pytest.raises(ValueError):
        Limits(memory_kind="rss")


@pytest.mark.parametrize("level", list(Isolation))
def test_files_go_in_and_collected_files_come_out(level):
    python = python_for(level)
    code = "import pathlib; p = pathlib.Path('out/result.txt'); p.parent.mkdir(); " \
           "p.write_text(pathlib.Path('in/data.txt').read_text().upper())"
    result = run([python, "-I", "-c", code], files={"in/data.txt": "hello", "in/raw.bin": b"\x00\x01"},
                 collect=["out/result.txt", "in/raw.bin", "missing.txt"], isolation=level)
    assert result.exit_code == 0, result.stderr
    assert result.files == {"out/result.txt": b"HELLO", "in/raw.bin": b"\x00\x01"}


@pytest.mark.parametrize("level", ISOLATED)
def test_collect_follows_no_symlink_and_opens_no_fifo(level):
    script = "ln -s /etc/passwd link; mkfifo fifo; mkdir d; ln -s /etc d/inner; head -c 5000 /dev/zero > big"
    result = run(["sh", "-c", script], limits=Limits(output_bytes=1000), isolation=level,
                 collect=["link", "fifo", "d/inner/passwd", "big"])
    assert result.exit_code == 0, result.stderr
    assert result.files == {"big": bytes(1000)}


@pytest.mark.parametrize("level", list(Isolation))
def test_large_stdin_is_fed_while_output_is_drained(level):
    data = os.urandom(3 * 1024 * 1024)
    result = run(["cat"], stdin=data, limits=Limits(output_bytes=4 * 1024 * 1024), isolation=level)
    assert result.exit_code == 0
    assert result.stdout == data


@pytest.mark.parametrize("level", ISOLATED)
def test_exit_codes_and_signals_are_reported(level):
    assert run(["sh", "-c", "exit 3"], isolation=level).exit_code == 3
    killed = run(["sh", "-c", "kill -TERM $$"], isolation=level)
    assert (killed.exit_code, killed.signal) == (None, 15)
    missing = run(["no-such-program"], isolation=level)
    assert missing.exit_code == 127
    assert b"no-such-program" in missing.stderr
