"""A language plugin for the NeMo RL environment's tests: Python, except that compiling an answer holding
:data:`CRASH` kills the process verifying it, as a crash of ours would (a segfault in a toolchain binding,
the OOM killer). The verifier retries such an answer once and then masks it. Registered by module name, so
the verifier's workers (and a Ray actor given the session's spec) load it too."""

import os

from codekiln import hookimpl
from codekiln_python import PythonBackend

CRASH = "CRASH_THE_VERIFIER"


class SometimesCrashingBackend(PythonBackend):
    name = "pycrash"
    aliases = ()
    fence_tags = ("pycrash",)

    def compile(self, source, problem, runner):
        if CRASH in source.text:
            os._exit(70)
        return super().compile(source, problem, runner)


@hookimpl
def codekiln_register_languages(registry):
    registry.register(SometimesCrashingBackend())
