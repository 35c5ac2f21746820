"""A checkpoint may come from someone else: resuming from it must never run code it carries."""

from __future__ import annotations

import os

import pytest
import torch

from codekiln.train.checkpoint import load_checkpoint


class _Payload:
    """Unpickling this calls os.system: what a full unpickle of a hostile training.pt would do."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def test_a_checkpoint_that_carries_code_is_refused_unrun(tmp_path):
    marker = tmp_path / "ran"
    folder = tmp_path / "checkpoint-1"
    folder.mkdir()
    torch.save({"optimizer": None, "scheduler": None, "rng": _Payload(str(marker))}, folder / "training.pt")
    (folder / "state.json").write_text("{}")
    with pytest.raises(Exception, match=r"(?i)weights.only|unpickl"):
        load_checkpoint(folder, optimizer=None, scheduler=None)
    assert not marker.exists()
