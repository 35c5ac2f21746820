"""Ask a generation service for verified code (docs/serve.md; run by tests/serve)."""

from __future__ import annotations

from typing import Any

import httpx


def generate(url: str, api_key: str) -> dict[str, Any]:
    """A Python solution of the built-in problem ``all_unique``, at most 6 lines, with type hints."""
    response = httpx.post(f"{url}/v1/generate", headers={"Authorization": f"Bearer {api_key}"}, timeout=300, json={
        "language": "python",
        "problem_id": "all_unique",
        "constraints": {"max_lines": 6, "type_hints": True},
        "candidates": 2,  # answers sampled per try
        "tries": 3,  # rounds of sampling before the best answer is returned anyway
        "max_tokens": 64,
    })
    response.raise_for_status()
    answer = response.json()
    print(f"{answer['status']}: {answer['tests_passed']}/{answer['tests_total']} tests, "
          f"met the request: {answer['met_constraints']}, quality {answer['quality']}")
    for reason in answer["reasons"]:
        print("  not met:", reason)
    return answer
