"""docs/examples/families_plugin.py: a family of one's own, registered through a dataset plugin, generates
problems beside the built-in families, and its references pass in all four languages."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from codekiln.builtin.datasets.families import BUILTIN_FAMILIES, LANGUAGES
from codekiln.datasets import load_dataset
from codekiln.plugins import make_plugins, registered
from codekiln.verifier import Sample

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "families_plugin.py"


@pytest.fixture(scope="module")
def example():
    name = "codekiln_docs_example_families_plugin"
    spec = importlib.util.spec_from_file_location(name, EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # its classes pickle by module name
    spec.loader.exec_module(module)
    return module


def test_a_registered_family_generates_beside_the_built_in_ones(example):
    plugins = make_plugins(autoload=False)
    with registered(plugins, example):
        problems = load_dataset("my-families?per_family=6&seed=2", plugins.datasets())
    wrapped = [p for p in problems if "family:wrap" in p.tags]
    assert len(wrapped) == 6
    assert {p.id.split("/")[1] for p in problems} == {f.name for f in BUILTIN_FAMILIES} | {"wrap"}
    assert {p.split for p in wrapped} == {"sft", "rl", "heldout"}
    for problem in wrapped:
        opening = problem.description.split(": ")[1].split("text")[0]
        closing = problem.description.split("text")[-1].rstrip(".")
        for test in problem.tests:
            (text,) = problem.typed_args(test)
            assert problem.typed_expected(test) == opening + text + closing
    # The family is not registered without the plugin.
    assert "my-families" not in make_plugins(autoload=False).datasets()


def test_the_example_family_references_pass(example, verifier):
    generated = [g for g in example.MyFamilies(per_family=3).generated() if g.family == "wrap"]
    samples = [Sample(g.problem, g.variant.references[language], language) for g in generated for language in LANGUAGES]
    verdicts = verifier.verify_batch(samples)
    assert {(s.problem.id, s.language): v.status.value for s, v in zip(samples, verdicts) if not v.passed} == {}
