"""A model directory whose weights are a ``pytorch_model.bin`` pickle holding more than tensors: refused
unrun, as one line naming the directory (``codekiln eval --model DIR`` and ``model.path`` load through here)."""

from __future__ import annotations

import os
import shutil

import pytest

from codekiln.config import ModelConfig
from codekiln.errors import ConfigError
from codekiln.plugins import make_plugins

torch = pytest.importorskip("torch", reason="the train extra is not installed (pip install 'codekiln[train]')")

from codekiln.train.policy import default_model_dir, load_policy  # noqa: E402


class _Payload:
    """Unpickling this calls os.system: what a full unpickle of a hostile pytorch_model.bin would do."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def test_pickled_weights_that_carry_code_are_one_line_and_never_run(model_cache, tmp_path):
    model = tmp_path / "m"
    shutil.copytree(default_model_dir(model_cache, make_plugins()), model)
    for weights in model.glob("*.safetensors"):
        weights.unlink()
    marker = tmp_path / "ran"
    torch.save({"weight": _Payload(str(marker))}, model / "pytorch_model.bin")
    with pytest.raises(ConfigError, match=rf"^model.path '{model}': cannot load the model: its pickled weights "
                                          "are damaged or hold objects other than tensors") as caught:
        load_policy(ModelConfig(path=str(model)), device=torch.device("cpu"))
    assert "\n" not in str(caught.value)
    assert not marker.exists()
