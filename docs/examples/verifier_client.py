"""Score completions on a verification service (docs/integrations/service.md; run by tests/serve)."""

from __future__ import annotations

from codekiln.client import VerifierClient


def score(url: str, api_key: str) -> list[float | None]:
    """The reward of each completion: the service verifies it against the built-in problem ``all_unique``."""
    samples = [
        {"dataset": "builtin", "task_id": "all_unique", "language": "python",
         "completion": "```python\ndef all_unique(values):\n    return len(set(values)) == len(values)\n```"},
        {"dataset": "builtin", "task_id": "all_unique", "language": "python",
         "completion": "def all_unique(values):\n    return True\n"},
    ]
    with VerifierClient(url, api_key=api_key, timeout_s=60, retries=5) as client:
        results = client.verify_batch(samples)
    for result in results:
        print(result.verdict.status.value, result.verdict.tests_passed, "/", result.verdict.tests_total,
              "reward:", result.reward)
    return [result.reward for result in results]
