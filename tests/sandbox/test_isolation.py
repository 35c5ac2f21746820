"""What the command can see and reach: its environment, its uid and session, and at ``namespaces`` the
network, other processes, the filesystem and IPC."""

from __future__ import annotations

import ctypes
import json
import os
import socket

import pytest

import codekiln.errors
from codekiln.sandbox import Isolation, Limits, run

from .conftest import ISOLATED, python_for, token

SECRET = "codekiln-test-secret-value"


@pytest.mark.parametrize("level", list(Isolation))
def test_only_the_given_environment_is_seen(level, monkeypatch):
    monkeypatch.setenv("CODEKILN_TEST_SECRET", SECRET)
    code = "import json, os; print(json.dumps(dict(os.environ)))"
    result = run([python_for(level), "-I", "-c", code], env={"GREETING": "hi"}, isolation=level)
    environment = json.loads(result.stdout)
    environment.pop("PWD", None)  # set by the shell-like launchers, harmless
    home = "/sandbox" if level is Isolation.NAMESPACES else environment["HOME"]
    assert environment == {"GREETING": "hi", "PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": home,
                           "LANG": "C.UTF-8"}


@pytest.mark.parametrize("level", ISOLATED)
def test_the_callers_environment_cannot_be_read_through_proc(level, monkeypatch):
    monkeypatch.setenv("CODEKILN_TEST_SECRET", SECRET)
    code = """
import os, sys
for pid in (os.getppid(), int(sys.argv[1])):
    try:
        with open(f"/proc/{pid}/environ", "rb") as file:
            print(pid, file.read())
    except OSError as error:
        print(pid, "refused", error.errno)
"""
    result = run([python_for(level), "-I", "-c", code, str(os.getpid())], isolation=level)
    assert result.exit_code == 0, result.stderr
    assert SECRET.encode() not in result.stdout
    assert b"refused" in result.stdout


@pytest.mark.parametrize("level", ISOLATED)
def test_runs_as_an_unprivileged_uid_in_its_own_session(level):
    code = "import os; print(os.getuid(), os.geteuid(), os.getgid(), os.getgroups(), os.getsid(0), " \
           "os.getpid())"
    result = run([python_for(level), "-I", "-c", code], isolation=level)
    uid, euid, gid, groups, sid, pid = result.stdout.decode().replace("[]", "-").split()
    assert 61000 <= int(uid) < 62000 and uid == euid == gid
    assert groups == "-"
    # At ``namespaces`` the session is the sandbox's pid 1's; at ``process`` the command leads its own.
    assert int(sid) == (1 if level is Isolation.NAMESPACES else int(pid))


@pytest.mark.parametrize("level", ISOLATED)
def test_no_capabilities_and_no_new_privileges(level):
    result = run(["grep", "-E", "^(Cap|NoNewPrivs)", "/proc/self/status"], isolation=level)
    fields = dict(line.split(":\t") for line in result.stdout.decode().splitlines())
    assert fields.pop("NoNewPrivs") == "1"  # a setuid program cannot give privileges back
    assert set(fields.values()) == {"0000000000000000"}


def test_none_level_runs_in_its_own_session_and_process_group():
    code = "import os; print(os.getsid(0) == os.getpgid(0) == os.getpid())"
    result = run([python_for(Isolation.NONE), "-I", "-c", code], isolation="none")
    assert result.stdout == b"True\n"


@pytest.mark.parametrize("level", ISOLATED)
def test_the_caller_cannot_be_signalled(level):
    code = """
import os, sys
for pid in (os.getppid(), int(sys.argv[1])):
    try:
        os.kill(pid, 9)
        print(pid, "sent")
    except OSError as error:
        print(pid, "refused", error.errno)
print("still alive")
"""
    result = run([python_for(level), "-I", "-c", code, str(os.getpid())], isolation=level)
    assert result.stdout.endswith(b"still alive\n")
    if level is Isolation.PROCESS:
        assert result.stdout.count(b"refused 1") == 2  # EPERM: the caller runs as root
    else:
        # pid 1 of the namespace ignores signals from inside it, and the caller's pid does not exist there.
        assert result.stdout.startswith(b"1 sent\n")
        assert f"{os.getpid()} refused 3".encode() in result.stdout  # ESRCH


def test_namespaces_show_only_the_sandbox_processes():
    code = "import os; print(sorted(int(p) for p in os.listdir('/proc') if p.isdigit()))"
    result = run([python_for(Isolation.NAMESPACES), "-I", "-c", code], isolation="namespaces")
    assert result.stdout == b"[1, 2]\n"


def test_namespaces_have_no_network():
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    port = server.getsockname()[1]
    code = f"""
import socket
try:
    socket.create_connection(("127.0.0.1", {port}), timeout=2)
    print("connected")
except OSError as error:
    print("failed", error.errno)
try:
    socket.getaddrinfo("example.com", 80)
    print("resolved")
except OSError:
    print("no dns")
"""
    with server:
        result = run([python_for(Isolation.NAMESPACES), "-I", "-c", code], isolation="namespaces")
        with pytest.raises(TimeoutError):
            server.accept()
    assert result.stdout.startswith(b"failed")
    assert result.stdout.endswith(b"no dns\n")


def test_namespaces_hide_the_host_filesystem():
    project_file = os.path.realpath(codekiln.errors.__file__)
    escape = f"/tmp/{token()}"
    code = f"""
import os
for path in ({project_file!r}, "/root/.bashrc", "/work", "/home"):
    print(path, "visible" if os.path.exists(path) else "hidden")
for path in ({escape!r}, "/sandbox/ok"):
    open(path, "w").write("x")
    print(path, "written")
for path in ("/usr/escape", "/etc/escape", "/escape", "/dev/escape"):
    try:
        open(path, "w")
        print(path, "written")
    except OSError:
        print(path, "refused")
"""
    result = run([python_for(Isolation.NAMESPACES), "-I", "-c", code], isolation="namespaces")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.decode().splitlines()
    assert lines[:4] == [f"{project_file} hidden", "/root/.bashrc hidden", "/work hidden", "/home hidden"]
    assert lines[4:6] == [f"{escape} written", "/sandbox/ok written"]
    assert all(line.endswith("refused") for line in lines[6:])
    assert not os.path.exists(escape)  # it went to the sandbox's own /tmp


def test_namespaces_scratch_space_is_bounded():
    code = "f = open('/tmp/fill', 'wb')\nfor _ in range(40): f.write(b'x' * 1024 ** 2); f.flush()"
    result = run([python_for(Isolation.NAMESPACES), "-I", "-c", code], isolation="namespaces",
                 limits=Limits(memory_mb=32, memory_kind="data", file_size_mb=64))
    assert result.exit_code == 1
    assert b"No space left on device" in result.stderr


def test_namespaces_have_their_own_ipc_and_hostname():
    libc = ctypes.CDLL(None, use_errno=True)
    host_key = int.from_bytes(os.urandom(3), "big") + 1
    host_segment = libc.shmget(host_key, 4096, 0o1600)  # IPC_CREAT | 0600
    assert host_segment >= 0
    try:
        code = """
import ctypes, socket
libc = ctypes.CDLL(None, use_errno=True)
print(socket.gethostname(), libc.shmget(424242, 4096, 0o1600) >= 0)
print(open("/proc/sysvipc/shm").read())
"""
        result = run([python_for(Isolation.NAMESPACES), "-I", "-c", code], isolation="namespaces")
        with open("/proc/sysvipc/shm") as file:
            host_listing = file.read()
    finally:
        libc.shmctl(host_segment, 0, None)  # IPC_RMID
    first, listing = result.stdout.decode().split("\n", 1)
    assert first == "sandbox True"
    keys_inside = [line.split()[0] for line in listing.splitlines()[1:] if line.strip()]
    assert keys_inside == ["424242"]  # its own segment only; the host's is not there
    assert str(host_key) in host_listing and " 424242 " not in host_listing


def test_ro_paths_are_visible_read_only_even_below_a_closed_directory(tmp_path):
    # pytest's tmp_path lies below a mode-700 directory of root that the run's uid could not enter.
    tool = tmp_path / "tool"
    (tool / "bin").mkdir(parents=True)
    script = '#!/bin/sh\necho hello from $0\ntouch "$0" 2>/dev/null || echo read-only\n'
    (tool / "bin" / "hello").write_text(script)
    (tool / "bin" / "hello").chmod(0o755)
    (tmp_path / "secret").write_text("not for the sandbox")
    argv = [str(tool / "bin" / "hello")]
    result = run(argv, ro_paths=[str(tool)], isolation="namespaces")
    assert result.stdout == f"hello from {argv[0]}\nread-only\n".encode()
    result = run(["cat", str(tmp_path / "secret")], ro_paths=[str(tool)], isolation="namespaces")
    assert result.exit_code == 1 and b"No such file or directory" in result.stderr
