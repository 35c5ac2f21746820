"""Loading the repository's scripts (benchmarks, documentation examples) in tests, which import no package."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def load_module(path: Path, name: str) -> ModuleType:
    """Import ``path`` as module ``name``, kept in ``sys.modules`` so that its classes pickle."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
