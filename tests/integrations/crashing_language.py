"""A language plugin whose compile step kills the process verifying it, as a crash of ours would (a segfault
in a toolchain binding, the OOM killer): the verifier must mask the sample, never crash or blame the model.
Registered by module name, so the Ray pool's actors load it too."""

import os

from codekiln import hookimpl
from codekiln_python import PythonBackend


class CrashingBackend(PythonBackend):
    name = "crashing"
    aliases = ()
    fence_tags = ("crashing",)

    def compile(self, source, problem, runner):
        os._exit(70)


@hookimpl
def codekiln_register_languages(registry):
    registry.register(CrashingBackend())
