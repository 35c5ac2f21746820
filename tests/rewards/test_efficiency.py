"""The ``efficiency`` reward: its formula by hand, and the real path through the sandbox in Python and C++.

The end-to-end tests compare a solution with a deliberately slow one (a busy loop worth tens of times the
reference's run); the margins are wide, so no assertion depends on how fast this machine is.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import attrs
import pytest

from codekiln.builtin.rewards.efficiency import EfficiencyReward, Measurement, efficiency_score
from codekiln.config import load_config
from codekiln.errors import CodekilnError, PluginError
from codekiln.plugins import make_plugins
from codekiln.problem import Param, Problem, Signature, TestCase
from codekiln.rewards import RewardSet
from codekiln.sandbox import cgroup_unavailable
from codekiln.verdict import Verdict, VerdictStatus
from codekiln.verifier.warm import take_fallbacks

from .session import bound

PROBLEM = Problem(
    id="sum_list",
    description="Return the sum of the values.",
    signature=Signature("sum_list", (Param("values", "list[int]"),), "int"),
    tests=(TestCase(([1, 2, 3],), 6), TestCase(([],), 0), TestCase(([-4, 4, 10],), 10)),
    references={
        "python": "def sum_list(values: list[int]) -> int:\n    return sum(values)\n",
        "cpp": "#include <vector>\n\nlong long sum_list(std::vector<long long> values) {\n"
               "    long long total = 0;\n    for (long long v : values) total += v;\n    return total;\n}\n",
    },
)
# Correct, and busy for a few hundred milliseconds of CPU per run: tens of times the reference.
SLOW = {
    "python": "def sum_list(values: list[int]) -> int:\n    spin = 0\n    for i in range(1_500_000):\n"
              "        spin += i\n    return sum(values)\n",
    "cpp": "#include <vector>\n\nlong long sum_list(std::vector<long long> values) {\n"
           "    volatile long long spin = 0;\n    for (long long i = 0; i < 60000000; ++i) spin += i;\n"
           "    long long total = 0;\n    for (long long v : values) total += v;\n    return total;\n}\n",
}

# The slow work done in a child the solution never waits for: the child answers on a pipe, then waits to be
# killed with the run. Counted by the run's cgroup, it scores as SLOW does; wait4 alone would miss it.
HIDDEN = {
    "python": "import os, signal\n\ndef sum_list(values: list[int]) -> int:\n    r, w = os.pipe()\n"
              "    if os.fork() == 0:\n        spin = 0\n        for i in range(1_500_000):\n            spin += i\n"
              "        os.write(w, str(sum(values)).encode())\n        signal.pause()\n"
              "    return int(os.read(r, 64))\n",
    "cpp": "#include <vector>\n#include <string>\n#include <unistd.h>\n\n"
           "long long sum_list(std::vector<long long> values) {\n    int fds[2];\n    pipe(fds);\n"
           "    if (fork() == 0) {\n        volatile long long spin = 0;\n"
           "        for (long long i = 0; i < 60000000; ++i) spin += i;\n"
           "        long long total = 0;\n        for (long long v : values) total += v;\n"
           "        std::string text = std::to_string(total);\n        write(fds[1], text.data(), text.size());\n"
           "        pause();\n    }\n    char buffer[32] = {0};\n    read(fds[0], buffer, sizeof buffer - 1);\n"
           "    return std::stoll(buffer);\n}\n",
}


def passed(language: str) -> Verdict:
    return Verdict(VerdictStatus.PASSED, language, tests_passed=3, tests_total=3)


def score(reward, problem, language, codes, verdicts=None):
    verdicts = verdicts or [passed(language)] * len(codes)
    return reward(["(completion)"] * len(codes), problems=[problem] * len(codes), languages=[language] * len(codes),
                  verdicts=verdicts, codes=codes, completion_lengths=[1] * len(codes), max_new_tokens=8)


# -- the formula, by hand -----------------------------------------------------------------------------------

FLOORS = {"floor_ms": 10.0, "floor_mb": 32.0}


@pytest.mark.parametrize(
    ("reference", "solution", "memory_weight", "expected"),
    [
        ((20.0, 40.0), (20.0, 40.0), 0.0, 1.0),  # as fast as the reference
        ((20.0, 40.0), (10.0, 40.0), 0.0, 1.0),  # faster: capped at 1
        ((20.0, 40.0), (80.0, 40.0), 0.0, 0.25),  # four times slower
        ((3.0, 40.0), (5.0, 40.0), 0.0, 1.0),  # both under the floor: 10 / 10
        ((3.0, 40.0), (40.0, 40.0), 0.0, 0.25),  # the reference counts as 10 ms: 10 / 40
        ((20.0, 40.0), (40.0, 160.0), 0.5, 0.375),  # 0.5 * (20 / 40) + 0.5 * (40 / 160)
        ((20.0, 8.0), (20.0, 64.0), 0.25, 0.875),  # 0.75 * 1 + 0.25 * (32 / 64): memory floored at 32
        ((20.0, 40.0), (400.0, 20.0), 1.0, 1.0),  # memory alone, and less of it than the reference
    ],
)
def test_score_formula_by_hand(reference, solution, memory_weight, expected):
    got = efficiency_score(Measurement(*reference), Measurement(*solution), memory_weight=memory_weight, **FLOORS)
    assert got == pytest.approx(expected)


# -- the real path ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["python", "cpp"])
def test_slow_solution_scores_clearly_below_the_reference(language):
    reward = bound(EfficiencyReward(repeats=3))
    reference_score, slow_score = score(reward, PROBLEM, language, [PROBLEM.references[language], SLOW[language]])
    assert reference_score > 0.6
    assert slow_score < 0.3
    reference_details, slow_details = reward.last_details
    assert reference_details["efficiency/reference_ms"] == slow_details["efficiency/reference_ms"]  # cached
    assert slow_details["efficiency/solution_ms"] > 4 * slow_details["efficiency/reference_ms"]
    assert set(reward._references) == {("sum_list", language)}


@pytest.mark.skipif(cgroup_unavailable() is not None, reason=f"runs have no cgroup here: {cgroup_unavailable()}")
@pytest.mark.parametrize("language", ["python", "cpp"])
def test_work_hidden_in_a_child_never_waited_for_still_counts(language):
    reward = bound(EfficiencyReward(repeats=3))
    slow_score, hidden_score = score(reward, PROBLEM, language, [SLOW[language], HIDDEN[language]])
    assert hidden_score < 0.3 and slow_score < 0.3
    hidden_details = reward.last_details[1]
    assert hidden_details["efficiency/solution_ms"] > 4 * hidden_details["efficiency/reference_ms"]


def test_code_that_fails_when_measured_scores_zero():
    # Code can tell where it runs (a warm path's zygote has modules loaded that a cold interpreter has not), so
    # it could pass the verifier and return at once, wrongly, where the reward measures it. Every measured run
    # is judged: here the verdict says passed and the code is plainly wrong when measured.
    wrong = "def sum_list(values: list[int]) -> int:\n    return 0\n"
    reward = bound(EfficiencyReward(repeats=3))
    wrong_score, reference_score = score(reward, PROBLEM, "python", [wrong, PROBLEM.references["python"]])
    assert wrong_score == 0.0 and reference_score > 0.6


def test_code_whose_measurement_does_not_compile_scores_zero():
    """The verifier passed it, so a compile the measurement cannot make is the code's doing (it told the two
    compiles apart): 0, not an abstention that would drop the reward's weight."""
    reward = bound(EfficiencyReward(repeats=1))
    assert score(reward, PROBLEM, "cpp", ["long long sum_list( {\n", PROBLEM.references["cpp"]]) == \
        [0.0, pytest.approx(1.0, abs=0.5)]


def test_a_sandbox_failure_in_one_measurement_abstains_for_that_sample_alone(monkeypatch):
    """A SandboxError is ours and one sample's: the batch's other samples are still scored (it failed them all)."""
    from codekiln.sandbox import SandboxError

    reward = bound(EfficiencyReward(repeats=1))
    backend = reward._backend("python")
    compile_as_before = backend.compile

    def compile_or_fail(source, problem, runner):
        if "fails here" in source.text:
            raise SandboxError("sandbox: the run's cgroup could not be made")
        return compile_as_before(source, problem, runner)

    monkeypatch.setattr(backend, "compile", compile_or_fail)
    failing = PROBLEM.references["python"] + "# fails here\n"
    assert score(reward, PROBLEM, "python", [failing, PROBLEM.references["python"]]) == \
        [None, pytest.approx(1.0, abs=0.5)]


def test_abstains_when_the_reference_fails_its_own_tests():
    wrong = attrs.evolve(PROBLEM, id="wrong_reference", references={
        "python": "def sum_list(values: list[int]) -> int:\n    return 0\n"})
    reward = bound(EfficiencyReward(repeats=1))
    assert score(reward, wrong, "python", [PROBLEM.references["python"]]) == [None]
    assert reward._references == {("wrong_reference", "python"): None}


def test_measures_on_the_cold_path_so_no_warm_path_falls_back(builtin_problems):
    # JavaScript's warm compile leaves one node to run the sample once; the reward runs a program repeatedly.
    problem = next(p for p in builtin_problems if p.signature is not None and "javascript" in p.references)
    reward = bound(EfficiencyReward(repeats=2))
    take_fallbacks()
    assert reward.measure(problem, "javascript", problem.references["javascript"]) is not None
    assert take_fallbacks() == ()


def test_abstains_without_a_passing_verdict_or_a_reference():
    reward = bound(EfficiencyReward(repeats=1))
    code = PROBLEM.references["python"]
    verdicts = [Verdict(VerdictStatus.WRONG_ANSWER, "python", tests_passed=1, tests_total=3),
                Verdict(VerdictStatus.PASSED, "python", masked=True), passed("python")]
    no_reference = attrs.evolve(PROBLEM, references={"cpp": PROBLEM.references["cpp"]})
    assert score(reward, PROBLEM, "python", [code, code], verdicts[:2]) == [None, None]
    assert score(reward, no_reference, "python", [code]) == [None]
    assert reward.last_details == [{}]
    assert reward._references == {}  # nothing was measured


def test_abstains_when_the_reference_does_not_compile():
    broken = attrs.evolve(PROBLEM, id="broken_reference", references={"cpp": "long long sum_list( {\n"})
    reward = bound(EfficiencyReward(repeats=1))
    assert score(reward, broken, "cpp", [PROBLEM.references["cpp"]]) == [None]
    assert reward._references == {("broken_reference", "cpp"): None}


def test_pickles_without_its_runner_and_keeps_its_cache():
    reward = bound(EfficiencyReward(repeats=1, floor_ms=25.0))
    score(reward, PROBLEM, "python", [PROBLEM.references["python"]])
    assert reward._runner is not None
    copy = pickle.loads(pickle.dumps(reward))
    assert copy._runner is None
    assert copy._references == reward._references and copy.params["floor_ms"] == 25.0
    # The copy rebuilds the session it was bound to from its description, where it lands.
    assert score(copy, PROBLEM, "python", [PROBLEM.references["python"]]) == [pytest.approx(1.0, abs=0.5)]


def test_unbound_reward_says_how_to_bind_it():
    with pytest.raises(PluginError, match=r"^reward 'efficiency' has no plugin session: build it with "
                                          r"RewardSet.from_config\(config, plugins\) or call bind_plugins"):
        score(EfficiencyReward(repeats=1), PROBLEM, "python", [PROBLEM.references["python"]])


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"repeats": 0}, "repeats must be a positive integer, got 0"),
        ({"floor_ms": -1}, "floor_ms must be a positive number"),
        ({"memory_weight": 1.5}, r"memory_weight must be a number in \[0, 1\], got 1.5"),
        ({"isolation": "jail"}, "unknown isolation level 'jail'; available: none, process, namespaces"),
    ],
)
def test_bad_params_fail_at_construction(params, message):
    with pytest.raises((ValueError, CodekilnError), match=message):
        EfficiencyReward(**params)


def test_documented_config_builds_the_reward():
    config = load_config(Path(__file__).parents[2] / "docs" / "examples" / "reward_efficiency.yaml")
    rewards = RewardSet.from_config(config, make_plugins(autoload=False))
    assert rewards.weights["efficiency"] == 0.3
    assert rewards.rewards["efficiency"].params == {
        "repeats": 5, "floor_ms": 20.0, "floor_mb": 32.0, "memory_weight": 0.0, "isolation": "namespaces",
        "time_limit_s": 10.0, "memory_mb": 1024,
    }
