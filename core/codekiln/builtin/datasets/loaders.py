"""Built-in dataset loaders, registered as one plugin: ``builtin`` (the problems shipped with codekiln),
``jsonl`` (codekiln's own format, one problem object per line), and the imported benchmarks' formats, one
module each: ``humaneval`` and ``humaneval-x`` (:mod:`.humaneval`), ``mbpp`` (:mod:`.mbpp`), ``multipl-e``
(:mod:`.multiple`), ``hf``, any of these read from a Hugging Face dataset (:mod:`.hf`), and ``families``,
problems generated from task families (:mod:`.families`).
docs/datasets.md describes them all."""

from __future__ import annotations

from codekiln import hookimpl

from .builtin import BuiltinDataset
from .families import FamiliesDataset
from .hf import HfDataset
from .humaneval import HumanEvalDataset, HumanEvalXDataset
from .jsonl import JsonlDataset, codekiln_problem
from .mbpp import MbppDataset
from .multiple import MultiplEDataset

__all__ = [
    "BuiltinDataset",
    "FamiliesDataset",
    "HfDataset",
    "HumanEvalDataset",
    "HumanEvalXDataset",
    "JsonlDataset",
    "MbppDataset",
    "MultiplEDataset",
    "codekiln_problem",
]


@hookimpl
def codekiln_register_datasets(registry):
    for loader in (BuiltinDataset, JsonlDataset, HumanEvalDataset, HumanEvalXDataset, MbppDataset,
                   MultiplEDataset, HfDataset, FamiliesDataset):
        registry.register(loader)
