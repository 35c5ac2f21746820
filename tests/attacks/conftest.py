"""The attack suite's fixtures live in ``attack_support`` (shared with the tests, which import its helpers)."""

from attack_support import attack_verifier, listeners, secret  # noqa: F401
