"""A language plugin whose toolchain is missing: every sample in it gets a masked ``toolchain_missing``
verdict, the failure being the verifier's, not the model's. Registered by module name, so the verifier's
workers load it too."""

from codekiln import hookimpl
from codekiln.languages import Availability
from codekiln_python import PythonBackend


class OfflineBackend(PythonBackend):
    name = "offline"
    aliases = ()
    fence_tags = ("offline",)

    def available(self) -> Availability:
        return Availability(False, hint="offline: its toolchain is not installed on this machine")


@hookimpl
def codekiln_register_languages(registry):
    registry.register(OfflineBackend())
