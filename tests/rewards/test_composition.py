"""RewardSet: weights from the config, abstaining components left out, every reward's output checked."""

from __future__ import annotations

import json
import math
import pickle

import pytest

from codekiln import hookimpl
from codekiln.config import load_config
from codekiln.errors import ConfigError, PluginError, RegistryError
from codekiln.jsonio import from_json, to_json
from codekiln.plugins import PluginInfo, Plugins, make_plugins
from codekiln.registry import RewardRegistry
from codekiln.rewards import Reward, RewardSet
from codekiln.verdict import RewardBreakdown, Verdict, VerdictStatus


class Fixed(Reward):
    """Returns the values it was built with, whatever the completions; ``details`` become last_details."""

    name = "fixed"
    range = (-1.0, 1.0)

    def __init__(self, values=(), details=None) -> None:
        self.values = list(values)
        self.last_details = details

    def __call__(self, completions, **ignored):
        return list(self.values)


class Scaled(Reward):
    """``factor`` x the completion's length, abstaining on empty completions; takes one parameter."""

    name = "scaled"

    def __init__(self, factor: float = 0.1) -> None:
        if factor <= 0:
            raise ValueError(f"factor must be positive, got {factor}")
        self.factor = factor

    def __call__(self, completions, *, verdicts, **ignored):
        return [None if not text or v.masked else min(1.0, self.factor * len(text))
                for text, v in zip(completions, verdicts)]


def rewards_registry() -> RewardRegistry:
    registry = RewardRegistry()
    registry.register(Scaled)
    registry.register(Fixed)
    return registry


def test_total_is_the_weighted_mean_of_the_components_that_did_not_abstain():
    rewards = RewardSet({"a": Fixed([1.0, 0.0, None, 0.5]), "b": Fixed([0.0, None, None, -1.0])},
                        {"a": 3.0, "b": 1.0})
    got = rewards(["x"] * 4)
    # (3 * 1 + 1 * 0) / 4; b abstains: a alone; both abstain: masked; (3 * 0.5 + 1 * -1) / 4.
    assert [b.total for b in got] == [0.75, 0.0, 0.0, 0.125]
    assert [b.masked for b in got] == [False, False, True, False]
    assert got[1] == RewardBreakdown({"a": 0.0, "b": None}, {"a": 3.0, "b": 1.0}, 0.0)
    assert got[2].components == {"a": None, "b": None}
    assert rewards.names == ["a", "b"]


def test_a_masked_verdict_masks_the_breakdown_whatever_the_components_say():
    verdicts = [Verdict(VerdictStatus.INFRA_ERROR, "cpp", masked=True), Verdict(VerdictStatus.PASSED, "cpp")]
    masked, judged = RewardSet({"a": Fixed([0.5, 0.5])}, {"a": 1.0})(["x", "y"], verdicts=verdicts)
    assert (masked.components, masked.total, masked.masked) == ({"a": 0.5}, 0.0, True)
    assert (judged.total, judged.masked) == (0.5, False)


def test_a_zero_weight_reward_is_logged_but_does_not_count():
    rewards = RewardSet({"a": Fixed([0.2, None]), "watch": Fixed([0.9, 0.9])}, {"a": 1.0, "watch": 0.0})
    first, second = rewards(["x", "y"])
    assert (first.total, first.components["watch"], first.masked) == (0.2, 0.9, False)
    assert (second.total, second.masked) == (0.0, True)  # only the zero-weight reward spoke


def test_details_are_merged_per_sample():
    rewards = RewardSet(
        {"q": Fixed([0.5, 1.0], [{"q/parts": 2, "q/skipped": None}, {}]),
         "r": Fixed([1.0, 1.0], [{"r/x": 0.25}, {"r/x": 1.5}])},
        {"q": 1.0, "r": 1.0},
    )
    first, second = rewards(["x", "y"])
    assert first.details == {"q/parts": 2.0, "r/x": 0.25}
    assert second.details == {"r/x": 1.5}


def test_breakdown_round_trips_through_json_masked_included():
    rewards = RewardSet({"a": Fixed([None, 1.0])}, {"a": 2.0})
    for breakdown in rewards(["x", "y"]):
        assert from_json(RewardBreakdown, json.loads(json.dumps(to_json(breakdown))), where="b") == breakdown


def test_columns_reach_every_reward_and_the_set_pickles():
    verdicts = [Verdict(VerdictStatus.PASSED, "python"), Verdict(VerdictStatus.INFRA_ERROR, "python", masked=True)]
    rewards = pickle.loads(pickle.dumps(RewardSet({"scaled": Scaled(0.25)}, {"scaled": 1.0})))
    got = rewards(["ab", "abcd"], verdicts=verdicts, max_new_tokens=16, languages=["python", "python"])
    assert [b.components["scaled"] for b in got] == [0.5, None]
    with pytest.raises(ValueError, match="column 'verdicts' has 2 entries for 3 completions"):
        rewards(["a", "b", "c"], verdicts=verdicts)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ([1.0], r"reward 'bad' returned 1 value\(s\) for 2 completions"),
        ([0.5, 2.0], r"reward 'bad' returned 2.0 for completion 1; expected None or a number in \[-1.0, 1.0\]"),
        ([math.nan, 0.0], "reward 'bad' returned nan for completion 0"),
        ([True, 0.0], "reward 'bad' returned True for completion 0"),
        ([0.0, "1"], "reward 'bad' returned '1' for completion 1"),
    ],
)
def test_bad_reward_output_is_one_line_naming_the_reward(values, message):
    with pytest.raises(PluginError, match=message):
        RewardSet({"bad": Fixed(values)}, {"bad": 1.0})(["x", "y"])


def test_bad_details_and_crashing_rewards_are_named():
    with pytest.raises(PluginError, match="reward 'bad': last_details must be a list of 2 dicts"):
        RewardSet({"bad": Fixed([0.0, 0.0], [{}])}, {"bad": 1.0})(["x", "y"])
    with pytest.raises(PluginError, match="reward 'bad': detail 'k' is 'v', not a finite number"):
        RewardSet({"bad": Fixed([0.0], [{"k": "v"}])}, {"bad": 1.0})(["x"])
    with pytest.raises(PluginError, match=r"reward 'scaled' failed: TypeError: .*verdicts"):
        RewardSet({"scaled": Scaled()}, {"scaled": 1.0})(["x"])


# -- from the config -----------------------------------------------------------------------------------------


def test_from_config_builds_each_reward_with_its_params(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text("rewards: {scaled: 2, all_tests: 1}\nreward_params:\n  scaled: {factor: 0.5}\n")
    rewards = RewardSet.from_config(load_config(path), _with_scaled())
    assert rewards.names == ["scaled", "all_tests"]
    assert rewards.weights == {"scaled": 2.0, "all_tests": 1.0}
    assert rewards.rewards["scaled"].factor == 0.5
    passed, failed = Verdict(VerdictStatus.PASSED, "cpp"), Verdict(VerdictStatus.WRONG_ANSWER, "cpp")
    got = rewards(["a", "abcd"], verdicts=[passed, failed])
    # (2 * 0.5 + 1 * 1) / 3 and (2 * 1 + 1 * 0) / 3
    assert [b.total for b in got] == pytest.approx([2 / 3, 2 / 3])
    assert got[1].components == {"scaled": 1.0, "all_tests": 0.0}


class _ScaledPlugin:
    @hookimpl
    def codekiln_register_rewards(self, registry):
        registry.register(Scaled)


def _with_scaled() -> Plugins:
    plugins = make_plugins(autoload=False)
    plugins.register(_ScaledPlugin(), PluginInfo("scaled", "<test>", "0", __name__))
    return plugins


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["rewards={nope: 1}"], r"config key 'rewards.nope': unknown reward 'nope'; available: all_tests, .*scaled"),
        (["rewards={scaled: 1}", "reward_params={scaled: {factr: 2}}"],
         r"config key 'reward_params.scaled.factr': reward 'scaled' has no parameter 'factr'; its parameters: factor"),
        (["rewards={scaled: 1}", "reward_params={scaled: {factor: -1}}"],
         "config key 'reward_params.scaled': reward 'scaled': factor must be positive, got -1"),
        (["rewards={length: 1}", "reward_params={length: {buffer: -3}}"],
         "config key 'reward_params.length': reward 'length': buffer must be an integer >= 0, got -3"),
        (["rewards={efficiency: 1}", "reward_params={efficiency: {isolation: jail}}"],
         "config key 'reward_params.efficiency': reward 'efficiency': sandbox: unknown isolation level 'jail'"),
        (["rewards={scaled: 1}", "reward_params={tests: {}}"],
         "config key 'reward_params.tests': no reward 'tests' in 'rewards'; configured: scaled"),
        (["rewards={scaled: -1}"], "config key 'rewards.scaled': the weight must be a number >= 0, got -1.0"),
    ],
)
def test_from_config_errors_are_one_line_naming_the_key(overrides, message):
    with pytest.raises(ConfigError, match=message) as caught:
        RewardSet.from_config(load_config(None, overrides), _with_scaled())
    assert "\n" not in str(caught.value)


def test_default_config_builds_from_the_builtins():
    rewards = RewardSet.from_config(load_config(None), make_plugins(autoload=False))
    assert rewards.weights == {"all_tests": 1.0, "tests": 0.5, "compiles": 0.2, "syntax": 0.1}


def test_from_config_binds_the_session():
    # A session without the language plugins: the bound rewards see no python, proving they use it.
    plugins = make_plugins(autoload=False)
    config = load_config(None, ["rewards={format: 1, quality: 0, efficiency: 0}"])
    rewards = RewardSet.from_config(config, plugins)
    with pytest.raises(RegistryError, match="unknown language 'python'"):
        rewards(["```python\nx\n```"], languages=["python"])
    for name in ("format", "quality", "efficiency"):
        with pytest.raises(RegistryError, match="unknown language 'python'"):
            rewards.rewards[name]._plugins.languages().get("python")


#: A correct C++ answer that calls std::system, and the same with a line g++ compiles but tree-sitter cannot parse.
HONEST = ('#include <cstdlib>\nlong long add(long long a, long long b) {\n'
          '    if (a == 123456789) std::system("true");\n    return a + b;\n}\n')
TRICK = HONEST.replace("#include <cstdlib>\n",
                       "#include <cstdlib>\n#define S(x) #x\nstatic const char* s = S(] ] ]);\n")


def test_code_the_parser_cannot_read_scores_no_more_than_code_it_can(plugins, verifier):
    """C++'s grammar is inexact: g++ accepted the trick line, so the verdict passes, but the code rewards cannot
    read the program. Abstaining would drop their weight, and the std::system penalty with it (1.0 > 0.833)."""
    from codekiln.config import config_from_dict
    from codekiln.problem import Param, Problem, Signature, TestCase
    from codekiln.scoring import Scorer

    add = Problem(id="add", description="Return a + b.", signature=Signature("add", (
        Param("a", "int"), Param("b", "int")), "int"), tests=(TestCase((1, 2), 3),))
    config = config_from_dict({"rewards": {"all_tests": 1.0, "security": 0.5, "quality": 0.5,
                                           "constraints": 0.5}, "reward_params": {"constraints": {"max_lines": 50}}})
    honest, trick = Scorer(config, plugins, verifier=verifier).score([add, add], [HONEST, TRICK], ["cpp", "cpp"])
    assert honest.verdict.passed and trick.verdict.passed
    assert honest.breakdown.components["security"] == 0.5
    assert {name: trick.breakdown.components[name] for name in ("security", "quality", "constraints")} == \
        {"security": 0.0, "quality": 0.0, "constraints": 0.0}
    assert trick.reward < honest.reward
