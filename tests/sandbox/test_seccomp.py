"""The ``namespaces`` level's seccomp filter: the key management calls fail with EPERM in every run, cold or
forked by a zygote, through each system call entry of the machine (on x86-64 also the i386 ``int 0x80`` and x32
ones), while the same calls work outside the sandbox (so a missing filter would show)."""

from __future__ import annotations

import ctypes
import errno
import json
import os
import shutil
import subprocess

import pytest

from codekiln.sandbox import Isolation, Limits, Zygote, available_levels, run

from .conftest import REAL_PYTHON

pytestmark = pytest.mark.skipif(available_levels()[Isolation.NAMESPACES] is not None,
                                reason="the namespaces sandbox level is unavailable here")

NUMBERS = {"x86_64": (248, 250), "aarch64": (217, 219)}.get(os.uname().machine)  # add_key, keyctl
KEYCTL_GET_KEYRING_ID, USER_KEYRING = 0, -4
# Calls add_key and keyctl(KEYCTL_GET_KEYRING_ID, @u) and prints the errno of each (0: it worked).
PROBE = f"""
import ctypes, json
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
def errno_of(*args):
    ctypes.set_errno(0)
    return 0 if libc.syscall(*args) >= 0 else ctypes.get_errno()
print(json.dumps([errno_of({NUMBERS[0] if NUMBERS else 0}, b"user", b"kiln-probe", b"x", 1, ctypes.c_long(-4)),
                  errno_of({NUMBERS[1] if NUMBERS else 0}, 0, ctypes.c_long(-4), 0)]))
"""
LIMITS = Limits(wall_time_s=10.0, cpu_time_s=5.0)
needs_numbers = pytest.mark.skipif(NUMBERS is None, reason=f"no key call numbers known for {os.uname().machine}")


def _host_keyring_works() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    assert libc.syscall(NUMBERS[1], KEYCTL_GET_KEYRING_ID, ctypes.c_long(USER_KEYRING), 0) >= 0


@needs_numbers
def test_a_cold_run_cannot_use_the_kernels_keyrings():
    _host_keyring_works()
    result = run([REAL_PYTHON, "-I", "-S", "-c", PROBE], limits=LIMITS)
    assert result.exit_code == 0, result
    assert json.loads(result.stdout) == [errno.EPERM, errno.EPERM]


@needs_numbers
def test_a_warm_run_inherits_the_filter_from_its_zygote():
    zygote = Zygote(REAL_PYTHON, "probe.py", {"probe.py": PROBE.replace("print(", "def main():\n    print(")
                                                               .replace("\nprint(json", "\n    print(json")})
    try:
        result = zygote.run(["probe.py"], files={}, limits=LIMITS, env={})
    finally:
        zygote.close()
    assert result.exit_code == 0, result
    assert json.loads(result.stdout) == [errno.EPERM, errno.EPERM]


# keyctl(KEYCTL_GET_KEYRING_ID, KEY_SPEC_USER_KEYRING) through the i386 entry (int 0x80, number 288) and the x32
# one (bit 30 set on the x86-64 number); prints each result: -errno, or a keyring id.
COMPAT = r"""
#include <stdio.h>
int main(void) {
    long i386, x32;
    __asm__ volatile ("int $0x80" : "=a"(i386) : "a"(288L), "b"(0L), "c"(-4L), "d"(0L) : "memory");
    __asm__ volatile ("syscall" : "=a"(x32) : "a"(0x40000000L | 250L), "D"(0L), "S"(-4L), "d"(0L)
                      : "rcx", "r11", "memory");
    printf("[%ld, %ld]\n", i386, x32);
    return 0;
}
"""


@pytest.mark.skipif(os.uname().machine != "x86_64" or shutil.which("gcc") is None, reason="x86-64 with gcc only")
def test_the_compatibility_entries_are_refused_too(tmp_path):
    source = tmp_path / "compat.c"
    source.write_text(COMPAT)
    subprocess.run(["gcc", "-O1", "-o", str(tmp_path / "compat"), str(source)], check=True)
    on_host = json.loads(subprocess.run([str(tmp_path / "compat")], capture_output=True, check=True).stdout)
    result = run(["/lib64/ld-linux-x86-64.so.2", "./compat"], files={"compat": (tmp_path / "compat").read_bytes()},
                 limits=LIMITS)
    assert result.exit_code == 0, result
    # On the host each entry gives a keyring id, or ENOSYS where the kernel lacks it (IA32 emulation, the x32
    # ABI); in the sandbox the filter refuses both before the kernel looks (every x32 call has bit 30 set).
    assert all(host >= 0 or host == -errno.ENOSYS for host in on_host), on_host
    assert json.loads(result.stdout) == [-errno.EPERM, -errno.EPERM], on_host
