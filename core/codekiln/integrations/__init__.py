"""codekiln inside the engines teams already train with. Each module imports its engine lazily; nothing in
the core needs any of them.

- :mod:`codekiln.integrations.trl`: TRL reward functions backed by the batch verifier.
- :mod:`codekiln.integrations.verl`: verl's ``compute_score``.

Each integration is an entry point in the sense of :func:`codekiln.plugins.make_plugins`: it builds (or is
handed) the plugin session, and everything below it receives that session.
"""
