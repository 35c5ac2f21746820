"""Use a generation service with OpenAI's own client (docs/serve.md; run by tests/serve)."""

from __future__ import annotations

from openai import OpenAI


def chat(url: str, api_key: str) -> str:
    """One chat turn; ``model="auto"`` follows the service's A/B assignment of this key."""
    client = OpenAI(base_url=f"{url}/v1", api_key=api_key)
    reply = client.chat.completions.create(
        model="auto", max_tokens=64, temperature=0.2,
        messages=[{"role": "user", "content": "Write a Python function that reverses a string."}])
    extra = reply.model_extra["codekiln"]  # which arm answered, and whether the fallback did
    print(f"{reply.model} (arm {extra['arm']}, version {reply.system_fingerprint}):")
    print(reply.choices[0].message.content)
    return reply.choices[0].message.content
