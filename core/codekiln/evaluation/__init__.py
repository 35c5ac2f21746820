"""Evaluation and A/B comparison: what ``codekiln eval`` and ``codekiln ab`` report, and what the trainer's
evaluations compute.

- :mod:`.metrics`: :class:`~.metrics.Outcome` (one judged sample), pass@k, the verdict rates, mean scores,
  latency and tokens, overall, per language and per difficulty;
- :mod:`.stats`: bootstrap intervals, the exact McNemar test and Fisher's exact test;
- :mod:`.compare`: a paired or unpaired comparison of two arms' outcomes;
- :mod:`.run`: generating with a model or reading a samples file, then verifying and scoring;
- :mod:`.report`: markdown, JSON and PNG charts.

Only :mod:`.run` imports torch and transformers, and only when a model generates.
"""
