"""``hf``: a Hugging Face ``datasets`` dataset saved to disk or in the local cache, in any row format
codekiln reads.

Named ``hf:SOURCE?format=FORMAT&split=SPLIT&config=CONFIG&FIELD=COLUMN...``: SOURCE is a folder written
by ``save_to_disk``, or what ``datasets.load_dataset`` accepts (a folder of data files, a cached dataset's
name); FORMAT is the row format (``jsonl``, codekiln's own, by default; ``humaneval``, ``humaneval-x``,
``mbpp``, ``multipl-e``); each ``FIELD=COLUMN`` reads the format's field FIELD from the dataset's column
COLUMN (``text=question``). Nothing is downloaded: ``HF_DATASETS_OFFLINE`` is set before ``datasets`` is
imported, so a dataset that is not on this machine is one clear error.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from codekiln.datasets import DatasetLoader
from codekiln.errors import DataError
from codekiln.problem import Problem

from .humaneval import humaneval_problem, humaneval_x_problem
from .jsonl import codekiln_problem
from .mbpp import mbpp_problem
from .multiple import merge_languages, multiple_problem

__all__ = ["HfDataset"]

_INSTALL = "dataset 'hf' needs the datasets package: pip install 'codekiln[hf]'"


def _formats() -> dict[str, Callable[[Any], Problem]]:
    return {"jsonl": codekiln_problem, "humaneval": humaneval_problem, "humaneval-x": humaneval_x_problem,
            "mbpp": mbpp_problem, "multipl-e": multiple_problem}


class HfDataset(DatasetLoader):
    """A Hugging Face dataset on this machine (saved to disk, data files or cache) in any row format.

    Named ``hf:SOURCE?format=mbpp&split=test&FIELD=COLUMN``; needs ``pip install 'codekiln[hf]'``.
    """

    name = "hf"

    def load(self, path: str | None) -> list[Problem]:
        source, _, query = path.partition("?")
        params = dict(parse_qsl(query, keep_blank_values=True))
        formats = _formats()
        row_format = params.pop("format", "jsonl")
        if row_format not in formats:
            raise DataError(f"hf:{path}: unknown format '{row_format}'; available: {', '.join(sorted(formats))}")
        split, config = params.pop("split", None), params.pop("config", None)
        table = _open(source, split, config)
        missing = sorted(column for column in params.values() if column not in table.column_names)
        if missing:
            raise DataError(f"hf:{path}: no column(s) {', '.join(missing)} in the dataset; it has "
                            f"{', '.join(table.column_names)}")
        where = f"{source}[{split}]" if split else source
        rows = self._mapped(table, params, where)
        if row_format == "multipl-e":  # one problem per name, as the multipl-e loader makes them
            return merge_languages(self, self.converted(rows, formats[row_format]))
        return self.convert_rows(rows, formats[row_format])

    @staticmethod
    def _mapped(table: Any, mapping: dict[str, str], where: str) -> Iterator[tuple[str, dict[str, Any]]]:
        for index, row in enumerate(table):
            yield f"{where} row {index}", {**row, **{field: row[column] for field, column in mapping.items()}}


def _open(source: str, split: str | None, config: str | None) -> Any:
    """The dataset's table of rows (one split)."""
    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")  # read when datasets is imported: set it first
    try:
        import datasets
    except ImportError:
        raise DataError(_INSTALL) from None
    saved = Path(source)
    try:
        with _offline(datasets):
            if saved.is_dir() and any((saved / f).is_file() for f in ("state.json", "dataset_dict.json")):
                table = datasets.load_from_disk(str(saved))
            else:
                table = datasets.load_dataset(source, config, split=split)
    except Exception as exc:  # datasets raises many kinds (FileNotFoundError, DatasetNotFoundError, ...)
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(f"hf:{source}: cannot load the dataset offline ({reason})") from None
    if isinstance(table, datasets.DatasetDict):
        splits = sorted(table)
        if split is None and len(splits) == 1:
            split = splits[0]
        if split not in table:
            raise DataError(f"hf:{source}: choose a split with ?split=NAME; it has {', '.join(splits)}")
        table = table[split]
    return table


@contextlib.contextmanager
def _offline(datasets: Any) -> Iterator[None]:
    """Offline mode for this load even when ``datasets`` was imported before the variable was set (it reads
    it once, at import); the caller's setting is restored afterwards."""
    from huggingface_hub import constants

    before = datasets.config.HF_HUB_OFFLINE, constants.HF_HUB_OFFLINE
    datasets.config.HF_HUB_OFFLINE = constants.HF_HUB_OFFLINE = True
    try:
        yield
    finally:
        datasets.config.HF_HUB_OFFLINE, constants.HF_HUB_OFFLINE = before
