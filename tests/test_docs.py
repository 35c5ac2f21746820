"""Docs coverage is a test.

- Every code block that shows Python or YAML is included verbatim from a file (under ``docs/examples/`` or
  the plugin template), and each example file is registered into a fresh plugin manager and behaves as
  its page says. Their doctests run too.
- ``docs/reference/hooks.md`` is exactly what ``codekiln.docgen`` renders from the hookspecs, and every
  hook has a section there and a ``test_hook_<name>`` test somewhere under ``tests/``.
- Relative links between pages resolve, anchors included.
"""

from __future__ import annotations

import csv
import doctest
import json
import pickle
import re
import shutil
from pathlib import Path
from types import ModuleType

import pytest

from codekiln.config import load_config
from codekiln.curricula import Outcome, Task
from codekiln.datasets import load_dataset
from codekiln.docgen import hook_names, render_hook_reference
from codekiln.errors import ConfigError, DataError, RegistryError
from codekiln.jsonio import from_json, to_json
from codekiln.languages import Availability, CompileResult, Source
from codekiln.plugins import make_plugins, registered
from codekiln.problem import Problem
from codekiln.verdict import Diagnostic, Verdict, VerdictStatus

from .script_support import load_module

REPO = Path(__file__).resolve().parent.parent
DOCS = REPO / "docs"
EXAMPLES = DOCS / "examples"
TEMPLATE_MODULE = REPO / "plugin_template" / "codekiln_myreward" / "__init__.py"
PAGES = sorted(DOCS.rglob("*.md"))

INCLUDE = re.compile(
    r"<!-- include: (?P<path>\S+) -->\n```(?P<lang>\w+)\n(?P<body>.*?)```\n<!-- end include -->", re.DOTALL
)
FENCE_LANGUAGE = {".py": "python", ".yaml": "yaml", ".toml": "toml"}
# Fences that must come from a tested file; shell commands and sample output may be written inline.
TESTED_LANGUAGES = ("python", "yaml")


def relative(path: Path) -> str:
    return str(path.relative_to(REPO))


def include_blocks() -> list[tuple[str, str, str, str]]:
    return [
        (relative(page), match["path"], match["lang"], match["body"])
        for page in PAGES
        for match in INCLUDE.finditer(page.read_text(encoding="utf-8"))
    ]


def include_params() -> list:
    return [pytest.param(*block, id=f"{block[0]}:{block[1]}") for block in include_blocks()]


def load_example(stem: str) -> ModuleType:
    return load_module(EXAMPLES / f"{stem}.py", f"codekiln_docs_example_{stem}")


@pytest.fixture
def plugins(monkeypatch):
    """A fresh plugin manager with only the built-ins; no plugin may warn while a test uses it."""
    monkeypatch.delenv("CODEKILN_BLOCK_PLUGINS", raising=False)
    warnings: list[str] = []
    yield make_plugins(autoload=False, trace=False, warn=warnings.append)
    assert warnings == []


# ---------------------------------------------------------------------------------------------------------
# Includes
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("page", "path", "lang", "body"), include_params())
def test_include_block_is_the_file_verbatim(page, path, lang, body):
    file = REPO / path
    assert file.is_file(), f"{page} includes {path}, which does not exist"
    assert lang == FENCE_LANGUAGE[file.suffix]
    assert body == file.read_text(encoding="utf-8"), f"{page}: the block for {path} differs from the file"


@pytest.mark.parametrize("page", PAGES, ids=relative)
def test_include_markers_are_well_formed(page):
    text = page.read_text(encoding="utf-8")
    blocks = len(INCLUDE.findall(text))
    assert text.count("<!-- include:") == blocks
    assert text.count("<!-- end include -->") == blocks


@pytest.mark.parametrize("page", PAGES, ids=relative)
def test_code_blocks_come_from_tested_files(page):
    outside_includes = INCLUDE.sub("", page.read_text(encoding="utf-8"))
    inline = re.findall(rf"^```({'|'.join(TESTED_LANGUAGES)})\b", outside_includes, re.MULTILINE)
    assert inline == [], f"{relative(page)}: put these examples in docs/examples/ and include them"


def test_every_example_file_is_included():
    included = {REPO / path for _, path, _, _ in include_blocks()}
    examples = {p for p in EXAMPLES.iterdir() if p.suffix in FENCE_LANGUAGE}
    assert examples
    assert sorted(map(relative, examples - included)) == []


@pytest.mark.parametrize("path", [*sorted(EXAMPLES.glob("*.py")), TEMPLATE_MODULE], ids=relative)
def test_doctests(path):
    module = load_module(path, f"codekiln_docs_doctest_{path.parent.name}_{path.stem}")
    results = doctest.testmod(module)
    assert results.failed == 0
    assert results.attempted > 0 or ">>>" not in path.read_text(encoding="utf-8")


def github_anchor(heading: str) -> str:
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


@pytest.mark.parametrize("page", PAGES, ids=relative)
def test_relative_links_resolve(page):
    for target in re.findall(r"\]\(([^)\s]+)\)", page.read_text(encoding="utf-8")):
        if "://" in target:
            continue
        file, _, anchor = target.partition("#")
        linked = (page.parent / file).resolve() if file else page
        assert linked.is_file(), f"{relative(page)} links to {target}, which does not exist"
        if anchor:
            headings = re.findall(r"^#+ (.+)$", linked.read_text(encoding="utf-8"), re.MULTILINE)
            assert anchor in {github_anchor(h) for h in headings}, f"{relative(page)}: no anchor {target}"


# ---------------------------------------------------------------------------------------------------------
# The examples behave as documented
# ---------------------------------------------------------------------------------------------------------


def test_tutorial_reward_and_config(plugins):
    template = load_module(TEMPLATE_MODULE, "codekiln_docs_template_myreward")
    config = load_config(EXAMPLES / "tutorial_config.yaml")
    with registered(plugins, template):
        rewards = plugins.rewards()
    assert config.rewards == {"all_tests": 1.0, "myreward": 0.5}
    assert all(name in rewards for name in config.rewards)
    reward = rewards.create("myreward")
    assert reward(["```python\nx = 1\n```", "x = 1"], verdicts=[None, None]) == [1.0, 0.0]


def test_reward_example(plugins):
    example = load_example("reward_plugin")
    config = load_config(EXAMPLES / "reward_plugin.yaml")
    with registered(plugins, example):
        rewards = plugins.rewards()
    assert rewards.owner("short_answer") == example.__name__
    assert all(name in rewards for name in config.rewards)

    reward = rewards.create("short_answer", **config.reward_params["short_answer"])
    assert reward.max_chars == 200
    reward = rewards.create("short_answer", max_chars=4)
    judged = Verdict(VerdictStatus.PASSED, "python")
    masked = Verdict(VerdictStatus.INFRA_ERROR, "python", masked=True)
    assert reward(["abcd", "abcdef"], verdicts=[judged, masked], problems=[None, None]) == [1.0, None]
    assert reward(["abcdef", "abcdefghi"]) == [0.5, 0.0]
    assert pickle.loads(pickle.dumps(reward))(["abcdef"]) == [0.5]

    with pytest.raises(RegistryError, match="reward 'short_answer': bad parameters"):
        rewards.create("short_answer", max_words=3)
    with pytest.raises(ValueError, match="max_chars must be positive"):
        rewards.create("short_answer", max_chars=0)


def test_curriculum_example(plugins):
    example = load_example("curriculum_plugin")
    config = load_config(EXAMPLES / "curriculum_plugin.yaml")
    with registered(plugins, example):
        curricula = plugins.curricula()
    problems = [Problem(id=f"p{i}", description="", difficulty=d) for i, d in enumerate((1, 1, 2, 4))]
    tasks = [Task(problem, language) for problem in problems for language in ("cpp", "python")]
    curriculum = curricula.create(config.curriculum.name, tasks=tasks, seed=3, **config.curriculum.params)
    assert curriculum.promote_at == 0.9

    def difficulties(n: int = 50) -> set[int]:
        return {task.problem.difficulty for task in curriculum.select(n)}

    assert difficulties() == {1}
    curriculum.update([Outcome("p0", "python", 0.5)])  # below promote_at: stays
    assert difficulties() == {1}
    curriculum.update([Outcome("p0", "python", 1.0), Outcome("p1", "cpp", 0.8)])  # mean 0.9
    assert difficulties() == {1, 2}
    assert curriculum.metrics() == {"curriculum/level": 2}
    assert curriculum.describe() == "difficulty ≤ 2"

    # A curriculum restored from a (JSON) checkpoint draws exactly what the original would have.
    restored = curricula.create("easy_first", tasks=tasks, seed=99)
    restored.load_state_dict(json.loads(json.dumps(curriculum.state_dict())))
    assert [task.key for task in restored.select(20)] == [task.key for task in curriculum.select(20)]

    with pytest.raises(ConfigError, match=r"^curriculum 'easy_first': promote_at: must be between 0 and 1, got 2$"):
        curricula.create("easy_first", tasks=tasks, promote_at=2)


def test_dataset_example(plugins):
    example = load_example("dataset_plugin")
    config = load_config(EXAMPLES / "dataset_plugin.yaml")
    with registered(plugins, example):
        datasets = plugins.datasets()
    problems = load_dataset(config.data.dataset, datasets)

    assert [p.id for p in problems] == ["arithmetic/add", "arithmetic/multiply"]
    expected = {"add": lambda a, b: a + b, "multiply": lambda a, b: a * b}
    for problem in problems:
        assert problem.tests
        for test in problem.tests:
            assert problem.typed_expected(test) == expected[problem.signature.name](*problem.typed_args(test))
        # Problems travel to files and worker processes as JSON.
        assert from_json(Problem, to_json(problem), where=problem.id) == problem
    with pytest.raises(DataError, match="takes no path"):
        load_dataset("arithmetic:problems.jsonl", datasets)


def test_logger_example(plugins, tmp_path):
    example = load_example("logger_plugin")
    with registered(plugins, example):
        plugins.notify("codekiln_training_started", run_dir=tmp_path, config=None, start_step=1)
        plugins.notify("codekiln_step_finished", run_dir=tmp_path, step=1, metrics={"reward/total": 0.5, "loss": 2})
        plugins.notify("codekiln_step_finished", run_dir=tmp_path, step=2, metrics={"loss": 1.5})
    with open(tmp_path / example.FILENAME, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert rows == [["step", "metric", "value"], ["1", "loss", "2"], ["1", "reward/total", "0.5"], ["2", "loss", "1.5"]]


def test_language_example(plugins, monkeypatch):
    example = load_example("language_plugin")
    config = load_config(EXAMPLES / "language_plugin.yaml")
    with registered(plugins, example):
        languages = plugins.languages()
    backend = languages.get("bash")
    assert "bash" in config.data.languages
    assert languages.get("sh") is backend
    assert isinstance(backend, example.BashBackend)

    availability = backend.available()
    assert availability.ok == (shutil.which("bash") is not None)
    if availability.ok:
        assert "bash" in availability.version.lower()
    monkeypatch.setattr(example.shutil, "which", lambda _: None)
    assert backend.available() == Availability(ok=False, hint="install bash (Debian/Ubuntu: apt-get install bash)")

    with pytest.raises(NotImplementedError, match="syntax and compilation only"):
        backend.run_signature_tests(Source("echo hi\n"), CompileResult(True), Problem("p", ""), runner=None)


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_language_example_compile():
    backend = load_example("language_plugin").BashBackend()
    assert backend.compile(Source("greet() {\n  echo \"hi $1\"\n}\n"), problem=None, runner=None) == CompileResult(True)
    broken = backend.compile(Source("if true; then\n  echo x\nfi fi\n"), problem=None, runner=None)
    assert not broken.ok
    assert broken.diagnostics == (Diagnostic("syntax error near unexpected token `fi'", 3),)


def test_language_example_grammar():
    pytest.importorskip("tree_sitter_bash", reason="the example's grammar wheel, tree-sitter-bash")
    import tree_sitter

    parser = tree_sitter.Parser(load_example("language_plugin").BashBackend().tree_sitter_language())
    assert not parser.parse(b"for f in *.txt; do echo \"$f\"; done\n").root_node.has_error
    assert parser.parse(b"if then fi (\n").root_node.has_error


# ---------------------------------------------------------------------------------------------------------
# Hooks: the reference is generated, and every hook is documented and tested
# ---------------------------------------------------------------------------------------------------------

HOOKS_PAGE = DOCS / "reference" / "hooks.md"


def test_hook_reference_is_generated_from_the_hookspecs():
    assert HOOKS_PAGE.read_text(encoding="utf-8") == render_hook_reference(), (
        "docs/reference/hooks.md is stale: run python -m codekiln.docgen docs/reference/hooks.md"
    )


@pytest.mark.parametrize("hook", hook_names())
def test_every_hook_has_a_reference_section(hook):
    assert re.search(rf"^### `{hook}\(", HOOKS_PAGE.read_text(encoding="utf-8"), re.MULTILINE)


@pytest.mark.parametrize("hook", hook_names())
def test_every_hook_has_a_test(hook):
    definition = re.compile(rf"^\s*(async\s+)?def test_hook_{hook}\(", re.MULTILINE)
    files = (REPO / "tests").rglob("*.py")
    assert any(definition.search(f.read_text(encoding="utf-8")) for f in files), (
        f"no test function test_hook_{hook} under tests/"
    )
