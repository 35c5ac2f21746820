"""The seccomp filter of the ``namespaces`` level: the kernel's key management calls fail with EPERM.

Keyrings are not namespaced by pid, mount or IPC namespace, only by user namespace and uid, and the sandbox's
uids live in the host's user namespace. Without the filter a run can store a key that every uid may read
(``add_key`` with ``KEYCTL_SETPERM``), and a later run, under another uid and in another sandbox, reads it back:
a correct answer's results memorised for a wrong one, and keys left in the host kernel after the run. No
program codekiln runs needs a keyring, so ``add_key``, ``request_key`` and ``keyctl`` are refused, as Docker's
default profile refuses them.

bubblewrap loads the filter (``--seccomp FD``) just before it executes the command, and every process of the
run inherits it across fork and exec; a zygote started by bubblewrap passes it on to every run it forks. The
filter is a classic BPF program (``struct sock_filter`` records) that checks the call's architecture first: on
x86-64 the i386 compatibility calls (``int 0x80``) have numbers of their own, and the x32 calls share the
native numbers with bit 30 set, so each is checked as such.
"""

from __future__ import annotations

import errno
import functools
import os
import struct

# <linux/filter.h>, <linux/seccomp.h>, <linux/audit.h>
_LD_W_ABS = 0x20  # BPF_LD | BPF_W | BPF_ABS: load a 32-bit word of struct seccomp_data
_JEQ_K = 0x15  # BPF_JMP | BPF_JEQ | BPF_K
_JSET_K = 0x45  # BPF_JMP | BPF_JSET | BPF_K
_RET_K = 0x06  # BPF_RET | BPF_K
_NR, _ARCH = 0, 4  # offsets in struct seccomp_data
_ALLOW = 0x7FFF0000  # SECCOMP_RET_ALLOW
_DENY = 0x00050000 | errno.EPERM  # SECCOMP_RET_ERRNO
_X32_BIT = 0x40000000

#: Per machine: (audit arch, the numbers of add_key, request_key and keyctl, whether x32 calls exist there).
_ARCHES = {
    "x86_64": ((0xC000003E, (248, 249, 250), True), (0x40000003, (286, 287, 288), False)),  # x86-64, i386
    "aarch64": ((0xC00000B7, (217, 218, 219), False), (0x40000028, (309, 310, 311), False)),  # arm64, arm
}


@functools.cache
def program() -> bytes:
    """The filter for this machine, as bubblewrap reads it; empty where codekiln does not know the numbers."""
    arches = _ARCHES.get(os.uname().machine)
    if arches is None:
        return b""
    code: list[tuple[int, int, int, int]] = []
    denies: list[int] = []  # indexes of jumps to the final deny, resolved once its place is known
    for arch, numbers, x32 in arches:
        body: list[tuple[int, int, int, int]] = [(_LD_W_ABS, 0, 0, _NR)]
        if x32:
            body.append((_JSET_K, 0, 0, _X32_BIT))
        body += [(_JEQ_K, 0, 0, number) for number in numbers]
        body.append((_RET_K, 0, 0, _ALLOW))
        code += [(_LD_W_ABS, 0, 0, _ARCH), (_JEQ_K, 0, len(body), arch)]  # another arch: skip this body
        start = len(code)
        code += body
        denies += [start + i for i, (op, *_rest) in enumerate(body) if op in (_JEQ_K, _JSET_K)]
    code.append((_RET_K, 0, 0, _ALLOW))  # an arch not listed: nothing to refuse there
    deny_at = len(code)
    code.append((_RET_K, 0, 0, _DENY))
    for at in denies:
        op, _, jf, k = code[at]
        code[at] = (op, deny_at - at - 1, jf, k)  # jt: on a match (or the x32 bit set), to the deny
    return b"".join(struct.pack("=HBBI", *instruction) for instruction in code)


def filter_fd() -> int | None:
    """A descriptor to read the filter from (``bwrap --seccomp``), which the caller passes on and closes; None
    where there is no filter for this machine."""
    if not program():
        return None
    read_end, write_end = os.pipe()
    try:
        os.write(write_end, program())  # a few hundred bytes: far below a pipe's buffer
    finally:
        os.close(write_end)
    return read_end
