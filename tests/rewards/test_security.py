"""The ``security`` reward in every language, against values worked out by hand (penalties high 0.5,
medium 0.25, low 0.1 per finding, floored at 0)."""

from __future__ import annotations

import pickle

import pytest

from codekiln.builtin.rewards.security import SecurityReward
from codekiln.errors import RegistryError
from codekiln.plugins import make_plugins
from codekiln.problem import Problem
from codekiln.verdict import Verdict, VerdictStatus

from .session import bound

# (code, expected value, expected details) per language and case.
CASES = {
    "python": {
        "clean": ("def add(a, b):\n    assert a >= 0\n    return a + b\n", 1.0, {"security/findings": 0.0}),
        # B404 (import subprocess, low) + B602 (shell=True, high): 1 - 0.1 - 0.5; the nosec comment is the
        # model's own and silences nothing.
        "shell": ("import subprocess\ndef run(cmd):\n    subprocess.call(cmd, shell=True)  # nosec\n", 0.4,
                  {"security/findings": 2.0, "security/B404": 1.0, "security/B602": 1.0}),
        # B307 eval (medium) twice + B102 exec (medium): 1 - 3 * 0.25
        "eval": ("def f(s):\n    eval(s)\n    eval(s)\n    exec(s)\n", 0.25,
                 {"security/findings": 3.0, "security/B307": 2.0, "security/B102": 1.0}),
    },
    "javascript": {
        "clean": ("function add(a, b) {\n  return a + b;\n}\n", 1.0, {"security/findings": 0.0}),
        # require('child_process') (high) + eval (high): 1 - 1.0
        "spawn": ('const cp = require("child_process");\nfunction run(c) { cp.exec(c); return eval(c); }\n', 0.0,
                  {"security/findings": 2.0, "security/process_spawn": 1.0, "security/eval": 1.0}),
        # fs.unlinkSync (medium): 1 - 0.25
        "delete": ('const fs = require("fs");\nfs.unlinkSync("/tmp/x");\n', 0.75,
                   {"security/findings": 1.0, "security/file_delete": 1.0}),
        # new Function (high), import from node:child_process (high), fs.rmSync (medium): floored at 0
        "many": ('import { spawn } from "node:child_process";\nconst f = new Function("return 1");\n'
                 'fs.rmSync("d", { recursive: true });\n', 0.0,
                 {"security/findings": 3.0, "security/process_spawn": 1.0, "security/eval": 1.0,
                  "security/file_delete": 1.0}),
    },
    "java": {
        "clean": ("class Solution {\n  static int add(int a, int b) { return a + b; }\n}\n", 1.0,
                  {"security/findings": 0.0}),
        # Runtime.getRuntime().exec (high) + Files.delete (medium): 1 - 0.75
        "exec": ("class Solution {\n  static void f(java.nio.file.Path p) throws Exception {\n"
                 '    Runtime.getRuntime().exec("ls");\n    java.nio.file.Files.delete(p);\n  }\n}\n', 0.25,
                 {"security/findings": 2.0, "security/process_spawn": 1.0, "security/file_delete": 1.0}),
        # new ProcessBuilder (high) + System.loadLibrary (high): floored at 0
        "builder": ('class Solution {\n  void f() {\n    new ProcessBuilder("sh").start();\n'
                    '    System.loadLibrary("evil");\n  }\n}\n', 0.0,
                    {"security/findings": 2.0, "security/process_spawn": 1.0, "security/native_code": 1.0}),
    },
    "cpp": {
        # std::remove over a range is <algorithm>'s, not a file deletion.
        "clean": ("#include <algorithm>\n#include <vector>\nvoid f(std::vector<int>& v) {\n"
                  "  v.erase(std::remove(v.begin(), v.end(), 0), v.end());\n}\n", 1.0, {"security/findings": 0.0}),
        # std::system (high) + remove(path) (medium): 1 - 0.75
        "system": ('#include <cstdio>\n#include <cstdlib>\nvoid f() {\n  std::system("ls");\n'
                   '  remove("/tmp/x");\n}\n', 0.25,
                   {"security/findings": 2.0, "security/process_spawn": 1.0, "security/file_delete": 1.0}),
        # unlink (medium) only: 1 - 0.25
        "unlink": ('#include <unistd.h>\nint f() { return unlink("/tmp/x"); }\n', 0.75,
                   {"security/findings": 1.0, "security/file_delete": 1.0}),
        # fork + execvp (high each), syscall (high): floored at 0
        "fork": ("#include <unistd.h>\n#include <sys/syscall.h>\nvoid f(char** a) {\n  if (fork() == 0) "
                 "execvp(a[0], a);\n  syscall(39);\n}\n", 0.0,
                 {"security/findings": 3.0, "security/process_spawn": 2.0, "security/syscall": 1.0}),
    },
}
PARAMS = [pytest.param(language, case, id=f"{language}-{case}") for language in CASES for case in CASES[language]]


def score(reward, codes, language, **columns):
    columns = {"problems": [Problem("p", "")] * len(codes), "languages": [language] * len(codes),
               "verdicts": [Verdict(VerdictStatus.PASSED, language)] * len(codes), "codes": codes, **columns}
    return reward(list(codes), **columns)


@pytest.mark.parametrize(("language", "case"), PARAMS)
def test_findings_by_hand(language, case):
    code, value, details = CASES[language][case]
    reward = bound(SecurityReward())
    assert score(reward, [code], language) == [pytest.approx(value)]
    assert reward.last_details == [details]


def test_penalties_are_parameters():
    code, _, _ = CASES["javascript"]["delete"]
    assert score(bound(SecurityReward(penalties={"medium": 0.6})), [code], "javascript") == [pytest.approx(0.4)]
    shell, _, _ = CASES["python"]["shell"]
    assert score(bound(SecurityReward(penalties={"low": 0.0})), [shell], "python") == [0.5]
    # Skipping no bandit test, the assert in the clean code (B101, low) counts.
    clean, _, _ = CASES["python"]["clean"]
    assert score(bound(SecurityReward(bandit_skip=[])), [clean], "python") == [pytest.approx(0.9)]


def test_abstains():
    reward = bound(SecurityReward())
    code, _, _ = CASES["cpp"]["system"]
    masked = Verdict(VerdictStatus.INFRA_ERROR, "cpp", masked=True)
    codes = [code, "", "void f( {"]
    assert reward(codes, problems=[Problem("p", "")] * 3, languages=["cpp"] * 3, codes=codes,
                  verdicts=[masked, *[Verdict(VerdictStatus.COMPILE_ERROR, "cpp")] * 2]) == [None, None, None]
    assert reward.last_details == [{}, {}, {}]
    assert score(reward, ["def f(:\n"], "python", verdicts=[Verdict(VerdictStatus.COMPILE_ERROR, "python")]) == [None]
    assert score(reward, ["x"], "fortran") == [None]


def test_bad_parameters():
    with pytest.raises(ValueError, match=r"penalties: unknown severity \['critical'\]"):
        SecurityReward(penalties={"critical": 1.0})
    with pytest.raises(ValueError, match=r"penalties\.high must be a number in \[0, 1\], got 2"):
        SecurityReward(penalties={"high": 2})
    with pytest.raises(ValueError, match="bandit_skip must be a list of bandit test ids"):
        SecurityReward(bandit_skip="B101")
    rewards = make_plugins(autoload=False, warn=lambda line: None).rewards()
    with pytest.raises(RegistryError, match=r"reward 'security': bad parameters \['strict'\]"):
        rewards.create("security", strict=True)


def test_missing_column_is_named():
    with pytest.raises(ValueError, match="reward 'security' needs the 'verdicts' column"):
        bound(SecurityReward())(["x"], problems=[Problem("p", "")], languages=["python"], codes=["x"])


def test_pickles_without_bandit_and_is_registered():
    rewards = make_plugins(autoload=False, warn=lambda line: None).rewards()
    assert rewards.owner("security") == "builtin.security"
    reward = bound(rewards.create("security", penalties={"high": 1.0}))
    shell, _, _ = CASES["python"]["shell"]
    assert score(reward, [shell], "python") == [0.0]
    assert reward._bandit is not None
    copy = pickle.loads(pickle.dumps(reward))
    assert "_bandit" not in copy.__dict__ and "_analyzers" not in copy.__dict__
    assert score(copy, [shell], "python") == [0.0]
    assert copy.penalties == {"high": 1.0, "medium": 0.25, "low": 0.1}


# The direct forms of what the rules name (no alias involved), each one finding; all once scored 1.0.
DIRECT = {
    "cpp": {
        "execve": ("#include <unistd.h>\nvoid f(char** a) { execve(a[0], a, a); }\n", "process_spawn"),
        "parenthesised": ('#include <cstdlib>\nvoid f() { (system)("ls"); }\n', "process_spawn"),
        "parenthesised_std": ('#include <cstdlib>\nvoid f() { (std::system)("ls"); }\n', "process_spawn"),
        "fexecve": ("#include <unistd.h>\nvoid f(char** a) { fexecve(3, a, a); }\n", "process_spawn"),
        "execveat": ('#include <unistd.h>\nvoid f(char** a) { execveat(3, "", a, a, 0); }\n', "process_spawn"),
        "asm syscall": ('void f() {\n  long r;\n  asm volatile("syscall" : "=a"(r) : "a"(59L) : "rcx", "r11");\n}\n',
                        "syscall"),
        "asm int 0x80": ('void f() { __asm__("int $0x80"); }\n', "syscall"),
    },
    "javascript": {
        "Function without new": ('Function("return 1")();\n', "eval"),
        "require template literal": ("require(`child_process`).execSync(\"true\");\n", "process_spawn"),
        "dynamic import": ('import("child_process").then((m) => m.execSync("true"));\n', "process_spawn"),
        "module.require": ('module.require("child_process").execSync("true");\n', "process_spawn"),
        "require vm": ('require("vm").runInThisContext("1");\n', "eval"),
        "import vm": ('import { runInNewContext } from "node:vm";\n', "eval"),
    },
    "java": {
        "exec on a Runtime variable": ("class S {\n  void f() throws Exception {\n"
                                       '    Runtime rt = Runtime.getRuntime();\n    rt.exec("true");\n  }\n}\n',
                                       "process_spawn"),
        "exec on a var bound to getRuntime": ("class S {\n  void f() throws Exception {\n"
                                              '    var rt = Runtime.getRuntime();\n    rt.exec("true");\n  }\n}\n',
                                              "process_spawn"),
        "exec on a Runtime field": ("class S {\n  java.lang.Runtime rt;\n  void f() throws Exception {\n"
                                    '    this.rt.exec("true");\n  }\n}\n', "process_spawn"),
        "qualified ProcessBuilder": ("class S {\n  void f() throws Exception {\n"
                                     '    new java.lang.ProcessBuilder("true").start();\n  }\n}\n', "process_spawn"),
        "Runtime load": ('class S {\n  void f() {\n    Runtime.getRuntime().load("/x.so");\n  }\n}\n', "native_code"),
    },
}
DIRECT_PARAMS = [pytest.param(language, case, id=f"{language}-{case}")
                 for language in DIRECT for case in DIRECT[language]]


@pytest.mark.parametrize(("language", "case"), DIRECT_PARAMS)
def test_direct_forms_of_the_rules_are_findings(language, case):
    code, name = DIRECT[language][case]
    reward = bound(SecurityReward())
    assert score(reward, [code], language) == [0.5]  # every one high
    assert reward.last_details == [{"security/findings": 1.0, f"security/{name}": 1.0}]


@pytest.mark.parametrize(("language", "code"), [
    # Another object's exec, and the Runtime asked something harmless.
    ("java", "class S {\n  void f(Machine m) {\n    m.exec(1);\n    Runtime.getRuntime().availableProcessors();\n"
             "  }\n}\n"),
    ("cpp", 'void f() { asm volatile("" ::: "memory"); asm("pause"); }\n'),  # a barrier, a spin hint
    ("javascript", 'const fs = require("fs");\nconst m = /a/.exec("a");\nconst util = require(`util`);\n'),
])
def test_look_alikes_are_not_findings(language, code):
    assert score(bound(SecurityReward()), [code], language) == [1.0]
