"""The HumanEval-X loader and ``codekiln verify --dataset humaneval-x:PATH``."""

from __future__ import annotations

import gzip
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from codekiln.builtin.datasets.humaneval import entry_point
from codekiln.builtin.datasets.loaders import HumanEvalXDataset
from codekiln.datasets import load_dataset
from codekiln.errors import DataError
from codekiln.verifier import Sample

from .test_cli import codekiln

PYTHON_ROW = {
    "task_id": "Python/0",
    "prompt": 'def double_all(xs):\n    """Return every number doubled."""\n',
    "declaration": "def double_all(xs):\n",
    "canonical_solution": "    return [2 * x for x in xs]\n",
    "test": "def check(candidate):\n    assert candidate([1, 2]) == [2, 4]\n    assert candidate([]) == []\n\n"
            "check(double_all)\n",
    "example_test": "",
}
CPP_ROW = {
    "task_id": "CPP/0",
    "prompt": "#include<vector>\nusing namespace std;\nvector<int> double_all(vector<int> xs){\n",
    "declaration": "#include<vector>\nusing namespace std;\nvector<int> double_all(vector<int> xs){\n",
    "canonical_solution": "    for (auto& x : xs) x *= 2;\n    return xs;\n}\n",
    "test": "#undef NDEBUG\n#include<assert.h>\nint main(){\n"
            "    assert(double_all({1, 2}) == vector<int>({2, 4}));\n}\n",
    "example_test": "",
}
JAVA_ROW = {**CPP_ROW, "task_id": "Java/0",
            "declaration": "import java.util.*;\n\nclass Solution {\n"
                           "    public List<Integer> doubleAll(List<Integer> xs) {\n"}
JS_ROW = {**CPP_ROW, "task_id": "JavaScript/0", "declaration": "const doubleAll = (xs) => {\n"}


def write(path, rows, gz=False):
    text = "".join(json.dumps(row) + "\n" for row in rows)
    if gz:
        with gzip.open(path, "wt", encoding="utf-8") as handle:
            handle.write(text)
    else:
        path.write_text(text)
    return path


def test_language_and_entry_point_come_from_the_row(tmp_path):
    problems = HumanEvalXDataset().load(str(write(tmp_path / "x.jsonl", [PYTHON_ROW, CPP_ROW, JAVA_ROW, JS_ROW])))
    found = {p.id: (next(iter(p.native)), next(iter(p.native.values())).entry_point) for p in problems}
    assert found == {
        "Python/0": ("python", "double_all"),
        "CPP/0": ("cpp", "double_all"),
        "Java/0": ("java", "doubleAll"),
        "JavaScript/0": ("javascript", "doubleAll"),
    }
    assert problems[1].references == {"cpp": CPP_ROW["canonical_solution"]}
    assert problems[1].native["cpp"].declaration == CPP_ROW["declaration"]


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({**PYTHON_ROW, "task_id": "Cobol/0"}, "cannot tell the language of task_id 'Cobol/0'"),
        ({k: v for k, v in PYTHON_ROW.items() if k != "test"}, "missing or non-string field(s) test"),
        ({**CPP_ROW, "declaration": "int x;\n", "prompt": "int x;\n"}, "cannot find the function under test"),
    ],
)
def test_malformed_rows_are_named(tmp_path, row, message):
    path = write(tmp_path / "x.jsonl", [PYTHON_ROW, row])
    skipping = HumanEvalXDataset()
    assert [p.id for p in skipping.load(str(path))] == ["Python/0"]
    [skip] = skipping.skipped
    assert skip.where == f"{path}:2" and skip.reason.startswith(message)
    strict = HumanEvalXDataset()
    strict.strict = True
    with pytest.raises(DataError, match=r"x\.jsonl:2: " + message.replace("(", r"\(").replace(")", r"\)")):
        strict.load(str(path))


@pytest.mark.parametrize("gz", [False, True], ids=["jsonl", "jsonl.gz"])
def test_verify_judges_right_and_wrong_python_completions(tmp_path, gz):
    data = write(tmp_path / ("x.jsonl.gz" if gz else "x.jsonl"), [PYTHON_ROW], gz=gz)
    samples = tmp_path / "samples.jsonl"
    samples.write_text(
        json.dumps({"task_id": "Python/0", "completion": PYTHON_ROW["canonical_solution"]}) + "\n"
        + json.dumps({"task_id": "Python/0", "completion": "    return xs\n"}) + "\n"
    )
    out = tmp_path / "results.jsonl"
    result = codekiln("verify", str(samples), "--dataset", f"humaneval-x:{data}", "--out", str(out))
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(r["status"], r["passed"]) for r in rows] == [("passed", True), ("wrong_answer", False)]


# One small HumanEval-X file in each language, shaped like the real one (prompt = declaration + docstring,
# a completion continues it, the test is the benchmark's own code with its expected values inside).
_ROWS = {
    "python": (PYTHON_ROW, "    return xs\n"),
    "cpp": (
        {**CPP_ROW, "task_id": "CPP/7", "test": "#undef NDEBUG\n#include<assert.h>\nint main(){\n"
                                                "    assert(double_all({1, 2}) == vector<int>({2, 4}));\n"
                                                "    assert(double_all({}) == vector<int>({}));\n}\n"},
        "    return xs;\n}\n",
    ),
    "java": (
        {
            "task_id": "Java/7",
            "prompt": "import java.util.*;\nimport java.lang.*;\n\nclass Solution {\n    /** Double every number. */\n"
                      "    public List<Integer> doubleAll(List<Integer> xs) {\n",
            "declaration": "import java.util.*;\nimport java.lang.*;\n\nclass Solution {\n"
                           "    public List<Integer> doubleAll(List<Integer> xs) {\n",
            "canonical_solution": "        List<Integer> out = new ArrayList<>();\n"
                                  "        for (int x : xs) out.add(2 * x);\n        return out;\n    }\n}\n",
            "test": "public class Main {\n    public static void main(String[] args) {\n"
                    "        Solution s = new Solution();\n"
                    "        if (!s.doubleAll(new ArrayList<>(Arrays.asList(1, 2))).equals(Arrays.asList(2, 4))) {\n"
                    "            throw new AssertionError();\n        }\n    }\n}\n",
            "example_test": "",
        },
        "        return xs;\n    }\n}\n",
    ),
    "javascript": (
        {
            "task_id": "JavaScript/7",
            "prompt": "/* Return every number doubled. */\nconst doubleAll = (xs) => {\n",
            "declaration": "const doubleAll = (xs) => {\n",
            "canonical_solution": "  return xs.map((x) => 2 * x);\n}\n\n",
            "test": "const testDoubleAll = () => {\n"
                    "  console.assert(JSON.stringify(doubleAll([1, 2])) === JSON.stringify([2, 4]))\n"
                    "}\n\ntestDoubleAll()\n",
            "example_test": "",
        },
        "  return xs;\n}\n\n",
    ),
}


@pytest.mark.slow
def test_verify_judges_a_humaneval_x_file_in_every_language(tmp_path):
    data = write(tmp_path / "humaneval-x.jsonl.gz", [row for row, _ in _ROWS.values()], gz=True)
    samples = tmp_path / "samples.jsonl"
    lines = []
    for row, wrong in _ROWS.values():
        lines.append({"task_id": row["task_id"], "completion": row["canonical_solution"]})
        lines.append({"task_id": row["task_id"], "completion": wrong})
    samples.write_text("".join(json.dumps(line) + "\n" for line in lines))
    out = tmp_path / "results.jsonl"
    result = codekiln("verify", str(samples), "--dataset", f"humaneval-x:{data}", "--out", str(out), "--json")
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(r["task_id"], r["passed"]) for r in rows] == [
        (line["task_id"], index % 2 == 0) for index, line in enumerate(lines)
    ], [(r["task_id"], r["status"]) for r in rows]
    summary = json.loads(result.stdout)
    assert {language: entry["passed"] for language, entry in summary.items()} == dict.fromkeys(_ROWS, 1)


# -- the real HumanEval-X files (../shared/data/humaneval-x, never copied into the project) --------------------

PROJECT = Path(__file__).resolve().parents[1]
REAL_DATA = PROJECT.parent / "shared" / "data" / "humaneval-x"
#: Where ``scripts/dev.sh`` installs the npm module ``js-md5`` (JavaScript/162's canonical solution needs it).
NODE_MODULES = PROJECT / ".node-deps" / "node_modules"
#: Canonical solutions that are wrong: their own tests fail them (see ../shared/data/README.md).
WRONG_CANONICAL = {"javascript": {"JavaScript/112", "JavaScript/155"}}
_FILES = {"python": "humaneval_python.jsonl.gz", "java": "humaneval_java.jsonl.gz",
          "javascript": "humaneval_js.jsonl.gz", "cpp": "humaneval_cpp.jsonl.gz"}
#: Fixed-return answers go to every 8th task (21 per language): enough to show wrong answers fail, at an
#: eighth of the cost of the canonical run.
FIXED_EVERY = 8
_JAVA_FIXED = {"boolean": "false", "char": "'x'", "String": '"12345"', "int": "12345", "long": "12345",
               "double": "12345", "float": "12345"}


def _fixed_return(language: str, declaration: str, entry: str) -> str:
    """A completion that returns one fixed value, whatever the arguments: a wrong answer to every task."""
    if language == "python":
        return "    return 12345\n"
    if language == "javascript":
        return "  return 12345\n}\n"
    if language == "cpp":  # a value-initialised return (CPP/23, not among these, would pass it: strlen)
        return "    return {};\n}\n"
    returns = re.search(rf"(\S+)\s+{entry}\s*\(", declaration).group(1)
    return f"        return {_JAVA_FIXED.get(returns, 'null')};\n    }}\n}}\n"


@pytest.fixture(scope="module")
def real_results(tmp_path_factory):
    """``real_results(language)``: its results, verified once per test module."""
    done = {}

    def results(language: str) -> dict[str, dict[str, dict]]:
        if language not in done:
            done[language] = _verify_real(language, tmp_path_factory.mktemp(language))
        return done[language]

    return results


def _verify_real(language: str, folder: Path) -> dict[str, dict[str, dict]]:
    """Every canonical solution of ``language`` and a fixed-return answer to every ``FIXED_EVERY``-th task,
    verified in one ``codekiln verify`` batch through the worker pool: {"canonical" | "fixed": {task_id:
    result row}}."""
    data = REAL_DATA / _FILES[language]
    with gzip.open(data, "rt", encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle]
    lines = [{"task_id": row["task_id"], "completion": row["canonical_solution"]} for row in rows]
    for row in rows[::FIXED_EVERY]:
        entry = entry_point(row["test"], row["declaration"])
        lines.append({"task_id": row["task_id"], "completion": _fixed_return(language, row["declaration"], entry)})
    samples = folder / "samples.jsonl"
    samples.write_text("".join(json.dumps(line) + "\n" for line in lines))
    out = folder / "results.jsonl"
    env = dict(os.environ)
    if (NODE_MODULES / "js-md5").is_dir():
        env["NODE_PATH"] = str(NODE_MODULES)
    result = subprocess.run([sys.executable, "-m", "codekiln", "verify", str(samples), "--dataset",
                             f"humaneval-x:{data}", "--out", str(out)],
                            capture_output=True, text=True, env=env, timeout=1200, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    results = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 164 and len(results) == len(lines)
    return {"canonical": {r["task_id"]: r for r in results[:164]}, "fixed": {r["task_id"]: r for r in results[164:]}}


needs_real_data = pytest.mark.skipif(not REAL_DATA.is_dir(),
                                     reason=f"the HumanEval-X files are not in {REAL_DATA} (a clone of its own)")


@needs_real_data
@pytest.mark.slow
@pytest.mark.parametrize("language", sorted(_FILES))
def test_every_real_canonical_solution_passes_and_every_fixed_answer_fails(language, real_results):
    results = real_results(language)
    failed = {task: r["status"] for task, r in results["canonical"].items() if not r["passed"]}
    expected = dict.fromkeys(WRONG_CANONICAL.get(language, ()), "wrong_answer")
    if language == "javascript":  # needs js-md5: test_javascript_162_passes_with_js_md5
        failed.pop("JavaScript/162", None)
    assert failed == expected
    assert len(results["fixed"]) == 21
    passed = [task for task, r in results["fixed"].items() if r["passed"] or r["masked"]]
    assert passed == [], "a fixed answer passed, or was masked"
    masked = [task for task, r in results["canonical"].items() if r["masked"]]
    assert masked == []


@needs_real_data
@pytest.mark.slow
@pytest.mark.skipif(not (NODE_MODULES / "js-md5").is_dir(),
                    reason=f"the npm module js-md5 is not in {NODE_MODULES}: run bash scripts/dev.sh setup")
def test_javascript_162_passes_with_js_md5(real_results):
    result = real_results("javascript")["canonical"]["JavaScript/162"]
    assert result["passed"], result["verdict"]


def _chat_answer(language: str, row: dict, completion: str, form: str) -> str:
    """A chat model's answer: the prompt's function restated whole with ``completion`` as its body, in a fenced
    block; ``form="methods"`` (Java) leaves the class out, the methods alone."""
    code = row["prompt"] + completion
    if form == "methods":
        code = code.split("class Solution {", 1)[1].rstrip()
        assert code.endswith("}")
        code = code[:-1]
    return f"Here is the complete solution:\n```{language}\n{code}\n```\n"


@needs_real_data
@pytest.mark.slow
@pytest.mark.parametrize(("language", "form"), [("javascript", "whole"), ("java", "whole"), ("java", "methods"),
                                                 ("cpp", "whole")])
def test_an_answer_restating_the_function_is_judged_like_its_completion(language, form, plugins, verifier):
    """Task 10 and 38's prompts define a helper the entry function uses, which the answer restates too."""
    data = REAL_DATA / _FILES[language]
    problems = {p.id: p for p in load_dataset(f"humaneval-x:{data}", plugins.datasets())}
    with gzip.open(data, "rt", encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle]
    samples, expected = [], []
    for row in (rows[0], rows[10], rows[38]):
        problem = problems[row["task_id"]]
        fixed = _fixed_return(language, row["declaration"], problem.native[language].entry_point)
        for completion, status in ((row["canonical_solution"], "passed"), (fixed, "wrong_answer")):
            samples.append(Sample(problem, _chat_answer(language, row, completion, form), language))
            expected.append((row["task_id"], status))
    verdicts = verifier.verify_batch(samples)
    assert [(v.problem_id, v.status.value) for v in verdicts] == expected, verdicts
